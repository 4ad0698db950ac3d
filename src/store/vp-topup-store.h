/* vp-topup-store.h: two-phase IC-card top-up (DESIGN §5).
 *
 * INTENT is journaled (money taken, next card counter reserved) before the
 * card is written; CONFIRM after the card reads back right; VOID if it
 * never reached the card, the money becoming account credit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

typedef struct
{
  gint64   intent_seq;
  gint64   account_id;
  char    *account_number;
  char    *card_number;
  gint64   counter;        /* card purchase counter after this top-up */
  VpVolume volume;
  VpMoney  amount;         /* funds: money taken + credit used */
  VpMoney  leftover;
  int      tariff_version;
  gint64   created_at;
} VpTopup;

void     vp_topup_free (VpTopup *topup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpTopup, vp_topup_free)

/* Gets the account's current tariff and quotes. Exactly one of amount and
 * volume is > 0. Does not write anything. */
gboolean vp_topup_store_quote   (VpDatabase  *db,
                                 const char  *number,
                                 VpMoney      amount,
                                 VpVolume     volume,
                                 VpQuote     *out,
                                 GError     **error);

/* Journals INTENT. The account must be prepaid, active or provisional,
 * with an unblocked card and no other pending top-up. */
VpJournalEntry *vp_topup_store_intent  (VpDatabase      *db,
                                        const VpStaff   *staff,
                                        const char      *number,
                                        VpMoney          amount,
                                        VpVolume         volume,
                                        VpPaymentMethod  method,
                                        const char      *reference,
                                        GError         **error);
/* As vp_topup_store_intent(); with from_credit the account's credit pays
 * first (payload credit_used, funds = amount + credit_used; "amount" is
 * the money taken) and the money only the rest: method may be NULL when
 * the credit covers it all (else INVALID). The credit leaves the account
 * at once; CONFIRM credits the leftover, VOID the whole funds. */
VpJournalEntry *vp_topup_store_intent_full (VpDatabase            *db,
                                            const VpStaff         *staff,
                                            const char            *number,
                                            VpMoney                amount,
                                            VpVolume               volume,
                                            gboolean               from_credit,
                                            const VpPaymentMethod *method,
                                            const char            *reference,
                                            GError               **error);
/* Journals CONFIRM: the card now holds the purchase. Leftover fen become
 * credit; the annual volume advances. staff may be NULL for recovery. */
VpJournalEntry *vp_topup_store_confirm (VpDatabase    *db,
                                        const VpStaff *staff,
                                        gint64         intent_seq,
                                        GError       **error);
/* Journals VOID: the card was read and does not hold the purchase; the
 * amount paid becomes credit. card_counter is the purchase counter the
 * card was read with (0 for a blank card): a counter at or past the
 * purchase's is refused (STATE), as the card may hold it. Never call it
 * for a card that could not be read: that top-up stays pending. */
VpJournalEntry *vp_topup_store_void    (VpDatabase    *db,
                                        const VpStaff *staff,
                                        gint64         intent_seq,
                                        gint64         card_counter,
                                        const char    *reason,
                                        GError       **error);
VpTopup        *vp_topup_store_get     (VpDatabase  *db,
                                        gint64       intent_seq,
                                        GError     **error);
/* Pending intents (VpTopup*), oldest first. */
GPtrArray      *vp_topup_store_list_pending (VpDatabase  *db,
                                             GError     **error);

/* Tariffs and blocked cards (master data from HQ). */
gboolean  vp_tariff_store_put          (VpDatabase     *db,
                                        const VpTariff *tariff,
                                        const char     *valid_from,
                                        GError        **error);
/* The newest version for service and class. */
gboolean  vp_tariff_store_get_current  (VpDatabase     *db,
                                        VpServiceKind   service,
                                        VpTariffClass   klass,
                                        VpTariff       *out,
                                        GError        **error);
gboolean  vp_tariff_store_get_version  (VpDatabase     *db,
                                        VpServiceKind   service,
                                        VpTariffClass   klass,
                                        int             version,
                                        VpTariff       *out,
                                        GError        **error);
gboolean  vp_card_store_block          (VpDatabase  *db,
                                        const char  *card_number,
                                        const char  *reason,
                                        GError     **error);
gboolean  vp_card_store_is_blocked     (VpDatabase  *db,
                                        const char  *card_number);

G_END_DECLS
