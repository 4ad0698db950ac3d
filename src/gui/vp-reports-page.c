/* vp-reports-page.c: day / month / year counts and collections.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-reports"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <stdio.h>

#include "vp-reports-page.h"
#include "vp-bar-chart.h"
#include "vp-gui-util.h"

struct _VpReportsPage
{
  GtkBox      parent_instance;
  GtkWidget  *period_box;
  GtkLabel   *title_label;
  GtkWidget  *report_grid;
  VpBarChart *chart;
  GtkLabel   *message_label;

  VpContext  *context;
  GPtrArray  *periods;
};

G_DEFINE_FINAL_TYPE (VpReportsPage, vp_reports_page, GTK_TYPE_BOX)

static const char * const period_labels[] = { N_("Day"), N_("Month"), N_("Year"), NULL };

static gpointer
report_job (VpService     *service,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  return vp_report_store_build (vp_service_get_database (service),
                                (VpReportPeriod)GPOINTER_TO_INT (data), NULL, error);
}

/* Every day of the period (every month of a year) gets a slot, so a quiet
 * day shows as a gap rather than disappearing. */
static void
show_chart (VpReportsPage  *self,
            const VpReport *r)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) amounts = g_array_new (FALSE, TRUE, sizeof (VpMoney));
  int year, month, day;

  if (sscanf (r->from, "%d-%d-%d", &year, &month, &day) != 3)
    return;
  if (r->period == VP_REPORT_YEAR)
    {
      g_array_set_size (amounts, 12);
      for (int m = 1; m <= 12; m++)
        g_ptr_array_add (labels, g_strdup_printf ("%02d", m));
      for (guint i = 0; r->days && i < r->days->len; i++)
        {
          VpReportDay *d = r->days->pdata[i];
          int dm = (int)g_ascii_strtoll (d->date + 5, NULL, 10);

          if (dm >= 1 && dm <= 12)
            g_array_index (amounts, VpMoney, dm - 1) += d->collected;
        }
    }
  else
    {
      int n = r->period == VP_REPORT_MONTH ? g_date_get_days_in_month (month, year) : 1;

      g_array_set_size (amounts, n);
      for (int i = 0; i < n; i++)
        g_ptr_array_add (labels, g_strdup_printf ("%02d-%02d", month, r->period == VP_REPORT_MONTH ? i + 1 : day));
      for (guint i = 0; r->days && i < r->days->len; i++)
        {
          VpReportDay *d = r->days->pdata[i];
          int dd = (int)g_ascii_strtoll (d->date + 8, NULL, 10);
          int index = r->period == VP_REPORT_MONTH ? dd - 1 : 0;

          if (index >= 0 && index < n)
            g_array_index (amounts, VpMoney, index) += d->collected;
        }
    }
  g_ptr_array_add (labels, NULL);
  vp_bar_chart_set_bars (self->chart, (const char * const *)labels->pdata,
                         (const VpMoney *)(gpointer)amounts->data, amounts->len);
}

static void
report_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VpReportsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpReport) r = vp_service_run_finish (VP_SERVICE (source), result, &error);
  g_autofree char *title = NULL;
  int row = 0;

  if (r == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  vp_gui_show_message (self->message_label, NULL, FALSE);
  title = g_str_equal (r->from, r->to) ? g_strdup_printf (_("Report for %s"), r->from)
                                       : g_strdup_printf (_("Report for %s to %s"), r->from, r->to);
  vp_gui_set_value (self->title_label, title);
  vp_gui_clear_box (self->report_grid);
#define COUNT(col, title_, value)                                                  \
  G_STMT_START {                                                                   \
    g_autofree char *s_ = g_strdup_printf ("%" PRId64, (gint64)(value));  \
    vp_gui_grid_row (self->report_grid, row, col, title_, s_);                     \
  } G_STMT_END
#define MONEY(col, title_, value)                                                  \
  G_STMT_START {                                                                   \
    g_autofree char *s_ = vp_money_format (value);                                 \
    vp_gui_grid_row (self->report_grid, row, col, title_, s_);                     \
  } G_STMT_END
  COUNT (0, _("Trips"), r->trips);
  COUNT (1, _("Consultations"), r->consultations);
  row++;
  COUNT (0, _("Fee transactions"), r->fee_transactions);
  COUNT (1, _("Applications"), r->applications);
  row++;
  COUNT (0, _("Home visits"), r->home_visits);
  COUNT (1, _("Complaints"), r->complaints);
  row++;
  COUNT (0, _("Voids"), r->voids);
  MONEY (1, _("Collected"), r->collected);
  row++;
  MONEY (0, _("Cash"), r->collected_cash);
  MONEY (1, _("Card"), r->collected_card);
  row++;
  MONEY (0, _("Mobile"), r->collected_mobile);
#undef COUNT
#undef MONEY
  show_chart (self, r);
}

static void
period_toggled (GtkToggleButton *button,
                VpReportsPage   *self)
{
  if (gtk_toggle_button_get_active (button))
    vp_reports_page_refresh (self);
}

static void
vp_reports_page_dispose (GObject *object)
{
  VpReportsPage *self = VP_REPORTS_PAGE (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->periods, g_ptr_array_unref);
  G_OBJECT_CLASS (vp_reports_page_parent_class)->dispose (object);
}

static void
vp_reports_page_class_init (VpReportsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_reports_page_dispose;
  g_type_ensure (VP_TYPE_BAR_CHART);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-reports-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpReportsPage, period_box);
  gtk_widget_class_bind_template_child (widget_class, VpReportsPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, VpReportsPage, report_grid);
  gtk_widget_class_bind_template_child (widget_class, VpReportsPage, chart);
  gtk_widget_class_bind_template_child (widget_class, VpReportsPage, message_label);
}

static void
vp_reports_page_init (VpReportsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->periods = vp_gui_toggle_group (self->period_box, period_labels, NULL);
  for (guint i = 0; i < self->periods->len; i++)
    g_signal_connect (self->periods->pdata[i], "toggled", G_CALLBACK (period_toggled), self);
  /* Month first: the chart has days to show. */
  vp_gui_toggle_group_set (self->periods, 1);
}

void
vp_reports_page_set_context (VpReportsPage *self,
                             VpContext     *context)
{
  g_set_object (&self->context, context);
}

void
vp_reports_page_refresh (VpReportsPage *self)
{
  g_return_if_fail (VP_IS_REPORTS_PAGE (self));
  if (self->context == NULL || vp_context_get_service (self->context) == NULL)
    return;
  vp_context_run (self->context, report_job,
                  GINT_TO_POINTER (vp_gui_toggle_group_get (self->periods)), NULL,
                  (GDestroyNotify)vp_report_free, NULL, report_done, g_object_ref (self));
}
