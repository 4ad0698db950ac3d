/* vp-sync-page.h: the end-of-day sync with HQ (supervisor PIN, progress,
 * outcome per category, HQ's acknowledgement).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_SYNC_PAGE (vp_sync_page_get_type ())
G_DECLARE_FINAL_TYPE (VpSyncPage, vp_sync_page, VP, SYNC_PAGE, GtkBox)

void vp_sync_page_set_context (VpSyncPage *self,
                               VpContext  *context);
void vp_sync_page_refresh     (VpSyncPage *self);

G_END_DECLS
