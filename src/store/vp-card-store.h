/* vp-card-store.h: the utility card key and lost-card reissue.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"
#include "vp-card-record.h"

G_BEGIN_DECLS

/* The card key from meta "card_key" (64 hex digits, provisioned by HQ).
 * VP_STORE_ERROR_NOT_FOUND when absent. */
gboolean        vp_card_store_get_key   (VpDatabase  *db,
                                         guint8       key[VP_CARD_KEY_SIZE],
                                         GError     **error);
gboolean        vp_card_store_set_key   (VpDatabase  *db,
                                         const char  *hex,
                                         GError     **error);
/* Every card key the van holds: meta "card_key" as the legacy key
 * (version 0: cards this van wrote before utility keys) and meta
 * "card_keys", the utility's master keys ("VERSION HEX" lines, from the
 * HQ bundle's card-keys file). VP_STORE_ERROR_NOT_FOUND when neither. */
gboolean        vp_card_store_get_keyring (VpDatabase    *db,
                                           VpCardKeyring *ring,
                                           GError       **error);

/* TRUE when the account was opened on this van under number (its
 * provisional number, before HQ assigned the real one). */
gboolean        vp_card_store_account_had_number (VpDatabase  *db,
                                                  gint64       account_id,
                                                  const char  *number);

/* Lost-card reissue in one transaction: a new card number, the old card
 * blocked, the purchase counter carried, every pending top-up on the old
 * card voided into account credit (it can never be read now), the fee
 * charged (needs an open shift), journaled as VP_KIND_CARD_REISSUE. The
 * payload has old_card, new_card, counter, credit_carried, voided
 * (intent seqs), fee. */
VpJournalEntry *vp_card_store_reissue   (VpDatabase      *db,
                                         const VpStaff   *staff,
                                         const char      *number,
                                         VpMoney          fee,
                                         VpPaymentMethod  method,
                                         const char      *reference,
                                         const char      *reason,
                                         GError         **error);

G_END_DECLS
