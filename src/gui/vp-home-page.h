/* vp-home-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_HOME_PAGE (vp_home_page_get_type ())
G_DECLARE_FINAL_TYPE (VpHomePage, vp_home_page, VP, HOME_PAGE, GtkBox)

void vp_home_page_set_context (VpHomePage *self,
                               VpContext *context);
void vp_home_page_refresh (VpHomePage *self);

G_END_DECLS
