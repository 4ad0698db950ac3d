/* vp-search-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_SEARCH_PAGE (vp_search_page_get_type ())
G_DECLARE_FINAL_TYPE (VpSearchPage, vp_search_page, VP, SEARCH_PAGE, GtkBox)

void vp_search_page_set_context (VpSearchPage *self,
                                 VpContext *context);
void vp_search_page_focus (VpSearchPage *self);

G_END_DECLS
