/* vp-log-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-log-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-log-dialog.h"
#include "vp-gui-util.h"

struct _VpLogDialog
{
  GtkWindow  parent_instance;
  GtkLabel  *title_label;
  GtkWidget *topics_box;
  GtkWidget *note_entry;
  GtkLabel  *message_label;
  GtkWidget *save_button;

  VpContext *context;
  VpLogKind  kind;
  char      *number;
  GPtrArray *chips;
  gboolean   busy;
};

G_DEFINE_FINAL_TYPE (VpLogDialog, vp_log_dialog, GTK_TYPE_WINDOW)

/* The topic is stored as the untranslated key so reports group it. */
static const char * const consultation_topics[] = {
  N_("Bill query"), N_("Tariff question"), N_("Meter problem"),
  N_("Card problem"), N_("Safety"), N_("Other"), NULL
};
static const char * const visit_topics[] = {
  N_("Wellbeing check"), N_("Meter reading"), N_("Safety"), N_("Other"), NULL
};

typedef struct
{
  VpStaff  *staff;
  VpLogKind kind;
  char     *number;
  char     *topic;
  char     *note;
} LogData;

static void
log_data_free (LogData *d)
{
  g_clear_pointer (&d->staff, vp_staff_free);
  g_free (d->number);
  g_free (d->topic);
  g_free (d->note);
  g_free (d);
}

static gpointer
log_job (VpService     *service,
         gpointer       data,
         GCancellable  *cancellable,
         GError       **error)
{
  LogData *d = data;

  return vp_service_log (service, d->staff, d->kind, d->number, d->topic, d->note, error);
}

static void
log_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(VpLogDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = vp_service_run_finish (VP_SERVICE (source), result, &error);
  GtkWindow *parent;

  self->busy = FALSE;
  gtk_widget_set_sensitive (self->save_button, TRUE);
  if (entry == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (parent)
    {
      g_autofree char *receipt = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
      g_autofree char *text = g_strdup_printf (self->kind == VP_LOG_VISIT
                                               ? _("Home visit logged (%s)")
                                               : _("Consultation logged (%s)"), receipt);
      gtk_widget_activate_action (GTK_WIDGET (parent), "win.toast", "s", text);
      /* Reload the account page so the history shows it. */
      gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-account", "s", self->number);
    }
  vp_context_emit_changed (self->context);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  VpLogDialog *self = VP_LOG_DIALOG (widget);
  const char * const *topics = self->kind == VP_LOG_VISIT ? visit_topics : consultation_topics;
  const char *note = gtk_editable_get_text (GTK_EDITABLE (self->note_entry));
  g_autoptr(GError) error = NULL;
  const char *topic = NULL;
  LogData *d;

  if (self->busy)
    return;
  for (guint i = 0; i < self->chips->len; i++)
    if (gtk_toggle_button_get_active (self->chips->pdata[i]))
      topic = topics[i];
  if (topic == NULL)
    {
      vp_gui_show_message (self->message_label, _("Tap a topic first"), TRUE);
      return;
    }
  if (!vp_validate_note (note, 500, &error))
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  d = g_new0 (LogData, 1);
  d->staff = vp_context_dup_staff (self->context);
  d->kind = self->kind;
  d->number = g_strdup (self->number);
  d->topic = g_strdup (topic);
  /* Two taps: without a note the topic itself is the note. */
  d->note = g_strstrip (g_strdup (*note ? note : _(topic)));
  self->busy = TRUE;
  gtk_widget_set_sensitive (self->save_button, FALSE);
  vp_context_run (self->context, log_job, d, (GDestroyNotify)log_data_free,
                  (GDestroyNotify)vp_journal_entry_free, NULL, log_done, g_object_ref (self));
}

static void
note_activate (GtkEntry    *entry,
               VpLogDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "log.save", NULL);
}

static void
vp_log_dialog_dispose (GObject *object)
{
  VpLogDialog *self = VP_LOG_DIALOG (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->number, g_free);
  g_clear_pointer (&self->chips, g_ptr_array_unref);
  G_OBJECT_CLASS (vp_log_dialog_parent_class)->dispose (object);
}

static void
vp_log_dialog_class_init (VpLogDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_log_dialog_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-log-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VpLogDialog, title_label);
  gtk_widget_class_bind_template_child (widget_class, VpLogDialog, topics_box);
  gtk_widget_class_bind_template_child (widget_class, VpLogDialog, note_entry);
  gtk_widget_class_bind_template_child (widget_class, VpLogDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpLogDialog, save_button);
  gtk_widget_class_install_action (widget_class, "log.save", NULL, save_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
vp_log_dialog_init (VpLogDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->chips = g_ptr_array_new ();
}

VpLogDialog *
vp_log_dialog_new (GtkWindow  *parent,
                   VpContext  *context,
                   VpLogKind   kind,
                   const char *number)
{
  VpLogDialog *self = g_object_new (VP_TYPE_LOG_DIALOG, "transient-for", parent, NULL);
  const char * const *topics = kind == VP_LOG_VISIT ? visit_topics : consultation_topics;
  const char *title = kind == VP_LOG_VISIT ? _("Log home visit") : _("Log consultation");
  g_autofree char *heading = g_strdup_printf ("%s — %s", title, number);
  GtkToggleButton *first = NULL;

  self->context = g_object_ref (context);
  self->kind = kind;
  self->number = g_strdup (number);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->title_label, heading);
  for (guint i = 0; topics[i]; i++)
    {
      GtkWidget *chip = gtk_toggle_button_new_with_label (_(topics[i]));

      gtk_widget_add_css_class (chip, "chip");
      vp_gui_set_name (chip, _(topics[i]));
      if (first == NULL)
        first = GTK_TOGGLE_BUTTON (chip);
      else
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (chip), first);
      gtk_flow_box_append (GTK_FLOW_BOX (self->topics_box), chip);
      g_ptr_array_add (self->chips, chip);
    }
  g_signal_connect (self->note_entry, "activate", G_CALLBACK (note_activate), self);
  return self;
}

void
vp_log_draft_free (VpLogDraft *draft)
{
  if (draft == NULL)
    return;
  g_free (draft->number);
  g_free (draft->note);
  g_free (draft);
}

VpLogDraft *
vp_log_dialog_dup_draft (VpLogDialog *self)
{
  VpLogDraft *draft;

  g_return_val_if_fail (VP_IS_LOG_DIALOG (self), NULL);
  draft = g_new0 (VpLogDraft, 1);
  draft->kind = self->kind;
  draft->number = g_strdup (self->number);
  draft->topic = -1;
  for (guint i = 0; i < self->chips->len; i++)
    if (gtk_toggle_button_get_active (self->chips->pdata[i]))
      draft->topic = (int)i;
  draft->note = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->note_entry)));
  return draft;
}

VpLogDialog *
vp_log_dialog_new_from_draft (GtkWindow        *parent,
                              VpContext        *context,
                              const VpLogDraft *draft)
{
  VpLogDialog *self = vp_log_dialog_new (parent, context, draft->kind, draft->number);

  if (draft->topic >= 0 && (guint)draft->topic < self->chips->len)
    gtk_toggle_button_set_active (self->chips->pdata[draft->topic], TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->note_entry), draft->note);
  gtk_editable_set_position (GTK_EDITABLE (self->note_entry), -1);
  return self;
}
