/* vp-sync.h: what one end-of-day sync reports, and the provisioning
 * bundle import. The sync itself (session → push the outbox → pull master
 * data into the store) is the service layer's (src/service/vp-service-sync.c);
 * the client (vp-sync-client.h) only speaks HQ.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-sync-client.h"

G_BEGIN_DECLS

/* |device clock − HQ clock| above this gives a drift warning. */
#define VP_SYNC_DRIFT_LIMIT_MS (5 * 60 * 1000)

typedef struct
{
  gint64     pushed;          /* entries sent (a resent batch counts again) */
  gint64     accepted;
  gint64     duplicates;
  gint64     conflicts;
  gint64     rejected;        /* stored but quarantined at HQ (issue 10) */
  gint64     resent;          /* entries sent again because HQ lost them */
  gint64     resent_from;     /* the first of them, or 0 */
  GPtrArray *conflict_details; /* VpPushOutcome* of the conflicts and rejections */
  gint64     acked_seq;       /* HQ's highest contiguous seq for the van */
  gint64     pending;         /* outbox entries still not acknowledged */
  gint64     hq_entries;      /* HQ totals for the van */
  VpMoney    hq_amount;
  gint64     accounts_renamed;
  gint64     master_pages;
  VpMasterImportStats master;
  gint64     hq_time;         /* ms, last answer */
  gint64     drift_ms;        /* device − HQ at the session */
  char      *drift_warning;   /* NULL when the clocks agree */
  double     seconds;
} VpSyncResult;

/* stage: "session", "push", "pull", "done". total < 0: unknown. */
typedef void (*VpSyncProgress) (const char *stage,
                                gint64      done,
                                gint64      total,
                                gpointer    user_data);

VpSyncResult *vp_sync_result_new   (void);
void          vp_sync_result_free  (VpSyncResult *result);
/* {pushed, accepted, …, conflicts: [{seq, uuid, detail, credit}], …}. */
JsonNode     *vp_sync_result_to_json (const VpSyncResult *result);

typedef struct
{
  guint master_limit;          /* rows per master page; 0: HQ default */
  gboolean skip_pull;          /* push only */
} VpSyncOptions;

/* A client for the database's HQ settings (VP_SYNC_ERROR_NOT_CONFIGURED
 * when there are none). */
VpSyncClient *vp_sync_client_new_for_database (VpDatabase  *db,
                                               GError     **error);

/* Imports a provisioning bundle (hq.json, ca.crt, client.crt,
 * client.key, card-keys; see docs/PROTOCOL.md): key files are copied next
 * to the database with mode 0600, settings and card keys go to meta.
 * card-keys holds the utility's card master keys ("VERSION HEX" lines);
 * a bundle from an HQ before utility keys has card.key (64 hex digits, a
 * legacy per-van key) instead. */
gboolean      vp_sync_setup_from_bundle (VpDatabase  *db,
                                         const char  *bundle_dir,
                                         GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpSyncResult, vp_sync_result_free)

G_END_DECLS
