/* vp-report-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-report-store"

#include "config.h"

#include <glib/gi18n-lib.h>
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
  g_clear_pointer (&r->bars, g_ptr_array_unref);
  g_clear_pointer (&r->figures, vp_figures_free);
  g_free (r);
}

/* Adds one tally to another (a month's bar from its days). */
static void
tally_sum (VpTally       *t,
           const VpTally *add)
{
  t->transactions += add->transactions;
  t->cash_in += add->cash_in;
  t->card_in += add->card_in;
  t->mobile_in += add->mobile_in;
  t->n_cash_in += add->n_cash_in;
  t->n_card_in += add->n_card_in;
  t->n_mobile_in += add->n_mobile_in;
  t->cash_out += add->cash_out;
  t->refunds += add->refunds;
  t->drops += add->drops;
  t->n_drops += add->n_drops;
  t->paid_in += add->paid_in;
  t->n_paid_in += add->n_paid_in;
  t->paid_out += add->paid_out;
  t->n_paid_out += add->n_paid_out;
  t->voids += add->voids;
  t->voided += add->voided;
}

/* One bar per day (day, month) or per month (year) of the period, from
 * the fold's days: idle days and months are bars of nothing, so a chart
 * and a spreadsheet see the whole period. */
static void
build_bars (VpReport  *r,
            GDateTime *start,
            GDateTime *end)
{
  g_autoptr(GDateTime) at = g_date_time_ref (start);
  const char *format = r->period == VP_REPORT_YEAR ? "%Y-%m" : "%Y-%m-%d";
  guint next_day = 0;

  r->bars = g_ptr_array_new_with_free_func ((GDestroyNotify)report_day_free);
  while (g_date_time_compare (at, end) < 0)
    {
      VpReportDay *bar = g_new0 (VpReportDay, 1);
      GDateTime *next;

      bar->date = g_date_time_format (at, format);
      /* days are sorted by date; a month's days share its prefix. */
      while (next_day < r->days->len &&
             g_str_has_prefix (((VpReportDay *)r->days->pdata[next_day])->date, bar->date))
        {
          VpReportDay *d = r->days->pdata[next_day++];

          tally_sum (&bar->tally, &d->tally);
        }
      bar->collected = vp_tally_collected (&bar->tally);
      bar->transactions = bar->tally.transactions;
      g_ptr_array_add (r->bars, bar);
      next = r->period == VP_REPORT_YEAR ? g_date_time_add_months (at, 1)
                                         : g_date_time_add_days (at, 1);
      g_date_time_unref (at);
      at = next;
    }
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
  /* GDateTime ends with the year 9999: a period that runs past it has
   * no end to count to. */
  if (start == NULL || end == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("A report cannot cover days after the year 9999"));
      return NULL;
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
  build_bars (r, start, end);
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

  /* Added for the published report (issue 12): sales by method before
   * refunds, collections by estate and the chart's bars. */
  if (r->figures != NULL)
    {
      const VpTally *t = &r->figures->total;

      vp_json_add_money (b, "cash_in", t->cash_in);
      vp_json_add_int (b, "cash_in_count", t->n_cash_in);
      vp_json_add_money (b, "card_in", t->card_in);
      vp_json_add_int (b, "card_in_count", t->n_card_in);
      vp_json_add_money (b, "mobile_in", t->mobile_in);
      vp_json_add_int (b, "mobile_in_count", t->n_mobile_in);
      json_builder_set_member_name (b, "by_estate");
      json_builder_begin_array (b);
      for (guint i = 0; i < r->figures->by_estate->len; i++)
        {
          VpTallyRow *row = r->figures->by_estate->pdata[i];

          json_builder_begin_object (b);
          vp_json_add_string (b, "estate", row->key);
          vp_json_add_int (b, "transactions", row->tally.transactions);
          vp_json_add_int (b, "refunds", row->tally.refunds);
          vp_json_add_money (b, "collected", vp_tally_collected (&row->tally));
          vp_json_add_money (b, "cash_in", row->tally.cash_in);
          vp_json_add_money (b, "card_in", row->tally.card_in);
          vp_json_add_money (b, "mobile_in", row->tally.mobile_in);
          vp_json_add_money (b, "cash_refunds", row->tally.cash_out);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_set_member_name (b, "bars");
  json_builder_begin_array (b);
  for (guint i = 0; r->bars != NULL && i < r->bars->len; i++)
    {
      VpReportDay *d = r->bars->pdata[i];

      json_builder_begin_object (b);
      vp_json_add_string (b, "date", d->date);
      vp_json_add_int (b, "transactions", d->transactions);
      vp_json_add_money (b, "collected", d->collected);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (r->figures != NULL)
    vp_figures_add_json (r->figures, b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
