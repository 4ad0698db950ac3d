/* search.c: account search latency per query shape at 1,000,000 accounts.
 *
 *   bench-search [DB]      (default: $VP_BENCH_DB or /tmp/vanpos-bench-1m.db)
 *
 * Builds the demo database (vp_demo_populate, seed 1) if DB does not exist
 * yet, then runs ~200 queries per shape drawn from real rows and prints
 * p50/p95/p99 in ms; shapes over the 10 ms p95 target are flagged.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-store.h"

#define N_ACCOUNTS      1000000
#define QUERIES         200
#define TARGET_P95_MS   10.0

typedef struct
{
  const char *name;
  const char *sql;      /* picks sample rows: column 0 is turned into a query */
  char     *(*make) (const char *value);
} Shape;

static char *
same (const char *v)
{
  return g_strdup (v);
}

static char *
prefix7 (const char *v)
{
  return g_strndup (v, 7);
}

static char *
last4 (const char *v)
{
  gsize n = strlen (v);
  return g_strdup (n > 4 ? v + n - 4 : v);
}

static char *
first_char (const char *v)
{
  return g_strndup (v, g_utf8_next_char (v) - v);
}

static char *
given_name (const char *v)
{
  return g_strdup (g_utf8_next_char (v));
}

static char *
estate_building (const char *v)
{
  /* "光明社区3栋2单元501室" → "光明社区3栋" */
  const char *dong = strstr (v, "栋");
  return dong ? g_strndup (v, dong + strlen ("栋") - v) : g_strdup (v);
}

static char *
estate_and_room (const char *v)
{
  /* "光明社区|501" → "光明社区 501" */
  return g_strdelimit (g_strdup (v), "|", ' ');
}

static const Shape shapes[] = {
  { "account number", "SELECT number FROM accounts a", same },
  { "account prefix(7)", "SELECT number FROM accounts a", prefix7 },
  { "card number", "SELECT card_number FROM accounts a WHERE card_number IS NOT NULL", same },
  { "phone prefix(7)", "SELECT phone FROM accounts a", prefix7 },
  { "phone last 4", "SELECT phone FROM accounts a", last4 },
  { "name 1 char", "SELECT holder FROM accounts a", first_char },
  { "name 2 chars", "SELECT holder FROM accounts a WHERE length (holder) = 2", same },
  { "given name 2 chars", "SELECT holder FROM accounts a WHERE length (holder) = 3", given_name },
  { "name 3 chars", "SELECT holder FROM accounts a WHERE length (holder) = 3", same },
  { "pinyin initials", "SELECT holder_initials FROM accounts a WHERE length (holder_initials) = 3", same },
  { "address (estate+bldg)", "SELECT address FROM accounts a", estate_building },
  { "multi-token", "SELECT estate || '|' || room FROM accounts a", estate_and_room },
};

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double
percentile (double *sorted,
            guint   n,
            double  p)
{
  guint i = (guint)(p * (n - 1) + 0.5);
  return sorted[MIN (i, n - 1)];
}

static GPtrArray *
sample (VpDatabase *db,
        const char *sql,
        guint       n,
        GRand      *rand)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gint64 max_id = 0;
  sqlite3_stmt *stmt = NULL;
  /* Random rows: the first row at or after a random id. */
  g_autofree char *fixed = g_strdup_printf ("%s%s a.id >= ?1 ORDER BY a.id LIMIT 1",
                                            sql, strstr (sql, "WHERE") ? " AND" : " WHERE");
  guint tries = 0;

  vp_database_lock (db);
  sqlite3_prepare_v2 (vp_database_get_handle (db), "SELECT max (id) FROM accounts", -1, &stmt, NULL);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    max_id = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (sqlite3_prepare_v2 (vp_database_get_handle (db), fixed, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", fixed, sqlite3_errmsg (vp_database_get_handle (db)));
  while (out->len < n && tries++ < n * 10)
    {
      sqlite3_bind_int64 (stmt, 1, g_rand_int_range (rand, 1, (gint32)max_id + 1));
      if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
        g_ptr_array_add (out, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  vp_database_unlock (db);
  return out;
}

static void
demo_progress (gint64 done, gint64 total, gpointer user_data)
{
  if (done % 100000 == 0 || done == total)
    fprintf (stderr, "\r  %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT " accounts", done, total);
  if (done == total)
    fprintf (stderr, "\n");
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpDatabase) db = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  const char *path = argc > 1 ? argv[1] : g_getenv ("VP_BENCH_DB");
  gboolean all_ok = TRUE;

  if (path == NULL)
    path = "/tmp/vanpos-bench-1m.db";

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GTimer) timer = g_timer_new ();

      fprintf (stderr, "Building %s with %d demo accounts…\n", path, N_ACCOUNTS);
      db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, &error);
      if (db == NULL || !vp_database_init_van (db, "VAN01", &error) ||
          !vp_demo_populate (db, N_ACCOUNTS, 1, 1000, demo_progress, NULL, &error))
        {
          fprintf (stderr, "bench-search: %s\n", error->message);
          return 1;
        }
      fprintf (stderr, "  built in %.1f s\n", g_timer_elapsed (timer, NULL));
    }
  else
    {
      db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, &error);
      if (db == NULL)
        {
          fprintf (stderr, "bench-search: %s\n", error->message);
          return 1;
        }
    }

  printf ("Account search latency, %" G_GINT64_FORMAT " accounts, %d queries per shape (limit 20)\n",
          vp_account_store_count (db), QUERIES);
  printf ("%-24s %8s %8s %8s %8s %9s  %s\n", "shape", "p50 ms", "p95 ms", "p99 ms", "max ms",
          "avg hits", "");
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      g_autoptr(GPtrArray) values = sample (db, shapes[s].sql, QUERIES, rand);
      g_autofree double *times = g_new0 (double, values->len);
      gint64 hits = 0, misses = 0;
      double p95;

      /* One warm-up query so the first sample does not pay for preparing. */
      {
        g_autofree char *q = shapes[s].make (values->pdata[0]);
        g_autoptr(GPtrArray) r = vp_account_store_search (db, q, 0, 20, NULL);
      }
      for (guint i = 0; i < values->len; i++)
        {
          g_autofree char *q = shapes[s].make (values->pdata[i]);
          g_autoptr(GPtrArray) r = NULL;
          gint64 t0 = g_get_monotonic_time ();

          r = vp_account_store_search (db, q, 0, 20, &error);
          times[i] = (g_get_monotonic_time () - t0) / 1000.0;
          if (r == NULL)
            {
              fprintf (stderr, "bench-search: “%s”: %s\n", q, error->message);
              return 1;
            }
          hits += r->len;
          if (r->len == 0)
            misses++;
        }
      qsort (times, values->len, sizeof (double), cmp_double);
      p95 = percentile (times, values->len, 0.95);
      printf ("%-24s %8.2f %8.2f %8.2f %8.2f %9.1f  %s%s\n", shapes[s].name,
              percentile (times, values->len, 0.50), p95, percentile (times, values->len, 0.99),
              times[values->len - 1], (double)hits / values->len,
              p95 > TARGET_P95_MS ? "OVER 10 ms p95" : "ok",
              misses ? " (some queries found nothing!)" : "");
      if (p95 > TARGET_P95_MS || misses)
        all_ok = FALSE;
    }
  printf ("search: %s\n", all_ok ? "every shape under 10 ms p95" : "SOME SHAPES MISS THE TARGET");
  return 0;
}
