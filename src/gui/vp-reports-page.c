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
  GtkWidget  *date_entry;      /* the day the period is around, yyyy-mm-dd */
  GtkWidget  *date_button;
  GtkWidget  *staff_grid;      /* per-operator figures */

  VpContext  *context;
  GPtrArray  *periods;
};

G_DEFINE_FINAL_TYPE (VpReportsPage, vp_reports_page, GTK_TYPE_BOX)

static const char * const period_labels[] = { N_("Day"), N_("Month"), N_("Year"), NULL };

typedef struct
{
  VpReportPeriod period;
  char          *date;     /* NULL: today */
} ReportJob;

static void
report_job_free (ReportJob *j)
{
  g_free (j->date);
  g_free (j);
}

static gpointer
report_job (VpService     *service,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  ReportJob *j = data;

  return vp_report_store_build (vp_service_get_database (service), j->period, j->date, error);
}

/* One line per staff member who worked in the period: sales, money
 * taken, refunds paid out (vp-figures.c's per-staff fold). */
static void
show_staff (VpReportsPage  *self,
            const VpReport *r)
{
  vp_gui_clear_box (self->staff_grid);
  if (r->figures == NULL || r->figures->by_staff == NULL)
    return;
  for (guint i = 0; i < r->figures->by_staff->len; i++)
    {
      VpTallyRow *row = r->figures->by_staff->pdata[i];
      g_autofree char *taken = vp_money_format (row->tally.cash_in + row->tally.card_in
                                                + row->tally.mobile_in);
      g_autofree char *refunded = vp_money_format (row->tally.cash_out);
      g_autofree char *text = g_strdup_printf (_("Fee transactions %" PRId64 " · taken %s · "
                                                 "refunded %s · voids %" PRId64),
                                               row->tally.transactions, taken, refunded,
                                               row->tally.voids);
      g_autofree char *title = g_strdup_printf (_("Operator %s"), row->key);

      vp_gui_grid_row (self->staff_grid, (int)i, 0, title, text);
    }
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
  show_staff (self, r);
}

static void
period_toggled (GtkToggleButton *button,
                VpReportsPage   *self)
{
  if (gtk_toggle_button_get_active (button))
    vp_reports_page_refresh (self);
}

static void
date_activated (VpReportsPage *self)
{
  vp_reports_page_refresh (self);
}

static void
day_selected (GtkCalendar   *calendar,
              VpReportsPage *self)
{
  g_autoptr(GDateTime) dt = gtk_calendar_get_date (calendar);
  g_autofree char *text = g_date_time_format (dt, "%Y-%m-%d");

  gtk_editable_set_text (GTK_EDITABLE (self->date_entry), text);
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->date_button));
  vp_reports_page_refresh (self);
}

/* A date picker beside the period: the day, month or year around it. */
static void
build_date_picker (VpReportsPage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (_("Date"));
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *calendar = gtk_calendar_new ();
  GtkWidget *show = gtk_button_new_with_label (_("Show report"));
  GtkWidget *parent = gtk_widget_get_parent (self->period_box);
  GtkWidget *heading = gtk_label_new (_("By operator"));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  gtk_widget_add_css_class (label, "field-title");
  gtk_box_append (GTK_BOX (box), label);
  self->date_entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (self->date_entry), today);
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->date_entry), "yyyy-mm-dd");
  gtk_widget_set_size_request (self->date_entry, 160, 48);
  vp_gui_set_name (self->date_entry, _("Report date"));
  g_signal_connect_swapped (self->date_entry, "activate", G_CALLBACK (date_activated), self);
  gtk_box_append (GTK_BOX (box), self->date_entry);
  self->date_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->date_button), "x-office-calendar-symbolic");
  gtk_widget_set_size_request (self->date_button, 48, 48);
  vp_gui_set_name (self->date_button, _("Pick a date"));
  g_signal_connect (calendar, "day-selected", G_CALLBACK (day_selected), self);
  gtk_popover_set_child (GTK_POPOVER (popover), calendar);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->date_button), popover);
  gtk_box_append (GTK_BOX (box), self->date_button);
  gtk_widget_set_size_request (show, 48, 48);
  g_signal_connect_swapped (show, "clicked", G_CALLBACK (date_activated), self);
  gtk_box_append (GTK_BOX (box), show);
  gtk_box_insert_child_after (GTK_BOX (parent), box, self->period_box);

  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "panel-title");
  self->staff_grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (self->staff_grid), 16);
  gtk_grid_set_row_spacing (GTK_GRID (self->staff_grid), 6);
  vp_gui_set_name (self->staff_grid, _("By operator"));
  gtk_box_insert_child_after (GTK_BOX (parent), heading, self->report_grid);
  gtk_box_insert_child_after (GTK_BOX (parent), self->staff_grid, heading);
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
  build_date_picker (self);
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
  {
    ReportJob *j = g_new0 (ReportJob, 1);
    g_autofree char *date = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->date_entry))));

    j->period = (VpReportPeriod)vp_gui_toggle_group_get (self->periods);
    j->date = *date ? g_steal_pointer (&date) : NULL;
    vp_context_run (self->context, report_job, j, (GDestroyNotify)report_job_free,
                    (GDestroyNotify)vp_report_free, NULL, report_done, g_object_ref (self));
  }
}
