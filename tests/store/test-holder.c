/* test-holder.c: change of holder settled right (DESIGN §3 "Change of
 * holder", issue 9): credit nets the arrears first, the rest is paid or
 * carried, credit left is refunded (supervisor) or carried with consent,
 * a post-paid meter's final reading is billed at the tariff, concessions
 * and flags stay with the person, and a supervisor's void restores all.
 * Every amount is worked out by hand in integer fen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"

#define INT(o, m) json_object_get_int_member (o, m)
#define STR(o, m) json_object_get_string_member_with_default (o, m, NULL)

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
  g_autofree char *sql = g_strdup_printf ("SELECT coalesce ((SELECT b.paid FROM bills b JOIN accounts a"
                                          " ON a.id = b.account_id WHERE a.number = '%s'"
                                          " AND b.period = '%s'), -1)", number, period);
  return vp_test_query_int (env->db, sql);
}

static void
exec (VpTestEnv  *env,
      const char *sql)
{
  vp_database_lock (env->db);
  g_assert_true (vp_database_exec (env->db, sql, NULL));
  vp_database_unlock (env->db);
}

static void
open_shift (VpTestEnv *env)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = vp_shift_store_open (env->db, env->op, 50000, &error);

  g_assert_no_error (error);
  g_assert_nonnull (e);
}

static VpMoney
expected_cash (VpTestEnv *env)
{
  g_autoptr(GError) error = NULL;
  g_auto(VpShiftTotals) t = { 0 };

  g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
  g_assert_no_error (error);
  return t.expected_cash;
}

static void
new_holder (VpChangeHolderRequest *r,
            const char            *number)
{
  memset (r, 0, sizeof *r);
  r->number = number;
  r->new_holder = "高志明";
  r->new_id_number = "110105198001011238";
  r->new_phone = "13812345678";
}

/* The issue's numbers: arrears ¥402.22 (¥200.00 + ¥202.22), credit
 * ¥148.14. Credit pays the oldest bill first: 200.00 of it 148.14 from
 * credit, 51.86 in cash; 202.22 in cash. Taken 402.22 − 148.14 = 254.08;
 * tendered 300.00, change 45.92. The void puts it all back. */
static void
test_issue_numbers_and_void (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000091, "林海", "13300001111", "红旗社区",
                                               "7", "1", "101", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 14814);
  g_autofree char *method = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  VpChangeHolderRequest r;
  JsonArray *bills;

  add_bill (env, acct, "2026-08", 20000);
  add_bill (env, acct, "2026-09", 20222);
  exec (env, "UPDATE accounts SET last_reading = 500000");
  open_shift (env);
  g_assert_cmpint (expected_cash (env), ==, 50000);

  new_holder (&r, acct);
  r.final_reading = 500000;           /* no use since the last reading */
  r.settle_arrears = TRUE;
  r.method = VP_PAYMENT_CASH;
  r.tendered = 30000;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_ACCOUNT_TRANSFER);
  g_assert_false (json_object_has_member (p, "final_bill"));
  g_assert_cmpint (INT (p, "arrears"), ==, 40222);
  g_assert_cmpint (INT (p, "credit_before"), ==, 14814);
  g_assert_cmpint (INT (p, "credit_applied"), ==, 14814);
  g_assert_cmpint (INT (p, "due_after_credit"), ==, 25408);
  g_assert_cmpint (INT (p, "arrears_settled"), ==, 25408);
  g_assert_cmpint (INT (p, "arrears_carried"), ==, 0);
  g_assert_cmpint (INT (p, "tendered"), ==, 30000);
  g_assert_cmpint (INT (p, "change"), ==, 4592);
  g_assert_cmpint (INT (p, "credit_refunded"), ==, 0);
  g_assert_cmpint (INT (p, "credit_carried"), ==, 0);
  g_assert_cmpint (INT (p, "credit_after"), ==, 0);
  bills = json_object_get_array_member (p, "bills");
  g_assert_cmpuint (json_array_get_length (bills), ==, 2);
  g_assert_cmpint (INT (json_array_get_object_element (bills, 0), "from_credit"), ==, 14814);
  g_assert_cmpint (INT (json_array_get_object_element (bills, 0), "paid"), ==, 20000);
  g_assert_cmpint (INT (json_array_get_object_element (bills, 1), "from_credit"), ==, 0);
  g_assert_cmpint (INT (json_array_get_object_element (bills, 1), "paid"), ==, 20222);
  g_assert_cmpint (drawer_amount (env, 2), ==, 25408);
  method = drawer_method (env, 2);
  g_assert_cmpstr (method, ==, "cash");
  g_assert_cmpint (expected_cash (env), ==, 50000 + 25408);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->arrears, ==, 0);
  g_assert_cmpint (a->balance, ==, 0);
  g_assert_cmpstr (a->holder, ==, "高志明");
  g_clear_pointer (&a, vp_account_free);

  /* A supervisor reverses the settlement: the old holder, bills and
   * credit come back and the cash goes back out. */
  v = vp_shift_store_void_requested (env->db, env->op, env->sup, 2, "wrong account", &error);
  g_assert_no_error (error);
  g_assert_nonnull (v);
  g_assert_cmpint (drawer_amount (env, 3), ==, -25408);
  g_assert_cmpint (expected_cash (env), ==, 50000);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpstr (a->holder, ==, "林海");
  g_assert_cmpstr (a->phone, ==, "13300001111");
  g_assert_cmpstr (a->id_number, ==, "11010519491231002X");
  g_assert_cmpint (a->arrears, ==, 40222);
  g_assert_cmpint (a->balance, ==, 14814);
  g_assert_cmpint (bill_paid (env, acct, "2026-08"), ==, 0);
  g_assert_cmpint (bill_paid (env, acct, "2026-09"), ==, 0);
  g_assert_true (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* A low-income post-paid account: 100 m³ since the last reading, 60 m³
 * free, 40 m³ at ¥2.98 less 10 %: 40 × 298 × 0.9 = 10 728 fen, the final
 * bill, carried. The new holder gets residential and no flags; the void
 * gives the old holder the concession, the flags and the reading back
 * and removes the final bill. */
static void
test_final_bill_concession_not_carried (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000092, "林云", "13300002222", "红旗社区",
                                               "7", "1", "102", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_LOW_INCOME, 0);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (vp_database_now () / G_USEC_PER_SEC);
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  JsonObject *fb, *nh;
  VpChangeHolderRequest r;

  exec (env, "UPDATE accounts SET last_reading = 1000000, elderly_alone = 1, needs_visit = 1");
  open_shift (env);

  /* A reading below the last one is refused; nothing is written. */
  new_holder (&r, acct);
  r.final_reading = 999999;
  r.carry_arrears = TRUE;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  /* No choice for what is due: refused. */
  r.final_reading = 1100000;
  r.carry_arrears = FALSE;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "¥107.28"));
  g_clear_error (&error);
  /* A low-income new holder needs a certificate that still runs. */
  r.carry_arrears = TRUE;
  r.set_tariff_class = TRUE;
  r.new_tariff_class = VP_TARIFF_CLASS_LOW_INCOME;
  r.new_concession_expiry = "2020-01-01";
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  expect_unchanged (env, 1);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM bills"), ==, 0);

  r.set_tariff_class = FALSE;
  r.new_concession_expiry = NULL;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_ACCOUNT_TRANSFER);
  fb = json_object_get_object_member (p, "final_bill");
  g_assert_cmpint (INT (fb, "litres"), ==, 100000);
  g_assert_cmpint (INT (fb, "free_litres"), ==, 60000);
  g_assert_cmpint (INT (fb, "amount"), ==, 10728);
  g_assert_cmpstr (STR (fb, "period"), ==, today);
  g_assert_cmpint (INT (p, "arrears"), ==, 10728);
  g_assert_cmpint (INT (p, "arrears_carried"), ==, 10728);
  g_assert_cmpint (INT (p, "arrears_settled"), ==, 0);
  g_assert_cmpint (drawer_amount (env, 2), ==, 0);
  nh = json_object_get_object_member (p, "new_holder");
  g_assert_cmpstr (STR (nh, "tariff_class"), ==, "residential");
  g_assert_false (json_object_get_boolean_member (nh, "elderly_alone"));
  g_assert_cmpstr (STR (json_object_get_object_member (p, "old_holder"), "tariff_class"), ==, "low_income");
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->tariff_class, ==, VP_TARIFF_CLASS_RESIDENTIAL);
  g_assert_null (a->concession_expiry);
  g_assert_false (a->elderly_alone);
  g_assert_false (a->needs_visit);
  g_assert_cmpint (a->arrears, ==, 10728);
  g_assert_cmpint (a->last_reading, ==, 1100000);
  g_assert_cmpint (bill_paid (env, acct, today), ==, 0);
  /* The 100 m³ billed count in this year's tiers, 60 m³ of them free. */
  g_assert_cmpint (a->tariff_year, ==, g_date_time_get_year (now));
  g_assert_cmpint (a->year_volume, ==, 100000);
  g_assert_cmpint (a->free_used, ==, 60000);
  g_assert_cmpint (INT (fb, "year_volume_before"), ==, 0);
  g_assert_cmpint (INT (fb, "year_volume_after"), ==, 100000);
  g_clear_pointer (&a, vp_account_free);

  v = vp_shift_store_void_requested (env->db, env->op, env->sup, 2, "wrong reading", &error);
  g_assert_no_error (error);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->tariff_class, ==, VP_TARIFF_CLASS_LOW_INCOME);
  g_assert_cmpstr (a->concession_expiry, ==, "2099-12-31");
  g_assert_true (a->elderly_alone);
  g_assert_true (a->needs_visit);
  g_assert_cmpint (a->arrears, ==, 0);
  g_assert_cmpint (a->last_reading, ==, 1000000);
  g_assert_cmpstr (a->holder, ==, "林云");
  g_assert_cmpint (bill_paid (env, acct, today), ==, -1);   /* the final bill is gone */
  g_assert_cmpint (a->year_volume, ==, 0);                  /* and its use in the tiers */
  g_assert_cmpint (a->free_used, ==, 0);
  g_clear_pointer (&a, vp_account_free);
  g_clear_pointer (&v, vp_journal_entry_free);

  /* With a renewed certificate for the new holder. */
  g_clear_pointer (&e, vp_journal_entry_free);
  r.set_tariff_class = TRUE;
  r.new_concession_expiry = "2099-06-30";
  r.new_elderly_alone = TRUE;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->tariff_class, ==, VP_TARIFF_CLASS_LOW_INCOME);
  g_assert_cmpstr (a->concession_expiry, ==, "2099-06-30");
  g_assert_true (a->elderly_alone);
  g_assert_false (a->needs_visit);
  g_assert_cmpint (a->arrears, ==, 10728);
}

/* Credit ¥50.00 and no bills: refunded in cash by a supervisor (the
 * drawer pays out 50.00; the void takes it back in) or carried with the
 * old holder's consent. */
static void
test_refund_and_consent (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *refund = vp_test_add_account (env->db, 3409000093, "林春", "13300003333", "红旗社区",
                                                 "7", "1", "103", VP_SERVICE_GAS, VP_METER_PREPAID,
                                                 VP_TARIFF_CLASS_RESIDENTIAL, 5000);
  g_autofree char *consent = vp_test_add_account (env->db, 3409000094, "林夏", "13300004444", "红旗社区",
                                                  "7", "1", "104", VP_SERVICE_GAS, VP_METER_PREPAID,
                                                  VP_TARIFF_CLASS_RESIDENTIAL, 5000);
  g_autofree char *method = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  VpChangeHolderRequest r;

  open_shift (env);
  new_holder (&r, refund);
  /* No choice for the credit left: refused. */
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  /* A refund with an operator's PIN alone, or an operator approving. */
  r.refund_credit = TRUE;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  r.approver = env->op;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  expect_unchanged (env, 1);

  r.approver = env->sup;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_ACCOUNT_TRANSFER);
  g_assert_cmpint (INT (p, "credit_refunded"), ==, 5000);
  g_assert_cmpint (INT (p, "credit_carried"), ==, 0);
  g_assert_cmpstr (STR (p, "refund"), ==, "cash");
  g_assert_cmpstr (STR (p, "approved_by"), ==, env->sup->id);
  g_assert_cmpint (drawer_amount (env, 2), ==, -5000);
  method = drawer_method (env, 2);
  g_assert_cmpstr (method, ==, "cash");
  g_assert_cmpint (expected_cash (env), ==, 50000 - 5000);
  a = vp_test_get_account (env->db, refund);
  g_assert_cmpint (a->balance, ==, 0);
  g_clear_pointer (&a, vp_account_free);

  v = vp_shift_store_void_requested (env->db, env->op, env->sup, 2, "refund given by mistake", &error);
  g_assert_no_error (error);
  g_assert_cmpint (drawer_amount (env, 3), ==, 5000);
  g_assert_cmpint (expected_cash (env), ==, 50000);
  a = vp_test_get_account (env->db, refund);
  g_assert_cmpint (a->balance, ==, 5000);
  g_assert_cmpstr (a->holder, ==, "林春");
  g_clear_pointer (&a, vp_account_free);
  g_assert_true (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_no_error (error);

  /* Carried with consent: no money moves. */
  g_clear_pointer (&e, vp_journal_entry_free);
  g_clear_pointer (&p, json_object_unref);
  new_holder (&r, consent);
  r.carry_credit_consent = TRUE;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 3, e, VP_KIND_ACCOUNT_TRANSFER);
  g_assert_cmpint (INT (p, "credit_carried"), ==, 5000);
  g_assert_true (json_object_get_boolean_member (p, "credit_consent"));
  g_assert_cmpint (INT (p, "credit_refunded"), ==, 0);
  g_assert_cmpint (drawer_amount (env, 4), ==, 0);
  a = vp_test_get_account (env->db, consent);
  g_assert_cmpint (a->balance, ==, 5000);
  g_assert_cmpstr (a->holder, ==, "高志明");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/holder/issue-numbers-and-void", test_issue_numbers_and_void);
  g_test_add_func ("/holder/final-bill-concession", test_final_bill_concession_not_carried);
  g_test_add_func ("/holder/refund-and-consent", test_refund_and_consent);
  return g_test_run ();
}
