/* commit.c: payment commit latency vs a raw single-row SQLite INSERT with
 * the same durability (WAL, synchronous=FULL, same file system), measured
 * in the same run and printed as a ratio (target ≤ 2×).
 *
 *   bench-commit [N]     (default 500 of each; files under $TMPDIR)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "vp-store.h"

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void
stats (const char *label,
       double     *t,
       guint       n,
       double     *median)
{
  double sum = 0;

  for (guint i = 0; i < n; i++)
    sum += t[i];
  qsort (t, n, sizeof (double), cmp_double);
  *median = t[n / 2];
  printf ("%-34s p50 %7.3f ms  p95 %7.3f ms  mean %7.3f ms\n", label, t[n / 2],
          t[(guint)(n * 0.95)], sum / n);
}

static void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_remove (p);
    }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  guint n = argc > 1 ? (guint)atoi (argv[1]) : 500;
  g_autofree char *dir = g_dir_make_tmp ("vanpos-bench-commit-XXXXXX", &error);
  g_autofree char *vp_path = NULL;
  g_autofree char *raw_path = NULL;
  g_autoptr(VpDatabase) db = NULL;
  g_autoptr(VpStaff) op = NULL;
  g_autoptr(VpAccount) acct = NULL;
  g_autofree double *pay_t = NULL;
  g_autofree double *raw_t = NULL;
  g_autoptr(VpJournalEntry) shift = NULL;
  sqlite3 *raw = NULL;
  sqlite3_stmt *ins = NULL;
  double pay_med, raw_med;

  if (dir == NULL || n < 10)
    {
      fprintf (stderr, "bench-commit: %s\n", error ? error->message : "N must be at least 10");
      return 1;
    }
  vp_path = g_build_filename (dir, "van.db", NULL);
  raw_path = g_build_filename (dir, "raw.db", NULL);
  pay_t = g_new0 (double, n);
  raw_t = g_new0 (double, n);

  /* The van database: 10,000 demo accounts, an open shift, the operator
   * already signed in (PIN hashing is not part of the commit). */
  db = vp_database_open (vp_path, VP_DATABASE_OPEN_DEFAULT, &error);
  if (db == NULL || !vp_database_init_van (db, "VAN01", &error) ||
      !vp_demo_populate (db, 10000, 1, 1000, NULL, NULL, &error) ||
      (op = vp_staff_store_authenticate (db, VP_DEMO_OPERATOR_ID, VP_DEMO_OPERATOR_PIN, &error)) == NULL ||
      (shift = vp_shift_store_open (db, op, 10000, &error)) == NULL)
    {
      fprintf (stderr, "bench-commit: %s\n", error->message);
      return 1;
    }
  {
    g_autoptr(GPtrArray) r = vp_account_store_search (db, "光明社区", 0, 1, &error);
    acct = vp_account_copy (r->pdata[0]);
  }

  /* The raw baseline: same PRAGMAs, same directory, one row per commit. */
  sqlite3_open (raw_path, &raw);
  sqlite3_exec (raw, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                     "CREATE TABLE t (id INTEGER PRIMARY KEY, account TEXT, amount INTEGER, at INTEGER)",
                NULL, NULL, NULL);
  sqlite3_prepare_v2 (raw, "INSERT INTO t (account, amount, at) VALUES (?1, ?2, ?3)", -1, &ins, NULL);

  /* Interleaved so both see the same disk conditions. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VpJournalEntry) e = NULL;
      gint64 t0 = g_get_monotonic_time ();

      e = vp_bill_store_pay (db, op, acct->number, 100 + i, VP_PAYMENT_CASH, NULL, &error);
      pay_t[i] = (g_get_monotonic_time () - t0) / 1000.0;
      if (e == NULL)
        {
          fprintf (stderr, "bench-commit: %s\n", error->message);
          return 1;
        }

      t0 = g_get_monotonic_time ();
      sqlite3_bind_text (ins, 1, acct->number, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (ins, 2, 100 + i);
      sqlite3_bind_int64 (ins, 3, t0);
      if (sqlite3_step (ins) != SQLITE_DONE)
        {
          fprintf (stderr, "bench-commit: raw insert: %s\n", sqlite3_errmsg (raw));
          return 1;
        }
      sqlite3_reset (ins);
      raw_t[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  sqlite3_finalize (ins);
  sqlite3_close (raw);

  printf ("Payment commit vs raw INSERT, %u each, WAL + synchronous=FULL in %s\n", n, dir);
  stats ("vp_bill_store_pay (tx + journal)", pay_t, n, &pay_med);
  stats ("raw single-row INSERT (autocommit)", raw_t, n, &raw_med);
  printf ("commit: ratio pay/raw (p50) = %.2fx  (target <= 2x: %s)\n", pay_med / raw_med,
          pay_med / raw_med <= 2.0 ? "ok" : "OVER");

  g_clear_object (&db);
  rm_rf (dir);
  return 0;
}
