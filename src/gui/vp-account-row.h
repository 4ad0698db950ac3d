/* vp-account-row.h: one search result (a big button).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-store.h"

G_BEGIN_DECLS

#define VP_TYPE_ACCOUNT_ROW (vp_account_row_get_type ())
G_DECLARE_FINAL_TYPE (VpAccountRow, vp_account_row, VP, ACCOUNT_ROW, GtkBox)

GtkWidget *vp_account_row_new         (void);
/* account may be NULL (row being recycled). Copies what it shows. */
void       vp_account_row_set_account (VpAccountRow    *self,
                                       const VpAccount *account);

G_END_DECLS
