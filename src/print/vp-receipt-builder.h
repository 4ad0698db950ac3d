/* vp-receipt-builder.h: a journal entry's receipt with what the journal
 * says about it since: voided, reprinted, where it can be checked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-print.h"

G_BEGIN_DECLS

/**
 * VpReceiptContext:
 * @check_url: (nullable): base address of HQ's public receipt check
 *   (vp-receipt-check.h); %NULL: the receipt carries no QR code
 * @copy: 0 for the original, N for the N-th duplicate (重印 / DUPLICATE)
 * @copy_entry: (nullable): the receipt.reprint entry of that duplicate
 * @voided_by: (nullable): the void entry reversing this entry (已作废 / VOID)
 * @voided: (nullable): for a void, the entry it reverses
 *
 * Everything here comes from signed journal entries.
 */
typedef struct
{
  const char           *check_url;
  gint64                copy;
  const VpJournalEntry *copy_entry;
  const VpJournalEntry *voided_by;
  const VpJournalEntry *voided;
} VpReceiptContext;

/* The marks printed on a duplicate and on a voided entry's receipt, in
 * Chinese and English whatever the locale: the resident and an auditor
 * both read them. */
#define VP_RECEIPT_MARK_DUPLICATE "重印 / DUPLICATE"
#define VP_RECEIPT_MARK_VOID      "已作废 / VOID"

/* vp_receipt_build_for_entry() with context (NULL: an original, nothing
 * known about it since). */
VpReceipt *vp_receipt_build_for_entry_in (const VpJournalEntry   *entry,
                                          const VpReceiptContext *context,
                                          GError                **error);

G_END_DECLS
