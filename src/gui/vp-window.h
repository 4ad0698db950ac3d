/* vp-window.h: the one window; navigation between the screens.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_WINDOW (vp_window_get_type ())
G_DECLARE_FINAL_TYPE (VpWindow, vp_window, VP, WINDOW, AdwApplicationWindow)

VpWindow *vp_window_new        (gpointer      application,
                                VpContext    *context);
void      vp_window_show_error (VpWindow     *self,
                                const GError *error);
void      vp_window_show_login (VpWindow     *self);
/* "Checking the database…" while it opens. */
void      vp_window_show_opening (VpWindow   *self,
                                  const char *path);
/* A line on the sign-in screen (e.g. top-ups resolved at start). */
void      vp_window_show_notice (VpWindow   *self,
                                 const char *text);
void      vp_window_toast      (VpWindow     *self,
                                const char   *text);

G_END_DECLS
