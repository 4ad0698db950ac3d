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
  g_clear_pointer (&r->figures, vp_figures_free);
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
  VpFiguresScope scope = { 0 };
  VpFigures *f;

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

  /* The one fold of the signed payloads (vp-figures.c), as the X and
   * Z reports: voided entries count nowhere and are listed. */
  scope.from_time = g_date_time_to_unix (start) * G_USEC_PER_SEC;
  scope.to_time = g_date_time_to_unix (end) * G_USEC_PER_SEC;
  r->figures = vp_figures_fold (db, &scope, error);
  if (r->figures == NULL)
    return NULL;
  f = r->figures;
  r->trips = f->trips;
  r->consultations = f->consultations;
  r->fee_transactions = f->total.transactions;
  r->applications = f->applications;
  r->home_visits = f->home_visits;
  r->complaints = f->complaints;
  r->voids = f->total.voids;
  r->collected = vp_tally_collected (&f->total);
  r->collected_cash = f->total.cash_in - f->total.cash_out;
  r->collected_card = f->total.card_in;
  r->collected_mobile = f->total.mobile_in;
  for (guint i = 0; i < f->by_day->len; i++)
    {
      VpTallyRow *row = f->by_day->pdata[i];
      VpReportDay *d = g_new0 (VpReportDay, 1);

      d->date = g_strdup (row->key);
      d->collected = vp_tally_collected (&row->tally);
      d->transactions = row->tally.transactions;
      d->tally = row->tally;
      g_ptr_array_add (r->days, d);
    }
  return g_steal_pointer (&r);
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
      vp_json_add_money (b, "cash_in", d->tally.cash_in);
      vp_json_add_money (b, "card_in", d->tally.card_in);
      vp_json_add_money (b, "mobile_in", d->tally.mobile_in);
      vp_json_add_money (b, "cash_refunds", d->tally.cash_out);
      vp_json_add_money (b, "drops", d->tally.drops);
      vp_json_add_money (b, "paid_in", d->tally.paid_in);
      vp_json_add_money (b, "paid_out", d->tally.paid_out);
      vp_json_add_int (b, "voids", d->tally.voids);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (r->figures != NULL)
    vp_figures_add_json (r->figures, b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
