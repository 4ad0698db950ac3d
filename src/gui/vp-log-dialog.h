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

/* What was typed in a log dialog, kept across an idle lock. */
typedef struct
{
  VpLogKind kind;
  char     *number;
  int       topic;   /* index of the chosen chip, -1 for none */
  char     *note;
} VpLogDraft;

void         vp_log_draft_free         (VpLogDraft  *draft);
VpLogDraft  *vp_log_dialog_dup_draft   (VpLogDialog *self);
VpLogDialog *vp_log_dialog_new_from_draft (GtkWindow        *parent,
                                           VpContext        *context,
                                           const VpLogDraft *draft);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpLogDraft, vp_log_draft_free)

G_END_DECLS
