/* vp-settings-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_SETTINGS_PAGE (vp_settings_page_get_type ())
G_DECLARE_FINAL_TYPE (VpSettingsPage, vp_settings_page, VP, SETTINGS_PAGE, GtkBox)

void vp_settings_page_set_context (VpSettingsPage *self,
                                   VpContext *context);
void vp_settings_page_refresh (VpSettingsPage *self);

G_END_DECLS
