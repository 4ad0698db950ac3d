/* test-bulk-pull.c: a van's first master pull builds the account indexes
 * and the search index once, at its last page (issue 11), and leaves them
 * exactly as the migrations define them, also when it stops half-way.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"
#include "vp-sync-store.h"

#define BASE 3402000000

static const char * const names[] = { "张建国", "王秀英", "李娜", "欧阳志远", "司马相如长卿" };

static VpAccount *
make_account (guint64     serial,
              const char *holder)
{
  VpAccount *a = g_new0 (VpAccount, 1);

  a->number = vp_account_number_make (BASE + serial);
  a->holder = g_strdup (holder);
  a->phone = g_strdup_printf ("139%08" G_GUINT64_FORMAT, serial);
  a->estate = g_strdup ("光明社区");
  a->building = g_strdup_printf ("%" G_GUINT64_FORMAT, 1 + serial % 30);
  a->unit = g_strdup ("2");
  a->room = g_strdup_printf ("%" G_GUINT64_FORMAT, 101 + serial % 7);
  a->service = VP_SERVICE_GAS;
  a->meter = VP_METER_POSTPAID;
  a->tariff_class = VP_TARIFF_CLASS_RESIDENTIAL;
  a->status = VP_ACCOUNT_ACTIVE;
  return a;
}

/* Accounts first .. first + n - 1. */
static VpMasterPage *
make_page (guint64     first,
           guint       n,
           gboolean    more,
           const char *cursor)
{
  VpMasterPage *page = vp_master_page_new ();

  page->cursor = g_strdup (cursor);
  page->more = more;
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (page->accounts,
                     make_account (first + i, names[(first + i) % G_N_ELEMENTS (names)]));
  return page;
}

static void
import (VpTestEnv    *env,
        VpMasterPage *page)
{
  g_autoptr(GError) error = NULL;
  VpMasterImportStats stats = { 0 };

  g_assert_true (vp_sync_store_import_page (env->db, page, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stats.accounts, ==, page->accounts->len);
  vp_master_page_free (page);
}

/* The schema of accounts and its search triggers, one text. */
static char *
account_schema (VpTestEnv *env)
{
  return vp_test_query_text (env->db,
                             "SELECT group_concat (type || ' ' || name || ': ' || sql, char (10))"
                             " FROM (SELECT * FROM sqlite_schema"
                             " WHERE (tbl_name = 'accounts' AND type IN ('index', 'trigger'))"
                             " AND sql IS NOT NULL ORDER BY name)");
}

/* The search index and the name suffixes hold exactly what the triggers
 * would have put there row by row. */
static void
assert_search_exact (VpTestEnv *env,
                     gint64     n_accounts)
{
  sqlite3 *db = vp_database_get_handle (env->db);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;

  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count(*) FROM accounts"), ==, n_accounts);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO accounts_fts (accounts_fts, rank)"
                                     " VALUES ('integrity-check', 1)", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count(*) FROM name_suffixes"), ==,
                   vp_test_query_int (env->db, "SELECT sum (max (0, min (length (holder), 5) - 1))"
                                               " FROM accounts"));
  g_assert_cmpint (vp_test_query_int (env->db,
                                      "SELECT count(*) FROM (SELECT substr (a.holder, n.n), a.id"
                                      " FROM accounts a, (SELECT 2 AS n UNION ALL SELECT 3"
                                      " UNION ALL SELECT 4 UNION ALL SELECT 5) n"
                                      " WHERE n.n <= length (a.holder)"
                                      " EXCEPT SELECT suffix, account_id FROM name_suffixes)"),
                   ==, 0);
  /* 欧阳志远: every fifth account; a 3-character part goes through FTS. */
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count(*) FROM accounts_fts"
                                               " WHERE accounts_fts MATCH '\"阳志远\"'"),
                   ==, vp_test_query_int (env->db, "SELECT count(*) FROM accounts"
                                                   " WHERE holder LIKE '%阳志远%'"));
  found = vp_account_store_search (env->db, "志远", 0, 500, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==,
                    vp_test_query_int (env->db, "SELECT count(*) FROM accounts"
                                                " WHERE holder LIKE '%志远'"));
}

static void
test_first_pull_builds_indexes_once (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *schema = account_schema (env);
  g_autofree char *during = NULL;
  g_autofree char *after = NULL;
  VpMasterPage *page;

  import (env, make_page (0, 1500, TRUE, "c1"));
  /* Loading: the secondary indexes and the search triggers are gone, the
   * unique index on the number stays. */
  during = account_schema (env);
  g_assert_cmpstr (during, !=, schema);
  g_assert_null (strstr (during, "accounts_holder"));
  g_assert_null (strstr (during, "accounts_ai:"));
  g_assert_null (strstr (during, "accounts_au:"));
  g_assert_nonnull (strstr (during, "accounts_bulk_ai:"));
  /* Searchable while it loads. */
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count(*) FROM accounts_fts"
                                               " WHERE accounts_fts MATCH '\"阳志远\"'"),
                   ==, 300);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count(*) FROM meta"
                                               " WHERE key = 'master_bulk_load'"), ==, 1);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count(*) FROM sqlite_schema"
                                               " WHERE name = 'sqlite_autoindex_accounts_1'"),
                   ==, 1);

  /* The second page changes a holder of the first (the update trigger is
   * gone too) and adds more; the last page builds everything. */
  page = make_page (1500, 800, TRUE, "c2");
  g_ptr_array_add (page->accounts, make_account (7, "欧阳志远"));
  import (env, page);
  import (env, make_page (2300, 10, FALSE, "c3"));

  after = account_schema (env);
  g_assert_cmpstr (after, ==, schema);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count(*) FROM meta"
                                               " WHERE key = 'master_bulk_load'"), ==, 0);
  assert_search_exact (env, 2310);

  /* From now on, the triggers keep the search index row by row. */
  import (env, make_page (100, 1500, TRUE, "c4"));
  {
    g_autofree char *now = account_schema (env);
    g_assert_cmpstr (now, ==, schema);
  }
  assert_search_exact (env, 2310);
}

static void
test_pull_stopped_half_way (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *schema = account_schema (env);

  import (env, make_page (0, 1200, TRUE, "c1"));
  {
    g_autofree char *now = account_schema (env);
    g_assert_cmpstr (now, !=, schema);
  }

  /* The pull stopped; the next start rebuilds before anything else. */
  vp_test_env_reopen (env);
  {
    g_autofree char *now = account_schema (env);
    g_assert_cmpstr (now, ==, schema);
  }
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count(*) FROM meta"
                                               " WHERE key = 'master_bulk_load'"), ==, 0);
  assert_search_exact (env, 1200);

  /* The resumed pull goes on row by row. */
  import (env, make_page (1200, 1300, FALSE, "c2"));
  {
    g_autofree char *now = account_schema (env);
    g_assert_cmpstr (now, ==, schema);
  }
  assert_search_exact (env, 2500);
}

/* A van that already has accounts never drops its indexes. */
static void
test_later_pull_keeps_indexes (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (5);
  g_autofree char *schema = account_schema (env);

  import (env, make_page (0, 1500, TRUE, "c1"));
  {
    g_autofree char *now = account_schema (env);
    g_assert_cmpstr (now, ==, schema);
  }
  import (env, make_page (1500, 20, FALSE, "c2"));
  assert_search_exact (env, 1525);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bulk-pull/first-pull", test_first_pull_builds_indexes_once);
  g_test_add_func ("/bulk-pull/stopped-half-way", test_pull_stopped_half_way);
  g_test_add_func ("/bulk-pull/later-pull", test_later_pull_keeps_indexes);
  return g_test_run ();
}
