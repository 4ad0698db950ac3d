/* vp-topup-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_TOPUP_PAGE (vp_topup_page_get_type ())
G_DECLARE_FINAL_TYPE (VpTopupPage, vp_topup_page, VP, TOPUP_PAGE, GtkBox)

void vp_topup_page_set_context (VpTopupPage *self,
                                VpContext *context);
void vp_topup_page_load (VpTopupPage *self,
                        const char  *number);

G_END_DECLS
