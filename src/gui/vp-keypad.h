/* vp-keypad.h: the on-screen numeric keypad.
 *
 * Types into a target GtkEditable (a PIN field, an amount, a reading), so
 * the hardware keyboard and the keypad edit the same text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VP_TYPE_KEYPAD (vp_keypad_get_type ())
G_DECLARE_FINAL_TYPE (VpKeypad, vp_keypad, VP, KEYPAD, GtkBox)

void vp_keypad_set_target      (VpKeypad    *self,
                                GtkEditable *target);
GtkEditable *vp_keypad_get_target (VpKeypad *self);
/* Shows the "." key (amounts, volumes); PINs have none. */
void vp_keypad_set_decimal     (VpKeypad    *self,
                                gboolean     decimal);
/* What the keypad offers while an entry is its target. */
typedef enum
{
  VP_KEYPAD_NUMERIC,   /* digits (and "." when decimal) */
  VP_KEYPAD_ID,        /* digits and X: resident ID numbers end in X */
  VP_KEYPAD_ALNUM,     /* digits and A–Z: payment references */
} VpKeypadMode;

/* Makes editable the target whenever it gets the focus. */
void vp_keypad_attach          (VpKeypad    *self,
                                GtkWidget   *editable);
/* The same, with the keys editable needs while it is the target. */
void vp_keypad_attach_mode     (VpKeypad     *self,
                                GtkWidget    *editable,
                                VpKeypadMode  mode);

G_END_DECLS
