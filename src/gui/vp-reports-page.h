/* vp-reports-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_REPORTS_PAGE (vp_reports_page_get_type ())
G_DECLARE_FINAL_TYPE (VpReportsPage, vp_reports_page, VP, REPORTS_PAGE, GtkBox)

void vp_reports_page_set_context (VpReportsPage *self,
                                  VpContext *context);
void vp_reports_page_refresh (VpReportsPage *self);

G_END_DECLS
