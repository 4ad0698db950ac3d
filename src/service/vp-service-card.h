/* vp-service-card.h: IC-card operations of the service layer — the
 * crash-safe two-phase top-up (DESIGN §5), recovery of unresolved
 * top-ups, card reads for the account page and lost-card reissue.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-service.h"
#include "vp-card-reader.h"
#include "vp-sim-card.h"
#include "vp-card-store.h"

G_BEGIN_DECLS

/* A top-up that took the money but could not finish says which way it
 * ended (the CLI exits "done in part" for both). */
#define VP_TOPUP_ERROR (vp_topup_error_quark ())

typedef enum
{
  VP_TOPUP_ERROR_PENDING,  /* the money is taken and the card may hold the purchase (written
                            * but not read back, pulled, or its CONFIRM not saved): the
                            * top-up stays pending until the card is read — at the next
                            * insert, start or top-up; nothing is to be paid again */
  VP_TOPUP_ERROR_VOIDED,   /* the card was read and does not hold the purchase: VOID
                            * journaled, the money kept as credit on the account */
} VpTopupError;

GQuark        vp_topup_error_quark        (void);

/* Uses reader for every card operation. Without one, the service makes
 * a simulated reader on first use (VANPOS_CARD_DIR, else "<db path>.cards")
 * that puts the account's card into the reader by itself for a top-up
 * (issuing the simulated card if it does not exist yet), so headless
 * scripts and demos need no card handling; VANPOS_CARD_AUTOINSERT=0 turns
 * that off. A reader set here never auto-inserts. */
void          vp_service_set_card_reader  (VpService     *self,
                                           VpCardReader  *reader);
/* VANPOS_CARD_DIR, else "<db path>.cards": the simulated cards' directory. */
char         *vp_service_card_default_dir (VpService     *self);
/* The simulated reader on vp_service_card_default_dir(); the default
 * "<db path>.cards" is claimed for this database (a directory left by an
 * earlier database at that path is moved aside, with a note on stderr). */
VpSimCard    *vp_service_open_default_sim_card (VpService  *self,
                                                GError    **error);
/* The reader in use (creating the default one); transfer none. */
VpCardReader *vp_service_get_card_reader  (VpService     *self,
                                           GError       **error);
/* How long card operations wait for a card (default 0: it must be in). */
void          vp_service_set_card_timeout (VpService     *self,
                                           guint          timeout_ms);

/* The card keys (vp_card_store_get_keyring). A van not provisioned for HQ that has
 * no key gets a random one, stored, with a note on stderr (demo). */
gboolean      vp_service_card_key         (VpService     *self,
                                           VpCardKeyring *ring,
                                           GError       **error);

typedef enum
{
  VP_RECOVERY_CONFIRMED,   /* the card holds the purchase: CONFIRM journaled */
  VP_RECOVERY_VOIDED,      /* the card does not: VOID, money kept as credit */
  VP_RECOVERY_WAITING,     /* the account's card is not in the reader, or not readable */
} VpRecoveryOutcome;

typedef struct
{
  gint64            intent_seq;
  gint64            resolved_seq;  /* CONFIRM or VOID entry, 0 while waiting */
  char             *account_number;
  char             *card_number;
  gint64            counter;
  VpVolume          volume;
  VpMoney           amount;
  VpRecoveryOutcome outcome;
  char             *message;       /* one line for the operator */
  gboolean          reversal;      /* a top-up reversal: intent_seq is the reversal.intent,
                                    * CONFIRMED its void, VOIDED its abandon */
} VpRecoveryItem;

void vp_recovery_item_free (VpRecoveryItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpRecoveryItem, vp_recovery_item_free)

/* Resolves every pending top-up INTENT whose card is in the reader by
 * reading it: the card shows the purchase (counter and amounts, valid
 * MAC), or a counter already past it → CONFIRM; the card was read and
 * its counter is behind the purchase (or it is blank) → VOID, the money
 * becomes credit. Nothing is voided without such a read: top-ups for
 * cards not in the reader, or whose card cannot be read, stay pending
 * (WAITING). Call it at start and at every card insert. Returns
 * VpRecoveryItem*, possibly empty. */
GPtrArray    *vp_service_recover_topups   (VpService     *self,
                                           GCancellable  *cancellable,
                                           GError       **error);

typedef struct
{
  gboolean      blank;          /* never written */
  VpCardRecord  record;         /* valid when !blank */
  gboolean      damaged;        /* a torn slot was found and ignored */
  char         *damage;
  VpAccount    *account;        /* the account holding this card, or NULL */
  gboolean      verified;       /* record agrees with the van's data */
  char         *problem;        /* why not verified (forged, blocked …), or NULL */
  GPtrArray    *recovered;      /* VpRecoveryItem* resolved by this insert */
} VpCardReadout;

void vp_card_readout_free (VpCardReadout *readout);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpCardReadout, vp_card_readout_free)

/* Reads the card in the reader (resolving pending top-ups first, as at
 * every insert) and checks it against the van's records. A card that
 * cannot be read at all (garbage, forged MAC) is an error; one that
 * reads but disagrees is returned with verified FALSE and a problem. */
VpCardReadout *vp_service_card_read       (VpService     *self,
                                           GCancellable  *cancellable,
                                           GError       **error);

/* As vp_service_card_read(), for the account on screen: the default
 * simulated reader (see vp_service_set_card_reader()) first puts that
 * account's card in. The card read may still be another account's. */
VpCardReadout *vp_service_card_read_account (VpService     *self,
                                             const char    *number,
                                             GCancellable  *cancellable,
                                             GError       **error);

/* Lost-card reissue (see vp_card_store_reissue), then the new card —
 * the blank card in the reader; with the simulated reader a new card
 * with the new number is put in — gets its first record carrying the
 * counter. A failed card write does not undo the reissue (a blank card
 * takes the next top-up just as well); *card_note says what happened. */
VpJournalEntry *vp_service_card_reissue   (VpService       *self,
                                           const VpStaff   *staff,
                                           const char      *number,
                                           VpMoney          fee,
                                           VpPaymentMethod  method,
                                           const char      *reference,
                                           const char      *reason,
                                           char           **card_note,
                                           GCancellable    *cancellable,
                                           GError         **error);

/* Reverses the top-up that entry seq belongs to (DESIGN §3 Reversals):
 * asked for by requester, approved by supervisor, with a reason, only
 * with its card in the reader still holding it unused (see
 * vp_topup_store_reversal_intent()). Two-phase like a top-up: the intent
 * is journaled, the card rewritten without the purchase and read back,
 * then the void of the top-up gives the money back. The default
 * simulated reader puts the card in by itself when the card exists.
 * A card write that fails and a card read showing it never got the
 * reversal abandon it (VP_CARD_ERROR, nothing changed); when the card
 * may hold it, VP_TOPUP_ERROR_PENDING: it finishes at the next read of
 * the card. progress gets the steps "card", "intent", "write", "verify",
 * "confirm", "done". Returns the void entry. */
VpJournalEntry *vp_service_card_reverse_topup (VpService     *self,
                                               const VpStaff *requester,
                                               const VpStaff *supervisor,
                                               gint64         seq,
                                               const char    *reason,
                                               VpTopupProgress progress,
                                               gpointer       progress_data,
                                               GCancellable  *cancellable,
                                               GError       **error);

/* The body of vp_service_topup(). */
VpJournalEntry *vp_service_card_topup     (VpService       *self,
                                           const VpStaff   *staff,
                                           const char      *number,
                                           VpMoney          amount,
                                           VpVolume         volume,
                                           VpPaymentMethod  method,
                                           const char      *reference,
                                           VpTopupProgress  progress,
                                           gpointer         progress_data,
                                           GCancellable    *cancellable,
                                           GError         **error);
/* As vp_service_card_topup(); VP_TOPUP_FROM_CREDIT pays with the
 * account's credit first (vp_topup_store_intent_full()): method may be
 * NULL when the credit covers the whole purchase; tendered: the cash
 * handed over (cash only; 0: not recorded). */
VpJournalEntry *vp_service_card_topup_full (VpService             *self,
                                            const VpStaff         *staff,
                                            const char            *number,
                                            VpMoney                amount,
                                            VpVolume               volume,
                                            VpTopupFlags           flags,
                                            const VpPaymentMethod *method,
                                            const char            *reference,
                                            VpMoney                tendered,
                                            VpTopupProgress        progress,
                                            gpointer               progress_data,
                                            GCancellable          *cancellable,
                                            GError               **error);

G_END_DECLS
