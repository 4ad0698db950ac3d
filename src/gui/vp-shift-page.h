/* vp-shift-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_SHIFT_PAGE (vp_shift_page_get_type ())
G_DECLARE_FINAL_TYPE (VpShiftPage, vp_shift_page, VP, SHIFT_PAGE, GtkBox)

void vp_shift_page_set_context (VpShiftPage *self,
                                VpContext *context);
void vp_shift_page_refresh (VpShiftPage *self);

G_END_DECLS
