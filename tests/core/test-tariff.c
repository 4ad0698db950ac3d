/* test-tariff.c: tiered tariff, rounding, concessions and round trips.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-tariff.h"

#define SPEC "300:298,600:357,*:447"

static void
make_tariff (VpTariff   *tariff,
             const char *spec)
{
  g_autoptr(GError) error = NULL;

  memset (tariff, 0, sizeof *tariff);
  tariff->version = 7;
  g_assert_true (vp_tariff_parse_tiers (tariff, spec, &error));
  g_assert_no_error (error);
}

static void
assert_segment (const VpQuote *q,
                guint          i,
                gint           tier,
                VpVolume       litres,
                VpMoney        price,
                VpMoney        amount,
                VpMoney        discount)
{
  g_assert_cmpuint (i, <, q->n_segments);
  g_assert_cmpint (q->segments[i].tier, ==, tier);
  g_assert_cmpint (q->segments[i].litres, ==, litres);
  g_assert_cmpint (q->segments[i].price, ==, price);
  g_assert_cmpint (q->segments[i].amount, ==, amount);
  g_assert_cmpint (q->segments[i].discount, ==, discount);
}

/* Segments must add up to the quote. */
static void
assert_consistent (const VpQuote *q)
{
  VpVolume litres = 0;
  VpMoney amount = 0;
  VpMoney discount = 0;

  g_assert_cmpuint (q->n_segments, >=, 1);
  g_assert_cmpuint (q->n_segments, <=, VP_TARIFF_MAX_TIERS + 1);
  for (guint i = 0; i < q->n_segments; i++)
    {
      g_assert_cmpint (q->segments[i].litres, >, 0);
      g_assert_cmpint (q->segments[i].amount, >=, 0);
      g_assert_cmpint (q->segments[i].discount, >=, 0);
      litres += q->segments[i].litres;
      amount += q->segments[i].amount;
      discount += q->segments[i].discount;
    }
  g_assert_cmpint (litres, ==, q->volume);
  g_assert_cmpint (amount, ==, q->amount);
  g_assert_cmpint (discount, ==, q->discount);
}

static void
test_parse_format (void)
{
  static const char *round_trip[] = {
    SPEC, "*:1", "0.5:100,12.345:200,*:300", "1:1,2:2,3:3,4:4,5:5,*:6",
  };
  static const char *bad[] = {
    "", "300:298", "*:447,300:298", "300:298,200:357,*:447", "300:298,300:357,*:447",
    "300:0,*:447", "300:-1,*:1", "*:0", "1.2345:1,*:1", "1:1,2:2,3:3,4:4,5:5,6:6,*:7",
    "abc", "300:298,*:447,*:500", "0:100,*:200", "300:2.98,*:1", "300,*:1", "300:298,,*:447",
    "-1:5,*:1", "300.:1,*:1", "*:99999999999999999999",
  };
  VpTariff t;

  make_tariff (&t, SPEC);
  g_assert_cmpuint (t.n_tiers, ==, 3);
  g_assert_cmpint (t.tiers[0].upto, ==, 300000);
  g_assert_cmpint (t.tiers[0].price, ==, 298);
  g_assert_cmpint (t.tiers[1].upto, ==, 600000);
  g_assert_cmpint (t.tiers[1].price, ==, 357);
  g_assert_cmpint (t.tiers[2].upto, ==, G_MAXINT64);
  g_assert_cmpint (t.tiers[2].price, ==, 447);
  g_assert_cmpint (t.version, ==, 7);

  make_tariff (&t, "0.5:100,12.345:200,*:300");
  g_assert_cmpint (t.tiers[0].upto, ==, 500);
  g_assert_cmpint (t.tiers[1].upto, ==, 12345);

  for (guint i = 0; i < G_N_ELEMENTS (round_trip); i++)
    {
      g_autofree char *formatted = NULL;

      make_tariff (&t, round_trip[i]);
      formatted = vp_tariff_format_tiers (&t);
      g_assert_cmpstr (formatted, ==, round_trip[i]);
    }

  make_tariff (&t, SPEC);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *after = NULL;

      g_test_message ("tier spec “%s”", bad[i]);
      g_assert_false (vp_tariff_parse_tiers (&t, bad[i], &error));
      g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID);

      /* A rejected spec leaves the tariff as it was. */
      after = vp_tariff_format_tiers (&t);
      g_assert_cmpstr (after, ==, SPEC);
    }
}

static void
test_validate (void)
{
  g_autoptr(GError) error = NULL;
  VpTariff t;

  make_tariff (&t, SPEC);
  g_assert_true (vp_tariff_validate (&t, &error));
  g_assert_no_error (error);

  t.discount_permille = 1001;
  g_assert_false (vp_tariff_validate (&t, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID);
  g_clear_error (&error);

  make_tariff (&t, SPEC);
  t.free_allowance = -1;
  g_assert_false (vp_tariff_validate (&t, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID);
  g_clear_error (&error);

  make_tariff (&t, SPEC);
  t.n_tiers = 0;
  g_assert_false (vp_tariff_validate (&t, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID);
  g_clear_error (&error);

  make_tariff (&t, SPEC);
  t.tiers[2].upto = 900000;
  g_assert_false (vp_tariff_validate (&t, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_tier_split (void)
{
  g_autoptr(GError) error = NULL;
  VpTariff t;
  VpQuote q;

  make_tariff (&t, SPEC);

  /* 299 m³ used, buy 2 m³: 1 m³ at tier 0 and 1 m³ at tier 1. */
  g_assert_true (vp_tariff_quote_volume (&t, 299000, 0, FALSE, 2000, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpint (q.tariff_version, ==, 7);
  g_assert_cmpint (q.volume, ==, 2000);
  g_assert_cmpint (q.amount, ==, 298 + 357);
  g_assert_cmpint (q.leftover, ==, 0);
  g_assert_cmpint (q.free_litres, ==, 0);
  g_assert_cmpint (q.discount, ==, 0);
  g_assert_false (q.concession);
  g_assert_cmpuint (q.n_segments, ==, 2);
  assert_segment (&q, 0, 0, 1000, 298, 298, 0);
  assert_segment (&q, 1, 1, 1000, 357, 357, 0);
  assert_consistent (&q);

  /* Through all three tiers: 250 → 700 m³. */
  g_assert_true (vp_tariff_quote_volume (&t, 250000, 0, FALSE, 450000, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (q.n_segments, ==, 3);
  assert_segment (&q, 0, 0, 50000, 298, 14900, 0);
  assert_segment (&q, 1, 1, 300000, 357, 107100, 0);
  assert_segment (&q, 2, 2, 100000, 447, 44700, 0);
  g_assert_cmpint (q.amount, ==, 14900 + 107100 + 44700);
  assert_consistent (&q);

  /* Ending exactly on a boundary does not open the next tier. */
  g_assert_true (vp_tariff_quote_volume (&t, 0, 0, FALSE, 300000, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (q.n_segments, ==, 1);
  assert_segment (&q, 0, 0, 300000, 298, 89400, 0);

  /* Starting exactly on a boundary starts in the next tier. */
  g_assert_true (vp_tariff_quote_volume (&t, 600000, 0, FALSE, 1000, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (q.n_segments, ==, 1);
  assert_segment (&q, 0, 2, 1000, 447, 447, 0);

  /* Amount → volume across the boundary: ¥10.00 from 299 m³ buys
   * 1 m³ at ¥2.98 then 1967 litres at ¥3.57/m³ (702.219 → 702 fen). */
  g_assert_true (vp_tariff_quote_amount (&t, 299000, 0, FALSE, 1000, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpint (q.volume, ==, 2967);
  g_assert_cmpint (q.amount, ==, 1000);
  g_assert_cmpint (q.leftover, ==, 0);
  assert_segment (&q, 0, 0, 1000, 298, 298, 0);
  assert_segment (&q, 1, 1, 1967, 357, 702, 0);

  g_assert_true (vp_tariff_quote_amount (&t, 0, 0, FALSE, 10000, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpint (q.volume, ==, 33558);
  g_assert_cmpint (q.amount, ==, 10000);
}

static void
test_rounding (void)
{
  g_autoptr(GError) error = NULL;
  static const struct
  {
    const char *spec;
    VpMoney     amount;  /* for one litre */
  } one_litre[] = {
    { "*:298", 0 },    /* 0.298 fen */
    { "*:499", 0 },    /* 0.499 */
    { "*:500", 1 },    /* 0.5 rounds half up */
    { "*:1499", 1 },
    { "*:1500", 2 },   /* 1.5 */
    { "*:2500", 3 },   /* 2.5: half up, not half even */
  };
  VpTariff t;
  VpQuote q;

  for (guint i = 0; i < G_N_ELEMENTS (one_litre); i++)
    {
      make_tariff (&t, one_litre[i].spec);
      g_assert_true (vp_tariff_quote_volume (&t, 0, 0, FALSE, 1, &q, &error));
      g_assert_no_error (error);
      g_test_message ("%s: 1 litre → %" G_GINT64_FORMAT " fen", one_litre[i].spec, q.amount);
      g_assert_cmpint (q.amount, ==, one_litre[i].amount);
      assert_segment (&q, 0, 0, 1, t.tiers[0].price, one_litre[i].amount, 0);
    }

  /* Each segment is rounded on its own: 1 litre at 0.5 fen + 1 litre at
   * 1.5 fen is 1 + 2 = 3 fen, not round (2.0) = 2. */
  make_tariff (&t, "0.001:500,*:1500");
  g_assert_true (vp_tariff_quote_volume (&t, 0, 0, FALSE, 2, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (q.n_segments, ==, 2);
  assert_segment (&q, 0, 0, 1, 500, 1, 0);
  assert_segment (&q, 1, 1, 1, 1500, 2, 0);
  g_assert_cmpint (q.amount, ==, 3);

  /* Discounted half-up: 1 litre at ¥10/m³ with 50 % off = 0.5 fen → 1;
   * undiscounted it is 1 fen, so nothing is shown as waived. */
  make_tariff (&t, "*:1000");
  t.discount_permille = 500;
  g_assert_true (vp_tariff_quote_volume (&t, 0, 0, TRUE, 1, &q, &error));
  g_assert_no_error (error);
  assert_segment (&q, 0, 0, 1, 1000, 1, 0);
  g_assert_true (q.concession);
}

static void
test_concession (void)
{
  g_autoptr(GError) error = NULL;
  VpTariff t;
  VpQuote q;

  make_tariff (&t, SPEC);
  t.free_allowance = 5000;
  t.discount_permille = 200;

  /* 296 m³ used, 2 m³ of the 5 m³ allowance used, buy 6 m³:
   * 3 m³ free (296 → 299 m³ of the year), then 1 m³ at tier 0 and
   * 2 m³ at tier 1, both 20 % off. */
  g_assert_true (vp_tariff_quote_volume (&t, 296000, 2000, TRUE, 6000, &q, &error));
  g_assert_no_error (error);
  g_assert_true (q.concession);
  g_assert_cmpint (q.volume, ==, 6000);
  g_assert_cmpint (q.free_litres, ==, 3000);
  g_assert_cmpuint (q.n_segments, ==, 3);
  assert_segment (&q, 0, -1, 3000, 0, 0, 0);
  assert_segment (&q, 1, 0, 1000, 298, 238, 60);    /* 238.4 */
  assert_segment (&q, 2, 1, 2000, 357, 571, 143);   /* 571.2; 714 undiscounted */
  g_assert_cmpint (q.amount, ==, 809);
  g_assert_cmpint (q.discount, ==, 203);
  assert_consistent (&q);

  /* The same purchase without a valid certificate. */
  g_assert_true (vp_tariff_quote_volume (&t, 296000, 2000, FALSE, 6000, &q, &error));
  g_assert_no_error (error);
  g_assert_false (q.concession);
  g_assert_cmpint (q.free_litres, ==, 0);
  g_assert_cmpuint (q.n_segments, ==, 2);
  assert_segment (&q, 0, 0, 4000, 298, 1192, 0);
  assert_segment (&q, 1, 1, 2000, 357, 714, 0);
  g_assert_cmpint (q.amount, ==, 1906);
  g_assert_cmpint (q.discount, ==, 0);

  /* Allowance used up: discount only. */
  g_assert_true (vp_tariff_quote_volume (&t, 0, 5000, TRUE, 1000, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpint (q.free_litres, ==, 0);
  g_assert_cmpuint (q.n_segments, ==, 1);
  assert_segment (&q, 0, 0, 1000, 298, 238, 60);

  /* Entirely inside the allowance: free of charge. */
  g_assert_true (vp_tariff_quote_volume (&t, 0, 0, TRUE, 1500, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpint (q.amount, ==, 0);
  g_assert_cmpint (q.free_litres, ==, 1500);
  g_assert_cmpuint (q.n_segments, ==, 1);
  assert_segment (&q, 0, -1, 1500, 0, 0, 0);

  /* Paying ¥1.00 with 3 m³ of allowance left: the free litres plus
   * what ¥1.00 buys at ¥2.384/m³ (421 litres: 100.366 → 100 fen). */
  g_assert_true (vp_tariff_quote_amount (&t, 0, 2000, TRUE, 100, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpint (q.free_litres, ==, 3000);
  g_assert_cmpint (q.volume, ==, 3000 + 421);
  g_assert_cmpint (q.amount, ==, 100);
  g_assert_cmpint (q.leftover, ==, 0);
  assert_segment (&q, 1, 0, 421, 298, 100, 25);

  /* A 100 % discount makes any amount buy unlimited volume. */
  t.discount_permille = 1000;
  g_assert_false (vp_tariff_quote_amount (&t, 0, 0, TRUE, 100, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_LARGE);
  g_clear_error (&error);
}

static void
test_rejects (void)
{
  g_autoptr(GError) error = NULL;
  VpTariff t;
  VpQuote q;

  make_tariff (&t, SPEC);

  g_assert_false (vp_tariff_quote_volume (&t, 0, 0, FALSE, 0, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL);
  g_clear_error (&error);

  g_assert_false (vp_tariff_quote_volume (&t, 0, 0, FALSE, -1000, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL);
  g_clear_error (&error);

  g_assert_false (vp_tariff_quote_volume (&t, 0, 0, FALSE, VP_TARIFF_MAX_VOLUME + 1, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_assert_true (vp_tariff_quote_volume (&t, 0, 0, FALSE, VP_TARIFF_MAX_VOLUME, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpint (q.amount, ==, 89400 + 107100 + (VP_TARIFF_MAX_VOLUME - 600000) / 1000 * 447);

  g_assert_false (vp_tariff_quote_amount (&t, 0, 0, FALSE, 0, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL);
  g_clear_error (&error);

  g_assert_false (vp_tariff_quote_amount (&t, 0, 0, FALSE, -500, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL);
  g_clear_error (&error);

  /* More money than the largest purchase costs. */
  g_assert_false (vp_tariff_quote_amount (&t, 0, 0, FALSE, G_MAXINT64, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_assert_false (vp_tariff_quote_volume (&t, -1, 0, FALSE, 1000, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (vp_tariff_quote_amount (&t, 0, -1, TRUE, 1000, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID);
  g_clear_error (&error);

  /* ¥500/m³ is 50 fen a litre: one fen buys nothing. */
  make_tariff (&t, "*:50000");
  g_assert_false (vp_tariff_quote_amount (&t, 0, 0, FALSE, 1, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL);
  g_assert_cmpstr (error->message, ==, "¥0.01 buys less than one litre");
  g_clear_error (&error);

  g_assert_true (vp_tariff_quote_amount (&t, 0, 0, FALSE, 149, &q, &error));
  g_assert_no_error (error);
  g_assert_cmpint (q.volume, ==, 2);
  g_assert_cmpint (q.amount, ==, 100);
  g_assert_cmpint (q.leftover, ==, 49);

  /* Overflowing prices. */
  make_tariff (&t, "*:9223372036854775");
  g_assert_false (vp_tariff_quote_volume (&t, 0, 0, FALSE, 10000, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_OVERFLOW);
  g_clear_error (&error);

  /* Year counter at the very top of the range. */
  make_tariff (&t, SPEC);
  g_assert_true (vp_tariff_quote_volume (&t, G_MAXINT64 - 1000, 0, FALSE, 1000, &q, &error));
  g_assert_no_error (error);
  assert_segment (&q, 0, 2, 1000, 447, 447, 0);

  t.n_tiers = 0;
  g_assert_false (vp_tariff_quote_volume (&t, 0, 0, FALSE, 1000, &q, &error));
  g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID);
  g_clear_error (&error);
}

/* Picks a tariff, a position in the year and a concession at random. */
static void
random_setup (VpTariff *t,
              VpVolume *year_used,
              VpVolume *free_used,
              gboolean *concession)
{
  static const char *specs[] = {
    SPEC, "*:1", "*:298", "0.001:500,*:1500", "180:305,300:365,*:425",
    "12.5:9999,100:12345,200:23456,*:34567", "1:1,2:3,3:5,4:7,5:11,*:13",
  };

  make_tariff (t, specs[g_test_rand_int_range (0, G_N_ELEMENTS (specs))]);
  t->free_allowance = g_test_rand_bit () ? 0 : g_test_rand_int_range (0, 20000);
  t->discount_permille = g_test_rand_bit () ? 0 : (guint) g_test_rand_int_range (0, 1000);
  *year_used = g_test_rand_bit () ? 0 : g_test_rand_int_range (0, 800000);
  *free_used = g_test_rand_int_range (0, 25000);
  *concession = g_test_rand_bit ();
}

static VpVolume
random_volume (void)
{
  switch (g_test_rand_int_range (0, 3))
    {
    case 0:
      return g_test_rand_int_range (1, 100);
    case 1:
      return g_test_rand_int_range (1, 1000000);
    default:
      return (VpVolume) g_test_rand_int_range (1, 100001) * 1000 -
             g_test_rand_int_range (0, 1000);
    }
}

static void
test_volume_amount_round_trip (void)
{
  guint n = g_test_thorough () ? 50000 : 5000;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      VpTariff t;
      VpVolume year_used, free_used, v;
      gboolean concession;
      VpQuote qv, qa;

      random_setup (&t, &year_used, &free_used, &concession);
      v = MIN (random_volume (), VP_TARIFF_MAX_VOLUME);

      g_assert_true (vp_tariff_quote_volume (&t, year_used, free_used, concession, v, &qv, &error));
      g_assert_no_error (error);
      g_assert_cmpint (qv.volume, ==, v);
      assert_consistent (&qv);

      if (qv.amount == 0)
        {
          /* Free or rounded down to nothing: there is no amount to pay. */
          g_assert_false (vp_tariff_quote_amount (&t, year_used, free_used, concession, 0,
                                                  &qa, &error));
          g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL);
          continue;
        }

      if (!vp_tariff_quote_amount (&t, year_used, free_used, concession, qv.amount, &qa, &error))
        {
          /* Only a purchase at the very limit can hit the volume cap. */
          g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_LARGE);
          g_assert_cmpint (v, >, VP_TARIFF_MAX_VOLUME - 1000);
          continue;
        }

      g_assert_cmpint (qa.volume, >=, v);
      g_assert_cmpint (qa.amount, ==, qv.amount);
      g_assert_cmpint (qa.leftover, ==, 0);
      assert_consistent (&qa);
    }
}

static void
test_amount_leftover (void)
{
  guint n = g_test_thorough () ? 50000 : 5000;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      VpTariff t;
      VpVolume year_used, free_used;
      gboolean concession;
      VpMoney amount;
      VpMoney max_price = 0;
      VpQuote qa, next;

      random_setup (&t, &year_used, &free_used, &concession);
      amount = g_test_rand_bit () ? g_test_rand_int_range (1, 1000)
                                  : g_test_rand_int_range (1, 10000000);
      for (guint k = 0; k < t.n_tiers; k++)
        max_price = MAX (max_price, t.tiers[k].price);

      if (!vp_tariff_quote_amount (&t, year_used, free_used, concession, amount, &qa, &error))
        {
          if (g_error_matches (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_LARGE))
            {
              /* Then the largest purchase costs less than the amount. */
              g_assert_true (vp_tariff_quote_volume (&t, year_used, free_used, concession,
                                                     VP_TARIFF_MAX_VOLUME, &next, NULL));
              g_assert_cmpint (next.amount, <=, amount);
              continue;
            }

          g_assert_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL);
          /* Then even one litre costs more than the amount. */
          g_assert_true (vp_tariff_quote_volume (&t, year_used, free_used, concession, 1,
                                                 &next, NULL));
          g_assert_cmpint (next.amount, >, amount);
          continue;
        }

      assert_consistent (&qa);
      g_assert_cmpint (qa.volume, >=, 1);
      g_assert_cmpint (qa.leftover, >=, 0);
      g_assert_cmpint (qa.amount + qa.leftover, ==, amount);

      /* One more litre would cost more than the amount, so the leftover
       * is less than the price of that litre. */
      g_assert_true (vp_tariff_quote_volume (&t, year_used, free_used, concession,
                                             qa.volume + 1, &next, &error));
      g_assert_no_error (error);
      g_assert_cmpint (next.amount, >, amount);
      g_assert_cmpint (qa.leftover, <, next.amount - qa.amount);
      g_assert_cmpint (qa.leftover, <=, max_price / 1000 + 1);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/tariff/parse-format", test_parse_format);
  g_test_add_func ("/core/tariff/validate", test_validate);
  g_test_add_func ("/core/tariff/tier-split", test_tier_split);
  g_test_add_func ("/core/tariff/rounding", test_rounding);
  g_test_add_func ("/core/tariff/concession", test_concession);
  g_test_add_func ("/core/tariff/rejects", test_rejects);
  g_test_add_func ("/core/tariff/volume-amount-round-trip", test_volume_amount_round_trip);
  g_test_add_func ("/core/tariff/amount-leftover", test_amount_leftover);

  return g_test_run ();
}
