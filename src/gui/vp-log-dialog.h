/* vp-log-dialog.h: consultation / home visit in two taps and a note.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

#define VP_TYPE_LOG_DIALOG (vp_log_dialog_get_type ())
G_DECLARE_FINAL_TYPE (VpLogDialog, vp_log_dialog, VP, LOG_DIALOG, GtkWindow)

VpLogDialog *vp_log_dialog_new (GtkWindow  *parent,
                                VpContext  *context,
                                VpLogKind   kind,
                                const char *number);

G_END_DECLS
