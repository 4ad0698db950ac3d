/* vp-form-field.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-form"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-form-field.h"
#include "vp-gui-util.h"

void
vp_form_field_set_error (VpFormField *field,
                         const char  *message)
{
  gboolean show = message != NULL && *message != '\0';

  gtk_label_set_text (field->message, show ? message : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (field->message),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, show ? message : "", -1);
  gtk_widget_set_visible (GTK_WIDGET (field->message), show);
  if (show)
    gtk_widget_add_css_class (field->entry, "error");
  else
    gtk_widget_remove_css_class (field->entry, "error");
}

gboolean
vp_form_field_check (VpFormField *field)
{
  g_autofree char *text = vp_form_field_dup_text (field);
  g_autoptr(GError) error = NULL;

  if (*text == '\0')
    {
      if (field->optional)
        {
          vp_form_field_set_error (field, NULL);
          return TRUE;
        }
      vp_form_field_set_error (field, field->touched ? _("Required") : NULL);
      return FALSE;
    }
  if (field->validate && !field->validate (text, &error))
    {
      vp_form_field_set_error (field, error->message);
      return FALSE;
    }
  vp_form_field_set_error (field, NULL);
  return TRUE;
}

static void
entry_changed (GtkEditable *editable,
               VpFormField *field)
{
  vp_form_field_check (field);
}

VpFormField *
vp_form_field_add (GtkWidget       *grid,
                   int              row,
                   const char      *title,
                   const char      *placeholder,
                   VpFieldValidate  validate,
                   gboolean         optional)
{
  VpFormField *field = g_new0 (VpFormField, 1);
  GtkWidget *label = gtk_label_new (title);
  g_autofree char *message_name = g_strdup_printf (_("%s message"), title);

  field->validate = validate;
  field->optional = optional;
  field->entry = gtk_entry_new ();
  field->message = GTK_LABEL (gtk_label_new (NULL));

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "field-title");
  gtk_widget_set_hexpand (field->entry, TRUE);
  if (placeholder)
    gtk_entry_set_placeholder_text (GTK_ENTRY (field->entry), placeholder);
  vp_gui_set_name (field->entry, title);
  gtk_label_set_xalign (field->message, 0);
  gtk_label_set_wrap (field->message, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (field->message), "field-error");
  gtk_widget_set_visible (GTK_WIDGET (field->message), FALSE);
  vp_gui_set_name (GTK_WIDGET (field->message), message_name);

  /* Title above the entry: the form must fit 1024 px beside a keypad. */
  gtk_widget_set_margin_top (label, 6);
  gtk_grid_attach (GTK_GRID (grid), label, 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), field->entry, 0, row + 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (field->message), 0, row + 2, 1, 1);
  g_signal_connect (field->entry, "changed", G_CALLBACK (entry_changed), field);
  return field;
}

void
vp_form_field_reset (VpFormField *field)
{
  field->touched = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (field->entry), "");
  vp_form_field_set_error (field, NULL);
}

char *
vp_form_field_dup_text (VpFormField *field)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (field->entry))));
}
