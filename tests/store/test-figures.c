/* test-figures.c: one set of figures (issue 9). A shift worked by hand
 * in integer fen: float, cash, card and mobile payments, a voided cash
 * payment, a card-reissue fee, a cash drop, a paid-in and a paid-out;
 * every X, Z and day-report figure asserted exactly and equal between
 * them. Cash movements and tendered cash refuse bad input and write
 * nothing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-card-store.h"
#include "vp-test-util.h"

#define INT(o, m) json_object_get_int_member (o, m)

static VpJournalEntry *
ok_entry (VpJournalEntry *e,
          GError         *error)
{
  g_assert_no_error (error);
  g_assert_nonnull (e);
  return e;
}

static gint64
last_seq (VpTestEnv *env)
{
  return vp_journal_store_last_seq (env->db);
}

/* The hand-worked shift. Returns the seq of the voided payment. */
typedef struct
{
  VpTestEnv *env;
  char      *post;
  char      *prepaid;
  gint64     open_seq;
  gint64     first_seq;   /* the ¥120.00 cash payment */
  gint64     voided_seq;  /* the ¥200.00 cash payment, voided */
  gint64     void_seq;
  gint64     last_seq;    /* the paid-out */
} Shift;

static void
work_shift (Shift *s)
{
  VpTestEnv *env = s->env;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = NULL;
  VpJournalEntry *e;

  s->post = vp_test_add_account (env->db, 3409000011, "周建国", "13911112222", "光明社区",
                                 "3", "2", "501", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                 VP_TARIFF_CLASS_RESIDENTIAL, 0);
  s->prepaid = vp_test_add_account (env->db, 3409000021, "吴敏", "13700001234", "玉兰公寓",
                                    "5", "1", "202", VP_SERVICE_GAS, VP_METER_PREPAID,
                                    VP_TARIFF_CLASS_RESIDENTIAL, 0);
  a = vp_test_get_account (env->db, s->post);
  g_assert_true (vp_account_store_add_bill (env->db, a->id, "2026-10", 30000, &error));
  g_assert_no_error (error);

  /* Float ¥500.00. */
  e = ok_entry (vp_shift_store_open (env->db, env->op, 50000, &error), error);
  s->open_seq = e->seq;
  vp_journal_entry_free (e);
  /* ¥120.00 cash, ¥200.00 tendered: ¥80.00 change. */
  e = ok_entry (vp_bill_store_pay_tendered (env->db, env->op, s->post, 12000, 20000, &error), error);
  s->first_seq = e->seq;
  {
    g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);

    g_assert_cmpint (INT (p, "amount"), ==, 12000);
    g_assert_cmpint (INT (p, "tendered"), ==, 20000);
    g_assert_cmpint (INT (p, "change"), ==, 8000);
    g_assert_cmpstr (json_object_get_string_member (p, "method"), ==, "cash");
  }
  vp_journal_entry_free (e);
  /* ¥45.50 by bank card, ¥30.75 by mobile pay. */
  e = ok_entry (vp_bill_store_pay (env->db, env->op, s->post, 4550, VP_PAYMENT_CARD, "T-0001", &error),
                error);
  vp_journal_entry_free (e);
  e = ok_entry (vp_bill_store_pay (env->db, env->op, s->post, 3075, VP_PAYMENT_MOBILE, "M-0001", &error),
                error);
  vp_journal_entry_free (e);
  /* ¥200.00 cash, then voided by the supervisor. */
  e = ok_entry (vp_bill_store_pay (env->db, env->op, s->post, 20000, VP_PAYMENT_CASH, NULL, &error), error);
  s->voided_seq = e->seq;
  vp_journal_entry_free (e);
  e = ok_entry (vp_shift_store_void (env->db, env->sup, s->voided_seq, "wrong amount", &error), error);
  s->void_seq = e->seq;
  vp_journal_entry_free (e);
  /* Lost card: ¥20.00 reissue fee in cash. */
  e = ok_entry (vp_card_store_reissue (env->db, env->op, s->prepaid, 2000, VP_PAYMENT_CASH, NULL, "lost",
                                       &error), error);
  vp_journal_entry_free (e);
  /* ¥150.00 to the safe, ¥10.00 of coins in, ¥25.30 of fuel out. */
  e = ok_entry (vp_cash_store_move (env->db, env->sup, VP_CASH_DROP, 15000, "to the safe", &error), error);
  vp_journal_entry_free (e);
  e = ok_entry (vp_cash_store_move (env->db, env->sup, VP_CASH_PAID_IN, 1000, "coins for change", &error),
                error);
  vp_journal_entry_free (e);
  e = ok_entry (vp_cash_store_move (env->db, env->sup, VP_CASH_PAID_OUT, 2530, "van fuel", &error), error);
  s->last_seq = e->seq;
  {
    g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);

    /* Before it: 50000 + 12000 + 2000 + 1000 − 15000 = 50000. */
    g_assert_cmpint (INT (p, "expected_before"), ==, 50000);
    g_assert_cmpint (INT (p, "expected_after"), ==, 47470);
    g_assert_cmpstr (json_object_get_string_member (p, "approved_by"), ==, "sup01");
    g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==, "van fuel");
  }
  vp_journal_entry_free (e);
}

static void
shift_clear (Shift *s)
{
  g_free (s->post);
  g_free (s->prepaid);
}

/* Hand-worked figures of the shift:
 *   cash in     12000 + 2000 (reissue fee)            = 14000 (the voided 20000 nowhere)
 *   card in      4550;  mobile in  3075
 *   collected   14000 + 4550 + 3075                    = 21625
 *   fee transactions: cash pay, card pay, mobile pay, reissue = 4
 *   drops 15000, paid in 1000, paid out 2530, cash refunds 0
 *   expected    50000 + 14000 + 1000 − 15000 − 2530   = 47470 */
static void
assert_totals (const VpShiftTotals *t)
{
  g_assert_cmpint (t->float_amount, ==, 50000);
  g_assert_cmpint (t->cash_in, ==, 14000);
  g_assert_cmpint (t->card_in, ==, 4550);
  g_assert_cmpint (t->mobile_in, ==, 3075);
  g_assert_cmpint (t->cash_out, ==, 0);
  g_assert_cmpint (t->drops, ==, 15000);
  g_assert_cmpint (t->paid_in, ==, 1000);
  g_assert_cmpint (t->paid_out, ==, 2530);
  g_assert_cmpint (t->expected_cash, ==, 47470);
  g_assert_cmpint (t->transactions, ==, 4);
  g_assert_cmpint (t->voids, ==, 1);
}

static void
test_one_set_of_figures (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_auto(VpShiftTotals) x = { 0 };
  g_auto(VpShiftTotals) closed = { 0 };
  g_autoptr(VpJournalEntry) z = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpReport) r = NULL;
  g_autoptr(GPtrArray) shifts = NULL;
  Shift s = { env };
  VpVoided *v;
  VpReportDay *day;
  JsonArray *arr;
  JsonObject *o;

  work_shift (&s);

  /* X */
  g_assert_true (vp_shift_store_totals (env->db, 0, &x, &error));
  g_assert_no_error (error);
  assert_totals (&x);
  g_assert_cmpint (x.figures->first_seq, ==, s.first_seq);
  g_assert_cmpint (x.figures->last_seq, ==, s.last_seq);
  g_assert_cmpint (x.figures->total.n_drops, ==, 1);
  g_assert_cmpint (x.figures->total.n_paid_in, ==, 1);
  g_assert_cmpint (x.figures->total.n_paid_out, ==, 1);
  /* The voided payment is listed with its void, counted nowhere else. */
  g_assert_cmpuint (x.figures->voided->len, ==, 1);
  v = x.figures->voided->pdata[0];
  g_assert_cmpint (v->seq, ==, s.voided_seq);
  g_assert_cmpstr (v->kind, ==, VP_KIND_PAY);
  g_assert_cmpint (v->amount, ==, 20000);
  g_assert_cmpstr (v->method, ==, "cash");
  g_assert_cmpint (v->void_seq, ==, s.void_seq);
  g_assert_cmpstr (v->reason, ==, "wrong amount");
  g_assert_cmpstr (v->approved_by, ==, "sup01");
  /* Per operator: op01 took the money, sup01 moved the cash. */
  g_assert_cmpuint (x.figures->by_staff->len, ==, 2);
  {
    VpTallyRow *op = x.figures->by_staff->pdata[0];
    VpTallyRow *sup = x.figures->by_staff->pdata[1];

    g_assert_cmpstr (op->key, ==, "op01");
    g_assert_cmpint (op->tally.transactions, ==, 4);
    g_assert_cmpint (op->tally.cash_in, ==, 14000);
    g_assert_cmpint (vp_tally_collected (&op->tally), ==, 21625);
    g_assert_cmpint (op->tally.drops, ==, 0);
    g_assert_cmpstr (sup->key, ==, "sup01");
    g_assert_cmpint (sup->tally.transactions, ==, 0);
    g_assert_cmpint (sup->tally.voids, ==, 1);
    g_assert_cmpint (sup->tally.drops, ==, 15000);
    g_assert_cmpint (vp_tally_drawer_change (&sup->tally), ==, 1000 - 15000 - 2530);
  }

  /* Report day: the same figures. */
  r = vp_report_store_build (env->db, VP_REPORT_DAY, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->fee_transactions, ==, 4);
  g_assert_cmpint (r->fee_transactions, ==, x.transactions);
  g_assert_cmpint (r->collected, ==, 21625);
  g_assert_cmpint (r->collected_cash, ==, 14000);
  g_assert_cmpint (r->collected_cash, ==, x.cash_in - x.cash_out);
  g_assert_cmpint (r->collected_card, ==, 4550);
  g_assert_cmpint (r->collected_mobile, ==, 3075);
  g_assert_cmpint (r->voids, ==, 1);
  g_assert_cmpint (r->applications, ==, 1);   /* the reissue */
  g_assert_cmpuint (r->days->len, ==, 1);
  day = r->days->pdata[0];
  g_assert_cmpint (day->transactions, ==, 4);
  g_assert_cmpint (day->collected, ==, 21625);
  g_assert_cmpint (day->tally.drops, ==, 15000);
  g_assert_cmpuint (r->figures->voided->len, ==, 1);
  g_assert_cmpint (((VpVoided *)r->figures->voided->pdata[0])->seq, ==, s.voided_seq);

  /* Z: counted ¥470.00, ¥4.70 short. */
  z = ok_entry (vp_shift_store_close (env->db, env->sup, 47000, &error), error);
  p = vp_journal_entry_parse_payload (z);
  g_assert_cmpint (INT (p, "z_number"), ==, 1);
  g_assert_cmpint (INT (p, "float"), ==, 50000);
  g_assert_cmpint (INT (p, "cash_in"), ==, x.cash_in);
  g_assert_cmpint (INT (p, "cash_out"), ==, 0);
  g_assert_cmpint (INT (p, "card_in"), ==, 4550);
  g_assert_cmpint (INT (p, "mobile_in"), ==, 3075);
  g_assert_cmpint (INT (p, "drops"), ==, 15000);
  g_assert_cmpint (INT (p, "drops_count"), ==, 1);
  g_assert_cmpint (INT (p, "paid_in"), ==, 1000);
  g_assert_cmpint (INT (p, "paid_out"), ==, 2530);
  g_assert_cmpint (INT (p, "expected_cash"), ==, 47470);
  g_assert_cmpint (INT (p, "counted"), ==, 47000);
  g_assert_cmpint (INT (p, "difference"), ==, -470);
  g_assert_cmpint (INT (p, "transactions"), ==, 4);
  g_assert_cmpint (INT (p, "voids"), ==, 1);
  g_assert_cmpint (INT (p, "voided_count"), ==, 1);
  g_assert_cmpint (INT (p, "first_seq"), ==, s.first_seq);
  g_assert_cmpint (INT (p, "last_seq"), ==, s.last_seq);
  {
    g_autofree char *suffix = g_strdup_printf ("-%06" G_GINT64_FORMAT, s.first_seq);

    g_assert_true (g_str_has_suffix (json_object_get_string_member (p, "first_receipt"), suffix));
  }
  g_assert_cmpint (INT (p, "opened_at"), >, 0);
  g_assert_cmpint (INT (p, "closed_at"), >=, INT (p, "opened_at"));
  arr = json_object_get_array_member (p, "voided");
  g_assert_cmpuint (json_array_get_length (arr), ==, 1);
  o = json_array_get_object_element (arr, 0);
  g_assert_cmpint (INT (o, "seq"), ==, s.voided_seq);
  g_assert_cmpint (INT (o, "amount"), ==, 20000);
  g_assert_cmpint (INT (o, "void_seq"), ==, s.void_seq);
  /* Cash by kind: pay 12000, reissue 2000, drop −15000, paid-in 1000,
   * paid-out −2530; the voided pay is not in it. */
  arr = json_object_get_array_member (p, "by_kind");
  g_assert_cmpuint (json_array_get_length (arr), ==, 5);
  {
    static const struct { const char *kind; gint64 count, cash; } want[] = {
      { VP_KIND_CARD_REISSUE, 1, 2000 },
      { VP_KIND_CASH_DROP, 1, -15000 },
      { VP_KIND_CASH_PAID_IN, 1, 1000 },
      { VP_KIND_CASH_PAID_OUT, 1, -2530 },
      { VP_KIND_PAY, 3, 12000 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (want); i++)
      {
        o = json_array_get_object_element (arr, i);
        g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, want[i].kind);
        g_assert_cmpint (INT (o, "count"), ==, want[i].count);
        g_assert_cmpint (INT (o, "cash"), ==, want[i].cash);
      }
  }

  /* The closed shift's totals are the Z's, and it is listed. */
  g_assert_true (vp_shift_store_totals (env->db, 1, &closed, &error));
  g_assert_no_error (error);
  assert_totals (&closed);
  g_assert_cmpint (closed.counted, ==, 47000);
  g_assert_cmpint (closed.close_seq, ==, z->seq);
  g_assert_cmpint (closed.closed_at, ==, z->device_time);
  shifts = vp_shift_store_list (env->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (shifts->len, ==, 1);
  g_assert_cmpint (((VpShiftInfo *)shifts->pdata[0])->z_number, ==, 1);
  g_assert_cmpint (((VpShiftInfo *)shifts->pdata[0])->close_seq, ==, z->seq);
  g_assert_cmpint (((VpShiftInfo *)shifts->pdata[0])->expected, ==, 47470);
  g_assert_cmpint (vp_shift_store_z_seq (env->db, 1, &error), ==, z->seq);
  g_assert_no_error (error);
  g_assert_cmpint (vp_shift_store_z_seq (env->db, 2, &error), ==, 0);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The day report after the Z: the same figures again. */
  g_clear_pointer (&r, vp_report_free);
  r = vp_report_store_build (env->db, VP_REPORT_DAY, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->fee_transactions, ==, INT (p, "transactions"));
  g_assert_cmpint (r->collected_cash, ==, INT (p, "cash_in") - INT (p, "cash_out"));

  g_assert_true (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_no_error (error);
  shift_clear (&s);
}

static void
test_cash_refusals (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *post = vp_test_add_account (env->db, 3409000011, "周建国", "13911112222", "光明社区",
                                               "3", "2", "501", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  VpJournalEntry *e;
  gint64 seq;

  /* No open shift. */
  e = vp_cash_store_move (env->db, env->sup, VP_CASH_PAID_IN, 100, "coins", &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);

  e = ok_entry (vp_shift_store_open (env->db, env->op, 10000, &error), error);
  vp_journal_entry_free (e);
  seq = last_seq (env);

  /* An operator's PIN is not an approval. */
  e = vp_cash_store_move (env->db, env->op, VP_CASH_DROP, 100, "safe", &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  /* Zero, negative, over the transaction limit. */
  e = vp_cash_store_move (env->db, env->sup, VP_CASH_PAID_IN, 0, "coins", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_cash_store_move (env->db, env->sup, VP_CASH_PAID_OUT, -100, "fuel", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_cash_store_move (env->db, env->sup, VP_CASH_PAID_IN, VP_MONEY_MAX_TRANSACTION + 1, "x", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  /* No reason, a blank reason. */
  e = vp_cash_store_move (env->db, env->sup, VP_CASH_DROP, 100, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_cash_store_move (env->db, env->sup, VP_CASH_DROP, 100, "   ", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  /* More than the ¥100.00 in the drawer. */
  e = vp_cash_store_move (env->db, env->sup, VP_CASH_DROP, 10001, "safe", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT);
  g_clear_error (&error);
  e = vp_cash_store_move (env->db, env->sup, VP_CASH_PAID_OUT, 10001, "fuel", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT);
  g_clear_error (&error);
  /* Tendered below the amount. */
  e = vp_bill_store_pay_tendered (env->db, env->op, post, 5000, 4999, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (e);
  g_assert_cmpint (last_seq (env), ==, seq);

  /* Exactly the drawer: allowed, leaving ¥0.00 expected. */
  e = ok_entry (vp_cash_store_move (env->db, env->sup, VP_CASH_DROP, 10000, "safe", &error), error);
  vp_journal_entry_free (e);
  {
    g_auto(VpShiftTotals) t = { 0 };

    g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
    g_assert_cmpint (t.expected_cash, ==, 0);
    g_assert_cmpint (t.transactions, ==, 0);
  }
}

/* The ledger rule of each cash movement, and of tendered cash. */
static void
test_ledger_rules (void)
{
  static const struct { const char *kind; const char *payload; gboolean ok; gint64 amount; VpLedgerFlow flow; } cases[] = {
    { VP_KIND_CASH_DROP, "{\"shift\":1,\"amount\":500,\"method\":\"cash\"}", TRUE, -500, VP_LEDGER_DROP },
    { VP_KIND_CASH_PAID_IN, "{\"shift\":1,\"amount\":500,\"method\":\"cash\"}", TRUE, 500, VP_LEDGER_PAID_IN },
    { VP_KIND_CASH_PAID_OUT, "{\"shift\":1,\"amount\":500,\"method\":\"cash\"}", TRUE, -500, VP_LEDGER_PAID_OUT },
    { VP_KIND_CASH_DROP, "{\"shift\":1,\"amount\":0,\"method\":\"cash\"}", FALSE, 0, 0 },
    { VP_KIND_CASH_DROP, "{\"shift\":1,\"amount\":500,\"method\":\"card\"}", FALSE, 0, 0 },
    { VP_KIND_PAY, "{\"shift\":1,\"amount\":500,\"method\":\"cash\",\"tendered\":1000,\"change\":500}",
      TRUE, 500, VP_LEDGER_SALE },
    { VP_KIND_PAY, "{\"shift\":1,\"amount\":500,\"method\":\"cash\",\"tendered\":1000,\"change\":400}",
      FALSE, 0, 0 },
    { VP_KIND_PAY, "{\"shift\":1,\"amount\":500,\"method\":\"cash\",\"tendered\":400,\"change\":0}",
      FALSE, 0, 0 },
    { VP_KIND_CARD_REISSUE, "{\"shift\":1,\"fee\":2000,\"method\":\"cash\"}", TRUE, 2000, VP_LEDGER_SALE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      VpJournalLedger l;
      gboolean ok;

      g_assert_true (json_parser_load_from_data (parser, cases[i].payload, -1, NULL));
      ok = vp_journal_ledger_from_payload (cases[i].kind, json_node_get_object (json_parser_get_root (parser)),
                                           &l, &error);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        {
          g_assert_cmpint (l.amount, ==, cases[i].amount);
          g_assert_cmpint (l.flow, ==, cases[i].flow);
          g_assert_cmpstr (l.method, ==, "cash");
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/figures/one-set", test_one_set_of_figures);
  g_test_add_func ("/figures/cash-refusals", test_cash_refusals);
  g_test_add_func ("/figures/ledger-rules", test_ledger_rules);
  return g_test_run ();
}
