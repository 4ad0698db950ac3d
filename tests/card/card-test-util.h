/* card-test-util.h: a van database with demo data, an open shift, a
 * known card key and a simulated reader holding a prepaid account's
 * card — shared by the card tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>

#include <glib/gstdio.h>

#include "vp-service.h"
#include "vp-sim-card.h"

#define TEST_KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

typedef struct
{
  char       *dir;
  char       *db_path;
  char       *card_dir;
  VpDatabase *db;
  VpService  *svc;
  VpSimCard  *sim;
  VpStaff    *staff;
  char       *number;     /* a prepaid account */
  char       *card;       /* its card */
  char       *number2;    /* another prepaid account */
  char       *card2;
  gint64      counter0;
  VpMoney     balance0;
  guint8      key[VP_CARD_KEY_SIZE];
} CardFx;

static inline gint64
fx_sql_int (CardFx     *fx,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 v = -1;

  vp_database_lock (fx->db);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (fx->db), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  vp_database_unlock (fx->db);
  return v;
}

static inline char *
fx_sql_text (CardFx     *fx,
             const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *v = NULL;

  vp_database_lock (fx->db);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (fx->db), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  vp_database_unlock (fx->db);
  return v;
}

/* Writes a card file whose only record carries counter (no history). */
static inline void
fx_issue_card (CardFx     *fx,
               const char *card,
               const char *account,
               gint64      counter)
{
  guint8 image[VP_CARD_IMAGE_SIZE] = { 0 };
  VpCardRecord r = { 0 };
  g_autoptr(GError) error = NULL;

  g_strlcpy (r.card_number, card, sizeof r.card_number);
  g_strlcpy (r.account_number, account, sizeof r.account_number);
  r.counter = counter;
  r.time = g_get_real_time ();
  g_assert_true (vp_card_record_encode (&r, fx->key, image, &error));
  g_assert_no_error (error);
  g_assert_true (vp_sim_card_issue (fx->sim, card, image, &error));
  g_assert_no_error (error);
}

static inline void
fx_setup (CardFx        *fx,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) shift = NULL;
  g_autoptr(VpAccount) a = NULL;

  fx->dir = g_dir_make_tmp ("vp-card-XXXXXX", &error);
  g_assert_no_error (error);
  fx->db_path = g_build_filename (fx->dir, "van.db", NULL);
  fx->card_dir = g_build_filename (fx->dir, "cards", NULL);
  fx->db = vp_database_open (fx->db_path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (vp_database_init_van (fx->db, "VAN01", &error));
  g_assert_true (vp_demo_populate (fx->db, 40, 7, 1000, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (vp_card_store_set_key (fx->db, TEST_KEY_HEX, &error));
  g_assert_true (vp_card_key_from_hex (TEST_KEY_HEX, fx->key, NULL));
  fx->svc = vp_service_new (fx->db);
  fx->staff = vp_service_login (fx->svc, VP_DEMO_OPERATOR_ID, VP_DEMO_OPERATOR_PIN, &error);
  g_assert_no_error (error);
  shift = vp_service_shift_open (fx->svc, fx->staff, 10000, &error);
  g_assert_no_error (error);
  fx->sim = vp_sim_card_new (fx->card_dir, &error);
  g_assert_no_error (error);
  vp_service_set_card_reader (fx->svc, VP_CARD_READER (fx->sim));

  fx->number = fx_sql_text (fx, "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                " AND card_number IS NOT NULL AND status <> 'closed' ORDER BY id LIMIT 1");
  fx->number2 = fx_sql_text (fx, "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                 " AND card_number IS NOT NULL AND status <> 'closed' ORDER BY id LIMIT 1 OFFSET 1");
  g_assert_nonnull (fx->number);
  g_assert_nonnull (fx->number2);
  a = vp_account_store_get (fx->db, fx->number, &error);
  g_assert_no_error (error);
  fx->card = g_strdup (a->card_number);
  fx->counter0 = a->card_counter;
  fx->balance0 = a->balance;
  {
    g_autoptr(VpAccount) b = vp_account_store_get (fx->db, fx->number2, &error);
    g_assert_no_error (error);
    fx->card2 = g_strdup (b->card_number);
    fx_issue_card (fx, fx->card2, b->number, b->card_counter);
  }
  fx_issue_card (fx, fx->card, fx->number, fx->counter0);
  g_assert_true (vp_sim_card_insert (fx->sim, fx->card, &error));
  g_assert_no_error (error);
}

static inline void
fx_rm_rf (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (path, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        fx_rm_rf (p);
      else
        g_unlink (p);
    }
  g_rmdir (path);
}

static inline void
fx_teardown (CardFx        *fx,
             gconstpointer  data)
{
  g_clear_object (&fx->sim);
  g_clear_object (&fx->svc);
  g_clear_object (&fx->db);
  g_clear_pointer (&fx->staff, vp_staff_free);
  fx_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->db_path);
  g_free (fx->card_dir);
  g_free (fx->number);
  g_free (fx->card);
  g_free (fx->number2);
  g_free (fx->card2);
}

/* The card's state as a meter would see it. */
static inline gboolean
fx_card_image (CardFx      *fx,
               const char  *card,
               VpCardImage *image,
               GError     **error)
{
  g_autofree char *path = vp_sim_card_get_card_path (fx->sim, card);
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return vp_card_image_parse ((const guint8 *)data, len, fx->key, image, error);
}

/* Card credit and journal agree: nothing pending; the card's counter is
 * the van's, which is counter0 + confirmed top-ups; every confirmed
 * purchase the card can list is on it; money taken = confirmed + voided
 * (and voided money is credit). */
static inline void
fx_assert_consistent (CardFx *fx)
{
  g_auto(VpCardImage) image = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = vp_account_store_get (fx->db, fx->number, &error);
  g_autofree char *sql = NULL;
  gint64 confirmed, intents, voided_money, leftover, paid_in;

  g_assert_no_error (error);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM topups WHERE state = 'pending'"), ==, 0);
  sql = g_strdup_printf ("SELECT count (*) FROM topups t JOIN accounts a ON a.id = t.account_id"
                         " WHERE a.number = '%s' AND t.state = 'confirmed'", fx->number);
  confirmed = fx_sql_int (fx, sql);
  g_free (sql);
  sql = g_strdup_printf ("SELECT count (*) FROM journal j JOIN accounts a ON a.id = j.account_id"
                         " WHERE a.number = '%s' AND j.kind = 'topup.intent'", fx->number);
  intents = fx_sql_int (fx, sql);
  g_free (sql);
  sql = g_strdup_printf ("SELECT coalesce (sum (t.amount), 0) FROM topups t JOIN accounts a"
                         " ON a.id = t.account_id WHERE a.number = '%s' AND t.state = 'voided'",
                         fx->number);
  voided_money = fx_sql_int (fx, sql);
  g_free (sql);
  sql = g_strdup_printf ("SELECT coalesce (sum (t.leftover), 0) FROM topups t JOIN accounts a"
                         " ON a.id = t.account_id WHERE a.number = '%s' AND t.state = 'confirmed'",
                         fx->number);
  leftover = fx_sql_int (fx, sql);
  g_free (sql);
  sql = g_strdup_printf ("SELECT coalesce (sum (j.amount), 0) FROM journal j JOIN accounts a"
                         " ON a.id = j.account_id WHERE a.number = '%s' AND j.kind = 'topup.intent'",
                         fx->number);
  paid_in = fx_sql_int (fx, sql);
  g_free (sql);
  sql = g_strdup_printf ("SELECT coalesce (sum (t.amount), 0) FROM topups t JOIN accounts a"
                         " ON a.id = t.account_id WHERE a.number = '%s'", fx->number);
  g_assert_cmpint (paid_in, ==, fx_sql_int (fx, sql));

  g_assert_true (fx_card_image (fx, a->card_number, &image, &error));
  g_assert_no_error (error);
  g_assert_true (image.has_record);
  g_assert_cmpint (image.record.counter, ==, a->card_counter);
  g_assert_cmpint (a->card_counter, ==, fx->counter0 + confirmed);
  g_assert_cmpint (intents, >=, confirmed);
  g_assert_cmpint (a->balance, ==, fx->balance0 + voided_money + leftover);
}
