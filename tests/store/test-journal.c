/* test-journal.c: the chain is gapless, verifiable, refuses rewriting,
 * and verification names the entry that was tampered with.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"

/* Six entries: shift open, pay, consultation, trip start, pay, trip end. */
static VpTestEnv *
make_journal (void)
{
  g_autoptr(GError) error = NULL;
  VpTestEnv *env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409200001, "唐明", "13500001111", "西园小区",
                                               "1", "1", "101", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  VpJournalEntry *e;

#define OK(expr) G_STMT_START { e = (expr); g_assert_no_error (error); g_assert_nonnull (e); \
                                vp_journal_entry_free (e); } G_STMT_END
  OK (vp_shift_store_open (env->db, env->op, 1000, &error));
  OK (vp_bill_store_pay (env->db, env->op, acct, 2500, VP_PAYMENT_CASH, NULL, &error));
  OK (vp_service_log_store_add (env->db, env->op, VP_LOG_CONSULTATION, acct, NULL, "hours", FALSE, &error));
  OK (vp_trip_store_start (env->db, env->op, "西园小区", &error));
  OK (vp_bill_store_pay (env->db, env->op, acct, 100, VP_PAYMENT_CASH, NULL, &error));
  OK (vp_trip_store_end (env->db, env->op, NULL, &error));
#undef OK
  return env;
}

static void
test_chain_intact (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(GPtrArray) entries = NULL;
  gint64 checked = -1, bad = -1;

  g_assert_true (vp_journal_store_verify (env->db, &checked, &bad, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checked, ==, 6);
  g_assert_cmpint (bad, ==, 0);

  entries = vp_journal_store_list (env->db, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 6);
  for (guint i = 0; i < entries->len; i++)
    {
      VpJournalEntry *e = entries->pdata[i];
      g_autofree char *receipt = vp_journal_receipt_number (e->van_id, e->device_time, e->seq);
      g_autofree char *suffix = g_strdup_printf ("-%06u", i + 1);

      g_assert_cmpint (e->seq, ==, i + 1);
      if (i == 0)
        g_assert_cmpstr (e->prev_hash, ==, VP_JOURNAL_GENESIS_HASH);
      else
        g_assert_cmpstr (e->prev_hash, ==, ((VpJournalEntry *)entries->pdata[i - 1])->hash);
      g_assert_true (g_str_has_prefix (receipt, "VAN01-"));
      g_assert_true (g_str_has_suffix (receipt, suffix));
    }
  g_assert_cmpint (vp_outbox_store_count_pending (env->db), ==, 6);

  /* Acknowledging part of the outbox leaves the rest pending. */
  g_assert_true (vp_outbox_store_ack (env->db, 4, &error));
  g_assert_no_error (error);
  g_assert_cmpint (vp_outbox_store_count_pending (env->db), ==, 2);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = vp_outbox_store_list_pending (env->db, 10, &error);
  g_assert_cmpuint (entries->len, ==, 2);
  g_assert_cmpint (((VpJournalEntry *)entries->pdata[0])->seq, ==, 5);

  /* Re-opened, the chain still verifies. */
  vp_test_env_reopen (env);
  g_assert_true (vp_journal_store_verify (env->db, &checked, &bad, &error));
  g_assert_cmpint (checked, ==, 6);
}

static void
test_triggers_refuse_rewrite (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autofree char *payload = vp_test_query_text (env->db, "SELECT payload FROM journal WHERE seq = 2");
  g_autofree char *after = NULL;
  sqlite3 *raw;
  char *msg = NULL;

  vp_database_lock (env->db);
  g_assert_false (vp_database_exec (env->db, "UPDATE journal SET payload = '{}' WHERE seq = 2", &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "never rewritten"));
  g_clear_error (&error);
  g_assert_false (vp_database_exec (env->db, "DELETE FROM journal WHERE seq = 6", &error));
  g_assert_nonnull (strstr (error->message, "never deleted"));
  g_clear_error (&error);
  g_assert_false (vp_database_exec (env->db, "UPDATE journal SET seq = 60 WHERE seq = 6", &error));
  g_clear_error (&error);
  vp_database_unlock (env->db);

  /* A second, ordinary connection is refused the same way. */
  raw = vp_test_raw_open (env->path);
  g_assert_cmpint (sqlite3_exec (raw, "UPDATE journal SET amount = 1, payload = 'x' WHERE seq = 2",
                                 NULL, NULL, &msg), !=, SQLITE_OK);
  sqlite3_free (msg);
  sqlite3_close (raw);

  after = vp_test_query_text (env->db, "SELECT payload FROM journal WHERE seq = 2");
  g_assert_cmpstr (payload, ==, after);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 6);
  g_assert_true (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
tamper (VpTestEnv  *env,
        const char *sql)
{
  sqlite3 *raw = vp_test_raw_open (env->path);

  vp_test_raw_exec (raw, "DROP TRIGGER journal_no_update");
  vp_test_raw_exec (raw, "DROP TRIGGER journal_no_delete");
  vp_test_raw_exec (raw, sql);
  sqlite3_close (raw);
}

static void
test_tampered_payload (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  gint64 checked = -1, bad = -1;

  /* The ¥25.00 payment (seq 2) becomes ¥2.50. */
  tamper (env, "UPDATE journal SET payload = replace (payload, '\"amount\":2500', '\"amount\":250')"
               " WHERE seq = 2");
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT instr (payload, '\"amount\":250,') > 0"
                                               " FROM journal WHERE seq = 2"), ==, 1);
  g_assert_false (vp_journal_store_verify (env->db, &checked, &bad, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH);
  g_assert_cmpint (bad, ==, 2);
  g_assert_cmpint (checked, ==, 1);
}

static void
test_tampered_signature (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autofree char *sig = vp_test_query_text (env->db, "SELECT signature FROM journal WHERE seq = 3");
  g_autofree char *other = vp_test_query_text (env->db, "SELECT signature FROM journal WHERE seq = 4");
  g_autofree char *sql = g_strdup_printf ("UPDATE journal SET signature = '%s' WHERE seq = 4", sig);
  gint64 bad = -1;

  g_assert_cmpstr (sig, !=, other);
  tamper (env, sql);
  g_assert_false (vp_journal_store_verify (env->db, NULL, &bad, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SIGNATURE);
  g_assert_cmpint (bad, ==, 4);
}

static void
test_rehashed_entry_breaks_link (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  gint64 bad = -1;

  /* Someone rewrites entry 5 and recomputes nothing but its hash column:
   * the next entry no longer links to it. */
  tamper (env, "UPDATE journal SET hash = '1111111111111111111111111111111111111111111111111111111111111111'"
               " WHERE seq = 5");
  g_assert_false (vp_journal_store_verify (env->db, NULL, &bad, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH);
  g_assert_cmpint (bad, ==, 5);
}

static void
test_deleted_entry_is_a_gap (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  gint64 checked = -1, bad = -1;

  tamper (env, "DELETE FROM outbox WHERE seq = 3; DELETE FROM journal WHERE seq = 3");
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM journal"), ==, 5);
  g_assert_false (vp_journal_store_verify (env->db, &checked, &bad, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SEQ);
  g_assert_cmpint (bad, ==, 3);
  g_assert_cmpint (checked, ==, 2);
}

static void
test_deleted_last_entry_relinks (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(VpJournalEntry) e = NULL;
  gint64 checked = -1;

  /* Dropping the newest entry leaves a shorter, still valid chain; the
   * next entry reuses the seq but its uuid and hash differ, and HQ (which
   * holds the old one) refuses it: covered in the sync suite. Here: the
   * store keeps appending gaplessly. */
  tamper (env, "DELETE FROM outbox WHERE seq = 6; DELETE FROM journal WHERE seq = 6;"
               " UPDATE trips SET ended_at = NULL, end_seq = NULL");
  g_assert_true (vp_journal_store_verify (env->db, &checked, NULL, &error));
  g_assert_cmpint (checked, ==, 5);
  e = vp_trip_store_end (env->db, env->op, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (e->seq, ==, 6);
  g_assert_true (vp_journal_store_verify (env->db, &checked, NULL, &error));
  g_assert_cmpint (checked, ==, 6);
}

static void
test_foreign_key_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(VpJournalEntry) e = NULL;
  gint64 bad = -1;
  g_autofree char *dest = g_build_filename (env->dir, "other.db", NULL);
  g_autoptr(VpDatabase) other = vp_database_open (dest, VP_DATABASE_OPEN_DEFAULT, &error);
  g_autofree char *pub = NULL;
  g_autofree char *sql = NULL;

  /* Swap in another van's public key: every signature fails at entry 1. */
  g_assert_no_error (error);
  g_assert_true (vp_database_init_van (other, "VAN02", &error));
  pub = vp_database_dup_public_key_pem (other);
  sql = g_strdup_printf ("UPDATE meta SET value = '%s' WHERE key = 'van_public_key'", pub);
  tamper (env, sql);
  g_assert_false (vp_journal_store_verify (env->db, NULL, &bad, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SIGNATURE);
  g_assert_cmpint (bad, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/journal/chain-intact", test_chain_intact);
  g_test_add_func ("/journal/triggers", test_triggers_refuse_rewrite);
  g_test_add_func ("/journal/tampered-payload", test_tampered_payload);
  g_test_add_func ("/journal/tampered-signature", test_tampered_signature);
  g_test_add_func ("/journal/rehashed-entry", test_rehashed_entry_breaks_link);
  g_test_add_func ("/journal/deleted-entry", test_deleted_entry_is_a_gap);
  g_test_add_func ("/journal/deleted-last-entry", test_deleted_last_entry_relinks);
  g_test_add_func ("/journal/other-van-key", test_foreign_key_refused);
  return g_test_run ();
}
