/* test-limits.c: offline exposure caps (issue 9), in the store.
 *
 * Per transaction and per day per method, cash in the van, the age of
 * the oldest unsynced entry: just under passes, just over is refused with
 * nothing written, a supervisor's approval passes and is signed in the
 * entry. Amounts are integer fen worked out by hand.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"

/* 2026-06-15 12:00:00 UTC: the van's clock for every test here. */
#define NOW 1781524800
#define HOUR 3600

#define STR(o, m) json_object_get_string_member_with_default ((o), (m), NULL)

static void
set_now (gint64 t)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, t);

  g_setenv ("VP_FAKE_NOW", text, TRUE);
}

static VpTestEnv *
new_env (VpMoney  float_amount,
         char   **acct)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) shift = NULL;
  VpTestEnv *env;

  set_now (NOW);
  env = vp_test_env_new (0);
  *acct = vp_test_add_account (env->db, 3409200001, "唐明", "13500001111", "西园小区", "1", "1",
                               "101", VP_SERVICE_GAS, VP_METER_POSTPAID,
                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  shift = vp_shift_store_open (env->db, env->op, float_amount, &error);
  g_assert_no_error (error);
  return env;
}

static gint64
n_journal (VpTestEnv *env)
{
  return vp_test_query_int (env->db, "SELECT count (*) FROM journal");
}

static VpMoney
balance_of (VpTestEnv  *env,
            const char *number)
{
  g_autoptr(VpAccount) a = vp_test_get_account (env->db, number);

  return a->balance;
}

static VpJournalEntry *
pay (VpTestEnv       *env,
     const char      *acct,
     VpMoney          amount,
     VpPaymentMethod  method,
     const VpStaff   *approver,
     GError         **error)
{
  VpJournalEntry *e;

  vp_limits_set_approver (env->db, approver);
  e = vp_bill_store_pay (env->db, env->op, acct, amount, method,
                         method == VP_PAYMENT_CASH ? NULL : "T0001", error);
  vp_limits_set_approver (env->db, NULL);
  return e;
}

/* Passes: the next entry, no approval recorded. */
static gint64
pay_ok (VpTestEnv       *env,
        const char      *acct,
        VpMoney          amount,
        VpPaymentMethod  method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  gint64 before = n_journal (env);

  e = pay (env, acct, amount, method, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (e->seq, ==, before + 1);
  p = vp_journal_entry_parse_payload (e);
  g_assert_false (json_object_has_member (p, "limit_approved_by"));
  return e->seq;
}

/* Refused over the cap named: nothing written, the message names it. */
static void
pay_refused (VpTestEnv       *env,
             const char      *acct,
             VpMoney          amount,
             VpPaymentMethod  method,
             const char      *limit,
             const char      *figure)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  gint64 before = n_journal (env);
  VpMoney balance = balance_of (env, acct);

  e = pay (env, acct, amount, method, NULL, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, limit));
  g_assert_nonnull (strstr (error->message, figure));
  g_assert_cmpint (n_journal (env), ==, before);
  g_assert_cmpint (balance_of (env, acct), ==, balance);

  /* An operator's PIN never approves it. */
  g_clear_error (&error);
  e = pay (env, acct, amount, method, env->op, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_assert_cmpint (n_journal (env), ==, before);
}

/* A supervisor approves: written, the approval signed in the payload. */
static gint64
pay_approved (VpTestEnv       *env,
              const char      *acct,
              VpMoney          amount,
              VpPaymentMethod  method,
              const char      *limit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  gint64 before = n_journal (env);

  e = pay (env, acct, amount, method, env->sup, &error);
  g_assert_no_error (error);
  g_assert_cmpint (e->seq, ==, before + 1);
  p = vp_journal_entry_parse_payload (e);
  g_assert_cmpstr (STR (p, "limit_approved_by"), ==, "sup01");
  g_assert_cmpstr (STR (p, "limit_exceeded"), ==, limit);
  return e->seq;
}

static void
set_limit (VpTestEnv *env,
           VpLimit    limit,
           gint64     value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = vp_limits_set (env->db, env->sup, limit, value, &error);

  g_assert_no_error (error);
  g_assert_cmpint (vp_limits_get (env->db, limit), ==, value);
}

static void
test_defaults (void)
{
  g_assert_cmpint (vp_limit_default (VP_LIMIT_CASH_PER_TRANSACTION), ==, 500000);
  g_assert_cmpint (vp_limit_default (VP_LIMIT_CARD_PER_TRANSACTION), ==, 2000000);
  g_assert_cmpint (vp_limit_default (VP_LIMIT_MOBILE_PER_TRANSACTION), ==, 2000000);
  g_assert_cmpint (vp_limit_default (VP_LIMIT_CASH_PER_DAY), ==, 5000000);
  g_assert_cmpint (vp_limit_default (VP_LIMIT_CARD_PER_DAY), ==, 20000000);
  g_assert_cmpint (vp_limit_default (VP_LIMIT_MOBILE_PER_DAY), ==, 20000000);
  g_assert_cmpint (vp_limit_default (VP_LIMIT_CASH_IN_VAN), ==, 3000000);
  g_assert_cmpint (vp_limit_default (VP_LIMIT_UNSYNCED_HOURS), ==, 72);
}

static void
test_per_transaction (void)
{
  g_autofree char *acct = NULL;
  g_autoptr(VpTestEnv) env = new_env (0, &acct);

  /* ¥5,000.00 cash is the cap itself: passes; one fen more is over. */
  pay_ok (env, acct, 500000, VP_PAYMENT_CASH);
  pay_refused (env, acct, 500001, VP_PAYMENT_CASH, "cash_per_transaction", "¥5,000.01");
  pay_approved (env, acct, 500001, VP_PAYMENT_CASH, "cash_per_transaction");
  /* Card and mobile: ¥20,000.00. */
  pay_ok (env, acct, 2000000, VP_PAYMENT_CARD);
  pay_refused (env, acct, 2000001, VP_PAYMENT_CARD, "card_per_transaction", "¥20,000.01");
  pay_refused (env, acct, 2000001, VP_PAYMENT_MOBILE, "mobile_per_transaction", "¥20,000.01");
  pay_approved (env, acct, 2000001, VP_PAYMENT_MOBILE, "mobile_per_transaction");
  /* 500000 + 500001 + 2000000 + 2000001 fen of credit. */
  g_assert_cmpint (balance_of (env, acct), ==, 5000002);
}

static void
test_per_day (void)
{
  g_autofree char *acct = NULL;
  g_autoptr(VpTestEnv) env = new_env (0, &acct);
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  gint64 seq;

  /* Yesterday's ¥900.00 is not today's (local midnight between). */
  set_now (NOW - 24 * HOUR);
  pay_ok (env, acct, 90000, VP_PAYMENT_CASH);
  set_now (NOW);
  set_limit (env, VP_LIMIT_CASH_PER_DAY, 100000);   /* ¥1,000.00 a day */
  pay_ok (env, acct, 60000, VP_PAYMENT_CASH);
  /* 60000 + 40001 = 100001 > 100000. */
  pay_refused (env, acct, 40001, VP_PAYMENT_CASH, "cash_per_day", "¥1,000.01");
  seq = pay_ok (env, acct, 40000, VP_PAYMENT_CASH);  /* exactly 100000 */
  pay_refused (env, acct, 1, VP_PAYMENT_CASH, "cash_per_day", "¥1,000.01");
  /* Another method has its own day. */
  pay_ok (env, acct, 100000, VP_PAYMENT_CARD);
  /* A voided payment takes nothing: ¥400.00 free again. */
  v = vp_shift_store_void (env->db, env->sup, seq, "wrong account", &error);
  g_assert_no_error (error);
  pay_ok (env, acct, 40000, VP_PAYMENT_CASH);
  pay_refused (env, acct, 1, VP_PAYMENT_CASH, "cash_per_day", "¥1,000.01");
  pay_approved (env, acct, 1, VP_PAYMENT_CASH, "cash_per_day");
}

static void
test_cash_in_van (void)
{
  g_autofree char *acct = NULL;
  g_autoptr(VpTestEnv) env = new_env (10000, &acct);   /* ¥100.00 float */
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) drop = NULL;

  set_limit (env, VP_LIMIT_CASH_IN_VAN, 50000);        /* ¥500.00 */
  pay_ok (env, acct, 40000, VP_PAYMENT_CASH);          /* 10000 + 40000 = 50000 */
  pay_refused (env, acct, 1, VP_PAYMENT_CASH, "cash_in_van", "¥500.01");
  pay_ok (env, acct, 1, VP_PAYMENT_CARD);              /* not cash: not in the drawer */
  drop = vp_cash_store_move (env->db, env->sup, VP_CASH_DROP, 20000, "to the safe", &error);
  g_assert_no_error (error);
  pay_ok (env, acct, 20000, VP_PAYMENT_CASH);          /* 30000 + 20000 = 50000 */
  pay_refused (env, acct, 2, VP_PAYMENT_CASH, "cash_in_van", "¥500.02");
  pay_approved (env, acct, 2, VP_PAYMENT_CASH, "cash_in_van");
}

static void
test_sync_first (void)
{
  g_autofree char *acct = NULL;
  g_autoptr(VpTestEnv) env = new_env (0, &acct);   /* shift.open at NOW, unsynced */
  sqlite3 *raw;

  /* 72 hours old is not older than 72 hours. */
  set_now (NOW + 72 * HOUR);
  pay_ok (env, acct, 100, VP_PAYMENT_CASH);
  set_now (NOW + 72 * HOUR + 1);
  pay_refused (env, acct, 100, VP_PAYMENT_CASH, "unsynced_hours", "72 hours old");
  set_now (NOW + 100 * HOUR);
  pay_refused (env, acct, 100, VP_PAYMENT_CARD, "unsynced_hours", "100 hours old");
  pay_approved (env, acct, 100, VP_PAYMENT_CARD, "unsynced_hours");
  /* HQ acknowledged everything: the van may sell again. */
  raw = vp_test_raw_open (env->path);
  vp_test_raw_exec (raw, "UPDATE outbox SET state = 'acked'");
  sqlite3_close (raw);
  pay_ok (env, acct, 100, VP_PAYMENT_CASH);
}

static void
test_set (void)
{
  g_autofree char *acct = NULL;
  g_autoptr(VpTestEnv) env = new_env (0, &acct);
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  gint64 before = n_journal (env);

  e = vp_limits_set (env->db, env->op, VP_LIMIT_CASH_PER_DAY, 100, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  e = vp_limits_set (env->db, env->sup, VP_LIMIT_CASH_PER_TRANSACTION,
                     VP_MONEY_MAX_TRANSACTION + 1, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_limits_set (env->db, env->sup, VP_LIMIT_UNSYNCED_HOURS, 0, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (n_journal (env), ==, before);
  g_assert_cmpint (vp_limits_get (env->db, VP_LIMIT_UNSYNCED_HOURS), ==, 72);

  e = vp_limits_set (env->db, env->sup, VP_LIMIT_UNSYNCED_HOURS, 24, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->kind, ==, VP_KIND_LIMITS_SET);
  g_assert_cmpint (e->seq, ==, before + 1);
  p = vp_journal_entry_parse_payload (e);
  g_assert_cmpstr (STR (p, "name"), ==, "unsynced_hours");
  g_assert_cmpint (json_object_get_int_member (p, "value"), ==, 24);
  g_assert_cmpint (json_object_get_int_member (p, "previous"), ==, 72);
  g_assert_cmpstr (STR (p, "staff"), ==, "sup01");
  g_assert_cmpint (vp_limits_get (env->db, VP_LIMIT_UNSYNCED_HOURS), ==, 24);
  /* The journal still verifies with the new kind in it. */
  g_assert_true (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("TZ", "Asia/Shanghai", TRUE);
  g_test_add_func ("/limits/defaults", test_defaults);
  g_test_add_func ("/limits/per-transaction", test_per_transaction);
  g_test_add_func ("/limits/per-day", test_per_day);
  g_test_add_func ("/limits/cash-in-van", test_cash_in_van);
  g_test_add_func ("/limits/sync-first", test_sync_first);
  g_test_add_func ("/limits/set", test_set);
  return g_test_run ();
}
