/* vp-figures.h: one fold of the signed journal into every figure.
 *
 * X and Z reports, the day/month/year reports, per operator and per
 * shift, are all this one fold over the signed payloads with the one
 * per-kind rule of src/core/vp-journal-ledger.c (DESIGN §4: only signed
 * data counts). A voided entry and the void that reverses it move no
 * money in any figure; the voided entries are listed instead.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "vp-database.h"

G_BEGIN_DECLS

/* Money of a set of entries, voided entries and their voids left out. */
typedef struct
{
  gint64  transactions;   /* fee transactions: sales (money taken for a service) */
  VpMoney cash_in;        /* sales in cash */
  VpMoney card_in;
  VpMoney mobile_in;
  gint64  n_cash_in;      /* sales by method: transactions = the three summed */
  gint64  n_card_in;
  gint64  n_mobile_in;
  VpMoney cash_out;       /* refunds paid out in cash */
  gint64  refunds;
  VpMoney drops;          /* cash taken to the safe */
  gint64  n_drops;
  VpMoney paid_in;        /* cash put in, not a sale */
  gint64  n_paid_in;
  VpMoney paid_out;       /* cash paid out, not a refund */
  gint64  n_paid_out;
  gint64  voids;          /* void entries */
  gint64  voided;         /* entries voided */
} VpTally;

/* Sales less refunds. */
VpMoney vp_tally_collected      (const VpTally *t);
/* What the tally changes in the drawer: cash sales + paid-in − cash
 * refunds − drops − paid-out. */
VpMoney vp_tally_drawer_change  (const VpTally *t);

typedef struct
{
  char   *key;    /* a date yyyy-mm-dd, a staff id or an estate */
  VpTally tally;
} VpTallyRow;

/* Money of one entry kind, voided entries left out. */
typedef struct
{
  char   *kind;
  gint64  count;
  VpMoney cash;   /* signed: what it moved through the drawer */
  VpMoney card;
  VpMoney mobile;
} VpKindRow;

typedef struct
{
  gint64  seq;
  char   *kind;
  char   *receipt;
  char   *method;     /* NULL when it moved no money */
  VpMoney amount;     /* signed, as the voided entry moved it */
  gint64  void_seq;   /* the void that reverses it */
  char   *reason;
  char   *approved_by;
} VpVoided;

typedef struct
{
  gint64      from_seq;   /* 0: from the first entry */
  gint64      to_seq;     /* 0: to the last entry */
  gint64      from_time;  /* device time in µs, inclusive; 0: any */
  gint64      to_time;    /* exclusive; 0: any */
  gint64      shift;      /* only entries of this shift; 0: any */
  const char *staff;      /* only entries by this staff id; NULL: any */
} VpFiguresScope;

typedef struct _VpFigures VpFigures;
struct _VpFigures
{
  VpTally    total;
  gint64     trips;
  gint64     consultations;
  gint64     applications;  /* new accounts, changes of holder, closures, reissues */
  gint64     home_visits;
  gint64     complaints;
  gint64     first_seq;     /* first and last entry in scope, shift.open/close */
  gint64     last_seq;      /* left out; 0 when none */
  char      *first_receipt;
  char      *last_receipt;
  GPtrArray *by_kind;       /* VpKindRow*, sorted by kind */
  GPtrArray *by_staff;      /* VpTallyRow*, sorted by staff id */
  GPtrArray *by_day;        /* VpTallyRow*, sorted by date: every day with an entry */
  GPtrArray *by_estate;     /* VpTallyRow*, sorted by estate: sales and refunds of
                             * accounts, by the estate their signed payload names
                             * ("" for entries signed before payloads named it) */
  GPtrArray *voided;        /* VpVoided*, by seq */
};

void       vp_figures_free (VpFigures *figures);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpFigures, vp_figures_free)

VpFigures *vp_figures_fold (VpDatabase           *db,
                            const VpFiguresScope *scope,
                            GError              **error);

/* Adds the members cash_refunds, refunds, drops, drops_count, paid_in,
 * paid_in_count, paid_out, paid_out_count, voided_count, by_kind,
 * by_staff and voided to the object being built. */
void       vp_figures_add_json (const VpFigures *figures,
                                JsonBuilder     *b);

G_END_DECLS
