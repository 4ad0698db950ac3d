/* card-topup.c: what the two-phase top-up costs over the card write.
 *
 * Times N complete top-ups through vp_service_topup (simulated card in a
 * tmpfs directory when /dev/shm exists, else /tmp; the van database on
 * disk with its real durability: WAL, synchronous=FULL, two commits per
 * top-up) against N raw writes of one 248 byte record to the same kind
 * of simulated card in the same run, and prints both and their ratio.
 *
 *   card-topup [N]   (default 200)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>

#include "vp-service.h"
#include "vp-sim-card.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void
stats (const char *what, double *ms, guint n, double *mean_out)
{
  double sum = 0;

  qsort (ms, n, sizeof *ms, cmp_double);
  for (guint i = 0; i < n; i++)
    sum += ms[i];
  *mean_out = sum / n;
  g_print ("%-28s mean %8.3f ms  p50 %8.3f ms  p95 %8.3f ms  max %8.3f ms\n", what, *mean_out,
           ms[n / 2], ms[(n * 95) / 100], ms[n - 1]);
}

static void
rm_rf (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", path);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  guint n = argc > 1 ? (guint)g_ascii_strtoull (argv[1], NULL, 10) : 200;
  const char *fast = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir ();
  g_autofree char *db_dir = NULL, *card_dir = NULL, *raw_dir = NULL, *db_path = NULL;
  g_autoptr(VpDatabase) db = NULL;
  g_autoptr(VpService) svc = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autoptr(VpJournalEntry) shift = NULL;
  g_autoptr(VpSimCard) sim = NULL;
  g_autoptr(VpSimCard) raw = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autofree double *topup_ms = NULL, *write_ms = NULL;
  g_autofree char *number = NULL;
  guint8 record[VP_CARD_RECORD_SIZE];
  double topup_mean, write_mean;

  setlocale (LC_ALL, "");
  if (n < 10 || n > 100000)
    {
      g_printerr ("usage: card-topup [N]  (10..100000 top-ups)\n");
      return 2;
    }
  db_dir = g_dir_make_tmp ("vp-bench-card-XXXXXX", &error);
  g_assert_no_error (error);
  card_dir = g_build_filename (fast, "vp-bench-cards-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp (card_dir));
  raw_dir = g_build_filename (card_dir, "raw", NULL);
  db_path = g_build_filename (db_dir, "van.db", NULL);

  db = vp_database_open (db_path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (vp_database_init_van (db, "VAN01", &error));
  g_assert_true (vp_demo_populate (db, 100, 1, 1000, NULL, NULL, &error));
  g_assert_true (vp_card_store_set_key (db, "000102030405060708090a0b0c0d0e0f"
                                        "101112131415161718191a1b1c1d1e1f", &error));
  svc = vp_service_new (db);
  staff = vp_service_login (svc, VP_DEMO_OPERATOR_ID, VP_DEMO_OPERATOR_PIN, &error);
  g_assert_no_error (error);
  shift = vp_service_shift_open (svc, staff, 10000, &error);
  g_assert_no_error (error);
  sim = vp_sim_card_new (card_dir, &error);
  g_assert_no_error (error);
  vp_service_set_card_reader (svc, VP_CARD_READER (sim));

  /* Any prepaid account with a card; its card is new and blank. */
  {
    sqlite3_stmt *stmt = NULL;

    vp_database_lock (db);
    g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (db),
                                         "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                         " AND card_number IS NOT NULL LIMIT 1", -1, &stmt, NULL),
                     ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    number = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    vp_database_unlock (db);
  }
  a = vp_account_store_get (db, number, &error);
  g_assert_no_error (error);
  g_assert_true (vp_sim_card_insert (sim, a->card_number, &error));

  topup_ms = g_new (double, n);
  for (guint i = 0; i < n; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(VpJournalEntry) e = vp_service_topup (svc, staff, number, 1000, 0, VP_PAYMENT_CASH,
                                                      NULL, NULL, NULL, NULL, &error);
      topup_ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
      g_assert_no_error (error);
    }

  /* The same card write the top-up does, alone. */
  raw = vp_sim_card_new (raw_dir, &error);
  g_assert_no_error (error);
  g_assert_true (vp_sim_card_insert (raw, "880000000001", &error));
  for (guint i = 0; i < sizeof record; i++)
    record[i] = i * 7;
  write_ms = g_new (double, n);
  for (guint i = 0; i < n; i++)
    {
      gint64 t0 = g_get_monotonic_time ();

      g_assert_true (vp_card_reader_write (VP_CARD_READER (raw), (i % 2) * VP_CARD_RECORD_SIZE,
                                           record, sizeof record, &error));
      write_ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }

  /* The same write to a card file on the database's disk, for scale. */
  {
    g_autofree char *disk_dir = g_build_filename (db_dir, "disk-card", NULL);
    g_autoptr(VpSimCard) disk = vp_sim_card_new (disk_dir, &error);
    g_autofree double *disk_ms = g_new (double, n);
    double disk_mean;

    g_assert_no_error (error);
    g_assert_true (vp_sim_card_insert (disk, "880000000002", &error));
    for (guint i = 0; i < n; i++)
      {
        gint64 t0 = g_get_monotonic_time ();

        g_assert_true (vp_card_reader_write (VP_CARD_READER (disk), (i % 2) * VP_CARD_RECORD_SIZE,
                                             record, sizeof record, &error));
        disk_ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
      }

    g_print ("card top-up benchmark: %u top-ups, cards in %s, database in %s\n", n, fast,
             g_get_tmp_dir ());
    stats ("top-up (service, 2 commits)", topup_ms, n, &topup_mean);
    stats ("raw card write (248 B)", write_ms, n, &write_mean);
    stats ("raw write, fsync on DB disk", disk_ms, n, &disk_mean);
    g_print ("app overhead ratio: top-up / raw card write = %.1f×\n", topup_mean / write_mean);
    g_print ("for scale: top-up / one fsynced 248 B write on the database's disk = %.1f×\n",
             topup_mean / disk_mean);
  }

  g_clear_object (&svc);
  g_clear_object (&db);
  rm_rf (db_dir);
  rm_rf (card_dir);
  return 0;
}
