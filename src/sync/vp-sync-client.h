/* vp-sync-client.h: the HTTPS client for the HQ protocol (docs/PROTOCOL.md).
 *
 * libcurl + OpenSSL: the server chain is checked against the HQ CA and
 * the server's public key is pinned (a backup pin may be listed); the van
 * presents its client certificate (mTLS). Request bodies are gzipped.
 * Every answer is size-capped and validated strictly before anything is
 * handed back, so a malformed answer never reaches the database.
 * Retryable failures (5xx, timeouts, cut connections) are retried with
 * exponential backoff and jitter; everything else fails at once with a
 * specific VP_SYNC_ERROR code.
 *
 * A client is used from one thread at a time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "vp-sync-store.h"

G_BEGIN_DECLS

#define VP_SYNC_ERROR (vp_sync_error_quark ())

typedef enum
{
  VP_SYNC_ERROR_NOT_CONFIGURED, /* no HQ settings, missing key files */
  VP_SYNC_ERROR_PIN,            /* server public key matches no pin */
  VP_SYNC_ERROR_TLS,            /* server certificate untrusted, expired, wrong name */
  VP_SYNC_ERROR_CLIENT_CERT,    /* HQ refused the van's client certificate */
  VP_SYNC_ERROR_AUTH,           /* wrong supervisor PIN, not a supervisor, bad token */
  VP_SYNC_ERROR_GAP,            /* HQ misses entries before the ones sent */
  VP_SYNC_ERROR_REJECTED,       /* HQ refused an entry (bad_entry) */
  VP_SYNC_ERROR_PROTOCOL,       /* malformed, wrong-typed or oversized answer */
  VP_SYNC_ERROR_SERVER,         /* HQ kept failing (5xx) after retries */
  VP_SYNC_ERROR_TIMEOUT,        /* HQ kept timing out after retries */
  VP_SYNC_ERROR_NETWORK,        /* HQ unreachable or the connection kept dropping */
} VpSyncError;

/* Answers larger than this are refused (VP_SYNC_ERROR_PROTOCOL). */
#define VP_SYNC_MAX_ANSWER (32 * 1024 * 1024)
/* At most this many entries per push (the protocol's limit). */
#define VP_SYNC_MAX_BATCH 1000

#define VP_TYPE_SYNC_CLIENT (vp_sync_client_get_type ())
G_DECLARE_FINAL_TYPE (VpSyncClient, vp_sync_client, VP, SYNC_CLIENT, GObject)

typedef void (*VpSyncSleepFunc) (guint    ms,
                                 gpointer user_data);

GQuark        vp_sync_error_quark            (void);

/* Checks the settings (https URL, pin syntax, readable key files). */
VpSyncClient *vp_sync_client_new             (const VpSyncConfig *config,
                                              GError            **error);
/* Seconds; 0 keeps the default (connect 10, low speed 30, overall 300).
 * A transfer slower than 64 bytes/s for low_speed_time is abandoned. */
void          vp_sync_client_set_timeouts    (VpSyncClient *self,
                                              guint         connect_timeout,
                                              guint         low_speed_time,
                                              guint         total_timeout);
/* attempts ≥ 1 (default 5); delay before retry n is
 * min (max_delay, base_delay · 2ⁿ) plus up to 50 % jitter. */
void          vp_sync_client_set_retry       (VpSyncClient *self,
                                              guint         attempts,
                                              guint         base_delay_ms,
                                              guint         max_delay_ms);
/* Replaces g_usleep between retries (tests). */
void          vp_sync_client_set_sleep_func  (VpSyncClient   *self,
                                              VpSyncSleepFunc func,
                                              gpointer        user_data);
/* Requests sent so far, retries included. */
guint         vp_sync_client_get_n_requests  (VpSyncClient *self);

/* POST /session: the supervisor's PIN proof; keeps the token. */
gboolean      vp_sync_client_open_session    (VpSyncClient  *self,
                                              const char    *staff_id,
                                              const char    *pin,
                                              gint64        *hq_time,
                                              GCancellable  *cancellable,
                                              GError       **error);
/* POST /journal with 1 … VP_SYNC_MAX_BATCH contiguous entries. */
VpPushAck    *vp_sync_client_push            (VpSyncClient  *self,
                                              GPtrArray     *entries,
                                              GCancellable  *cancellable,
                                              GError       **error);
/* After a push refused with VP_SYNC_ERROR_GAP: the seq HQ expects next
 * (0 otherwise). Below the van's acknowledged seq it means HQ lost
 * entries it had acknowledged (the service re-sends them). */
gint64        vp_sync_client_get_gap_expected (VpSyncClient *self);
/* The van's record of HQ's acknowledged seq, sent with each push so HQ
 * can tell (and flag) a re-send after it lost data. */
void          vp_sync_client_set_acked_claim  (VpSyncClient *self,
                                               gint64        acked_seq);
/* GET /master. cursor NULL or "" for the first page; limit 0: HQ default. */
VpMasterPage *vp_sync_client_pull            (VpSyncClient  *self,
                                              const char    *cursor,
                                              guint          limit,
                                              GCancellable  *cancellable,
                                              GError       **error);
/* GET /v1/time. */
gboolean      vp_sync_client_get_time        (VpSyncClient  *self,
                                              gint64        *hq_time,
                                              GCancellable  *cancellable,
                                              GError       **error);

/* Strict parsers of HQ's answers (exposed for tests). batch: the
 * entries sent, to check the answer is about them. */
VpPushAck    *vp_sync_parse_push_answer      (JsonNode      *root,
                                              GPtrArray     *batch,
                                              GError       **error);
VpMasterPage *vp_sync_parse_master_page      (JsonNode      *root,
                                              GError       **error);

/* gzip (RFC 1952) of data. */
GBytes       *vp_sync_gzip                   (const guint8  *data,
                                              gsize          len,
                                              GError       **error);

G_END_DECLS
