/* vp-bill-store.h: paying post-paid bills.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

/* An account's position before a payment (DESIGN §3): its credit pays
 * the oldest open bills first; due is what is left to pay in money. */
typedef struct
{
  VpMoney arrears;         /* open bills */
  VpMoney credit;          /* account credit (balance) */
  VpMoney credit_applied;  /* min (credit, arrears) */
  VpMoney due;             /* arrears - credit_applied: the net to pay */
  VpMoney credit_left;     /* credit - credit_applied */
} VpPosition;

void     vp_position_compute            (VpMoney     arrears,
                                         VpMoney     credit,
                                         VpPosition *out);
gboolean vp_bill_store_position         (VpDatabase  *db,
                                         const char  *number,
                                         VpPosition  *out,
                                         GError     **error);

/* Takes amount (> 0) in money. The account's credit is applied to its
 * oldest open bills first (payload credit_applied, bills[].from_credit),
 * then the money pays what is still due, oldest first; partial payment of
 * a bill is allowed and shown. Money beyond the net due (an amount larger
 * than arrears - credit) becomes credit (to_credit): the account never
 * ends with both arrears and credit. "amount" is the money taken, what
 * the drawer counts. Needs an open shift. */
VpJournalEntry *vp_bill_store_pay (VpDatabase      *db,
                                   const VpStaff   *staff,
                                   const char      *number,
                                   VpMoney          amount,
                                   VpPaymentMethod  method,
                                   const char      *reference,
                                   GError         **error);

/* Pays open bills from the account's credit alone, with no money: kind
 * credit.settle (drawer amount 0). Refused (STATE) when the account has no
 * credit or no open bills. Needs an open shift. */
VpJournalEntry *vp_bill_store_settle_from_credit (VpDatabase     *db,
                                                  const VpStaff  *staff,
                                                  const char     *number,
                                                  GError        **error);

/* Pays out amount (> 0) of the account's credit in cash without closing
 * the account (kind credit.refund, drawer amount -amount). Needs a
 * supervisor (PERMISSION otherwise) and an open shift; refused when the
 * account has open bills (credit settles them first: STATE) or less
 * credit than amount (INSUFFICIENT). reason may be NULL. */
VpJournalEntry *vp_bill_store_refund_credit (VpDatabase    *db,
                                             const VpStaff *supervisor,
                                             const char    *number,
                                             VpMoney        amount,
                                             const char    *reason,
                                             GError       **error);
/* A cash payment recording the cash tendered and the change (tendered
 * − amount); tendered below the amount is refused. */
VpJournalEntry *vp_bill_store_pay_tendered (VpDatabase    *db,
                                            const VpStaff *staff,
                                            const char    *number,
                                            VpMoney        amount,
                                            VpMoney        tendered,
                                            GError       **error);

G_END_DECLS
