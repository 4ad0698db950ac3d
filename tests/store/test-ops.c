/* test-ops.c: every business operation of the store, with exact fen
 * values, one journal entry and one outbox row each.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"

/* Checks that op appended exactly one entry of kind, gapless after
 * before_seq, with its outbox row, and returns its parsed payload. */
static JsonObject *
expect_entry (VpTestEnv      *env,
              gint64          before_seq,
              VpJournalEntry *e,
              const char     *kind)
{
  g_autofree char *sql = NULL;
  JsonObject *p;

  g_assert_nonnull (e);
  g_assert_cmpstr (e->kind, ==, kind);
  g_assert_cmpint (e->seq, ==, before_seq + 1);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, before_seq + 1);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM journal"), ==, before_seq + 1);
  sql = g_strdup_printf ("SELECT count (*) FROM outbox WHERE seq = %" G_GINT64_FORMAT
                         " AND state = 'pending'", e->seq);
  g_assert_cmpint (vp_test_query_int (env->db, sql), ==, 1);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM outbox"), ==, before_seq + 1);
  g_assert_cmpstr (e->van_id, ==, "VAN01");
  g_assert_cmpuint (strlen (e->hash), ==, 64);
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
bill_paid (VpTestEnv  *env,
           const char *number,
           const char *period)
{
  g_autofree char *sql = g_strdup_printf ("SELECT b.paid FROM bills b JOIN accounts a ON a.id = b.account_id"
                                          " WHERE a.number = '%s' AND b.period = '%s'", number, period);
  return vp_test_query_int (env->db, sql);
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

static VpJournalEntry *
open_shift (VpTestEnv *env,
            VpMoney    float_amount)
{
  g_autoptr(GError) error = NULL;
  VpJournalEntry *e = vp_shift_store_open (env->db, env->op, float_amount, &error);

  g_assert_no_error (error);
  g_assert_nonnull (e);
  return e;
}

static JsonObject *
array_obj (JsonObject *o,
           const char *member,
           guint       i)
{
  JsonArray *a = json_object_get_array_member (o, member);

  g_assert_nonnull (a);
  g_assert_cmpuint (i, <, json_array_get_length (a));
  return json_array_get_object_element (a, i);
}

#define INT(o, m) json_object_get_int_member (o, m)

/* --- pay ------------------------------------------------------------------ */

static void
test_pay (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000011, "周建国", "13911112222", "光明社区",
                                               "3", "2", "501", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpJournalEntry) s = NULL;

  add_bill (env, acct, "2026-08", 10000);
  add_bill (env, acct, "2026-10", 7525);
  add_bill (env, acct, "2026-09", 5050);

  /* No open shift: refused. */
  e = vp_bill_store_pay (env->db, env->op, acct, 12000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  expect_unchanged (env, 0);

  s = open_shift (env, 50000);

  /* Oldest first, the second bill partly. */
  e = vp_bill_store_pay (env->db, env->op, acct, 12000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_PAY);
  g_assert_cmpint (INT (p, "amount"), ==, 12000);
  g_assert_cmpint (INT (p, "arrears_before"), ==, 22575);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (p, "bills")), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (array_obj (p, "bills", 0), "period"), ==, "2026-08");
  g_assert_cmpint (INT (array_obj (p, "bills", 0), "paid"), ==, 10000);
  g_assert_cmpint (INT (array_obj (p, "bills", 0), "remaining"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (array_obj (p, "bills", 1), "period"), ==, "2026-09");
  g_assert_cmpint (INT (array_obj (p, "bills", 1), "due"), ==, 5050);
  g_assert_cmpint (INT (array_obj (p, "bills", 1), "paid"), ==, 2000);
  g_assert_cmpint (INT (array_obj (p, "bills", 1), "remaining"), ==, 3050);
  g_assert_cmpint (INT (p, "to_credit"), ==, 0);
  g_assert_cmpint (INT (p, "arrears_after"), ==, 10575);
  g_assert_cmpint (INT (p, "credit_after"), ==, 0);
  g_assert_cmpint (bill_paid (env, acct, "2026-08"), ==, 10000);
  g_assert_cmpint (bill_paid (env, acct, "2026-09"), ==, 2000);
  g_assert_cmpint (bill_paid (env, acct, "2026-10"), ==, 0);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->arrears, ==, 10575);
  g_assert_cmpint (a->balance, ==, 0);
  g_clear_pointer (&a, vp_account_free);
  g_clear_pointer (&e, vp_journal_entry_free);
  g_clear_pointer (&p, json_object_unref);

  /* Surplus becomes credit. */
  e = vp_bill_store_pay (env->db, env->op, acct, 20000, VP_PAYMENT_MOBILE, "WX20261123001", &error);
  g_assert_no_error (error);
  p = expect_entry (env, 2, e, VP_KIND_PAY);
  g_assert_cmpstr (json_object_get_string_member (p, "method"), ==, "mobile");
  g_assert_cmpstr (json_object_get_string_member (p, "reference"), ==, "WX20261123001");
  g_assert_cmpint (INT (array_obj (p, "bills", 0), "paid"), ==, 3050);
  g_assert_cmpint (INT (array_obj (p, "bills", 1), "paid"), ==, 7525);
  g_assert_cmpint (INT (p, "to_credit"), ==, 9425);
  g_assert_cmpint (INT (p, "arrears_after"), ==, 0);
  g_assert_cmpint (INT (p, "credit_before"), ==, 0);
  g_assert_cmpint (INT (p, "credit_after"), ==, 9425);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->arrears, ==, 0);
  g_assert_cmpint (a->balance, ==, 9425);
  g_clear_pointer (&a, vp_account_free);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Bad inputs change nothing. */
  e = vp_bill_store_pay (env->db, env->op, acct, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_bill_store_pay (env->db, env->op, acct, -500, VP_PAYMENT_CASH, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_bill_store_pay (env->db, env->op, acct, VP_MONEY_MAX_TRANSACTION + 1, VP_PAYMENT_CASH, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_bill_store_pay (env->db, env->op, acct, 100, VP_PAYMENT_CARD, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_bill_store_pay (env->db, env->op, acct, 100, VP_PAYMENT_CARD, "ref; DROP TABLE x", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_bill_store_pay (env->db, env->op, "34099999998", 100, VP_PAYMENT_CASH, NULL, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);
  {
    g_autofree char *unknown = vp_account_number_make (3409999999);
    e = vp_bill_store_pay (env->db, env->op, unknown, 100, VP_PAYMENT_CASH, NULL, &error);
    g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  g_assert_null (e);
  expect_unchanged (env, 3);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->balance, ==, 9425);
}

/* --- top-up --------------------------------------------------------------- */

static void
test_topup (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000021, "吴敏", "13700001234", "玉兰公寓",
                                               "5", "1", "202", VP_SERVICE_GAS, VP_METER_PREPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autofree char *post = vp_test_add_account (env->db, 3409000022, "郑强", "13700005678", "玉兰公寓",
                                               "5", "1", "203", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) s = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpJournalEntry) r = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpTopup) t = NULL;
  gint64 intent_seq;

  vp_test_set_year_volume (env->db, acct, 290000);  /* 290 m³ of the 300 m³ first tier */
  s = open_shift (env, 0);

  /* By volume: 20 m³ from 290 m³ = 10 m³ at ¥2.98 + 10 m³ at ¥3.57. */
  e = vp_topup_store_intent (env->db, env->op, acct, 0, 20000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_TOPUP_INTENT);
  g_assert_cmpint (INT (p, "volume"), ==, 20000);
  g_assert_cmpint (INT (p, "charged"), ==, 6550);
  g_assert_cmpint (INT (p, "amount"), ==, 6550);
  g_assert_cmpint (INT (p, "counter"), ==, 1);
  g_assert_cmpint (INT (p, "tariff_version"), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (p, "tiers")), ==, 2);
  g_assert_cmpint (INT (array_obj (p, "tiers", 0), "tier"), ==, 0);
  g_assert_cmpint (INT (array_obj (p, "tiers", 0), "volume"), ==, 10000);
  g_assert_cmpint (INT (array_obj (p, "tiers", 0), "price"), ==, 298);
  g_assert_cmpint (INT (array_obj (p, "tiers", 0), "amount"), ==, 2980);
  g_assert_cmpint (INT (array_obj (p, "tiers", 1), "tier"), ==, 1);
  g_assert_cmpint (INT (array_obj (p, "tiers", 1), "volume"), ==, 10000);
  g_assert_cmpint (INT (array_obj (p, "tiers", 1), "price"), ==, 357);
  g_assert_cmpint (INT (array_obj (p, "tiers", 1), "amount"), ==, 3570);
  intent_seq = e->seq;
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* A second intent while one is pending is refused. */
  e = vp_topup_store_intent (env->db, env->op, acct, 1000, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  expect_unchanged (env, 2);
  t = vp_topup_store_get (env->db, intent_seq, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->volume, ==, 20000);
  g_assert_cmpint (t->amount, ==, 6550);
  g_assert_cmpint (t->counter, ==, 1);
  g_clear_pointer (&t, vp_topup_free);
  {
    g_autoptr(GPtrArray) pending = vp_topup_store_list_pending (env->db, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (pending->len, ==, 1);
  }

  /* A card read at the purchase's counter may hold it: no VOID. */
  r = vp_topup_store_void (env->db, env->op, intent_seq, 1, "card removed", &error);
  g_assert_null (r);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  expect_unchanged (env, 2);

  /* VOID: the card read at counter 0, never reached; the ¥65.50 becomes credit. */
  r = vp_topup_store_void (env->db, env->op, intent_seq, 0, "card removed", &error);
  g_assert_no_error (error);
  p = expect_entry (env, 2, r, VP_KIND_TOPUP_VOID);
  g_assert_cmpint (INT (p, "to_credit"), ==, 6550);
  g_assert_cmpint (INT (p, "credit_after"), ==, 6550);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&r, vp_journal_entry_free);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->balance, ==, 6550);
  g_assert_cmpint (a->year_volume, ==, 290000);
  g_assert_cmpint (a->card_counter, ==, 0);
  g_clear_pointer (&a, vp_account_free);
  /* Resolving twice is refused. */
  r = vp_topup_store_confirm (env->db, env->op, intent_seq, &error);
  g_assert_null (r);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  expect_unchanged (env, 3);

  /* By amount ¥100.00 from 290 m³: 10 m³ for ¥29.80, then 19.665 m³ for
   * ¥70.20 (19.665 × 3.57 = 70.204 → 7020 fen; 19.666 m³ would be 7021). */
  e = vp_topup_store_intent (env->db, env->op, acct, 10000, 0, VP_PAYMENT_CARD, "POS000123", &error);
  g_assert_no_error (error);
  p = expect_entry (env, 3, e, VP_KIND_TOPUP_INTENT);
  g_assert_cmpint (INT (p, "volume"), ==, 29665);
  g_assert_cmpint (INT (p, "charged"), ==, 10000);
  g_assert_cmpint (INT (p, "leftover"), ==, 0);
  g_assert_cmpint (INT (array_obj (p, "tiers", 0), "volume"), ==, 10000);
  g_assert_cmpint (INT (array_obj (p, "tiers", 0), "amount"), ==, 2980);
  g_assert_cmpint (INT (array_obj (p, "tiers", 1), "volume"), ==, 19665);
  g_assert_cmpint (INT (array_obj (p, "tiers", 1), "amount"), ==, 7020);
  intent_seq = e->seq;
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  r = vp_topup_store_confirm (env->db, env->op, intent_seq, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 4, r, VP_KIND_TOPUP_CONFIRM);
  g_assert_cmpint (INT (p, "year_volume_after"), ==, 319665);
  g_assert_cmpint (INT (p, "to_credit"), ==, 0);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&r, vp_journal_entry_free);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->year_volume, ==, 319665);
  g_assert_cmpint (a->card_counter, ==, 1);
  g_assert_cmpint (a->balance, ==, 6550);
  g_clear_pointer (&a, vp_account_free);

  /* A post-paid account has no card top-up. */
  e = vp_topup_store_intent (env->db, env->op, post, 1000, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  /* Neither or both of amount and volume. */
  e = vp_topup_store_intent (env->db, env->op, acct, 0, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_topup_store_intent (env->db, env->op, acct, 100, 100, VP_PAYMENT_CASH, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* A blocked card is refused. */
  a = vp_test_get_account (env->db, acct);
  g_assert_true (vp_card_store_block (env->db, a->card_number, "reported lost", &error));
  g_assert_no_error (error);
  g_assert_true (vp_card_store_is_blocked (env->db, a->card_number));
  e = vp_topup_store_intent (env->db, env->op, acct, 1000, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CARD_BLOCKED);
  g_clear_error (&error);
  expect_unchanged (env, 5);
}

static void
test_topup_leftover (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000031, "钱多多", "13600001234", "西园小区",
                                               "1", "1", "101", VP_SERVICE_WATER, VP_METER_PREPAID,
                                               VP_TARIFF_CLASS_COMMERCIAL, 100);
  g_autoptr(VpJournalEntry) s = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpJournalEntry) r = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  VpTariff t = { 0 };

  /* ¥50.00 per m³ = 5 fen per litre, so ¥10.03 buys 200 L and 3 fen are left. */
  t.version = 2;
  t.service = VP_SERVICE_WATER;
  t.klass = VP_TARIFF_CLASS_COMMERCIAL;
  g_assert_true (vp_tariff_parse_tiers (&t, "*:5000", &error));
  g_assert_no_error (error);
  g_assert_true (vp_tariff_store_put (env->db, &t, "2026-06-01", &error));
  g_assert_no_error (error);

  s = open_shift (env, 0);
  e = vp_topup_store_intent (env->db, env->op, acct, 1003, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_TOPUP_INTENT);
  g_assert_cmpint (INT (p, "tariff_version"), ==, 2);
  g_assert_cmpint (INT (p, "volume"), ==, 200);
  g_assert_cmpint (INT (p, "charged"), ==, 1000);
  g_assert_cmpint (INT (p, "leftover"), ==, 3);
  g_assert_cmpint (INT (p, "amount"), ==, 1003);
  g_clear_pointer (&p, json_object_unref);

  r = vp_topup_store_confirm (env->db, env->op, e->seq, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 2, r, VP_KIND_TOPUP_CONFIRM);
  g_assert_cmpint (INT (p, "to_credit"), ==, 3);
  g_assert_cmpint (INT (p, "credit_after"), ==, 103);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->balance, ==, 103);
  g_assert_cmpint (a->year_volume, ==, 200);
  g_assert_cmpint (a->card_counter, ==, 1);
}

/* --- accounts ------------------------------------------------------------- */

static VpOpenAccountRequest
open_request (const char *name,
              const char *id_number)
{
  VpOpenAccountRequest r = { 0 };

  r.holder = name;
  r.id_number = id_number;
  r.phone = "13512345678";
  r.estate = "长江花园";
  r.building = "12";
  r.unit = "3";
  r.room = "602";
  r.service = VP_SERVICE_GAS;
  r.meter = VP_METER_PREPAID;
  r.tariff_class = VP_TARIFF_CLASS_RESIDENTIAL;
  r.issue_card = TRUE;
  return r;
}

static void
test_open_account (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  VpOpenAccountRequest r = open_request ("孙丽华", "11010519491231002X");
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;

  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 0, e, VP_KIND_ACCOUNT_OPEN);
  g_assert_cmpstr (json_object_get_string_member (p, "account"), ==, "P-VAN01-000001");
  g_assert_cmpstr (json_object_get_string_member (p, "id_masked"), ==, "110105********002X");
  g_assert_cmpint (INT (p, "fee"), ==, 0);
  a = vp_test_get_account (env->db, "P-VAN01-000001");
  g_assert_cmpstr (a->holder, ==, "孙丽华");
  g_assert_cmpstr (a->holder_initials, ==, "slh");
  g_assert_cmpstr (a->address, ==, "长江花园12栋3单元602室");
  g_assert_cmpint (a->status, ==, VP_ACCOUNT_PROVISIONAL);
  g_assert_nonnull (a->card_number);
  g_assert_cmpint (a->balance, ==, 0);
  g_clear_pointer (&a, vp_account_free);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Bad input: nothing written, the provisional number not used up. */
  {
    VpOpenAccountRequest bad = open_request ("孙丽华", "110105194912310021");
    e = vp_account_store_open (env->db, env->op, &bad, &error);
    g_assert_null (e);
    g_assert_nonnull (error);
    g_clear_error (&error);
    bad = open_request ("", "11010519491231002X");
    e = vp_account_store_open (env->db, env->op, &bad, &error);
    g_assert_nonnull (error);
    g_clear_error (&error);
    bad = open_request ("孙丽华", "11010519491231002X");
    bad.fee = 5000;   /* a fee needs an open shift */
    e = vp_account_store_open (env->db, env->op, &bad, &error);
    g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
    g_clear_error (&error);
    bad = open_request ("孙丽华", "11010519491231002X");
    bad.meter = VP_METER_POSTPAID;   /* a card for a post-paid meter */
    e = vp_account_store_open (env->db, env->op, &bad, &error);
    g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_null (e);
    expect_unchanged (env, 1);
  }

  r = open_request ("马超", "11010519491231002X");
  r.issue_card = FALSE;
  r.meter = VP_METER_POSTPAID;
  r.room = "603";   /* 602 has its gas account now */
  e = vp_account_store_open (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_ACCOUNT_OPEN);
  g_assert_cmpstr (json_object_get_string_member (p, "account"), ==, "P-VAN01-000002");
  a = vp_test_get_account (env->db, "P-VAN01-000002");
  g_assert_null (a->card_number);
  g_assert_cmpint (vp_account_store_count (env->db), ==, 2);
}

static void
test_change_holder (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *settle = vp_test_add_account (env->db, 3409000041, "林海", "13300001111", "红旗社区",
                                                 "7", "1", "101", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                                 VP_TARIFF_CLASS_RESIDENTIAL, 1234);
  g_autofree char *carry = vp_test_add_account (env->db, 3409000042, "林云", "13300002222", "红旗社区",
                                                "7", "1", "102", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                                VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autofree char *card = vp_test_add_account (env->db, 3409000043, "林春", "13300003333", "红旗社区",
                                               "7", "1", "103", VP_SERVICE_GAS, VP_METER_PREPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 880);
  VpChangeHolderRequest r = { 0 };
  g_autoptr(VpJournalEntry) s = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpAccount) before = NULL;

  add_bill (env, settle, "2026-09", 3000);
  add_bill (env, settle, "2026-10", 4500);
  add_bill (env, carry, "2026-10", 2000);
  vp_database_lock (env->db);
  g_assert_true (vp_database_exec (env->db, "UPDATE accounts SET last_reading = 1000000", NULL));
  g_assert_true (vp_database_exec (env->db, "UPDATE accounts SET card_counter = 5 WHERE card_number IS NOT NULL", NULL));
  vp_database_unlock (env->db);
  s = open_shift (env, 0);

  /* Arrears settled in the same transaction. */
  r.number = settle;
  r.new_holder = "高志明";
  r.new_id_number = "110105198001011238";
  r.new_phone = "13812345678";
  r.final_reading = 1200000;
  r.settle_arrears = TRUE;
  r.method = VP_PAYMENT_CASH;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 1, e, VP_KIND_ACCOUNT_TRANSFER);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (p, "old_holder"), "name"), ==, "林海");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (p, "new_holder"), "name"), ==, "高志明");
  /* 200 m³ since the last reading at ¥2.98 (first tier): ¥596.00 final
   * bill; arrears 75.00 + 596.00 = 671.00; credit 12.34 nets them first,
   * so 658.66 is taken and no credit is left to carry. */
  g_assert_cmpint (INT (json_object_get_object_member (p, "final_bill"), "amount"), ==, 59600);
  g_assert_cmpint (INT (p, "arrears"), ==, 67100);
  g_assert_cmpint (INT (p, "credit_applied"), ==, 1234);
  g_assert_cmpint (INT (p, "arrears_settled"), ==, 65866);
  g_assert_cmpint (INT (p, "arrears_carried"), ==, 0);
  g_assert_cmpint (INT (p, "credit_carried"), ==, 0);
  g_assert_cmpint (INT (p, "final_reading"), ==, 1200000);
  a = vp_test_get_account (env->db, settle);
  g_assert_cmpstr (a->holder, ==, "高志明");
  g_assert_cmpstr (a->holder_initials, ==, "gzm");
  g_assert_cmpstr (a->phone, ==, "13812345678");
  g_assert_cmpint (a->arrears, ==, 0);
  g_assert_cmpint (a->balance, ==, 0);
  g_assert_cmpint (a->last_reading, ==, 1200000);
  g_clear_pointer (&a, vp_account_free);
  {
    g_auto(VpShiftTotals) t = { 0 };
    g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
    g_assert_cmpint (t.cash_in, ==, 65866);
  }
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Arrears carried explicitly. */
  r.number = carry;
  r.new_holder = "高志远";
  r.settle_arrears = FALSE;
  r.carry_arrears = TRUE;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 2, e, VP_KIND_ACCOUNT_TRANSFER);
  g_assert_cmpint (INT (p, "arrears_settled"), ==, 0);
  g_assert_cmpint (INT (p, "arrears_carried"), ==, 61600);
  a = vp_test_get_account (env->db, carry);
  g_assert_cmpint (a->arrears, ==, 61600);
  g_assert_cmpstr (a->holder, ==, "高志远");
  g_clear_pointer (&a, vp_account_free);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Card and credit carried. */
  before = vp_test_get_account (env->db, card);
  r.number = card;
  r.new_holder = "高志强";
  r.carry_credit_consent = TRUE;
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 3, e, VP_KIND_ACCOUNT_TRANSFER);
  g_assert_cmpstr (json_object_get_string_member (p, "card_number"), ==, before->card_number);
  g_assert_cmpint (INT (p, "card_counter"), ==, 5);
  g_assert_cmpint (INT (p, "credit_carried"), ==, 880);
  a = vp_test_get_account (env->db, card);
  g_assert_cmpstr (a->card_number, ==, before->card_number);
  g_assert_cmpint (a->card_counter, ==, 5);
  g_assert_cmpint (a->balance, ==, 880);
  g_clear_pointer (&a, vp_account_free);

  /* A reading lower than the last one is refused; so is the same holder. */
  r.number = carry;
  r.new_holder = "赵六";
  r.new_id_number = "110105194912310038";
  r.final_reading = 1199999;
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "lower"));
  g_clear_error (&error);
  r.final_reading = 1300000;
  r.new_id_number = "110105198001011238";   /* the current holder's */
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  expect_unchanged (env, 4);
  a = vp_test_get_account (env->db, carry);
  g_assert_cmpstr (a->holder, ==, "高志远");
  g_assert_cmpint (a->last_reading, ==, 1200000);
}

static void
test_move_credit_and_close (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *from = vp_test_add_account (env->db, 3409000051, "黄梅", "13200001111", "天鹅湖畔",
                                               "1", "1", "101", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 5000);
  g_autofree char *to = vp_test_add_account (env->db, 3409000052, "黄梅", "13200001111", "绿怡居东区",
                                             "9", "2", "1201", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                             VP_TARIFF_CLASS_RESIDENTIAL, 100);
  g_autofree char *owing = vp_test_add_account (env->db, 3409000053, "黄山", "13200002222", "天鹅湖畔",
                                                "1", "1", "102", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                                VP_TARIFF_CLASS_RESIDENTIAL, 300);
  g_autofree char *carded = vp_test_add_account (env->db, 3409000054, "黄河", "13200003333", "天鹅湖畔",
                                                 "1", "1", "103", VP_SERVICE_GAS, VP_METER_PREPAID,
                                                 VP_TARIFF_CLASS_RESIDENTIAL, 700);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  gint64 seq = 0;

  e = vp_account_store_move_credit (env->db, env->op, NULL, from, to, 3000, &error);
  g_assert_no_error (error);
  p = expect_entry (env, seq++, e, VP_KIND_CREDIT_MOVE);
  g_assert_cmpint (INT (p, "amount"), ==, 3000);
  g_assert_cmpint (INT (p, "balance_before"), ==, 5000);
  g_assert_cmpint (INT (p, "balance_after"), ==, 2000);
  g_assert_cmpint (INT (p, "to_balance_before"), ==, 100);
  g_assert_cmpint (INT (p, "to_balance_after"), ==, 3100);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Insufficient credit, same account, zero: refused. */
  e = vp_account_store_move_credit (env->db, env->op, NULL, from, to, 2001, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT);
  g_clear_error (&error);
  e = vp_account_store_move_credit (env->db, env->op, NULL, from, from, 100, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_account_store_move_credit (env->db, env->op, NULL, from, to, 0, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (e);
  expect_unchanged (env, seq);
  a = vp_test_get_account (env->db, from);
  g_assert_cmpint (a->balance, ==, 2000);
  g_clear_pointer (&a, vp_account_free);

  /* Close, moving the rest of the credit. */
  e = vp_account_store_close (env->db, env->op, NULL, from, to, &error);
  g_assert_no_error (error);
  p = expect_entry (env, seq++, e, VP_KIND_ACCOUNT_CLOSE);
  g_assert_cmpint (INT (p, "amount"), ==, 2000);
  g_assert_cmpint (INT (p, "balance_after"), ==, 0);
  g_assert_cmpint (INT (p, "to_balance_after"), ==, 5100);
  g_assert_cmpstr (json_object_get_string_member (p, "refund"), ==, "transfer");
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);
  a = vp_test_get_account (env->db, from);
  g_assert_cmpint (a->status, ==, VP_ACCOUNT_CLOSED);
  g_assert_cmpint (a->balance, ==, 0);
  g_clear_pointer (&a, vp_account_free);
  a = vp_test_get_account (env->db, to);
  g_assert_cmpint (a->balance, ==, 5100);
  g_clear_pointer (&a, vp_account_free);
  /* A closed account takes nothing more. */
  e = vp_account_store_move_credit (env->db, env->op, NULL, to, from, 100, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);

  /* Closing refuses arrears. */
  add_bill (env, owing, "2026-10", 999);
  e = vp_account_store_close (env->db, env->op, NULL, owing, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  /* A cash refund needs an open shift. */
  e = vp_account_store_close (env->db, env->op, NULL, carded, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_null (e);
  expect_unchanged (env, seq);

  {
    g_autoptr(VpJournalEntry) s = open_shift (env, 10000);
    g_auto(VpShiftTotals) t = { 0 };

    seq++;
    /* A cash refund: the operator's PIN alone is refused (issue 9). */
    e = vp_account_store_close (env->db, env->op, NULL, carded, NULL, &error);
    g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
    g_clear_error (&error);
    g_assert_null (e);
    expect_unchanged (env, seq);
    e = vp_account_store_close (env->db, env->op, env->sup, carded, NULL, &error);
    g_assert_no_error (error);
    p = expect_entry (env, seq++, e, VP_KIND_ACCOUNT_CLOSE);
    g_assert_cmpstr (json_object_get_string_member (p, "refund"), ==, "cash");
    g_assert_cmpstr (json_object_get_string_member (p, "approved_by"), ==, "sup01");
    g_assert_cmpstr (json_object_get_string_member (p, "staff"), ==, "op01");
    g_assert_cmpint (INT (p, "amount"), ==, 700);
    a = vp_test_get_account (env->db, carded);
    g_assert_cmpint (a->status, ==, VP_ACCOUNT_CLOSED);
    g_assert_true (vp_card_store_is_blocked (env->db, a->card_number));
    g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
    g_assert_cmpint (t.cash_out, ==, 700);
    g_assert_cmpint (t.expected_cash, ==, 10000 - 700);
  }
}

/* --- logs, trips ---------------------------------------------------------- */

static void
test_logs_and_trips (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000061, "曹秀英", "13100001111", "轴承厂宿舍",
                                               "4", "2", "302", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *current = NULL;

  e = vp_service_log_store_add (env->db, env->op, VP_LOG_CONSULTATION, acct, "billing",
                                "Asked about the tier price", FALSE, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 0, e, VP_KIND_LOG_CONSULTATION);
  g_assert_cmpstr (json_object_get_string_member (p, "account"), ==, acct);
  g_assert_cmpstr (json_object_get_string_member (p, "note"), ==, "Asked about the tier price");
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_service_log_store_add (env->db, env->op, VP_LOG_CONSULTATION, NULL, NULL,
                                "Walk-in question", FALSE, &error);
  g_assert_no_error (error);
  g_clear_pointer (&p, json_object_unref);
  p = expect_entry (env, 1, e, VP_KIND_LOG_CONSULTATION);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_service_log_store_add (env->db, env->op, VP_LOG_VISIT, acct, NULL,
                                "Checked the stove valve", TRUE, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 2, e, VP_KIND_LOG_VISIT);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM service_log"), ==, 3);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM service_log WHERE kind = 'visit'"
                                                " AND follow_up = 1"), ==, 1);

  /* A visit needs an account; a note is required. */
  e = vp_service_log_store_add (env->db, env->op, VP_LOG_VISIT, NULL, NULL, "x", FALSE, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  e = vp_service_log_store_add (env->db, env->op, VP_LOG_CONSULTATION, acct, NULL, "", FALSE, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (e);
  expect_unchanged (env, 3);

  /* Trips: one in progress at a time. */
  e = vp_trip_store_start (env->db, env->op, "光明社区", &error);
  g_assert_no_error (error);
  p = expect_entry (env, 3, e, VP_KIND_TRIP_START);
  g_assert_cmpstr (json_object_get_string_member (p, "estate"), ==, "光明社区");
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);
  current = vp_trip_store_current (env->db);
  g_assert_cmpstr (current, ==, "光明社区");
  e = vp_trip_store_start (env->db, env->op, "红旗社区", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  e = vp_trip_store_end (env->db, env->op, "红旗社区", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  expect_unchanged (env, 4);
  e = vp_trip_store_end (env->db, env->op, "光明社区", &error);
  g_assert_no_error (error);
  p = expect_entry (env, 4, e, VP_KIND_TRIP_END);
  g_clear_pointer (&e, vp_journal_entry_free);
  g_clear_pointer (&current, g_free);
  current = vp_trip_store_current (env->db);
  g_assert_null (current);
  e = vp_trip_store_end (env->db, env->op, NULL, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM trips WHERE ended_at IS NOT NULL"
                                                " AND end_seq = 5 AND start_seq = 4"), ==, 1);
}

/* --- shifts and voids ----------------------------------------------------- */

static void
test_shift_open_close (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000071, "谢军", "13000001111", "西园小区",
                                               "8", "1", "401", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_auto(VpShiftTotals) t = { 0 };

  e = vp_shift_store_open (env->db, env->op, 20000, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 0, e, VP_KIND_SHIFT_OPEN);
  g_assert_cmpint (INT (p, "float"), ==, 20000);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_shift_store_open (env->db, env->op, 100, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  e = vp_shift_store_open (env->db, env->op, -1, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);

  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_bill_store_pay (env->db, env->op, acct, 5000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_bill_store_pay (env->db, env->op, acct, 3000, VP_PAYMENT_CARD, "T1", &error);
  g_assert_no_error (error);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_bill_store_pay (env->db, env->op, acct, 1200, VP_PAYMENT_MOBILE, "M1", &error);
  g_assert_no_error (error);
  g_clear_pointer (&e, vp_journal_entry_free);
  g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
  g_assert_no_error (error);
  g_assert_true (t.open);
  g_assert_cmpint (t.float_amount, ==, 20000);
  g_assert_cmpint (t.cash_in, ==, 5000);
  g_assert_cmpint (t.card_in, ==, 3000);
  g_assert_cmpint (t.mobile_in, ==, 1200);
  g_assert_cmpint (t.expected_cash, ==, 25000);
  g_assert_cmpint (t.transactions, ==, 3);
  vp_shift_totals_clear (&t);

  /* Z 1: counted ¥3.00 short. */
  e = vp_shift_store_close (env->db, env->sup, 24700, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 4, e, VP_KIND_SHIFT_CLOSE);
  g_assert_cmpint (INT (p, "z_number"), ==, 1);
  g_assert_cmpint (INT (p, "expected_cash"), ==, 25000);
  g_assert_cmpint (INT (p, "counted"), ==, 24700);
  g_assert_cmpint (INT (p, "difference"), ==, -300);
  g_assert_cmpint (INT (p, "cash_in"), ==, 5000);
  g_assert_cmpint (INT (p, "card_in"), ==, 3000);
  g_assert_cmpint (INT (p, "transactions"), ==, 3);
  g_clear_pointer (&p, json_object_unref);
  g_clear_pointer (&e, vp_journal_entry_free);
  g_assert_cmpint (vp_shift_store_current (env->db), ==, 0);
  g_assert_true (vp_shift_store_totals (env->db, 1, &t, &error));
  g_assert_false (t.open);
  g_assert_cmpint (t.z_number, ==, 1);
  g_assert_cmpint (t.counted, ==, 24700);
  vp_shift_totals_clear (&t);
  /* Nothing to close now; a payment needs a shift again. */
  e = vp_shift_store_close (env->db, env->sup, 0, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  expect_unchanged (env, 5);

  /* Z 2 follows. */
  e = vp_shift_store_open (env->db, env->op, 0, &error);
  g_assert_no_error (error);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_shift_store_close (env->db, env->sup, 100, &error);
  g_assert_no_error (error);
  p = expect_entry (env, 6, e, VP_KIND_SHIFT_CLOSE);
  g_assert_cmpint (INT (p, "z_number"), ==, 2);
  g_assert_cmpint (INT (p, "expected_cash"), ==, 0);
  g_assert_cmpint (INT (p, "difference"), ==, 100);
}

static void
test_void (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000081, "冯秋菊", "13000002222", "长江花园",
                                               "2", "2", "202", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 150);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpJournalEntry) pay = NULL;
  g_autoptr(VpJournalEntry) old_pay = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_auto(VpShiftTotals) t = { 0 };

  add_bill (env, acct, "2026-09", 4000);
  add_bill (env, acct, "2026-10", 3000);

  /* A payment of an earlier shift. */
  e = open_shift (env, 0);
  g_clear_pointer (&e, vp_journal_entry_free);
  old_pay = vp_bill_store_pay (env->db, env->op, acct, 1000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  e = vp_shift_store_close (env->db, env->sup, 1000, &error);
  g_assert_no_error (error);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = open_shift (env, 0);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* The earlier payment took the ¥1.50 credit too (DESIGN §3): 2026-09
   * has 1150 paid, 5850 open; ¥80.00 pays it all, ¥21.50 to credit. */
  pay = vp_bill_store_pay (env->db, env->op, acct, 8000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->arrears, ==, 0);
  g_assert_cmpint (a->balance, ==, 8000 - 5850);
  g_clear_pointer (&a, vp_account_free);

  e = vp_shift_store_void (env->db, env->sup, pay->seq, "wrong account", &error);
  g_assert_no_error (error);
  p = expect_entry (env, pay->seq, e, VP_KIND_VOID);
  g_assert_cmpint (INT (p, "voided_seq"), ==, pay->seq);
  g_assert_cmpint (INT (p, "amount"), ==, 8000);
  g_assert_cmpstr (json_object_get_string_member (p, "voided_kind"), ==, VP_KIND_PAY);
  g_assert_cmpstr (json_object_get_string_member (p, "approved_by"), ==, "sup01");
  g_clear_pointer (&e, vp_journal_entry_free);
  /* Bills and credit as before the payment. */
  a = vp_test_get_account (env->db, acct);
  g_assert_cmpint (a->arrears, ==, 5850);
  g_assert_cmpint (a->balance, ==, 0);
  g_assert_cmpint (bill_paid (env, acct, "2026-09"), ==, 1150);
  g_assert_cmpint (bill_paid (env, acct, "2026-10"), ==, 0);
  g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
  g_assert_cmpint (t.voids, ==, 1);
  /* Issue 9: the voided ¥80.00 counts nowhere (not in cash in, not as
   * cash out) and is listed with its void. */
  g_assert_cmpint (t.cash_in, ==, 0);
  g_assert_cmpint (t.cash_out, ==, 0);
  g_assert_cmpint (t.transactions, ==, 0);
  g_assert_cmpint (t.expected_cash, ==, 0);
  g_assert_cmpuint (t.figures->voided->len, ==, 1);
  g_assert_cmpint (((VpVoided *)t.figures->voided->pdata[0])->seq, ==, pay->seq);
  g_assert_cmpint (((VpVoided *)t.figures->voided->pdata[0])->amount, ==, 8000);

  /* Voiding again, a payment of another shift, or a shift entry: refused. */
  e = vp_shift_store_void (env->db, env->sup, pay->seq, "again", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  e = vp_shift_store_void (env->db, env->sup, old_pay->seq, "late", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  e = vp_shift_store_void (env->db, env->sup, pay->seq - 1, "not a payment", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  e = vp_shift_store_void (env->db, env->sup, 999, "missing", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  e = vp_shift_store_void (env->db, env->sup, old_pay->seq, "", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (e);
  expect_unchanged (env, pay->seq + 1);
}

/* --- reports -------------------------------------------------------------- */

static void
test_report_counts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409000091, "邓华", "13000003333", "光明社区",
                                               "1", "1", "101", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpReport) r = NULL;
  g_autoptr(VpJournalEntry) pay = NULL;
  VpOpenAccountRequest req = open_request ("彭丽", "11010519491231002X");
  VpJournalEntry *e;

  req.fee = 5000;
  req.method = VP_PAYMENT_CASH;

#define OK(expr) G_STMT_START { e = (expr); g_assert_no_error (error); g_assert_nonnull (e); \
                                vp_journal_entry_free (e); } G_STMT_END
  OK (vp_shift_store_open (env->db, env->op, 10000, &error));
  OK (vp_trip_store_start (env->db, env->op, "光明社区", &error));
  OK (vp_service_log_store_add (env->db, env->op, VP_LOG_CONSULTATION, acct, NULL, "tiers", FALSE, &error));
  OK (vp_service_log_store_add (env->db, env->op, VP_LOG_CONSULTATION, NULL, NULL, "hours", FALSE, &error));
  OK (vp_service_log_store_add (env->db, env->op, VP_LOG_VISIT, acct, NULL, "visit", FALSE, &error));
  OK (vp_service_log_store_add (env->db, env->op, VP_LOG_COMPLAINT, acct, NULL, "queue", TRUE, &error));
  OK (vp_bill_store_pay (env->db, env->op, acct, 2500, VP_PAYMENT_CASH, NULL, &error));
  OK (vp_bill_store_pay (env->db, env->op, acct, 1500, VP_PAYMENT_CARD, "C9", &error));
  pay = vp_bill_store_pay (env->db, env->op, acct, 700, VP_PAYMENT_MOBILE, "M9", &error);
  g_assert_no_error (error);
  OK (vp_shift_store_void (env->db, env->sup, pay->seq, "double", &error));
  OK (vp_account_store_open (env->db, env->op, &req, &error));
  OK (vp_trip_store_end (env->db, env->op, NULL, &error));
  OK (vp_trip_store_start (env->db, env->op, "红旗社区", &error));
#undef OK

  r = vp_report_store_build (env->db, VP_REPORT_DAY, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->trips, ==, 2);
  g_assert_cmpint (r->consultations, ==, 2);
  g_assert_cmpint (r->home_visits, ==, 1);
  g_assert_cmpint (r->complaints, ==, 1);
  g_assert_cmpint (r->voids, ==, 1);
  /* Two payments kept (the third was voided) and the opening fee. */
  g_assert_cmpint (r->fee_transactions, ==, 3);
  g_assert_cmpint (r->applications, ==, 1);
  g_assert_cmpint (r->collected, ==, 2500 + 1500 + 5000);
  g_assert_cmpint (r->collected_cash, ==, 2500 + 5000);
  g_assert_cmpint (r->collected_card, ==, 1500);
  g_assert_cmpint (r->collected_mobile, ==, 0);
  g_assert_cmpuint (r->days->len, ==, 1);
  g_clear_pointer (&r, vp_report_free);

  /* Month and year contain the day; another year is empty. */
  r = vp_report_store_build (env->db, VP_REPORT_YEAR, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->trips, ==, 2);
  g_assert_cmpint (r->fee_transactions, ==, 3);
  g_clear_pointer (&r, vp_report_free);
  r = vp_report_store_build (env->db, VP_REPORT_MONTH, "2001-02-03", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->from, ==, "2001-02-01");
  g_assert_cmpstr (r->to, ==, "2001-02-28");
  g_assert_cmpint (r->trips, ==, 0);
  g_assert_cmpint (r->collected, ==, 0);
  g_clear_pointer (&r, vp_report_free);
  r = vp_report_store_build (env->db, VP_REPORT_DAY, "2026-13-01", &error);
  g_assert_null (r);
  g_assert_nonnull (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ops/pay", test_pay);
  g_test_add_func ("/ops/topup", test_topup);
  g_test_add_func ("/ops/topup-leftover", test_topup_leftover);
  g_test_add_func ("/ops/open-account", test_open_account);
  g_test_add_func ("/ops/change-holder", test_change_holder);
  g_test_add_func ("/ops/move-credit-and-close", test_move_credit_and_close);
  g_test_add_func ("/ops/logs-and-trips", test_logs_and_trips);
  g_test_add_func ("/ops/shift", test_shift_open_close);
  g_test_add_func ("/ops/void", test_void);
  g_test_add_func ("/ops/report", test_report_counts);
  return g_test_run ();
}
