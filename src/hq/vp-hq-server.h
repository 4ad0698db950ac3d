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

/* Serves docs/PROTOCOL.md on listen ("127.0.0.1:8443"; port 0 picks a
 * free one) until SIGINT/SIGTERM. tls_dir holds ca.crt, server.crt and
 * server.key. If port_file is set, the bound port is written there once
 * listening. */
gboolean vp_hq_serve (PGconn      *conn,
                      const char  *listen,
                      const char  *tls_dir,
                      const char  *port_file,
                      GError     **error);

/* One page of master data for van after cursor since, as JSON text. */
char    *vp_hq_master_page (PGconn      *conn,
                            const char  *van,
                            gint64       since,
                            guint        limit,
                            GError     **error);

G_END_DECLS
