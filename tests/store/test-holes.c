/* test-holes.c: the small holes and approvals of issue 9, in the store.
 *
 * A second account at one address, an expired low-income certificate, an
 * ID number with a lowercase x, a top-up that buys nothing or costs
 * nothing, a top-up on a closed account, and the supervisor approvals of
 * a cash refund, a credit move to another holder and a void. Amounts are
 * integer fen worked out by hand.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"

/* 2026-06-15 12:00:00 UTC: the van's date for every test here. */
#define FAKE_NOW "1781524800"

#define INT(o, m) json_object_get_int_member ((o), (m))
#define STR(o, m) json_object_get_string_member_with_default ((o), (m), NULL)

static VpTestEnv *
new_env (void)
{
  g_setenv ("VP_FAKE_NOW", FAKE_NOW, TRUE);
  return vp_test_env_new (0);
}

static gint64
n_journal (VpTestEnv *env)
{
  return vp_test_query_int (env->db, "SELECT count (*) FROM journal");
}

static gint64
n_accounts (VpTestEnv *env)
{
  return vp_test_query_int (env->db, "SELECT count (*) FROM accounts");
}

/* The entry is the next one and its payload parses. */
static JsonObject *
entry_payload (VpTestEnv      *env,
               gint64          before,
               VpJournalEntry *e,
               const char     *kind)
{
  g_assert_nonnull (e);
  g_assert_cmpstr (e->kind, ==, kind);
  g_assert_cmpint (e->seq, ==, before + 1);
  g_assert_cmpint (n_journal (env), ==, before + 1);
  return vp_journal_entry_parse_payload (e);
}

static VpMoney
balance_of (VpTestEnv  *env,
            const char *number)
{
  g_autoptr(VpAccount) a = vp_test_get_account (env->db, number);

  return a->balance;
}

static void
set_id_number (VpTestEnv  *env,
               const char *number,
               const char *id_number)
{
  sqlite3 *raw = vp_test_raw_open (env->path);
  g_autofree char *sql = g_strdup_printf ("UPDATE accounts SET id_number = '%s' WHERE number = '%s'",
                                          id_number, number);

  vp_test_raw_exec (raw, sql);
  sqlite3_close (raw);
}

static VpOpenAccountRequest
open_request (const char *holder,
              const char *id_number)
{
  VpOpenAccountRequest r = { 0 };

  r.holder = holder;
  r.id_number = id_number;
  r.phone = "13512345678";
  r.estate = "长江花园";
  r.building = "12";
  r.unit = "3";
  r.room = "602";
  r.service = VP_SERVICE_GAS;
  r.meter = VP_METER_POSTPAID;
  r.tariff_class = VP_TARIFF_CLASS_RESIDENTIAL;
  return r;
}

static void
open_shift (VpTestEnv *env,
            VpMoney    float_amount)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = vp_shift_store_open (env->db, env->op, float_amount, &error);

  g_assert_no_error (error);
  g_assert_nonnull (e);
}

/* --- a second account at one address ----------------------------------- */

static void
test_duplicate_address (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = new_env ();
  g_autofree char *gas = vp_test_add_account (env->db, 3409000061, "黄梅", "13200001111", "长江花园",
                                              "12", "3", "602", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                              VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autofree char *closed = vp_test_add_account (env->db, 3409000062, "黄山", "13200002222", "长江花园",
                                                 "12", "3", "702", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                                 VP_TARIFF_CLASS_RESIDENTIAL, 0);
  VpOpenAccountRequest r = open_request ("孙丽华", "11010519491231002X");
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpJournalEntry) c = NULL;

  /* Same estate, building, unit, room and service: refused, naming it. */
  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, gas));
  g_clear_error (&error);
  /* Override without a supervisor, or approved by an operator: refused. */
  r.override_duplicate = TRUE;
  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  r.approver = env->op;
  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  g_assert_null (e);
  g_assert_cmpint (n_journal (env), ==, 0);
  g_assert_cmpint (n_accounts (env), ==, 2);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM outbox"), ==, 0);

  /* Water at the same address is another service: opens. */
  r = open_request ("孙丽华", "11010519491231002X");
  r.service = VP_SERVICE_WATER;
  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 0, e, VP_KIND_ACCOUNT_OPEN);
  g_assert_false (json_object_has_member (p, "approved_by"));
  g_assert_false (json_object_has_member (p, "duplicate_of"));
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* A supervisor approves the second gas account. */
  r = open_request ("孙丽华", "11010519491231002X");
  r.override_duplicate = TRUE;
  r.approver = env->sup;
  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 1, e, VP_KIND_ACCOUNT_OPEN);
  g_assert_cmpstr (STR (p, "duplicate_of"), ==, gas);
  g_assert_cmpstr (STR (p, "approved_by"), ==, "sup01");
  g_assert_cmpstr (STR (p, "staff"), ==, "op01");
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* A supervisor opening it approves it alone. */
  r = open_request ("孙丽华", "11010519491231002X");
  r.override_duplicate = TRUE;
  e = vp_account_store_open (env->db, env->sup, &r, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 2, e, VP_KIND_ACCOUNT_OPEN);
  g_assert_cmpstr (STR (p, "approved_by"), ==, "sup01");
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* A closed account leaves its address free. */
  c = vp_account_store_close (env->db, env->op, NULL, closed, NULL, &error);
  g_assert_no_error (error);
  r = open_request ("孙丽华", "11010519491231002X");
  r.room = "702";
  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 4, e, VP_KIND_ACCOUNT_OPEN);
  g_assert_false (json_object_has_member (p, "duplicate_of"));
}

/* --- the low-income certificate ----------------------------------------- */

static void
test_certificate_expiry (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = new_env ();
  VpOpenAccountRequest r = open_request ("孙丽华", "11010519491231002X");
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  const char *refused[] = { "2026-06-14", "2026-06-15", "2025-12-31", "2026-02-30", NULL };

  r.tariff_class = VP_TARIFF_CLASS_LOW_INCOME;
  /* Yesterday, today (the van's date is 2026-06-15), last year, no date. */
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      r.concession_expiry = refused[i];
      e = vp_account_store_open (env->db, env->op, &r, &error);
      g_assert_null (e);
      g_assert_nonnull (error);
      if (i < 3)
        {
          g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
          g_assert_nonnull (strstr (error->message, refused[i]));
        }
      g_clear_error (&error);
    }
  g_assert_cmpint (n_journal (env), ==, 0);
  g_assert_cmpint (n_accounts (env), ==, 0);

  g_assert_false (vp_account_store_check_certificate (env->db, "2026-06-15", NULL));
  g_assert_true (vp_account_store_check_certificate (env->db, "2026-06-16", &error));
  g_assert_no_error (error);

  /* Tomorrow: the certificate still runs. */
  r.concession_expiry = "2026-06-16";
  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 0, e, VP_KIND_ACCOUNT_OPEN);
  g_assert_cmpstr (STR (p, "concession_expiry"), ==, "2026-06-16");
  a = vp_test_get_account (env->db, "P-VAN01-000001");
  g_assert_cmpstr (a->concession_expiry, ==, "2026-06-16");

  /* A residential account needs no certificate; an old date is ignored. */
  g_clear_pointer (&e, vp_journal_entry_free);
  r = open_request ("马超", "11010519491231002X");
  r.room = "603";
  r.concession_expiry = "2020-01-01";
  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  g_assert_nonnull (e);
}

/* --- an ID number ending in a lowercase x ------------------------------- */

static void
test_id_lowercase_x (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = new_env ();
  VpOpenAccountRequest r = open_request ("孙丽华", "11010519491231002x");
  g_autofree char *norm = vp_id_number_normalize ("11010519491231002x");
  g_autofree char *same = vp_id_number_normalize ("110105194912310021");
  g_autofree char *other = vp_test_add_account (env->db, 3409000071, "黄梅", "13200001111", "天鹅湖畔",
                                                "1", "1", "101", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                                VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  VpChangeHolderRequest ch = { 0 };

  g_assert_true (vp_validate_id_number ("11010519491231002x", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (norm, ==, "11010519491231002X");
  g_assert_cmpstr (same, ==, "110105194912310021");
  /* A wrong check character is wrong in either case. */
  g_assert_false (vp_validate_id_number ("110105194912310021", NULL));
  g_assert_false (vp_validate_id_number ("11010519491231002y", NULL));

  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 0, e, VP_KIND_ACCOUNT_OPEN);
  g_assert_cmpstr (STR (p, "id_number"), ==, "11010519491231002X");
  g_assert_cmpstr (STR (p, "id_masked"), ==, "110105********002X");
  a = vp_test_get_account (env->db, "P-VAN01-000001");
  g_assert_cmpstr (a->id_number, ==, "11010519491231002X");

  /* Change of holder: the new holder's x is normalised, so the current
   * holder typed with a lowercase x is still the current holder. */
  ch.number = other;
  ch.new_holder = "高志明";
  ch.new_id_number = "11010519491231002x";
  ch.new_phone = "13812345678";
  ch.final_reading = 0;
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_account_store_change_holder (env->db, env->op, &ch, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "same ID number"));
  g_clear_error (&error);
  g_assert_cmpint (n_journal (env), ==, 1);
}

/* --- top-ups: too small, closed account ---------------------------------- */

static void
test_topup_minimum (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = new_env ();
  g_autofree char *acct = vp_test_add_account (env->db, 3409000081, "黄河", "13200003333", "天鹅湖畔",
                                               "1", "1", "103", VP_SERVICE_GAS, VP_METER_PREPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;

  open_shift (env, 10000);
  /* 1 litre at ¥2.98/m³ is 0.298 fen, which rounds to ¥0.00: refused,
   * nothing journaled, no top-up row, the card counter where it was. */
  e = vp_topup_store_intent (env->db, env->op, acct, 0, 1, VP_PAYMENT_CASH, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "¥0.01"));
  g_clear_error (&error);
  g_assert_null (e);
  g_assert_cmpint (n_journal (env), ==, 1);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM topups"), ==, 0);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->card_counter, ==, 0);
  g_clear_pointer (&a, vp_account_free);

  /* 2 litres: 0.596 fen rounds half up to 1 fen, the least a top-up costs. */
  e = vp_topup_store_intent (env->db, env->op, acct, 0, 2, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 1, e, VP_KIND_TOPUP_INTENT);
  g_assert_cmpint (INT (p, "amount"), ==, 1);
  g_assert_cmpint (INT (p, "charged"), ==, 1);
  g_assert_cmpint (INT (p, "volume"), ==, 2);
  g_assert_cmpint (INT (p, "counter"), ==, 1);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_topup_store_void (env->db, env->op, 2, 0, "test", &error);
  g_assert_no_error (error);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* By amount, ¥0.01 buys 5 litres (5 × 0.298 = 1.49 fen → 1 fen;
   * 6 litres would cost 1.788 → 2 fen). */
  e = vp_topup_store_intent (env->db, env->op, acct, 1, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 3, e, VP_KIND_TOPUP_INTENT);
  g_assert_cmpint (INT (p, "amount"), ==, 1);
  g_assert_cmpint (INT (p, "volume"), ==, 5);
  g_assert_cmpint (INT (p, "leftover"), ==, 0);
}

static void
test_topup_closed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = new_env ();
  g_autofree char *acct = vp_test_add_account (env->db, 3409000082, "黄河", "13200003333", "天鹅湖畔",
                                               "1", "1", "104", VP_SERVICE_GAS, VP_METER_PREPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) c = NULL;
  g_autoptr(VpJournalEntry) e = NULL;

  open_shift (env, 0);
  c = vp_account_store_close (env->db, env->op, NULL, acct, NULL, &error);
  g_assert_no_error (error);
  e = vp_topup_store_intent (env->db, env->op, acct, 1000, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "is closed"));
  g_assert_null (strstr (error->message, "lost"));
  g_assert_cmpint (n_journal (env), ==, 2);
}

/* --- approvals ------------------------------------------------------------ */

static void
test_approve_move_credit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = new_env ();
  g_autofree char *from = vp_test_add_account (env->db, 3409000091, "黄梅", "13200001111", "天鹅湖畔",
                                               "1", "1", "101", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 5000);
  g_autofree char *mine = vp_test_add_account (env->db, 3409000092, "黄梅", "13200001111", "绿怡居东区",
                                               "9", "2", "1201", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 100);
  g_autofree char *theirs = vp_test_add_account (env->db, 3409000093, "高志明", "13812345678", "绿怡居东区",
                                                 "9", "2", "1202", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                                 VP_TARIFF_CLASS_RESIDENTIAL, 200);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;

  set_id_number (env, theirs, "340104197505050013");

  /* Another holder: the operator alone, or an operator "approving": refused. */
  e = vp_account_store_move_credit (env->db, env->op, NULL, from, theirs, 1234, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  e = vp_account_store_move_credit (env->db, env->op, env->op, from, theirs, 1234, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  g_assert_null (e);
  g_assert_cmpint (n_journal (env), ==, 0);
  g_assert_cmpint (balance_of (env, from), ==, 5000);
  g_assert_cmpint (balance_of (env, theirs), ==, 200);

  /* Approved: 5000 − 1234 = 3766 and 200 + 1234 = 1434. */
  e = vp_account_store_move_credit (env->db, env->op, env->sup, from, theirs, 1234, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 0, e, VP_KIND_CREDIT_MOVE);
  g_assert_cmpstr (STR (p, "approved_by"), ==, "sup01");
  g_assert_cmpstr (STR (p, "staff"), ==, "op01");
  g_assert_cmpint (INT (p, "balance_after"), ==, 3766);
  g_assert_cmpint (INT (p, "to_balance_after"), ==, 1434);
  g_assert_cmpint (balance_of (env, from), ==, 3766);
  g_assert_cmpint (balance_of (env, theirs), ==, 1434);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* The same holder (same ID number): the operator alone; 3766 − 766 = 3000. */
  e = vp_account_store_move_credit (env->db, env->op, NULL, from, mine, 766, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 1, e, VP_KIND_CREDIT_MOVE);
  g_assert_false (json_object_has_member (p, "approved_by"));
  g_assert_cmpint (INT (p, "balance_after"), ==, 3000);
  g_assert_cmpint (INT (p, "to_balance_after"), ==, 866);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Closing into another holder's account moves credit between holders
   * too: refused for the operator alone, approved by the supervisor
   * signed in himself (3000 + 1434 = 4434). */
  e = vp_account_store_close (env->db, env->op, NULL, from, theirs, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  g_assert_cmpint (n_journal (env), ==, 2);
  e = vp_account_store_close (env->db, env->sup, NULL, from, theirs, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 2, e, VP_KIND_ACCOUNT_CLOSE);
  g_assert_cmpstr (STR (p, "approved_by"), ==, "sup01");
  g_assert_cmpint (INT (p, "to_balance_after"), ==, 4434);
}

static void
test_approve_cash_refund (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = new_env ();
  g_autofree char *acct = vp_test_add_account (env->db, 3409000094, "黄河", "13200003333", "天鹅湖畔",
                                               "1", "1", "103", VP_SERVICE_GAS, VP_METER_PREPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 700);
  g_autofree char *empty = vp_test_add_account (env->db, 3409000095, "黄山", "13200002222", "天鹅湖畔",
                                                "1", "1", "104", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                                VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_auto(VpShiftTotals) t = { 0 };
  g_autoptr(VpAccount) a = NULL;

  open_shift (env, 10000);
  e = vp_account_store_close (env->db, env->op, NULL, acct, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_assert_nonnull (strstr (error->message, "op01"));
  g_clear_error (&error);
  e = vp_account_store_close (env->db, env->op, env->op, acct, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  g_assert_null (e);
  g_assert_cmpint (n_journal (env), ==, 1);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->status, ==, VP_ACCOUNT_ACTIVE);
  g_assert_cmpint (a->balance, ==, 700);
  g_assert_false (vp_card_store_is_blocked (env->db, a->card_number));
  g_clear_pointer (&a, vp_account_free);

  /* Approved: ¥7.00 out of the drawer, 10000 − 700 = 9300 expected. */
  e = vp_account_store_close (env->db, env->op, env->sup, acct, NULL, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 1, e, VP_KIND_ACCOUNT_CLOSE);
  g_assert_cmpstr (STR (p, "refund"), ==, "cash");
  g_assert_cmpint (INT (p, "amount"), ==, 700);
  g_assert_cmpstr (STR (p, "approved_by"), ==, "sup01");
  g_assert_cmpstr (STR (p, "staff"), ==, "op01");
  g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
  g_assert_cmpint (t.cash_out, ==, 700);
  g_assert_cmpint (t.expected_cash, ==, 9300);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Nothing to refund: nothing to approve. */
  e = vp_account_store_close (env->db, env->op, NULL, empty, NULL, &error);
  g_assert_no_error (error);
  p = entry_payload (env, 2, e, VP_KIND_ACCOUNT_CLOSE);
  g_assert_cmpint (INT (p, "amount"), ==, 0);
  g_assert_false (json_object_has_member (p, "approved_by"));
}

static void
test_void_requested (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = new_env ();
  g_autofree char *acct = vp_test_add_account (env->db, 3409000096, "黄梅", "13200001111", "天鹅湖畔",
                                               "1", "1", "101", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) pay1 = NULL;
  g_autoptr(VpJournalEntry) pay2 = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_auto(VpShiftTotals) t = { 0 };

  open_shift (env, 10000);
  pay1 = vp_bill_store_pay (env->db, env->op, acct, 2000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  pay2 = vp_bill_store_pay (env->db, env->op, acct, 500, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);

  /* An operator cannot approve, even her own request. */
  e = vp_shift_store_void_requested (env->db, env->op, env->op, pay1->seq, "wrong account", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  e = vp_shift_store_void_requested (env->db, NULL, env->sup, pay1->seq, "wrong account", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
  g_clear_error (&error);
  g_assert_null (e);
  g_assert_cmpint (n_journal (env), ==, 3);

  e = vp_shift_store_void_requested (env->db, env->op, env->sup, pay1->seq, "wrong account", &error);
  g_assert_no_error (error);
  p = entry_payload (env, 3, e, VP_KIND_VOID);
  g_assert_cmpstr (STR (p, "requested_by"), ==, "op01");
  g_assert_cmpstr (STR (p, "approved_by"), ==, "sup01");
  g_assert_cmpint (INT (p, "amount"), ==, 2000);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* The old form: the supervisor asks and approves. */
  e = vp_shift_store_void (env->db, env->sup, pay2->seq, "typo", &error);
  g_assert_no_error (error);
  p = entry_payload (env, 4, e, VP_KIND_VOID);
  g_assert_cmpstr (STR (p, "requested_by"), ==, "sup01");
  g_assert_cmpstr (STR (p, "approved_by"), ==, "sup01");

  /* 10000 float; 2000 + 500 in, both voided: 10000 expected. */
  g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
  g_assert_cmpint (t.expected_cash, ==, 10000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/holes/duplicate-address", test_duplicate_address);
  g_test_add_func ("/holes/certificate-expiry", test_certificate_expiry);
  g_test_add_func ("/holes/id-lowercase-x", test_id_lowercase_x);
  g_test_add_func ("/holes/topup-minimum", test_topup_minimum);
  g_test_add_func ("/holes/topup-closed", test_topup_closed);
  g_test_add_func ("/holes/approve-move-credit", test_approve_move_credit);
  g_test_add_func ("/holes/approve-cash-refund", test_approve_cash_refund);
  g_test_add_func ("/holes/void-requested", test_void_requested);
  return g_test_run ();
}
