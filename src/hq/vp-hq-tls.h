/* vp-hq-tls.h: the HQ certificate authority (OpenSSL 3): CA, server and
 * van client certificates, public-key pins and client certificate checks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VP_HQ_CA_DAYS     3650
#define VP_HQ_SERVER_DAYS 825

/* Creates D/ca.key, ca.crt, server.key, server.crt (CN and SAN
 * 127.0.0.1 + localhost + extra host names) and backup-server.key.
 * Refuses to overwrite an existing CA. *pins gets "sha256//A;sha256//B"
 * (server key; backup key). */
gboolean vp_hq_ca_init           (const char          *dir,
                                  const char * const  *extra_hosts,
                                  char               **pins,
                                  GError             **error);
/* "sha256//<base64>" of a PEM private key or certificate file's public key. */
char    *vp_hq_pin_for_file      (const char  *path,
                                  GError     **error);
/* The server pin and backup pin of a CA dir: "sha256//A;sha256//B". */
char    *vp_hq_pins_for_dir      (const char  *dir,
                                  GError     **error);
/* Issues a client certificate CN=cn valid for days, writes key (0600)
 * and certificate PEM; *serial gets the serial in hex. */
gboolean vp_hq_issue_client      (const char  *ca_dir,
                                  const char  *cn,
                                  int          days,
                                  const char  *key_path,
                                  const char  *cert_path,
                                  char       **serial,
                                  GError     **error);
/* Verifies a DER client certificate against the CA in ca_dir (chain and
 * validity period). On success *cn and *serial (hex) are set. */
gboolean vp_hq_check_client_der  (const char   *ca_dir,
                                  const guint8 *der,
                                  gsize         len,
                                  char        **cn,
                                  char        **serial,
                                  GError      **error);

G_END_DECLS
