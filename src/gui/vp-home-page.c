/* vp-home-page.c: shift state, today's counters, the trip, sync state.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-home"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "vp-home-page.h"
#include "vp-gui-util.h"
#include "vp-sync-store.h"
#include "vp-receipt-printer.h"

struct _VpHomePage
{
  GtkBox     parent_instance;
  GtkLabel  *shift_label;
  GtkWidget *counters_grid;
  GtkLabel  *trip_label;
  GtkWidget *estates_box;
  GtkWidget *estate_entry;
  GtkWidget *start_button;
  GtkWidget *end_button;
  GtkLabel  *message_label;
  GtkLabel  *sync_label;
  GtkWidget *print_queue_box;
  GtkLabel  *print_queue_label;

  VpContext *context;
  char      *trip;
  gboolean   busy;
};

G_DEFINE_FINAL_TYPE (VpHomePage, vp_home_page, GTK_TYPE_BOX)

typedef struct
{
  gint64        shift_id;
  VpShiftTotals totals;
  VpReport     *report;
  char         *trip;
  gint64        last_sync;   /* device µs, 0: never */
  gint64        pending;
  gint64        queued;      /* receipts waiting for a printer */
} HomeView;

static void
home_view_free (HomeView *v)
{
  vp_shift_totals_clear (&v->totals);
  g_clear_pointer (&v->report, vp_report_free);
  g_free (v->trip);
  g_free (v);
}

static gpointer
load_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  VpDatabase *db = vp_service_get_database (service);
  HomeView *v = g_new0 (HomeView, 1);

  v->shift_id = vp_shift_store_current (db);
  if (v->shift_id != 0 && !vp_shift_store_totals (db, 0, &v->totals, error))
    goto fail;
  v->report = vp_report_store_build (db, VP_REPORT_DAY, NULL, error);
  if (v->report == NULL)
    goto fail;
  v->trip = vp_trip_store_current (db);
  v->last_sync = vp_database_get_meta_int (db, VP_META_LAST_SYNC_TIME, 0);
  v->pending = vp_outbox_store_count_pending (db);
  v->queued = vp_print_queue_count (db);
  return v;

fail:
  home_view_free (v);
  return NULL;
}

static void
show_view (VpHomePage *self,
           HomeView   *v)
{
  VpReport *r = v->report;
  g_autofree char *collected = vp_money_format (r->collected);
  g_autofree char *trips = g_strdup_printf ("%" PRId64, r->trips);
  g_autofree char *consultations = g_strdup_printf ("%" PRId64, r->consultations);
  g_autofree char *fees = g_strdup_printf ("%" PRId64, r->fee_transactions);
  g_autofree char *apps = g_strdup_printf ("%" PRId64, r->applications);
  g_autofree char *visits = g_strdup_printf ("%" PRId64, r->home_visits);
  g_autofree char *sync = NULL;

  if (v->shift_id != 0)
    {
      g_autofree char *since = vp_gui_format_time (v->totals.opened_at);
      g_autofree char *expected = vp_money_format (v->totals.expected_cash);
      g_autofree char *text = g_strdup_printf (_("Shift %" PRId64 " open since %s · cash expected %s"),
                                               v->shift_id, since, expected);
      vp_gui_set_value (self->shift_label, text);
    }
  else
    vp_gui_set_value (self->shift_label, _("No shift open — open one under Shift before taking money"));

  vp_gui_clear_box (self->counters_grid);
  vp_gui_grid_row (self->counters_grid, 0, 0, _("Trips"), trips);
  vp_gui_grid_row (self->counters_grid, 0, 1, _("Consultations"), consultations);
  vp_gui_grid_row (self->counters_grid, 1, 0, _("Fee transactions"), fees);
  vp_gui_grid_row (self->counters_grid, 1, 1, _("Applications"), apps);
  vp_gui_grid_row (self->counters_grid, 2, 0, _("Home visits"), visits);
  vp_gui_grid_row (self->counters_grid, 2, 1, _("Collected"), collected);

  g_free (self->trip);
  self->trip = g_strdup (v->trip);
  if (v->trip)
    {
      g_autofree char *text = g_strdup_printf (_("On a trip to %s"), v->trip);
      vp_gui_set_value (self->trip_label, text);
      gtk_editable_set_text (GTK_EDITABLE (self->estate_entry), v->trip);
    }
  else
    vp_gui_set_value (self->trip_label, _("Not on a trip"));
  gtk_widget_set_sensitive (self->start_button, v->trip == NULL);
  gtk_widget_set_sensitive (self->end_button, v->trip != NULL);

  if (v->last_sync > 0)
    {
      g_autofree char *when = vp_gui_format_time (v->last_sync);

      sync = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Last sync %s · %" PRId64 " entry waiting",
                                           "Last sync %s · %" PRId64 " entries waiting",
                                           v->pending),
                              when, v->pending);
    }
  else
    sync = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Not synced yet · %" PRId64 " entry waiting",
                                         "Not synced yet · %" PRId64 " entries waiting",
                                         v->pending),
                            v->pending);
  vp_gui_set_value (self->sync_label, sync);

  /* Told on every return home, after a restart too: the queue is stored. */
  gtk_widget_set_visible (self->print_queue_box, v->queued > 0);
  if (v->queued > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%" PRId64 " receipt waits for the printer",
                                                            "%" PRId64 " receipts wait for the printer",
                                                            v->queued),
                                               v->queued);
      vp_gui_set_value (self->print_queue_label, text);
    }
}

static void
load_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpHomePage) self = user_data;
  g_autoptr(GError) error = NULL;
  HomeView *v = vp_service_run_finish (VP_SERVICE (source), result, &error);

  if (v == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  show_view (self, v);
  home_view_free (v);
}

typedef struct
{
  VpStaff *staff;
  char    *estate;
  gboolean start;
} TripData;

static void
trip_data_free (TripData *d)
{
  g_clear_pointer (&d->staff, vp_staff_free);
  g_free (d->estate);
  g_free (d);
}

static gpointer
trip_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  TripData *d = data;

  if (d->start)
    return vp_service_trip_start (service, d->staff, d->estate, error);
  return vp_service_trip_end (service, d->staff, d->estate, error);
}

static void
trip_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpHomePage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = vp_service_run_finish (VP_SERVICE (source), result, &error);

  self->busy = FALSE;
  if (entry == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  vp_gui_show_message (self->message_label,
                       g_str_equal (entry->kind, VP_KIND_TRIP_START) ? _("Trip started") : _("Trip ended"),
                       FALSE);
  vp_home_page_refresh (self);
}

static void
run_trip (VpHomePage *self,
          gboolean    start)
{
  g_autofree char *estate = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->estate_entry))));
  g_autoptr(GError) error = NULL;
  TripData *d;

  if (self->busy)
    return;
  if (start && !vp_validate_text_field (estate, 30, _("Estate"), &error))
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  d = g_new0 (TripData, 1);
  d->staff = vp_context_dup_staff (self->context);
  /* Ending names the trip in progress, whatever the entry says now. */
  d->estate = start ? g_steal_pointer (&estate) : g_strdup (self->trip);
  d->start = start;
  self->busy = TRUE;
  vp_context_run (self->context, trip_job, d, (GDestroyNotify)trip_data_free,
                  (GDestroyNotify)vp_journal_entry_free, NULL, trip_done, g_object_ref (self));
}

static void
trip_start_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  run_trip (VP_HOME_PAGE (widget), TRUE);
}

static void
trip_end_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  run_trip (VP_HOME_PAGE (widget), FALSE);
}

static void
queue_printed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(VpHomePage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint printed = 0, waiting = 0;

  self->busy = FALSE;
  if (!vp_receipt_printer_print_queue_finish (result, &printed, &waiting, &error))
    {
      g_autofree char *counts = g_strdup_printf (_("%u printed, %u still waiting"), printed, waiting);

      text = g_strdup_printf ("%s: %s", counts, error->message);
      vp_gui_show_message (self->message_label, text, TRUE);
    }
  else
    {
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u receipt printed", "%u receipts printed",
                                           printed), printed);
      vp_gui_show_message (self->message_label, text, FALSE);
    }
  vp_home_page_refresh (self);
}

static void
print_queue_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  VpHomePage *self = VP_HOME_PAGE (widget);

  if (self->busy)
    return;
  self->busy = TRUE;
  vp_gui_show_message (self->message_label, _("Printing…"), FALSE);
  vp_receipt_printer_print_queue_async (self->context, widget, queue_printed, g_object_ref (self));
}

static void
estate_clicked (GtkButton  *button,
                VpHomePage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->estate_entry), gtk_button_get_label (button));
}

static void
vp_home_page_dispose (GObject *object)
{
  VpHomePage *self = VP_HOME_PAGE (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->trip, g_free);
  G_OBJECT_CLASS (vp_home_page_parent_class)->dispose (object);
}

static void
vp_home_page_class_init (VpHomePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_home_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-home-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, shift_label);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, counters_grid);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, trip_label);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, estates_box);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, estate_entry);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, start_button);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, end_button);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, sync_label);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, print_queue_box);
  gtk_widget_class_bind_template_child (widget_class, VpHomePage, print_queue_label);
  gtk_widget_class_install_action (widget_class, "home.print-queue", NULL, print_queue_activated);
  gtk_widget_class_install_action (widget_class, "home.trip-start", NULL, trip_start_activated);
  gtk_widget_class_install_action (widget_class, "home.trip-end", NULL, trip_end_activated);
}

static void
vp_home_page_init (VpHomePage *self)
{
  const char * const *estates = vp_demo_estates ();

  gtk_widget_init_template (GTK_WIDGET (self));
  for (guint i = 0; estates[i]; i++)
    {
      GtkWidget *button = gtk_button_new_with_label (estates[i]);

      g_signal_connect (button, "clicked", G_CALLBACK (estate_clicked), self);
      gtk_flow_box_append (GTK_FLOW_BOX (self->estates_box), button);
    }
}

void
vp_home_page_set_context (VpHomePage *self,
                          VpContext  *context)
{
  g_set_object (&self->context, context);
}

void
vp_home_page_refresh (VpHomePage *self)
{
  g_return_if_fail (VP_IS_HOME_PAGE (self));
  if (vp_context_get_service (self->context) == NULL)
    return;
  vp_context_run (self->context, load_job, NULL, NULL, (GDestroyNotify)home_view_free,
                  NULL, load_done, g_object_ref (self));
}
