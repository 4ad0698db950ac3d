/* test-search.c: every query shape of the account search finds the
 * account it should, among demo data.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"

static VpTestEnv *env;
static char *wang;     /* 王建国, 13912345678, 光明社区3栋2单元501室, prepaid */
static char *bao;      /* 鲍晶晶, 15800004321, 玉兰公寓11栋1单元1102室 */
static char *bao2;     /* 鲍丽 (two characters), 13066660000, 西园小区 */
static char *wu;       /* 吴江峰 (wjf) */

static GPtrArray *
search (const char *q,
        guint       limit)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *r = vp_account_store_search (env->db, q, 0, limit, &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

static gboolean
contains (GPtrArray  *r,
          const char *number)
{
  for (guint i = 0; i < r->len; i++)
    if (g_str_equal (((VpAccount *)r->pdata[i])->number, number))
      return TRUE;
  return FALSE;
}

static void
expect_found (const char *q,
              const char *number)
{
  g_autoptr(GPtrArray) r = search (q, VP_SEARCH_MAX_LIMIT);

  if (!contains (r, number))
    g_error ("search “%s” (%u results) did not find %s", q, r->len, number);
}

static void
expect_first (const char *q,
              const char *number)
{
  g_autoptr(GPtrArray) r = search (q, 20);

  g_assert_cmpuint (r->len, >=, 1);
  g_assert_cmpstr (((VpAccount *)r->pdata[0])->number, ==, number);
}

static void
test_numbers (void)
{
  g_autoptr(VpAccount) a = vp_test_get_account (env->db, wang);
  g_autoptr(GPtrArray) r = NULL;
  g_autofree char *prefix = g_strndup (wang, 8);

  /* Exact account number: exactly that account. */
  r = search (wang, 20);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpstr (((VpAccount *)r->pdata[0])->number, ==, wang);
  g_assert_cmpstr (((VpAccount *)r->pdata[0])->holder, ==, "王建国");
  g_clear_pointer (&r, g_ptr_array_unref);
  /* Prefix. */
  expect_found (prefix, wang);
  /* Card number. */
  g_assert_nonnull (a->card_number);
  expect_first (a->card_number, wang);
  g_assert_cmpstr (a->card_number, ==, "883409100001");
}

static void
test_phone (void)
{
  expect_first ("13912345678", wang);
  expect_found ("1391234", wang);
  /* The last four digits, as residents say them. */
  expect_found ("5678", wang);
  expect_found ("4321", bao);
  expect_found ("6666", bao2);
}

static void
test_names (void)
{
  g_autoptr(GPtrArray) r = NULL;

  /* One character: a surname. */
  expect_found ("鲍", bao);
  expect_found ("鲍", bao2);
  /* Two characters: a two-character full name, and a given name only. */
  expect_first ("鲍丽", bao2);
  expect_found ("晶晶", bao);
  expect_found ("建国", wang);
  expect_found ("江峰", wu);
  /* Full three-character name. */
  expect_found ("王建国", wang);
  expect_first ("鲍晶晶", bao);
  /* Pinyin initials, either case. */
  expect_found ("wjf", wu);
  expect_found ("WJF", wu);
  expect_found ("bjj", bao);
  expect_found ("wjg", wang);
  /* Every result really matches the query. */
  r = search ("鲍", 100);
  for (guint i = 0; i < r->len; i++)
    g_assert_nonnull (strstr (((VpAccount *)r->pdata[i])->holder, "鲍"));
}

static void
test_address (void)
{
  g_autoptr(GPtrArray) r = NULL;

  expect_found ("光明社区3栋", wang);
  expect_found ("玉兰公寓11栋1单元1102", bao);
  expect_found ("光明社区", wang);
  /* Several words: every one must match. */
  expect_found ("光明社区 501", wang);
  expect_first ("光明社区3栋2单元 501", wang);
  expect_found ("王建国 光明社区", wang);
  expect_found ("鲍 1102", bao);
  r = search ("光明社区 501", 100);
  for (guint i = 0; i < r->len; i++)
    {
      VpAccount *a = r->pdata[i];
      g_assert_nonnull (strstr (a->address, "光明社区"));
      g_assert_true (strstr (a->address, "501") != NULL || strstr (a->phone, "501") != NULL ||
                     strstr (a->holder, "501") != NULL);
    }
}

static void
test_empty_and_none (void)
{
  g_autoptr(GPtrArray) r = search ("", 10);
  g_autoptr(GPtrArray) none = NULL;

  /* An empty query lists accounts by number. */
  g_assert_cmpuint (r->len, ==, 10);
  for (guint i = 1; i < r->len; i++)
    g_assert_cmpint (strcmp (((VpAccount *)r->pdata[i - 1])->number,
                             ((VpAccount *)r->pdata[i])->number), <, 0);
  g_clear_pointer (&r, g_ptr_array_unref);
  r = search ("   ", 5);
  g_assert_cmpuint (r->len, ==, 5);

  /* Nothing matches: an empty array, not an error. */
  none = search ("不存在的人", 10);
  g_assert_cmpuint (none->len, ==, 0);
  g_clear_pointer (&none, g_ptr_array_unref);
  none = search ("xqzxqz", 10);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_paging (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = search ("", 30);
  g_autoptr(GPtrArray) page = vp_account_store_search (env->db, "", 10, 10, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 10);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpstr (((VpAccount *)page->pdata[i])->number, ==,
                     ((VpAccount *)all->pdata[i + 10])->number);
}

static void
test_bad_queries (void)
{
  const char *bad[] = {
    "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"
    "一二三四五六七八九十一二三四五六七八九十一二三四五",   /* 65 characters */
    "王\x01建国",
    "abc\x7f",
    "\xff\xfe",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) r = vp_account_store_search (env->db, bad[i], 0, 10, &error);

      g_assert_null (r);
      g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) r = vp_account_store_search (env->db, "王", 0, 0, &error);
    g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
    g_clear_error (&error);
    r = vp_account_store_search (env->db, "王", 0, VP_SEARCH_MAX_LIMIT + 1, &error);
    g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  }
  /* FTS and LIKE syntax is taken literally. */
  {
    const char *odd[] = { "\"王", "王*", "NEAR(a b)", "%", "_", "光明 OR 红旗", "a:b", "'; DROP TABLE accounts; --" };

    for (guint i = 0; i < G_N_ELEMENTS (odd); i++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) r = vp_account_store_search (env->db, odd[i], 0, 10, &error);

        g_assert_no_error (error);
        g_assert_nonnull (r);
        if (g_str_equal (odd[i], "%") || g_str_equal (odd[i], "_"))
          g_assert_cmpuint (r->len, ==, 0);
      }
    g_assert_cmpint (vp_account_store_count (env->db), ==, 2004);
  }
}

static void
test_after_change_of_holder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *acct = vp_test_add_account (env->db, 3409100099, "欧阳修", "13455550000", "长江花园",
                                               "6", "2", "606", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  VpChangeHolderRequest r = { 0 };
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(GPtrArray) old = NULL;

  expect_found ("欧阳", acct);
  r.number = acct;
  r.new_holder = "司马光";
  r.new_id_number = "110105198001011238";
  r.new_phone = "13455551111";
  e = vp_account_store_change_holder (env->db, env->op, &r, &error);
  g_assert_no_error (error);
  /* The index follows the new holder; the old name is gone. */
  expect_found ("司马光", acct);
  expect_found ("马光", acct);
  expect_found ("smg", acct);
  expect_found ("1111", acct);
  old = search ("欧阳修", 10);
  g_assert_false (contains (old, acct));
}

static void
test_insert_many (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) many = vp_test_env_new (0);
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_account_free);
  gint64 first;

  /* 2,700 rows: two full multi-row INSERTs of 1,300 and a tail of 100. */
  for (guint i = 0; i < 2700; i++)
    {
      VpAccount *a = g_new0 (VpAccount, 1);

      a->number = vp_account_number_make (3409500000 + i);
      a->holder = g_strdup (i == 2677 ? "诸葛亮" : "张伟");
      a->phone = g_strdup_printf ("135%08u", i);
      a->estate = g_strdup ("红旗社区");
      a->building = g_strdup_printf ("%u", i % 30 + 1);
      a->room = g_strdup ("101");
      a->status = VP_ACCOUNT_ACTIVE;
      a->balance = i;
      g_ptr_array_add (accounts, a);
    }
  vp_database_lock (many->db);
  g_assert_true (vp_database_begin (many->db, &error));
  g_assert_true (vp_account_store_insert_many (many->db, accounts, &error));
  g_assert_no_error (error);
  g_assert_true (vp_database_commit (many->db, &error));
  vp_database_unlock (many->db);

  g_assert_cmpint (vp_account_store_count (many->db), ==, 2700);
  first = ((VpAccount *)accounts->pdata[0])->id;
  for (guint i = 0; i < accounts->len; i += 100)
    {
      VpAccount *a = accounts->pdata[i];
      g_autoptr(VpAccount) b = vp_test_get_account (many->db, a->number);

      g_assert_cmpint (a->id, ==, first + i);
      g_assert_cmpint (b->id, ==, a->id);
      g_assert_cmpint (b->balance, ==, i);
    }
  /* The search indexes were filled for every row. */
  {
    g_autoptr(GPtrArray) r = vp_account_store_search (many->db, "诸葛亮", 0, 10, &error);
    g_autoptr(GPtrArray) r2 = vp_account_store_search (many->db, "葛亮", 0, 10, &error);
    g_autoptr(GPtrArray) r3 = vp_account_store_search (many->db, "zgl", 0, 10, &error);

    g_assert_cmpuint (r->len, ==, 1);
    g_assert_cmpint (((VpAccount *)r->pdata[0])->id, ==, first + 2677);
    g_assert_cmpuint (r2->len, ==, 1);
    g_assert_cmpuint (r3->len, ==, 1);
  }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  env = vp_test_env_new (2000);
  wang = vp_test_add_account (env->db, 3409100001, "王建国", "13912345678", "光明社区", "3", "2", "501",
                              VP_SERVICE_GAS, VP_METER_PREPAID, VP_TARIFF_CLASS_RESIDENTIAL, 0);
  bao = vp_test_add_account (env->db, 3409100002, "鲍晶晶", "15800004321", "玉兰公寓", "11", "1", "1102",
                             VP_SERVICE_WATER, VP_METER_POSTPAID, VP_TARIFF_CLASS_RESIDENTIAL, 0);
  bao2 = vp_test_add_account (env->db, 3409100003, "鲍丽", "13066660000", "西园小区", "2", "3", "303",
                              VP_SERVICE_GAS, VP_METER_POSTPAID, VP_TARIFF_CLASS_LOW_INCOME, 0);
  wu = vp_test_add_account (env->db, 3409100004, "吴江峰", "13711110000", "红旗社区", "5", "1", "101",
                            VP_SERVICE_GAS, VP_METER_POSTPAID, VP_TARIFF_CLASS_RESIDENTIAL, 0);

  g_test_add_func ("/search/numbers", test_numbers);
  g_test_add_func ("/search/phone", test_phone);
  g_test_add_func ("/search/names", test_names);
  g_test_add_func ("/search/address", test_address);
  g_test_add_func ("/search/empty-and-none", test_empty_and_none);
  g_test_add_func ("/search/paging", test_paging);
  g_test_add_func ("/search/bad-queries", test_bad_queries);
  g_test_add_func ("/search/after-change-of-holder", test_after_change_of_holder);
  g_test_add_func ("/search/insert-many", test_insert_many);
  ret = g_test_run ();

  g_free (wang);
  g_free (bao);
  g_free (bao2);
  g_free (wu);
  vp_test_env_free (env);
  return ret;
}
