/* vp-cash-store.h: cash movements in a shift that are not sales.
 *
 * A cash drop to the safe, a paid-in and a paid-out each need a reason
 * and a supervisor; each is its own journal kind with its rule in
 * src/core/vp-journal-ledger.c and counts in the expected cash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

typedef enum
{
  VP_CASH_DROP,
  VP_CASH_PAID_IN,
  VP_CASH_PAID_OUT,
} VpCashMovement;

const char     *vp_cash_movement_to_kind    (VpCashMovement movement);
gboolean        vp_cash_movement_from_string (const char     *str,
                                              VpCashMovement *out);

/* Needs a supervisor, an open shift, 0 < amount <= the transaction
 * limit and a reason; a drop or paid-out cannot take more than the
 * cash expected in the drawer (VP_STORE_ERROR_INSUFFICIENT). */
VpJournalEntry *vp_cash_store_move (VpDatabase     *db,
                                    const VpStaff  *supervisor,
                                    VpCashMovement  movement,
                                    VpMoney         amount,
                                    const char     *reason,
                                    GError        **error);

G_END_DECLS
