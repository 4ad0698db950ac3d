/* test-credit.c: the account position (DESIGN §3, issue 9): credit
 * applied to the oldest bills in every payment, bills settled from
 * credit, credit refunded without closing, top-ups paid from credit.
 * Every amount is worked out by hand in integer fen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"

#define INT(o, m) json_object_get_int_member (o, m)

static JsonObject *
expect_entry (VpTestEnv      *env,
              gint64          before_seq,
              VpJournalEntry *e,
              const char     *kind)
{
  JsonObject *p;

  g_assert_nonnull (e);
  g_assert_cmpstr (e->kind, ==, kind);
  g_assert_cmpint (e->seq, ==, before_seq + 1);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, before_seq + 1);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM outbox"), ==, before_seq + 1);
  p = vp_journal_entry_parse_payload (e);
  g_assert_nonnull (p);
  return p;
}

static void
expect_unchanged (VpTestEnv *env,
                  gint64     seq)
{
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, seq);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM outbox"), ==, seq);
}

/* The journal's helper columns, as the ledger derived them. */
static gint64
drawer_amount (VpTestEnv *env,
               gint64     seq)
{
  g_autofree char *sql = g_strdup_printf ("SELECT amount FROM journal WHERE seq = %" G_GINT64_FORMAT, seq);
  return vp_test_query_int (env->db, sql);
}

static char *
drawer_method (VpTestEnv *env,
               gint64     seq)
{
  g_autofree char *sql = g_strdup_printf ("SELECT coalesce (method, '-') FROM journal WHERE seq = %"
                                          G_GINT64_FORMAT, seq);
  return vp_test_query_text (env->db, sql);
}

static void
add_bill (VpTestEnv  *env,
          const char *number,
          const char *period,
          VpMoney     amount)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = vp_test_get_account (env->db, number);

  g_assert_true (vp_account_store_add_bill (env->db, a->id, period, amount, &error));
  g_assert_no_error (error);
}

static gint64
bill_paid (VpTestEnv  *env,
           const char *number,
           const char *period)
{
  g_autofree char *sql = g_strdup_printf ("SELECT b.paid FROM bills b JOIN accounts a ON a.id = b.account_id"
                                          " WHERE a.number = '%s' AND b.period = '%s'", number, period);
  return vp_test_query_int (env->db, sql);
}

static JsonObject *
bill_at (JsonObject *p,
         guint       i)
{
  JsonArray *a = json_object_get_array_member (p, "bills");

  g_assert_nonnull (a);
  g_assert_cmpuint (i, <, json_array_get_length (a));
  return json_array_get_object_element (a, i);
}

static guint
n_bills (JsonObject *p)
{
  return json_array_get_length (json_object_get_array_member (p, "bills"));
}

static void
expect_position (VpTestEnv  *env,
                 const char *number,
                 VpMoney     arrears,
                 VpMoney     credit)
{
  g_autoptr(VpAccount) a = vp_test_get_account (env->db, number);

  g_assert_cmpint (a->arrears, ==, arrears);
  g_assert_cmpint (a->balance, ==, credit);
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
  g_autoptr(VpJournalEntry) e = vp_shift_store_open (env->db, env->op, 50000, &error);

  g_assert_no_error (error);
  g_assert_nonnull (e);
}

/* The account: arrears ¥402.22 (¥200.00 + ¥202.22), credit ¥148.14. */
static void
test_pay_worked_example (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *net = postpaid (env, 3409000011, 14814);
  g_autofree char *more = postpaid (env, 3409000012, 14814);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *method = NULL;
  VpPosition pos;

  add_bill (env, net, "2026-07", 20000);
  add_bill (env, net, "2026-08", 20222);
  add_bill (env, more, "2026-07", 20000);
  add_bill (env, more, "2026-08", 20222);
  open_shift (env);

  /* What the pay page shows before anything is typed. */
  g_assert_true (vp_bill_store_position (env->db, net, &pos, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pos.arrears, ==, 40222);
  g_assert_cmpint (pos.credit, ==, 14814);
  g_assert_cmpint (pos.credit_applied, ==, 14814);
  g_assert_cmpint (pos.due, ==, 25408);   /* 40222 - 14814 */
  g_assert_cmpint (pos.credit_left, ==, 0);

  /* The net ¥254.08: arrears 0 and credit 0. */
  e = vp_bill_store_pay (env->db, env->op, net, 25408, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_PAY);
  g_assert_cmpint (INT (p, "amount"), ==, 25408);
  g_assert_cmpint (INT (p, "arrears_before"), ==, 40222);
  g_assert_cmpint (INT (p, "credit_before"), ==, 14814);
  g_assert_cmpint (INT (p, "credit_applied"), ==, 14814);
  g_assert_cmpint (INT (p, "due_after_credit"), ==, 25408);
  g_assert_cmpuint (n_bills (p), ==, 2);
  /* Oldest bill: ¥148.14 from credit + ¥51.86 money = ¥200.00. */
  g_assert_cmpstr (json_object_get_string_member (bill_at (p, 0), "period"), ==, "2026-07");
  g_assert_cmpint (INT (bill_at (p, 0), "paid"), ==, 20000);
  g_assert_cmpint (INT (bill_at (p, 0), "from_credit"), ==, 14814);
  g_assert_cmpint (INT (bill_at (p, 0), "remaining"), ==, 0);
  /* Second bill: ¥202.22 all money (5186 + 20222 = 25408). */
  g_assert_cmpint (INT (bill_at (p, 1), "paid"), ==, 20222);
  g_assert_cmpint (INT (bill_at (p, 1), "from_credit"), ==, 0);
  g_assert_cmpint (INT (p, "to_credit"), ==, 0);
  g_assert_cmpint (INT (p, "arrears_after"), ==, 0);
  g_assert_cmpint (INT (p, "credit_after"), ==, 0);
  expect_position (env, net, 0, 0);
  /* The drawer counts the money only. */
  g_assert_cmpint (drawer_amount (env, e->seq), ==, 25408);
  method = drawer_method (env, e->seq);
  g_assert_cmpstr (method, ==, "cash");
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* ¥300.00: ¥45.92 more than the net becomes credit (30000 - 25408). */
  e = vp_bill_store_pay (env->db, env->op, more, 30000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 2, e, VP_KIND_PAY);
  g_assert_cmpint (INT (p, "amount"), ==, 30000);
  g_assert_cmpint (INT (p, "credit_applied"), ==, 14814);
  g_assert_cmpint (INT (p, "to_credit"), ==, 4592);
  g_assert_cmpint (INT (p, "arrears_after"), ==, 0);
  g_assert_cmpint (INT (p, "credit_after"), ==, 4592);
  expect_position (env, more, 0, 4592);
  g_assert_cmpint (drawer_amount (env, e->seq), ==, 30000);
  g_assert_cmpint (bill_paid (env, more, "2026-07"), ==, 20000);
  g_assert_cmpint (bill_paid (env, more, "2026-08"), ==, 20222);
}

/* Voiding a payment that used credit gives the credit back: the account
 * is exactly as before the payment (arrears ¥402.22, credit ¥148.14). */
static void
test_void_gives_credit_back (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = postpaid (env, 3409000031, 14814);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpJournalEntry) v = NULL;

  add_bill (env, acct, "2026-07", 20000);
  add_bill (env, acct, "2026-08", 20222);
  open_shift (env);
  e = vp_bill_store_pay (env->db, env->op, acct, 30000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  expect_position (env, acct, 0, 4592);   /* 14814 + 30000 - 40222 */
  v = vp_shift_store_void (env->db, env->sup, e->seq, "wrong account", &error);
  g_assert_no_error (error);
  expect_position (env, acct, 40222, 14814);
  g_assert_cmpint (bill_paid (env, acct, "2026-07"), ==, 0);
  g_assert_cmpint (bill_paid (env, acct, "2026-08"), ==, 0);
}

/* Credit larger than the arrears: it pays every bill; all the money
 * goes to credit. */
static void
test_pay_credit_exceeds_arrears (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = postpaid (env, 3409000021, 50000);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;

  add_bill (env, acct, "2026-09", 10000);
  add_bill (env, acct, "2026-10", 5000);
  open_shift (env);

  e = vp_bill_store_pay (env->db, env->op, acct, 2000, VP_PAYMENT_MOBILE, "WX0001", &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_PAY);
  g_assert_cmpint (INT (p, "amount"), ==, 2000);
  g_assert_cmpint (INT (p, "credit_applied"), ==, 15000);
  g_assert_cmpint (INT (p, "due_after_credit"), ==, 0);
  g_assert_cmpuint (n_bills (p), ==, 2);
  g_assert_cmpint (INT (bill_at (p, 0), "from_credit"), ==, 10000);
  g_assert_cmpint (INT (bill_at (p, 1), "from_credit"), ==, 5000);
  g_assert_cmpint (INT (p, "to_credit"), ==, 2000);
  g_assert_cmpint (INT (p, "credit_after"), ==, 37000);   /* 50000 - 15000 + 2000 */
  expect_position (env, acct, 0, 37000);
  g_assert_cmpint (drawer_amount (env, e->seq), ==, 2000);
}

/* Several bills, a credit smaller than the oldest one, a partial payment. */
static void
test_pay_partial_several_bills (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = postpaid (env, 3409000031, 3000);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;

  add_bill (env, acct, "2026-08", 10000);
  add_bill (env, acct, "2026-10", 7525);
  add_bill (env, acct, "2026-09", 5050);
  open_shift (env);

  /* ¥30.00 credit + ¥70.00 money pay 2026-08; ¥10.00 of 2026-09. */
  e = vp_bill_store_pay (env->db, env->op, acct, 8000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_PAY);
  g_assert_cmpint (INT (p, "arrears_before"), ==, 22575);
  g_assert_cmpint (INT (p, "credit_applied"), ==, 3000);
  g_assert_cmpuint (n_bills (p), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (bill_at (p, 0), "period"), ==, "2026-08");
  g_assert_cmpint (INT (bill_at (p, 0), "paid"), ==, 10000);
  g_assert_cmpint (INT (bill_at (p, 0), "from_credit"), ==, 3000);
  g_assert_cmpstr (json_object_get_string_member (bill_at (p, 1), "period"), ==, "2026-09");
  g_assert_cmpint (INT (bill_at (p, 1), "paid"), ==, 1000);
  g_assert_cmpint (INT (bill_at (p, 1), "from_credit"), ==, 0);
  g_assert_cmpint (INT (bill_at (p, 1), "remaining"), ==, 4050);
  g_assert_cmpint (INT (p, "to_credit"), ==, 0);
  g_assert_cmpint (INT (p, "arrears_after"), ==, 11575);   /* 4050 + 7525 */
  g_assert_cmpint (INT (p, "credit_after"), ==, 0);
  expect_position (env, acct, 11575, 0);
  g_assert_cmpint (bill_paid (env, acct, "2026-10"), ==, 0);
}

/* Bills paid from credit alone: credit.settle, no money in the drawer. */
static void
test_settle_from_credit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = postpaid (env, 3409000041, 50000);
  g_autofree char *poor = postpaid (env, 3409000042, 0);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *method = NULL;

  add_bill (env, acct, "2026-09", 10000);
  add_bill (env, acct, "2026-10", 5000);
  add_bill (env, poor, "2026-10", 5000);
  open_shift (env);

  e = vp_bill_store_settle_from_credit (env->db, env->op, acct, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_CREDIT_SETTLE);
  g_assert_cmpint (INT (p, "amount"), ==, 0);
  g_assert_false (json_object_has_member (p, "method"));
  g_assert_cmpint (INT (p, "credit_applied"), ==, 15000);
  g_assert_cmpint (INT (p, "to_credit"), ==, 0);
  g_assert_cmpint (INT (p, "arrears_after"), ==, 0);
  g_assert_cmpint (INT (p, "credit_after"), ==, 35000);
  expect_position (env, acct, 0, 35000);
  g_assert_cmpint (drawer_amount (env, e->seq), ==, 0);
  method = drawer_method (env, e->seq);
  g_assert_cmpstr (method, ==, "-");
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Nothing left to settle; no credit to settle with: refused, nothing written. */
  e = vp_bill_store_settle_from_credit (env->db, env->op, acct, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  e = vp_bill_store_settle_from_credit (env->db, env->op, poor, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_null (e);
  expect_unchanged (env, 2);
  expect_position (env, poor, 5000, 0);
}

static void
test_refund_credit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = postpaid (env, 3409000051, 10000);
  g_autofree char *owing = postpaid (env, 3409000052, 10000);
  g_autofree char *unknown = vp_account_number_make (3409999999);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *method = NULL;

  add_bill (env, owing, "2026-10", 2500);

  /* No open shift: no cash can leave the drawer. */
  e = vp_bill_store_refund_credit (env->db, env->sup, acct, 4000, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  expect_unchanged (env, 0);
  open_shift (env);

  /* An operator cannot refund. */
  e = vp_bill_store_refund_credit (env->db, env->op, acct, 4000, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  /* Zero, negative, over the credit, unknown account, open bills. */
  e = vp_bill_store_refund_credit (env->db, env->sup, acct, 0, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_bill_store_refund_credit (env->db, env->sup, acct, -100, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_bill_store_refund_credit (env->db, env->sup, acct, 10001, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT);
  g_clear_error (&error);
  e = vp_bill_store_refund_credit (env->db, env->sup, unknown, 100, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  e = vp_bill_store_refund_credit (env->db, env->sup, owing, 100, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_null (e);
  expect_unchanged (env, 1);
  expect_position (env, acct, 0, 10000);
  expect_position (env, owing, 2500, 10000);

  /* ¥40.00 of ¥100.00 in cash; the account stays open with ¥60.00. */
  e = vp_bill_store_refund_credit (env->db, env->sup, acct, 4000, "moving away", &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_CREDIT_REFUND);
  g_assert_cmpint (INT (p, "amount"), ==, 4000);
  g_assert_cmpstr (json_object_get_string_member (p, "method"), ==, "cash");
  g_assert_cmpint (INT (p, "credit_before"), ==, 10000);
  g_assert_cmpint (INT (p, "credit_after"), ==, 6000);
  g_assert_cmpstr (json_object_get_string_member (p, "approved_by"), ==, "sup01");
  g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==, "moving away");
  expect_position (env, acct, 0, 6000);
  g_assert_cmpint (drawer_amount (env, e->seq), ==, -4000);
  method = drawer_method (env, e->seq);
  g_assert_cmpstr (method, ==, "cash");
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM accounts WHERE status = 'closed'"),
                   ==, 0);
}

static void
test_topup_from_credit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000061, "吴敏", "13700001234", "玉兰公寓",
                                               "5", "1", "202", VP_SERVICE_GAS, VP_METER_PREPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 10000);
  VpPaymentMethod cash = VP_PAYMENT_CASH;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpJournalEntry) r = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpTopup) t = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autofree char *method = NULL;

  vp_test_set_year_volume (env->db, acct, 290000);
  open_shift (env);

  /* 20 m³ from 290 m³ = 10 m³ × ¥2.98 + 10 m³ × ¥3.57 = ¥65.50, all from
   * the ¥100.00 credit: no money, no method. */
  e = vp_topup_store_intent_full (env->db, env->op, acct, 0, 20000, TRUE, NULL, NULL, 0, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_TOPUP_INTENT);
  g_assert_cmpint (INT (p, "charged"), ==, 6550);
  g_assert_cmpint (INT (p, "amount"), ==, 0);
  g_assert_cmpint (INT (p, "credit_used"), ==, 6550);
  g_assert_cmpint (INT (p, "funds"), ==, 6550);
  g_assert_cmpint (INT (p, "credit_before"), ==, 10000);
  g_assert_cmpint (INT (p, "credit_after"), ==, 3450);
  g_assert_false (json_object_has_member (p, "method"));
  g_assert_cmpint (drawer_amount (env, e->seq), ==, 0);
  method = drawer_method (env, e->seq);
  g_assert_cmpstr (method, ==, "-");
  g_clear_pointer (&method, g_free);
  expect_position (env, acct, 0, 3450);
  /* The card gets the purchase bought with credit. */
  t = vp_topup_store_get (env->db, e->seq, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->amount, ==, 6550);
  g_assert_cmpint (t->amount - t->leftover, ==, 6550);
  g_clear_pointer (&p, json_object_unref);

  r = vp_topup_store_confirm (env->db, env->op, e->seq, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 2, r, VP_KIND_TOPUP_CONFIRM);
  g_assert_cmpint (INT (p, "amount"), ==, 0);
  g_assert_cmpint (INT (p, "credit_used"), ==, 6550);
  g_assert_cmpint (INT (p, "to_credit"), ==, 0);
  g_assert_cmpint (INT (p, "credit_after"), ==, 3450);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->balance, ==, 3450);
  g_assert_cmpint (a->card_counter, ==, 1);
  g_assert_cmpint (a->year_volume, ==, 310000);
  g_clear_pointer (&a, vp_account_free);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);
  g_clear_pointer (&r, vp_journal_entry_free);

  /* ¥100.00 by amount: credit covers ¥34.50 of it; without a method for
   * the other ¥65.50 it is refused and nothing changes. */
  e = vp_topup_store_intent_full (env->db, env->op, acct, 10000, 0, TRUE, NULL, NULL, 0, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (e);
  expect_unchanged (env, 3);
  expect_position (env, acct, 0, 3450);

  /* In part: ¥34.50 credit + ¥65.50 cash. */
  e = vp_topup_store_intent_full (env->db, env->op, acct, 10000, 0, TRUE, &cash, NULL, 0, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 3, e, VP_KIND_TOPUP_INTENT);
  g_assert_cmpint (INT (p, "amount"), ==, 6550);
  g_assert_cmpint (INT (p, "credit_used"), ==, 3450);
  g_assert_cmpint (INT (p, "funds"), ==, 10000);
  g_assert_cmpint (INT (p, "charged"), ==, 10000);
  g_assert_cmpint (INT (p, "credit_after"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (p, "method"), ==, "cash");
  g_assert_cmpint (drawer_amount (env, e->seq), ==, 6550);
  expect_position (env, acct, 0, 0);
  g_clear_pointer (&p, json_object_unref);

  /* Never reached the card (read at purchase 1 < 2): the credit used
   * comes back and the money is kept as credit: ¥100.00. */
  r = vp_topup_store_void (env->db, env->op, e->seq, 1, "card removed", &error);
  g_assert_no_error (error);
  p = expect_entry (env, 4, r, VP_KIND_TOPUP_VOID);
  g_assert_cmpint (INT (p, "amount"), ==, 6550);
  g_assert_cmpint (INT (p, "credit_used"), ==, 3450);
  g_assert_cmpint (INT (p, "to_credit"), ==, 10000);
  g_assert_cmpint (INT (p, "credit_after"), ==, 10000);
  g_assert_cmpint (drawer_amount (env, r->seq), ==, 0);
  expect_position (env, acct, 0, 10000);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Without --from-credit the credit is untouched. */
  e = vp_topup_store_intent (env->db, env->op, acct, 1000, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 5, e, VP_KIND_TOPUP_INTENT);
  g_assert_false (json_object_has_member (p, "credit_used"));
  g_assert_cmpint (INT (p, "amount"), ==, 1000);
  expect_position (env, acct, 0, 10000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/credit/pay-worked-example", test_pay_worked_example);
  g_test_add_func ("/credit/pay-credit-exceeds-arrears", test_pay_credit_exceeds_arrears);
  g_test_add_func ("/credit/void-gives-credit-back", test_void_gives_credit_back);
  g_test_add_func ("/credit/pay-partial-several-bills", test_pay_partial_several_bills);
  g_test_add_func ("/credit/settle-from-credit", test_settle_from_credit);
  g_test_add_func ("/credit/refund", test_refund_credit);
  g_test_add_func ("/credit/topup-from-credit", test_topup_from_credit);
  return g_test_run ();
}
