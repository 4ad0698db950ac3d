/* vp-journal-store.h: the append-only, hash-chained, signed journal and
 * its outbox.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

/* Columns kept beside the entry for reports and history. */
typedef struct
{
  const char *staff_id;
  gint64      shift_id;     /* 0: none */
  gint64      account_id;   /* 0: none */
  const char *method;       /* cash | card | mobile | NULL */
  VpMoney     amount;       /* money taken in (+) or paid out (−) */
} VpJournalRefs;

/* Appends one entry and its outbox row. Must be called inside a
 * transaction (vp_database_begin). payload is a JSON object; the van id,
 * seq, uuid, times and chain link are filled in here. */
VpJournalEntry *vp_journal_store_append   (VpDatabase          *db,
                                           const char          *kind,
                                           JsonBuilder         *payload,
                                           const VpJournalRefs *refs,
                                           GError             **error);

VpJournalEntry *vp_journal_store_get      (VpDatabase  *db,
                                           gint64       seq,
                                           GError     **error);
/* Entries with seq > after_seq in order, at most limit (0: no limit). */
GPtrArray      *vp_journal_store_list     (VpDatabase  *db,
                                           gint64       after_seq,
                                           guint        limit,
                                           GError     **error);
/* The latest entries touching an account, newest first. */
GPtrArray      *vp_journal_store_list_for_account (VpDatabase  *db,
                                                   gint64       account_id,
                                                   guint        limit,
                                                   GError     **error);
/* The entries of one local day (yyyy-mm-dd, by device time), oldest
 * first, narrowed by kind (exact, or a prefix ending in '.' such as
 * "topup."), staff id and account number; NULL or "" matches all.
 * VP_STORE_ERROR_INVALID for a date that is not yyyy-mm-dd. */
GPtrArray      *vp_journal_store_list_day (VpDatabase  *db,
                                           const char  *date,
                                           const char  *kind,
                                           const char  *staff_id,
                                           const char  *account_number,
                                           GError     **error);
gint64          vp_journal_store_last_seq (VpDatabase  *db);

/* Walks the whole chain: seq continuity, links, hashes, signatures
 * against the van's key. On failure *bad_seq names the first bad entry
 * and error says what is wrong with it. */
gboolean        vp_journal_store_verify   (VpDatabase  *db,
                                           gint64      *n_checked,
                                           gint64      *bad_seq,
                                           GError     **error);

/* The open-time check (DESIGN §4): the journal still holds every head
 * the anchor records, and the entries after the anchor's verified one
 * verify; on success the anchor is moved to the journal's head. */
gboolean        vp_journal_store_check_anchor (VpDatabase  *db,
                                               VpAnchor    *anchor,
                                               gint64      *bad_seq,
                                               GError     **error);

/* A supervisor acknowledges the break that blocks writing: a signed
 * journal.break entry records it (and what was lost) for HQ, and the
 * anchor starts again from it. */
VpJournalEntry *vp_journal_store_acknowledge_break (VpDatabase    *db,
                                                    const VpStaff *supervisor,
                                                    const char    *reason,
                                                    GError       **error);

/* Outbox. */
gint64          vp_outbox_store_count_pending (VpDatabase *db);
/* Pending entries in seq order, at most limit. */
GPtrArray      *vp_outbox_store_list_pending  (VpDatabase  *db,
                                               guint        limit,
                                               GError     **error);
/* Marks every pending entry with seq <= up_to_seq as acknowledged. */
gboolean        vp_outbox_store_ack           (VpDatabase  *db,
                                               gint64       up_to_seq,
                                               GError     **error);

/* Serialises an entry plus its receipt fields as one JSON object:
 * {uuid, seq, van, kind, receipt, verify_code, device_time, …payload}. */
JsonNode       *vp_journal_entry_to_json_node (const VpJournalEntry *entry);
char           *vp_journal_entry_to_json      (const VpJournalEntry *entry);
/* Parses entry->payload; NULL if it is not a JSON object. */
JsonObject     *vp_journal_entry_parse_payload (const VpJournalEntry *entry);

G_END_DECLS
