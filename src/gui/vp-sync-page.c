/* vp-sync-page.c: the end-of-day sync with HQ.
 *
 * The supervisor types their id and PIN; the sync runs on the service's
 * worker thread (vp_service_sync_async) and reports progress here. The
 * outcome is shown per category, with HQ's acknowledgement (count and
 * total) — the figures the next Z report prints.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-sync-page"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "vp-sync-page.h"
#include "vp-gui-util.h"
#include "vp-service-sync.h"

struct _VpSyncPage
{
  GtkBox          parent_instance;
  GtkLabel       *status_label;
  GtkWidget      *staff_entry;
  GtkWidget      *pin_entry;
  GtkWidget      *sync_button;
  GtkProgressBar *progress_bar;
  GtkWidget      *result_grid;
  GtkLabel       *message_label;

  VpContext      *context;
  GCancellable   *cancellable;
  gboolean        busy;
};

G_DEFINE_FINAL_TYPE (VpSyncPage, vp_sync_page, GTK_TYPE_BOX)

static void
set_busy (VpSyncPage *self,
          gboolean    busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->staff_entry, !busy);
  gtk_widget_set_sensitive (self->pin_entry, !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.run", !busy);
}

static void
progress_cb (const char *stage,
             gint64      done,
             gint64      total,
             gpointer    user_data)
{
  VpSyncPage *self = user_data;
  g_autofree char *text = NULL;

  if (g_str_equal (stage, "session"))
    {
      text = g_strdup (_("Logging in to HQ…"));
      gtk_progress_bar_set_fraction (self->progress_bar, 0.05);
    }
  else if (g_str_equal (stage, "push"))
    {
      text = g_strdup_printf (_("Sending entries: %" PRId64 " of %" PRId64), done, total);
      gtk_progress_bar_set_fraction (self->progress_bar,
                                     0.1 + 0.6 * (total > 0 ? (double)done / total : 1.0));
    }
  else if (g_str_equal (stage, "pull"))
    {
      text = g_strdup_printf (_("Receiving master data: %" PRId64 " rows"), done);
      gtk_progress_bar_set_fraction (self->progress_bar, total >= 0 ? 0.95 : 0.8);
    }
  else
    {
      text = g_strdup (_("Done"));
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
    }
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
show_result (VpSyncPage         *self,
             const VpSyncResult *r)
{
  g_autofree char *accepted = g_strdup_printf ("%" PRId64, r->accepted);
  g_autofree char *duplicates = g_strdup_printf ("%" PRId64, r->duplicates);
  g_autofree char *conflicts = g_strdup_printf ("%" PRId64, r->conflicts);
  g_autofree char *amount = vp_money_format (r->hq_amount);
  g_autofree char *ack = g_strdup_printf (_("%" PRId64 " entries, %s"), r->hq_entries, amount);
  g_autofree char *renamed = g_strdup_printf ("%" PRId64, r->accounts_renamed + r->master.renamed);
  g_autofree char *master = g_strdup_printf (_("%" PRId64 " accounts, %" PRId64 " bills"),
                                             r->master.accounts, r->master.bills);
  g_autofree char *pending = g_strdup_printf ("%" PRId64, r->pending);
  int row = 0;

  vp_gui_clear_box (self->result_grid);
  vp_gui_grid_row (self->result_grid, row++, 0, _("Accepted"), accepted);
  vp_gui_grid_row (self->result_grid, row++, 0, _("Already at HQ"), duplicates);
  vp_gui_grid_row (self->result_grid, row++, 0, _("Conflicts (turned into credit)"), conflicts);
  /* Shown only when they happen: both need someone at HQ to look. */
  if (r->rejected > 0)
    {
      g_autofree char *n = g_strdup_printf ("%" PRId64, r->rejected);

      vp_gui_grid_row (self->result_grid, row++, 0, _("Rejected by HQ (flagged for review)"), n);
    }
  if (r->resent > 0)
    {
      g_autofree char *n = g_strdup_printf (_("%" PRId64 " from entry %" PRId64), r->resent,
                                            r->resent_from);

      vp_gui_grid_row (self->result_grid, row++, 0, _("Sent again (HQ had lost them)"), n);
    }
  for (guint i = 0; i < r->conflict_details->len; i++)
    {
      VpPushOutcome *o = g_ptr_array_index (r->conflict_details, i);
      g_autofree char *title = g_strdup_printf (_("Entry %" PRId64), o->seq);

      vp_gui_grid_row (self->result_grid, row++, 0, title, o->detail ? o->detail : "");
    }
  vp_gui_grid_row (self->result_grid, row++, 0, _("HQ acknowledged"), ack);
  vp_gui_grid_row (self->result_grid, row++, 0, _("New accounts numbered"), renamed);
  vp_gui_grid_row (self->result_grid, row++, 0, _("Master data received"), master);
  vp_gui_grid_row (self->result_grid, row++, 0, _("Still waiting"), pending);
  vp_gui_show_message (self->message_label,
                       r->drift_warning ? r->drift_warning : _("Sync complete"),
                       r->drift_warning != NULL);
}

static void
sync_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpSyncPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSyncResult) r = vp_service_sync_finish (VP_SERVICE (source), result, &error);

  set_busy (self, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  if (r == NULL)
    {
      g_autofree char *pending = NULL;

      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
      gtk_progress_bar_set_text (self->progress_bar, _("Not synced"));
      pending = g_strdup_printf (_("%s. Nothing was lost: the entries wait for the next sync."),
                                 error->message);
      vp_gui_show_message (self->message_label, pending, TRUE);
      vp_sync_page_refresh (self);
      return;
    }
  show_result (self, r);
  vp_sync_page_refresh (self);
  vp_context_emit_changed (self->context);
}

static void
run_activated (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  VpSyncPage *self = VP_SYNC_PAGE (widget);
  const char *staff = gtk_editable_get_text (GTK_EDITABLE (self->staff_entry));
  const char *pin = gtk_editable_get_text (GTK_EDITABLE (self->pin_entry));

  if (self->busy || self->context == NULL)
    return;
  if (*staff == '\0' || *pin == '\0')
    {
      vp_gui_show_message (self->message_label, _("Enter the supervisor's id and PIN"), TRUE);
      return;
    }
  set_busy (self, TRUE);
  vp_gui_show_message (self->message_label, NULL, FALSE);
  vp_gui_clear_box (self->result_grid);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  vp_service_sync_async (vp_context_get_service (self->context), staff, pin, progress_cb, self,
                         self->cancellable, sync_done, g_object_ref (self));
}

static void
vp_sync_page_dispose (GObject *object)
{
  VpSyncPage *self = VP_SYNC_PAGE (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (vp_sync_page_parent_class)->dispose (object);
}

static void
vp_sync_page_class_init (VpSyncPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_sync_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-sync-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpSyncPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, VpSyncPage, staff_entry);
  gtk_widget_class_bind_template_child (widget_class, VpSyncPage, pin_entry);
  gtk_widget_class_bind_template_child (widget_class, VpSyncPage, sync_button);
  gtk_widget_class_bind_template_child (widget_class, VpSyncPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, VpSyncPage, result_grid);
  gtk_widget_class_bind_template_child (widget_class, VpSyncPage, message_label);
  gtk_widget_class_install_action (widget_class, "sync.run", NULL, run_activated);
}

static void
pin_activated (VpSyncPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "sync.run", NULL);
}

static void
vp_sync_page_init (VpSyncPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->pin_entry, "activate", G_CALLBACK (pin_activated), self);
}

void
vp_sync_page_set_context (VpSyncPage *self,
                          VpContext  *context)
{
  g_return_if_fail (VP_IS_SYNC_PAGE (self));
  g_set_object (&self->context, context);
}

void
vp_sync_page_refresh (VpSyncPage *self)
{
  VpDatabase *db;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  g_autofree char *amount = NULL;
  g_autofree char *when = NULL;
  JsonObject *o;
  const VpStaff *staff;

  g_return_if_fail (VP_IS_SYNC_PAGE (self));
  /* While a sync runs the worker holds the database; the page shows its
   * progress instead. */
  if (self->busy || self->context == NULL ||
      (db = vp_context_get_database (self->context)) == NULL)
    return;
  staff = vp_context_get_staff (self->context);
  if (staff && staff->role == VP_ROLE_SUPERVISOR &&
      *gtk_editable_get_text (GTK_EDITABLE (self->staff_entry)) == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->staff_entry), staff->id);

  /* A few meta reads; cheap enough for the main thread. */
  node = vp_service_sync_status (vp_context_get_service (self->context));
  o = json_node_get_object (node);
  amount = vp_money_format (json_object_get_int_member (o, "hq_acked_amount"));
  if (json_object_get_int_member (o, "last_sync_time") > 0)
    when = vp_gui_format_time (json_object_get_int_member (o, "last_sync_time"));
  if (!json_object_get_boolean_member (o, "configured"))
    text = g_strdup (_("This van is not set up for HQ yet: run “vanpos-cli sync setup --bundle DIR” "
                       "with the bundle from HQ"));
  else
    text = g_strdup_printf (_("%" PRId64 " entries waiting · last sync %s · HQ holds %" PRId64
                              " entries, %s"),
                            json_object_get_int_member (o, "pending"), when ? when : _("never"),
                            json_object_get_int_member (o, "hq_acked_entries"), amount);
  vp_gui_set_value (self->status_label, text);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.run",
                                 !self->busy && json_object_get_boolean_member (o, "configured"));
}
