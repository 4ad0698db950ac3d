/* vp-hq-admin.h: vanpos-hq's admin commands over the HQ database.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

/* Registers (or re-issues) van with its Ed25519 journal public key and
 * writes the provisioning bundle to out_dir. */
gboolean vp_hq_provision   (PGconn      *conn,
                            const char  *van,
                            const char  *public_key_path,
                            const char  *tls_dir,
                            const char  *url,
                            int          valid_days,
                            const char  *out_dir,
                            GError     **error);
/* A new card master key version (the highest is what vans write with
 * once re-provisioned); the first provision makes version 1. */
gboolean vp_hq_card_key_new (PGconn     *conn,
                             gint64     *version,
                             GError    **error);
gboolean vp_hq_revoke      (PGconn      *conn,
                            const char  *van,
                            GError     **error);
gboolean vp_hq_staff_add   (PGconn      *conn,
                            const char  *id,
                            const char  *name,
                            const char  *role,
                            const char  *pin,
                            guint        iterations,
                            GError     **error);
/* what: accounts | bills | tariffs. One transaction; errors name the line. */
gboolean vp_hq_import_csv  (PGconn      *conn,
                            const char  *what,
                            const char  *path,
                            gint64      *n_rows,
                            GError     **error);
/* n accounts (and a bill for each post-paid one) via COPY. */
gboolean vp_hq_demo        (PGconn      *conn,
                            gint64       n_accounts,
                            GError     **error);
/* Per van: entries, highest seq, last sync, totals. As text or JSON. */
char    *vp_hq_status      (PGconn      *conn,
                            gboolean     json,
                            GError     **error);
/* The day's (UTC date of device_time) entries as CSV. */
gboolean vp_hq_export_day  (PGconn      *conn,
                            const char  *date,
                            const char  *out_path,
                            gint64      *n_rows,
                            GError     **error);

G_END_DECLS
