/* vp-break-banner.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-break"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-break-banner.h"
#include "vp-gui-util.h"
#include "vp-supervisor-dialog.h"

#define MAX_REASON_CHARS 200

struct _VpBreakBanner
{
  GtkBox     parent_instance;
  GtkLabel  *state_label;
  GtkWidget *reason_entry;
  GtkWidget *acknowledge_button;
  GtkLabel  *message_label;

  VpContext *context;
  gboolean   busy;
};

G_DEFINE_FINAL_TYPE (VpBreakBanner, vp_break_banner, GTK_TYPE_BOX)

typedef struct
{
  VpStaff *supervisor;
  char    *reason;
} AckData;

static void
ack_data_free (AckData *d)
{
  g_clear_pointer (&d->supervisor, vp_staff_free);
  g_free (d->reason);
  g_free (d);
}

static gpointer
ack_job (VpService     *service,
         gpointer       data,
         GCancellable  *cancellable,
         GError       **error)
{
  AckData *d = data;

  return vp_service_acknowledge_break (service, d->supervisor, d->reason, error);
}

static void
break_changed (VpBreakBanner *self)
{
  const char *broken = vp_context_get_journal_break (self->context);
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self), broken != NULL);
  if (broken == NULL)
    {
      vp_gui_show_message (self->message_label, NULL, FALSE);
      return;
    }
  text = g_strdup_printf (_("No money can be taken: %s."), broken);
  vp_gui_set_value (self->state_label, text);
}

static void
ack_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(VpBreakBanner) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = vp_service_run_finish (VP_SERVICE (source), result, &error);

  self->busy = FALSE;
  gtk_widget_set_sensitive (self->acknowledge_button, TRUE);
  if (entry == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  /* The banner hides when the context sees the break gone (right after
   * this callback); the entry reaches HQ with the next sync. */
  gtk_editable_set_text (GTK_EDITABLE (self->reason_entry), "");
  vp_gui_show_message (self->message_label, NULL, FALSE);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s",
                              _("Journal break acknowledged; HQ is told at the next sync"));
  vp_context_emit_changed (self->context);
}

static void
supervisor_approved (VpSupervisorDialog *dialog,
                     VpStaff            *supervisor,
                     VpBreakBanner      *self)
{
  AckData *d = g_object_steal_data (G_OBJECT (dialog), "ack-data");

  if (d == NULL || self->busy)
    return;
  d->supervisor = vp_staff_copy (supervisor);
  self->busy = TRUE;
  gtk_widget_set_sensitive (self->acknowledge_button, FALSE);
  vp_gui_show_message (self->message_label, _("Working…"), FALSE);
  vp_context_run (self->context, ack_job, d, (GDestroyNotify)ack_data_free,
                  (GDestroyNotify)vp_journal_entry_free, NULL, ack_done, g_object_ref (self));
}

static void
acknowledge_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  VpBreakBanner *self = VP_BREAK_BANNER (widget);
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_entry))));
  g_autoptr(GError) error = NULL;
  g_autofree char *what = NULL;
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (widget));
  VpSupervisorDialog *dialog;
  AckData *d;

  if (self->busy || vp_context_get_journal_break (self->context) == NULL)
    return;
  /* As for a void: the reason is asked first, so the supervisor sees
   * what they approve. */
  if (*reason == '\0')
    {
      vp_gui_show_message (self->message_label,
                           _("Break reason: say why the break is acknowledged"), TRUE);
      gtk_widget_grab_focus (self->reason_entry);
      return;
    }
  if (!vp_validate_note (reason, MAX_REASON_CHARS, &error))
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  vp_gui_show_message (self->message_label, NULL, FALSE);
  /* The supervisor sees what they sign for. */
  what = g_strdup_printf (_("Acknowledge the journal break: “%s”"), reason);
  d = g_new0 (AckData, 1);
  d->reason = g_steal_pointer (&reason);
  dialog = vp_supervisor_dialog_new (parent, self->context, what);
  g_object_set_data_full (G_OBJECT (dialog), "ack-data", d, (GDestroyNotify)ack_data_free);
  g_signal_connect_object (dialog, "approved", G_CALLBACK (supervisor_approved), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
reason_activate (GtkEntry      *entry,
                 VpBreakBanner *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "break.acknowledge", NULL);
}

static void
vp_break_banner_dispose (GObject *object)
{
  VpBreakBanner *self = VP_BREAK_BANNER (object);

  g_clear_object (&self->context);
  G_OBJECT_CLASS (vp_break_banner_parent_class)->dispose (object);
}

static void
vp_break_banner_class_init (VpBreakBannerClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_break_banner_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-break-banner.ui");
  gtk_widget_class_bind_template_child (widget_class, VpBreakBanner, state_label);
  gtk_widget_class_bind_template_child (widget_class, VpBreakBanner, reason_entry);
  gtk_widget_class_bind_template_child (widget_class, VpBreakBanner, acknowledge_button);
  gtk_widget_class_bind_template_child (widget_class, VpBreakBanner, message_label);
  gtk_widget_class_install_action (widget_class, "break.acknowledge", NULL, acknowledge_activated);
}

static void
vp_break_banner_init (VpBreakBanner *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->reason_entry, "activate", G_CALLBACK (reason_activate), self);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

void
vp_break_banner_set_context (VpBreakBanner *self,
                             VpContext     *context)
{
  g_return_if_fail (VP_IS_BREAK_BANNER (self));
  g_return_if_fail (VP_IS_CONTEXT (context));
  g_set_object (&self->context, context);
  g_signal_connect_object (context, "notify::journal-break", G_CALLBACK (break_changed),
                           self, G_CONNECT_SWAPPED);
  break_changed (self);
}
