/* vp-journal-entry.h: one business event, its canonical encoding,
 * SHA-256 chain link and Ed25519 signature.
 *
 * Canonical encoding (version 1), hashed byte for byte:
 *   "vanpos-journal-v1\n" uuid "\n" van_id "\n" seq "\n" kind "\n"
 *   device_time "\n" monotonic_ms "\n" prev_hash "\n"
 *   <payload length in bytes> ":" payload
 * integers in decimal, prev_hash in lower-case hex.
 * hash = lower-case hex SHA-256 of that encoding.
 * signature = base64 Ed25519 over the 32 raw bytes of hash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"
#include "vp-signer.h"

G_BEGIN_DECLS

#define VP_JOURNAL_ERROR (vp_journal_error_quark ())

typedef enum
{
  VP_JOURNAL_ERROR_INVALID,     /* missing or malformed field */
  VP_JOURNAL_ERROR_PREV_HASH,   /* does not link to the previous entry */
  VP_JOURNAL_ERROR_HASH,        /* content does not match its hash */
  VP_JOURNAL_ERROR_SIGNATURE,   /* signature does not verify */
  VP_JOURNAL_ERROR_SEQ,         /* sequence gap or repeat */
  VP_JOURNAL_ERROR_COLUMNS,     /* a helper column disagrees with the signed payload */
  VP_JOURNAL_ERROR_TRUNCATED,   /* the journal is shorter than its anchored head */
  VP_JOURNAL_ERROR_FORKED,      /* an anchored entry was replaced (rollback, seq reused) */
  VP_JOURNAL_ERROR_ANCHOR,      /* the anchor file is missing, unreadable or not the van's */
} VpJournalError;

#define VP_JOURNAL_GENESIS_HASH \
  "0000000000000000000000000000000000000000000000000000000000000000"

/* Entry kinds. */
#define VP_KIND_PAY              "pay"
#define VP_KIND_TOPUP_INTENT     "topup.intent"
#define VP_KIND_TOPUP_CONFIRM    "topup.confirm"
#define VP_KIND_TOPUP_VOID       "topup.void"
#define VP_KIND_ACCOUNT_OPEN     "account.open"
#define VP_KIND_ACCOUNT_TRANSFER "account.transfer"   /* change of holder */
#define VP_KIND_ACCOUNT_CLOSE    "account.close"
#define VP_KIND_CREDIT_MOVE      "credit.move"
#define VP_KIND_CREDIT_SETTLE    "credit.settle"  /* open bills paid from credit, no money */
#define VP_KIND_CREDIT_REFUND    "credit.refund"  /* credit paid out in cash, account stays open */
#define VP_KIND_CARD_REISSUE     "card.reissue"
#define VP_KIND_LOG_CONSULTATION "log.consultation"
#define VP_KIND_LOG_VISIT        "log.visit"
#define VP_KIND_LOG_COMPLAINT    "log.complaint"
#define VP_KIND_TRIP_START       "trip.start"
#define VP_KIND_TRIP_END         "trip.end"
#define VP_KIND_SHIFT_OPEN       "shift.open"
#define VP_KIND_SHIFT_CLOSE      "shift.close"
#define VP_KIND_VOID             "void"
/* A top-up taken back off its card (two-phase, like a top-up): the
 * intent reserves the card counter the reversal writes; the "void" of the
 * top-up confirms it; an abandon says the card was read and never got it. */
#define VP_KIND_REVERSAL_INTENT  "reversal.intent"
#define VP_KIND_REVERSAL_ABANDON "reversal.abandon"
#define VP_KIND_JOURNAL_BREAK    "journal.break"  /* a supervisor acknowledged a break */
#define VP_KIND_CASH_DROP        "cash.drop"      /* cash taken to the safe */
#define VP_KIND_CASH_PAID_IN     "cash.paid_in"   /* cash put in the drawer, not a sale */
#define VP_KIND_CASH_PAID_OUT    "cash.paid_out"  /* cash paid out, not a refund */
#define VP_KIND_LIMITS_SET       "limits.set"     /* a supervisor set an offline cap */
#define VP_KIND_RECEIPT_REPRINT  "receipt.reprint" /* a duplicate receipt printed, no money */
#define VP_KIND_STAFF_ADD        "staff.add"       /* a supervisor added staff, no money */
#define VP_KIND_STAFF_DISABLE    "staff.disable"   /* … disabled a staff id */
#define VP_KIND_STAFF_PIN_RESET  "staff.pin_reset" /* … set a new PIN (the PIN is not in it) */
#define VP_KIND_STAFF_UNLOCK     "staff.unlock"    /* … lifted a wrong-PIN lockout */

struct _VpJournalEntry
{
  char  *uuid;
  char  *van_id;
  gint64 seq;            /* 1, 2, 3 … gapless per van */
  char  *kind;
  char  *payload;        /* UTF-8 JSON object text */
  gint64 device_time;    /* wall clock, µs since the Unix epoch */
  gint64 monotonic_ms;
  char  *prev_hash;      /* 64 hex */
  char  *hash;           /* 64 hex */
  char  *signature;      /* base64 */
};

GQuark          vp_journal_error_quark      (void);

VpJournalEntry *vp_journal_entry_new        (void);
VpJournalEntry *vp_journal_entry_copy       (const VpJournalEntry *entry);
void            vp_journal_entry_free       (VpJournalEntry       *entry);

GBytes         *vp_journal_entry_encode     (const VpJournalEntry *entry);
char           *vp_journal_entry_compute_hash (const VpJournalEntry *entry);
/* Fills entry->hash and entry->signature. */
gboolean        vp_journal_entry_seal       (VpJournalEntry       *entry,
                                             VpSigner             *signer,
                                             GError              **error);
/* Checks the link to expected_prev_hash (NULL skips the link check),
 * the hash and, if public_key_pem is not NULL, the signature. */
gboolean        vp_journal_entry_verify     (const VpJournalEntry *entry,
                                             const char           *expected_prev_hash,
                                             const char           *public_key_pem,
                                             GError              **error);

/* Checks a run of consecutive entries as vp_journal_entry_verify() would,
 * one after the other, with the hashes and signatures spread over
 * n_threads threads (0: one per processor). On failure *n_good is the
 * index of the lowest bad entry and error is what
 * vp_journal_entry_verify() says about it. */
gboolean        vp_journal_verify_chain     (VpJournalEntry      **entries,
                                             guint                 n_entries,
                                             const char           *prev_hash,
                                             VpVerifier           *verifier,
                                             guint                 n_threads,
                                             guint                *n_good,
                                             GError              **error);

/* "VAN01-20261123-000042" (local date of device_time). */
char           *vp_journal_receipt_number   (const char *van_id,
                                             gint64      device_time,
                                             gint64      seq);
/* "3FA9-0C1D": the first 8 hex digits of the hash, upper case. */
char           *vp_journal_verify_code      (const char *hash);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpJournalEntry, vp_journal_entry_free)

G_END_DECLS
