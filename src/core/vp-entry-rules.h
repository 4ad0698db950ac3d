/* vp-entry-rules.h: one definition per journal entry kind of what a
 * well-formed, sane payload is (DESIGN §4, "One definition of each kind").
 *
 * The van checks every entry with vp_entry_rules_check() before it signs
 * it (vp_journal_store_append), so it never signs nonsense; HQ checks
 * every chain-valid entry with the same call before applying it and
 * quarantines what fails (vp-hq-ingest.c). The money effect of a kind is
 * vp_journal_ledger_from_payload(), which these rules run first: the
 * table here is the list of kinds both sides know.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "vp-journal-ledger.h"
#include "vp-types.h"

G_BEGIN_DECLS

/* A credit balance or a sum of credit named in a payload: far above any
 * real account (¥100,000,000), far below anything that overflows. One
 * entry's money (amount, fee, a bill paid) stays within
 * VP_MONEY_MAX_TRANSACTION (¥1,000,000), the ledger's bound. */
#define VP_ENTRY_MAX_BALANCE ((VpMoney) 100 * 100000000)

/* An IC card's purchase counter is 32 bits on the card (vp-card-record.h). */
#define VP_ENTRY_MAX_CARD_COUNTER ((gint64) G_MAXUINT32)

/**
 * VpEntryKindFlags:
 * @VP_ENTRY_KIND_NONE: nothing special
 * @VP_ENTRY_KIND_VOIDABLE: a supervisor may void it (DESIGN §3, "Reversals")
 * @VP_ENTRY_KIND_ACCOUNT: it names the account it belongs to in “account”
 */
typedef enum
{
  VP_ENTRY_KIND_NONE     = 0,
  VP_ENTRY_KIND_VOIDABLE = 1 << 0,
  VP_ENTRY_KIND_ACCOUNT  = 1 << 1,
} VpEntryKindFlags;

typedef struct _VpEntryKind VpEntryKind;

/* The kind's entry in the one table, or NULL for a kind nobody defined. */
const VpEntryKind *vp_entry_kind_lookup      (const char        *kind);
const char        *vp_entry_kind_get_name    (const VpEntryKind *info);
VpEntryKindFlags   vp_entry_kind_get_flags   (const VpEntryKind *info);

/* Every rule of the kind: known kind, the ledger's money rules, then the
 * kind's schema and semantic checks (types, ranges, sums that must
 * agree, card counters within the card's range). Fails with
 * VP_JOURNAL_ERROR_INVALID and a message naming the member. ledger may
 * be NULL. */
gboolean           vp_entry_rules_check      (const char        *kind,
                                              JsonObject        *payload,
                                              VpJournalLedger   *ledger,
                                              GError           **error);

G_END_DECLS
