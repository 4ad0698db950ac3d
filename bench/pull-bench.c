/* pull-bench.c: a van's first master pull of M accounts (default
 * 1,000,000; VP_BENCH_ACCOUNTS) from the real vanpos-hq on PostgreSQL
 * over loopback HTTPS, against the raw batched SQLite insert rate of the
 * same rows on this machine, measured in the same run (issue 11; target
 * ratio >= 0.5).
 *
 * The van starts as at roll-out: no accounts, no master cursor. "Raw" is
 * the rows the pull stored (accounts with their ids, bills), read back and
 * inserted into a fresh van database (same schema: indexes, search
 * triggers, synchronous = FULL) with prepared multi-row INSERTs, one
 * transaction per page of rows as the pull's pages: what SQLite itself
 * does with the same data, without HTTP, JSON or the import's checks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>

#include "sync-test-util.h"

#define PAGE_ROWS 50000
#define ROWS_PER_INSERT 500

static const char *account_cols =
  "id, number, holder, holder_initials, phone, id_number, estate, building, unit, room,"
  " service, meter, tariff_class, concession_expiry, elderly_alone, needs_visit, balance,"
  " card_number, card_counter, tariff_year, year_volume, free_used, last_reading, status,"
  " opened_seq, updated_at";
#define N_ACCOUNT_COLS 26
static const char *bill_cols = "id, account_id, period, amount, paid, hq_id";
#define N_BILL_COLS 6

static gint64
env_int (const char *name,
         gint64      fallback)
{
  const char *v = g_getenv (name);

  return v ? g_ascii_strtoll (v, NULL, 10) : fallback;
}

static void
exec_or_die (sqlite3    *db,
             const char *sql)
{
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("pull-bench: %s: %s", sql, msg);
}

/* Every row of table (cols) as sqlite3_value copies, row after row. */
static GPtrArray *
read_rows (sqlite3    *db,
           const char *table,
           const char *cols,
           int         n_cols)
{
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM %s ORDER BY id", cols, table);
  GPtrArray *values = g_ptr_array_new_with_free_func ((GDestroyNotify)sqlite3_value_free);
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("pull-bench: %s: %s", sql, sqlite3_errmsg (db));
  while (sqlite3_step (stmt) == SQLITE_ROW)
    for (int i = 0; i < n_cols; i++)
      g_ptr_array_add (values, sqlite3_value_dup (sqlite3_column_value (stmt, i)));
  sqlite3_finalize (stmt);
  return values;
}

static sqlite3_stmt *
prepare_insert (sqlite3    *db,
                const char *table,
                const char *cols,
                int         n_cols,
                guint       rows)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  g_string_printf (sql, "INSERT INTO %s (%s) VALUES ", table, cols);
  for (guint r = 0; r < rows; r++)
    {
      g_string_append (sql, r ? ",(" : "(");
      for (int c = 0; c < n_cols; c++)
        g_string_append (sql, c ? ",?" : "?");
      g_string_append_c (sql, ')');
    }
  if (sqlite3_prepare_v2 (db, sql->str, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("pull-bench: prepare: %s", sqlite3_errmsg (db));
  return stmt;
}

/* Inserts the rows ROWS_PER_INSERT at a time, PAGE_ROWS per transaction. */
static void
insert_rows (sqlite3    *db,
             const char *table,
             const char *cols,
             int         n_cols,
             GPtrArray  *values)
{
  guint n_rows = values->len / n_cols;
  sqlite3_stmt *full = prepare_insert (db, table, cols, n_cols, ROWS_PER_INSERT);
  guint done = 0;

  exec_or_die (db, "BEGIN IMMEDIATE");
  while (done < n_rows)
    {
      guint rows = MIN (ROWS_PER_INSERT, n_rows - done);
      sqlite3_stmt *stmt = rows == ROWS_PER_INSERT ? full
                                                   : prepare_insert (db, table, cols, n_cols, rows);

      for (guint r = 0; r < rows; r++)
        for (int c = 0; c < n_cols; c++)
          sqlite3_bind_value (stmt, r * n_cols + c + 1, values->pdata[(done + r) * n_cols + c]);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        g_error ("pull-bench: insert into %s: %s", table, sqlite3_errmsg (db));
      sqlite3_reset (stmt);
      if (stmt != full)
        sqlite3_finalize (stmt);
      if (done / PAGE_ROWS != (done + rows) / PAGE_ROWS)
        {
          exec_or_die (db, "COMMIT");
          exec_or_die (db, "BEGIN IMMEDIATE");
        }
      done += rows;
    }
  exec_or_die (db, "COMMIT");
  sqlite3_finalize (full);
}

int
main (int    argc,
      char **argv)
{
  gint64 n_accounts = env_int ("VP_BENCH_ACCOUNTS", 1000000);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, n_accounts);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *raw_path = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GPtrArray) bills = NULL;
  VpSyncOptions pull = { PAGE_ROWS, FALSE };
  SyncEnv *env;
  double t_pull, t_raw;
  gint64 rows, pulled_accounts, pulled_bills;

  env = sync_env_new ("VAN01", 1);
  if (env == NULL)
    {
      g_print ("pull-bench: skipped (no PostgreSQL)\n");
      return 77;
    }

  if (sync_env_hq (env, &out, &err, "demo", "--accounts", n, NULL) != 0)
    g_error ("vanpos-hq demo: %s %s", out, err);

  /* The van as at roll-out: nothing pulled yet. */
  {
    sqlite3 *db = vp_database_get_handle (env->db);

    vp_database_lock (env->db);
    exec_or_die (db, "BEGIN IMMEDIATE;"
                     " DELETE FROM bills; DELETE FROM name_suffixes; DELETE FROM accounts;"
                     " DELETE FROM meta WHERE key = 'master_cursor';"
                     " COMMIT");
    vp_database_unlock (env->db);
  }

  {
    g_autoptr(VpSyncClient) client = sync_env_client (env, 3);
    g_autoptr(VpSyncResult) r = NULL;

    g_timer_start (timer);
    r = vp_service_sync_with_client (env->service, client, "sup01", "9876", &pull,
                                     NULL, NULL, NULL, &error);
    t_pull = g_timer_elapsed (timer, NULL);
    if (r == NULL)
      g_error ("pull: %s", error->message);
    pulled_accounts = r->master.accounts;
    pulled_bills = r->master.bills;
    g_print ("pull-bench: pulled %" G_GINT64_FORMAT " accounts and %" G_GINT64_FORMAT
             " bills in %" G_GINT64_FORMAT " pages of %d\n",
             pulled_accounts, pulled_bills, r->master_pages, PAGE_ROWS);
  }
  g_assert_cmpint (vp_account_store_count (env->db), ==, pulled_accounts);

  /* The same rows, inserted raw into a fresh van database. */
  vp_database_lock (env->db);
  accounts = read_rows (vp_database_get_handle (env->db), "accounts", account_cols,
                        N_ACCOUNT_COLS);
  bills = read_rows (vp_database_get_handle (env->db), "bills", bill_cols, N_BILL_COLS);
  vp_database_unlock (env->db);
  rows = accounts->len / N_ACCOUNT_COLS + bills->len / N_BILL_COLS;
  g_assert_cmpint (rows, ==, pulled_accounts + pulled_bills);

  raw_path = g_build_filename (env->dir, "raw.db", NULL);
  {
    g_autoptr(VpDatabase) raw = vp_database_open (raw_path, VP_DATABASE_OPEN_DEFAULT, &error);
    sqlite3 *db;

    if (raw == NULL)
      g_error ("pull-bench: %s", error->message);
    db = vp_database_get_handle (raw);
    g_timer_start (timer);
    insert_rows (db, "accounts", account_cols, N_ACCOUNT_COLS, accounts);
    insert_rows (db, "bills", bill_cols, N_BILL_COLS, bills);
    t_raw = g_timer_elapsed (timer, NULL);
  }
  g_unlink (raw_path);

  g_print ("pull-bench: master pull   %" G_GINT64_FORMAT " rows in %.2f s = %.0f rows/s"
           " (HTTPS from vanpos-hq on PostgreSQL, pages of %d)\n",
           rows, t_pull, rows / t_pull, PAGE_ROWS);
  g_print ("pull-bench: raw insert    %" G_GINT64_FORMAT " rows in %.2f s = %.0f rows/s"
           " (same rows, same schema, %d rows per INSERT, %d per transaction)\n",
           rows, t_raw, rows / t_raw, ROWS_PER_INSERT, PAGE_ROWS);
  g_print ("pull-bench: ratio %.2f (target >= 0.5: %s)\n", t_raw / t_pull,
           t_raw / t_pull >= 0.5 ? "ok" : "UNDER");
  sync_env_free (env);
  return 0;
}
