/* vp-hq-server.h: the HTTPS front of vanpos-hq (libsoup 3).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

#define VP_HQ_SESSION_SECONDS 3600
#define VP_HQ_MAX_PULL_LIMIT  50000
#define VP_HQ_DEFAULT_PULL_LIMIT 10000
/* Deepest JSON nesting HQ parses (a batch is 4 deep, a payload ~3). */
#define VP_HQ_MAX_JSON_DEPTH  64

typedef struct
{
  const char *conninfo;           /* libpq connection string */
  guint       workers;            /* request worker threads */
  guint       db_pool;            /* PostgreSQL connections */
  guint       backlog;            /* listen backlog */
  guint       max_connections;    /* open connections; more are closed at once */
  guint       max_queue;          /* requests waiting for a worker; more get 503 */
  guint       handshake_timeout;  /* s: first byte and TLS handshake */
  guint       header_timeout;     /* s: request line and headers */
  guint       body_timeout;       /* s: request body */
  guint       idle_timeout;       /* s: no byte moving on a connection */
  /* The public receipt check (issue 12): a second HTTPS listener that
   * asks for no client certificate and answers GET /v1/receipts/… only. */
  const char *public_listen;      /* "HOST:PORT", NULL: none */
  const char *public_port_file;   /* the bound public port is written here */
  guint       public_rate;        /* checks per minute per source address */
  guint       missing_after;      /* h after a receipt's day: not held = flagged */
} VpHqServeOptions;

/* Defaults sized for the machine (workers = 2 × cores, at least 4). */
void     vp_hq_serve_options_init (VpHqServeOptions *opts);

/* Serves docs/PROTOCOL.md on listen ("127.0.0.1:8443"; port 0 picks a
 * free one) until SIGINT/SIGTERM. tls_dir holds ca.crt, server.crt and
 * server.key. If port_file is set, the bound port is written there once
 * listening. */
gboolean vp_hq_serve (const VpHqServeOptions *opts,
                      const char             *listen,
                      const char             *tls_dir,
                      const char             *port_file,
                      GError                **error);

/* One page of master data for van after cursor since, as JSON text. */
char    *vp_hq_master_page (PGconn      *conn,
                            const char  *van,
                            gint64       since,
                            guint        limit,
                            GError     **error);

/* FALSE if data (JSON text) nests deeper than max_depth, counting
 * brackets inside each string too (entries carry payloads as strings). */
gboolean vp_hq_json_depth_ok (const char *data,
                              gsize       len,
                              guint       max_depth);

G_END_DECLS
