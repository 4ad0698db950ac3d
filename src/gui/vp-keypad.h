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
/* Makes editable the target whenever it gets the focus. */
void vp_keypad_attach          (VpKeypad    *self,
                                GtkWidget   *editable);

G_END_DECLS
