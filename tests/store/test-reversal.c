/* test-reversal.c: every money-moving kind reversed by one void entry
 * (DESIGN §3 "Reversals", issue 9): the state put back, the void's
 * signed drawer amount, the shift's figures after it. Every amount is
 * worked out by hand in integer fen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vp-card-store.h"
#include "vp-test-util.h"

#define INT(o, m) json_object_get_int_member (o, m)
#define FLOAT 50000   /* ¥500.00 in the drawer at the start */

static VpJournalEntry *
ok_entry_at (VpJournalEntry *e,
             GError        **error)
{
  g_assert_no_error (*error);
  g_assert_nonnull (e);
  return e;
}
/* The error is read after the call, not before. */
#define ok_entry(call, error) ok_entry_at ((call), &(error))

static gint64
col (VpTestEnv  *env,
     const char *what,
     gint64      seq)
{
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM journal WHERE seq = %" G_GINT64_FORMAT,
                                          what, seq);
  return vp_test_query_int (env->db, sql);
}

static VpMoney
credit_of (VpTestEnv  *env,
           const char *number)
{
  g_autoptr(VpAccount) a = vp_test_get_account (env->db, number);
  return a->balance;
}

static char *
status_of (VpTestEnv  *env,
           const char *number)
{
  g_autofree char *sql = g_strdup_printf ("SELECT status FROM accounts WHERE number = '%s'", number);
  return vp_test_query_text (env->db, sql);
}

static VpMoney
expected_cash (VpTestEnv *env,
               gint64    *voids)
{
  g_autoptr(GError) error = NULL;
  g_auto(VpShiftTotals) t = { 0 };

  g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
  g_assert_no_error (error);
  if (voids)
    *voids = t.voids;
  return t.expected_cash;
}

static char *
prepaid (VpTestEnv *env,
         gint64     serial,
         VpMoney    credit)
{
  return vp_test_add_account (env->db, serial, "周建国", "13911112222", "光明社区", "3", "2", "501",
                              VP_SERVICE_GAS, VP_METER_PREPAID, VP_TARIFF_CLASS_RESIDENTIAL, credit);
}

static char *
postpaid (VpTestEnv *env,
          gint64     serial,
          VpMoney    credit)
{
  return vp_test_add_account (env->db, serial, "周建国", "13911112222", "光明社区", "3", "2", "501",
                              VP_SERVICE_GAS, VP_METER_POSTPAID, VP_TARIFF_CLASS_RESIDENTIAL, credit);
}

static void
open_shift (VpTestEnv *env)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = vp_shift_store_open (env->db, env->op, FLOAT, &error);

  ok_entry (e, error);
}

/* Voids @seq as op01 asking, sup01 approving; checks the void's payload
 * and its signed drawer column. */
static gint64
void_ok (VpTestEnv  *env,
         gint64      seq,
         const char *kind,
         VpMoney     gives_back,
         VpMoney     drawer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_autoptr(JsonObject) p = NULL;

  v = ok_entry (vp_shift_store_void_requested (env->db, env->op, env->sup, seq, "keyed wrong",
                                               &error), error);
  g_assert_cmpstr (v->kind, ==, VP_KIND_VOID);
  p = vp_journal_entry_parse_payload (v);
  g_assert_cmpint (INT (p, "voided_seq"), ==, seq);
  g_assert_cmpstr (json_object_get_string_member (p, "voided_kind"), ==, kind);
  g_assert_cmpint (INT (p, "amount"), ==, gives_back);
  g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==, "keyed wrong");
  g_assert_cmpstr (json_object_get_string_member (p, "requested_by"), ==, "op01");
  g_assert_cmpstr (json_object_get_string_member (p, "approved_by"), ==, "sup01");
  g_assert_cmpint (col (env, "amount", v->seq), ==, drawer);
  g_assert_cmpint (col (env, "voids", v->seq), ==, seq);
  return v->seq;
}

static void
void_refused (VpTestEnv *env,
              gint64     seq,
              GQuark     domain,
              gint       code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  gint64 last = vp_journal_store_last_seq (env->db);

  v = vp_shift_store_void_requested (env->db, env->op, env->sup, seq, "keyed wrong", &error);
  g_assert_null (v);
  g_assert_error (error, domain, code);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, last);
}

/* Drop ¥150.00, paid in ¥10.00, paid out ¥25.30: each void puts the
 * cash back where it was. */
static void
test_cash_movements (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpJournalEntry) drop = NULL;
  g_autoptr(VpJournalEntry) in = NULL;
  g_autoptr(VpJournalEntry) out = NULL;
  gint64 voids;

  open_shift (env);
  drop = ok_entry (vp_cash_store_move (env->db, env->sup, VP_CASH_DROP, 15000, "safe", &error), error);
  in = ok_entry (vp_cash_store_move (env->db, env->sup, VP_CASH_PAID_IN, 1000, "coins", &error), error);
  out = ok_entry (vp_cash_store_move (env->db, env->sup, VP_CASH_PAID_OUT, 2530, "fuel", &error), error);
  /* 50000 − 15000 + 1000 − 2530 */
  g_assert_cmpint (expected_cash (env, NULL), ==, 33470);

  /* The drop gave −15000 to the drawer: its void gives back −15000,
   * i.e. +15000 into the drawer. */
  void_ok (env, drop->seq, VP_KIND_CASH_DROP, -15000, 15000);
  g_assert_cmpint (expected_cash (env, &voids), ==, 48470);   /* 50000 + 1000 − 2530 */
  g_assert_cmpint (voids, ==, 1);
  void_ok (env, in->seq, VP_KIND_CASH_PAID_IN, 1000, -1000);
  g_assert_cmpint (expected_cash (env, NULL), ==, 47470);     /* 50000 − 2530 */
  void_ok (env, out->seq, VP_KIND_CASH_PAID_OUT, -2530, 2530);
  g_assert_cmpint (expected_cash (env, &voids), ==, FLOAT);
  g_assert_cmpint (voids, ==, 3);
  /* At most once. */
  void_refused (env, drop->seq, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_assert_true (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Credit ¥148.14, ¥48.14 refunded in cash: the void takes the cash back
 * and puts the credit back. */
static void
test_credit_refund (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = postpaid (env, 3409000011, 14814);
  g_autoptr(VpJournalEntry) r = NULL;

  open_shift (env);
  r = ok_entry (vp_bill_store_refund_credit (env->db, env->sup, acct, 4814, "moving away", &error),
                error);
  g_assert_cmpint (credit_of (env, acct), ==, 10000);
  g_assert_cmpint (expected_cash (env, NULL), ==, 45186);
  void_ok (env, r->seq, VP_KIND_CREDIT_REFUND, -4814, 4814);
  g_assert_cmpint (credit_of (env, acct), ==, 14814);
  g_assert_cmpint (expected_cash (env, NULL), ==, FLOAT);
}

/* Credit ¥148.14 settles a ¥100.00 bill: the void un-pays the bill and
 * puts ¥100.00 of credit back; no money crosses the desk. */
static void
test_credit_settle (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = postpaid (env, 3409000011, 14814);
  g_autoptr(VpAccount) a = vp_test_get_account (env->db, acct);
  g_autoptr(VpJournalEntry) s = NULL;
  g_autoptr(VpAccount) after = NULL;

  g_assert_true (vp_account_store_add_bill (env->db, a->id, "2026-09", 10000, &error));
  open_shift (env);
  s = ok_entry (vp_bill_store_settle_from_credit (env->db, env->op, acct, &error), error);
  g_assert_cmpint (credit_of (env, acct), ==, 4814);
  void_ok (env, s->seq, VP_KIND_CREDIT_SETTLE, 0, 0);
  after = vp_test_get_account (env->db, acct);
  g_assert_cmpint (after->balance, ==, 14814);
  g_assert_cmpint (after->arrears, ==, 10000);
  g_assert_cmpint (expected_cash (env, NULL), ==, FLOAT);
}

/* ¥40.00 moved between two accounts of one holder comes back while the
 * receiving account still holds it. */
static void
test_credit_move (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *from = postpaid (env, 3409000011, 14814);
  g_autofree char *to = postpaid (env, 3409000012, 0);
  g_autoptr(VpJournalEntry) m = NULL;
  g_autoptr(VpJournalEntry) m2 = NULL;
  g_autoptr(VpJournalEntry) r = NULL;

  open_shift (env);
  m = ok_entry (vp_account_store_move_credit (env->db, env->op, NULL, from, to, 4000, &error), error);
  g_assert_cmpint (credit_of (env, from), ==, 10814);
  g_assert_cmpint (credit_of (env, to), ==, 4000);
  void_ok (env, m->seq, VP_KIND_CREDIT_MOVE, 0, 0);
  g_assert_cmpint (credit_of (env, from), ==, 14814);
  g_assert_cmpint (credit_of (env, to), ==, 0);

  /* Moved again, then ¥10.00 of it refunded from the receiving account:
   * ¥30.00 < ¥40.00 left there, the move cannot come back. */
  m2 = ok_entry (vp_account_store_move_credit (env->db, env->op, NULL, from, to, 4000, &error), error);
  r = ok_entry (vp_bill_store_refund_credit (env->db, env->sup, to, 1000, "asked", &error), error);
  void_refused (env, m2->seq, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT);
  g_assert_cmpint (credit_of (env, from), ==, 10814);
  g_assert_cmpint (credit_of (env, to), ==, 3000);
}

/* Closing with ¥148.14 refunded in cash: the void reopens the account,
 * takes the cash back, unblocks its card. Closing into another account:
 * the credit comes back from it. */
static void
test_account_close (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = prepaid (env, 3409000011, 14814);
  g_autofree char *other = postpaid (env, 3409000012, 500);
  g_autoptr(VpAccount) a = vp_test_get_account (env->db, acct);
  g_autoptr(VpJournalEntry) c = NULL;
  g_autoptr(VpJournalEntry) c2 = NULL;
  g_autofree char *st = NULL;
  g_autofree char *st2 = NULL;

  open_shift (env);
  c = ok_entry (vp_account_store_close (env->db, env->op, env->sup, acct, NULL, &error), error);
  g_assert_cmpint (credit_of (env, acct), ==, 0);
  g_assert_true (vp_card_store_is_blocked (env->db, a->card_number));
  g_assert_cmpint (expected_cash (env, NULL), ==, 35186);   /* 50000 − 14814 */
  void_ok (env, c->seq, VP_KIND_ACCOUNT_CLOSE, -14814, 14814);
  g_assert_cmpint (credit_of (env, acct), ==, 14814);
  st = status_of (env, acct);
  g_assert_cmpstr (st, ==, "active");
  g_assert_false (vp_card_store_is_blocked (env->db, a->card_number));
  g_assert_cmpint (expected_cash (env, NULL), ==, FLOAT);

  c2 = ok_entry (vp_account_store_close (env->db, env->op, env->sup, acct, other, &error), error);
  g_assert_cmpint (credit_of (env, other), ==, 15314);
  void_ok (env, c2->seq, VP_KIND_ACCOUNT_CLOSE, 0, 0);
  g_assert_cmpint (credit_of (env, other), ==, 500);
  g_assert_cmpint (credit_of (env, acct), ==, 14814);
  st2 = status_of (env, acct);
  g_assert_cmpstr (st2, ==, "active");
  g_assert_cmpint (expected_cash (env, NULL), ==, FLOAT);
}

/* A ¥20.00 reissue fee is given back; the new card stays. A reissue
 * without a fee has nothing to reverse. */
static void
test_card_reissue (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = prepaid (env, 3409000011, 0);
  g_autoptr(VpJournalEntry) r = NULL;
  g_autoptr(VpJournalEntry) free_r = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpAccount) after = NULL;

  open_shift (env);
  r = ok_entry (vp_card_store_reissue (env->db, env->op, acct, 2000, VP_PAYMENT_CASH, NULL, "lost",
                                       &error), error);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (expected_cash (env, NULL), ==, 52000);
  void_ok (env, r->seq, VP_KIND_CARD_REISSUE, 2000, -2000);
  g_assert_cmpint (expected_cash (env, NULL), ==, FLOAT);
  after = vp_test_get_account (env->db, acct);
  g_assert_cmpstr (after->card_number, ==, a->card_number);

  free_r = ok_entry (vp_card_store_reissue (env->db, env->op, acct, 0, VP_PAYMENT_CASH, NULL, "worn",
                                            &error), error);
  void_refused (env, free_r->seq, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
}

/* Unknown entries, kinds that move nothing, an operator approving. */
static void
test_refusals (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpJournalEntry) drop = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  gint64 last;

  open_shift (env);
  drop = ok_entry (vp_cash_store_move (env->db, env->sup, VP_CASH_DROP, 15000, "safe", &error), error);
  void_refused (env, 999, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND);
  void_refused (env, 1, VP_STORE_ERROR, VP_STORE_ERROR_STATE);   /* shift.open */
  last = vp_journal_store_last_seq (env->db);
  v = vp_shift_store_void_requested (env->db, env->op, env->op, drop->seq, "x", &error);
  g_assert_null (v);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, last);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reversal/cash-movements", test_cash_movements);
  g_test_add_func ("/reversal/credit-refund", test_credit_refund);
  g_test_add_func ("/reversal/credit-settle", test_credit_settle);
  g_test_add_func ("/reversal/credit-move", test_credit_move);
  g_test_add_func ("/reversal/account-close", test_account_close);
  g_test_add_func ("/reversal/card-reissue", test_card_reissue);
  g_test_add_func ("/reversal/refusals", test_refusals);
  return g_test_run ();
}
