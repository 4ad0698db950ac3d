/* vp-keypad.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-keypad"

#include "config.h"

#include <string.h>

#include "vp-keypad.h"

struct _VpKeypad
{
  GtkBox       parent_instance;
  GtkWidget   *dot_button;
  GtkEditable *target;   /* weak */
  gboolean     decimal;
};

G_DEFINE_FINAL_TYPE (VpKeypad, vp_keypad, GTK_TYPE_BOX)

static void
press_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  VpKeypad *self = VP_KEYPAD (widget);
  const char *key = g_variant_get_string (param, NULL);
  g_autofree char *text = NULL;
  gsize len;

  if (self->target == NULL)
    return;
  text = g_strdup (gtk_editable_get_text (self->target));
  len = strlen (text);

  if (g_str_equal (key, "clear"))
    gtk_editable_set_text (self->target, "");
  else if (g_str_equal (key, "back"))
    {
      if (len > 0)
        {
          /* Drop the last character, not the last byte. */
          char *last = g_utf8_find_prev_char (text, text + len);
          *last = '\0';
          gtk_editable_set_text (self->target, text);
        }
    }
  else if (g_str_equal (key, ".") && (!self->decimal || strchr (text, '.') != NULL))
    return;
  else
    {
      g_autofree char *next = g_strconcat (text, key, NULL);
      gtk_editable_set_text (self->target, next);
    }
  gtk_editable_set_position (self->target, -1);
}

static void
target_weak_notify (gpointer  data,
                    GObject  *where)
{
  VP_KEYPAD (data)->target = NULL;
}

static void
vp_keypad_dispose (GObject *object)
{
  VpKeypad *self = VP_KEYPAD (object);

  if (self->target)
    g_object_weak_unref (G_OBJECT (self->target), target_weak_notify, self);
  self->target = NULL;
  G_OBJECT_CLASS (vp_keypad_parent_class)->dispose (object);
}

static void
vp_keypad_class_init (VpKeypadClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_keypad_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-keypad.ui");
  gtk_widget_class_bind_template_child (widget_class, VpKeypad, dot_button);
  gtk_widget_class_install_action (widget_class, "keypad.press", "s", press_activated);
}

static void
vp_keypad_init (VpKeypad *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  vp_keypad_set_decimal (self, TRUE);
}

void
vp_keypad_set_target (VpKeypad    *self,
                      GtkEditable *target)
{
  g_return_if_fail (VP_IS_KEYPAD (self));
  if (self->target == target)
    return;
  if (self->target)
    g_object_weak_unref (G_OBJECT (self->target), target_weak_notify, self);
  self->target = target;
  if (target)
    g_object_weak_ref (G_OBJECT (target), target_weak_notify, self);
}

GtkEditable *
vp_keypad_get_target (VpKeypad *self)
{
  g_return_val_if_fail (VP_IS_KEYPAD (self), NULL);
  return self->target;
}

void
vp_keypad_set_decimal (VpKeypad *self,
                       gboolean  decimal)
{
  g_return_if_fail (VP_IS_KEYPAD (self));
  self->decimal = decimal;
  gtk_widget_set_sensitive (self->dot_button, decimal);
  gtk_widget_set_opacity (self->dot_button, decimal ? 1.0 : 0.0);
}

static void
focus_enter (GtkEventControllerFocus *controller,
             VpKeypad                *self)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));

  vp_keypad_set_target (self, GTK_EDITABLE (widget));
}

void
vp_keypad_attach (VpKeypad  *self,
                  GtkWidget *editable)
{
  GtkEventController *focus = gtk_event_controller_focus_new ();

  g_return_if_fail (VP_IS_KEYPAD (self));
  g_return_if_fail (GTK_IS_EDITABLE (editable));
  g_signal_connect_object (focus, "enter", G_CALLBACK (focus_enter), self, 0);
  gtk_widget_add_controller (editable, focus);
  if (self->target == NULL)
    vp_keypad_set_target (self, GTK_EDITABLE (editable));
}
