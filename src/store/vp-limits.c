/* vp-limits.c: offline exposure caps, enforced where entries are signed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-limits"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "vp-limits.h"
#include "vp-store-private.h"

#define APPROVER_KEY "vp-limit-approver"

static const struct
{
  const char *name;
  gint64      value;   /* default: fen, or hours */
} limits[VP_N_LIMITS] = {
  [VP_LIMIT_CASH_PER_TRANSACTION] = { "cash_per_transaction", 500000 },
  [VP_LIMIT_CARD_PER_TRANSACTION] = { "card_per_transaction", 2000000 },
  [VP_LIMIT_MOBILE_PER_TRANSACTION] = { "mobile_per_transaction", 2000000 },
  [VP_LIMIT_CASH_PER_DAY] = { "cash_per_day", 5000000 },
  [VP_LIMIT_CARD_PER_DAY] = { "card_per_day", 20000000 },
  [VP_LIMIT_MOBILE_PER_DAY] = { "mobile_per_day", 20000000 },
  [VP_LIMIT_CASH_IN_VAN] = { "cash_in_van", 3000000 },
  [VP_LIMIT_UNSYNCED_HOURS] = { "unsynced_hours", 72 },
};

const char *
vp_limit_name (VpLimit limit)
{
  g_return_val_if_fail (limit < VP_N_LIMITS, NULL);
  return limits[limit].name;
}

gboolean
vp_limit_from_name (const char *name,
                    VpLimit    *out)
{
  for (guint i = 0; i < VP_N_LIMITS; i++)
    if (g_strcmp0 (name, limits[i].name) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
vp_limit_is_money (VpLimit limit)
{
  return limit != VP_LIMIT_UNSYNCED_HOURS;
}

gint64
vp_limit_default (VpLimit limit)
{
  g_return_val_if_fail (limit < VP_N_LIMITS, 0);
  return limits[limit].value;
}

gint64
vp_limit_max (VpLimit limit)
{
  switch (limit)
    {
    case VP_LIMIT_CASH_PER_TRANSACTION:
    case VP_LIMIT_CARD_PER_TRANSACTION:
    case VP_LIMIT_MOBILE_PER_TRANSACTION:
      return VP_MONEY_MAX_TRANSACTION;
    case VP_LIMIT_UNSYNCED_HOURS:
      return 24 * 366;
    default:
      /* A day's takings or a drawer: a hundred of the largest sales. */
      return 100 * VP_MONEY_MAX_TRANSACTION;
    }
}

gint64
vp_limits_get (VpDatabase *db,
               VpLimit     limit)
{
  g_autofree char *key = NULL;
  gint64 value;

  g_return_val_if_fail (limit < VP_N_LIMITS, 0);
  key = g_strconcat ("limit.", limits[limit].name, NULL);
  value = vp_database_get_meta_int (db, key, limits[limit].value);
  /* A meta row out of range (edited by hand) falls back to the default
   * rather than lifting the cap. */
  if (value < 1 || value > vp_limit_max (limit))
    return limits[limit].value;
  return value;
}

typedef struct
{
  const VpStaff *supervisor;
  VpLimit        limit;
  gint64         value;
} SetData;

static VpJournalEntry *
set_tx (VpDatabase  *db,
        gpointer     data,
        GError     **error)
{
  SetData *d = data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *key = g_strconcat ("limit.", limits[d->limit].name, NULL);
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, d->value);
  VpJournalRefs refs = { 0 };

  json_builder_begin_object (b);
  vp_json_add_string (b, "name", limits[d->limit].name);
  vp_json_add_string (b, "unit", vp_limit_is_money (d->limit) ? "fen" : "hours");
  vp_json_add_int (b, "value", d->value);
  vp_json_add_int (b, "previous", vp_limits_get (db, d->limit));
  vp_json_add_int (b, "default", limits[d->limit].value);
  vp_json_add_staff (b, d->supervisor);
  json_builder_end_object (b);

  if (!vp_database_set_meta (db, key, text, error))
    return NULL;
  refs.staff_id = d->supervisor->id;
  return vp_journal_store_append (db, VP_KIND_LIMITS_SET, b, &refs, error);
}

VpJournalEntry *
vp_limits_set (VpDatabase    *db,
               const VpStaff *supervisor,
               VpLimit        limit,
               gint64         value,
               GError       **error)
{
  SetData d = { supervisor, limit, value };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (limit < VP_N_LIMITS, NULL);

  if (!vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _("Setting an offline limit"), error))
    return NULL;
  if (value < 1 || value > vp_limit_max (limit))
    {
      if (vp_limit_is_money (limit))
        {
          g_autofree char *max = vp_money_format (vp_limit_max (limit));

          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                       _("The limit %s must be more than ¥0.00 and at most %s"),
                       limits[limit].name, max);
        }
      else
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                     _("The limit %s must be 1 to %" PRId64 " hours"),
                     limits[limit].name, vp_limit_max (limit));
      return NULL;
    }
  return vp_store_run_tx (db, set_tx, &d, error);
}

void
vp_limits_set_approver (VpDatabase    *db,
                        const VpStaff *approver)
{
  g_return_if_fail (VP_IS_DATABASE (db));
  g_object_set_data_full (G_OBJECT (db), APPROVER_KEY,
                          approver ? vp_staff_copy (approver) : NULL,
                          (GDestroyNotify)vp_staff_free);
}

/* The local calendar day around now, in µs of device time. */
static void
today (gint64  now,
       gint64 *start,
       gint64 *end)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (now / G_USEC_PER_SEC);
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (t),
                                                         g_date_time_get_month (t),
                                                         g_date_time_get_day_of_month (t),
                                                         0, 0, 0);
  g_autoptr(GDateTime) next = g_date_time_add_days (midnight, 1);

  *start = g_date_time_to_unix (midnight) * G_USEC_PER_SEC;
  *end = g_date_time_to_unix (next) * G_USEC_PER_SEC;
}

static gint64
method_index (const char *method)
{
  if (g_strcmp0 (method, "cash") == 0)
    return 0;
  if (g_strcmp0 (method, "card") == 0)
    return 1;
  return 2;
}

/* The first column of sql's one row, with ?1, ?2 (integers) and ?3 bound
 * where sql has them. */
static gboolean
sum_query (VpDatabase  *db,
           const char  *sql,
           gint64       a,
           gint64       b,
           const char  *c,
           gint64      *out,
           GError     **error)
{
  sqlite3_stmt *stmt = vp_database_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, a);
  sqlite3_bind_int64 (stmt, 2, b);
  sqlite3_bind_text (stmt, 3, c, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    return vp_database_set_error (db, rc, error);
  return TRUE;
}

/* The float as the shift's signed opening entry says it. */
static gboolean
shift_float (VpDatabase  *db,
             gint64       shift,
             VpMoney     *out,
             GError     **error)
{
  sqlite3_stmt *stmt = vp_database_prepare (db,
                                            "SELECT j.payload FROM shifts s"
                                            " JOIN journal j ON j.seq = s.open_seq WHERE s.id = ?1",
                                            error);
  g_autoptr(JsonNode) node = NULL;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, shift);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    node = json_from_string ((const char *)sqlite3_column_text (stmt, 0), NULL);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return vp_database_set_error (db, rc, error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
      !json_object_has_member (json_node_get_object (node), "float"))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                   _("Shift %" PRId64 " has no signed opening entry with its float"), shift);
      return FALSE;
    }
  *out = json_object_get_int_member (json_node_get_object (node), "float");
  return TRUE;
}

/* The first cap this sale goes over: TRUE with *exceeded set and error
 * saying why, FALSE with *exceeded = VP_N_LIMITS when none, or FALSE
 * with error set when a figure could not be read. */
static gboolean
over_a_cap (VpDatabase            *db,
            const VpJournalLedger *ledger,
            VpLimit               *exceeded,
            GError               **error)
{
  gint64 m = method_index (ledger->method);
  VpLimit per_tx = VP_LIMIT_CASH_PER_TRANSACTION + m;
  VpLimit per_day = VP_LIMIT_CASH_PER_DAY + m;
  g_autofree char *amount = vp_money_format (ledger->amount);
  gint64 cap, now = vp_database_now ();

  *exceeded = VP_N_LIMITS;

  /* Per transaction. */
  cap = vp_limits_get (db, per_tx);
  if (ledger->amount > cap)
    {
      g_autofree char *c = vp_money_format (cap);

      *exceeded = per_tx;
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_LIMIT,
                   _("This %s sale of %s is over the offline limit of %s a transaction (%s);"
                     " a supervisor must approve it"),
                   ledger->method, amount, c, limits[per_tx].name);
      return TRUE;
    }

  /* Per day: today's sales in this method, voided ones left out. A cheap
   * query over the helper columns, which are derived from the signed
   * payloads with the one ledger rule and checked by `verify`: a sale is
   * an entry taking money in that is neither a void nor a paid-in (the
   * ledger's VP_LEDGER_SALE). Folding every payload of the day here would
   * make each sale cost as much as the day's report. */
  {
    gint64 start, end;
    VpMoney day, after;

    today (now, &start, &end);
    if (!sum_query (db,
                    "SELECT coalesce (sum (j.amount), 0) FROM journal j"
                    " WHERE j.device_time >= ?1 AND j.device_time < ?2 AND j.method = ?3"
                    " AND j.amount > 0 AND j.voids IS NULL AND j.kind != '" VP_KIND_CASH_PAID_IN "'"
                    " AND NOT EXISTS (SELECT 1 FROM journal v WHERE v.voids = j.seq)",
                    start, end, ledger->method, &day, error))
      return FALSE;
    after = day + ledger->amount;
    cap = vp_limits_get (db, per_day);
    if (after > cap)
      {
        g_autofree char *a = vp_money_format (after);
        g_autofree char *c = vp_money_format (cap);

        *exceeded = per_day;
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_LIMIT,
                     _("This %s sale of %s would take today's %s sales to %s, over the offline"
                       " limit of %s a day (%s); a supervisor must approve it"),
                     ledger->method, amount, ledger->method, a, c, limits[per_day].name);
        return TRUE;
      }
  }

  /* Cash in the van: what the open shift's drawer should hold now, its
   * signed float plus every cash entry of the shift (sales, refunds,
   * drops, paid-in and -out; a void cancels what it voids), plus this
   * sale. Cash of earlier shifts was counted at their Z and is the
   * supervisor's to bank; it is not in this figure. */
  if (m == 0)
    {
      gint64 shift = vp_shift_store_current (db);
      VpMoney float_amount = 0, moved = 0, after;

      if (shift != 0)
        {
          if (!shift_float (db, shift, &float_amount, error) ||
              !sum_query (db,
                          "SELECT coalesce (sum (amount), 0) FROM journal"
                          " WHERE shift_id = ?1 AND method = 'cash'",
                          shift, 0, "cash", &moved, error))
            return FALSE;
          after = float_amount + moved + ledger->amount;
          cap = vp_limits_get (db, VP_LIMIT_CASH_IN_VAN);
          if (after > cap)
            {
              g_autofree char *a = vp_money_format (after);
              g_autofree char *c = vp_money_format (cap);

              *exceeded = VP_LIMIT_CASH_IN_VAN;
              g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_LIMIT,
                           _("This sale would put %s cash in the van, over the offline limit of"
                             " %s (%s); drop cash to the safe first, or a supervisor must"
                             " approve it"),
                           a, c, limits[VP_LIMIT_CASH_IN_VAN].name);
              return TRUE;
            }
        }
    }

  /* The oldest entry HQ has not acknowledged (by seq: the clock may
   * have been set back since). */
  {
    sqlite3_stmt *stmt = vp_database_prepare (db,
                                              "SELECT j.device_time FROM outbox o"
                                              " JOIN journal j ON j.seq = o.seq"
                                              " WHERE o.state = 'pending' ORDER BY o.seq LIMIT 1",
                                              error);
    gint64 oldest = 0;
    gboolean found = FALSE;
    int rc;

    if (stmt == NULL)
      return FALSE;
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
      {
        oldest = sqlite3_column_int64 (stmt, 0);
        found = TRUE;
      }
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return vp_database_set_error (db, rc, error);
    cap = vp_limits_get (db, VP_LIMIT_UNSYNCED_HOURS);
    if (found && now - oldest > cap * 3600 * G_USEC_PER_SEC)
      {
        *exceeded = VP_LIMIT_UNSYNCED_HOURS;
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_LIMIT,
                     _("The oldest entry not yet synced is %" PRId64 " hours old, over"
                       " the offline limit of %" PRId64 " hours (%s); sync with HQ"
                       " first, or a supervisor must approve it"),
                     (now - oldest) / ((gint64) 3600 * G_USEC_PER_SEC), cap,
                     limits[VP_LIMIT_UNSYNCED_HOURS].name);
        return TRUE;
      }
  }
  return FALSE;
}

gboolean
vp_limits_check (VpDatabase            *db,
                 const char            *kind,
                 const VpJournalLedger *ledger,
                 JsonObject            *payload,
                 GError               **error)
{
  g_autoptr(GError) over = NULL;
  const VpStaff *approver;
  VpLimit exceeded;

  /* Only money taken from a customer: paid-in and voids are a
   * supervisor's own entries already. */
  if (ledger->flow != VP_LEDGER_SALE || ledger->amount <= 0)
    return TRUE;
  if (!over_a_cap (db, ledger, &exceeded, &over))
    {
      if (over != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&over));
          return FALSE;
        }
      return TRUE;
    }
  approver = g_object_get_data (G_OBJECT (db), APPROVER_KEY);
  if (approver == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&over));
      return FALSE;
    }
  if (!vp_staff_require_role (approver, VP_ROLE_SUPERVISOR,
                              _("Approving a sale over an offline limit"), error))
    return FALSE;
  g_debug ("%s over %s approved by %s", kind, limits[exceeded].name, approver->id);
  json_object_set_string_member (payload, "limit_approved_by", approver->id);
  json_object_set_string_member (payload, "limit_exceeded", limits[exceeded].name);
  return TRUE;
}
