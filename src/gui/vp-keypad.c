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
  GtkWidget   *x_button;
  GtkWidget   *letters;  /* A–Z, shown for references */
};

/* Each attached entry carries its mode. */
#define MODE_KEY "vp-keypad-mode"

static VpKeypadMode
target_mode (VpKeypad *self)
{
  if (self->target == NULL)
    return VP_KEYPAD_NUMERIC;
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self->target), MODE_KEY));
}

static GtkWidget *
letter_button (char letter)
{
  char key[2] = { letter, '\0' };
  GtkWidget *button = gtk_button_new_with_label (key);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "keypad.press");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", key);
  gtk_widget_set_focus_on_click (button, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, key, -1);
  return button;
}

/* The X key and the letters are made the first time a target needs
 * them: most keypads (the PIN pad on the sign-in page, amounts) never
 * do, and 27 buttons were a quarter of the sign-in page's build (issue 11).
 * The X key sits above the letters. */
static void
ensure_x_button (VpKeypad *self)
{
  if (self->x_button != NULL)
    return;
  self->x_button = letter_button ('X');
  gtk_widget_set_margin_top (self->x_button, 8);
  if (self->letters != NULL)
    gtk_box_insert_child_after (GTK_BOX (self), self->x_button,
                                gtk_widget_get_prev_sibling (self->letters));
  else
    gtk_box_append (GTK_BOX (self), self->x_button);
}

static void
ensure_letters (VpKeypad *self)
{
  GtkWidget *grid;

  if (self->letters != NULL)
    return;
  grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_row_homogeneous (GTK_GRID (grid), TRUE);
  gtk_grid_set_column_homogeneous (GTK_GRID (grid), TRUE);
  gtk_widget_set_margin_top (grid, 8);
  for (char c = 'A'; c <= 'Z'; c++)
    gtk_grid_attach (GTK_GRID (grid), letter_button (c), (c - 'A') % 7, (c - 'A') / 7, 1, 1);
  self->letters = grid;
  gtk_box_append (GTK_BOX (self), self->letters);
}

/* The keys follow the target: an ID field gets X, a reference the
 * letters, an amount the "." (when decimal). */
static void
update_mode (VpKeypad *self)
{
  VpKeypadMode mode = target_mode (self);
  gboolean dot = self->decimal && mode == VP_KEYPAD_NUMERIC;

  gtk_widget_set_sensitive (self->dot_button, dot);
  gtk_widget_set_opacity (self->dot_button, dot ? 1.0 : 0.0);
  if (mode == VP_KEYPAD_ID)
    ensure_x_button (self);
  if (mode == VP_KEYPAD_ALNUM)
    ensure_letters (self);
  if (self->x_button != NULL)
    gtk_widget_set_visible (self->x_button, mode == VP_KEYPAD_ID);
  if (self->letters != NULL)
    gtk_widget_set_visible (self->letters, mode == VP_KEYPAD_ALNUM);
}

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
  else if (g_str_equal (key, ".") && (!self->decimal || target_mode (self) != VP_KEYPAD_NUMERIC
                                       || strchr (text, '.') != NULL))
    return;
  else if (g_ascii_isalpha (*key) && key[1] == '\0' &&
           !(target_mode (self) == VP_KEYPAD_ALNUM ||
             (target_mode (self) == VP_KEYPAD_ID && *key == 'X')))
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
  update_mode (self);
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
  update_mode (self);
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
  vp_keypad_attach_mode (self, editable, VP_KEYPAD_NUMERIC);
}

void
vp_keypad_attach_mode (VpKeypad     *self,
                       GtkWidget    *editable,
                       VpKeypadMode  mode)
{
  GtkEventController *focus = gtk_event_controller_focus_new ();

  g_return_if_fail (VP_IS_KEYPAD (self));
  g_return_if_fail (GTK_IS_EDITABLE (editable));
  g_object_set_data (G_OBJECT (editable), MODE_KEY, GINT_TO_POINTER (mode));
  g_signal_connect_object (focus, "enter", G_CALLBACK (focus_enter), self, 0);
  gtk_widget_add_controller (editable, focus);
  if (self->target == NULL)
    vp_keypad_set_target (self, GTK_EDITABLE (editable));
}
