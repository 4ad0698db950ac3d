/* test-database.c: opening, migrations, PRAGMAs, integrity check, busy
 * retry, staff PINs, lockout and roles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "vp-test-util.h"
#include "vp-migrations.h"

static gint64
pragma_int (VpDatabase *db,
            const char *pragma)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA %s", pragma);
  return vp_test_query_int (db, sql);
}

static void
test_migrations_fresh_and_reopen (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vp-test-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "fresh.db", NULL);
  g_autoptr(VpDatabase) db = NULL;
  g_autofree char *schema1 = NULL;
  g_autofree char *schema2 = NULL;
  const char *tables[] = { "meta", "staff", "tariffs", "accounts", "accounts_fts", "name_suffixes",
                           "bills", "shifts", "journal", "outbox", "topups", "blocked_cards",
                           "service_log", "trips" };

  db = vp_database_open (path, VP_DATABASE_OPEN_CHECK_INTEGRITY, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db);
  g_assert_false (vp_database_is_initialized (db));
  g_assert_null (vp_database_get_van_id (db));
  g_assert_cmpint (pragma_int (db, "user_version"), ==, vp_migrations_latest ());
  g_assert_cmpint (vp_migrations_latest (), >=, 1);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM sqlite_schema WHERE name = '%s'",
                                              tables[i]);
      g_assert_cmpint (vp_test_query_int (db, sql), ==, 1);
    }
  schema1 = vp_test_query_text (db, "SELECT group_concat (sql, ';') FROM"
                                    " (SELECT sql FROM sqlite_schema ORDER BY name)");
  g_assert_true (vp_database_init_van (db, "VAN07", &error));
  g_assert_no_error (error);
  g_clear_object (&db);

  /* Re-open: nothing is migrated twice, the identity is back. */
  db = vp_database_open (path, VP_DATABASE_OPEN_CHECK_INTEGRITY, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pragma_int (db, "user_version"), ==, vp_migrations_latest ());
  schema2 = vp_test_query_text (db, "SELECT group_concat (sql, ';') FROM"
                                    " (SELECT sql FROM sqlite_schema ORDER BY name)");
  g_assert_cmpstr (schema1, ==, schema2);
  g_assert_true (vp_database_is_initialized (db));
  g_assert_cmpstr (vp_database_get_van_id (db), ==, "VAN07");

  /* A second init is refused and changes nothing. */
  g_assert_false (vp_database_init_van (db, "VAN08", &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpstr (vp_database_get_van_id (db), ==, "VAN07");

  /* A bad van id is refused. */
  g_clear_object (&db);
  vp_test_rm_rf (dir);
  g_mkdir (dir, 0700);
  db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_false (vp_database_init_van (db, "van 1", &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (vp_database_is_initialized (db));
  g_clear_object (&db);
  vp_test_rm_rf (dir);
}

static void
test_newer_schema_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpDatabase) db = NULL;
  g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %u", vp_migrations_latest () + 1);
  sqlite3 *raw;

  g_clear_object (&env->db);
  raw = vp_test_raw_open (env->path);
  vp_test_raw_exec (raw, sql);
  sqlite3_close (raw);
  db = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_null (db);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "newer"));
}

static void
test_pragmas (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *mode = vp_test_query_text (env->db, "PRAGMA journal_mode");
  int defensive = -1;

  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (pragma_int (env->db, "synchronous"), ==, 2);  /* FULL */
  g_assert_cmpint (pragma_int (env->db, "foreign_keys"), ==, 1);
  sqlite3_db_config (vp_database_get_handle (env->db), SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive);
  g_assert_cmpint (defensive, ==, 1);

  /* Foreign keys are enforced: a bill for no account is refused. */
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (vp_account_store_add_bill (env->db, 999999, "2026-01", 100, &error));
    g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS);
  }

  /* Still in force after a re-open. */
  vp_test_env_reopen (env);
  g_clear_pointer (&mode, g_free);
  mode = vp_test_query_text (env->db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (pragma_int (env->db, "synchronous"), ==, 2);
  g_assert_cmpint (pragma_int (env->db, "foreign_keys"), ==, 1);
}

static void
corrupt_page (const char *path,
              gint64      page,
              gint64      page_size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpint ((gint64)len, >=, page * page_size);
  /* Scribble over the b-tree page header and its cell pointers. */
  memset (data + (page - 1) * page_size, 0xA5, 64);
  g_assert_true (g_file_set_contents (path, data, len, &error));
  g_assert_no_error (error);
}

static void
test_integrity_check_catches_corruption (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (3000);
  g_autoptr(VpDatabase) db = NULL;
  g_autofree char *copy = g_build_filename (env->dir, "copy.db", NULL);
  g_autofree char *data = NULL;
  gint64 page_size = vp_test_query_int (env->db, "PRAGMA page_size");
  gint64 root = vp_test_query_int (env->db, "SELECT rootpage FROM sqlite_schema"
                                            " WHERE name = 'accounts_holder'");
  gsize len = 0;

  /* Closing the last connection checkpoints the WAL into the file. */
  g_clear_object (&env->db);
  g_assert_true (g_file_get_contents (env->path, &data, &len, NULL));
  g_assert_true (g_file_set_contents (copy, data, len, NULL));
  g_clear_pointer (&data, g_free);
  {
    g_autofree char *key = g_strconcat (env->path, ".vankey", NULL);
    g_autofree char *copy_key = g_strconcat (copy, ".vankey", NULL);
    g_assert_true (g_file_get_contents (key, &data, &len, NULL));
    g_assert_true (g_file_set_contents (copy_key, data, len, NULL));
    g_assert_cmpint (g_chmod (copy_key, 0600), ==, 0);
  }

  /* The intact copy passes. */
  db = vp_database_open (copy, VP_DATABASE_OPEN_CHECK_INTEGRITY, &error);
  g_assert_no_error (error);
  g_assert_true (vp_database_check_integrity (db, &error));
  g_assert_no_error (error);
  g_clear_object (&db);

  g_assert_cmpint (root, >, 1);
  corrupt_page (copy, root, page_size);
  db = vp_database_open (copy, VP_DATABASE_OPEN_CHECK_INTEGRITY, &error);
  g_assert_null (db);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT);
  g_clear_error (&error);

  /* A file that is no database at all. */
  g_assert_true (g_file_set_contents (copy, "this is not a database, just some text\n"
                                      "padding padding padding padding padding padding\n",
                                      -1, NULL));
  db = vp_database_open (copy, VP_DATABASE_OPEN_CHECK_INTEGRITY, &error);
  g_assert_null (db);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (from, &data, &len, NULL));
  g_assert_true (g_file_set_contents (to, data, len, NULL));
  g_assert_cmpint (g_chmod (to, 0600), ==, 0);
}

static void
check_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GError **out = user_data;

  if (vp_database_check_integrity_finish (VP_DATABASE (source), result, out))
    *out = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NONE, "passed");
}

/* Runs the background check to its end; its error (or "passed"). */
static GError *
check_in_background (VpDatabase *db)
{
  GError *result = NULL;

  vp_database_check_integrity_async (db, NULL, check_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return result;
}

/* Issue 11: the app opens a damaged file at once and checks it in the
 * background; once the check has reported, money is refused with one
 * line, and the CLI refuses to write to the file too. */
static void
test_integrity_checked_in_background (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (3000);
  g_autoptr(VpDatabase) db = NULL;
  g_autoptr(VpJournalEntry) shift = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(GError) checked = NULL;
  g_autofree char *copy = g_build_filename (env->dir, "copy.db", NULL);
  g_autofree char *acct = NULL;
  g_autofree char *cli = vp_test_cli_path ();
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *line = NULL;
  gint64 page_size = vp_test_query_int (env->db, "PRAGMA page_size");
  gint64 root = vp_test_query_int (env->db, "SELECT rootpage FROM sqlite_schema"
                                            " WHERE name = 'accounts_holder'");
  const char *suffixes[] = { "", ".vankey", ".anchor" };
  gint64 seq;
  int status = 0;

  acct = vp_test_add_account (env->db, 3409000011, "周建国", "13911112222", "光明社区", "3", "2",
                              "501", VP_SERVICE_GAS, VP_METER_POSTPAID,
                              VP_TARIFF_CLASS_RESIDENTIAL, 0);
  {
    g_autoptr(VpAccount) a = vp_test_get_account (env->db, acct);

    g_assert_true (vp_account_store_add_bill (env->db, a->id, "2026-08", 10000, &error));
    g_assert_no_error (error);
  }
  shift = vp_shift_store_open (env->db, env->op, 50000, &error);
  g_assert_no_error (error);
  seq = vp_journal_store_last_seq (env->db);

  /* Closing the last connection checkpoints the WAL into the file. */
  g_clear_object (&env->db);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (env->path, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (copy, suffixes[i], NULL);

      copy_file (from, to);
    }
  g_assert_cmpint (root, >, 1);
  corrupt_page (copy, root, page_size);

  /* It opens, without a check, and nothing is blocked yet. */
  db = vp_database_open (copy, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db);
  g_assert_null (vp_database_get_break (db));

  checked = check_in_background (db);
  g_assert_error (checked, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT);
  g_assert_true (g_str_has_prefix (checked->message, "Database integrity check failed ("));
  g_assert_true (g_str_has_suffix (checked->message, "); restore the latest backup"));
  g_assert_null (strchr (checked->message, '\n'));
  g_assert_nonnull (vp_database_get_break (db));
  g_assert_cmpstr (vp_database_get_break (db)->message, ==, checked->message);

  /* Money is refused, with the check's one line, and nothing is written. */
  e = vp_bill_store_pay (db, env->op, acct, 10000, VP_PAYMENT_CASH, NULL, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  g_assert_nonnull (strstr (error->message, checked->message));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);
  g_assert_cmpint (vp_journal_store_last_seq (db), ==, seq);
  g_clear_object (&db);

  /* The CLI refuses to write to it: DAMAGED (7), one line. */
  {
    const char *argv[] = { cli, "--db", copy, "pay", acct, "100.00", "--method", "cash", "--staff", "op01",
                           "--pin", "1234", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                 &err, &status, &error));
    g_assert_no_error (error);
  }
  g_test_message ("cli: %s%s", out, err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 7);
  g_assert_cmpstr (out, ==, "");
  line = g_strdup_printf ("vanpos-cli: Nothing can be saved: %s (vanpos-cli restore)\n",
                          checked->message);
  g_assert_cmpstr (err, ==, line);

  /* The next open knows it from the anchor, before any check. */
  db = vp_database_open (copy, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_error ((GError *)vp_database_get_break (db), VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED);
  g_assert_cmpint (vp_journal_store_last_seq (db), ==, seq);
}

/* An intact file passes the background check and blocks nothing. */
static void
test_integrity_background_passes (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (300);
  g_autoptr(GError) checked = check_in_background (env->db);

  g_assert_error (checked, G_IO_ERROR, G_IO_ERROR_NONE);
  g_assert_null (vp_database_get_break (env->db));
}

typedef struct
{
  sqlite3 *raw;
  guint    hold_ms;
} Holder;

static gpointer
release_later (gpointer data)
{
  Holder *h = data;

  g_usleep (h->hold_ms * 1000);
  vp_test_raw_exec (h->raw, "COMMIT");
  return NULL;
}

static void
test_busy_retry_waits (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpJournalEntry) e = NULL;
  Holder h;
  GThread *thread;
  gint64 start, elapsed;

  h.raw = vp_test_raw_open (env->path);
  h.hold_ms = 1500;
  vp_test_raw_exec (h.raw, "BEGIN IMMEDIATE");
  vp_test_raw_exec (h.raw, "INSERT INTO meta (key, value) VALUES ('other_writer', 'x')");
  thread = g_thread_new ("holder", release_later, &h);

  start = g_get_monotonic_time ();
  e = vp_shift_store_open (env->db, env->op, 20000, &error);
  elapsed = g_get_monotonic_time () - start;
  g_thread_join (thread);
  sqlite3_close (h.raw);

  g_assert_no_error (error);
  g_assert_nonnull (e);
  g_assert_cmpint (e->seq, ==, 1);
  /* It waited for the other writer, then went through. */
  g_assert_cmpint (elapsed, >=, 1200 * 1000);
  g_assert_cmpint (elapsed, <, 9000 * 1000);
  g_assert_cmpint (vp_shift_store_current (env->db), ==, 1);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM meta WHERE key = 'other_writer'"),
                   ==, 1);
}

static void
test_busy_forever_fails (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpJournalEntry) e = NULL;
  sqlite3 *raw = vp_test_raw_open (env->path);
  gint64 start, elapsed;

  vp_test_raw_exec (raw, "BEGIN IMMEDIATE");
  start = g_get_monotonic_time ();
  e = vp_shift_store_open (env->db, env->op, 20000, &error);
  elapsed = g_get_monotonic_time () - start;
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_BUSY);
  g_test_message ("gave up after %.1f s", elapsed / 1e6);
  g_assert_cmpint (elapsed, >=, 4000 * 1000);
  g_assert_cmpint (elapsed, <, 30000 * 1000);
  vp_test_raw_exec (raw, "ROLLBACK");
  sqlite3_close (raw);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 0);
  g_assert_cmpint (vp_shift_store_current (env->db), ==, 0);
}

/* --- staff ------------------------------------------------------------- */

static void
test_staff_pin_auth (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpStaff) s = NULL;
  g_autofree char *hash = NULL;

  g_assert_true (vp_staff_store_add (env->db, "op02", "赵敏", VP_ROLE_OPERATOR, "246810", 1000, &error));
  g_assert_no_error (error);
  hash = vp_test_query_text (env->db, "SELECT pin_hash FROM staff WHERE id = 'op02'");
  g_assert_true (g_str_has_prefix (hash, "pbkdf2-sha256$1000$"));
  g_assert_null (strstr (hash, "246810"));

  s = vp_staff_store_authenticate (env->db, "op02", "246810", &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
  g_assert_cmpstr (s->id, ==, "op02");
  g_assert_cmpstr (s->name, ==, "赵敏");
  g_assert_cmpint (s->role, ==, VP_ROLE_OPERATOR);
  g_clear_pointer (&s, vp_staff_free);

  /* Wrong PIN, unknown id, malformed PIN: the same AUTH error. */
  s = vp_staff_store_authenticate (env->db, "op02", "246811", &error);
  g_assert_null (s);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
  g_clear_error (&error);
  s = vp_staff_store_authenticate (env->db, "nobody", "246810", &error);
  g_assert_null (s);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
  g_clear_error (&error);
  s = vp_staff_store_authenticate (env->db, "op02", "12a4", &error);
  g_assert_null (s);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
  g_clear_error (&error);

  /* Duplicates and bad ids/PINs are refused. */
  g_assert_false (vp_staff_store_add (env->db, "op02", "赵敏", VP_ROLE_OPERATOR, "1111", 1000, &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (vp_staff_store_add (env->db, "x", "赵敏", VP_ROLE_OPERATOR, "1111", 1000, &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (vp_staff_store_add (env->db, "op03", "赵敏", VP_ROLE_OPERATOR, "12", 1000, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM staff"), ==, 3);
}

static void
test_staff_lockout (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpStaff) s = NULL;

  g_assert_cmpint (VP_STAFF_MAX_FAILED_PINS, ==, 5);
  for (int i = 0; i < 4; i++)
    {
      s = vp_staff_store_authenticate (env->db, "op01", "0000", &error);
      g_assert_null (s);
      g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
      g_clear_error (&error);
    }
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT failed_pins FROM staff WHERE id = 'op01'"), ==, 4);
  /* A right PIN before the fifth wrong one resets the count. */
  s = vp_staff_store_authenticate (env->db, "op01", "1234", &error);
  g_assert_no_error (error);
  g_clear_pointer (&s, vp_staff_free);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT failed_pins FROM staff WHERE id = 'op01'"), ==, 0);

  for (int i = 0; i < 5; i++)
    {
      s = vp_staff_store_authenticate (env->db, "op01", "0000", &error);
      g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
      g_clear_error (&error);
    }
  /* Locked: even the right PIN is refused now. */
  s = vp_staff_store_authenticate (env->db, "op01", "1234", &error);
  g_assert_null (s);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_LOCKED_OUT);
  g_clear_error (&error);
  /* Another staff member is not affected. */
  s = vp_staff_store_authenticate (env->db, "sup01", "9876", &error);
  g_assert_no_error (error);
  g_clear_pointer (&s, vp_staff_free);

  /* After the lockout period the right PIN works again. */
  {
    g_autofree char *later = g_strdup_printf ("%" G_GINT64_FORMAT,
                                              g_get_real_time () / G_USEC_PER_SEC +
                                              VP_STAFF_LOCKOUT_SECONDS + 5);
    g_setenv ("VP_FAKE_NOW", later, TRUE);
    s = vp_staff_store_authenticate (env->db, "op01", "1234", &error);
    g_unsetenv ("VP_FAKE_NOW");
    g_assert_no_error (error);
    g_assert_nonnull (s);
  }
}

/* Another connection holds the write lock; the van connection's busy
 * handler (which replaces its busy timeout) counts each time SQLite finds
 * the lock taken and, at the release_after-th time, lets the holder
 * commit. Returning 0 hands SQLITE_BUSY back to the caller at once, as
 * an expired busy timeout would: only a caller that retries gets through.
 * No sleeps, no threads: the release happens at a counted point. */
typedef struct
{
  sqlite3 *holder;
  guint    calls;
  guint    release_after;   /* 0: never */
  gboolean held;
} BusyHold;

static int
busy_release (void *data,
              int   n_prior)
{
  BusyHold *h = data;

  h->calls++;
  if (h->held && h->release_after > 0 && h->calls >= h->release_after)
    {
      vp_test_raw_exec (h->holder, "COMMIT");
      h->held = FALSE;
    }
  return 0;
}

static void
busy_hold (BusyHold *h,
           guint     release_after)
{
  vp_test_raw_exec (h->holder, "BEGIN IMMEDIATE");
  vp_test_raw_exec (h->holder, "UPDATE meta SET value = value WHERE key = 'van_id'");
  h->held = TRUE;
  h->calls = 0;
  h->release_after = release_after;
}

static gint64
failed_pins (VpDatabase *db)
{
  return vp_test_query_int (db, "SELECT failed_pins FROM staff WHERE id = 'op01'");
}

/* Issue 8: wrong PINs tried while another process held the database were
 * not counted (record_attempt ignored SQLITE_BUSY), so the lockout could
 * be bypassed by guessing under contention. */
static void
test_staff_lockout_under_contention (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpStaff) s = NULL;
  BusyHold h = { .holder = vp_test_raw_open (env->path) };

  sqlite3_busy_handler (vp_database_get_handle (env->db), busy_release, &h);
  for (int i = 0; i < VP_STAFF_MAX_FAILED_PINS; i++)
    {
      /* Found busy twice, released at the second: the third try writes. */
      busy_hold (&h, 2);
      s = vp_staff_store_authenticate (env->db, "op01", "0000", &error);
      g_assert_null (s);
      g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
      g_clear_error (&error);
      g_assert_cmpint (failed_pins (env->db), ==, i + 1);
      g_assert_cmpuint (h.calls, ==, 2);
      g_assert_false (h.held);
    }
  /* Exactly five wrong PINs lock op01 out, the right PIN included. */
  s = vp_staff_store_authenticate (env->db, "op01", "1234", &error);
  g_assert_null (s);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_LOCKED_OUT);
  sqlite3_busy_handler (vp_database_get_handle (env->db), NULL, NULL);
  sqlite3_close (h.holder);
}

/* A right PIN that must reset the count waits for the lock; if the lock
 * never clears, the login fails busy; it never succeeds with the reset
 * unrecorded. A wrong PIN that cannot be counted fails busy, not as a
 * mere wrong PIN. */
static void
test_staff_pin_busy (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpStaff) s = NULL;
  BusyHold h = { .holder = vp_test_raw_open (env->path) };

  for (int i = 0; i < 2; i++)
    {
      s = vp_staff_store_authenticate (env->db, "op01", "0000", &error);
      g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
      g_clear_error (&error);
    }
  g_assert_cmpint (failed_pins (env->db), ==, 2);
  sqlite3_busy_handler (vp_database_get_handle (env->db), busy_release, &h);

  /* The lock clears at the third busy: signed in, count reset. */
  busy_hold (&h, 3);
  s = vp_staff_store_authenticate (env->db, "op01", "1234", &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
  g_clear_pointer (&s, vp_staff_free);
  g_assert_cmpint (failed_pins (env->db), ==, 0);
  g_assert_cmpuint (h.calls, ==, 3);

  s = vp_staff_store_authenticate (env->db, "op01", "0000", &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
  g_clear_error (&error);
  g_assert_cmpint (failed_pins (env->db), ==, 1);

  /* The lock never clears (vp_database_begin's deadline runs out). */
  busy_hold (&h, 0);
  s = vp_staff_store_authenticate (env->db, "op01", "1234", &error);
  g_assert_null (s);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_cmpuint (h.calls, >, 1);
  s = vp_staff_store_authenticate (env->db, "op01", "0000", &error);
  g_assert_null (s);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_BUSY);
  g_clear_error (&error);
  vp_test_raw_exec (h.holder, "ROLLBACK");
  h.held = FALSE;
  /* Neither attempt changed the count; the busy one was not a free guess
   * either: the caller was told it did not go through. */
  g_assert_cmpint (failed_pins (env->db), ==, 1);

  sqlite3_busy_handler (vp_database_get_handle (env->db), NULL, NULL);
  sqlite3_close (h.holder);
}

/* A van database opened read-only cannot count attempts: every login
 * fails with the medium's reason, the right PIN too, and nothing changes. */
static void
test_staff_pin_read_only (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpDatabase) ro = NULL;
  g_autoptr(VpStaff) s = NULL;

  ro = vp_database_open (env->path, VP_DATABASE_OPEN_READONLY, &error);
  g_assert_no_error (error);
  s = vp_staff_store_authenticate (ro, "op01", "0000", &error);
  g_assert_null (s);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  s = vp_staff_store_authenticate (ro, "op01", "1234", &error);
  g_assert_null (s);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_cmpint (failed_pins (env->db), ==, 0);
}

static void
test_roles (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autoptr(VpJournalEntry) open = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autofree char *acct = vp_test_add_account (env->db, 3409000001, "刘洋", "13800001111", "红旗社区",
                                               "2", "1", "301", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) pay = NULL;

  open = vp_shift_store_open (env->db, env->op, 10000, &error);
  g_assert_no_error (error);
  pay = vp_bill_store_pay (env->db, env->op, acct, 500, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);

  e = vp_shift_store_close (env->db, env->op, 10500, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  e = vp_shift_store_void (env->db, env->op, pay->seq, "mistake", &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  /* No staff at all. */
  e = vp_bill_store_pay (env->db, NULL, acct, 500, VP_PAYMENT_CASH, NULL, &error);
  g_assert_null (e);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH);
  g_clear_error (&error);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 2);

  /* A supervisor may do what an operator does, and more. */
  e = vp_shift_store_void (env->db, env->sup, pay->seq, "mistake", &error);
  g_assert_no_error (error);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = vp_shift_store_close (env->db, env->sup, 10000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 4);
}

static void
test_demo_keeps_schema (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) empty = vp_test_env_new (0);
  g_autoptr(VpTestEnv) loaded = vp_test_env_new (12000);
  const char *sql = "SELECT group_concat (type || ' ' || name || ': ' || coalesce (sql, ''), '\n')"
                    " FROM (SELECT * FROM sqlite_schema ORDER BY name)";
  g_autofree char *s1 = vp_test_query_text (empty->db, sql);
  g_autofree char *s2 = vp_test_query_text (loaded->db, sql);
  g_autoptr(GPtrArray) r = NULL;

  /* The bulk load drops and rebuilds the account indexes: same schema
   * afterwards, every index usable and consistent. */
  g_assert_cmpstr (s1, ==, s2);
  g_assert_nonnull (strstr (s2, "accounts_holder"));
  g_assert_cmpint (vp_account_store_count (loaded->db), ==, 12000);
  g_assert_true (vp_database_check_integrity (loaded->db, &error));
  {
    g_autofree char *check = vp_test_query_text (loaded->db, "PRAGMA integrity_check");
    g_assert_cmpstr (check, ==, "ok");
  }
  r = vp_account_store_search (loaded->db, "光明社区", 0, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->len, ==, 5);
  /* A second demo load appends (indexes kept in place). */
  g_assert_true (vp_demo_populate (loaded->db, 100, 9, VP_TEST_PIN_ITERATIONS, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (vp_account_store_count (loaded->db), ==, 12100);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/database/migrations", test_migrations_fresh_and_reopen);
  g_test_add_func ("/database/newer-schema", test_newer_schema_refused);
  g_test_add_func ("/database/pragmas", test_pragmas);
  g_test_add_func ("/database/integrity", test_integrity_check_catches_corruption);
  g_test_add_func ("/database/integrity-background", test_integrity_checked_in_background);
  g_test_add_func ("/database/integrity-background-passes", test_integrity_background_passes);
  g_test_add_func ("/database/busy-retry", test_busy_retry_waits);
  g_test_add_func ("/database/busy-forever", test_busy_forever_fails);
  g_test_add_func ("/database/demo-keeps-schema", test_demo_keeps_schema);
  g_test_add_func ("/staff/pin-auth", test_staff_pin_auth);
  g_test_add_func ("/staff/lockout", test_staff_lockout);
  g_test_add_func ("/staff/lockout-under-contention", test_staff_lockout_under_contention);
  g_test_add_func ("/staff/pin-busy", test_staff_pin_busy);
  g_test_add_func ("/staff/pin-read-only", test_staff_pin_read_only);
  g_test_add_func ("/staff/roles", test_roles);
  return g_test_run ();
}
