/* vp-open-account-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_OPEN_ACCOUNT_PAGE (vp_open_account_page_get_type ())
G_DECLARE_FINAL_TYPE (VpOpenAccountPage, vp_open_account_page, VP, OPEN_ACCOUNT_PAGE, GtkBox)

void vp_open_account_page_set_context (VpOpenAccountPage *self,
                                       VpContext *context);
void vp_open_account_page_reset (VpOpenAccountPage *self);

G_END_DECLS
