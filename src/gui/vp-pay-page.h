/* vp-pay-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_PAY_PAGE (vp_pay_page_get_type ())
G_DECLARE_FINAL_TYPE (VpPayPage, vp_pay_page, VP, PAY_PAGE, GtkBox)

void vp_pay_page_set_context (VpPayPage *self,
                              VpContext *context);
void vp_pay_page_load (VpPayPage  *self,
                      const char *number);

G_END_DECLS
