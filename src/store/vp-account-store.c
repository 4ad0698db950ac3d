/* vp-account-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-account-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "vp-store-private.h"

#define MAX_QUERY_CHARS 64

VpAccount *
vp_account_from_row (sqlite3_stmt *stmt)
{
  VpAccount *a = g_new0 (VpAccount, 1);
  const char *s;

  a->id = sqlite3_column_int64 (stmt, 0);
  a->number = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
  a->holder = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
  a->holder_initials = g_strdup ((const char *)sqlite3_column_text (stmt, 3));
  a->phone = g_strdup ((const char *)sqlite3_column_text (stmt, 4));
  a->id_number = g_strdup ((const char *)sqlite3_column_text (stmt, 5));
  a->estate = g_strdup ((const char *)sqlite3_column_text (stmt, 6));
  a->building = g_strdup ((const char *)sqlite3_column_text (stmt, 7));
  a->unit = g_strdup ((const char *)sqlite3_column_text (stmt, 8));
  a->room = g_strdup ((const char *)sqlite3_column_text (stmt, 9));
  a->address = g_strdup ((const char *)sqlite3_column_text (stmt, 10));
  vp_service_kind_from_string ((const char *)sqlite3_column_text (stmt, 11), &a->service);
  vp_meter_type_from_string ((const char *)sqlite3_column_text (stmt, 12), &a->meter);
  vp_tariff_class_from_string ((const char *)sqlite3_column_text (stmt, 13), &a->tariff_class);
  s = (const char *)sqlite3_column_text (stmt, 14);
  a->concession_expiry = s ? g_strdup (s) : NULL;
  a->elderly_alone = sqlite3_column_int (stmt, 15);
  a->needs_visit = sqlite3_column_int (stmt, 16);
  a->balance = sqlite3_column_int64 (stmt, 17);
  s = (const char *)sqlite3_column_text (stmt, 18);
  a->card_number = s ? g_strdup (s) : NULL;
  a->card_counter = sqlite3_column_int64 (stmt, 19);
  a->tariff_year = sqlite3_column_int (stmt, 20);
  a->year_volume = sqlite3_column_int64 (stmt, 21);
  a->free_used = sqlite3_column_int64 (stmt, 22);
  a->last_reading = sqlite3_column_int64 (stmt, 23);
  vp_account_status_from_string ((const char *)sqlite3_column_text (stmt, 24), &a->status);
  a->arrears = sqlite3_column_int64 (stmt, 25);
  return a;
}

static VpAccount *
get_one (VpDatabase  *db,
         const char  *sql,
         const char  *key,
         GError     **error)
{
  sqlite3_stmt *stmt;
  VpAccount *a = NULL;
  int rc;

  vp_database_lock (db);
  stmt = vp_database_prepare (db, sql, error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    a = vp_account_from_row (stmt);
  sqlite3_reset (stmt);
  vp_database_unlock (db);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    vp_database_set_error (db, rc, error);
  return a;
}

VpAccount *
vp_account_store_get (VpDatabase  *db,
                      const char  *number,
                      GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  VpAccount *a;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (number == NULL || !vp_account_number_validate_any (number, error))
    return NULL;
  a = get_one (db, "SELECT " VP_ACCOUNT_COLUMNS " FROM accounts a WHERE a.number = ?1",
               number, &local_error);
  if (a == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                     _("Unknown account %s"), number);
    }
  return a;
}

VpAccount *
vp_account_store_get_by_card (VpDatabase  *db,
                              const char  *card_number,
                              GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  VpAccount *a;

  a = get_one (db, "SELECT " VP_ACCOUNT_COLUMNS " FROM accounts a WHERE a.card_number = ?1",
               card_number, &local_error);
  if (a == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                     _("No account holds card %s"), card_number);
    }
  return a;
}

VpAccount *
vp_account_store_load (VpDatabase  *db,
                       const char  *number,
                       gboolean     allow_closed,
                       GError     **error)
{
  VpAccount *a = vp_account_store_get (db, number, error);

  if (a != NULL && !allow_closed && a->status == VP_ACCOUNT_CLOSED)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s is closed"), number);
      vp_account_free (a);
      return NULL;
    }
  return a;
}

gint64
vp_account_store_count (VpDatabase *db)
{
  return vp_database_query_int (db, "SELECT count (*) FROM accounts", 0);
}

gboolean
vp_account_store_set_balance (VpDatabase  *db,
                              gint64       account_id,
                              VpMoney      balance,
                              GError     **error)
{
  sqlite3_stmt *stmt;

  if (balance < 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT,
                   _("The account's credit would become negative"));
      return FALSE;
    }
  stmt = vp_database_prepare (db, "UPDATE accounts SET balance = ?2, updated_at = ?3 WHERE id = ?1",
                              error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  sqlite3_bind_int64 (stmt, 2, balance);
  sqlite3_bind_int64 (stmt, 3, vp_database_now ());
  return vp_store_step_done (db, stmt, error);
}

/* --- search ------------------------------------------------------------ */

typedef struct
{
  GPtrArray  *results;
  GHashTable *seen;
  guint       want;
} Collector;

static gboolean
collect (VpDatabase    *db,
         sqlite3_stmt  *stmt,
         Collector     *c,
         GError       **error)
{
  int rc;

  while (c->results->len < c->want && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      if (g_hash_table_contains (c->seen, &id))
        continue;
      g_hash_table_add (c->seen, g_memdup2 (&id, sizeof id));
      g_ptr_array_add (c->results, vp_account_from_row (stmt));
    }
  if (c->results->len >= c->want)
    rc = SQLITE_DONE;
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return vp_database_set_error (db, rc, error);
  return TRUE;
}

static gboolean
run_strategy (VpDatabase  *db,
              const char  *sql,
              const char  *param,
              Collector   *c,
              GError     **error)
{
  sqlite3_stmt *stmt;

  if (c->results->len >= c->want)
    return TRUE;
  stmt = vp_database_prepare (db, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, param, -1, SQLITE_TRANSIENT);
  /* Ask for as many as could still be needed; duplicates are skipped. */
  sqlite3_bind_int64 (stmt, 2, c->want);
  return collect (db, stmt, c, error);
}

static gboolean
all_ascii_digits (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

static gboolean
all_ascii_letters (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalpha (*s))
      return FALSE;
  return TRUE;
}

/* FTS5 phrase: the text in double quotes, inner quotes doubled. */
static char *
fts_phrase (const char *column,
            const char *text)
{
  GString *s = g_string_new (NULL);

  if (column)
    g_string_append_printf (s, "%s : ", column);
  g_string_append_c (s, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

#define SQL_PREFIX(col) \
  "SELECT " VP_ACCOUNT_COLUMNS " FROM accounts a WHERE a." col " >= ?1" \
  " AND a." col " < ?1 || char (1114111) ORDER BY a." col " LIMIT ?2"
#define SQL_FTS \
  "SELECT " VP_ACCOUNT_COLUMNS " FROM accounts a WHERE a.id IN" \
  " (SELECT rowid FROM accounts_fts WHERE accounts_fts MATCH ?1 LIMIT ?2)"
#define SQL_SUFFIX \
  "SELECT " VP_ACCOUNT_COLUMNS " FROM name_suffixes s JOIN accounts a ON a.id = s.account_id" \
  " WHERE s.suffix >= ?1 AND s.suffix < ?1 || char (1114111) LIMIT ?2"

static gboolean
search_multi (VpDatabase  *db,
              char       **tokens,
              Collector   *c,
              GError     **error)
{
  g_autoptr(GString) sql = g_string_new ("SELECT " VP_ACCOUNT_COLUMNS);
  g_autoptr(GString) match = g_string_new (NULL);
  g_autoptr(GPtrArray) likes = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;
  gboolean ok;
  int rc;
  int n = 1;

  for (guint i = 0; tokens[i]; i++)
    {
      if (g_utf8_strlen (tokens[i], -1) >= 3)
        {
          g_autofree char *phrase = fts_phrase (NULL, tokens[i]);

          if (match->len)
            g_string_append (match, " AND ");
          g_string_append (match, phrase);
        }
      else
        g_ptr_array_add (likes, g_strdup (tokens[i]));
    }
  /* FTS drives the loop (CROSS JOIN) so LIMIT stops it early; an
   * "a.id IN (SELECT rowid …)" list was built in full first: 125,000
   * rowids for "光明社区 501" at 1M accounts, 30 ms p95 (bench/search). */
  if (match->len)
    g_string_append_printf (sql, " FROM accounts_fts CROSS JOIN accounts a ON a.id = accounts_fts.rowid"
                                 " WHERE accounts_fts MATCH ?%d", n++);
  else
    g_string_append (sql, " FROM accounts a WHERE 1");
  /* instr, not LIKE: '%' and '_' in a query are literal text. */
  for (guint i = 0; i < likes->len; i++, n++)
    g_string_append_printf (sql, " AND (instr (a.holder, ?%d) OR instr (a.address, ?%d)"
                                 " OR instr (a.phone, ?%d))", n, n, n);
  g_string_append_printf (sql, " LIMIT %u", c->want);

  rc = sqlite3_prepare_v2 (vp_database_get_handle (db), sql->str, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return vp_database_set_error (db, rc, error);
  n = 1;
  if (match->len)
    sqlite3_bind_text (stmt, n++, match->str, -1, SQLITE_TRANSIENT);
  for (guint i = 0; i < likes->len; i++)
    sqlite3_bind_text (stmt, n++, likes->pdata[i], -1, SQLITE_TRANSIENT);
  ok = collect (db, stmt, c, error);
  sqlite3_finalize (stmt);
  return ok;
}

GPtrArray *
vp_account_store_search (VpDatabase  *db,
                         const char  *query,
                         guint        offset,
                         guint        limit,
                         GError     **error)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_account_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree char *q = NULL;
  g_auto(GStrv) tokens = NULL;
  Collector c;
  gboolean ok = TRUE;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (query == NULL)
    query = "";
  if (!g_utf8_validate (query, -1, NULL))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("The search text is not valid UTF-8"));
      return NULL;
    }
  if (limit == 0 || limit > VP_SEARCH_MAX_LIMIT)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Search limit must be 1–%d"), VP_SEARCH_MAX_LIMIT);
      return NULL;
    }
  q = g_strstrip (g_utf8_normalize (query, -1, G_NORMALIZE_NFKC));
  if (g_utf8_strlen (q, -1) > MAX_QUERY_CHARS)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The search text is too long (at most %d characters)"), MAX_QUERY_CHARS);
      return NULL;
    }
  for (const char *p = q; *p; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                     _("The search text contains control characters"));
        return NULL;
      }

  c.results = results;
  c.seen = seen;
  c.want = offset + limit;

  vp_database_lock (db);
  tokens = g_regex_split_simple ("\\s+", q, 0, 0);

  if (*q == '\0')
    ok = run_strategy (db, "SELECT " VP_ACCOUNT_COLUMNS " FROM accounts a WHERE a.number >= ?1"
                           " ORDER BY a.number LIMIT ?2", "", &c, error);
  else if (g_strv_length (tokens) > 1)
    ok = search_multi (db, tokens, &c, error);
  else if (all_ascii_digits (q))
    {
      ok = run_strategy (db, SQL_PREFIX ("number"), q, &c, error) &&
           run_strategy (db, SQL_PREFIX ("card_number"), q, &c, error) &&
           run_strategy (db, SQL_PREFIX ("phone"), q, &c, error);
      /* Phones have 11 digits: a query that long can only match one as a
       * prefix, done above; the substring search is for shorter runs such
       * as the last four digits (and cost 16 ms p50 per account number).
       * A run of 7+ digits that already starts a number, card or phone is
       * that prefix; the trigram walk then only added 10–20 ms p95. */
      if (ok && strlen (q) >= 3 && strlen (q) < 11 && (strlen (q) < 7 || c.results->len == 0))
        {
          g_autofree char *m = fts_phrase ("phone", q);
          ok = run_strategy (db, SQL_FTS, m, &c, error);
        }
    }
  else if ((q[0] == 'P' || q[0] == 'p') && q[1] == '-')
    {
      g_autofree char *upper = g_ascii_strup (q, -1);
      ok = run_strategy (db, SQL_PREFIX ("number"), upper, &c, error);
    }
  else if (all_ascii_letters (q))
    {
      g_autofree char *lower = g_ascii_strdown (q, -1);

      ok = run_strategy (db, SQL_PREFIX ("holder_initials"), lower, &c, error);
      if (ok && strlen (q) >= 3)
        {
          g_autofree char *m = fts_phrase (NULL, q);
          ok = run_strategy (db, SQL_FTS, m, &c, error);
        }
    }
  else
    {
      glong n = g_utf8_strlen (q, -1);

      ok = run_strategy (db, SQL_PREFIX ("holder"), q, &c, error);
      if (ok && n <= 2)
        ok = run_strategy (db, SQL_SUFFIX, q, &c, error) &&
             run_strategy (db, SQL_PREFIX ("estate"), q, &c, error);
      if (ok && n >= 3)
        {
          g_autofree char *m = fts_phrase (NULL, q);
          ok = run_strategy (db, SQL_FTS, m, &c, error);
        }
    }
  vp_database_unlock (db);

  if (!ok)
    return NULL;
  if (offset > 0)
    g_ptr_array_remove_range (results, 0, MIN (offset, results->len));
  return g_steal_pointer (&results);
}

GPtrArray *
vp_account_store_list_bills (VpDatabase  *db,
                             gint64       account_id,
                             gboolean     open_only,
                             GError     **error)
{
  g_autoptr(GPtrArray) ret = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_bill_free);
  sqlite3_stmt *stmt;
  int rc;

  vp_database_lock (db);
  stmt = vp_database_prepare (db, open_only
                              ? "SELECT id, period, amount, paid FROM bills WHERE account_id = ?1"
                                " AND paid < amount ORDER BY period, id"
                              : "SELECT id, period, amount, paid FROM bills WHERE account_id = ?1"
                                " ORDER BY period DESC, id DESC",
                              error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, account_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VpBill *b = g_new0 (VpBill, 1);

      b->id = sqlite3_column_int64 (stmt, 0);
      b->period = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      b->amount = sqlite3_column_int64 (stmt, 2);
      b->paid = sqlite3_column_int64 (stmt, 3);
      g_ptr_array_add (ret, b);
    }
  sqlite3_reset (stmt);
  vp_database_unlock (db);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  return g_steal_pointer (&ret);
}

/* --- master data ------------------------------------------------------- */

#define ACCOUNT_INSERT_COLUMNS \
  "INSERT INTO accounts (number, holder, holder_initials, phone," \
  " id_number, estate, building, unit, room, service, meter," \
  " tariff_class, concession_expiry, elderly_alone, needs_visit," \
  " balance, card_number, card_counter, tariff_year, year_volume," \
  " free_used, last_reading, status, updated_at) VALUES "
#define ACCOUNT_INSERT_N_PARAMS 24

/* Binds a's columns to parameters base+1 … base+24. */
static void
bind_account (sqlite3_stmt *stmt,
              int           base,
              VpAccount    *a,
              gint64        now)
{
  g_free (a->holder_initials);
  a->holder_initials = vp_pinyin_initials (a->holder);

  sqlite3_bind_text (stmt, base + 1, a->number, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 2, a->holder, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 3, a->holder_initials, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 4, a->phone ? a->phone : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 5, a->id_number ? a->id_number : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 6, a->estate, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 7, a->building ? a->building : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 8, a->unit ? a->unit : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 9, a->room ? a->room : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 10, vp_service_kind_to_string (a->service), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 11, vp_meter_type_to_string (a->meter), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, base + 12, vp_tariff_class_to_string (a->tariff_class), -1, SQLITE_STATIC);
  if (a->concession_expiry)
    sqlite3_bind_text (stmt, base + 13, a->concession_expiry, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, base + 14, a->elderly_alone);
  sqlite3_bind_int (stmt, base + 15, a->needs_visit);
  sqlite3_bind_int64 (stmt, base + 16, a->balance);
  if (a->card_number)
    sqlite3_bind_text (stmt, base + 17, a->card_number, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, base + 18, a->card_counter);
  sqlite3_bind_int (stmt, base + 19, a->tariff_year);
  sqlite3_bind_int64 (stmt, base + 20, a->year_volume);
  sqlite3_bind_int64 (stmt, base + 21, a->free_used);
  sqlite3_bind_int64 (stmt, base + 22, a->last_reading);
  sqlite3_bind_text (stmt, base + 23, vp_account_status_to_string (a->status), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, base + 24, now);
}

gboolean
vp_account_store_insert (VpDatabase  *db,
                         VpAccount   *a,
                         GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              ACCOUNT_INSERT_COLUMNS
                              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                              " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
                              error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return FALSE;
    }
  bind_account (stmt, 0, a, vp_database_now ());
  ok = vp_store_step_done (db, stmt, error);
  if (ok)
    a->id = sqlite3_last_insert_rowid (vp_database_get_handle (db));
  vp_database_unlock (db);
  return ok;
}

/* Rows per multi-row INSERT: 1300 × 24 parameters stays under
 * SQLite's 32,766. */
#define INSERT_MANY_ROWS 1300

static char *
insert_many_sql (guint rows)
{
  GString *sql = g_string_new (ACCOUNT_INSERT_COLUMNS);

  for (guint i = 0; i < rows; i++)
    g_string_append (sql, i == 0 ? "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                                 : ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  return g_string_free (sql, FALSE);
}

gboolean
vp_account_store_insert_many (VpDatabase  *db,
                              GPtrArray   *accounts,
                              GError     **error)
{
  gint64 now = vp_database_now ();
  gboolean ok = TRUE;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (!sqlite3_get_autocommit (vp_database_get_handle (db)), FALSE);

  vp_database_lock (db);
  for (guint done = 0; ok && done < accounts->len; )
    {
      guint rows = MIN (INSERT_MANY_ROWS, accounts->len - done);
      g_autofree char *sql = insert_many_sql (rows);
      sqlite3_stmt *stmt = vp_database_prepare (db, sql, error);
      gint64 last;

      if (stmt == NULL)
        {
          ok = FALSE;
          break;
        }
      for (guint i = 0; i < rows; i++)
        bind_account (stmt, i * ACCOUNT_INSERT_N_PARAMS, accounts->pdata[done + i], now);
      ok = vp_store_step_done (db, stmt, error);
      if (ok)
        {
          /* Rowids of one INSERT are consecutive: each new row takes
           * max (rowid) + 1 and nobody else writes inside our transaction. */
          last = sqlite3_last_insert_rowid (vp_database_get_handle (db));
          for (guint i = 0; i < rows; i++)
            ((VpAccount *)accounts->pdata[done + i])->id = last - rows + 1 + i;
        }
      done += rows;
    }
  vp_database_unlock (db);
  return ok;
}

gboolean
vp_account_store_add_bill (VpDatabase  *db,
                           gint64       account_id,
                           const char  *period,
                           VpMoney      amount,
                           GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  if (amount <= 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("A bill must be for more than ¥0"));
      return FALSE;
    }
  vp_database_lock (db);
  stmt = vp_database_prepare (db, "INSERT INTO bills (account_id, period, amount) VALUES (?1, ?2, ?3)",
                              error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, account_id);
      sqlite3_bind_text (stmt, 2, period, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, amount);
      ok = vp_store_step_done (db, stmt, error);
    }
  vp_database_unlock (db);
  return ok;
}
