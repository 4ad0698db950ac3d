/* test-journal.c: the chain is gapless, verifiable, refuses rewriting,
 * and verification names the entry that was tampered with.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Appends one more entry (a consultation) through the store. */
static VpJournalEntry *
append_one (VpTestEnv *env,
            GError   **error)
{
  return vp_service_log_store_add (env->db, env->op, VP_LOG_CONSULTATION, NULL, NULL, "more",
                                   FALSE, error);
}

static void
assert_refuses_writing (VpTestEnv *env,
                        int        journal_code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  gint64 before = vp_journal_store_last_seq (env->db);

  g_assert_nonnull (vp_database_get_break (env->db));
  if (journal_code >= 0)
    g_assert_error ((GError *)vp_database_get_break (env->db), VP_JOURNAL_ERROR, journal_code);
  e = append_one (env, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, before);
}

static void
test_deleted_newest_entries (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  gint64 checked = -1, bad = -1;

  /* Dropping the newest entries leaves a shorter chain that links and
   * signs: only the anchor outside the database tells. */
  tamper (env, "DELETE FROM outbox WHERE seq >= 5; DELETE FROM journal WHERE seq >= 5;"
               " UPDATE trips SET ended_at = NULL, end_seq = NULL");
  g_assert_false (vp_journal_store_verify (env->db, &checked, &bad, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_TRUNCATED);
  g_assert_cmpint (checked, ==, 4);
  g_assert_cmpint (bad, ==, 5);
  g_clear_error (&error);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_TRUNCATED);

  /* A new process sees it at open, before anything is written. */
  vp_test_env_reopen (env);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_TRUNCATED);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 4);
}

static void
test_wal_deleted_while_open (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(VpDatabase) second = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autofree char *wal = g_strconcat (env->path, "-wal", NULL);
  int status = 0;
  pid_t pid;

  /* The app (a child here) holds the database, takes five acknowledged
   * entries into its WAL, someone deletes the -wal, and the app dies
   * (power cut: no checkpoint at close). */
  g_clear_object (&env->db);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      g_autoptr(VpDatabase) app = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, NULL);

      for (int i = 0; app != NULL && i < 5; i++)
        {
          VpJournalEntry *p = vp_service_log_store_add (app, env->op, VP_LOG_CONSULTATION, NULL,
                                                        NULL, "in the WAL", FALSE, NULL);
          if (p == NULL)
            _exit (1);
          vp_journal_entry_free (p);
        }
      _exit (app != NULL && vp_journal_store_last_seq (app) == 11 && g_unlink (wal) == 0 ? 0 : 2);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  /* The next start must not reuse seq 7–11. */
  second = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vp_journal_store_last_seq (second), ==, 6);
  g_assert_nonnull (vp_database_get_break (second));
  g_assert_error ((GError *)vp_database_get_break (second), VP_JOURNAL_ERROR,
                  VP_JOURNAL_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (vp_database_get_break (second)->message, "entry 11"));
  e = vp_service_log_store_add (second, env->op, VP_LOG_CONSULTATION, NULL, NULL, "reuse?", FALSE,
                                &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  g_clear_object (&second);
  vp_test_env_reopen (env);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (from, &data, &len, NULL));
  g_assert_true (g_file_set_contents (to, data, len, NULL));
}

static void
test_rolled_back_and_reused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autofree char *db4 = g_strconcat (env->path, ".at4", NULL);
  g_autofree char *anchor = g_strconcat (env->path, ".anchor", NULL);
  g_autofree char *anchor4 = g_strconcat (env->path, ".anchor.at4", NULL);
  g_autofree char *anchor6 = g_strconcat (env->path, ".anchor.at6", NULL);
  gint64 bad = -1;

  /* A copy of the van at entry 6 and of its anchor… */
  g_clear_object (&env->db);
  copy_file (anchor, anchor6);
  vp_test_env_reopen (env);
  /* …is rolled back to entry 4 (file and anchor both), goes on to write
   * two different entries 5 and 6, and then the real anchor comes back. */
  tamper (env, "DELETE FROM outbox WHERE seq >= 5; DELETE FROM journal WHERE seq >= 5;"
               " UPDATE trips SET ended_at = NULL, end_seq = NULL;"
               " CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal BEGIN"
               "  SELECT RAISE (ABORT, 'journal entries are never rewritten'); END;"
               " CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal BEGIN"
               "  SELECT RAISE (ABORT, 'journal entries are never deleted'); END;");
  g_clear_object (&env->db);
  {
    g_autoptr(VpDatabase) db = NULL;
    g_autoptr(VpAnchor) a = vp_anchor_new ("VAN01");
    g_autofree char *h4 = NULL;

    g_assert_cmpint (g_unlink (anchor), ==, 0);
    /* Without an anchor the van refuses too; the forger writes one. */
    db = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, &error);
    g_assert_no_error (error);
    g_assert_error ((GError *)vp_database_get_break (db), VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_ANCHOR);
    g_assert_true (vp_database_reset_anchor (db, &error));
    g_assert_no_error (error);
    h4 = vp_test_query_text (db, "SELECT hash FROM journal WHERE seq = 4");
    g_clear_object (&db);
    copy_file (anchor, anchor4);
    (void)db4;
    (void)a;
  }
  vp_test_env_reopen (env);
  g_assert_null (vp_database_get_break (env->db));
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(VpJournalEntry) e = append_one (env, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 6);
  g_clear_object (&env->db);
  copy_file (anchor6, anchor);

  vp_test_env_reopen (env);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_FORKED);
  g_assert_false (vp_journal_store_verify (env->db, NULL, &bad, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_FORKED);
  g_assert_cmpint (bad, ==, 6);
}

static void
write_at (const char *path,
          gsize       offset,
          const char *bytes,
          gsize       len)
{
  FILE *f = fopen (path, "r+b");

  g_assert_nonnull (f);
  g_assert_cmpint (fseek (f, (long)offset, SEEK_SET), ==, 0);
  g_assert_cmpuint (fwrite (bytes, 1, len, f), ==, len);
  fclose (f);
}

static void
test_anchor_missing_or_forged (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autofree char *anchor = g_strconcat (env->path, ".anchor", NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  char *p;

  g_assert_true (g_file_get_contents (anchor, &text, &len, NULL));
  g_assert_cmpuint (len, ==, 4096);
  p = g_strstr_len (text, len, "head=6 ");
  g_assert_nonnull (p);

  /* The newest record torn (a power cut mid-write): the previous one,
   * a commit behind, is used and the journal verified forward from it. */
  g_clear_object (&env->db);
  write_at (anchor, (gsize)(p - text) + 5, "9", 1);
  vp_test_env_reopen (env);
  g_assert_null (vp_database_get_break (env->db));
  {
    g_autoptr(VpJournalEntry) e = append_one (env, &error);
    g_assert_no_error (error);
    g_assert_cmpint (e->seq, ==, 7);
  }

  /* Both records hand-edited: nothing this van signed is left. */
  g_clear_object (&env->db);
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (anchor, &text, &len, NULL));
  for (gsize off = 0; off < len; off += 2048)
    write_at (anchor, off + 17, "gen=99999", 9);
  vp_test_env_reopen (env);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_ANCHOR);

  /* Cut short. */
  g_clear_object (&env->db);
  g_assert_true (g_file_set_contents (anchor, text, 1000, NULL));
  vp_test_env_reopen (env);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_ANCHOR);

  /* Deleted. */
  g_clear_object (&env->db);
  g_assert_cmpint (g_unlink (anchor), ==, 0);
  vp_test_env_reopen (env);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_ANCHOR);
  /* The refusal outlives the process: it is not quietly re-anchored. */
  vp_test_env_reopen (env);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_ANCHOR);
}

static void
test_anchor_deleted_under_running_van (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autofree char *anchor = g_strconcat (env->path, ".anchor", NULL);
  g_autoptr(VpJournalEntry) e = NULL;

  /* Deleted while the van runs: the next sale must not re-anchor a
   * journal someone may have cut meanwhile. */
  g_assert_cmpint (g_unlink (anchor), ==, 0);
  e = append_one (env, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 6);
  g_assert_false (g_file_test (anchor, G_FILE_TEST_EXISTS));
}

static void
test_break_seen_by_running_van (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(VpDatabase) other = NULL;
  g_autoptr(GError) why = g_error_new_literal (VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_COLUMNS,
                                               "entry 2: the amount column does not match");

  /* `vanpos-cli verify` beside the running app finds a break. */
  other = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  vp_database_set_break (other, why, 2);
  g_clear_object (&other);
  g_assert_null (vp_database_get_break (env->db));
  {
    g_autoptr(VpJournalEntry) e = append_one (env, &error);
    g_assert_null (e);
    g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  }
  assert_refuses_writing (env, VP_JOURNAL_ERROR_COLUMNS);
}

static void
test_entry_cannot_acknowledge_itself (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  gint64 bad = -1;

  /* The ¥25.00 sale rewritten as an acknowledgement of its own fault. */
  tamper (env, "UPDATE journal SET kind = 'journal.break',"
               " payload = '{\"break_seq\":2,\"break_code\":2,\"staff\":\"op01\",\"shift\":1}',"
               " method = NULL, amount = 0 WHERE seq = 2");
  g_assert_false (vp_journal_store_verify (env->db, NULL, &bad, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH);
  g_assert_null (strstr (error->message, "acknowledged"));
  g_assert_cmpint (bad, ==, 2);
  g_clear_error (&error);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_HASH);
}

static void
test_insert_or_replace_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autofree char *before = vp_test_query_text (env->db, "SELECT quote (account_id) || hash"
                                                        " FROM journal WHERE seq = 2");
  g_autofree char *after = NULL;
  sqlite3 *raw = vp_test_raw_open (env->path);
  char *msg = NULL;

  /* REPLACE deletes the old row without the delete trigger firing. */
  g_assert_cmpint (sqlite3_exec (raw, "INSERT OR REPLACE INTO journal SELECT seq, uuid, van_id,"
                                      " kind, payload, device_time, monotonic_ms, prev_hash, hash,"
                                      " signature, staff_id, shift_id, NULL, method, amount, voids"
                                      " FROM journal WHERE seq = 2", NULL, NULL, &msg),
                   ==, SQLITE_CONSTRAINT);
  g_assert_nonnull (strstr (msg, "never rewritten"));
  sqlite3_free (msg);
  sqlite3_close (raw);
  after = vp_test_query_text (env->db, "SELECT quote (account_id) || hash FROM journal WHERE seq = 2");
  g_assert_cmpstr (before, ==, after);

  /* With the trigger dropped too, verify names the missing account. */
  tamper (env, "DROP TRIGGER journal_append_only;"
               " INSERT OR REPLACE INTO journal SELECT seq, uuid, van_id, kind, payload, device_time,"
               " monotonic_ms, prev_hash, hash, signature, staff_id, shift_id, NULL, method, amount,"
               " voids FROM journal WHERE seq = 2");
  g_assert_false (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_COLUMNS);
  g_assert_nonnull (strstr (error->message, "account_id"));
}

static void
test_damage_not_overwritten (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(GError) damaged = g_error_new_literal (VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                                                   "Database integrity check failed (x)");
  g_autoptr(GError) cut = g_error_new_literal (VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_TRUNCATED,
                                               "the journal is truncated");
  g_autoptr(VpJournalEntry) ack = NULL;
  g_autoptr(VpDatabase) other = NULL;

  vp_database_set_break (env->db, damaged, 0);
  other = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  vp_database_set_break (other, cut, 0);   /* already broken: kept as it was */
  g_clear_object (&other);
  vp_test_env_reopen (env);
  assert_refuses_writing (env, -1);
  g_assert_error ((GError *)vp_database_get_break (env->db), VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  ack = vp_journal_store_acknowledge_break (env->db, env->sup, "ignore", &error);
  g_assert_null (ack);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
}

static void
test_restore_without_own_anchor (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autofree char *backup = g_build_filename (env->dir, "b.db", NULL);
  g_autofree char *anchor = g_strconcat (env->path, ".anchor", NULL);
  g_autoptr(VpJournalEntry) ack = NULL;

  g_assert_true (vp_database_backup (env->db, backup, &error));
  g_assert_no_error (error);
  {
    g_autoptr(VpJournalEntry) e = append_one (env, &error);
    g_assert_no_error (error);
  }
  /* Whoever removes the van's anchor cannot roll the van back quietly. */
  g_clear_object (&env->db);
  g_assert_cmpint (g_unlink (anchor), ==, 0);
  g_assert_true (vp_database_restore (env->path, backup, FALSE, NULL, &error));
  g_assert_no_error (error);
  vp_test_env_reopen (env);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_ANCHOR);
  g_assert_nonnull (strstr (vp_database_get_break (env->db)->message, "without the van's own anchor"));
  ack = vp_journal_store_acknowledge_break (env->db, env->sup, "laptop rebuilt", &error);
  g_assert_no_error (error);
  g_assert_null (vp_database_get_break (env->db));
}

/* Each helper column alone, set to a wrong value with the triggers
 * dropped: verify names the entry, the totals still come from the signed
 * payloads, and nothing more is written. */
static void
test_helper_column_tampered (gconstpointer data)
{
  const char *sql = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  VpShiftTotals before = { 0 }, after = { 0 };
  gint64 bad = -1;

  g_assert_true (vp_shift_store_totals (env->db, 0, &before, &error));
  g_assert_no_error (error);
  g_assert_cmpint (before.cash_in, ==, 2600);
  g_assert_cmpint (before.expected_cash, ==, 3600);

  tamper (env, sql);
  g_assert_false (vp_journal_store_verify (env->db, NULL, &bad, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_COLUMNS);
  g_assert_cmpint (bad, ==, 2);
  g_clear_error (&error);

  g_assert_true (vp_shift_store_totals (env->db, 0, &after, &error));
  g_assert_no_error (error);
  g_assert_cmpint (after.cash_in, ==, before.cash_in);
  g_assert_cmpint (after.card_in, ==, before.card_in);
  g_assert_cmpint (after.expected_cash, ==, before.expected_cash);
  g_assert_cmpint (after.transactions, ==, before.transactions);
  g_assert_cmpint (after.voids, ==, before.voids);
  vp_shift_totals_clear (&before);
  vp_shift_totals_clear (&after);

  assert_refuses_writing (env, VP_JOURNAL_ERROR_COLUMNS);
  /* The break outlives the process (it is kept in the anchor). */
  vp_test_env_reopen (env);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_COLUMNS);
}

static void
test_every_column_immutable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autofree char *row = vp_test_query_text (env->db, "SELECT quote (seq) || quote (uuid) ||"
                                                      " quote (payload) || quote (hash) ||"
                                                      " quote (amount) || quote (method) ||"
                                                      " quote (voids) FROM journal WHERE seq = 2");
  g_autofree char *again = NULL;
  sqlite3 *raw = vp_test_raw_open (env->path);
  sqlite3_stmt *stmt;
  guint n_columns = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (raw, "SELECT name FROM pragma_table_info ('journal')", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *col = (const char *)sqlite3_column_text (stmt, 0);
      g_autofree char *sql = g_strdup_printf ("UPDATE journal SET %s = %s WHERE seq = 2", col,
                                              g_str_equal (col, "seq") ? "99" : "'x'");
      char *msg = NULL;

      g_assert_cmpint (sqlite3_exec (raw, sql, NULL, NULL, &msg), ==, SQLITE_CONSTRAINT);
      g_assert_nonnull (strstr (msg, "never rewritten"));
      sqlite3_free (msg);
      n_columns++;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (raw);
  /* Every column, the helper columns included (16 today). */
  g_assert_cmpuint (n_columns, >=, 16);
  again = vp_test_query_text (env->db, "SELECT quote (seq) || quote (uuid) || quote (payload) ||"
                                       " quote (hash) || quote (amount) || quote (method) ||"
                                       " quote (voids) FROM journal WHERE seq = 2");
  g_assert_cmpstr (row, ==, again);
  g_assert_true (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_shift_bounds_from_signed_entries (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  VpShiftTotals t = { 0 };

  /* The shift's end moved before its last ¥1.00 sale (seq 5): the totals
   * must not quietly stop there. */
  {
    sqlite3 *raw = vp_test_raw_open (env->path);

    vp_test_raw_exec (raw, "UPDATE shifts SET close_seq = 4");
    sqlite3_close (raw);
  }
  g_assert_false (vp_shift_store_totals (env->db, 0, &t, &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  g_clear_error (&error);
  vp_shift_totals_clear (&t);
  /* Nor its start, past the ¥25.00 sale. */
  {
    sqlite3 *raw = vp_test_raw_open (env->path);

    vp_test_raw_exec (raw, "UPDATE shifts SET close_seq = NULL, open_seq = 3");
    sqlite3_close (raw);
  }
  g_assert_false (vp_shift_store_totals (env->db, 0, &t, &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  vp_shift_totals_clear (&t);
}

static void
test_void_recorded_once (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(VpJournalEntry) v = NULL;
  g_autoptr(VpJournalEntry) again = NULL;
  VpShiftTotals t = { 0 };

  v = vp_shift_store_void (env->db, env->sup, 2, "wrong account", &error);
  g_assert_no_error (error);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT voids FROM journal WHERE seq = 7"), ==, 2);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT amount FROM journal WHERE seq = 7"), ==, -2500);
  again = vp_shift_store_void (env->db, env->sup, 2, "twice", &error);
  g_assert_null (again);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_true (vp_shift_store_totals (env->db, 0, &t, &error));
  /* The voided ¥25.00 counts nowhere (issue 9). */
  g_assert_cmpint (t.cash_in, ==, 100);
  g_assert_cmpint (t.cash_out, ==, 0);
  g_assert_cmpint (t.voids, ==, 1);
  vp_shift_totals_clear (&t);
  g_assert_true (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_zero_byte_database (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(VpDatabase) db = NULL;
  g_autofree char *wal = g_strconcat (env->path, "-wal", NULL);
  GStatBuf st;

  g_clear_object (&env->db);
  g_unlink (wal);
  g_assert_true (g_file_set_contents (env->path, "", 0, NULL));
  db = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_null (db);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  g_assert_nonnull (strstr (error->message, "restore"));
  g_clear_error (&error);
  /* Not re-initialised behind anyone's back. */
  g_assert_cmpint (g_stat (env->path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 0);
  /* A missing file beside the key is refused the same way. */
  g_assert_cmpint (g_unlink (env->path), ==, 0);
  db = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_null (db);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  g_assert_false (g_file_test (env->path, G_FILE_TEST_EXISTS));
  /* vp_test_env_free must not reopen. */
  g_assert_true (g_file_set_contents (env->path, "", 0, NULL));
}

static void
test_backup_restore_acknowledge (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(VpJournalEntry) ack = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *backup = g_build_filename (env->dir, "backup.db", NULL);
  g_autofree char *backup_key = g_strconcat (backup, ".vankey", NULL);
  g_autofree char *backup_anchor = g_strconcat (backup, ".anchor", NULL);
  g_autofree char *key = g_strconcat (env->path, ".vankey", NULL);
  g_autofree char *wal = g_strconcat (env->path, "-wal", NULL);
  gint64 restored = 0, checked = 0;
  GStatBuf st;

  g_assert_true (vp_database_backup (env->db, backup, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (backup_key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_test (backup_anchor, G_FILE_TEST_EXISTS));
  /* A backup never overwrites. */
  g_assert_false (vp_database_backup (env->db, backup, &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS);
  g_clear_error (&error);

  /* An intact database is only replaced on purpose. */
  g_assert_false (vp_database_restore (env->path, backup, FALSE, NULL, &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS);
  g_clear_error (&error);

  /* Two more entries, then the laptop loses its database and its key. */
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(VpJournalEntry) e = append_one (env, &error);
      g_assert_no_error (error);
    }
  g_clear_object (&env->db);
  g_assert_true (g_file_set_contents (env->path, "garbage", -1, NULL));
  g_unlink (wal);
  g_assert_cmpint (g_unlink (key), ==, 0);

  g_assert_true (vp_database_restore (env->path, backup, FALSE, &restored, &error));
  g_assert_no_error (error);
  g_assert_cmpint (restored, ==, 6);
  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* The van's anchor remembers entries 7 and 8: a break to acknowledge. */
  vp_test_env_reopen (env);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 6);
  assert_refuses_writing (env, VP_JOURNAL_ERROR_TRUNCATED);
  ack = vp_journal_store_acknowledge_break (env->db, env->op, "restored", &error);
  g_assert_null (ack);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  ack = vp_journal_store_acknowledge_break (env->db, env->sup, "restored from last night", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ack->kind, ==, VP_KIND_JOURNAL_BREAK);
  g_assert_cmpint (ack->seq, ==, 7);
  p = vp_journal_entry_parse_payload (ack);
  g_assert_cmpint (json_object_get_int_member (p, "entries_lost"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (p, "anchor_head_seq"), ==, 8);
  g_assert_cmpint (json_object_get_int_member (p, "break_code"), ==, VP_JOURNAL_ERROR_TRUNCATED);
  g_assert_null (vp_database_get_break (env->db));
  {
    g_autoptr(VpJournalEntry) e = append_one (env, &error);
    g_assert_no_error (error);
    g_assert_cmpint (e->seq, ==, 8);
  }
  g_assert_true (vp_journal_store_verify (env->db, &checked, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checked, ==, 8);
  /* And again after a restart. */
  vp_test_env_reopen (env);
  g_assert_null (vp_database_get_break (env->db));
}

static void
test_backup_of_another_van_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_autoptr(VpTestEnv) other = make_journal ();
  g_autofree char *backup = g_build_filename (other->dir, "other.db", NULL);
  g_autofree char *before = vp_test_query_text (env->db, "SELECT group_concat (hash) FROM journal");
  g_autofree char *after = NULL;

  g_assert_true (vp_database_backup (other->db, backup, &error));
  g_assert_no_error (error);
  g_assert_false (vp_database_restore (env->path, backup, TRUE, NULL, &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  after = vp_test_query_text (env->db, "SELECT group_concat (hash) FROM journal");
  g_assert_cmpstr (before, ==, after);
}

static void
test_clock_warnings (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = make_journal ();
  g_auto(GStrv) warnings = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *back = g_strdup_printf ("%" G_GINT64_FORMAT, now - 3600);
  g_autofree char *ahead = g_strdup_printf ("%" G_GINT64_FORMAT, now + 30 * 86400);

  g_assert_null (vp_database_take_warnings (env->db));
  g_setenv ("VP_FAKE_NOW", back, TRUE);
  {
    g_autoptr(VpJournalEntry) e = append_one (env, &error);
    g_assert_no_error (error);
  }
  warnings = vp_database_take_warnings (env->db);
  g_assert_nonnull (warnings);
  g_assert_nonnull (strstr (warnings[0], "clock went back"));
  g_clear_pointer (&warnings, g_strfreev);
  g_assert_null (vp_database_take_warnings (env->db));

  g_setenv ("VP_FAKE_NOW", ahead, TRUE);
  {
    g_autoptr(VpJournalEntry) e = append_one (env, &error);
    g_assert_no_error (error);
  }
  warnings = vp_database_take_warnings (env->db);
  g_assert_nonnull (warnings);
  g_assert_nonnull (strstr (warnings[0], "jumped"));
  g_unsetenv ("VP_FAKE_NOW");
  /* The journal orders by seq, not by time: it still verifies. */
  g_assert_true (vp_journal_store_verify (env->db, NULL, NULL, &error));
  g_assert_no_error (error);
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
  g_test_add_func ("/journal/deleted-newest-entries", test_deleted_newest_entries);
  g_test_add_func ("/journal/wal-deleted-while-open", test_wal_deleted_while_open);
  g_test_add_func ("/journal/rolled-back-and-reused", test_rolled_back_and_reused);
  g_test_add_func ("/journal/anchor-missing-or-forged", test_anchor_missing_or_forged);
  g_test_add_func ("/journal/every-column-immutable", test_every_column_immutable);
  g_test_add_func ("/journal/anchor-deleted-under-running-van", test_anchor_deleted_under_running_van);
  g_test_add_func ("/journal/break-seen-by-running-van", test_break_seen_by_running_van);
  g_test_add_func ("/journal/entry-cannot-acknowledge-itself", test_entry_cannot_acknowledge_itself);
  g_test_add_func ("/journal/insert-or-replace-refused", test_insert_or_replace_refused);
  g_test_add_func ("/journal/damage-not-overwritten", test_damage_not_overwritten);
  g_test_add_func ("/journal/restore-without-own-anchor", test_restore_without_own_anchor);
  g_test_add_data_func ("/journal/column/amount", "UPDATE journal SET amount = 100 WHERE seq = 2",
                        test_helper_column_tampered);
  g_test_add_data_func ("/journal/column/method", "UPDATE journal SET method = 'card' WHERE seq = 2",
                        test_helper_column_tampered);
  g_test_add_data_func ("/journal/column/staff", "UPDATE journal SET staff_id = 'sup01' WHERE seq = 2",
                        test_helper_column_tampered);
  g_test_add_data_func ("/journal/column/shift", "UPDATE journal SET shift_id = 7 WHERE seq = 2",
                        test_helper_column_tampered);
  g_test_add_data_func ("/journal/column/account", "UPDATE journal SET account_id = NULL WHERE seq = 2;"
                        " INSERT INTO accounts (number, holder, estate, service, meter, tariff_class,"
                        " status) VALUES ('34092000999', 'x', 'x', 'gas', 'postpaid', 'residential',"
                        " 'active'); UPDATE journal SET account_id = last_insert_rowid () WHERE seq = 2",
                        test_helper_column_tampered);
  g_test_add_data_func ("/journal/column/voids", "UPDATE journal SET voids = 1 WHERE seq = 2",
                        test_helper_column_tampered);
  g_test_add_func ("/journal/void-recorded-once", test_void_recorded_once);
  g_test_add_func ("/journal/shift-bounds-from-signed-entries", test_shift_bounds_from_signed_entries);
  g_test_add_func ("/journal/zero-byte-database", test_zero_byte_database);
  g_test_add_func ("/journal/backup-restore-acknowledge", test_backup_restore_acknowledge);
  g_test_add_func ("/journal/backup-of-another-van", test_backup_of_another_van_refused);
  g_test_add_func ("/journal/clock-warnings", test_clock_warnings);
  g_test_add_func ("/journal/other-van-key", test_foreign_key_refused);
  return g_test_run ();
}
