/* vp-hq-ingest.h: verifying and applying one pushed journal batch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

#define VP_HQ_MAX_BATCH_ENTRIES 1000
#define VP_HQ_MAX_BODY_BYTES    (16 * 1024 * 1024)

/* An HTTP answer: status and JSON body (an object). */
typedef struct
{
  guint       status;
  JsonObject *body;
} VpHqReply;

void      vp_hq_reply_clear  (VpHqReply  *reply);
/* Fills reply with status and {"error": code, "message": …}; returns
 * the body so callers can add members. */
JsonObject *vp_hq_reply_error (VpHqReply  *reply,
                               guint       status,
                               const char *code,
                               const char *format,
                               ...) G_GNUC_PRINTF (4, 5);

gint64    vp_hq_now_ms       (void);

/* Verifies and stores the batch in body (uncompressed JSON) for van, in
 * one transaction, and fills reply (200 with acked_seq, results, accounts
 * and totals, or an error). FALSE only if the database failed. */
void      vp_hq_ingest_push  (PGconn      *conn,
                              const char  *van,
                              const char  *body,
                              gsize        len,
                              VpHqReply   *reply);

G_END_DECLS
