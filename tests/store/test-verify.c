/* test-verify.c: vp_journal_store_verify checks the journal in batches
 * on every core and still answers as the row-by-row walk did: the first
 * bad entry, whichever check finds it, across batch boundaries.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"

/* vp_journal_store_verify reads 4096 rows per batch. */
#define BATCH 4096

/* A shift opening and n - 1 payments. */
static VpTestEnv *
make_journal (guint n)
{
  g_autoptr(GError) error = NULL;
  VpTestEnv *env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409200001, "唐明", "13500001111", "西园小区",
                                               "1", "1", "101", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) shift = NULL;

  /* Durability is not under test; thousands of fsyncs would be slow. */
  g_assert_true (vp_database_exec (env->db, "PRAGMA synchronous = OFF", &error));
  g_assert_no_error (error);
  /* Thousands of payments in one day: over the default offline caps,
   * which are not under test here either. */
  g_assert_true (vp_database_exec (env->db,
                                   "INSERT INTO meta (key, value) VALUES"
                                   " ('limit.cash_per_day', '10000000000'),"
                                   " ('limit.cash_in_van', '10000000000')", &error));
  g_assert_no_error (error);
  shift = vp_shift_store_open (env->db, env->op, 1000, &error);
  g_assert_no_error (error);
  for (guint i = 1; i < n; i++)
    {
      g_autoptr(VpJournalEntry) e = vp_bill_store_pay (env->db, env->op, acct, 100 + i,
                                                       VP_PAYMENT_CASH, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (e->seq, ==, i + 1);
    }
  return env;
}

/* Runs sql on a raw connection with every trigger on the journal dropped
 * (whatever their names). */
static void
tamper (VpTestEnv  *env,
        const char *sql)
{
  sqlite3 *raw = vp_test_raw_open (env->path);
  g_autoptr(GPtrArray) drops = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (raw, "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                            " AND tbl_name = 'journal'", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (drops, g_strdup_printf ("DROP TRIGGER \"%s\"", sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  for (guint i = 0; i < drops->len; i++)
    vp_test_raw_exec (raw, drops->pdata[i]);
  vp_test_raw_exec (raw, sql);
  sqlite3_close (raw);
}

static void
expect_bad (VpTestEnv  *env,
            gint64      bad_seq,
            GQuark      domain,
            gint        code,
            const char *message)
{
  g_autoptr(GError) error = NULL;
  gint64 checked = -1, bad = -1;

  g_assert_false (vp_journal_store_verify (env->db, &checked, &bad, &error));
  g_assert_error (error, domain, code);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_cmpint (bad, ==, bad_seq);
  g_assert_cmpint (checked, ==, bad_seq - 1);
}

static void
expect_intact (VpTestEnv *env,
               gint64     n)
{
  g_autoptr(GError) error = NULL;
  gint64 checked = -1, bad = -1;

  g_assert_true (vp_journal_store_verify (env->db, &checked, &bad, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checked, ==, n);
  g_assert_cmpint (bad, ==, 0);
}

static void
test_across_batches (void)
{
  const guint n = BATCH + 4;
  g_autoptr(VpTestEnv) env = make_journal (n);
  g_autofree char *sig_4097 = vp_test_query_text (env->db, "SELECT signature FROM journal WHERE seq = 4097");
  g_autofree char *hash_4096 = vp_test_query_text (env->db, "SELECT hash FROM journal WHERE seq = 4096");
  g_autofree char *sql = NULL;

  /* The second batch links to the last hash of the first. */
  expect_intact (env, n);

  /* The first entry of the second batch. */
  tamper (env, "UPDATE journal SET signature = (SELECT signature FROM journal WHERE seq = 4099)"
               " WHERE seq = 4097");
  expect_bad (env, 4097, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SIGNATURE,
              "entry 4097: signature does not verify");
  sql = g_strdup_printf ("UPDATE journal SET signature = '%s' WHERE seq = 4097", sig_4097);
  tamper (env, sql);
  expect_intact (env, n);

  /* The last entry of the first batch: its content, then the next link. */
  tamper (env, "UPDATE journal SET hash = '1111111111111111111111111111111111111111111111111111111111111111'"
               " WHERE seq = 4096");
  expect_bad (env, 4096, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH,
              "entry 4096: hash does not match its content");
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("UPDATE journal SET hash = '%s' WHERE seq = 4096", hash_4096);
  tamper (env, sql);
  expect_intact (env, n);

  /* Later in the second batch. */
  tamper (env, "UPDATE journal SET device_time = device_time + 1 WHERE seq = 4099");
  expect_bad (env, 4099, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH,
              "entry 4099: hash does not match its content");

  /* Damage in both batches: the first. */
  tamper (env, "UPDATE journal SET monotonic_ms = monotonic_ms + 1 WHERE seq = 3000");
  expect_bad (env, 3000, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH,
              "entry 3000: hash does not match its content");
}

/* A bad entry read before a gap or a foreign entry is named first, as
 * when each row was checked as it was read. */
static void
test_order_of_checks (void)
{
  g_autoptr(VpTestEnv) env = make_journal (30);

  tamper (env, "DELETE FROM outbox WHERE seq = 20; DELETE FROM journal WHERE seq = 20");
  expect_bad (env, 20, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SEQ,
              "entry 21: expected seq 20 (entries are missing)");

  tamper (env, "UPDATE journal SET van_id = 'VAN02' WHERE seq = 15");
  expect_bad (env, 15, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID, "entry 15: belongs to van VAN02");

  tamper (env, "UPDATE journal SET device_time = device_time + 1 WHERE seq = 10");
  expect_bad (env, 10, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH,
              "entry 10: hash does not match its content");
}

/* A van key that does not parse fails entry 1 with the key's own error,
 * after entry 1's own checks, as before. */
static void
test_unreadable_key (void)
{
  g_autoptr(VpTestEnv) env = make_journal (5);

  tamper (env, "UPDATE meta SET value = 'not a key' WHERE key = 'van_public_key'");
  expect_bad (env, 1, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY,
              "entry 1: The public key is not a SubjectPublicKeyInfo PEM key");

  tamper (env, "UPDATE journal SET device_time = device_time + 1 WHERE seq = 1");
  expect_bad (env, 1, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH,
              "entry 1: hash does not match its content");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/verify/across-batches", test_across_batches);
  g_test_add_func ("/verify/order-of-checks", test_order_of_checks);
  g_test_add_func ("/verify/unreadable-key", test_unreadable_key);
  return g_test_run ();
}
