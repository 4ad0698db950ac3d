/* vp-form-field.h: a labelled entry with its validation message under it,
 * for the account forms (not a widget of its own: three children of a grid).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef gboolean (*VpFieldValidate) (const char  *text,
                                     GError     **error);

typedef struct
{
  GtkWidget      *entry;
  GtkLabel       *message;
  VpFieldValidate validate;
  gboolean        optional;   /* empty is fine */
  gboolean        touched;    /* show "required" only after a submit */
} VpFormField;

/* Adds title, entry and message at rows row, row+1, row+2 of grid. */
VpFormField *vp_form_field_add     (GtkWidget       *grid,
                                    int              row,
                                    const char      *title,
                                    const char      *placeholder,
                                    VpFieldValidate  validate,
                                    gboolean         optional);
/* Validates and shows the message; returns TRUE when valid. */
gboolean     vp_form_field_check   (VpFormField     *field);
/* Shows an outside message (e.g. the store's) on the field. */
void         vp_form_field_set_error (VpFormField   *field,
                                      const char    *message);
void         vp_form_field_reset   (VpFormField     *field);
/* The text, stripped; owned by the caller. */
char        *vp_form_field_dup_text (VpFormField    *field);

G_END_DECLS
