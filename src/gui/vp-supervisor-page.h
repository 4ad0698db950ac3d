/* vp-supervisor-page.h: the supervisor's tools (issue 11): the day's
 * transactions with receipt detail, reprint and reversal; staff list,
 * add, disable, PIN reset and unlock; past Z reports.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_SUPERVISOR_PAGE (vp_supervisor_page_get_type ())
G_DECLARE_FINAL_TYPE (VpSupervisorPage, vp_supervisor_page, VP, SUPERVISOR_PAGE, GtkBox)

void vp_supervisor_page_set_context (VpSupervisorPage *self,
                                     VpContext        *context);
/* Who works the page: the signed-in supervisor, or the one whose PIN
 * opened it for an operator. Every change is made (and journaled) as
 * them. Refreshes the page. */
void vp_supervisor_page_open        (VpSupervisorPage *self,
                                     const VpStaff    *supervisor);

/* Forgets the supervisor and what was shown (the page is left). */
void vp_supervisor_page_close       (VpSupervisorPage *self);

G_END_DECLS
