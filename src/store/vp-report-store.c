/* vp-report-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-report-store"

#include "config.h"

#include <stdio.h>

#include "vp-store-private.h"

static const char *periods[] = { "day", "month", "year" };

const char *
vp_report_period_to_string (VpReportPeriod period)
{
  return periods[period];
}

gboolean
vp_report_period_from_string (const char     *str,
                              VpReportPeriod *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (periods); i++)
    if (g_strcmp0 (str, periods[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

static void
report_day_free (VpReportDay *d)
{
  g_free (d->date);
  g_free (d);
}

void
vp_report_free (VpReport *r)
{
  if (r == NULL)
    return;
  g_free (r->from);
  g_free (r->to);
  g_clear_pointer (&r->days, g_ptr_array_unref);
  g_free (r);
}

VpReport *
vp_report_store_build (VpDatabase     *db,
                       VpReportPeriod  period,
                       const char     *date,
                       GError        **error)
{
  g_autoptr(VpReport) r = g_new0 (VpReport, 1);
  g_autoptr(GDateTime) day = NULL;
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) end = NULL;
  g_autoptr(GDateTime) last = NULL;
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  if (date != NULL)
    {
      int y, m, d;

      if (!vp_validate_date (date, error))
        return NULL;
      sscanf (date, "%d-%d-%d", &y, &m, &d);
      day = g_date_time_new_local (y, m, d, 0, 0, 0);
    }
  else
    {
      g_autoptr(GDateTime) now = vp_store_local_datetime (vp_database_now ());
      day = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                   g_date_time_get_day_of_month (now), 0, 0, 0);
    }

  switch (period)
    {
    case VP_REPORT_DAY:
      start = g_date_time_ref (day);
      end = g_date_time_add_days (start, 1);
      break;
    case VP_REPORT_MONTH:
      start = g_date_time_new_local (g_date_time_get_year (day), g_date_time_get_month (day), 1, 0, 0, 0);
      end = g_date_time_add_months (start, 1);
      break;
    case VP_REPORT_YEAR:
    default:
      start = g_date_time_new_local (g_date_time_get_year (day), 1, 1, 0, 0, 0);
      end = g_date_time_add_years (start, 1);
      break;
    }
  last = g_date_time_add_days (end, -1);
  r->period = period;
  r->from = g_date_time_format (start, "%Y-%m-%d");
  r->to = g_date_time_format (last, "%Y-%m-%d");
  r->days = g_ptr_array_new_with_free_func ((GDestroyNotify)report_day_free);

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
    "SELECT"
    " count (CASE WHEN kind = 'trip.start' THEN 1 END),"
    " count (CASE WHEN kind = 'log.consultation' THEN 1 END),"
    " count (CASE WHEN NOT EXISTS (SELECT 1 FROM journal v WHERE v.voids = journal.seq) AND (kind IN ('pay', 'topup.intent')"
    "   OR (kind IN ('account.open', 'account.transfer') AND amount > 0)) THEN 1 END),"
    " count (CASE WHEN NOT EXISTS (SELECT 1 FROM journal v WHERE v.voids = journal.seq) AND kind IN ('account.open', 'account.transfer',"
    "   'account.close', 'card.reissue') THEN 1 END),"
    " count (CASE WHEN kind = 'log.visit' THEN 1 END),"
    " count (CASE WHEN kind = 'log.complaint' THEN 1 END),"
    " count (CASE WHEN kind = 'void' THEN 1 END),"
    " coalesce (sum (amount), 0),"
    " coalesce (sum (CASE WHEN method = 'cash' THEN amount END), 0),"
    " coalesce (sum (CASE WHEN method = 'card' THEN amount END), 0),"
    " coalesce (sum (CASE WHEN method = 'mobile' THEN amount END), 0)"
    " FROM journal WHERE device_time >= ?1 AND device_time < ?2",
    error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, g_date_time_to_unix (start) * G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, 2, g_date_time_to_unix (end) * G_USEC_PER_SEC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      vp_database_set_error (db, rc, error);
      sqlite3_reset (stmt);
      goto out;
    }
  r->trips = sqlite3_column_int64 (stmt, 0);
  r->consultations = sqlite3_column_int64 (stmt, 1);
  r->fee_transactions = sqlite3_column_int64 (stmt, 2);
  r->applications = sqlite3_column_int64 (stmt, 3);
  r->home_visits = sqlite3_column_int64 (stmt, 4);
  r->complaints = sqlite3_column_int64 (stmt, 5);
  r->voids = sqlite3_column_int64 (stmt, 6);
  r->collected = sqlite3_column_int64 (stmt, 7);
  r->collected_cash = sqlite3_column_int64 (stmt, 8);
  r->collected_card = sqlite3_column_int64 (stmt, 9);
  r->collected_mobile = sqlite3_column_int64 (stmt, 10);
  sqlite3_reset (stmt);

  stmt = vp_database_prepare (db,
    "SELECT date (device_time / 1000000, 'unixepoch', 'localtime') AS d, coalesce (sum (amount), 0),"
    " count (CASE WHEN amount > 0 THEN 1 END)"
    " FROM journal WHERE device_time >= ?1 AND device_time < ?2 GROUP BY d ORDER BY d",
    error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, g_date_time_to_unix (start) * G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, 2, g_date_time_to_unix (end) * G_USEC_PER_SEC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VpReportDay *d = g_new0 (VpReportDay, 1);

      d->date = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      d->collected = sqlite3_column_int64 (stmt, 1);
      d->transactions = sqlite3_column_int64 (stmt, 2);
      g_ptr_array_add (r->days, d);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      goto out;
    }
  ok = TRUE;
out:
  vp_database_unlock (db);
  return ok ? g_steal_pointer (&r) : NULL;
}

JsonNode *
vp_report_to_json (const VpReport *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  vp_json_add_string (b, "period", vp_report_period_to_string (r->period));
  vp_json_add_string (b, "from", r->from);
  vp_json_add_string (b, "to", r->to);
  vp_json_add_int (b, "trips", r->trips);
  vp_json_add_int (b, "consultations", r->consultations);
  vp_json_add_int (b, "fee_transactions", r->fee_transactions);
  vp_json_add_int (b, "applications", r->applications);
  vp_json_add_int (b, "home_visits", r->home_visits);
  vp_json_add_int (b, "complaints", r->complaints);
  vp_json_add_int (b, "voids", r->voids);
  vp_json_add_money (b, "collected", r->collected);
  vp_json_add_money (b, "collected_cash", r->collected_cash);
  vp_json_add_money (b, "collected_card", r->collected_card);
  vp_json_add_money (b, "collected_mobile", r->collected_mobile);
  json_builder_set_member_name (b, "days");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->days->len; i++)
    {
      VpReportDay *d = r->days->pdata[i];

      json_builder_begin_object (b);
      vp_json_add_string (b, "date", d->date);
      vp_json_add_money (b, "collected", d->collected);
      vp_json_add_int (b, "transactions", d->transactions);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
