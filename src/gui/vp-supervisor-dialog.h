/* vp-supervisor-dialog.h: a supervisor approves with their PIN.
 *
 * Says what is approved (a headline and detail lines). Emits "approved" with the authenticated supervisor (a VpStaff* owned by
 * the dialog; copy it) and closes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_SUPERVISOR_DIALOG (vp_supervisor_dialog_get_type ())
G_DECLARE_FINAL_TYPE (VpSupervisorDialog, vp_supervisor_dialog, VP, SUPERVISOR_DIALOG, GtkWindow)

VpSupervisorDialog *vp_supervisor_dialog_new (GtkWindow  *parent,
                                              VpContext  *context,
                                              const char *what);
/* One line of what is approved (the amount, the reason, the receipt, a
 * shortfall), shown under the headline so the supervisor sees exactly
 * what their PIN signs; the value's accessible name is title. */
void                vp_supervisor_dialog_add_detail (VpSupervisorDialog *self,
                                                     const char         *title,
                                                     const char         *value);

G_END_DECLS
