/* vp-break-banner.h: the journal break that blocks money, and a
 * supervisor's acknowledgement of it (DESIGN §4–5).
 *
 * Shown while the context has a journal break: one line saying what is
 * wrong and that no money can be taken, a reason entry and
 * "Acknowledge (supervisor)".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_BREAK_BANNER (vp_break_banner_get_type ())
G_DECLARE_FINAL_TYPE (VpBreakBanner, vp_break_banner, VP, BREAK_BANNER, GtkBox)

void vp_break_banner_set_context (VpBreakBanner *self,
                                  VpContext     *context);

G_END_DECLS
