/* vp-hq-ingest.c: one pushed batch, verified and applied in one
 * PostgreSQL transaction (docs/PROTOCOL.md, "Push").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-hq-ingest"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "vp-account-number.h"
#include "vp-entry-rules.h"
#include "vp-journal-entry.h"
#include "vp-journal-ledger.h"
#include "vp-money.h"
#include "vp-signer.h"
#include "vp-hq-db.h"
#include "vp-hq-ingest.h"

/* Master data writers take this lock shared, the master pull exclusive,
 * so a pull never passes a change_seq whose transaction is still open. */
#define MASTER_LOCK "7002"

void
vp_hq_reply_clear (VpHqReply *reply)
{
  g_clear_pointer (&reply->body, json_object_unref);
  reply->status = 0;
}

JsonObject *
vp_hq_reply_error (VpHqReply  *reply,
                   guint       status,
                   const char *code,
                   const char *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  vp_hq_reply_clear (reply);
  reply->status = status;
  reply->body = json_object_new ();
  json_object_set_string_member (reply->body, "error", code);
  json_object_set_string_member (reply->body, "message", message);
  return reply->body;
}

gint64
vp_hq_now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* --- one batch ------------------------------------------------------------ */

/* Bill payments, the bulk of a day, are applied in memory against bills
 * and accounts fetched once per batch, and written with a few set-based
 * statements when the batch ends or before any other kind of entry
 * (which then runs its own SQL). Journal rows go in with COPY. */
typedef struct
{
  char   *hq_id;
  char   *period;
  VpMoney open;
} BillCache;

typedef struct
{
  GHashTable *accounts;   /* number → GPtrArray of BillCache (known accounts) */
  GHashTable *balance;    /* number → gint64* delta */
  GHashTable *bills;      /* hq_id → gint64* delta */
  GString    *copy;       /* COPY text of journal rows not yet written */
  gint64      copy_first_seq;
} Pending;

typedef struct
{
  PGconn     *conn;
  const char *van;
  gint64      pulled_seq;  /* the van's last master pull cursor */
  gint64      seq;         /* the entry being applied */
  gint64      device_time;
  Pending    *pending;
  gint64      bad_seq;     /* set when writing pending journal rows fails */
} Ctx;

/* What applying one entry did. */
typedef struct
{
  gboolean     conflict;
  GString     *detail;
  VpMoney      credit;     /* van money HQ turned into account credit */
  VpMoney      amount;     /* journal amount: money in minus money out */
  char        *account;    /* real HQ account number, if any */
  JsonBuilder *applied;    /* what was changed, for a later void */
  char        *rejected;   /* why HQ quarantined the entry, or NULL */
} Effect;

/* The entry breaks a rule only HQ can check (a per-van invariant): it is
 * stored, not applied (DESIGN §6). Not an error: the caller undoes what
 * the entry's apply function did so far and answers `rejected`. */
static gboolean
effect_reject (Effect     *e,
               const char *format,
               ...) G_GNUC_PRINTF (2, 3);

static gboolean
effect_reject (Effect     *e,
               const char *format,
               ...)
{
  va_list args;

  g_free (e->rejected);
  va_start (args, format);
  e->rejected = g_strdup_vprintf (format, args);
  va_end (args);
  return TRUE;
}

static void
effect_note (Effect     *e,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
effect_note (Effect     *e,
             const char *format,
             ...)
{
  va_list args;

  e->conflict = TRUE;
  if (e->detail->len > 0)
    g_string_append (e->detail, "; ");
  va_start (args, format);
  g_string_append_vprintf (e->detail, format, args);
  va_end (args);
}

static PGresult *
q (Ctx                *c,
   const char         *name,
   const char         *sql,
   int                 n,
   const char * const *params,
   GError            **error)
{
  return vp_pg_query_prepared (c->conn, name, sql, n, params, error);
}

#define I64(buf, v) (g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, (gint64) (v)), buf)

static gboolean
flag_review (Ctx        *c,
             const char *account,
             const char *reason,
             GError    **error)
{
  char seq[32];
  const char *p[] = { c->van, I64 (seq, c->seq), account, reason };
  g_autoptr(PGresult) res = q (c, "flag", "INSERT INTO review_flags (van, seq, account, reason)"
                                          " VALUES ($1, $2, $3, $4)", 4, p, error);
  return res != NULL;
}

/* The HQ account number for a number on the van (maps provisional ones);
 * NULL without error when HQ does not know it. */
static char *
resolve_account (Ctx         *c,
                 const char  *number,
                 GError     **error)
{
  g_autoptr(PGresult) res = NULL;

  if (number == NULL || *number == '\0')
    return NULL;
  if (vp_account_number_is_provisional (number))
    {
      const char *p[] = { c->van, number };
      res = q (c, "resolve_prov", "SELECT number FROM provisional_accounts"
                                  " WHERE van = $1 AND provisional = $2", 2, p, error);
    }
  else
    {
      const char *p[] = { number };
      res = q (c, "resolve", "SELECT number FROM accounts WHERE number = $1", 1, p, error);
    }
  if (res == NULL || PQntuples (res) == 0)
    return NULL;
  return g_strdup (PQgetvalue (res, 0, 0));
}

/* Resolves and records e->account; flags an unknown account. */
static gboolean
need_account (Ctx         *c,
              Effect      *e,
              const char  *number,
              GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  e->account = resolve_account (c, number, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (e->account == NULL)
    {
      effect_note (e, "account %s is unknown at HQ; flagged for review", number ? number : "(none)");
      if (!flag_review (c, number, "entry for an account HQ does not know", error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
add_balance (Ctx         *c,
             const char  *account,
             VpMoney      delta,
             GError     **error)
{
  char d[32];
  const char *p[] = { account, I64 (d, delta) };
  g_autoptr(PGresult) res = NULL;

  if (delta == 0)
    return TRUE;
  res = q (c, "add_balance", "UPDATE accounts SET balance = balance + $2 WHERE number = $1",
           2, p, error);
  return res != NULL;
}

/* Takes up to amount out of an account's credit; what is missing is
 * flagged for review (HQ spent the credit meanwhile). */
static gboolean
take_balance (Ctx         *c,
              Effect      *e,
              const char  *account,
              VpMoney      amount,
              GError     **error)
{
  char d[32];
  const char *p[] = { account, I64 (d, amount) };
  g_autoptr(PGresult) res = NULL;
  VpMoney had;

  if (amount <= 0)
    return TRUE;
  res = q (c, "take_balance",
           "UPDATE accounts a SET balance = greatest (a.balance - $2, 0) FROM"
           " (SELECT balance FROM accounts WHERE number = $1 FOR UPDATE) old"
           " WHERE a.number = $1 RETURNING old.balance", 2, p, error);
  if (res == NULL)
    return FALSE;
  had = PQntuples (res) > 0 ? vp_pg_get_int64 (res, 0, 0) : 0;
  if (had < amount)
    {
      g_autofree char *s = vp_money_format (amount - had);
      effect_note (e, "account %s had %s less credit at HQ; flagged for review", account, s);
      return flag_review (c, account, "credit taken on the van exceeds HQ's balance", error);
    }
  return TRUE;
}

static const char *
str_member (JsonObject *o,
            const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE ||
      json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gint64
int_member (JsonObject *o,
            const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE ||
      json_node_get_value_type (n) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (n);
}

static gboolean
bool_member (JsonObject *o,
             const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE ||
      json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return FALSE;
  return json_node_get_boolean (n);
}

/* --- the pending writes ------------------------------------------------------ */

static void
bill_cache_free (BillCache *b)
{
  g_free (b->hq_id);
  g_free (b->period);
  g_free (b);
}

static Pending *
pending_new (void)
{
  Pending *p = g_new0 (Pending, 1);

  p->accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_ptr_array_unref);
  p->balance = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  p->bills = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  p->copy = g_string_new (NULL);
  return p;
}

static void
pending_free (Pending *p)
{
  g_hash_table_unref (p->accounts);
  g_hash_table_unref (p->balance);
  g_hash_table_unref (p->bills);
  g_string_free (p->copy, TRUE);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pending, pending_free)

static void
add_delta (GHashTable *table,
           const char *key,
           gint64      delta)
{
  gint64 *v = g_hash_table_lookup (table, key);

  if (v == NULL)
    {
      v = g_new0 (gint64, 1);
      g_hash_table_insert (table, g_strdup (key), v);
    }
  *v += delta;
}

/* A PostgreSQL array literal of text values. */
static char *
array_literal (GPtrArray *values)
{
  GString *s = g_string_new ("{");

  for (guint i = 0; i < values->len; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, '"');
      for (const char *p = values->pdata[i]; *p; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *p);
        }
      g_string_append_c (s, '"');
    }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static void
copy_field (GString    *s,
            const char *v)
{
  if (v == NULL)
    {
      g_string_append (s, "\\N");
      return;
    }
  for (const char *p = v; *p; p++)
    switch (*p)
      {
      case '\\':
        g_string_append (s, "\\\\");
        break;
      case '\n':
        g_string_append (s, "\\n");
        break;
      case '\r':
        g_string_append (s, "\\r");
        break;
      case '\t':
        g_string_append (s, "\\t");
        break;
      default:
        g_string_append_c (s, *p);
      }
}

static void
pending_add_row (Pending           *p,
                 const char * const *fields,
                 guint              n,
                 gint64             seq)
{
  if (p->copy->len == 0)
    p->copy_first_seq = seq;
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (p->copy, '\t');
      copy_field (p->copy, fields[i]);
    }
  g_string_append_c (p->copy, '\n');
}

/* Applies a table of deltas with one UPDATE … FROM unnest. */
static gboolean
flush_deltas (Ctx        *c,
              GHashTable *table,
              const char *name,
              const char *sql,
              GError    **error)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autoptr(GPtrArray) vals = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *k = NULL;
  g_autofree char *v = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (*(gint64 *) value != 0)
      {
        g_ptr_array_add (keys, key);
        g_ptr_array_add (vals, g_strdup_printf ("%" G_GINT64_FORMAT, *(gint64 *) value));
      }
  if (keys->len > 0)
    {
      const char *params[2];
      g_autoptr(PGresult) res = NULL;

      k = array_literal (keys);
      v = array_literal (vals);
      params[0] = k;
      params[1] = v;
      res = vp_pg_query_prepared (c->conn, name, sql, 2, params, error);
      if (res == NULL)
        return FALSE;
    }
  g_hash_table_remove_all (table);
  return TRUE;
}

/* Writes everything pending. On a COPY failure c->bad_seq names the
 * first entry of the rows written. */
static gboolean
pending_flush (Ctx     *c,
               GError **error)
{
  Pending *p = c->pending;

  if (!flush_deltas (c, p->bills, "flush_bills",
                     "UPDATE bills b SET paid = b.paid + v.d FROM"
                     " unnest ($1::text[], $2::bigint[]) AS v (id, d) WHERE b.hq_id = v.id", error) ||
      !flush_deltas (c, p->balance, "flush_balance",
                     "UPDATE accounts a SET balance = a.balance + v.d FROM"
                     " unnest ($1::text[], $2::bigint[]) AS v (n, d) WHERE a.number = v.n", error))
    return FALSE;
  if (p->copy->len > 0)
    {
      g_autoptr(PGresult) res = PQexec (c->conn, "COPY journal (van, seq, uuid, kind, payload,"
                                                 " payload_text, device_time, monotonic_ms,"
                                                 " prev_hash, hash, signature, amount, account,"
                                                 " outcome, detail, credit, applied) FROM STDIN");
      g_autoptr(PGresult) end = NULL;

      if (PQresultStatus (res) != PGRES_COPY_IN)
        return vp_pg_set_error (c->conn, res, error);
      if (PQputCopyData (c->conn, p->copy->str, (int) p->copy->len) != 1 ||
          PQputCopyEnd (c->conn, NULL) != 1)
        return vp_pg_set_error (c->conn, NULL, error);
      while ((end = PQgetResult (c->conn)) != NULL)
        {
          if (PQresultStatus (end) != PGRES_COMMAND_OK)
            {
              c->bad_seq = p->copy_first_seq;
              vp_pg_set_error (c->conn, end, error);
              while ((end = (PQclear (end), PQgetResult (c->conn))) != NULL)
                ;
              return FALSE;
            }
          g_clear_pointer (&end, PQclear);
        }
      g_string_truncate (p->copy, 0);
    }
  return TRUE;
}

/* Loads the bills of the pay entries' accounts in one go. */
static gboolean
prefetch_accounts (Ctx        *c,
                   GPtrArray  *numbers,
                   GError    **error)
{
  g_autofree char *list = NULL;
  g_autoptr(PGresult) acc = NULL;
  g_autoptr(PGresult) bills = NULL;
  const char *p[1];

  if (numbers->len == 0)
    return TRUE;
  list = array_literal (numbers);
  p[0] = list;
  acc = vp_pg_query_prepared (c->conn, "pre_accounts", "SELECT number FROM accounts"
                                                       " WHERE number = ANY ($1::text[])"
                                                       " FOR UPDATE", 1, p, error);
  if (acc == NULL)
    return FALSE;
  bills = vp_pg_query_prepared (c->conn, "pre_bills", "SELECT hq_id, account, period, amount - paid"
                                                      " FROM bills WHERE account = ANY ($1::text[])"
                                                      " ORDER BY account, period FOR UPDATE",
                                1, p, error);
  if (bills == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (acc); i++)
    g_hash_table_insert (c->pending->accounts, g_strdup (PQgetvalue (acc, i, 0)),
                         g_ptr_array_new_with_free_func ((GDestroyNotify) bill_cache_free));
  for (int i = 0; i < PQntuples (bills); i++)
    {
      GPtrArray *list_ = g_hash_table_lookup (c->pending->accounts, PQgetvalue (bills, i, 1));
      BillCache *b;

      if (list_ == NULL)
        continue;
      b = g_new0 (BillCache, 1);
      b->hq_id = g_strdup (PQgetvalue (bills, i, 0));
      b->period = g_strdup (PQgetvalue (bills, i, 2));
      b->open = vp_pg_get_int64 (bills, i, 3);
      g_ptr_array_add (list_, b);
    }
  return TRUE;
}

/* --- per kind --------------------------------------------------------------- */

/* pay (src/store/vp-bill-store.c): the bills the van paid, by period;
 * money for a bill HQ already has as paid becomes credit (conflict). */
static gboolean
apply_pay (Ctx        *c,
           JsonObject *p,
           Effect     *e,
           GError    **error)
{
  JsonArray *bills = json_object_has_member (p, "bills") ?
                     json_object_get_array_member (p, "bills") : NULL;
  const char *number = str_member (p, "account");
  VpMoney credit = int_member (p, "to_credit");
  VpMoney credit_applied = int_member (p, "credit_applied");
  VpMoney extra = 0;
  GPtrArray *cached;

  e->amount = int_member (p, "amount");
  if (number != NULL && vp_account_number_is_provisional (number))
    {
      g_autoptr(GError) local_error = NULL;

      e->account = resolve_account (c, number, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  else
    e->account = g_strdup (number);
  cached = e->account ? g_hash_table_lookup (c->pending->accounts, e->account) : NULL;
  if (e->account != NULL && cached == NULL)
    {
      g_autoptr(GPtrArray) one = g_ptr_array_new ();

      g_ptr_array_add (one, e->account);
      if (!prefetch_accounts (c, one, error))
        return FALSE;
      cached = g_hash_table_lookup (c->pending->accounts, e->account);
    }
  if (cached == NULL)
    {
      g_clear_pointer (&e->account, g_free);
      effect_note (e, "account %s is unknown at HQ; flagged for review", number ? number : "(none)");
      return flag_review (c, number, "payment for an account HQ does not know", error);
    }

  json_builder_set_member_name (e->applied, "bills");
  json_builder_begin_array (e->applied);
  for (guint i = 0; bills != NULL && i < json_array_get_length (bills); i++)
    {
      JsonObject *b = json_array_get_object_element (bills, i);
      const char *period = str_member (b, "period");
      VpMoney paid = int_member (b, "paid");
      BillCache *hq = NULL;
      VpMoney take;

      if (period == NULL || paid <= 0)
        continue;
      for (guint k = 0; k < cached->len && hq == NULL; k++)
        if (g_str_equal (((BillCache *) cached->pdata[k])->period, period))
          hq = cached->pdata[k];
      if (hq == NULL)
        {
          g_autofree char *m = vp_money_format (paid);
          effect_note (e, "bill %s is unknown at HQ; %s credited", period, m);
          extra += paid;
          continue;
        }
      take = MIN (hq->open, paid);
      if (take > 0)
        {
          hq->open -= take;
          add_delta (c->pending->bills, hq->hq_id, take);
          json_builder_begin_object (e->applied);
          json_builder_set_member_name (e->applied, "hq_id");
          json_builder_add_string_value (e->applied, hq->hq_id);
          json_builder_set_member_name (e->applied, "paid");
          json_builder_add_int_value (e->applied, take);
          json_builder_end_object (e->applied);
        }
      if (paid > take)
        {
          g_autofree char *m = vp_money_format (paid - take);
          effect_note (e, "bill %s already paid at HQ; %s credited", period, m);
          extra += paid - take;
        }
    }
  json_builder_end_array (e->applied);

  e->credit = extra;
  json_builder_set_member_name (e->applied, "credit");
  json_builder_add_int_value (e->applied, credit + extra);
  add_delta (c->pending->balance, e->account, credit + extra);
  if (credit_applied > 0)
    {
      /* The account's credit paid bills on the van: HQ's credit goes down
       * by as much (what HQ no longer has is flagged). The deltas so far
       * are written first so the check sees HQ's real balance. */
      json_builder_set_member_name (e->applied, "credit_used");
      json_builder_add_int_value (e->applied, credit_applied);
      if (!pending_flush (c, error))
        return FALSE;
      return take_balance (c, e, e->account, credit_applied, error);
    }
  return TRUE;
}

/* The void of a change of holder: what HQ applied is undone (bills
 * un-paid, the final bill removed while unpaid, credit given back) and
 * the old holder, class, flags and reading come back from the signed
 * entry. */
static gboolean
void_transfer (Ctx        *c,
               gint64      voided,
               JsonObject *a,
               Effect     *e,
               GError    **error)
{
  JsonArray *bills = json_object_has_member (a, "bills") ? json_object_get_array_member (a, "bills") : NULL;
  char s[32], reading[32];
  const char *p1[] = { c->van, I64 (s, voided) };
  g_autoptr(PGresult) res = q (c, "void_payload", "SELECT payload_text FROM journal"
                                                  " WHERE van = $1 AND seq = $2", 2, p1, error);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *tp, *old_h;

  if (res == NULL)
    return FALSE;
  node = json_from_string (PQntuples (res) > 0 ? PQgetvalue (res, 0, 0) : "{}", NULL);
  tp = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  old_h = tp && json_object_has_member (tp, "old_holder") ? json_object_get_object_member (tp, "old_holder")
                                                         : NULL;
  for (guint i = 0; bills != NULL && i < json_array_get_length (bills); i++)
    {
      JsonObject *b = json_array_get_object_element (bills, i);
      char t[32];
      const char *p2[] = { str_member (b, "hq_id"), I64 (t, int_member (b, "paid")) };
      g_autoptr(PGresult) upd = q (c, "bill_unpay", "UPDATE bills SET paid = paid - $2"
                                                    " WHERE hq_id = $1 AND paid >= $2",
                                   2, p2, error);
      if (upd == NULL)
        return FALSE;
      if (g_strcmp0 (PQcmdTuples (upd), "1") != 0)
        {
          effect_note (e, "bill %s changed at HQ since; flagged for review", p2[0]);
          if (!flag_review (c, e->account, "void of a change of holder on a bill HQ changed", error))
            return FALSE;
        }
    }
  if (str_member (a, "final_bill") != NULL)
    {
      const char *p3[] = { str_member (a, "final_bill") };
      g_autoptr(PGresult) del = q (c, "final_bill_drop", "DELETE FROM bills WHERE hq_id = $1"
                                                         " AND paid = 0", 1, p3, error);
      if (del == NULL)
        return FALSE;
    }
  if (tp != NULL && json_object_has_member (tp, "final_bill"))
    {
      JsonObject *final = json_object_get_object_member (tp, "final_bill");

      if (final != NULL && json_object_has_member (final, "tariff_year"))
        {
          char litres[32], year[32];
          const char *p5[] = { e->account, I64 (litres, int_member (final, "litres")),
                               I64 (year, int_member (final, "tariff_year")) };
          g_autoptr(PGresult) upd = q (c, "final_bill_year_back",
                                       "UPDATE accounts SET year_volume = greatest (year_volume - $2, 0)"
                                       " WHERE number = $1 AND tariff_year = $3", 3, p5, error);
          if (upd == NULL)
            return FALSE;
        }
    }
  if (!add_balance (c, e->account, int_member (a, "credit_used"), error) ||
      !take_balance (c, e, e->account, int_member (a, "credit"), error))
    return FALSE;
  if (old_h != NULL)
    {
      const char *p4[] = { e->account,
                           str_member (old_h, "name") ? str_member (old_h, "name") : "",
                           str_member (old_h, "phone") ? str_member (old_h, "phone") : "",
                           str_member (old_h, "id_number") ? str_member (old_h, "id_number") : "",
                           str_member (old_h, "tariff_class") ? str_member (old_h, "tariff_class")
                                                              : "residential",
                           str_member (old_h, "concession_expiry"),
                           bool_member (old_h, "elderly_alone") ? "t" : "f",
                           bool_member (old_h, "needs_visit") ? "t" : "f",
                           I64 (reading, int_member (tp, "last_reading")) };
      g_autoptr(PGresult) upd = q (c, "transfer_restore",
                                   "UPDATE accounts SET holder = $2, phone = $3, id_number = $4,"
                                   " tariff_class = $5, concession_expiry = $6, elderly_alone = $7,"
                                   " needs_visit = $8, last_reading = $9 WHERE number = $1",
                                   9, p4, error);
      if (upd == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
apply_void (Ctx        *c,
            JsonObject *p,
            Effect     *e,
            GError    **error)
{
  gint64 voided = int_member (p, "voided_seq");
  char s[32];
  const char *p1[] = { c->van, I64 (s, voided) };
  g_autoptr(PGresult) res = NULL;
  g_autoptr(JsonNode) applied = NULL;
  JsonObject *a;
  const char *kind;
  const VpEntryKind *info;

  e->amount = -int_member (p, "amount");
  /* Per-van invariants: a void reverses an earlier entry HQ applied, of
   * a kind that can be voided, by exactly what it moved, once. */
  if (voided >= c->seq)
    return effect_reject (e, "voids entry %" G_GINT64_FORMAT ", which does not come before it", voided);
  res = q (c, "void_get", "SELECT kind, applied::text, account, outcome, amount FROM journal"
                          " WHERE van = $1 AND seq = $2", 2, p1, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return effect_reject (e, "voids entry %" G_GINT64_FORMAT ", which HQ does not hold", voided);
  info = vp_entry_kind_lookup (PQgetvalue (res, 0, 0));
  if (info == NULL || !(vp_entry_kind_get_flags (info) & VP_ENTRY_KIND_VOIDABLE))
    return effect_reject (e, "voids entry %" G_GINT64_FORMAT ", a %s entry, which cannot be voided",
                          voided, PQgetvalue (res, 0, 0));
  if (g_str_equal (PQgetvalue (res, 0, 3), "rejected"))
    return effect_reject (e, "voids entry %" G_GINT64_FORMAT ", which HQ rejected", voided);
  if (vp_pg_get_int64 (res, 0, 4) != int_member (p, "amount"))
    {
      g_autofree char *gives = vp_money_format (int_member (p, "amount"));
      g_autofree char *moved = vp_money_format (vp_pg_get_int64 (res, 0, 4));

      return effect_reject (e, "gives back %s, but entry %" G_GINT64_FORMAT " moved %s",
                            gives, voided, moved);
    }
  {
    g_autoptr(PGresult) twice = q (c, "void_twice", "SELECT seq FROM journal WHERE van = $1"
                                                    " AND kind = 'void' AND outcome <> 'rejected'"
                                                    " AND payload->>'voided_seq' = $2 LIMIT 1",
                                   2, p1, error);
    if (twice == NULL)
      return FALSE;
    if (PQntuples (twice) > 0)
      return effect_reject (e, "entry %" G_GINT64_FORMAT " is already voided by entry %s",
                            voided, PQgetvalue (twice, 0, 0));
  }
  /* Cash movements touch no account: their void is its drawer amount. */
  if (PQntuples (res) > 0 && g_str_has_prefix (PQgetvalue (res, 0, 0), "cash."))
    return TRUE;
  if (PQntuples (res) == 0 || PQgetisnull (res, 0, 2))
    {
      effect_note (e, "voided entry %" G_GINT64_FORMAT " had no effect at HQ", voided);
      return TRUE;
    }
  kind = PQgetvalue (res, 0, 0);
  e->account = g_strdup (PQgetvalue (res, 0, 2));
  applied = json_from_string (PQgetvalue (res, 0, 1), NULL);
  a = applied && JSON_NODE_HOLDS_OBJECT (applied) ? json_node_get_object (applied) : NULL;

  if ((g_str_equal (kind, VP_KIND_PAY) || g_str_equal (kind, VP_KIND_CREDIT_SETTLE)) && a != NULL)
    {
      JsonArray *bills = json_object_has_member (a, "bills") ?
                         json_object_get_array_member (a, "bills") : NULL;

      for (guint i = 0; bills != NULL && i < json_array_get_length (bills); i++)
        {
          JsonObject *b = json_array_get_object_element (bills, i);
          char t[32];
          const char *p2[] = { str_member (b, "hq_id"), I64 (t, int_member (b, "paid")) };
          g_autoptr(PGresult) upd = q (c, "bill_unpay", "UPDATE bills SET paid = paid - $2"
                                                        " WHERE hq_id = $1 AND paid >= $2",
                                       2, p2, error);
          if (upd == NULL)
            return FALSE;
          if (g_strcmp0 (PQcmdTuples (upd), "1") != 0)
            {
              effect_note (e, "bill %s changed at HQ since; flagged for review", p2[0]);
              if (!flag_review (c, e->account, "void of a payment on a bill HQ changed", error))
                return FALSE;
            }
        }
      /* The credit the payment used comes back. */
      if (!add_balance (c, e->account, int_member (a, "credit_used"), error))
        return FALSE;
      return take_balance (c, e, e->account, int_member (a, "credit"), error);
    }
  /* A top-up taken back off its card: the money went back through the
   * drawer (e->amount); the credit the purchase used comes back, the
   * leftover fen it credited go, the year's volume goes back and the
   * card's counter moves on to the reversal's. */
  if (g_str_equal (kind, VP_KIND_TOPUP_INTENT))
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (c->device_time / G_USEC_PER_SEC);
      char counter[32], volume[32], year[32];
      const char *p2[] = { e->account, I64 (counter, int_member (p, "card_counter")),
                           I64 (volume, int_member (p, "volume")),
                           I64 (year, dt ? g_date_time_get_year (dt) : 0) };
      g_autoptr(PGresult) upd = NULL;

      if (!json_object_has_member (p, "reversal_seq"))
        {
          effect_note (e, "void of top-up %" G_GINT64_FORMAT " without its card reversal",
                       voided);
          return flag_review (c, e->account, "top-up voided without its card", error);
        }
      upd = q (c, "topup_reverse",
               "UPDATE accounts SET card_counter = greatest (card_counter, $2),"
               " year_volume = CASE WHEN tariff_year = $4 THEN greatest (year_volume - $3, 0)"
               " ELSE year_volume END WHERE number = $1", 4, p2, error);
      if (upd == NULL)
        return FALSE;
      if (!add_balance (c, e->account, int_member (p, "credit_back"), error))
        return FALSE;
      return take_balance (c, e, e->account, int_member (p, "leftover_taken"), error);
    }
  if (g_str_equal (kind, VP_KIND_ACCOUNT_TRANSFER) && a != NULL && json_object_has_member (a, "credit_used"))
    return void_transfer (c, voided, a, e, error);
  if (g_str_equal (kind, "account.open"))
    {
      const char *p2[] = { e->account };
      g_autoptr(PGresult) upd = q (c, "close_acct", "UPDATE accounts SET status = 'closed'"
                                                    " WHERE number = $1", 1, p2, error);
      return upd != NULL;
    }
  /* Credit paid out in cash comes back onto the account. */
  if (g_str_equal (kind, VP_KIND_CREDIT_REFUND) && a != NULL)
    return add_balance (c, e->account, int_member (a, "refunded"), error);
  /* Credit moved (or refunded when closing) comes back; a closed
   * account opens again with its card. */
  if ((g_str_equal (kind, VP_KIND_CREDIT_MOVE) || g_str_equal (kind, VP_KIND_ACCOUNT_CLOSE)) &&
      a != NULL)
    {
      VpMoney moved = int_member (a, "moved");
      const char *to = str_member (a, "to_account");

      if (to != NULL && !take_balance (c, e, to, moved, error))
        return FALSE;
      if (!add_balance (c, e->account, moved, error))
        return FALSE;
      if (g_str_equal (kind, VP_KIND_ACCOUNT_CLOSE))
        {
          const char *p2[] = { e->account };
          g_autoptr(PGresult) upd = q (c, "acct_reopen", "UPDATE accounts SET status = 'active'"
                                                         " WHERE number = $1 RETURNING card_number",
                                       1, p2, error);
          g_autoptr(PGresult) unblock = NULL;

          if (upd == NULL)
            return FALSE;
          if (PQntuples (upd) > 0 && !PQgetisnull (upd, 0, 0))
            {
              const char *p3[] = { PQgetvalue (upd, 0, 0) };

              unblock = q (c, "card_unblock", "DELETE FROM blocked_cards WHERE card_number = $1"
                                              " AND reason = 'account closed'", 1, p3, error);
              if (unblock == NULL)
                return FALSE;
            }
        }
      return TRUE;
    }
  /* card.reissue gives back its fee only; cash movements touch no
   * account: the drawer amount (e->amount) is all. */
  return TRUE;
}

static gboolean
apply_topup (Ctx        *c,
             const char *kind,
             JsonObject *p,
             Effect     *e,
             GError    **error)
{
  if (!need_account (c, e, str_member (p, "account"), error))
    return FALSE;
  if (g_str_equal (kind, VP_KIND_TOPUP_INTENT))
    {
      /* Credit used for the purchase leaves the account now; a VOID
       * gives back the whole funds (to_credit). */
      e->amount = int_member (p, "amount");
      if (e->account == NULL)
        return TRUE;
      json_builder_set_member_name (e->applied, "credit_used");
      json_builder_add_int_value (e->applied, int_member (p, "credit_used"));
      return take_balance (c, e, e->account, int_member (p, "credit_used"), error);
    }
  if (e->account == NULL)
    return TRUE;
  if (g_str_equal (kind, VP_KIND_TOPUP_CONFIRM))
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (c->device_time / G_USEC_PER_SEC);
      char counter[32], volume[32], year[32];
      const char *p1[] = { e->account, I64 (counter, int_member (p, "counter")),
                           I64 (volume, int_member (p, "volume")),
                           I64 (year, dt ? g_date_time_get_year (dt) : 0) };
      g_autoptr(PGresult) res =
        q (c, "topup_confirm",
           "UPDATE accounts SET card_counter = greatest (card_counter, $2),"
           " year_volume = CASE WHEN tariff_year = $4 THEN year_volume + $3 ELSE $3 END,"
           " tariff_year = $4 WHERE number = $1", 4, p1, error);
      if (res == NULL)
        return FALSE;
    }
  json_builder_set_member_name (e->applied, "credit");
  json_builder_add_int_value (e->applied, int_member (p, "to_credit"));
  return add_balance (c, e->account, int_member (p, "to_credit"), error);
}

static gboolean
apply_open (Ctx        *c,
            JsonObject *p,
            Effect     *e,
            GError    **error)
{
  const char *provisional = str_member (p, "account");
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (c->device_time / G_USEC_PER_SEC);
  g_autofree char *number = NULL;
  char year[32], seq[32];

  e->amount = int_member (p, "fee");
  if (provisional == NULL)
    {
      effect_note (e, "account.open without an account number; flagged for review");
      return flag_review (c, NULL, "account.open without an account number", error);
    }
  number = resolve_account (c, provisional, error);
  if (number != NULL)
    {
      e->account = g_steal_pointer (&number);
      return TRUE;
    }
  res = q (c, "acct_seq", "SELECT nextval ('account_number_seq')", 0, NULL, error);
  if (res == NULL)
    return FALSE;
  number = vp_account_number_make ((guint64) vp_pg_get_int64 (res, 0, 0));

  {
    const char *p1[] = {
      number, str_member (p, "holder") ? str_member (p, "holder") : "",
      str_member (p, "phone") ? str_member (p, "phone") : "",
      str_member (p, "id_number") ? str_member (p, "id_number") : "",
      str_member (p, "estate") ? str_member (p, "estate") : "",
      str_member (p, "building") ? str_member (p, "building") : "",
      str_member (p, "unit") ? str_member (p, "unit") : "",
      str_member (p, "room") ? str_member (p, "room") : "",
      str_member (p, "service") ? str_member (p, "service") : "gas",
      str_member (p, "meter") ? str_member (p, "meter") : "prepaid",
      str_member (p, "tariff_class") ? str_member (p, "tariff_class") : "residential",
      str_member (p, "concession_expiry"),
      bool_member (p, "elderly_alone") ? "t" : "f",
      bool_member (p, "needs_visit") ? "t" : "f",
      str_member (p, "card_number"),
      I64 (year, dt ? g_date_time_get_year (dt) : 0),
      c->van,
    };
    g_autoptr(PGresult) ins =
      q (c, "acct_open",
         "INSERT INTO accounts (number, holder, phone, id_number, estate, building, unit, room,"
         " service, meter, tariff_class, concession_expiry, elderly_alone, needs_visit,"
         " card_number, tariff_year, status, opened_by_van)"
         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
         " 'active', $17)", 17, p1, error);
    if (ins == NULL)
      return FALSE;
  }
  {
    const char *p2[] = { c->van, provisional, number, I64 (seq, c->seq) };
    g_autoptr(PGresult) ins = q (c, "prov_map", "INSERT INTO provisional_accounts"
                                                " (van, provisional, number, seq)"
                                                " VALUES ($1, $2, $3, $4)", 4, p2, error);
    if (ins == NULL)
      return FALSE;
  }
  e->account = g_steal_pointer (&number);
  return TRUE;
}

/* account.transfer since issue 9 (src/store/vp-account-ops.c): the
 * final bill the van raised, the bills credit and money paid (by period,
 * as a payment), the credit used and refunded, the new holder's class and
 * flags. What HQ did is kept in applied for a void. */
static gboolean
apply_transfer_position (Ctx        *c,
                         JsonObject *p,
                         Effect     *e,
                         GError    **error)
{
  JsonObject *new_h = json_object_get_object_member (p, "new_holder");
  JsonObject *final = json_object_has_member (p, "final_bill")
                      ? json_object_get_object_member (p, "final_bill") : NULL;
  JsonArray *bills = json_object_has_member (p, "bills")
                     ? json_object_get_array_member (p, "bills") : NULL;
  VpMoney credit_used = int_member (p, "credit_applied") + int_member (p, "credit_refunded");
  VpMoney extra = 0;

  {
    const char *p1[] = { e->account,
                         str_member (new_h, "tariff_class") ? str_member (new_h, "tariff_class")
                                                            : "residential",
                         str_member (new_h, "concession_expiry"),
                         bool_member (new_h, "elderly_alone") ? "t" : "f",
                         bool_member (new_h, "needs_visit") ? "t" : "f" };
    g_autoptr(PGresult) upd = q (c, "acct_transfer_class",
                                 "UPDATE accounts SET tariff_class = $2, concession_expiry = $3,"
                                 " elderly_alone = $4, needs_visit = $5 WHERE number = $1",
                                 5, p1, error);
    if (upd == NULL)
      return FALSE;
  }
  if (final != NULL)
    {
      char amount[32], seq[32];
      g_autofree char *hq_id = g_strdup_printf ("%s-%s-final", c->van, I64 (seq, c->seq));
      const char *p2[] = { hq_id, e->account, str_member (final, "period"),
                           I64 (amount, int_member (final, "amount")) };
      g_autoptr(PGresult) ins = q (c, "final_bill",
                                   "INSERT INTO bills (hq_id, account, period, amount)"
                                   " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
                                   " RETURNING hq_id", 4, p2, error);
      if (ins == NULL)
        return FALSE;
      if (PQntuples (ins) == 0)
        {
          effect_note (e, "HQ already has a bill for %s dated %s; flagged for review",
                       e->account, str_member (final, "period"));
          if (!flag_review (c, e->account, "final bill of a change of holder clashes", error))
            return FALSE;
        }
      else
        {
          json_builder_set_member_name (e->applied, "final_bill");
          json_builder_add_string_value (e->applied, hq_id);
        }
      if (json_object_has_member (final, "tariff_year"))
        {
          /* The use billed counts in the year's tiers, as on the van. */
          char litres[32], year[32];
          const char *p3[] = { e->account, I64 (litres, int_member (final, "litres")),
                               I64 (year, int_member (final, "tariff_year")) };
          g_autoptr(PGresult) upd = q (c, "final_bill_year",
                                       "UPDATE accounts SET year_volume = CASE WHEN tariff_year = $3"
                                       " THEN year_volume + $2 ELSE $2 END, tariff_year = $3"
                                       " WHERE number = $1", 3, p3, error);
          if (upd == NULL)
            return FALSE;
        }
    }

  json_builder_set_member_name (e->applied, "bills");
  json_builder_begin_array (e->applied);
  for (guint i = 0; bills != NULL && i < json_array_get_length (bills); i++)
    {
      JsonObject *b = json_array_get_object_element (bills, i);
      char paid_s[32];
      const char *p3[] = { e->account, str_member (b, "period"), I64 (paid_s, int_member (b, "paid")) };
      g_autoptr(PGresult) upd = NULL;
      VpMoney take = 0;

      if (p3[1] == NULL || int_member (b, "paid") <= 0)
        continue;
      upd = q (c, "transfer_pay_bill",
               "UPDATE bills b SET paid = b.paid + least (b.amount - b.paid, $3::bigint)"
               " FROM (SELECT hq_id, amount - paid AS open FROM bills WHERE account = $1"
               "       AND period = $2 FOR UPDATE) o"
               " WHERE b.hq_id = o.hq_id RETURNING b.hq_id, least (o.open, $3::bigint)",
               3, p3, error);
      if (upd == NULL)
        return FALSE;
      if (PQntuples (upd) > 0)
        {
          take = vp_pg_get_int64 (upd, 0, 1);
          json_builder_begin_object (e->applied);
          json_builder_set_member_name (e->applied, "hq_id");
          json_builder_add_string_value (e->applied, PQgetvalue (upd, 0, 0));
          json_builder_set_member_name (e->applied, "paid");
          json_builder_add_int_value (e->applied, take);
          json_builder_end_object (e->applied);
        }
      if (int_member (b, "paid") > take)
        {
          g_autofree char *m = vp_money_format (int_member (b, "paid") - take);
          effect_note (e, "bill %s already paid at HQ; %s credited", p3[1], m);
          extra += int_member (b, "paid") - take;
        }
    }
  json_builder_end_array (e->applied);
  e->credit = extra;
  json_builder_set_member_name (e->applied, "credit");
  json_builder_add_int_value (e->applied, extra);
  json_builder_set_member_name (e->applied, "credit_used");
  json_builder_add_int_value (e->applied, credit_used);
  if (!add_balance (c, e->account, extra, error))
    return FALSE;
  return take_balance (c, e, e->account, credit_used, error);
}

static gboolean
apply_transfer (Ctx        *c,
                JsonObject *p,
                Effect     *e,
                GError    **error)
{
  JsonObject *old_h = json_object_has_member (p, "old_holder") ?
                      json_object_get_object_member (p, "old_holder") : NULL;
  JsonObject *new_h = json_object_has_member (p, "new_holder") ?
                      json_object_get_object_member (p, "new_holder") : NULL;
  VpMoney settled = int_member (p, "arrears_settled");
  g_autoptr(PGresult) cur = NULL;
  gboolean changed;

  /* The drawer: money taken for the arrears, or credit paid back. */
  e->amount = settled - int_member (p, "credit_refunded");
  if (!need_account (c, e, str_member (p, "account"), error))
    return FALSE;
  if (e->account == NULL)
    return TRUE;

  {
    const char *p1[] = { e->account };
    cur = q (c, "acct_holder", "SELECT holder, id_number, admin_seq,"
                               " (SELECT coalesce (sum (amount - paid), 0) FROM bills"
                               "   WHERE account = $1)"
                               " FROM accounts WHERE number = $1 FOR UPDATE", 1, p1, error);
    if (cur == NULL)
      return FALSE;
  }
  changed = g_strcmp0 (PQgetvalue (cur, 0, 0), str_member (old_h, "name")) != 0 ||
            g_strcmp0 (PQgetvalue (cur, 0, 1), str_member (old_h, "id_number")) != 0 ||
            vp_pg_get_int64 (cur, 0, 2) > c->pulled_seq;
  if (changed)
    {
      effect_note (e, "account %s was changed at HQ since the van's last pull; "
                   "change of holder applied and flagged for review", e->account);
      if (!flag_review (c, e->account, "change of holder on an account HQ changed", error))
        return FALSE;
    }

  {
    char reading[32];
    const char *p2[] = { e->account,
                         str_member (new_h, "name") ? str_member (new_h, "name") : "",
                         str_member (new_h, "phone") ? str_member (new_h, "phone") : "",
                         str_member (new_h, "id_number") ? str_member (new_h, "id_number") : "",
                         I64 (reading, int_member (p, "final_reading")) };
    g_autoptr(PGresult) upd = q (c, "acct_transfer",
                                 "UPDATE accounts SET holder = $2, phone = $3, id_number = $4,"
                                 " last_reading = greatest (last_reading, $5) WHERE number = $1",
                                 5, p2, error);
    if (upd == NULL)
      return FALSE;
  }

  if (!json_object_has_member (p, "credit_before"))
    {
      /* A van before issue 9: arrears settled whole in money, credit
       * carried. */
      if (settled > 0)
        {
          VpMoney open = vp_pg_get_int64 (cur, 0, 3);
          const char *p3[] = { e->account };
          g_autoptr(PGresult) upd = q (c, "bills_settle", "UPDATE bills SET paid = amount"
                                                          " WHERE account = $1 AND paid < amount",
                                       1, p3, error);
          if (upd == NULL)
            return FALSE;
          json_builder_set_member_name (e->applied, "settled");
          json_builder_add_int_value (e->applied, MIN (open, settled));
          if (settled > open)
            {
              g_autofree char *s = vp_money_format (settled - open);
              effect_note (e, "arrears already paid at HQ; %s credited", s);
              e->credit = settled - open;
              return add_balance (c, e->account, settled - open, error);
            }
        }
      return TRUE;
    }
  return apply_transfer_position (c, p, e, error);
}

static gboolean
block_card (Ctx        *c,
            const char *card,
            const char *reason,
            GError    **error)
{
  const char *p[] = { card, reason };
  g_autoptr(PGresult) res = NULL;

  if (card == NULL || *card == '\0')
    return TRUE;
  res = q (c, "block_card", "INSERT INTO blocked_cards (card_number, reason) VALUES ($1, $2)"
                            " ON CONFLICT DO NOTHING", 2, p, error);
  return res != NULL;
}

static gboolean
apply_move (Ctx        *c,
            const char *kind,
            JsonObject *p,
            Effect     *e,
            GError    **error)
{
  gboolean close = g_str_equal (kind, VP_KIND_ACCOUNT_CLOSE);
  const char *to_number = str_member (p, "to_account");
  VpMoney amount = int_member (p, "amount");
  g_autofree char *to = NULL;

  if (close && g_strcmp0 (str_member (p, "refund"), "cash") == 0 && amount > 0)
    e->amount = -amount;
  if (!need_account (c, e, str_member (p, "account"), error))
    return FALSE;
  if (to_number != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      to = resolve_account (c, to_number, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (to == NULL)
        {
          effect_note (e, "account %s is unknown at HQ; flagged for review", to_number);
          if (!flag_review (c, to_number, "credit moved to an account HQ does not know", error))
            return FALSE;
        }
    }
  /* Per-van invariant: credit moved to another account must exist at
   * HQ, or the move would make money (a negative credit here, credit
   * there). A cash refund at closing already left the drawer: that one
   * is applied and flagged (take_balance). */
  if (e->account != NULL && to != NULL && amount > 0)
    {
      const char *p1[] = { e->account };
      g_autoptr(PGresult) bal = q (c, "move_balance", "SELECT balance FROM accounts"
                                                      " WHERE number = $1 FOR UPDATE", 1, p1, error);

      if (bal == NULL)
        return FALSE;
      if (PQntuples (bal) == 0 || vp_pg_get_int64 (bal, 0, 0) < amount)
        {
          g_autofree char *have = vp_money_format (PQntuples (bal) ? vp_pg_get_int64 (bal, 0, 0) : 0);
          g_autofree char *want = vp_money_format (amount);

          return effect_reject (e, "account %s has %s of credit at HQ; moving %s would leave it"
                                " negative", e->account, have, want);
        }
    }
  if (e->account != NULL && !take_balance (c, e, e->account, amount, error))
    return FALSE;
  if (to != NULL && !add_balance (c, to, amount, error))
    return FALSE;
  /* What a void of this entry gives back (apply_void). */
  json_builder_set_member_name (e->applied, "moved");
  json_builder_add_int_value (e->applied, e->account != NULL ? amount : 0);
  if (to != NULL)
    {
      json_builder_set_member_name (e->applied, "to_account");
      json_builder_add_string_value (e->applied, to);
    }
  if (close && e->account != NULL)
    {
      const char *p1[] = { e->account };
      g_autoptr(PGresult) res = q (c, "acct_close", "UPDATE accounts SET status = 'closed'"
                                                    " WHERE number = $1 RETURNING card_number",
                                   1, p1, error);
      if (res == NULL)
        return FALSE;
      if (PQntuples (res) > 0 && !PQgetisnull (res, 0, 0) &&
          !block_card (c, PQgetvalue (res, 0, 0), "account closed", error))
        return FALSE;
    }
  return TRUE;
}

/* credit.refund (src/store/vp-bill-store.c): credit paid out in cash,
 * the account stays open. */
static gboolean
apply_refund (Ctx        *c,
              JsonObject *p,
              Effect     *e,
              GError    **error)
{
  VpMoney amount = int_member (p, "amount");

  e->amount = -amount;
  if (!need_account (c, e, str_member (p, "account"), error))
    return FALSE;
  if (e->account == NULL)
    return TRUE;
  json_builder_set_member_name (e->applied, "refunded");
  json_builder_add_int_value (e->applied, amount);
  return take_balance (c, e, e->account, amount, error);
}

/* card.reissue (src/store/vp-card-store.c): old card blocked, new card
 * with the counter carried; top-ups still pending on the lost card are
 * kept as credit (credit_carried). */
static gboolean
apply_reissue (Ctx        *c,
               JsonObject *p,
               Effect     *e,
               GError    **error)
{
  const char *new_card = str_member (p, "new_card");
  const char *old_card = str_member (p, "old_card");
  const char *reason = str_member (p, "reason");
  VpMoney carried = int_member (p, "credit_carried");
  char counter[32];

  e->amount = int_member (p, "fee");
  if (!need_account (c, e, str_member (p, "account"), error))
    return FALSE;
  if (!block_card (c, old_card, reason ? reason : "card reissued", error))
    return FALSE;
  if (e->account == NULL)
    return TRUE;
  if (new_card != NULL)
    {
      const char *p1[] = { e->account, new_card, I64 (counter, int_member (p, "counter")) };
      g_autoptr(PGresult) res = q (c, "card_reissue", "UPDATE accounts SET card_number = $2,"
                                                      " card_counter = greatest (card_counter, $3)"
                                                      " WHERE number = $1", 3, p1, error);
      if (res == NULL)
        return FALSE;
    }
  json_builder_set_member_name (e->applied, "credit");
  json_builder_add_int_value (e->applied, carried);
  return add_balance (c, e->account, carried, error);
}

/* A van whose journal broke (cut, forked, tampered, restored from an
 * older backup) reports it with a signed journal.break entry once a
 * supervisor acknowledged it (DESIGN §4): the utility reviews every one. */
static gboolean
apply_journal_break (Ctx        *c,
                     JsonObject *p,
                     Effect     *e,
                     GError    **error)
{
  g_autofree char *what = g_utf8_make_valid (json_object_get_string_member_with_default (p, "break", "?"), -1);
  gint64 lost = json_object_get_int_member_with_default (p, "entries_lost", 0);
  g_autofree char *reason = NULL;

  /* Cut on a character, not a byte: PostgreSQL refuses half a character. */
  g_autofree char *short_what = g_utf8_substring (what, 0, MIN (300, g_utf8_strlen (what, -1)));

  reason = g_strdup_printf ("journal break acknowledged by %s (%" G_GINT64_FORMAT
                            " entries lost): %s",
                            json_object_get_string_member_with_default (p, "approved_by", "?"),
                            lost, short_what);
  effect_note (e, "journal break reported; flagged for review");
  return flag_review (c, NULL, reason, error);
}

/* Shifts, trips and service logs are stored only. */
static gboolean
stored_only (const char *k)
{
  return !(g_str_equal (k, VP_KIND_VOID) || g_str_has_prefix (k, "topup.") ||
           g_str_has_prefix (k, "account.") || g_str_equal (k, VP_KIND_CREDIT_MOVE) ||
           g_str_equal (k, VP_KIND_CARD_REISSUE) || g_str_equal (k, VP_KIND_JOURNAL_BREAK) ||
           g_str_equal (k, VP_KIND_CREDIT_REFUND));
}

static gboolean
apply_other (Ctx        *c,
             const char *k,
             JsonObject *p,
             Effect     *e,
             GError    **error)
{
  if (g_str_equal (k, VP_KIND_VOID))
    return apply_void (c, p, e, error);
  if (g_str_has_prefix (k, "topup."))
    return apply_topup (c, k, p, e, error);
  if (g_str_equal (k, VP_KIND_ACCOUNT_OPEN))
    return apply_open (c, p, e, error);
  if (g_str_equal (k, VP_KIND_ACCOUNT_TRANSFER))
    return apply_transfer (c, p, e, error);
  if (g_str_equal (k, VP_KIND_CREDIT_MOVE) || g_str_equal (k, VP_KIND_ACCOUNT_CLOSE))
    return apply_move (c, k, p, e, error);
  if (g_str_equal (k, VP_KIND_CARD_REISSUE))
    return apply_reissue (c, p, e, error);
  if (g_str_equal (k, VP_KIND_CREDIT_REFUND))
    return apply_refund (c, p, e, error);
  if (g_str_equal (k, VP_KIND_JOURNAL_BREAK))
    return apply_journal_break (c, p, e, error);
  return TRUE;
}

static gboolean
apply_entry (Ctx                  *c,
             const VpJournalEntry *entry,
             JsonObject           *p,
             Effect               *e,
             GError              **error)
{
  const char *k = entry->kind;
  g_autoptr(GError) rule_error = NULL;

  /* The kind's rules, the very code the van ran before signing
   * (src/core/vp-entry-rules.c): what breaks them is quarantined. */
  if (!vp_entry_rules_check (k, p, NULL, &rule_error))
    return effect_reject (e, "%s", rule_error->message);

  json_builder_begin_object (e->applied);
  /* Bills paid from credit alone are a payment of no money. */
  if (g_str_equal (k, VP_KIND_PAY) || g_str_equal (k, VP_KIND_CREDIT_SETTLE))
    {
      if (!apply_pay (c, p, e, error))
        return FALSE;
    }
  else if (g_str_equal (k, VP_KIND_RECEIPT_REPRINT))
    {
      /* A duplicate receipt moves no money: stored for the record (how
       * often a receipt was reprinted, by whom), checked with the one
       * rule of its kind, never applied. */
      VpJournalLedger l;
      g_autoptr(GError) rule = NULL;

      if (!vp_journal_ledger_from_payload (k, p, &l, &rule))
        {
          effect_note (e, "%s; flagged for review", rule->message);
          if (!flag_review (c, NULL, rule->message, error))
            return FALSE;
        }
    }
  else if (g_str_has_prefix (k, "staff."))
    {
      /* A supervisor's staff change (add, disable, PIN reset, unlock)
       * moves no money and touches no account: HQ stores it for the
       * record (who changed whom, how often staff get locked out); its
       * kind's rules, run above, already refused one with a PIN or money
       * (a stored entry is no conflict: nothing to note). */
    }
  else if (g_str_has_prefix (k, "cash."))
    {
      /* Cash movements touch no account; HQ's figures take the drawer
       * amount from the one ledger rule, as the van's do. */
      VpJournalLedger l;

      if (!vp_journal_ledger_from_payload (k, p, &l, error))
        return FALSE;
      e->amount = l.amount;
    }
  else if (!stored_only (k))
    {
      /* Other kinds read and write with SQL: bring the database up to
       * date first, and forget the cache they may change. */
      g_autoptr(GError) local_error = NULL;

      if (!pending_flush (c, error))
        return FALSE;
      g_hash_table_remove_all (c->pending->accounts);
      /* A savepoint per entry: an entry HQ cannot apply (an invariant it
       * breaks, a value PostgreSQL refuses) is undone alone and
       * quarantined; it never fails the batch (never a 5xx for an
       * entry's content). */
      if (!vp_pg_exec (c->conn, "SAVEPOINT entry", error))
        return FALSE;
      if (!apply_other (c, k, p, e, &local_error))
        {
          const char *state = vp_pg_last_sqlstate ();

          /* Data (22) and integrity (23) errors are the entry's fault;
           * anything else (connection, HQ's own SQL) is HQ's. */
          if (!g_str_has_prefix (state, "22") && !g_str_has_prefix (state, "23"))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          effect_reject (e, "HQ cannot apply it: %s", local_error->message);
        }
      if (e->rejected != NULL)
        return vp_pg_exec (c->conn, "ROLLBACK TO SAVEPOINT entry", error);
      if (!vp_pg_exec (c->conn, "RELEASE SAVEPOINT entry", error))
        return FALSE;
    }
  if (e->account != NULL)
    {
      json_builder_set_member_name (e->applied, "account");
      json_builder_add_string_value (e->applied, e->account);
    }
  json_builder_end_object (e->applied);
  return TRUE;
}

/* --- parsing ------------------------------------------------------------------ */

/* The push body is read as it streams through yajl, straight into the
 * fields HQ uses, with no tree: json-glib's parser took ~14 µs of HQ's
 * CPU per entry, more than all of HQ's own work on an entry but its
 * signature check (issue 10). What is read is then checked in the order
 * and with the words json-glib's tree was checked with. A member named
 * twice counts as its last value, as in json-glib. */

typedef enum
{
  FIELD_MISSING = 0,
  FIELD_STRING,
  FIELD_INT,
  FIELD_OTHER,   /* any other JSON value */
} FieldKind;

typedef struct
{
  FieldKind kind;
  char     *str;
  gint64    num;
} Field;

enum
{
  F_UUID, F_SEQ, F_KIND, F_PAYLOAD, F_DEVICE_TIME, F_MONOTONIC_MS,
  F_PREV_HASH, F_HASH, F_SIGNATURE, N_ENTRY_FIELDS
};

static const char * const entry_field_names[N_ENTRY_FIELDS] = {
  "uuid", "seq", "kind", "payload", "device_time", "monotonic_ms", "prev_hash", "hash", "signature"
};

static const gboolean entry_field_is_int[N_ENTRY_FIELDS] = {
  FALSE, TRUE, FALSE, FALSE, TRUE, TRUE, FALSE, FALSE, FALSE
};

typedef struct
{
  gboolean is_object;
  Field    f[N_ENTRY_FIELDS];
} BodyEntry;

typedef struct
{
  int         depth;        /* containers open */
  gboolean    root_object;  /* the body is a JSON object */
  enum { TOP_OTHER, TOP_VAN, TOP_ACKED_SEQ, TOP_ENTRIES } top_key;   /* root member being read */
  int         entry_field;  /* the entry member being read, -1: none HQ reads */
  int         entries_depth;/* depth of the entries array, 0: not in it */
  Field       van;
  Field       acked_seq;
  enum { ENTRIES_MISSING, ENTRIES_ARRAY, ENTRIES_OTHER } entries_kind;
  GArray     *entries;      /* BodyEntry */
} BodyReader;

static void
field_set (Field      *f,
           FieldKind   kind,
           const char *str,
           gsize       len,
           gint64      num)
{
  g_clear_pointer (&f->str, g_free);
  f->kind = kind;
  f->num = num;
  if (kind == FIELD_STRING)
    f->str = g_strndup (str, len);
}

static void
body_entry_clear (BodyEntry *e)
{
  for (guint i = 0; i < N_ENTRY_FIELDS; i++)
    g_free (e->f[i].str);
}

/* The field a scalar or a container at the reader's position is the
 * value of, or NULL if HQ does not read it. */
static Field *
body_target (BodyReader *r)
{
  if (r->depth == 1 && r->root_object)
    {
      if (r->top_key == TOP_VAN)
        return &r->van;
      if (r->top_key == TOP_ACKED_SEQ)
        return &r->acked_seq;
      return NULL;
    }
  if (r->entries_depth > 0 && r->depth == r->entries_depth + 1 && r->entry_field >= 0)
    return &g_array_index (r->entries, BodyEntry, r->entries->len - 1).f[r->entry_field];
  return NULL;
}

/* A value that is not an object at the entries array's own level. */
static void
body_element (BodyReader *r,
              gboolean    is_object)
{
  BodyEntry e = { is_object, { { 0 } } };

  g_array_append_val (r->entries, e);
}

static void
body_scalar (BodyReader *r,
             FieldKind   kind,
             const char *str,
             gsize       len,
             gint64      num)
{
  Field *f;

  if (r->depth == 1 && r->root_object && r->top_key == TOP_ENTRIES)
    {
      r->entries_kind = ENTRIES_OTHER;
      return;
    }
  if (r->entries_depth > 0 && r->depth == r->entries_depth)
    {
      body_element (r, FALSE);
      return;
    }
  f = body_target (r);
  if (f != NULL)
    field_set (f, kind, str, len, num);
}

/* null, a boolean or a number with a fraction: a value HQ reads none
 * of its members as. */
static int
on_null (void *ctx)
{
  body_scalar (ctx, FIELD_OTHER, NULL, 0, 0);
  return 1;
}

static int
on_boolean (void *ctx,
            int   value)
{
  return on_null (ctx);
}

static int
on_integer (void      *ctx,
            long long  value)
{
  body_scalar (ctx, FIELD_INT, NULL, 0, value);
  return 1;
}

static int
on_double (void   *ctx,
           double  value)
{
  return on_null (ctx);   /* no integer: for HQ, like null */
}

static int
on_string (void                *ctx,
           const unsigned char *value,
           size_t               len)
{
  body_scalar (ctx, FIELD_STRING, (const char *) value, len, 0);
  return 1;
}

/* A container opens: it is the root, the entries array, an entry, or a
 * value HQ does not read (a field of the wrong type, or unknown). */
static void
body_open (BodyReader *r,
           gboolean    is_map)
{
  if (r->depth == 0)
    r->root_object = is_map;
  else if (r->depth == 1 && r->root_object && r->top_key == TOP_ENTRIES)
    {
      if (is_map)
        r->entries_kind = ENTRIES_OTHER;
      else
        {
          /* The last "entries" counts. */
          for (guint i = 0; i < r->entries->len; i++)
            body_entry_clear (&g_array_index (r->entries, BodyEntry, i));
          g_array_set_size (r->entries, 0);
          r->entries_kind = ENTRIES_ARRAY;
          r->entries_depth = r->depth + 1;
        }
    }
  else if (r->entries_depth > 0 && r->depth == r->entries_depth)
    {
      body_element (r, is_map);
      r->entry_field = -1;
    }
  else
    {
      Field *f = body_target (r);

      if (f != NULL)
        field_set (f, FIELD_OTHER, NULL, 0, 0);
    }
  r->depth++;
}

static void
body_close (BodyReader *r)
{
  r->depth--;
  if (r->entries_depth > 0 && r->depth == r->entries_depth - 1)
    r->entries_depth = 0;
  if (r->entries_depth > 0 && r->depth == r->entries_depth)
    r->entry_field = -1;
  if (r->depth == 1)
    r->top_key = TOP_OTHER;
}

static int
on_start_map (void *ctx)
{
  body_open (ctx, TRUE);
  return 1;
}

static int
on_end_container (void *ctx)
{
  body_close (ctx);
  return 1;
}

static int
on_start_array (void *ctx)
{
  body_open (ctx, FALSE);
  return 1;
}

static int
on_map_key (void                *ctx,
            const unsigned char *key,
            size_t               len)
{
  BodyReader *r = ctx;

  if (r->depth == 1 && r->root_object)
    {
      r->top_key = TOP_OTHER;
      if (len == 3 && memcmp (key, "van", 3) == 0)
        r->top_key = TOP_VAN;
      else if (len == 9 && memcmp (key, "acked_seq", 9) == 0)
        r->top_key = TOP_ACKED_SEQ;
      else if (len == 7 && memcmp (key, "entries", 7) == 0)
        r->top_key = TOP_ENTRIES;
    }
  else if (r->entries_depth > 0 && r->depth == r->entries_depth + 1)
    {
      r->entry_field = -1;
      for (int i = 0; i < N_ENTRY_FIELDS; i++)
        if (strlen (entry_field_names[i]) == len && memcmp (key, entry_field_names[i], len) == 0)
          {
            r->entry_field = i;
            break;
          }
    }
  return 1;
}

static const yajl_callbacks body_callbacks = {
  on_null, on_boolean, on_integer, on_double, NULL, on_string,
  on_start_map, on_map_key, on_end_container, on_start_array, on_end_container,
};

static void
body_reader_clear (BodyReader *r)
{
  g_clear_pointer (&r->van.str, g_free);
  g_clear_pointer (&r->acked_seq.str, g_free);
  for (guint i = 0; r->entries != NULL && i < r->entries->len; i++)
    body_entry_clear (&g_array_index (r->entries, BodyEntry, i));
  g_clear_pointer (&r->entries, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BodyReader, body_reader_clear)

/* Fills @r, zeroed by the caller; FALSE with a 400 in @reply if the
 * body is no JSON. */
static gboolean
body_read (BodyReader *r,
           const char *body,
           gsize       len,
           VpHqReply  *reply)
{
  yajl_handle h = yajl_alloc (&body_callbacks, NULL, r);
  yajl_status status;

  r->entry_field = -1;
  r->entries = g_array_new (FALSE, TRUE, sizeof (BodyEntry));
  status = yajl_parse (h, (const unsigned char *) body, len);
  if (status == yajl_status_ok)
    status = yajl_complete_parse (h);
  if (status != yajl_status_ok)
    {
      unsigned char *why = yajl_get_error (h, 0, (const unsigned char *) body, len);

      vp_hq_reply_error (reply, 400, "bad_request", "the body is not valid JSON: %s",
                         g_strstrip ((char *) why));
      yajl_free_error (h, why);
      yajl_free (h);
      return FALSE;
    }
  yajl_free (h);
  return TRUE;
}

/* A payload's top-level "account", read as it streams: only a hint for
 * the prefetch, as applying the entry reads the whole payload itself.
 * A tree just for this cost ~10 µs per payment entry (issue 10). */
typedef struct
{
  int       depth;
  gboolean  root_object;
  gboolean  want;        /* the next value is the root's "account" */
  char     *account;
} AccountScan;

static int
scan_value (void *ctx)
{
  ((AccountScan *) ctx)->want = FALSE;
  return 1;
}

static int
scan_boolean (void *ctx,
              int   value)
{
  return scan_value (ctx);
}

static int
scan_integer (void      *ctx,
              long long  value)
{
  return scan_value (ctx);
}

static int
scan_double (void   *ctx,
             double  value)
{
  return scan_value (ctx);
}

static int
scan_string (void                *ctx,
             const unsigned char *value,
             size_t               len)
{
  AccountScan *a = ctx;

  if (a->want)
    {
      g_free (a->account);   /* named twice: the last counts */
      a->account = g_strndup ((const char *) value, len);
    }
  a->want = FALSE;
  return 1;
}

static int
scan_start_array (void *ctx)
{
  AccountScan *a = ctx;

  a->depth++;
  a->want = FALSE;
  return 1;
}

/* An object opens like an array; at depth 0 it is the payload itself. */
static int
scan_start_map (void *ctx)
{
  AccountScan *a = ctx;

  if (a->depth == 0)
    a->root_object = TRUE;
  return scan_start_array (ctx);
}

static int
scan_end (void *ctx)
{
  AccountScan *a = ctx;

  a->depth--;
  a->want = FALSE;
  return 1;
}

static int
scan_key (void                *ctx,
          const unsigned char *key,
          size_t               len)
{
  AccountScan *a = ctx;

  a->want = a->root_object && a->depth == 1 && len == 7 && memcmp (key, "account", 7) == 0;
  return 1;
}

static const yajl_callbacks account_callbacks = {
  scan_value, scan_boolean, scan_integer, scan_double, NULL, scan_string,
  scan_start_map, scan_key, scan_end, scan_start_array, scan_end,
};

/* NULL if the payload is no JSON object with a string "account". */
static char *
payload_account (const char *payload)
{
  AccountScan a = { 0 };
  yajl_handle h = yajl_alloc (&account_callbacks, NULL, &a);
  gboolean ok = yajl_parse (h, (const unsigned char *) payload, strlen (payload)) == yajl_status_ok &&
                yajl_complete_parse (h) == yajl_status_ok;

  yajl_free (h);
  if (!ok)
    g_clear_pointer (&a.account, g_free);
  return a.account;
}

static VpJournalEntry *
parse_entry (BodyEntry  *in,
             guint       index,
             const char *van,
             VpHqReply  *reply)
{
  g_autoptr(VpJournalEntry) e = NULL;

  if (!in->is_object)
    {
      vp_hq_reply_error (reply, 400, "bad_request", "entries[%u] must be an object", index);
      return NULL;
    }
  for (guint i = 0; i < N_ENTRY_FIELDS; i++)
    if (in->f[i].kind != (entry_field_is_int[i] ? FIELD_INT : FIELD_STRING))
      {
        vp_hq_reply_error (reply, 400, "bad_request", "entries[%u].%s must be %s", index,
                           entry_field_names[i], entry_field_is_int[i] ? "an integer" : "a string");
        return NULL;
      }
  e = vp_journal_entry_new ();
  e->seq = in->f[F_SEQ].num;
  e->device_time = in->f[F_DEVICE_TIME].num;
  e->monotonic_ms = in->f[F_MONOTONIC_MS].num;
  e->uuid = g_steal_pointer (&in->f[F_UUID].str);
  e->van_id = g_strdup (van);
  e->kind = g_steal_pointer (&in->f[F_KIND].str);
  e->payload = g_steal_pointer (&in->f[F_PAYLOAD].str);
  e->prev_hash = g_steal_pointer (&in->f[F_PREV_HASH].str);
  e->hash = g_steal_pointer (&in->f[F_HASH].str);
  e->signature = g_steal_pointer (&in->f[F_SIGNATURE].str);
  return g_steal_pointer (&e);
}

static const char *
reason_for (const GError *error)
{
  if (error->domain == VP_JOURNAL_ERROR)
    switch (error->code)
      {
      case VP_JOURNAL_ERROR_PREV_HASH:
        return "prev_hash";
      case VP_JOURNAL_ERROR_HASH:
        return "hash";
      case VP_JOURNAL_ERROR_SIGNATURE:
        return "signature";
      default:
        return "invalid";
      }
  if (error->domain == VP_SIGNER_ERROR && error->code == VP_SIGNER_ERROR_BAD_SIGNATURE)
    return "signature";
  return "invalid";
}

static void
bad_entry (VpHqReply  *reply,
           gint64      seq,
           const char *reason,
           const char *message)
{
  JsonObject *o = vp_hq_reply_error (reply, 422, "bad_entry", "%s", message);

  json_object_set_int_member (o, "seq", seq);
  json_object_set_string_member (o, "reason", reason);
}

static gboolean
db_failed (VpHqReply *reply,
           GError    *error)
{
  g_warning ("%s", error->message);
  vp_hq_reply_error (reply, 500, "internal", "HQ database error: %s", error->message);
  return FALSE;
}

/* The van's key, parsed once per batch: OpenSSL 3 decodes a PEM key in
 * a few hundred µs, more than the Ed25519 check itself. */
/* Ed25519 over the 32 raw hash bytes, as vp_journal_entry_seal signs;
 * the signature spelling is the core's rule (canonical base64 only). */
static gboolean
signature_ok (VpVerifier           *verifier,
              const VpJournalEntry *entry)
{
  guint8 raw[32];

  if (entry->signature == NULL || !vp_hex_decode (entry->hash, raw, sizeof raw))
    return FALSE;
  return vp_verifier_verify (verifier, raw, sizeof raw, entry->signature, NULL);
}

/* Ed25519 checks are ~0.1 ms each, most of a batch's CPU: the new
 * entries' signatures are checked up front on every core. ok[i] is for
 * entries->pdata[from + i]. */
typedef struct
{
  VpVerifier *key;
  GPtrArray  *entries;
  guint       from;
  guint       step;
  guint       offset;
  gboolean   *ok;
} SigJob;

static gpointer
sig_worker (gpointer data)
{
  SigJob *job = data;

  for (guint i = job->from + job->offset; i < job->entries->len; i += job->step)
    job->ok[i - job->from] = signature_ok (job->key, job->entries->pdata[i]);
  return NULL;
}

static gboolean *
check_signatures (VpVerifier *key,
                  GPtrArray  *entries,
                  guint       from)
{
  guint n = entries->len - from;
  guint n_threads = CLAMP (g_get_num_processors (), 1, 8);
  gboolean *ok = g_new0 (gboolean, MAX (n, 1));
  GThread *threads[8] = { NULL };
  SigJob jobs[8];

  if (n < 64)
    n_threads = 1;
  for (guint t = 0; t < n_threads; t++)
    {
      jobs[t] = (SigJob) { key, entries, from, n_threads, t, ok };
      if (t > 0)
        threads[t] = g_thread_new ("vp-hq-verify", sig_worker, &jobs[t]);
    }
  sig_worker (&jobs[0]);
  for (guint t = 1; t < n_threads; t++)
    g_thread_join (threads[t]);
  return ok;
}

/* A failed write: an entry PostgreSQL refuses (a payload jsonb cannot
 * hold, a repeated uuid) is the entry's fault, anything else HQ's. */
static gboolean
write_failed (Ctx       *c,
              VpHqReply *reply,
              GError    *error)
{
  const char *state = vp_pg_last_sqlstate ();

  if (c->bad_seq > 0 && (g_str_has_prefix (state, "22") || g_str_equal (state, "23505")))
    {
      bad_entry (reply, c->bad_seq, "invalid", error->message);
      return FALSE;
    }
  return db_failed (reply, error);
}

/* Totals and the provisional mapping, added to a successful answer.
 * The mapping lists the numbers opened by entries after mapped_after:
 * the van stores an answer's mapping in the same transaction as its
 * acknowledged seq, so what it claims acknowledged is mapped on the van
 * already, and a lost answer leaves the claim where it was (the re-send
 * gets the same mapping). Not every number the van ever opened, every
 * time: that list only grows (docs/PROTOCOL.md). */
static gboolean
add_summary (PGconn     *conn,
             const char *van,
             gint64      mapped_after,
             JsonObject *body,
             VpHqReply  *reply)
{
  g_autoptr(GError) error = NULL;
  char after[32];
  const char *p[] = { van };
  const char *pm[] = { van, I64 (after, mapped_after) };
  /* van_totals is kept by triggers on journal (vp-hq-db.c): two numbers
   * read, not the van's whole journal summed; max (seq) is one step
   * down the primary key. */
  g_autoptr(PGresult) tot = vp_pg_query_prepared (conn, "totals",
                                                  "SELECT coalesce ((SELECT entries FROM van_totals"
                                                  " WHERE van = $1), 0),"
                                                  " coalesce ((SELECT amount FROM van_totals"
                                                  " WHERE van = $1), 0),"
                                                  " coalesce ((SELECT max (seq) FROM journal"
                                                  " WHERE van = $1), 0)", 1, p, &error);
  g_autoptr(PGresult) map = NULL;
  JsonObject *t;
  JsonArray *a;

  if (tot == NULL)
    return db_failed (reply, error);
  map = vp_pg_query_prepared (conn, "mapping", "SELECT provisional, number FROM provisional_accounts"
                                               " WHERE van = $1 AND seq > $2 ORDER BY seq", 2, pm,
                                               &error);
  if (map == NULL)
    return db_failed (reply, error);

  /* Entries are stored gapless from 1, so the count is the contiguous top. */
  json_object_set_int_member (body, "acked_seq", vp_pg_get_int64 (tot, 0, 2));
  json_object_set_int_member (body, "hq_time", vp_hq_now_ms ());
  a = json_array_new ();
  for (int i = 0; i < PQntuples (map); i++)
    {
      JsonObject *m = json_object_new ();
      json_object_set_string_member (m, "provisional", PQgetvalue (map, i, 0));
      json_object_set_string_member (m, "number", PQgetvalue (map, i, 1));
      json_array_add_object_element (a, m);
    }
  json_object_set_array_member (body, "accounts", a);
  t = json_object_new ();
  json_object_set_int_member (t, "entries", vp_pg_get_int64 (tot, 0, 0));
  json_object_set_int_member (t, "amount", vp_pg_get_int64 (tot, 0, 1));
  json_object_set_object_member (body, "totals", t);
  return TRUE;
}

static gboolean
push_in_tx (PGconn     *conn,
            const char *van,
            gint64      van_acked,
            GPtrArray  *entries,
            JsonArray  *results,
            gint64     *mapped_after,
            VpHqReply  *reply)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) vrow = NULL;
  g_autoptr(PGresult) top = NULL;
  g_autoptr(PGresult) held = NULL;
  g_autofree char *prev_hash = NULL;
  g_autoptr(Pending) pending = pending_new ();
  Ctx c = { conn, van, 0, 0, 0, NULL, 0 };
  const char *pv[] = { van };
  const char *public_key;
  g_autoptr(VpVerifier) key = NULL;
  g_autofree gboolean *sig_ok = NULL;
  guint sig_from = 0;
  gint64 highest;

  if (!vp_pg_exec (conn, "SELECT pg_advisory_xact_lock_shared (" MASTER_LOCK ")", &error))
    return db_failed (reply, error);
  vrow = vp_pg_query_prepared (conn, "van_lock", "SELECT public_key, pulled_seq,"
                                                 " pg_advisory_xact_lock (hashtext ('van:' || id))"
                                                 " FROM vans WHERE id = $1", 1, pv, &error);
  if (vrow == NULL)
    return db_failed (reply, error);
  if (PQntuples (vrow) == 0)
    {
      vp_hq_reply_error (reply, 404, "not_found", "van %s is not registered at HQ", van);
      return FALSE;
    }
  public_key = PQgetvalue (vrow, 0, 0);
  c.pulled_seq = vp_pg_get_int64 (vrow, 0, 1);
  c.pending = pending;

  top = vp_pg_query_prepared (conn, "top", "SELECT seq, hash FROM journal WHERE van = $1"
                                           " ORDER BY seq DESC LIMIT 1", 1, pv, &error);
  if (top == NULL)
    return db_failed (reply, error);
  highest = PQntuples (top) > 0 ? vp_pg_get_int64 (top, 0, 0) : 0;
  prev_hash = g_strdup (PQntuples (top) > 0 ? PQgetvalue (top, 0, 1) : VP_JOURNAL_GENESIS_HASH);
  /* What the van claims acknowledged it has mapped already. A claim
   * above what HQ holds is a re-send after HQ lost entries: the claim
   * says nothing then, and the answer maps everything. */
  *mapped_after = van_acked <= highest ? van_acked : 0;

  /* The van says HQ acknowledged more than HQ holds: HQ lost data (a
   * restore, a crash without fsync) and the van is sending it again.
   * Logged and flagged once per loss (DESIGN §6). */
  if (van_acked > highest && entries->len > 0 &&
      ((VpJournalEntry *) entries->pdata[0])->seq == highest + 1)
    {
      char a[32];
      g_autofree char *reason = g_strdup_printf ("HQ lost entries %" G_GINT64_FORMAT " to %"
                                                 G_GINT64_FORMAT " it had acknowledged; the van"
                                                 " sent them again", highest + 1, van_acked);
      const char *pl[] = { van, I64 (a, van_acked), reason };
      g_autoptr(PGresult) res = NULL;

      g_message ("van %s: %s", van, reason);
      res = vp_pg_query_prepared (conn, "flag_loss",
                                  "INSERT INTO review_flags (van, seq, reason)"
                                  " SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM review_flags"
                                  " WHERE van = $1 AND seq = $2 AND reason LIKE 'HQ lost entries %'"
                                  " AND NOT resolved)", 3, pl, &error);
      if (res == NULL)
        return db_failed (reply, error);
    }

  if (entries->len > 0)
    {
      VpJournalEntry *first = entries->pdata[0];
      char a[32], b[32];
      const char *pr[] = { van, I64 (a, first->seq), I64 (b, first->seq + entries->len - 1) };

      held = vp_pg_query_prepared (conn, "held", "SELECT seq, uuid::text, hash FROM journal"
                                                 " WHERE van = $1 AND seq BETWEEN $2 AND $3"
                                                 " ORDER BY seq", 3, pr, &error);
      if (held == NULL)
        return db_failed (reply, error);
    }

  /* A uuid HQ holds for another entry would break the COPY: name it. */
  if (entries->len > 0)
    {
      g_autoptr(GPtrArray) uuids = g_ptr_array_new ();
      g_autofree char *list = NULL;
      g_autoptr(PGresult) used = NULL;
      VpJournalEntry *first = entries->pdata[0];
      char a[32], b[32];

      for (guint i = 0; i < entries->len; i++)
        if (g_uuid_string_is_valid (((VpJournalEntry *) entries->pdata[i])->uuid))
          g_ptr_array_add (uuids, ((VpJournalEntry *) entries->pdata[i])->uuid);
      list = array_literal (uuids);
      {
        const char *pu[] = { list, van, I64 (a, first->seq), I64 (b, first->seq + entries->len - 1) };
        used = vp_pg_query_prepared (conn, "uuids_used",
                                     "SELECT uuid::text FROM journal WHERE uuid = ANY ($1::uuid[])"
                                     " AND NOT (van = $2 AND seq BETWEEN $3 AND $4)", 4, pu, &error);
      }
      if (used == NULL)
        return db_failed (reply, error);
      for (guint i = 0; i < entries->len && PQntuples (used) > 0; i++)
        {
          VpJournalEntry *entry = entries->pdata[i];
          if (g_ascii_strcasecmp (entry->uuid, PQgetvalue (used, 0, 0)) == 0)
            {
              bad_entry (reply, entry->seq, "invalid",
                         "the entry's uuid is already used by another entry at HQ");
              return FALSE;
            }
        }
    }

  /* The accounts the new payments touch, with their bills, in one go. */
  {
    g_autoptr(GPtrArray) numbers = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

    for (guint i = 0; i < entries->len; i++)
      {
        VpJournalEntry *entry = entries->pdata[i];
        g_autofree char *number = NULL;

        if (entry->seq <= highest || (g_strcmp0 (entry->kind, VP_KIND_PAY) != 0 &&
                                      g_strcmp0 (entry->kind, VP_KIND_CREDIT_SETTLE) != 0))
          continue;
        number = payload_account (entry->payload);
        if (number != NULL && vp_account_number_validate (number, NULL) &&
            !g_hash_table_contains (seen, number))
          {
            g_hash_table_add (seen, number);
            g_ptr_array_add (numbers, g_steal_pointer (&number));
          }
      }
    if (!prefetch_accounts (&c, numbers, &error))
      return db_failed (reply, error);
  }

  /* Signatures of the entries HQ does not hold yet, in parallel. */
  for (guint i = 0; i < entries->len; i++)
    if (((VpJournalEntry *) entries->pdata[i])->seq > highest)
      {
        key = vp_verifier_new (public_key, NULL);
        if (key == NULL)
          {
            vp_hq_reply_error (reply, 500, "internal",
                               "the journal key registered for van %s is not a usable Ed25519 key", van);
            return FALSE;
          }
        sig_from = i;
        sig_ok = check_signatures (key, entries, i);
        break;
      }

  for (guint i = 0; i < entries->len; i++)
    {
      VpJournalEntry *entry = entries->pdata[i];
      g_autoptr(GError) verr = NULL;
      JsonObject *r;

      if (entry->seq <= highest)
        {
          /* Already held: the same entry is a duplicate, anything else an
           * attempt to rewrite history. */
          const char *uuid = NULL, *hash = NULL;

          /* HQ's entries are gapless: row i holds seq first + i. */
          int row = (int) (entry->seq - ((VpJournalEntry *) entries->pdata[0])->seq);

          if (held != NULL && row >= 0 && row < PQntuples (held) &&
              vp_pg_get_int64 (held, row, 0) == entry->seq)
            {
              uuid = PQgetvalue (held, row, 1);
              hash = PQgetvalue (held, row, 2);
            }
          if (!vp_journal_entry_verify (entry, NULL, NULL, &verr))
            {
              bad_entry (reply, entry->seq, reason_for (verr), verr->message);
              return FALSE;
            }
          if (uuid == NULL || g_ascii_strcasecmp (uuid, entry->uuid) != 0 ||
              g_strcmp0 (hash, entry->hash) != 0)
            {
              g_autofree char *m = g_strdup_printf ("entry %" G_GINT64_FORMAT " differs from the"
                                                    " entry HQ already holds with that seq",
                                                    entry->seq);
              bad_entry (reply, entry->seq, "altered", m);
              return FALSE;
            }
          r = json_object_new ();
          json_object_set_int_member (r, "seq", entry->seq);
          json_object_set_string_member (r, "uuid", entry->uuid);
          json_object_set_string_member (r, "outcome", "duplicate");
          json_array_add_object_element (results, r);
          continue;
        }
      if (entry->seq > highest + 1)
        {
          JsonObject *o = vp_hq_reply_error (reply, 409, "gap",
                                             "entry %" G_GINT64_FORMAT " does not follow the last"
                                             " entry HQ holds (%" G_GINT64_FORMAT "); send from %"
                                             G_GINT64_FORMAT, entry->seq, highest, highest + 1);
          json_object_set_int_member (o, "expected_seq", highest + 1);
          return FALSE;
        }

      /* Syntax, link and hash by the core's canonical encoding; the
       * signature with the key parsed once for the batch. */
      if (!vp_journal_entry_verify (entry, prev_hash, NULL, &verr))
        {
          bad_entry (reply, entry->seq, reason_for (verr), verr->message);
          return FALSE;
        }
      if (*entry->signature == '\0')
        {
          bad_entry (reply, entry->seq, "invalid", "the signature is missing");
          return FALSE;
        }
      if (sig_ok == NULL || i < sig_from || !sig_ok[i - sig_from])
        {
          g_autofree char *m = g_strdup_printf ("entry %" G_GINT64_FORMAT ": signature does not"
                                                " verify with van %s's journal key", entry->seq, van);
          bad_entry (reply, entry->seq, "signature", m);
          return FALSE;
        }

      {
        g_autoptr(JsonNode) pnode = json_from_string (entry->payload, NULL);
        g_autoptr(JsonNode) applied = NULL;
        g_autoptr(JsonBuilder) jb = json_builder_new ();
        g_autofree char *applied_text = NULL;
        g_autofree char *detail = NULL;
        Effect e = { FALSE, g_string_new (NULL), 0, 0, NULL, jb, NULL };
        char seq[32], dtime[32], mono[32], amount[32], credit[32];
        const char *outcome;
        gboolean ok;

        c.seq = entry->seq;
        c.device_time = entry->device_time;
        /* jsonb cannot hold a \u0000 escape: such a payload is kept as
         * text only, like one that is no JSON object. */
        if (pnode != NULL && strstr (entry->payload, "\\u0000") != NULL)
          g_clear_pointer (&pnode, json_node_unref);
        if (pnode == NULL || !JSON_NODE_HOLDS_OBJECT (pnode))
          ok = effect_reject (&e, "the payload is not a JSON object PostgreSQL can store");
        else
          ok = apply_entry (&c, entry, json_node_get_object (pnode), &e, &error);
        if (!ok)
          {
            g_string_free (e.detail, TRUE);
            g_free (e.account);
            return write_failed (&c, reply, error);
          }
        if (e.rejected != NULL)
          {
            /* Stored (the chain goes on), not applied: no money, no
             * account, a review flag (DESIGN §6). */
            JsonObject *po = pnode && JSON_NODE_HOLDS_OBJECT (pnode) ? json_node_get_object (pnode) : NULL;
            g_autofree char *why = g_strdup_printf ("entry rejected: %s", e.rejected);

            g_message ("van %s entry %" G_GINT64_FORMAT " (%s) quarantined: %s", van, entry->seq,
                       entry->kind, e.rejected);
            g_string_assign (e.detail, e.rejected);
            g_clear_pointer (&e.account, g_free);
            g_clear_pointer (&e.rejected, g_free);
            e.conflict = FALSE;
            e.amount = 0;
            e.credit = 0;
            outcome = "rejected";
            if (!flag_review (&c, po ? str_member (po, "account") : NULL, why, &error))
              {
                g_string_free (e.detail, TRUE);
                return write_failed (&c, reply, error);
              }
          }
        else
          {
            applied = json_builder_get_root (jb);
            applied_text = json_to_string (applied, FALSE);
            outcome = e.conflict ? "conflict" : "accepted";
          }
        detail = g_string_free (e.detail, FALSE);

        {
          /* A payload that is no JSON object is kept as text only. */
          const char *pi[] = { van, I64 (seq, entry->seq), entry->uuid, entry->kind,
                               pnode && JSON_NODE_HOLDS_OBJECT (pnode) ? entry->payload : NULL,
                               entry->payload, I64 (dtime, entry->device_time), I64 (mono, entry->monotonic_ms),
                               entry->prev_hash, entry->hash, entry->signature,
                               I64 (amount, e.amount), e.account, outcome,
                               *detail ? detail : NULL, I64 (credit, e.credit), applied_text };
          pending_add_row (pending, pi, G_N_ELEMENTS (pi), entry->seq);
          g_free (e.account);
        }

        r = json_object_new ();
        json_object_set_int_member (r, "seq", entry->seq);
        json_object_set_string_member (r, "uuid", entry->uuid);
        json_object_set_string_member (r, "outcome", outcome);
        if (g_str_equal (outcome, "rejected"))
          json_object_set_string_member (r, "detail", detail);
        if (e.conflict)
          {
            json_object_set_string_member (r, "detail", detail);
            if (e.credit > 0)
              json_object_set_int_member (r, "credit", e.credit);
          }
        json_array_add_object_element (results, r);
      }
      highest = entry->seq;
      g_free (prev_hash);
      prev_hash = g_strdup (entry->hash);
    }

  if (!pending_flush (&c, &error))
    return write_failed (&c, reply, error);
  if (entries->len > 0)
    {
      g_autoptr(PGresult) upd = vp_pg_query_prepared (conn, "van_synced",
                                                      "UPDATE vans SET last_sync = now ()"
                                                      " WHERE id = $1", 1, pv, &error);
      if (upd == NULL)
        return db_failed (reply, error);
    }
  return TRUE;
}

void
vp_hq_ingest_push (PGconn     *conn,
                   const char *van,
                   const char *body,
                   gsize       len,
                   VpHqReply  *reply)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) vp_journal_entry_free);
  JsonArray *results;
  g_auto(BodyReader) in = { 0 };
  gint64 van_acked = 0;
  gint64 mapped_after = 0;

  if (!body_read (&in, body, len, reply))
    return;
  if (!in.root_object)
    {
      vp_hq_reply_error (reply, 400, "bad_request", "the body must be a JSON object");
      return;
    }
  if (in.van.kind != FIELD_MISSING &&
      (in.van.kind != FIELD_STRING || g_strcmp0 (in.van.str, van) != 0))
    {
      vp_hq_reply_error (reply, 400, "bad_request", "“van” must be the van in the URL (%s)", van);
      return;
    }
  /* The van's record of what HQ acknowledged (optional). */
  if (in.acked_seq.kind != FIELD_MISSING)
    {
      if (in.acked_seq.kind != FIELD_INT || in.acked_seq.num < 0)
        {
          vp_hq_reply_error (reply, 400, "bad_request", "“acked_seq” must be a non-negative integer");
          return;
        }
      van_acked = in.acked_seq.num;
    }
  if (in.entries_kind != ENTRIES_ARRAY)
    {
      vp_hq_reply_error (reply, 400, "bad_request", "“entries” must be an array");
      return;
    }
  if (in.entries->len > VP_HQ_MAX_BATCH_ENTRIES)
    {
      vp_hq_reply_error (reply, 413, "too_large", "%u entries in one request; at most %d",
                         in.entries->len, VP_HQ_MAX_BATCH_ENTRIES);
      return;
    }
  for (guint i = 0; i < in.entries->len; i++)
    {
      VpJournalEntry *e = parse_entry (&g_array_index (in.entries, BodyEntry, i), i, van, reply);

      if (e == NULL)
        return;
      if (i > 0 && e->seq != ((VpJournalEntry *) entries->pdata[i - 1])->seq + 1)
        {
          vp_hq_reply_error (reply, 400, "bad_request",
                             "entries must be in seq order and contiguous (entries[%u].seq is %"
                             G_GINT64_FORMAT ")", i, e->seq);
          vp_journal_entry_free (e);
          return;
        }
      g_ptr_array_add (entries, e);
    }
  body_reader_clear (&in);   /* all it held is in entries now */

  if (!vp_pg_exec (conn, "BEGIN", &error))
    {
      db_failed (reply, error);
      return;
    }
  results = json_array_new ();
  if (!push_in_tx (conn, van, van_acked, entries, results, &mapped_after, reply))
    {
      json_array_unref (results);
      vp_pg_exec (conn, "ROLLBACK", NULL);
      return;
    }
  vp_hq_reply_clear (reply);
  reply->status = 200;
  reply->body = json_object_new ();
  json_object_set_array_member (reply->body, "results", results);
  if (!add_summary (conn, van, mapped_after, reply->body, reply))
    {
      vp_pg_exec (conn, "ROLLBACK", NULL);
      return;
    }
  if (!vp_pg_exec (conn, "COMMIT", &error))
    db_failed (reply, error);
}
