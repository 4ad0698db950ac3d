/* vp-store-types.h: plain records read from the store.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-core.h"

G_BEGIN_DECLS

typedef struct
{
  char  *id;
  char  *name;
  VpRole role;
} VpStaff;

typedef struct
{
  gint64          id;
  char           *number;
  char           *holder;
  char           *holder_initials;
  char           *phone;
  char           *id_number;
  char           *estate;
  char           *building;
  char           *unit;
  char           *room;
  char           *address;           /* estate + building + unit + room */
  VpServiceKind   service;
  VpMeterType     meter;
  VpTariffClass   tariff_class;
  char           *concession_expiry; /* yyyy-mm-dd or NULL */
  gboolean        elderly_alone;
  gboolean        needs_visit;
  VpMoney         balance;           /* credit held for the account */
  VpMoney         arrears;           /* sum of open bills (read only) */
  char           *card_number;       /* NULL: no card */
  gint64          card_counter;      /* purchases written to the card */
  int             tariff_year;
  VpVolume        year_volume;       /* litres bought in tariff_year */
  VpVolume        free_used;         /* litres of free allowance used */
  VpVolume        last_reading;
  VpAccountStatus status;
} VpAccount;

typedef struct
{
  gint64  id;
  char   *period;   /* yyyy-mm */
  VpMoney amount;
  VpMoney paid;
} VpBill;

typedef struct
{
  gint64  shift_id;
  char   *opened_by;
  gint64  opened_at;
  gboolean open;
  gint64  z_number;       /* 0 while open */
  VpMoney float_amount;
  VpMoney cash_in;
  VpMoney cash_out;       /* refunds paid out in cash */
  VpMoney card_in;
  VpMoney mobile_in;
  VpMoney expected_cash;  /* float + cash_in + paid_in - cash_out - drops - paid_out */
  VpMoney counted;        /* closed shifts only */
  gint64  transactions;   /* fee transactions, voided ones left out */
  gint64  voids;
  /* Issue 9: the whole fold (vp-figures.h) and what the Z shows. */
  VpMoney drops;
  VpMoney paid_in;
  VpMoney paid_out;
  gint64  closed_at;      /* device time of the Z, 0 while open */
  gint64  close_seq;      /* the Z's entry, 0 while open */
  struct _VpFigures *figures;
} VpShiftTotals;

VpStaff   *vp_staff_copy    (const VpStaff *staff);
void       vp_staff_free    (VpStaff   *staff);
void       vp_account_free  (VpAccount *account);
VpAccount *vp_account_copy  (const VpAccount *account);
void       vp_bill_free     (VpBill    *bill);
void       vp_shift_totals_clear (VpShiftTotals *totals);
/* TRUE when the account has the low-income class and its certificate
 * is valid on date (yyyy-mm-dd). */
gboolean   vp_account_concession_valid (const VpAccount *account,
                                        const char      *date);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpStaff, vp_staff_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpAccount, vp_account_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpBill, vp_bill_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VpShiftTotals, vp_shift_totals_clear)

G_END_DECLS
