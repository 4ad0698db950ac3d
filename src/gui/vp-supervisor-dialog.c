/* vp-supervisor-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-supervisor"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "vp-supervisor-dialog.h"
#include "vp-gui-util.h"
#include "vp-keypad.h"

struct _VpSupervisorDialog
{
  GtkWindow  parent_instance;
  GtkLabel  *what_label;
  GtkWidget *details_grid;
  int        n_details;
  GtkWidget *staff_box;
  GtkLabel  *message_label;
  GtkWidget *pin_entry;
  VpKeypad  *keypad;
  GtkWidget *approve_button;

  VpContext *context;
  char      *staff_id;
  gboolean   busy;
  GtkScrolledWindow *scroller;
};

G_DEFINE_FINAL_TYPE (VpSupervisorDialog, vp_supervisor_dialog, GTK_TYPE_WINDOW)

enum { APPROVED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct
{
  char *id;
  char *pin;
} LoginData;

static void
login_data_free (LoginData *d)
{
  g_free (d->id);
  if (d->pin)
    memset (d->pin, 0, strlen (d->pin));
  g_free (d->pin);
  g_free (d);
}

static gpointer
login_job (VpService     *service,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  LoginData *d = data;
  g_autoptr(VpStaff) staff = vp_service_login (service, d->id, d->pin, error);

  if (staff == NULL)
    return NULL;
  if (!vp_staff_require_role (staff, VP_ROLE_SUPERVISOR, _("approve this"), error))
    return NULL;
  return g_steal_pointer (&staff);
}

static gpointer
list_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  return vp_staff_store_list (vp_service_get_database (service), error);
}

static void
staff_clicked (GtkToggleButton    *button,
               VpSupervisorDialog *self)
{
  if (!gtk_toggle_button_get_active (button))
    return;
  g_free (self->staff_id);
  self->staff_id = g_strdup (g_object_get_data (G_OBJECT (button), "staff-id"));
  vp_gui_show_message (self->message_label, NULL, FALSE);
  gtk_widget_grab_focus (self->pin_entry);
}

static void
listed (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(VpSupervisorDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) staff = vp_service_run_finish (VP_SERVICE (source), result, &error);
  GtkToggleButton *first = NULL;

  if (staff == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  for (guint i = 0; i < staff->len; i++)
    {
      VpStaff *s = staff->pdata[i];
      g_autofree char *name = NULL;
      GtkWidget *button;

      if (s->role != VP_ROLE_SUPERVISOR)
        continue;
      name = g_strdup_printf ("%s (%s)", s->name, s->id);
      button = gtk_toggle_button_new_with_label (name);
      gtk_widget_add_css_class (button, "staff-button");
      vp_gui_set_name (button, name);
      g_object_set_data_full (G_OBJECT (button), "staff-id", g_strdup (s->id), g_free);
      if (first == NULL)
        first = GTK_TOGGLE_BUTTON (button);
      else
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), first);
      g_signal_connect (button, "toggled", G_CALLBACK (staff_clicked), self);
      gtk_box_append (GTK_BOX (self->staff_box), button);
    }
  if (first == NULL)
    vp_gui_show_message (self->message_label, _("There is no supervisor in this database"), TRUE);
  else
    gtk_toggle_button_set_active (first, TRUE);
}

static void
login_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VpSupervisorDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = vp_service_run_finish (VP_SERVICE (source), result, &error);

  self->busy = FALSE;
  gtk_widget_set_sensitive (self->approve_button, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  if (staff == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  g_signal_emit (self, signals[APPROVED], 0, staff);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
approve_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  VpSupervisorDialog *self = VP_SUPERVISOR_DIALOG (widget);
  const char *pin = gtk_editable_get_text (GTK_EDITABLE (self->pin_entry));
  LoginData *d;

  if (self->busy)
    return;
  if (self->staff_id == NULL)
    {
      vp_gui_show_message (self->message_label, _("Choose the supervisor first"), TRUE);
      return;
    }
  if (*pin == '\0')
    {
      vp_gui_show_message (self->message_label, _("Enter the supervisor PIN on the keypad"), TRUE);
      return;
    }
  d = g_new0 (LoginData, 1);
  d->id = g_strdup (self->staff_id);
  d->pin = g_strdup (pin);
  self->busy = TRUE;
  gtk_widget_set_sensitive (self->approve_button, FALSE);
  vp_context_run (self->context, login_job, d, (GDestroyNotify)login_data_free,
                  (GDestroyNotify)vp_staff_free, NULL, login_done, g_object_ref (self));
}

static void
pin_activate (GtkWidget          *entry,
              VpSupervisorDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "supervisor.approve", NULL);
}

static void
vp_supervisor_dialog_dispose (GObject *object)
{
  VpSupervisorDialog *self = VP_SUPERVISOR_DIALOG (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->staff_id, g_free);
  G_OBJECT_CLASS (vp_supervisor_dialog_parent_class)->dispose (object);
}

static void
vp_supervisor_dialog_class_init (VpSupervisorDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_supervisor_dialog_dispose;
  signals[APPROVED] = g_signal_new ("approved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  g_type_ensure (VP_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-supervisor-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VpSupervisorDialog, scroller);
  gtk_widget_class_bind_template_child (widget_class, VpSupervisorDialog, what_label);
  gtk_widget_class_bind_template_child (widget_class, VpSupervisorDialog, details_grid);
  gtk_widget_class_bind_template_child (widget_class, VpSupervisorDialog, staff_box);
  gtk_widget_class_bind_template_child (widget_class, VpSupervisorDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpSupervisorDialog, pin_entry);
  gtk_widget_class_bind_template_child (widget_class, VpSupervisorDialog, keypad);
  gtk_widget_class_bind_template_child (widget_class, VpSupervisorDialog, approve_button);
  gtk_widget_class_install_action (widget_class, "supervisor.approve", NULL, approve_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
vp_supervisor_dialog_init (VpSupervisorDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  vp_keypad_set_decimal (self->keypad, FALSE);
  vp_keypad_attach (self->keypad, self->pin_entry);
  g_signal_connect (self->pin_entry, "activate", G_CALLBACK (pin_activate), self);
}

VpSupervisorDialog *
vp_supervisor_dialog_new (GtkWindow  *parent,
                          VpContext  *context,
                          const char *what)
{
  VpSupervisorDialog *self = g_object_new (VP_TYPE_SUPERVISOR_DIALOG,
                                           "transient-for", parent, NULL);

  self->context = g_object_ref (context);
  gtk_label_set_text (self->what_label, what);
  vp_gui_fit_dialog (self->scroller);
  vp_context_run (context, list_job, NULL, NULL, (GDestroyNotify)g_ptr_array_unref,
                  NULL, listed, g_object_ref (self));
  return self;
}

void
vp_supervisor_dialog_add_detail (VpSupervisorDialog *self,
                                 const char         *title,
                                 const char         *value)
{
  g_return_if_fail (VP_IS_SUPERVISOR_DIALOG (self));

  if (value == NULL || *value == '\0')
    return;
  vp_gui_grid_row (self->details_grid, self->n_details++, 0, title, value);
  gtk_widget_set_visible (self->details_grid, TRUE);
}
