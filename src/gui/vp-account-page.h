/* vp-account-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_ACCOUNT_PAGE (vp_account_page_get_type ())
G_DECLARE_FINAL_TYPE (VpAccountPage, vp_account_page, VP, ACCOUNT_PAGE, GtkBox)

void vp_account_page_set_context (VpAccountPage *self,
                                  VpContext *context);
void vp_account_page_load (VpAccountPage *self,
                          const char    *number);
/* The account shown, or NULL while loading. */
const VpAccount *vp_account_page_get_account (VpAccountPage *self);

G_END_DECLS
