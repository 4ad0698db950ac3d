/* vp-receipt-store.h: what a receipt says beyond its own entry: where it
 * can be checked, whether it was voided, how often it was reprinted.
 *
 * Every figure comes from signed journal payloads (DESIGN §4): a reprint
 * is a journal entry of its own (receipt.reprint, no money), the void of
 * an entry names it in its own signed payload.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

/* meta key: the base address of HQ's public receipt check, e.g.
 * "https://check.example.cn" (vp-receipt-check.h); set by `sync setup`
 * from the bundle's hq.json ("receipt_check_url") or by `vanpos-cli
 * receipt-check-url URL`. Unset: receipts carry no QR code. */
#define VP_META_RECEIPT_CHECK_URL "receipt_check_url"

/* NULL when none is set. */
char           *vp_receipt_store_get_check_url   (VpDatabase  *db);
/* url NULL or "" clears it; a malformed address is refused
 * (VP_RECEIPT_CHECK_ERROR_INVALID). */
gboolean        vp_receipt_store_set_check_url   (VpDatabase  *db,
                                                  const char  *url,
                                                  GError     **error);

/* The entry a receipt number names: this van's, with that seq and that
 * local date; VP_STORE_ERROR_NOT_FOUND otherwise (another van's receipt,
 * a seq the journal does not hold, a date that does not match). */
VpJournalEntry *vp_receipt_store_find            (VpDatabase  *db,
                                                  const char  *receipt,
                                                  GError     **error);
/* The void that reverses entry seq, or NULL (no error) when none does. */
VpJournalEntry *vp_receipt_store_voided_by       (VpDatabase  *db,
                                                  gint64       seq,
                                                  GError     **error);
/* How many duplicates of entry seq were journaled; -1 on error. */
gint64          vp_receipt_store_count_reprints  (VpDatabase  *db,
                                                  gint64       seq,
                                                  GError     **error);
/* Journals the next duplicate of entry seq (receipt.reprint: seq, its
 * receipt number, the copy number, who, the open shift if any). */
VpJournalEntry *vp_receipt_store_reprint         (VpDatabase    *db,
                                                  const VpStaff *staff,
                                                  gint64         seq,
                                                  GError       **error);

G_END_DECLS
