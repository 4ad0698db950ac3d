/* vp-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "vp-test-util.h"

static VpStaff *
login (VpDatabase *db,
       const char *id,
       const char *pin)
{
  g_autoptr(GError) error = NULL;
  VpStaff *s = vp_staff_store_authenticate (db, id, pin, &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

VpTestEnv *
vp_test_env_new (guint64 n_accounts)
{
  g_autoptr(GError) error = NULL;
  VpTestEnv *env = g_new0 (VpTestEnv, 1);

  env->dir = g_dir_make_tmp ("vp-test-XXXXXX", &error);
  g_assert_no_error (error);
  env->path = g_build_filename (env->dir, "van.db", NULL);
  env->db = vp_database_open (env->path, VP_DATABASE_OPEN_CHECK_INTEGRITY, &error);
  g_assert_no_error (error);
  g_assert_true (vp_database_init_van (env->db, "VAN01", &error));
  g_assert_no_error (error);
  g_assert_true (vp_demo_populate (env->db, n_accounts, 7, VP_TEST_PIN_ITERATIONS,
                                   NULL, NULL, &error));
  g_assert_no_error (error);
  env->op = login (env->db, VP_DEMO_OPERATOR_ID, VP_DEMO_OPERATOR_PIN);
  env->sup = login (env->db, VP_DEMO_SUPERVISOR_ID, VP_DEMO_SUPERVISOR_PIN);
  g_assert_cmpint (env->op->role, ==, VP_ROLE_OPERATOR);
  g_assert_cmpint (env->sup->role, ==, VP_ROLE_SUPERVISOR);
  return env;
}

void
vp_test_env_reopen (VpTestEnv *env)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&env->db);
  env->db = vp_database_open (env->path, VP_DATABASE_OPEN_CHECK_INTEGRITY, &error);
  g_assert_no_error (error);
  g_assert_true (vp_database_is_initialized (env->db));
}

void
vp_test_env_free (VpTestEnv *env)
{
  if (env == NULL)
    return;
  g_clear_object (&env->db);
  g_clear_pointer (&env->op, vp_staff_free);
  g_clear_pointer (&env->sup, vp_staff_free);
  if (env->dir != NULL)
    vp_test_rm_rf (env->dir);
  g_free (env->dir);
  g_free (env->path);
  g_free (env);
}

char *
vp_test_add_account (VpDatabase    *db,
                     gint64         serial,
                     const char    *holder,
                     const char    *phone,
                     const char    *estate,
                     const char    *building,
                     const char    *unit,
                     const char    *room,
                     VpServiceKind  service,
                     VpMeterType    meter,
                     VpTariffClass  klass,
                     VpMoney        balance)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = g_new0 (VpAccount, 1);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (vp_database_now () / G_USEC_PER_SEC);

  a->number = vp_account_number_make (serial);
  a->holder = g_strdup (holder);
  a->phone = g_strdup (phone);
  a->id_number = g_strdup ("11010519491231002X");
  a->estate = g_strdup (estate);
  a->building = g_strdup (building);
  a->unit = g_strdup (unit);
  a->room = g_strdup (room);
  a->service = service;
  a->meter = meter;
  a->tariff_class = klass;
  if (klass == VP_TARIFF_CLASS_LOW_INCOME)
    a->concession_expiry = g_strdup ("2099-12-31");
  a->balance = balance;
  a->status = VP_ACCOUNT_ACTIVE;
  a->tariff_year = g_date_time_get_year (now);
  if (meter == VP_METER_PREPAID)
    a->card_number = g_strdup_printf ("88%010" G_GINT64_FORMAT, serial % 10000000000);
  g_assert_true (vp_account_store_insert (db, a, &error));
  g_assert_no_error (error);
  g_assert_cmpint (a->id, >, 0);
  return g_strdup (a->number);
}

void
vp_test_set_year_volume (VpDatabase *db,
                         const char *number,
                         VpVolume    litres)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE accounts SET year_volume = %" G_GINT64_FORMAT
                                          " WHERE number = '%s'", litres, number);
  g_autoptr(GError) error = NULL;

  vp_database_lock (db);
  g_assert_true (vp_database_exec (db, sql, &error));
  vp_database_unlock (db);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_changes (vp_database_get_handle (db)), ==, 1);
}

VpAccount *
vp_test_get_account (VpDatabase *db,
                     const char *number)
{
  g_autoptr(GError) error = NULL;
  VpAccount *a = vp_account_store_get (db, number, &error);

  g_assert_no_error (error);
  g_assert_nonnull (a);
  return a;
}

gint64
vp_test_query_int (VpDatabase *db,
                   const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 v;

  vp_database_lock (db);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (db), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  vp_database_unlock (db);
  return v;
}

char *
vp_test_query_text (VpDatabase *db,
                    const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *v = NULL;

  vp_database_lock (db);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (db), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  vp_database_unlock (db);
  return v;
}

sqlite3 *
vp_test_raw_open (const char *path)
{
  sqlite3 *raw = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &raw, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (raw, 5000);
  return raw;
}

void
vp_test_raw_exec (sqlite3    *raw,
                  const char *sql)
{
  char *msg = NULL;
  int rc = sqlite3_exec (raw, sql, NULL, NULL, &msg);

  if (rc != SQLITE_OK)
    g_error ("raw exec “%s” failed: %s", sql, msg);
}

void
vp_test_rm_rf (const char *path)
{
  GDir *dir;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      dir = g_dir_open (path, 0, NULL);
      if (dir != NULL)
        {
          while ((name = g_dir_read_name (dir)) != NULL)
            {
              g_autofree char *child = g_build_filename (path, name, NULL);
              vp_test_rm_rf (child);
            }
          g_dir_close (dir);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

char *
vp_test_cli_path (void)
{
  const char *build = g_getenv ("VP_BUILD_DIR");

  return g_build_filename (build ? build : VP_BUILD_DIR, "src", "cli", "vanpos-cli", NULL);
}
