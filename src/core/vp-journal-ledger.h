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
 * VpJournalLedger:
 * @staff: (nullable): the staff id who did it (borrowed from the payload)
 * @shift: the shift the entry belongs to, or 0
 * @method: (nullable): "cash", "card" or "mobile" when money moved
 *   through the drawer or a terminal, else %NULL
 * @amount: the signed money effect: positive taken in, negative paid out
 *   (a void negates what it voids); 0 when no money moved
 * @voids: the seq of the entry this one reverses, or 0
 */
typedef struct
{
  const char *staff;
  gint64      shift;
  const char *method;
  VpMoney     amount;
  gint64      voids;
} VpJournalLedger;

gboolean  vp_journal_ledger_from_payload (const char      *kind,
                                          JsonObject      *payload,
                                          VpJournalLedger *out,
                                          GError         **error);

G_END_DECLS
