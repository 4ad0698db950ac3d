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
#include "vp-card-record.h"

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
 * at once; CONFIRM credits the leftover, VOID the whole funds. tendered
 * (cash only, 0: not recorded) is the cash handed over: at least the money
 * taken, the change (tendered − money) signed with it. */
VpJournalEntry *vp_topup_store_intent_full (VpDatabase            *db,
                                            const VpStaff         *staff,
                                            const char            *number,
                                            VpMoney                amount,
                                            VpVolume               volume,
                                            gboolean               from_credit,
                                            const VpPaymentMethod *method,
                                            const char            *reference,
                                            VpMoney                tendered,
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

/* --- top-up reversal (DESIGN §3 Reversals, §5) --------------------------------
 *
 * A confirmed top-up of the open shift is reversed only while its card
 * still holds it unused: the card read shows the same purchase counter,
 * the purchase as last one and not loaded into the meter. Two-phase like
 * a top-up: reversal.intent (supervisor, reason, the next card counter
 * reserved) → card rewritten with the purchase taken off → the "void" of
 * the top-up, which gives the money back the way it came (the money taken
 * out of the drawer by its method, the credit it used back onto the
 * account, the leftover fen it credited taken off) and the year's volume
 * back. A card read that does not show the reversal abandons it
 * (reversal.abandon); an unreadable card leaves it pending. */
typedef struct
{
  gint64    reversal_seq;   /* the reversal.intent entry */
  gint64    topup_seq;      /* the top-up's topup.intent entry */
  char     *account_number;
  char     *card_number;
  gint64    topup_counter;  /* the purchase taken off */
  gint64    counter;        /* the counter the reversal writes */
  VpVolume  volume;
  VpMoney   amount;         /* money taken, given back through the drawer */
  VpMoney   card_amount;    /* what the card's purchase entry says it cost */
  VpMoney   credit_used;    /* back onto the account */
  VpMoney   leftover;       /* taken off the account */
  char     *method;         /* NULL when no money was taken */
} VpTopupReversal;

void vp_topup_reversal_free (VpTopupReversal *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpTopupReversal, vp_topup_reversal_free)

/* The topup.intent seq of the top-up that entry seq belongs to (its
 * intent or its confirmation), or 0 when seq is no top-up entry. */
gint64          vp_topup_store_topup_of       (VpDatabase          *db,
                                               gint64               seq,
                                               GError             **error);
/* Journals reversal.intent for the top-up of entry seq, asked for by
 * requester and approved by supervisor, with card: the record read from
 * the card in the reader (NULL: no card presented). Refuses with one
 * line: no card, another card, a later purchase, loaded into the meter,
 * already reversed, not confirmed, not this shift's, no reason, an
 * approver who is not a supervisor. */
VpJournalEntry *vp_topup_store_reversal_intent (VpDatabase         *db,
                                                const VpStaff      *requester,
                                                const VpStaff      *supervisor,
                                                gint64              seq,
                                                const char         *reason,
                                                const VpCardRecord *card,
                                                GError            **error);
/* Journals the void of the top-up: the card holds the reversal record.
 * staff may be NULL for recovery. */
VpJournalEntry *vp_topup_store_reversal_confirm (VpDatabase    *db,
                                                 const VpStaff *staff,
                                                 gint64         reversal_seq,
                                                 GError       **error);
/* Journals reversal.abandon: the card was read at card_counter, behind
 * the reversal's counter, so it never got it; the top-up stands. */
VpJournalEntry *vp_topup_store_reversal_abandon (VpDatabase    *db,
                                                 const VpStaff *staff,
                                                 gint64         reversal_seq,
                                                 gint64         card_counter,
                                                 const char    *reason,
                                                 GError       **error);
VpTopupReversal *vp_topup_store_reversal_get   (VpDatabase  *db,
                                                gint64       reversal_seq,
                                                GError     **error);
/* Pending reversals (VpTopupReversal*), oldest first. */
GPtrArray      *vp_topup_store_list_pending_reversals (VpDatabase  *db,
                                                       GError     **error);
