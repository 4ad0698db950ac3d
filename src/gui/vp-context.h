/* vp-context.h: what every screen shares — the service, the signed-in
 * staff member and the settings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vp-service.h"

G_BEGIN_DECLS

#define VP_TYPE_CONTEXT (vp_context_get_type ())
G_DECLARE_FINAL_TYPE (VpContext, vp_context, VP, CONTEXT, GObject)

VpContext     *vp_context_new            (void);
/* Opens (integrity check included) on a thread: a big database must not
 * keep the window from appearing. */
void           vp_context_open_database_async  (VpContext           *self,
                                                const char          *path,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean       vp_context_open_database_finish (VpContext     *self,
                                                GAsyncResult  *result,
                                                GError       **error);
/* The staff list read with the database (VpStaff), once; NULL after the
 * first call or if it could not be read. */
GPtrArray     *vp_context_take_opening_staff (VpContext *self);
VpService     *vp_context_get_service    (VpContext   *self);
VpDatabase    *vp_context_get_database   (VpContext   *self);
const char    *vp_context_get_van_id     (VpContext   *self);

/* NULL while nobody is signed in. */
const VpStaff *vp_context_get_staff      (VpContext   *self);
/* Takes ownership of staff (NULL signs out). Emits notify::staff. */
void           vp_context_set_staff      (VpContext   *self,
                                          VpStaff     *staff);
/* A copy of the signed-in staff for a worker job, or NULL. */
VpStaff       *vp_context_dup_staff      (VpContext   *self);

/* Settings: GSettings when the org.vanpos.VanPos schema is installed (or
 * GSETTINGS_SCHEMA_DIR points at it), otherwise defaults kept in memory. */
gboolean       vp_context_has_gsettings  (VpContext   *self);
char          *vp_context_dup_string     (VpContext   *self,
                                          const char  *key);
void           vp_context_set_string     (VpContext   *self,
                                          const char  *key,
                                          const char  *value);
/* The idle lock runs from 30 s to an hour: never off for good. */
#define VP_IDLE_LOCK_MIN_SECONDS 30
#define VP_IDLE_LOCK_MAX_SECONDS 3600
guint          vp_context_get_idle_lock_seconds (VpContext *self);
void           vp_context_set_idle_lock_seconds (VpContext *self,
                                                 guint      seconds);

/* The journal break that blocks every write (DESIGN §4–5), as one line,
 * or NULL. Follows the database after every job run by vp_context_run();
 * emits notify::journal-break when it changes. */
const char    *vp_context_get_journal_break (VpContext *self);
/* Starts the background integrity check of the open database (once; the
 * sign-in page calls it when it is up). A failure sets journal-break. */
void           vp_context_check_integrity (VpContext *self);

/* Something was written: screens showing counters reload. */
void           vp_context_emit_changed   (VpContext   *self);

/* Prints the receipt of entry seq on the printer setting ("pdf" writes
 * <user data>/vanpos/receipts/<receipt>.pdf). finish returns where it went
 * (a path, or "" for a device) or NULL with error. */
void           vp_context_print_receipt_async  (VpContext           *self,
                                                gint64               seq,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/* A duplicate of entry seq asked for by staff (a supervisor reprinting
 * from the day's transactions): always journaled as receipt.reprint;
 * finish with vp_context_print_receipt_finish(). */
void           vp_context_reprint_receipt_async (VpContext           *self,
                                                 const VpStaff       *staff,
                                                 gint64               seq,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char          *vp_context_print_receipt_finish (VpContext     *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/* vp_service_run_async() on the context's service. Every job goes
 * through here, so after each one (on the worker) the context takes the
 * store's clock warnings, emitted as "warning" (one string each) after
 * callback ran, and notes the journal break state. */
void           vp_context_run            (VpContext           *self,
                                          VpServiceFunc        func,
                                          gpointer             data,
                                          GDestroyNotify       data_free,
                                          GDestroyNotify       result_free,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gpointer       vp_context_run_finish     (VpContext     *self,
                                          GAsyncResult  *result,
                                          GError       **error);

/* Large text and targets (the "large-text" setting); notify::large-text. */
gboolean       vp_context_get_large_text (VpContext *self);
void           vp_context_set_large_text (VpContext *self,
                                          gboolean   large);

G_END_DECLS
