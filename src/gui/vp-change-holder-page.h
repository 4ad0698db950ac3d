/* vp-change-holder-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_CHANGE_HOLDER_PAGE (vp_change_holder_page_get_type ())
G_DECLARE_FINAL_TYPE (VpChangeHolderPage, vp_change_holder_page, VP, CHANGE_HOLDER_PAGE, GtkBox)

void vp_change_holder_page_set_context (VpChangeHolderPage *self,
                                        VpContext *context);
void vp_change_holder_page_load (VpChangeHolderPage *self,
                                const char         *number);

G_END_DECLS
