/* vp-tariff.c: tiered annual tariff (阶梯价) with concessions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "vp-money.h"
#include "vp-tariff.h"

/* The rounding rule is the contract in vp-tariff.h; HQ recomputes every
 * quote from the stored tariff version, so any change here is a protocol
 * change.
 *
 * Free allowance and the annual cumulative volume: the litres taken from
 * the concession's free allowance count toward the account's cumulative
 * volume in the tariff year, like any other litres delivered.  A quote
 * therefore places the free litres at [year_used, year_used + free) and
 * the paid litres after them, so free litres can push the paid ones into
 * a higher tier.  Callers must add the whole quote->volume (free litres
 * included) to year_used, and quote->free_litres to free_used. */

G_DEFINE_QUARK (vp-tariff-error-quark, vp_tariff_error)

/* Tier bounds in a spec are m³ with up to three decimals. */
static gboolean
parse_bound (const char *text,
             VpVolume   *out)
{
  const char *p = text;
  VpVolume v = 0;
  guint n_dec = 0;
  gboolean any = FALSE;

  for (; g_ascii_isdigit (*p); p++, any = TRUE)
    if (__builtin_mul_overflow (v, 10, &v) || __builtin_add_overflow (v, *p - '0', &v))
      return FALSE;

  if (!any)
    return FALSE;

  if (*p == '.')
    {
      for (p++; g_ascii_isdigit (*p); p++, n_dec++)
        {
          if (n_dec == 3)
            return FALSE;
          if (__builtin_mul_overflow (v, 10, &v) || __builtin_add_overflow (v, *p - '0', &v))
            return FALSE;
        }
      if (n_dec == 0)
        return FALSE;
    }

  if (*p != '\0')
    return FALSE;

  for (; n_dec < 3; n_dec++)
    if (__builtin_mul_overflow (v, 10, &v))
      return FALSE;

  *out = v;
  return TRUE;
}

static gboolean
parse_price (const char *text,
             VpMoney    *out)
{
  VpMoney v = 0;

  if (*text == '\0')
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (__builtin_mul_overflow (v, 10, &v) || __builtin_add_overflow (v, *p - '0', &v))
        return FALSE;
    }

  *out = v;
  return TRUE;
}

gboolean
vp_tariff_parse_tiers (VpTariff    *tariff,
                       const char  *spec,
                       GError     **error)
{
  g_auto(GStrv) items = NULL;
  VpTariff parsed;
  guint n_items;

  g_return_val_if_fail (tariff != NULL, FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Validate a copy so that a bad spec leaves @tariff untouched. */
  parsed = *tariff;
  memset (parsed.tiers, 0, sizeof parsed.tiers);

  items = g_strsplit (spec, ",", -1);
  n_items = g_strv_length (items);
  if (n_items == 0 || n_items > VP_TARIFF_MAX_TIERS)
    {
      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                   _("A tariff has 1 to %d tiers: “%s”"), VP_TARIFF_MAX_TIERS, spec);
      return FALSE;
    }

  for (guint i = 0; i < n_items; i++)
    {
      char *item = g_strstrip (items[i]);
      char *colon = strchr (item, ':');
      VpTariffTier *tier = &parsed.tiers[i];

      if (colon == NULL)
        goto bad_item;
      *colon = '\0';

      if (g_str_equal (g_strstrip (item), "*"))
        tier->upto = G_MAXINT64;
      else if (!parse_bound (item, &tier->upto))
        goto bad_item;

      if (!parse_price (g_strstrip (colon + 1), &tier->price))
        goto bad_item;

      continue;

    bad_item:
      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                   _("Tier %u of “%s” is not “<m³>:<fen per m³>” or “*:<fen per m³>”"),
                   i + 1, spec);
      return FALSE;
    }

  parsed.n_tiers = n_items;
  if (!vp_tariff_validate (&parsed, error))
    return FALSE;

  *tariff = parsed;
  return TRUE;
}

char *
vp_tariff_format_tiers (const VpTariff *tariff)
{
  GString *out;

  g_return_val_if_fail (tariff != NULL, NULL);
  g_return_val_if_fail (tariff->n_tiers <= VP_TARIFF_MAX_TIERS, NULL);

  out = g_string_new (NULL);
  for (guint i = 0; i < tariff->n_tiers; i++)
    {
      const VpTariffTier *tier = &tariff->tiers[i];

      if (i > 0)
        g_string_append_c (out, ',');

      if (tier->upto == G_MAXINT64)
        g_string_append_c (out, '*');
      else
        {
          VpVolume frac = tier->upto % VP_LITRES_PER_M3;

          g_string_append_printf (out, "%" G_GINT64_FORMAT, tier->upto / VP_LITRES_PER_M3);
          if (frac != 0)
            {
              char digits[8];
              gsize len;

              g_snprintf (digits, sizeof digits, "%03d", (int) frac);
              for (len = strlen (digits); digits[len - 1] == '0'; len--)
                ;
              g_string_append_c (out, '.');
              g_string_append_len (out, digits, (gssize) len);
            }
        }

      g_string_append_printf (out, ":%" G_GINT64_FORMAT, tier->price);
    }

  return g_string_free (out, FALSE);
}

gboolean
vp_tariff_validate (const VpTariff  *tariff,
                    GError         **error)
{
  g_return_val_if_fail (tariff != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (tariff->n_tiers < 1 || tariff->n_tiers > VP_TARIFF_MAX_TIERS)
    {
      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                   _("A tariff has 1 to %d tiers, not %u"),
                   VP_TARIFF_MAX_TIERS, tariff->n_tiers);
      return FALSE;
    }

  for (guint i = 0; i < tariff->n_tiers; i++)
    {
      const VpTariffTier *tier = &tariff->tiers[i];
      gboolean last = (i + 1 == tariff->n_tiers);

      if (tier->price <= 0)
        {
          g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                       _("The price of tier %u must be more than zero"), i + 1);
          return FALSE;
        }

      if (last && tier->upto != G_MAXINT64)
        {
          g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                       _("The last tier must be open-ended (“*”)"));
          return FALSE;
        }

      if (!last && tier->upto == G_MAXINT64)
        {
          g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                       _("Only the last tier may be open-ended (“*”)"));
          return FALSE;
        }

      if (tier->upto <= (i == 0 ? 0 : tariff->tiers[i - 1].upto))
        {
          g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                       _("Tier %u must end above where the previous tier ends"), i + 1);
          return FALSE;
        }
    }

  if (tariff->free_allowance < 0)
    {
      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                   _("The free allowance must not be negative"));
      return FALSE;
    }

  if (tariff->discount_permille > 1000)
    {
      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                   _("The concession discount must be between 0‰ and 1000‰, not %u‰"),
                   tariff->discount_permille);
      return FALSE;
    }

  return TRUE;
}

/* round-half-up (num / den) for num >= 0. */
static gint64
div_round_half_up (gint64 num,
                   gint64 den)
{
  gint64 q = num / den;
  gint64 r = num % den;

  /* Comparing the remainder avoids overflowing num + den / 2. */
  return r >= den - r ? q + 1 : q;
}

/* Prices one segment; FALSE on overflow. */
static gboolean
price_segment (VpVolume        litres,
               VpMoney         price,
               guint           discount_permille,
               VpQuoteSegment *seg)
{
  gint64 full;
  gint64 discounted;

  if (__builtin_mul_overflow (litres, price, &full) ||
      __builtin_mul_overflow (full, (gint64) (1000 - discount_permille), &discounted))
    return FALSE;

  seg->litres = litres;
  seg->price = price;
  seg->amount = div_round_half_up (discounted, 1000 * 1000);
  seg->discount = div_round_half_up (full, 1000) - seg->amount;

  return TRUE;
}

/* The quote itself, without the purchase size limits, so that
 * quote_amount can probe one litre past VP_TARIFF_MAX_VOLUME.  The
 * tariff and the counters have been checked by the caller. */
static gboolean
compute_quote (const VpTariff *tariff,
               VpVolume        year_used,
               VpVolume        free_used,
               gboolean        concession,
               VpVolume        volume,
               VpQuote        *out,
               GError        **error)
{
  VpVolume pos = year_used;
  VpVolume remaining = volume;
  guint discount = concession ? tariff->discount_permille : 0;

  memset (out, 0, sizeof *out);
  out->tariff_version = tariff->version;
  out->volume = volume;
  out->concession = concession;

  if (concession && free_used < tariff->free_allowance)
    {
      VpVolume free_litres = MIN (tariff->free_allowance - free_used, remaining);
      VpQuoteSegment *seg = &out->segments[out->n_segments++];

      seg->tier = -1;
      seg->litres = free_litres;
      out->free_litres = free_litres;
      remaining -= free_litres;

      /* Free litres count toward the annual cumulative volume. */
      if (__builtin_add_overflow (pos, free_litres, &pos))
        goto overflow;
    }

  for (guint i = 0; i < tariff->n_tiers && remaining > 0; i++)
    {
      const VpTariffTier *tier = &tariff->tiers[i];
      VpQuoteSegment *seg;
      VpVolume take;

      if (pos >= tier->upto)
        continue;

      take = MIN (remaining, tier->upto - pos);
      seg = &out->segments[out->n_segments++];
      seg->tier = (gint) i;
      if (!price_segment (take, tier->price, discount, seg))
        goto overflow;

      if (__builtin_add_overflow (out->amount, seg->amount, &out->amount) ||
          __builtin_add_overflow (out->discount, seg->discount, &out->discount))
        goto overflow;

      pos += take;  /* <= tier->upto, cannot overflow */
      remaining -= take;
    }

  /* The last tier is open-ended, so everything has been placed. */
  g_assert (remaining == 0);
  return TRUE;

overflow:
  g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_OVERFLOW,
               _("The quote is too large to compute"));
  return FALSE;
}

static gboolean
check_inputs (const VpTariff  *tariff,
              VpVolume         year_used,
              VpVolume         free_used,
              GError         **error)
{
  if (!vp_tariff_validate (tariff, error))
    return FALSE;

  if (year_used < 0 || free_used < 0)
    {
      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_INVALID,
                   _("The volume used this year must not be negative"));
      return FALSE;
    }

  return TRUE;
}

gboolean
vp_tariff_quote_volume (const VpTariff  *tariff,
                        VpVolume         year_used,
                        VpVolume         free_used,
                        gboolean         concession,
                        VpVolume         volume,
                        VpQuote         *out,
                        GError         **error)
{
  g_return_val_if_fail (tariff != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_inputs (tariff, year_used, free_used, error))
    return FALSE;

  if (volume <= 0)
    {
      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL,
                   _("The volume must be more than zero"));
      return FALSE;
    }

  if (volume > VP_TARIFF_MAX_VOLUME)
    {
      g_autofree char *max = vp_volume_format (VP_TARIFF_MAX_VOLUME);

      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_LARGE,
                   _("A single purchase may not exceed %s"), max);
      return FALSE;
    }

  return compute_quote (tariff, year_used, free_used, concession, volume, out, error);
}

/* Cost of @volume litres, or FALSE when it cannot be represented, which
 * for the search means "more than any amount". */
static gboolean
cost_of (const VpTariff *tariff,
         VpVolume        year_used,
         VpVolume        free_used,
         gboolean        concession,
         VpVolume        volume,
         VpMoney        *cost)
{
  VpQuote q;

  if (!compute_quote (tariff, year_used, free_used, concession, volume, &q, NULL))
    return FALSE;
  *cost = q.amount;
  return TRUE;
}

gboolean
vp_tariff_quote_amount (const VpTariff  *tariff,
                        VpVolume         year_used,
                        VpVolume         free_used,
                        gboolean         concession,
                        VpMoney          amount,
                        VpQuote         *out,
                        GError         **error)
{
  VpVolume lo, hi;
  VpMoney cost;

  g_return_val_if_fail (tariff != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_inputs (tariff, year_used, free_used, error))
    return FALSE;

  if (amount <= 0)
    {
      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL,
                   _("The amount must be more than zero"));
      return FALSE;
    }

  /* If even one litre past the limit is affordable the answer would be
   * capped and the leftover would no longer be "less than one litre". */
  if (cost_of (tariff, year_used, free_used, concession, VP_TARIFF_MAX_VOLUME + 1, &cost) &&
      cost <= amount)
    {
      g_autofree char *max = vp_volume_format (VP_TARIFF_MAX_VOLUME);
      g_autofree char *text = vp_money_format (amount);

      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_LARGE,
                   _("%s buys more than the limit of %s for a single purchase"), text, max);
      return FALSE;
    }

  /* The cost is non-decreasing in the volume (each segment's rounded
   * amount is non-decreasing in its litres, and a new segment adds a
   * non-negative amount), so bisect for the largest affordable volume.
   * Invariant: cost(lo) <= amount < cost(hi + 1). */
  lo = 0;
  hi = VP_TARIFF_MAX_VOLUME;
  while (lo < hi)
    {
      VpVolume mid = lo + (hi - lo + 1) / 2;

      if (cost_of (tariff, year_used, free_used, concession, mid, &cost) && cost <= amount)
        lo = mid;
      else
        hi = mid - 1;
    }

  if (lo == 0)
    {
      g_autofree char *text = vp_money_format (amount);

      g_set_error (error, VP_TARIFF_ERROR, VP_TARIFF_ERROR_TOO_SMALL,
                   _("%s buys less than one litre"), text);
      return FALSE;
    }

  if (!compute_quote (tariff, year_used, free_used, concession, lo, out, error))
    return FALSE;

  g_assert (out->amount <= amount);
  out->leftover = amount - out->amount;
  return TRUE;
}
