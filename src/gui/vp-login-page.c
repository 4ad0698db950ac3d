/* vp-login-page.c: staff buttons and a PIN keypad.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-login"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "vp-login-page.h"
#include "vp-gui-util.h"
#include "vp-keypad.h"

struct _VpLoginPage
{
  GtkBox       parent_instance;
  GtkWidget   *staff_box;
  GtkLabel    *selected_label;
  GtkWidget   *pin_entry;
  VpKeypad    *keypad;
  GtkWidget   *sign_in_button;
  GtkLabel    *message_label;

  VpContext   *context;
  char        *staff_id;
  gboolean     busy;
  gboolean     painted;    /* the first paint is watched for */
};

G_DEFINE_FINAL_TYPE (VpLoginPage, vp_login_page, GTK_TYPE_BOX)

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

  return vp_service_login (service, d->id, d->pin, error);
}

static gpointer
list_staff_job (VpService     *service,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  return vp_staff_store_list (vp_service_get_database (service), error);
}

static void
staff_clicked (GtkButton   *button,
               VpLoginPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (button), "staff-id");
  const char *name = g_object_get_data (G_OBJECT (button), "staff-name");
  g_autofree char *text = g_strdup_printf (_("PIN for %s"), name);

  g_free (self->staff_id);
  self->staff_id = g_strdup (id);
  gtk_label_set_text (self->selected_label, text);
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  vp_gui_show_message (self->message_label, NULL, FALSE);
  gtk_widget_grab_focus (self->pin_entry);
}

/* The first paint of the staff buttons: the sign-in page is usable. */
static void
first_painted (GdkFrameClock *clock,
               VpLoginPage   *self)
{
  g_signal_handlers_disconnect_by_func (clock, first_painted, self);
  /* VANPOS_PRINT_STARTUP_TIME=1 (bench/start-bench): CLOCK_MONOTONIC is
   * the same clock in every process; the bench subtracts the time it
   * spawned the app. */
  if (g_getenv ("VANPOS_PRINT_STARTUP_TIME") != NULL)
    {
      printf ("vanpos: sign-in usable at %" G_GINT64_FORMAT " us (monotonic)\n",
              g_get_monotonic_time ());
      fflush (stdout);
    }
  /* Only now: the check reads the whole file (DESIGN §5). */
  vp_context_check_integrity (self->context);
}

static void watch_first_paint (VpLoginPage *self);

static void
first_mapped (GtkWidget   *widget,
              VpLoginPage *self)
{
  g_signal_handlers_disconnect_by_func (widget, first_mapped, self);
  watch_first_paint (self);
}

static void
watch_first_paint (VpLoginPage *self)
{
  GdkFrameClock *clock;

  if (self->painted)
    return;
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
  if (clock == NULL)
    {
      /* Filled before it is on screen (the crew comes with the
       * database): watch from when it is. */
      if (!g_signal_handler_find (self, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA, 0, 0, NULL,
                                  first_mapped, self))
        g_signal_connect (self, "map", G_CALLBACK (first_mapped), self);
      return;
    }
  self->painted = TRUE;
  g_signal_connect_object (clock, "after-paint", G_CALLBACK (first_painted), self, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* One button per staff member; error: why there is none. */
static void
show_staff (VpLoginPage  *self,
            GPtrArray    *staff,
            const GError *error)
{
  vp_gui_clear_box (self->staff_box);
  if (staff == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      watch_first_paint (self);
      return;
    }
  if (staff->len == 0)
    vp_gui_show_message (self->message_label,
                         _("No staff in this database yet. Add staff with vanpos-cli staff add."),
                         TRUE);
  for (guint i = 0; i < staff->len; i++)
    {
      VpStaff *s = staff->pdata[i];
      g_autofree char *markup = NULL;
      g_autofree char *name = g_strdup_printf ("%s (%s)", s->name, s->id);
      GtkWidget *button = gtk_button_new ();
      GtkWidget *label = gtk_label_new (NULL);

      markup = g_markup_printf_escaped ("%s\n<small>%s · %s</small>", s->name,
                                        vp_gui_role_label (s->role), s->id);
      gtk_label_set_markup (GTK_LABEL (label), markup);
      gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
      gtk_button_set_child (GTK_BUTTON (button), label);
      gtk_widget_add_css_class (button, "staff-button");
      vp_gui_set_name (button, name);
      g_object_set_data_full (G_OBJECT (button), "staff-id", g_strdup (s->id), g_free);
      g_object_set_data_full (G_OBJECT (button), "staff-name", g_strdup (s->name), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (staff_clicked), self);
      gtk_box_append (GTK_BOX (self->staff_box), button);
    }
  watch_first_paint (self);
}

static void
staff_listed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(VpLoginPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) staff = vp_service_run_finish (VP_SERVICE (source), result, &error);

  show_staff (self, staff, error);
}

static void
login_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VpLoginPage) self = user_data;
  g_autoptr(GError) error = NULL;
  VpStaff *staff = vp_service_run_finish (VP_SERVICE (source), result, &error);

  self->busy = FALSE;
  gtk_widget_set_sensitive (self->sign_in_button, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  if (staff == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      gtk_widget_grab_focus (self->pin_entry);
      return;
    }
  vp_gui_show_message (self->message_label, NULL, FALSE);
  vp_context_set_staff (self->context, staff);
}

static void
sign_in_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  VpLoginPage *self = VP_LOGIN_PAGE (widget);
  const char *pin = gtk_editable_get_text (GTK_EDITABLE (self->pin_entry));
  LoginData *d;

  if (self->busy)
    return;
  if (self->staff_id == NULL)
    {
      vp_gui_show_message (self->message_label, _("Choose your name first"), TRUE);
      return;
    }
  if (*pin == '\0')
    {
      vp_gui_show_message (self->message_label, _("Enter your PIN on the keypad"), TRUE);
      return;
    }
  d = g_new0 (LoginData, 1);
  d->id = g_strdup (self->staff_id);
  d->pin = g_strdup (pin);
  self->busy = TRUE;
  gtk_widget_set_sensitive (self->sign_in_button, FALSE);
  vp_gui_show_message (self->message_label, _("Checking…"), FALSE);
  vp_context_run (self->context, login_job, d, (GDestroyNotify)login_data_free,
                  (GDestroyNotify)vp_staff_free, NULL, login_done, g_object_ref (self));
}

static void
pin_activate (GtkWidget   *entry,
              VpLoginPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "login.sign-in", NULL);
}

static void
vp_login_page_dispose (GObject *object)
{
  VpLoginPage *self = VP_LOGIN_PAGE (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->staff_id, g_free);
  G_OBJECT_CLASS (vp_login_page_parent_class)->dispose (object);
}

static void
vp_login_page_class_init (VpLoginPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_login_page_dispose;
  g_type_ensure (VP_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-login-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpLoginPage, staff_box);
  gtk_widget_class_bind_template_child (widget_class, VpLoginPage, selected_label);
  gtk_widget_class_bind_template_child (widget_class, VpLoginPage, pin_entry);
  gtk_widget_class_bind_template_child (widget_class, VpLoginPage, keypad);
  gtk_widget_class_bind_template_child (widget_class, VpLoginPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, VpLoginPage, message_label);
  gtk_widget_class_install_action (widget_class, "login.sign-in", NULL, sign_in_activated);
}

static void
vp_login_page_init (VpLoginPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  vp_keypad_set_decimal (self->keypad, FALSE);
  vp_keypad_attach (self->keypad, self->pin_entry);
  g_signal_connect (self->pin_entry, "activate", G_CALLBACK (pin_activate), self);
}

void
vp_login_page_set_context (VpLoginPage *self,
                           VpContext   *context)
{
  g_set_object (&self->context, context);
}

void
vp_login_page_reset (VpLoginPage *self)
{
  g_autoptr(GPtrArray) staff = NULL;

  g_return_if_fail (VP_IS_LOGIN_PAGE (self));
  g_clear_pointer (&self->staff_id, g_free);
  vp_gui_show_message (self->message_label, NULL, FALSE);
  gtk_label_set_text (self->selected_label, _("Choose your name first"));
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  if (vp_context_get_service (self->context) == NULL)
    return;
  staff = vp_context_take_opening_staff (self->context);
  if (staff != NULL)
    {
      show_staff (self, staff, NULL);
      return;
    }
  vp_context_run (self->context, list_staff_job, NULL, NULL,
                  (GDestroyNotify)g_ptr_array_unref, NULL, staff_listed, g_object_ref (self));
}

void
vp_login_page_set_notice (VpLoginPage *self,
                          const char  *text)
{
  g_return_if_fail (VP_IS_LOGIN_PAGE (self));
  vp_gui_show_message (self->message_label, text, FALSE);
}
