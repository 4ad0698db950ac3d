/* vp-journal-ledger.h: what a signed journal entry means for the money.
 *
 * One definition per entry kind of the figures every total is built from
 * (DESIGN §4, "only signed data counts"): the van derives its journal
 * helper columns from the signed payload with it when it appends an entry,
 * `verify` compares the stored columns with it, and shift totals are
 * folded from payloads with it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "vp-types.h"

G_BEGIN_DECLS

/**
 * VpLedgerFlow:
 * @VP_LEDGER_NONE: no money moved
 * @VP_LEDGER_SALE: money taken for a service (payment, top-up, fee,
 *   arrears settled at a change of holder): a fee transaction
 * @VP_LEDGER_REFUND: money paid back to a customer
 * @VP_LEDGER_VOID: the reversal of an earlier entry
 * @VP_LEDGER_DROP: cash taken from the drawer to the safe
 * @VP_LEDGER_PAID_IN: cash put into the drawer that is not a sale
 * @VP_LEDGER_PAID_OUT: cash paid out of the drawer that is not a refund
 *
 * What kind of money movement an entry is, so every figure (X, Z,
 * reports) sorts it the same way.
 */
typedef enum
{
  VP_LEDGER_NONE,
  VP_LEDGER_SALE,
  VP_LEDGER_REFUND,
  VP_LEDGER_VOID,
  VP_LEDGER_DROP,
  VP_LEDGER_PAID_IN,
  VP_LEDGER_PAID_OUT,
} VpLedgerFlow;

/**
 * VpJournalLedger:
 * @staff: (nullable): the staff id who did it (borrowed from the payload)
 * @shift: the shift the entry belongs to, or 0
 * @method: (nullable): "cash", "card" or "mobile" when money moved
 *   through the drawer or a terminal, else %NULL
 * @amount: the signed money effect: positive taken in, negative paid out
 *   (a void negates what it voids); 0 when no money moved
 * @voids: the seq of the entry this one reverses, or 0
 * @flow: what kind of movement @amount is
 */
typedef struct
{
  const char *staff;
  gint64      shift;
  const char *method;
  VpMoney     amount;
  gint64      voids;
  VpLedgerFlow flow;
} VpJournalLedger;

gboolean  vp_journal_ledger_from_payload (const char      *kind,
                                          JsonObject      *payload,
                                          VpJournalLedger *out,
                                          GError         **error);

G_END_DECLS
