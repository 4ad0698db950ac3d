/* vp-database.h: the van's SQLite database.
 *
 * One VpDatabase owns one sqlite3 connection. Every store function takes
 * the database lock, so the connection is only ever used by one thread at
 * a time; the service layer runs store calls on a single worker thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <sqlite3.h>

#include "vp-core.h"
#include "vp-anchor.h"

G_BEGIN_DECLS

#define VP_STORE_ERROR (vp_store_error_quark ())

typedef enum
{
  VP_STORE_ERROR_SQLITE,       /* unexpected SQLite failure */
  VP_STORE_ERROR_CORRUPT,      /* integrity check failed */
  VP_STORE_ERROR_FULL,         /* disk full */
  VP_STORE_ERROR_BUSY,         /* still locked after retrying */
  VP_STORE_ERROR_NOT_FOUND,    /* unknown account, bill, entry, staff */
  VP_STORE_ERROR_AUTH,         /* wrong staff id or PIN */
  VP_STORE_ERROR_LOCKED_OUT,   /* too many wrong PINs */
  VP_STORE_ERROR_PERMISSION,   /* role may not do this */
  VP_STORE_ERROR_INVALID,      /* bad input */
  VP_STORE_ERROR_STATE,        /* not allowed now: no open shift, closed account … */
  VP_STORE_ERROR_INSUFFICIENT, /* not enough credit */
  VP_STORE_ERROR_EXISTS,       /* already there */
  VP_STORE_ERROR_CARD_BLOCKED, /* card reported lost or stolen */
  VP_STORE_ERROR_NOT_INITIALIZED,
  VP_STORE_ERROR_READ_ONLY,    /* the medium cannot be written (read-only, -shm cannot grow) */
  VP_STORE_ERROR_DAMAGED,      /* empty, truncated or damaged file, or a broken journal:
                                * nothing is written until restored or acknowledged */
  VP_STORE_ERROR_LIMIT,        /* over an offline exposure cap (vp-limits.h): a supervisor
                                * approves, or the van syncs first */
} VpStoreError;

typedef enum
{
  VP_DATABASE_OPEN_DEFAULT         = 0,
  VP_DATABASE_OPEN_CHECK_INTEGRITY = 1 << 0, /* PRAGMA quick_check at open (the app checks
                                              * in the background instead, see
                                              * vp_database_check_integrity_async) */
  VP_DATABASE_OPEN_READONLY        = 1 << 1,
} VpDatabaseOpenFlags;

#define VP_TYPE_DATABASE (vp_database_get_type ())
G_DECLARE_FINAL_TYPE (VpDatabase, vp_database, VP, DATABASE, GObject)

GQuark        vp_store_error_quark      (void);

/* Opens (creating if needed) and migrates the database. If that fails
 * for want of space or a writable medium (VP_STORE_ERROR_FULL or
 * VP_STORE_ERROR_READ_ONLY), the database is opened for reading only
 * where that is safe, and every write then fails with that error. */
VpDatabase   *vp_database_open          (const char          *path,
                                         VpDatabaseOpenFlags  flags,
                                         GError             **error);
/* Creates the van identity: van id, Ed25519 journal key next to the
 * database (PATH.vankey, mode 0600). Fails if already initialised. */
gboolean      vp_database_init_van      (VpDatabase  *self,
                                         const char  *van_id,
                                         GError     **error);
gboolean      vp_database_is_initialized (VpDatabase *self);
const char   *vp_database_get_path      (VpDatabase  *self);
const char   *vp_database_get_van_id    (VpDatabase  *self);
/* NULL until initialised. */
VpSigner     *vp_database_get_signer    (VpDatabase  *self);
char         *vp_database_dup_public_key_pem (VpDatabase *self);

void          vp_database_lock          (VpDatabase  *self);
void          vp_database_unlock        (VpDatabase  *self);
sqlite3      *vp_database_get_handle    (VpDatabase  *self);

/* BEGIN IMMEDIATE, retrying while another process holds the lock. */
gboolean      vp_database_begin         (VpDatabase  *self,
                                         GError     **error);
gboolean      vp_database_commit        (VpDatabase  *self,
                                         GError     **error);
void          vp_database_rollback      (VpDatabase  *self);

gboolean      vp_database_exec          (VpDatabase  *self,
                                         const char  *sql,
                                         GError     **error);
/* Cached prepared statement, reset and with bindings cleared.
 * Valid until the next call with the same SQL; do not finalize. */
sqlite3_stmt *vp_database_prepare       (VpDatabase  *self,
                                         const char  *sql,
                                         GError     **error);
/* Sets *error from the connection's last error (for rc). Returns FALSE. */
gboolean      vp_database_set_error     (VpDatabase  *self,
                                         int          rc,
                                         GError     **error);

/* The first column of the first row of sql (no parameters), or fallback
 * when there is no row or the query fails. */
gint64        vp_database_query_int     (VpDatabase  *self,
                                         const char  *sql,
                                         gint64       fallback);

char         *vp_database_get_meta      (VpDatabase  *self,
                                         const char  *key);
gint64        vp_database_get_meta_int  (VpDatabase  *self,
                                         const char  *key,
                                         gint64       fallback);
gboolean      vp_database_set_meta      (VpDatabase  *self,
                                         const char  *key,
                                         const char  *value,
                                         GError     **error);

/* PRAGMA quick_check; VP_STORE_ERROR_CORRUPT (one line) on damage. */
gboolean      vp_database_check_integrity (VpDatabase *self,
                                           GError    **error);
/* The same check in a thread, on a connection of its own, so the app is
 * usable at once on a large file (issue 11). If it fails (not cancelled)
 * the failure is set as the break (vp_database_set_break) before the
 * callback runs: every write is refused from then on, and damage is
 * remembered beside the key for the CLI. The callback runs in the
 * thread-default main context of the caller. */
void          vp_database_check_integrity_async  (VpDatabase          *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean      vp_database_check_integrity_finish (VpDatabase    *self,
                                                  GAsyncResult  *result,
                                                  GError       **error);
/* Online backup to dest (a new file), via sqlite3_backup_*, with the van
 * key (dest.vankey, 0600) and the anchor (dest.anchor) beside it. */
gboolean      vp_database_backup        (VpDatabase  *self,
                                         const char  *dest_path,
                                         GError     **error);

/* Replaces the database at path with the backup set at backup_path
 * (database + van key + anchor, from vp_database_backup) after checking
 * the backup's integrity and journal. An intact database is only replaced
 * with force. The van's existing anchor is kept, so entries the backup
 * lacks show as a break at the next open. */
gboolean      vp_database_restore       (const char  *path,
                                         const char  *backup_path,
                                         gboolean     force,
                                         gint64      *restored_seq,
                                         GError     **error);

/* The journal head of the transaction in progress; written to the anchor
 * file after its COMMIT (called by vp_journal_store_append). */
void          vp_database_note_head     (VpDatabase  *self,
                                         gint64       seq,
                                         const char  *hash,
                                         gint64       device_time);
/* Fails with VP_STORE_ERROR_DAMAGED while the journal is broken (an
 * unacknowledged break, DESIGN §4–5): nothing may be written. */
gboolean      vp_database_check_writable (VpDatabase *self,
                                          GError    **error);
/* While set, the break does not block the journal.break entry. */
void          vp_database_set_acknowledging (VpDatabase *self,
                                             gboolean    acknowledging);
/* The break that blocks writing, or NULL. */
const GError *vp_database_get_break     (VpDatabase  *self);
/* The first entry the break concerns (0: none in particular). */
gint64        vp_database_get_break_seq (VpDatabase  *self);
/* Records a break found by verify/check (also in the anchor file, so it
 * outlives this process) and blocks writing. */
void          vp_database_set_break     (VpDatabase   *self,
                                         const GError *why,
                                         gint64        bad_seq);
/* After a supervisor acknowledged the break (or a restore): the anchor is
 * replaced with the journal's current head, verified. */
gboolean      vp_database_reset_anchor  (VpDatabase  *self,
                                         GError     **error);
/* Moves HQ's acknowledged head forward in the anchor. */
gboolean      vp_database_anchor_hq     (VpDatabase  *self,
                                         gint64       seq,
                                         const char  *hash,
                                         GError     **error);
/* The anchor file as it is now (other processes move it too). */
VpAnchor     *vp_database_load_anchor   (VpDatabase  *self,
                                         GError     **error);
/* The anchor as loaded at open (NULL before init or when missing). */
const VpAnchor *vp_database_get_anchor  (VpDatabase  *self);
/* Warnings for the person at the van (clock set back or jumped), taken
 * once: (transfer full) (nullable) a NULL-terminated array. */
char        **vp_database_take_warnings (VpDatabase  *self);

/* Test hook: the process aborts (as in a power cut) right before the
 * COMMIT of the next business transaction when VP_CRASH_BEFORE_COMMIT is set,
 * or right after it when VP_CRASH_AFTER_COMMIT is set. */

/* Clock: µs wall time and ms monotonic time as stored in entries. Tests
 * can fix the wall clock with VP_FAKE_NOW=<unix seconds>. */
gint64        vp_database_now           (void);

G_END_DECLS
