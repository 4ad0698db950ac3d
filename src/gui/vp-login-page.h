/* vp-login-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_LOGIN_PAGE (vp_login_page_get_type ())
G_DECLARE_FINAL_TYPE (VpLoginPage, vp_login_page, VP, LOGIN_PAGE, GtkBox)

void vp_login_page_set_context (VpLoginPage *self,
                                VpContext *context);
void vp_login_page_reset (VpLoginPage *self);
/* A line shown above the keypad until the next sign-in (e.g. why it locked). */
void vp_login_page_set_notice (VpLoginPage *self,
                               const char  *text);

G_END_DECLS
