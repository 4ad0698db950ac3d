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
                            const char  *receipt_check_url,
                            int          valid_days,
                            const char  *out_dir,
                            GError     **error);
/* A new card master key version (the highest is what vans write with
 * once re-provisioned); the first provision makes version 1. */
gboolean vp_hq_card_key_new (PGconn     *conn,
                             gint64     *version,
                             GError    **error);
/* A new client certificate for a registered van (same journal key, same
 * card keys): the bundle as provision writes it; the old certificate is
 * refused from now on. */
gboolean vp_hq_renew       (PGconn      *conn,
                            const char  *van,
                            const char  *tls_dir,
                            const char  *url,
                            int          valid_days,
                            const char  *out_dir,
                            GError     **error);
/* A new laptop for van: a new certificate (the old laptop is refused) and
 * optionally a new journal key (public_key_path, NULL: the key restored
 * from the van's backup) used from HQ's next seq on; recorded with by and
 * why in van_keys; the van's sessions end. */
gboolean vp_hq_replace_laptop (PGconn     *conn,
                               const char *van,
                               const char *public_key_path,
                               const char *tls_dir,
                               const char *url,
                               int         valid_days,
                               const char *out_dir,
                               const char *by,
                               const char *why,
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

/* what: vans (soonest certificate expiry first, last sync), staff (with
 * PIN locks), flags or conflicts (unresolved unless all). Text: a header
 * row and tab-separated rows; JSON: {"<what>": [ {...}, ... ]}. */
char    *vp_hq_list        (PGconn      *conn,
                            const char  *what,
                            gboolean     all,
                            gboolean     json,
                            GError     **error);
/* Marks a review flag / a conflict entry resolved, recording who and why.
 * NOT_FOUND: no such flag or conflict; EXISTS: already resolved. */
gboolean vp_hq_flag_resolve (PGconn     *conn,
                             gint64      id,
                             const char *by,
                             const char *why,
                             GError    **error);
gboolean vp_hq_conflict_resolve (PGconn     *conn,
                                 const char *van,
                                 gint64      seq,
                                 const char *by,
                                 const char *why,
                                 GError    **error);
/* Staff can no longer log in at HQ or (after their next pull) on vans;
 * their HQ sessions end. */
gboolean vp_hq_staff_deactivate (PGconn     *conn,
                                 const char *id,
                                 GError    **error);

G_END_DECLS
