/* vp-figures.c: every count and total, folded from signed payloads.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-figures"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "vp-figures.h"
#include "vp-store-private.h"

VpMoney
vp_tally_collected (const VpTally *t)
{
  return t->cash_in + t->card_in + t->mobile_in - t->cash_out;
}

VpMoney
vp_tally_drawer_change (const VpTally *t)
{
  return t->cash_in + t->paid_in - t->cash_out - t->drops - t->paid_out;
}

static void
tally_row_free (VpTallyRow *row)
{
  g_free (row->key);
  g_free (row);
}

static void
kind_row_free (VpKindRow *row)
{
  g_free (row->kind);
  g_free (row);
}

static void
voided_free (VpVoided *v)
{
  g_free (v->kind);
  g_free (v->receipt);
  g_free (v->method);
  g_free (v->reason);
  g_free (v->approved_by);
  g_free (v);
}

void
vp_figures_free (VpFigures *f)
{
  if (f == NULL)
    return;
  g_free (f->first_receipt);
  g_free (f->last_receipt);
  g_clear_pointer (&f->by_kind, g_ptr_array_unref);
  g_clear_pointer (&f->by_staff, g_ptr_array_unref);
  g_clear_pointer (&f->by_day, g_ptr_array_unref);
  g_clear_pointer (&f->by_estate, g_ptr_array_unref);
  g_clear_pointer (&f->voided, g_ptr_array_unref);
  g_free (f);
}

/* The voiding entry of each voided seq. */
typedef struct
{
  gint64 void_seq;
  char  *reason;
  char  *approved_by;
} VoidInfo;

static void
void_info_free (VoidInfo *v)
{
  g_free (v->reason);
  g_free (v->approved_by);
  g_free (v);
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *text)
{
  JsonNode *root;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_node_get_object (root);
}

/* The estate a payload names, "" when it names none. */
static const char *
payload_estate (JsonObject *o)
{
  JsonNode *n = json_object_get_member (o, "estate");

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return "";
  return json_node_get_string (n);
}

static gboolean
unreadable (GError **error,
            gint64   seq)
{
  if (error != NULL && *error == NULL)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                 _("Entry %" PRId64 " has an unreadable payload"), seq);
  return FALSE;
}

/* Every void from from_seq on, by the seq it voids: a void comes after
 * what it voids, maybe after the scope (a day report). The kind is part
 * of the signed encoding; the target is read from the signed payload. */
static GHashTable *
load_voids (VpDatabase  *db,
            gint64       from_seq,
            GError     **error)
{
  g_autoptr(GHashTable) voids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                       (GDestroyNotify)void_info_free);
  sqlite3_stmt *stmt;
  int rc;

  /* journal.voids (unique, checked by verify against the payload) only
   * finds the void rows quickly; what each voids is read from its
   * signed payload. */
  stmt = vp_database_prepare (db, "SELECT seq, payload FROM journal"
                                  " WHERE voids IS NOT NULL AND seq >= ?1 AND kind = 'void'"
                                  " ORDER BY seq", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, from_seq);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (stmt, 0);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o = parse_object (parser, (const char *)sqlite3_column_text (stmt, 1));
      VpJournalLedger l;
      VoidInfo *v;

      if (o == NULL || !vp_journal_ledger_from_payload (VP_KIND_VOID, o, &l, error))
        {
          sqlite3_reset (stmt);
          unreadable (error, seq);
          return NULL;
        }
      v = g_new0 (VoidInfo, 1);
      v->void_seq = seq;
      v->reason = g_strdup (json_object_get_string_member_with_default (o, "reason", NULL));
      v->approved_by = g_strdup (json_object_get_string_member_with_default (o, "approved_by", NULL));
      g_hash_table_insert (voids, g_memdup2 (&l.voids, sizeof l.voids), v);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  return g_steal_pointer (&voids);
}

/* Adds one entry's money to a tally, by the ledger's flow. */
static void
tally_add (VpTally               *t,
           const VpJournalLedger *l)
{
  switch (l->flow)
    {
    case VP_LEDGER_SALE:
      t->transactions++;
      if (g_strcmp0 (l->method, "cash") == 0)
        {
          t->n_cash_in++;
          t->cash_in += l->amount;
        }
      else if (g_strcmp0 (l->method, "card") == 0)
        {
          t->n_card_in++;
          t->card_in += l->amount;
        }
      else if (g_strcmp0 (l->method, "mobile") == 0)
        {
          t->n_mobile_in++;
          t->mobile_in += l->amount;
        }
      break;
    case VP_LEDGER_REFUND:
      t->refunds++;
      t->cash_out -= l->amount;
      break;
    case VP_LEDGER_VOID:
      t->voids++;
      break;
    case VP_LEDGER_DROP:
      t->n_drops++;
      t->drops -= l->amount;
      break;
    case VP_LEDGER_PAID_IN:
      t->n_paid_in++;
      t->paid_in += l->amount;
      break;
    case VP_LEDGER_PAID_OUT:
      t->n_paid_out++;
      t->paid_out -= l->amount;
      break;
    case VP_LEDGER_NONE:
    default:
      break;
    }
}

static VpTally *
bucket (GHashTable *index,
        GPtrArray  *rows,
        const char *key)
{
  VpTallyRow *row = g_hash_table_lookup (index, key);

  if (row == NULL)
    {
      row = g_new0 (VpTallyRow, 1);
      row->key = g_strdup (key);
      g_ptr_array_add (rows, row);
      g_hash_table_insert (index, row->key, row);
    }
  return &row->tally;
}

static int
tally_row_cmp (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 ((*(VpTallyRow **)a)->key, (*(VpTallyRow **)b)->key);
}

static int
kind_row_cmp (gconstpointer a,
              gconstpointer b)
{
  return g_strcmp0 ((*(VpKindRow **)a)->kind, (*(VpKindRow **)b)->kind);
}

static gboolean
is_application (const char *kind)
{
  return g_str_equal (kind, VP_KIND_ACCOUNT_OPEN) || g_str_equal (kind, VP_KIND_ACCOUNT_TRANSFER) ||
         g_str_equal (kind, VP_KIND_ACCOUNT_CLOSE) || g_str_equal (kind, VP_KIND_CARD_REISSUE);
}

/**
 * vp_figures_fold:
 * @db: the van database
 * @scope: which entries count
 * @error: return location for a #GError
 *
 * Folds the signed payloads of the entries in @scope, in seq order, with
 * vp_journal_ledger_from_payload(). An entry that a void reverses counts
 * nowhere (neither its money nor as a transaction, wherever the void
 * lies) and is listed in voided; the void is counted in voids.
 *
 * Returns: (transfer full): the figures, or %NULL with @error set
 */
VpFigures *
vp_figures_fold (VpDatabase           *db,
                 const VpFiguresScope *scope,
                 GError              **error)
{
  g_autoptr(VpFigures) f = g_new0 (VpFigures, 1);
  g_autoptr(GHashTable) voids = NULL;
  g_autoptr(GHashTable) days = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) staff = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) kinds = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) estates = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *last_date = NULL;
  gint64 day_start = 0, day_end = 0;
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (scope != NULL, NULL);

  f->by_kind = g_ptr_array_new_with_free_func ((GDestroyNotify)kind_row_free);
  f->by_staff = g_ptr_array_new_with_free_func ((GDestroyNotify)tally_row_free);
  f->by_day = g_ptr_array_new_with_free_func ((GDestroyNotify)tally_row_free);
  f->by_estate = g_ptr_array_new_with_free_func ((GDestroyNotify)tally_row_free);
  f->voided = g_ptr_array_new_with_free_func ((GDestroyNotify)voided_free);

  vp_database_lock (db);
  voids = load_voids (db, MAX (scope->from_seq, 1), error);
  if (voids == NULL)
    goto out;

  /* A period is read through the device_time index, a shift by seq. */
  if (scope->to_time != 0)
    stmt = vp_database_prepare (db,
                                "SELECT seq, kind, payload, device_time, van_id FROM journal"
                                " WHERE device_time >= ?3 AND device_time < ?4"
                                " AND seq >= ?1 AND (?2 = 0 OR seq <= ?2) ORDER BY seq",
                                error);
  else
    stmt = vp_database_prepare (db,
                                "SELECT seq, kind, payload, device_time, van_id FROM journal"
                                " WHERE seq >= ?1 AND (?2 = 0 OR seq <= ?2)"
                                " AND device_time >= ?3 ORDER BY seq",
                                error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, scope->from_seq);
  sqlite3_bind_int64 (stmt, 2, scope->to_seq);
  sqlite3_bind_int64 (stmt, 3, scope->from_time);
  sqlite3_bind_int64 (stmt, 4, scope->to_time);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (stmt, 0);
      const char *kind = (const char *)sqlite3_column_text (stmt, 1);
      gint64 device_time = sqlite3_column_int64 (stmt, 3);
      const char *van_id = (const char *)sqlite3_column_text (stmt, 4);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o = parse_object (parser, (const char *)sqlite3_column_text (stmt, 2));
      VpJournalLedger l;
      VoidInfo *voided;
      VpKindRow *k;

      if (o == NULL || kind == NULL || !vp_journal_ledger_from_payload (kind, o, &l, error))
        {
          sqlite3_reset (stmt);
          unreadable (error, seq);
          goto out;
        }
      if (scope->shift != 0 && l.shift != scope->shift)
        continue;
      if (scope->staff != NULL && g_strcmp0 (l.staff, scope->staff) != 0)
        continue;

      /* Every day with an entry has a row, as the report always had. */
      if (last_date == NULL || device_time < day_start || device_time >= day_end)
        {
          g_autoptr(GDateTime) dt = vp_store_local_datetime (device_time);
          g_autoptr(GDateTime) start = g_date_time_new_local (g_date_time_get_year (dt),
                                                              g_date_time_get_month (dt),
                                                              g_date_time_get_day_of_month (dt),
                                                              0, 0, 0);
          g_autoptr(GDateTime) end = g_date_time_add_days (start, 1);

          g_free (last_date);
          last_date = g_date_time_format (dt, "%Y-%m-%d");
          day_start = g_date_time_to_unix (start) * G_USEC_PER_SEC;
          day_end = g_date_time_to_unix (end) * G_USEC_PER_SEC;
        }
      bucket (days, f->by_day, last_date);

      if (!g_str_equal (kind, VP_KIND_SHIFT_OPEN) && !g_str_equal (kind, VP_KIND_SHIFT_CLOSE))
        {
          if (f->first_seq == 0)
            {
              f->first_seq = seq;
              f->first_receipt = vp_journal_receipt_number (van_id, device_time, seq);
            }
          f->last_seq = seq;
          g_free (f->last_receipt);
          f->last_receipt = vp_journal_receipt_number (van_id, device_time, seq);
        }

      if (g_str_equal (kind, VP_KIND_TRIP_START))
        f->trips++;
      else if (g_str_equal (kind, VP_KIND_LOG_CONSULTATION))
        f->consultations++;
      else if (g_str_equal (kind, VP_KIND_LOG_VISIT))
        f->home_visits++;
      else if (g_str_equal (kind, VP_KIND_LOG_COMPLAINT))
        f->complaints++;

      voided = g_hash_table_lookup (voids, &seq);
      if (voided != NULL)
        {
          VpVoided *v = g_new0 (VpVoided, 1);

          v->seq = seq;
          v->kind = g_strdup (kind);
          v->receipt = vp_journal_receipt_number (van_id, device_time, seq);
          v->method = g_strdup (l.method);
          v->amount = l.amount;
          v->void_seq = voided->void_seq;
          v->reason = g_strdup (voided->reason);
          v->approved_by = g_strdup (voided->approved_by);
          g_ptr_array_add (f->voided, v);
          f->total.voided++;
          continue;
        }
      if (is_application (kind))
        f->applications++;

      tally_add (&f->total, &l);
      tally_add (bucket (days, f->by_day, last_date), &l);
      tally_add (bucket (staff, f->by_staff, l.staff ? l.staff : ""), &l);
      /* Collections by estate: money taken from or paid back to an
       * account's holder, under the estate the signed payload names. */
      if (l.flow == VP_LEDGER_SALE || l.flow == VP_LEDGER_REFUND)
        tally_add (bucket (estates, f->by_estate, payload_estate (o)), &l);

      if (l.flow == VP_LEDGER_NONE || l.flow == VP_LEDGER_VOID)
        continue;
      k = g_hash_table_lookup (kinds, kind);
      if (k == NULL)
        {
          k = g_new0 (VpKindRow, 1);
          k->kind = g_strdup (kind);
          g_ptr_array_add (f->by_kind, k);
          g_hash_table_insert (kinds, k->kind, k);
        }
      k->count++;
      if (g_strcmp0 (l.method, "cash") == 0)
        k->cash += l.amount;
      else if (g_strcmp0 (l.method, "card") == 0)
        k->card += l.amount;
      else if (g_strcmp0 (l.method, "mobile") == 0)
        k->mobile += l.amount;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      goto out;
    }
  g_ptr_array_sort (f->by_kind, kind_row_cmp);
  g_ptr_array_sort (f->by_staff, tally_row_cmp);
  g_ptr_array_sort (f->by_day, tally_row_cmp);
  g_ptr_array_sort (f->by_estate, tally_row_cmp);
  ok = TRUE;
out:
  vp_database_unlock (db);
  return ok ? g_steal_pointer (&f) : NULL;
}

static void
add_tally (JsonBuilder   *b,
           const VpTally *t)
{
  vp_json_add_int (b, "transactions", t->transactions);
  vp_json_add_money (b, "collected", vp_tally_collected (t));
  vp_json_add_money (b, "cash_in", t->cash_in);
  vp_json_add_money (b, "card_in", t->card_in);
  vp_json_add_money (b, "mobile_in", t->mobile_in);
  vp_json_add_money (b, "cash_refunds", t->cash_out);
  vp_json_add_money (b, "drops", t->drops);
  vp_json_add_money (b, "paid_in", t->paid_in);
  vp_json_add_money (b, "paid_out", t->paid_out);
  vp_json_add_int (b, "voids", t->voids);
}

void
vp_figures_add_json (const VpFigures *f,
                     JsonBuilder     *b)
{
  vp_json_add_money (b, "cash_refunds", f->total.cash_out);
  vp_json_add_int (b, "refunds", f->total.refunds);
  vp_json_add_money (b, "drops", f->total.drops);
  vp_json_add_int (b, "drops_count", f->total.n_drops);
  vp_json_add_money (b, "paid_in", f->total.paid_in);
  vp_json_add_int (b, "paid_in_count", f->total.n_paid_in);
  vp_json_add_money (b, "paid_out", f->total.paid_out);
  vp_json_add_int (b, "paid_out_count", f->total.n_paid_out);
  vp_json_add_int (b, "voided_count", f->total.voided);

  json_builder_set_member_name (b, "by_kind");
  json_builder_begin_array (b);
  for (guint i = 0; i < f->by_kind->len; i++)
    {
      VpKindRow *k = f->by_kind->pdata[i];

      json_builder_begin_object (b);
      vp_json_add_string (b, "kind", k->kind);
      vp_json_add_int (b, "count", k->count);
      vp_json_add_money (b, "cash", k->cash);
      vp_json_add_money (b, "card", k->card);
      vp_json_add_money (b, "mobile", k->mobile);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "by_staff");
  json_builder_begin_array (b);
  for (guint i = 0; i < f->by_staff->len; i++)
    {
      VpTallyRow *row = f->by_staff->pdata[i];

      json_builder_begin_object (b);
      vp_json_add_string (b, "staff", row->key);
      add_tally (b, &row->tally);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "voided");
  json_builder_begin_array (b);
  for (guint i = 0; i < f->voided->len; i++)
    {
      VpVoided *v = f->voided->pdata[i];

      json_builder_begin_object (b);
      vp_json_add_int (b, "seq", v->seq);
      vp_json_add_string (b, "kind", v->kind);
      vp_json_add_string (b, "receipt", v->receipt);
      vp_json_add_money (b, "amount", v->amount);
      if (v->method != NULL)
        vp_json_add_string (b, "method", v->method);
      vp_json_add_int (b, "void_seq", v->void_seq);
      vp_json_add_string (b, "reason", v->reason);
      vp_json_add_string (b, "approved_by", v->approved_by);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}
