/* vp-credit-dialog.h: an account's credit leaves it — moved to another
 * account, refunded in cash, or the account closed with its credit
 * refunded or moved.
 *
 * A supervisor approves (VpSupervisorDialog, saying what is approved)
 * whenever the store needs one: a cash refund, or credit going to
 * another holder's account. On success the dialog toasts, reloads the
 * account page (win.open-account) and closes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

typedef enum
{
  VP_CREDIT_MOVE,
  VP_CREDIT_REFUND,
  VP_CREDIT_CLOSE,
} VpCreditAction;

#define VP_TYPE_CREDIT_DIALOG (vp_credit_dialog_get_type ())
G_DECLARE_FINAL_TYPE (VpCreditDialog, vp_credit_dialog, VP, CREDIT_DIALOG, GtkWindow)

VpCreditDialog *vp_credit_dialog_new (GtkWindow       *parent,
                                      VpContext       *context,
                                      VpCreditAction   action,
                                      const VpAccount *account);

G_END_DECLS
