/* hq-test-util.h: helpers for the HQ tests and bench: a van built with
 * the real store, HTTPS calls with libcurl, vanpos-hq runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libpq-fe.h>

#include "vp-store.h"

G_BEGIN_DECLS

typedef struct
{
  long        status;     /* 0: no HTTP answer (see curl_error) */
  char       *body;
  JsonObject *json;       /* body parsed, if an object */
  char       *curl_error;
  gboolean    gzipped;    /* the answer came with Content-Encoding: gzip */
  int         retry_after; /* its Retry-After header, -1 if none */
} HqResp;

void        hq_resp_free      (HqResp *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HqResp, hq_resp_free)

const char *hq_env            (const char *name);
/* Runs vanpos-hq with --pg; returns the exit status, output in out and err. */
int         hq_run            (char      **out,
                               char      **err,
                               ...) G_GNUC_NULL_TERMINATED;
/* method: GET, POST or POST-CHUNKED (a chunked body, no Content-Length).
 * cert_dir: a dir with client.crt and client.key (NULL: no client cert).
 * pin: NULL to use $VANPOS_HQ_PINS. */
HqResp     *hq_https          (const char *method,
                               const char *path,
                               const char *body,
                               gsize       len,
                               gboolean    gzip,
                               const char *cert_dir,
                               const char *token);
GBytes     *hq_gzip           (const char *data,
                               gsize       len);

/* A van database in dir with n demo accounts (PIN iterations 1000). */
VpDatabase *hq_make_van       (const char *dir,
                               const char *van_id,
                               guint       n_accounts);
VpStaff    *hq_van_staff      (VpDatabase *db,
                               const char *id,
                               const char *pin);
/* Copies the van's accounts, bills (paid 0) and tariffs into HQ with
 * vanpos-hq import. */
void        hq_export_master  (VpDatabase *db,
                               const char *dir);
/* Registers the van with vanpos-hq provision; returns the bundle dir. */
char       *hq_provision      (VpDatabase *db,
                               const char *dir,
                               const char *van_id);
char       *hq_session        (const char *bundle,
                               const char *van_id);
/* {"van", "entries": [...]} of the van's entries with after < seq <= upto
 * (upto 0: all). */
char       *hq_batch_json     (VpDatabase *db,
                               gint64      after,
                               gint64      upto);
PGconn     *hq_pg             (void);
gint64      hq_pg_int         (PGconn     *conn,
                               const char *sql);

G_END_DECLS
