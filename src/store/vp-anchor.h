/* vp-anchor.h: the journal head, anchored outside the database.
 *
 * A file beside the van's key (<db>.anchor) records, signed with the van
 * key, the newest committed entry (seq + hash), how far the chain was
 * last verified, the head HQ acknowledged, and a break that is waiting
 * for a supervisor. A journal shorter than any of these heads, or holding
 * another entry at one of their seqs, was truncated, rolled back or
 * forked (DESIGN §4). The file is replaced atomically under an exclusive
 * lock on the key file, so processes sharing the database never move a
 * head backwards.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "vp-core.h"

G_BEGIN_DECLS

typedef struct
{
  char   *van_id;
  gint64  head_seq;        /* newest committed entry this van wrote */
  char   *head_hash;
  gint64  head_time;       /* its device time (µs), for the clock check */
  gint64  verified_seq;    /* the chain up to here was verified */
  char   *verified_hash;
  gint64  hq_seq;          /* HQ acknowledged the chain up to here */
  char   *hq_hash;
  int     broken_code;     /* VpJournalError of an unacknowledged break, or -1 */
  gint64  broken_seq;
  char   *broken;          /* its message, or NULL */
} VpAnchor;

/* broken_code of a damaged file (not a journal fault): only a restore
 * mends it. Journal faults keep their VpJournalError code. */
#define VP_ANCHOR_BREAK_DAMAGED 100

typedef enum
{
  VP_ANCHOR_HEAD     = 1 << 0,  /* head moves forward only */
  VP_ANCHOR_VERIFIED = 1 << 1,  /* verified moves forward only */
  VP_ANCHOR_HQ       = 1 << 2,  /* hq moves forward only */
  VP_ANCHOR_BREAK    = 1 << 3,  /* records a break (kept until reset) */
  VP_ANCHOR_RESET    = 1 << 4,  /* replaces everything (acknowledge, restore) */
} VpAnchorUpdate;

VpAnchor *vp_anchor_new        (const char *van_id);
void      vp_anchor_free       (VpAnchor   *anchor);
char     *vp_anchor_path_for   (const char *db_path);
/* Missing file → G_FILE_ERROR_NOENT; bad signature or syntax →
 * VP_JOURNAL_ERROR_ANCHOR. */
VpAnchor *vp_anchor_load       (const char *path,
                                const char *public_key_pem,
                                GError    **error);
VpAnchor *vp_anchor_load_cached (const char *path,
                                 const char *public_key_pem,
                                 GError    **error);
/* The broken_code recorded for a break, and the error read back from it. */
int       vp_anchor_break_code (const GError   *why);
GError   *vp_anchor_break_error (const VpAnchor *anchor);
/* Merges @update's fields named by @what into the file under the lock
 * and writes it atomically (fsync + rename). */
gboolean  vp_anchor_update     (const char     *path,
                                const char     *lock_path,
                                VpSigner       *signer,
                                const char     *public_key_pem,
                                const VpAnchor *update,
                                VpAnchorUpdate  what,
                                GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpAnchor, vp_anchor_free)

G_END_DECLS
