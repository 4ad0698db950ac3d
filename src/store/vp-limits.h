/* vp-limits.h: offline exposure caps (issue 9).
 *
 * A van takes money while HQ cannot see it. Like a card terminal's
 * offline floor limits, the store refuses a sale above a configured cap
 * unless a supervisor approves it (or, for the age of the oldest unsynced
 * entry, the van syncs first). The caps are enforced once, where every
 * entry is signed (vp_journal_store_append), for every entry the one
 * ledger rule calls a sale (VP_LEDGER_SALE: a payment, a top-up, a fee,
 * arrears settled): whatever operation or screen takes the money.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-journal-ledger.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

typedef enum
{
  VP_LIMIT_CASH_PER_TRANSACTION,    /* fen; default ¥5,000 */
  VP_LIMIT_CARD_PER_TRANSACTION,    /* fen; default ¥20,000 */
  VP_LIMIT_MOBILE_PER_TRANSACTION,  /* fen; default ¥20,000 */
  VP_LIMIT_CASH_PER_DAY,            /* fen; default ¥50,000 */
  VP_LIMIT_CARD_PER_DAY,            /* fen; default ¥200,000 */
  VP_LIMIT_MOBILE_PER_DAY,          /* fen; default ¥200,000 */
  VP_LIMIT_CASH_IN_VAN,             /* fen; default ¥30,000 */
  VP_LIMIT_UNSYNCED_HOURS,          /* hours; default 72 */
  VP_N_LIMITS
} VpLimit;

/* "cash_per_transaction", …, "unsynced_hours" (the meta key is
 * "limit.NAME", the CLI's NAME). */
const char     *vp_limit_name         (VpLimit      limit);
gboolean        vp_limit_from_name    (const char  *name,
                                       VpLimit     *out);
/* FALSE for unsynced_hours (hours), TRUE for the money caps (fen). */
gboolean        vp_limit_is_money     (VpLimit      limit);
gint64          vp_limit_default      (VpLimit      limit);
/* Largest value a supervisor may set (the absolute per-transaction
 * ceiling VP_MONEY_MAX_TRANSACTION for the per-transaction caps). */
gint64          vp_limit_max          (VpLimit      limit);
/* The configured value (meta table), else the default. */
gint64          vp_limits_get         (VpDatabase  *db,
                                       VpLimit      limit);
/* A supervisor sets one cap; journaled as limits.set so HQ sees it. */
VpJournalEntry *vp_limits_set         (VpDatabase    *db,
                                       const VpStaff *supervisor,
                                       VpLimit        limit,
                                       gint64         value,
                                       GError       **error);

/* The supervisor who approves the operation about to run going over a
 * cap (NULL clears). Set it on the thread that runs the operation, right
 * around it, and clear it after: every sale appended meanwhile may go
 * over a cap, and records "limit_approved_by" and "limit_exceeded". The
 * role is checked only when a cap is exceeded: an operator as approver is
 * then refused with VP_STORE_ERROR_PERMISSION. */
void            vp_limits_set_approver (VpDatabase    *db,
                                        const VpStaff *approver);

/* Called by vp_journal_store_append inside the transaction, before a
 * sale is signed: VP_STORE_ERROR_LIMIT naming the cap, the figure and
 * what to do; with an approver, adds the approval to payload. */
gboolean        vp_limits_check       (VpDatabase            *db,
                                       const char            *kind,
                                       const VpJournalLedger *ledger,
                                       JsonObject            *payload,
                                       GError               **error);

G_END_DECLS
