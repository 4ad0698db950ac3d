/* vp-bill-store.h: paying post-paid bills.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

/* Pays open bills oldest first; what is left becomes account credit.
 * Partial payment of a bill is allowed and shown in the payload. The
 * account's existing credit is not touched. Needs an open shift. */
VpJournalEntry *vp_bill_store_pay (VpDatabase      *db,
                                   const VpStaff   *staff,
                                   const char      *number,
                                   VpMoney          amount,
                                   VpPaymentMethod  method,
                                   const char      *reference,
                                   GError         **error);

/* A cash payment recording the cash tendered and the change (tendered
 * − amount); tendered below the amount is refused. */
VpJournalEntry *vp_bill_store_pay_tendered (VpDatabase    *db,
                                            const VpStaff *staff,
                                            const char    *number,
                                            VpMoney        amount,
                                            VpMoney        tendered,
                                            GError       **error);

G_END_DECLS
