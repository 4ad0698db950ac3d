/* vp-demo.c: deterministic demo data for the estates in the seeds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-demo"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "vp-store-private.h"

static const char * const estates[] = {
  "光明社区", "红旗社区", "天鹅湖畔", "绿怡居东区", "玉兰公寓", "轴承厂宿舍", "西园小区", "长江花园",
  NULL
};

static const char * const surnames[] = {
  "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
  "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
  "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
  "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
};

static const char * const given[] = {
  "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
  "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "玉", "兰", "红", "梅", "福",
  "荣", "德", "林", "海", "云", "凤", "春", "秋", "志", "新", "民", "宝", "珍", "淑", "琴", "辉",
};

const char * const *
vp_demo_estates (void)
{
  return estates;
}

static gboolean
put_tariffs (VpDatabase  *db,
             GError     **error)
{
  static const struct
  {
    VpServiceKind service;
    VpTariffClass klass;
    const char   *tiers;
    VpVolume      free_allowance;
    guint         discount;
  } tariffs[] = {
    /* Gas: three annual tiers (m³ : fen per m³). */
    { VP_SERVICE_GAS, VP_TARIFF_CLASS_RESIDENTIAL, "300:298,600:357,*:447", 0, 0 },
    { VP_SERVICE_GAS, VP_TARIFF_CLASS_LOW_INCOME, "300:298,600:357,*:447", 60 * 1000, 100 },
    { VP_SERVICE_GAS, VP_TARIFF_CLASS_COMMERCIAL, "*:380", 0, 0 },
    { VP_SERVICE_WATER, VP_TARIFF_CLASS_RESIDENTIAL, "180:345,300:460,*:806", 0, 0 },
    { VP_SERVICE_WATER, VP_TARIFF_CLASS_LOW_INCOME, "180:345,300:460,*:806", 36 * 1000, 0 },
    { VP_SERVICE_WATER, VP_TARIFF_CLASS_COMMERCIAL, "*:560", 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tariffs); i++)
    {
      VpTariff t = { 0 };

      t.version = 1;
      t.service = tariffs[i].service;
      t.klass = tariffs[i].klass;
      t.free_allowance = tariffs[i].free_allowance;
      t.discount_permille = tariffs[i].discount;
      if (!vp_tariff_parse_tiers (&t, tariffs[i].tiers, error) ||
          !vp_tariff_store_put (db, &t, "2026-01-01", error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
staff_exists (VpDatabase *db,
              const char *id)
{
  sqlite3_stmt *stmt = vp_database_prepare (db, "SELECT 1 FROM staff WHERE id = ?1", NULL);
  gboolean found;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return found;
}

static char *
make_id_number (GRand *rand)
{
  char buf[19];
  int year = g_rand_int_range (rand, 1935, 2000);
  int month = g_rand_int_range (rand, 1, 13);
  int day = g_rand_int_range (rand, 1, 29);

  g_snprintf (buf, sizeof buf, "340104%04d%02d%02d%03d", year, month, day,
              g_rand_int_range (rand, 0, 1000));
  buf[17] = vp_id_number_check_char (buf);
  buf[18] = '\0';
  return g_strdup (buf);
}

#define DEMO_BATCH 1300

/* Loading into an empty table, the secondary indexes on accounts are
 * built once at the end (a sort) instead of row by row in random order,
 * and so are the search index and the name suffixes that the insert
 * trigger would otherwise maintain row by row. The SQL of the indexes and
 * of the trigger is taken from the schema and replayed verbatim, in the
 * same transaction, so whatever the migrations define comes back
 * unchanged. */
static gboolean
drop_account_indexes (VpDatabase  *db,
                      GPtrArray  **index_sql,
                      GError     **error)
{
  g_autoptr(GPtrArray) drops = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int rc;

  *index_sql = g_ptr_array_new_with_free_func (g_free);
  stmt = vp_database_prepare (db, "SELECT type, name, sql FROM sqlite_schema"
                                  " WHERE ((type = 'index' AND tbl_name = 'accounts')"
                                  " OR (type = 'trigger' AND name = 'accounts_ai'))"
                                  " AND sql IS NOT NULL", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (drops, g_strdup_printf ("DROP %s \"%s\"",
                                               (const char *)sqlite3_column_text (stmt, 0),
                                               (const char *)sqlite3_column_text (stmt, 1)));
      g_ptr_array_add (*index_sql, g_strdup ((const char *)sqlite3_column_text (stmt, 2)));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return vp_database_set_error (db, rc, error);
  for (guint i = 0; i < drops->len; i++)
    if (!vp_database_exec (db, drops->pdata[i], error))
      return FALSE;
  return TRUE;
}

/* What accounts_ai does per row, for the whole table at once. */
static gboolean
rebuild_search_index (VpDatabase  *db,
                      GError     **error)
{
  return vp_database_exec (db, "INSERT INTO accounts_fts (accounts_fts) VALUES ('rebuild')", error) &&
         vp_database_exec (db,
                           "INSERT INTO name_suffixes (suffix, account_id)"
                           " SELECT substr (a.holder, n.n), a.id FROM accounts a,"
                           "  (SELECT 2 AS n UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) n"
                           " WHERE n.n <= length (a.holder) ORDER BY 1, 2",
                           error);
}

/* Back to the cache size vp_database_open() sets. */
static void
restore_cache (VpDatabase *db)
{
  vp_database_exec (db, "PRAGMA cache_size = -65536", NULL);
}

typedef struct
{
  guint   index;         /* in the batch */
  int     months_ago;
  VpMoney amount;
} DemoBill;

/* Inserts the batch of accounts, then their bills (in the same order as
 * one by one, so the same seed still gives the same rows and ids). */
static gboolean
flush_batch (VpDatabase  *db,
             GPtrArray   *batch,
             GArray      *bills,
             GDateTime   *now,
             GError     **error)
{
  if (!vp_account_store_insert_many (db, batch, error))
    return FALSE;
  for (guint i = 0; i < bills->len; i++)
    {
      DemoBill *bill = &g_array_index (bills, DemoBill, i);
      VpAccount *a = batch->pdata[bill->index];
      g_autoptr(GDateTime) month = g_date_time_add_months (now, -bill->months_ago);
      g_autofree char *period = g_date_time_format (month, "%Y-%m");

      if (!vp_account_store_add_bill (db, a->id, period, bill->amount, error))
        return FALSE;
    }
  g_ptr_array_set_size (batch, 0);
  g_array_set_size (bills, 0);
  return TRUE;
}

gboolean
vp_demo_populate (VpDatabase     *db,
                  guint64         n_accounts,
                  guint32         seed,
                  guint           pin_iterations,
                  VpDemoProgress  progress,
                  gpointer        user_data,
                  GError        **error)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GDateTime) now = vp_store_local_datetime (vp_database_now ());
  int year = g_date_time_get_year (now);
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GArray) bills = NULL;
  guint64 base;
  guint64 cache_kib;
  g_autoptr(GPtrArray) index_sql = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);

  if (n_accounts > 10000000)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("At most 10,000,000 demo accounts"));
      return FALSE;
    }

  vp_database_lock (db);
  if (!staff_exists (db, VP_DEMO_OPERATOR_ID) &&
      !vp_staff_store_add (db, VP_DEMO_OPERATOR_ID, "李娜", VP_ROLE_OPERATOR,
                           VP_DEMO_OPERATOR_PIN, pin_iterations, error))
    goto out_unlocked;
  if (!staff_exists (db, VP_DEMO_SUPERVISOR_ID) &&
      !vp_staff_store_add (db, VP_DEMO_SUPERVISOR_ID, "王建国", VP_ROLE_SUPERVISOR,
                           VP_DEMO_SUPERVISOR_PIN, pin_iterations, error))
    goto out_unlocked;

  /* A bulk load inserts into several random-order indexes (names,
   * phones, suffixes, FTS); with the normal 64 MB cache a 1M-account load
   * keeps re-reading evicted index pages. Up to 512 MB while it runs. */
  cache_kib = MIN (n_accounts / 2, 512 * 1024);
  if (cache_kib > 65536)
    {
      g_autofree char *pragma = g_strdup_printf ("PRAGMA cache_size = -%" G_GUINT64_FORMAT, cache_kib);
      if (!vp_database_exec (db, pragma, error))
        goto out_unlocked;
    }
  if (!vp_database_begin (db, error))
    goto out_unlocked;
  if (!put_tariffs (db, error))
    goto out;

  /* Real account numbers continue after any already present. */
  base = 3401000000 + (guint64)vp_account_store_count (db);
  if (base == 3401000000 && n_accounts >= 10000 && !drop_account_indexes (db, &index_sql, error))
    goto out;

  batch = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_account_free);
  bills = g_array_new (FALSE, FALSE, sizeof (DemoBill));
  for (guint64 i = 0; i < n_accounts; i++)
    {
      VpAccount *a = g_new0 (VpAccount, 1);
      const char *surname = surnames[g_rand_int_range (rand, 0, G_N_ELEMENTS (surnames))];
      guint32 r = g_rand_int_range (rand, 0, 100);
      int building = g_rand_int_range (rand, 1, 31);

      a->number = vp_account_number_make (base + i);
      if (g_rand_int_range (rand, 0, 100) < 20)
        a->holder = g_strconcat (surname, given[g_rand_int_range (rand, 0, G_N_ELEMENTS (given))], NULL);
      else
        a->holder = g_strconcat (surname, given[g_rand_int_range (rand, 0, G_N_ELEMENTS (given))],
                                 given[g_rand_int_range (rand, 0, G_N_ELEMENTS (given))], NULL);
      a->phone = g_strdup_printf ("1%d%09u", g_rand_int_range (rand, 3, 10),
                                  g_rand_int_range (rand, 0, 1000000000));
      a->id_number = make_id_number (rand);
      a->estate = g_strdup (estates[g_rand_int_range (rand, 0, G_N_ELEMENTS (estates) - 1)]);
      a->building = g_strdup_printf ("%d", building);
      a->unit = g_strdup_printf ("%d", g_rand_int_range (rand, 1, 5));
      a->room = g_strdup_printf ("%d%02d", g_rand_int_range (rand, 1, 19), g_rand_int_range (rand, 1, 5));
      a->service = g_rand_int_range (rand, 0, 100) < 70 ? VP_SERVICE_GAS : VP_SERVICE_WATER;
      a->meter = g_rand_int_range (rand, 0, 100) < 60 ? VP_METER_PREPAID : VP_METER_POSTPAID;
      if (r < 8)
        {
          a->tariff_class = VP_TARIFF_CLASS_LOW_INCOME;
          a->concession_expiry = g_strdup_printf ("%d-%02d-28", year + g_rand_int_range (rand, -1, 3),
                                                  g_rand_int_range (rand, 1, 13));
        }
      else if (r < 15)
        a->tariff_class = VP_TARIFF_CLASS_COMMERCIAL;
      else
        a->tariff_class = VP_TARIFF_CLASS_RESIDENTIAL;
      a->elderly_alone = g_rand_int_range (rand, 0, 100) < 10;
      a->needs_visit = a->elderly_alone && g_rand_boolean (rand);
      a->balance = g_rand_int_range (rand, 0, 100) < 30 ? g_rand_int_range (rand, 1, 20000) : 0;
      a->status = VP_ACCOUNT_ACTIVE;
      a->tariff_year = year;
      a->last_reading = g_rand_int_range (rand, 0, 5000) * 1000;
      if (a->meter == VP_METER_PREPAID)
        {
          a->card_number = g_strdup_printf ("88%010" G_GUINT64_FORMAT, base + i - 3400000000);
          a->card_counter = g_rand_int_range (rand, 0, 40);
          a->year_volume = g_rand_int_range (rand, 0, 400) * 1000;
        }

      g_ptr_array_add (batch, a);

      if (a->meter == VP_METER_POSTPAID && g_rand_int_range (rand, 0, 100) < 40)
        {
          int n_bills = g_rand_int_range (rand, 1, 4);

          for (int m = 0; m < n_bills; m++)
            {
              DemoBill bill = { batch->len - 1, n_bills - m, 0 };

              bill.amount = g_rand_int_range (rand, 30, 300) * 100 + g_rand_int_range (rand, 0, 100);
              g_array_append_val (bills, bill);
            }
        }
      /* Many rows per INSERT: see vp_account_store_insert_many(). */
      if ((batch->len == DEMO_BATCH || i + 1 == n_accounts) &&
          !flush_batch (db, batch, bills, now, error))
        goto out;
      if (progress != NULL && (i + 1) % 10000 == 0)
        progress (i + 1, n_accounts, user_data);
    }

  if (index_sql != NULL && !rebuild_search_index (db, error))
    goto out;
  for (guint i = 0; index_sql != NULL && i < index_sql->len; i++)
    if (!vp_database_exec (db, index_sql->pdata[i], error))
      goto out;
  ok = vp_database_commit (db, error);
  if (ok && progress != NULL)
    progress (n_accounts, n_accounts, user_data);
  restore_cache (db);
  vp_database_unlock (db);
  return ok;

out:
  vp_database_rollback (db);
out_unlocked:
  restore_cache (db);
  vp_database_unlock (db);
  return FALSE;
}
