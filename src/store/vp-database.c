/* vp-database.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-database"

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "vp-database.h"
#include "vp-validate.h"
#include "vp-migrations.h"
#include "vp-journal-store.h"
#include "vp-sync-store.h"

struct _VpDatabase
{
  GObject     parent_instance;
  sqlite3    *db;
  char       *path;
  char       *van_id;
  VpSigner   *signer;
  GHashTable *stmts;   /* SQL text → sqlite3_stmt* */
  GRecMutex   mutex;

  /* The journal's anchor (DESIGN §4). */
  char       *anchor_path;
  char       *key_path;
  char       *public_key;
  VpAnchor   *anchor;         /* as checked at open */
  GError     *broken;         /* set: nothing may be written */
  gint64      broken_seq;
  gboolean    read_only;
  gboolean    acknowledging;  /* the one entry a broken journal takes */
  gint64      schema_before;  /* user_version before this open migrated */
  gint64      pending_seq;    /* head of the transaction in progress */
  char       *pending_hash;
  gint64      pending_time;
  GPtrArray  *warnings;
  /* Set when the normal open failed for lack of space or a read-only
   * medium and the database was opened for reading only: every write
   * fails with this error (see open_read_only_fallback). */
  GError     *read_only_cause;
  int         fallback_lock_fd;  /* -1, or the fd holding the lock of way 3 */
};

G_DEFINE_TYPE (VpDatabase, vp_database, G_TYPE_OBJECT)
G_DEFINE_QUARK (vp-store-error-quark, vp_store_error)

#define BUSY_TIMEOUT_MS   5000
/* A wall clock more than this ahead of the last entry is warned about. */
#define VP_CLOCK_JUMP_LIMIT_S (7 * 86400)
/* Total time BEGIN IMMEDIATE may wait for another writer before the
 * operation fails with VP_STORE_ERROR_BUSY (20 retries of the 5 s busy
 * timeout would have blocked for over 100 s). */
#define BEGIN_DEADLINE_MS 10000

static void
vp_database_finalize (GObject *object)
{
  VpDatabase *self = (VpDatabase *)object;

  g_clear_pointer (&self->stmts, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  if (self->fallback_lock_fd >= 0)
    close (self->fallback_lock_fd);
  g_clear_pointer (&self->signer, vp_signer_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->van_id, g_free);
  g_clear_pointer (&self->anchor_path, g_free);
  g_clear_pointer (&self->key_path, g_free);
  g_clear_pointer (&self->public_key, g_free);
  g_clear_pointer (&self->anchor, vp_anchor_free);
  g_clear_error (&self->broken);
  g_clear_pointer (&self->pending_hash, g_free);
  g_clear_pointer (&self->warnings, g_ptr_array_unref);
  g_clear_error (&self->read_only_cause);
  g_rec_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (vp_database_parent_class)->finalize (object);
}

static void
vp_database_class_init (VpDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vp_database_finalize;
}

static void
vp_database_init (VpDatabase *self)
{
  g_rec_mutex_init (&self->mutex);
  self->fallback_lock_fd = -1;
  self->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)sqlite3_finalize);
  self->warnings = g_ptr_array_new_with_free_func (g_free);
}

gint64
vp_database_now (void)
{
  const char *fake = g_getenv ("VP_FAKE_NOW");

  if (fake != NULL && *fake != '\0')
    return g_ascii_strtoll (fake, NULL, 10) * G_USEC_PER_SEC;
  return g_get_real_time ();
}

static gboolean on_read_only_filesystem (const char *path);

/* errno for "this directory cannot be written" (EROFS, EACCES …), or 0. */
static int
directory_write_errno (const char *path)
{
  g_autofree char *dir = NULL;

  if (path == NULL)
    return 0;
  if (on_read_only_filesystem (path))
    return EROFS;
  dir = g_path_get_dirname (path);
  return access (dir, W_OK) == 0 ? 0 : errno;
}

/* A full disk is not only SQLITE_FULL: growing the -shm (SHMSIZE),
 * mapping or opening it, or writing and syncing the -wal fail as
 * SQLITE_IOERR_* with errno ENOSPC. A read-only medium or directory shows
 * as SQLITE_READONLY* or as an I/O or open error with EROFS/EACCES/EPERM;
 * SQLite often tries a read-only open of the -shm after the read-write
 * one, which leaves ENOENT, so the directory itself is asked too.
 * Returns VP_STORE_ERROR_FULL, VP_STORE_ERROR_READ_ONLY or -1 (neither);
 * *sys_errno is the errno that explains it. */
static int
storage_error_code (const char *path,
                    int         rc,
                    int        *sys_errno)
{
  int primary = rc & 0xff;

  if (primary == SQLITE_FULL)
    return VP_STORE_ERROR_FULL;
  if (primary == SQLITE_READONLY && rc != SQLITE_READONLY_DBMOVED)
    return VP_STORE_ERROR_READ_ONLY;
  if (primary != SQLITE_IOERR && primary != SQLITE_CANTOPEN)
    return -1;
  switch (*sys_errno)
    {
    case ENOSPC:
    case EDQUOT:
      return VP_STORE_ERROR_FULL;
    case EROFS:
    case EACCES:
    case EPERM:
      return VP_STORE_ERROR_READ_ONLY;
    default:
      break;
    }
  /* Growing the -shm can only fail for want of room. */
  if (rc == SQLITE_IOERR_SHMSIZE)
    return VP_STORE_ERROR_FULL;
  if (primary == SQLITE_CANTOPEN || rc == SQLITE_IOERR_SHMOPEN)
    {
      int dir_errno = directory_write_errno (path);

      if (dir_errno == EROFS || dir_errno == EACCES || dir_errno == EPERM)
        {
          *sys_errno = dir_errno;
          return VP_STORE_ERROR_READ_ONLY;
        }
    }
  return -1;
}

gboolean
vp_database_set_error (VpDatabase  *self,
                       int          rc,
                       GError     **error)
{
  int primary = rc & 0xff;
  const char *msg = self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);
  int sys_errno = self->db ? sqlite3_system_errno (self->db) : 0;
  int storage = storage_error_code (self->path, rc, &sys_errno);

  /* A read-only fallback connection refuses writes with SQLITE_READONLY;
   * the reason the user needs is why it is read-only (disk full …). */
  if (self->read_only_cause != NULL && primary == SQLITE_READONLY)
    {
      g_propagate_error (error, g_error_copy (self->read_only_cause));
      return FALSE;
    }

  if (storage == VP_STORE_ERROR_FULL)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_FULL,
                 _("The disk is full; nothing was saved (%s)"),
                 /* SQLite clears errno when it turns ENOSPC into SQLITE_FULL */
                 g_strerror (sys_errno == EDQUOT ? EDQUOT : ENOSPC));
  else if (storage == VP_STORE_ERROR_READ_ONLY)
    {
      /* SQLITE_READONLY carries no errno; the directory tells why. */
      if (primary == SQLITE_READONLY)
        sys_errno = directory_write_errno (self->path);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_READ_ONLY,
                   _("This medium cannot be written (%s); nothing was saved"),
                   sys_errno != 0 ? g_strerror (sys_errno) : msg);
    }
  else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_BUSY,
                 _("The database is busy; try again (%s)"), msg);
  else if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                 _("The database file is damaged (%s)"), msg);
  else if (primary == SQLITE_CONSTRAINT)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                 _("Conflicts with existing data (%s)"), msg);
  else
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_SQLITE,
                 _("Database error: %s"), msg);
  return FALSE;
}

gboolean
vp_database_exec (VpDatabase  *self,
                  const char  *sql,
                  GError     **error)
{
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (self), FALSE);

  rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return vp_database_set_error (self, rc, error);
  return TRUE;
}

sqlite3_stmt *
vp_database_prepare (VpDatabase  *self,
                     const char  *sql,
                     GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (self), NULL);

  stmt = g_hash_table_lookup (self->stmts, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      vp_database_set_error (self, rc, error);
      return NULL;
    }
  g_hash_table_insert (self->stmts, g_strdup (sql), stmt);
  return stmt;
}

void
vp_database_lock (VpDatabase *self)
{
  g_rec_mutex_lock (&self->mutex);
}

void
vp_database_unlock (VpDatabase *self)
{
  g_rec_mutex_unlock (&self->mutex);
}

sqlite3 *
vp_database_get_handle (VpDatabase *self)
{
  g_return_val_if_fail (VP_IS_DATABASE (self), NULL);
  return self->db;
}

const char *
vp_database_get_path (VpDatabase *self)
{
  return self->path;
}

const char *
vp_database_get_van_id (VpDatabase *self)
{
  return self->van_id;
}

VpSigner *
vp_database_get_signer (VpDatabase *self)
{
  return self->signer;
}

gboolean
vp_database_is_initialized (VpDatabase *self)
{
  return self->van_id != NULL && self->signer != NULL;
}

char *
vp_database_dup_public_key_pem (VpDatabase *self)
{
  if (self->signer == NULL)
    return NULL;
  return vp_signer_public_key_pem (self->signer);
}

/* A test that must kill the process at an exact point stops it there:
 * VP_STOP_AT lists points ("begin,before-commit,after-commit"), each is
 * a SIGSTOP the test answers with SIGKILL or SIGCONT. */
static void
maybe_stop (VpDatabase *self,
            const char *point)
{
  const char *v = g_getenv ("VP_STOP_AT");
  g_auto(GStrv) points = NULL;

  if (v == NULL || *v == '\0' || self->van_id == NULL)
    return;
  points = g_strsplit (v, ",", -1);
  if (g_strv_contains ((const char * const *)points, point))
    raise (SIGSTOP);
}

gboolean
vp_database_begin (VpDatabase  *self,
                   GError     **error)
{
  /* busy_timeout already waits inside SQLite; the loop covers the case
   * where another writer keeps winning the lock for longer than that. */
  gint64 deadline = g_get_monotonic_time () + BEGIN_DEADLINE_MS * G_GINT64_CONSTANT (1000);

  if (self->read_only_cause != NULL)
    {
      g_propagate_error (error, g_error_copy (self->read_only_cause));
      return FALSE;
    }
  for (;;)
    {
      int rc = sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

      if (rc == SQLITE_OK)
        {
          maybe_stop (self, "begin");
          return TRUE;
        }
      if ((rc & 0xff) != SQLITE_BUSY || g_get_monotonic_time () >= deadline)
        return vp_database_set_error (self, rc, error);
      g_usleep (g_random_int_range (10, 50) * 1000);
    }
}

static void
maybe_crash (const char *var)
{
  const char *v = g_getenv (var);

  if (v != NULL && *v != '\0' && !g_str_equal (v, "0"))
    {
      /* A test simulating a power cut: no cleanup, no atexit. */
      g_printerr ("vanpos: simulated crash (%s)\n", var);
      _exit (86);
    }
}

gboolean
vp_database_commit (VpDatabase  *self,
                    GError     **error)
{
  int rc;

  /* Only business transactions of an initialised van, never migrations. */
  if (self->van_id != NULL)
    maybe_crash ("VP_CRASH_BEFORE_COMMIT");
  maybe_stop (self, "before-commit");
  rc = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      vp_database_set_error (self, rc, error);
      vp_database_rollback (self);
      return FALSE;
    }
  if (self->van_id != NULL)
    maybe_crash ("VP_CRASH_AFTER_COMMIT");
  maybe_stop (self, "after-commit");
  if (self->pending_hash != NULL)
    {
      g_autoptr(VpAnchor) head = vp_anchor_new (self->van_id);
      g_autoptr(GError) local_error = NULL;

      head->head_seq = self->pending_seq;
      g_free (head->head_hash);
      head->head_hash = g_steal_pointer (&self->pending_hash);
      head->head_time = self->pending_time;
      /* The entry is committed whatever happens here: an anchor that lags
       * behind the journal is harmless, one ahead of it is not. */
      if (!vp_anchor_update (self->anchor_path, self->key_path, self->signer, self->public_key,
                             head, VP_ANCHOR_HEAD, &local_error))
        {
          g_ptr_array_add (self->warnings,
                           g_strdup_printf (_("saved, but the journal head could not be anchored: %s"),
                                            local_error->message));
          /* The anchor went missing or bad under a running van: nothing
           * more is taken until a supervisor looks. */
          if (local_error->domain == VP_JOURNAL_ERROR && self->broken == NULL)
            self->broken = g_error_copy (local_error);
        }
      if (self->anchor != NULL && head->head_seq >= self->anchor->head_seq)
        {
          self->anchor->head_seq = head->head_seq;
          g_free (self->anchor->head_hash);
          self->anchor->head_hash = g_strdup (head->head_hash);
          self->anchor->head_time = head->head_time;
        }
    }
  return TRUE;
}

VpAnchor *
vp_database_load_anchor (VpDatabase  *self,
                         GError     **error)
{
  VpAnchor *a;

  if (self->public_key == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_INITIALIZED,
                   _("This database has no van identity"));
      return NULL;
    }
  a = vp_anchor_load (self->anchor_path, self->public_key, error);
  if (a == NULL && error != NULL && g_error_matches (*error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_clear_error (error);
      g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_ANCHOR,
                   _("the journal anchor %s is missing"), self->anchor_path);
    }
  return a;
}

void
vp_database_rollback (VpDatabase *self)
{
  g_clear_pointer (&self->pending_hash, g_free);
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

void
vp_database_note_head (VpDatabase *self,
                       gint64      seq,
                       const char *hash,
                       gint64      device_time)
{
  g_autoptr(GDateTime) now_dt = NULL;
  gint64 last = self->anchor ? self->anchor->head_time : 0;
  /* last_hq_time (ms) is HQ's clock at the last sync (vp-sync-store.h). */
  gint64 hq = vp_database_get_meta_int (self, "last_hq_time", 0) * 1000;
  gint64 limit = vp_database_get_meta_int (self, "clock_jump_limit_s",
                                           VP_CLOCK_JUMP_LIMIT_S) * G_USEC_PER_SEC;

  g_free (self->pending_hash);
  self->pending_hash = g_strdup (hash);
  self->pending_seq = seq;
  self->pending_time = device_time;

  /* DESIGN §4: the clock is only warned about, never trusted to order
   * anything (cards order by counter, the journal by seq). */
  if (last > 0 && device_time < last - G_USEC_PER_SEC * 60)
    g_ptr_array_add (self->warnings,
                     g_strdup_printf (_("The clock went back %" PRId64 " minutes since "
                                        "the last entry; check the date and time"),
                                      (last - device_time) / (60 * G_USEC_PER_SEC)));
  else if (last > 0 && device_time > last + limit)
    g_ptr_array_add (self->warnings,
                     g_strdup_printf (_("The clock jumped %" PRId64 " days ahead of the "
                                        "last entry; check the date and time"),
                                      (device_time - last) / (G_USEC_PER_SEC * G_GINT64_CONSTANT (86400))));
  else if (hq > 0 && device_time < hq - G_USEC_PER_SEC * 60)
    g_ptr_array_add (self->warnings,
                     g_strdup (_("The clock is behind headquarters' time at the last sync; "
                                 "check the date and time")));
}

char **
vp_database_take_warnings (VpDatabase *self)
{
  char **ret;

  if (self->warnings->len == 0)
    return NULL;
  g_ptr_array_add (self->warnings, NULL);
  ret = (char **)g_ptr_array_steal (self->warnings, NULL);
  return ret;
}

void
vp_database_set_acknowledging (VpDatabase *self,
                               gboolean    acknowledging)
{
  self->acknowledging = acknowledging;
}

gboolean
vp_database_check_writable (VpDatabase  *self,
                            GError     **error)
{
  if (self->acknowledging)
    return TRUE;
  /* Another process (verify, check, the CLI beside the app) may have
   * recorded a break since this one opened. */
  if (self->broken == NULL && self->anchor != NULL && self->public_key != NULL)
    {
      g_autoptr(GError) load_error = NULL;
      g_autoptr(VpAnchor) now = vp_anchor_load_cached (self->anchor_path, self->public_key,
                                                       &load_error);

      if (now == NULL)
        {
          self->broken = g_steal_pointer (&load_error);
          if (g_error_matches (self->broken, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            {
              g_clear_error (&self->broken);
              g_set_error (&self->broken, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_ANCHOR,
                           _("the journal anchor %s is missing"), self->anchor_path);
            }
        }
      else if (now->broken != NULL)
        {
          self->broken = vp_anchor_break_error (now);
          self->broken_seq = now->broken_seq;
        }
    }
  if (self->broken == NULL)
    return TRUE;
  /* A damaged file cannot be acknowledged (vp_journal_store_acknowledge_break):
   * its message already says to restore. */
  if (self->broken->domain != VP_JOURNAL_ERROR)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                   _("Nothing can be saved: %s (vanpos-cli restore)"), self->broken->message);
      return FALSE;
    }
  g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
               _("Nothing can be saved: %s. A supervisor must acknowledge this "
                 "(vanpos-cli acknowledge-break) or restore the latest backup "
                 "(vanpos-cli restore)"),
               self->broken->message);
  return FALSE;
}

/* Under the lock: the background integrity check may set the break
 * from its thread (it only ever goes from none to one there). */
const GError *
vp_database_get_break (VpDatabase *self)
{
  const GError *broken;

  vp_database_lock (self);
  broken = self->broken;
  vp_database_unlock (self);
  return broken;
}

gint64
vp_database_get_break_seq (VpDatabase *self)
{
  gint64 seq;

  vp_database_lock (self);
  seq = self->broken_seq;
  vp_database_unlock (self);
  return seq;
}

const VpAnchor *
vp_database_get_anchor (VpDatabase *self)
{
  return self->anchor;
}

void
vp_database_set_break (VpDatabase   *self,
                       const GError *why,
                       gint64        bad_seq)
{
  g_autoptr(VpAnchor) update = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->broken == NULL)
    {
      self->broken = g_error_copy (why);
      self->broken_seq = bad_seq;
    }
  if (self->read_only || self->signer == NULL)
    return;
  /* A busy database or an I/O hiccup blocks this process only; what is
   * remembered beside the key is a journal fault or a damaged file. */
  if (why->domain != VP_JOURNAL_ERROR &&
      !g_error_matches (why, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT) &&
      !g_error_matches (why, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED))
    return;
  update = vp_anchor_new (self->van_id);
  update->broken = g_strdup (why->message);
  update->broken_code = vp_anchor_break_code (why);
  update->broken_seq = bad_seq;
  if (!vp_anchor_update (self->anchor_path, self->key_path, self->signer, self->public_key,
                         update, VP_ANCHOR_BREAK, &local_error))
    g_debug ("%s", local_error->message);
}

static gboolean
anchor_from_head (VpDatabase *self,
                  VpAnchor   *a)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (self->db, "SELECT seq, hash, device_time FROM journal"
                                    " ORDER BY seq DESC LIMIT 1", -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  switch (sqlite3_step (stmt))
    {
    case SQLITE_ROW:
      a->head_seq = a->verified_seq = sqlite3_column_int64 (stmt, 0);
      g_free (a->head_hash);
      g_free (a->verified_hash);
      a->head_hash = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      a->verified_hash = g_strdup (a->head_hash);
      a->head_time = sqlite3_column_int64 (stmt, 2);
      ok = TRUE;
      break;
    case SQLITE_DONE:
      ok = TRUE;
      break;
    default:
      break;
    }
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
hash_of_seq_is (VpDatabase *self,
                gint64      seq,
                const char *hash)
{
  sqlite3_stmt *stmt = NULL;
  gboolean same = FALSE;

  if (sqlite3_prepare_v2 (self->db, "SELECT hash FROM journal WHERE seq = ?1", -1, &stmt,
                          NULL) != SQLITE_OK)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, seq);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    same = g_strcmp0 ((const char *)sqlite3_column_text (stmt, 0), hash) == 0;
  sqlite3_finalize (stmt);
  return same;
}

gboolean
vp_database_reset_anchor (VpDatabase  *self,
                          GError     **error)
{
  g_autoptr(VpAnchor) a = vp_anchor_new (self->van_id);

  if (!anchor_from_head (self, a))
    return vp_database_set_error (self, sqlite3_errcode (self->db), error);
  /* Verified stays where the chain was last walked (if the journal still
   * holds it), so the next open walks what no check has seen yet. */
  g_free (a->verified_hash);
  if (self->anchor != NULL && self->anchor->verified_seq <= a->head_seq &&
      (self->anchor->verified_seq == 0 ||
       hash_of_seq_is (self, self->anchor->verified_seq, self->anchor->verified_hash)))
    {
      a->verified_seq = self->anchor->verified_seq;
      a->verified_hash = g_strdup (self->anchor->verified_hash);
    }
  else
    {
      a->verified_seq = 0;
      a->verified_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);
    }
  /* HQ's head stays only while the journal still holds it, as HQ has it. */
  if (self->anchor != NULL && self->anchor->hq_seq > 0 && self->anchor->hq_seq <= a->head_seq &&
      hash_of_seq_is (self, self->anchor->hq_seq, self->anchor->hq_hash))
    {
      a->hq_seq = self->anchor->hq_seq;
      g_free (a->hq_hash);
      a->hq_hash = g_strdup (self->anchor->hq_hash);
    }
  if (!vp_anchor_update (self->anchor_path, self->key_path, self->signer, self->public_key,
                         a, VP_ANCHOR_RESET | VP_ANCHOR_HEAD | VP_ANCHOR_VERIFIED | VP_ANCHOR_HQ |
                         VP_ANCHOR_BREAK, error))
    return FALSE;
  g_clear_pointer (&self->anchor, vp_anchor_free);
  self->anchor = g_steal_pointer (&a);
  g_clear_error (&self->broken);
  return vp_database_set_meta (self, "anchored", "1", error);
}

gboolean
vp_database_anchor_hq (VpDatabase  *self,
                       gint64       seq,
                       const char  *hash,
                       GError     **error)
{
  g_autoptr(VpAnchor) a = vp_anchor_new (self->van_id);

  a->hq_seq = seq;
  g_free (a->hq_hash);
  a->hq_hash = g_strdup (hash);
  return vp_anchor_update (self->anchor_path, self->key_path, self->signer, self->public_key,
                           a, VP_ANCHOR_HQ, error);
}

/* At open (DESIGN §4): the anchor must be this van's, the journal must
 * still hold every anchored head, and the entries after the last
 * verified one must verify. Any break blocks writing until a supervisor
 * acknowledges it. */
static void
check_anchor (VpDatabase *self)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(VpAnchor) a = NULL;
  g_autofree char *anchored = NULL;
  gint64 bad_seq = 0;

  a = vp_anchor_load (self->anchor_path, self->public_key, &local_error);
  anchored = vp_database_get_meta (self, "anchored");
  if (a == NULL && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) &&
      anchored == NULL && self->schema_before > 0 && self->schema_before < 2)
    {
      /* A van from before anchors: anchor it now, verified from the
       * start at the next step. */
      g_clear_error (&local_error);
      a = vp_anchor_new (self->van_id);
      if (!anchor_from_head (self, a))
        return;
      g_free (a->verified_hash);
      a->verified_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);
      a->verified_seq = 0;
      if (!self->read_only &&
          (!vp_anchor_update (self->anchor_path, self->key_path, self->signer, self->public_key,
                              a, VP_ANCHOR_RESET | VP_ANCHOR_HEAD | VP_ANCHOR_VERIFIED |
                              VP_ANCHOR_HQ | VP_ANCHOR_BREAK, &local_error) ||
           !vp_database_set_meta (self, "anchored", "1", &local_error)))
        {
          g_warning ("%s", local_error->message);
          return;
        }
    }
  if (a == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_clear_error (&local_error);
          g_set_error (&local_error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_ANCHOR,
                       _("the journal anchor %s is missing"), self->anchor_path);
        }
      vp_database_set_break (self, local_error, 0);
      return;
    }
  if (g_strcmp0 (a->van_id, self->van_id) != 0)
    {
      g_set_error (&local_error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_ANCHOR,
                   _("the journal anchor %s belongs to van %s"), self->anchor_path, a->van_id);
      vp_database_set_break (self, local_error, 0);
      return;
    }
  self->anchor = g_steal_pointer (&a);
  if (self->anchor->broken != NULL)
    {
      self->broken = vp_anchor_break_error (self->anchor);
      self->broken_seq = self->anchor->broken_seq;
      return;
    }
  /* One snapshot for the whole check: the app and the CLI share the file,
   * and an entry another process commits meanwhile would end the walk
   * past the last seq read first, pairing that seq with the newer
   * entry's hash as "verified", a fork that never was at the next open. */
  {
    gboolean snapshot = sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    gboolean ok = vp_journal_store_check_anchor (self, self->anchor, &bad_seq, &local_error);

    if (snapshot)
      sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
    if (!ok)
      {
        vp_database_set_break (self, local_error, bad_seq);
        return;
      }
  }
  if (!self->read_only)
    {
      g_autoptr(GError) save_error = NULL;

      /* Only saves the next start some work; a full disk must not make
       * the read-only commands noisy. */
      if (!vp_anchor_update (self->anchor_path, self->key_path, self->signer, self->public_key,
                             self->anchor, VP_ANCHOR_HEAD | VP_ANCHOR_VERIFIED, &save_error))
        g_debug ("%s", save_error->message);
    }
}

gint64
vp_database_query_int (VpDatabase *self,
                       const char *sql,
                       gint64      fallback)
{
  sqlite3_stmt *stmt;
  gint64 value = fallback;

  vp_database_lock (self);
  stmt = vp_database_prepare (self, sql, NULL);
  if (stmt != NULL)
    {
      if (sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  vp_database_unlock (self);
  return value;
}

char *
vp_database_get_meta (VpDatabase *self,
                      const char *key)
{
  sqlite3_stmt *stmt;
  char *ret = NULL;

  vp_database_lock (self);
  stmt = vp_database_prepare (self, "SELECT value FROM meta WHERE key = ?", NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        ret = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  vp_database_unlock (self);
  return ret;
}

gint64
vp_database_get_meta_int (VpDatabase *self,
                          const char *key,
                          gint64      fallback)
{
  g_autofree char *v = vp_database_get_meta (self, key);

  if (v == NULL)
    return fallback;
  return g_ascii_strtoll (v, NULL, 10);
}

gboolean
vp_database_set_meta (VpDatabase  *self,
                      const char  *key,
                      const char  *value,
                      GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  vp_database_lock (self);
  stmt = vp_database_prepare (self,
                              "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                              error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      ok = rc == SQLITE_DONE || vp_database_set_error (self, rc, error);
    }
  vp_database_unlock (self);
  return ok;
}

static int
check_cancelled (void *cancellable)
{
  return g_cancellable_is_cancelled (cancellable);
}

/* PRAGMA quick_check on db: TRUE if it says "ok". Damage is one line
 * (SQLite lists every damaged cell). A progress handler stops it when
 * cancellable is cancelled (G_IO_ERROR_CANCELLED). */
static gboolean
quick_check (sqlite3       *db,
             GCancellable  *cancellable,
             GError       **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *result = NULL;
  int rc;

  if (cancellable != NULL)
    sqlite3_progress_handler (db, 10000, check_cancelled, cancellable);
  rc = sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        result = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
    }
  sqlite3_finalize (stmt);
  if (cancellable != NULL)
    sqlite3_progress_handler (db, 0, NULL, NULL);

  if (rc == SQLITE_INTERRUPT && g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      int primary = rc & 0xff;

      /* Damage that stops the check is damage too. */
      if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_IOERR)
        result = g_strdup (sqlite3_errmsg (db));
      else
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_SQLITE,
                       _("The database could not be checked: %s"), sqlite3_errmsg (db));
          return FALSE;
        }
    }
  if (g_strcmp0 (result, "ok") != 0)
    {
      g_auto(GStrv) lines = g_strsplit (result ? result : "?", "\n", 3);
      const char *first = lines[0] && g_str_has_prefix (lines[0], "***") && lines[1] ? lines[1]
                                                                                  : lines[0];

      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                   _("Database integrity check failed (%s); restore the latest backup"),
                   first ? first : "?");
      return FALSE;
    }
  return TRUE;
}

gboolean
vp_database_check_integrity (VpDatabase  *self,
                             GError     **error)
{
  gboolean ok;

  vp_database_lock (self);
  ok = quick_check (self->db, NULL, error);
  vp_database_unlock (self);
  return ok;
}

static void
integrity_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  VpDatabase *self = source;
  GError *error = NULL;
  gboolean ok;

  if (self->read_only_cause != NULL)
    {
      /* The read-only fallback's connection may be the only way in; no
       * money is taken on it anyway. */
      vp_database_lock (self);
      ok = quick_check (self->db, cancellable, &error);
      vp_database_unlock (self);
    }
  else
    {
      sqlite3 *db = NULL;
      int rc;

      /* A connection of its own: in WAL mode it reads a snapshot while
       * the van's connection goes on reading and writing. */
      rc = sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
      if (rc == SQLITE_OK)
        {
          sqlite3_extended_result_codes (db, 1);
          sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
          ok = quick_check (db, cancellable, &error);
        }
      else
        {
          ok = FALSE;
          g_set_error (&error, VP_STORE_ERROR, VP_STORE_ERROR_SQLITE,
                       _("The database could not be checked: %s"),
                       db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
        }
      sqlite3_close_v2 (db);
    }
  if (ok)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* Money stops here, as for a journal break (DESIGN §5): damage is also
   * remembered beside the key, so the CLI refuses to write too. */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      vp_database_lock (self);
      vp_database_set_break (self, error, 0);
      vp_database_unlock (self);
    }
  g_task_return_error (task, error);
}

void
vp_database_check_integrity_async (VpDatabase          *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VP_IS_DATABASE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vp_database_check_integrity_async);
  g_task_run_in_thread (task, integrity_thread);
}

gboolean
vp_database_check_integrity_finish (VpDatabase    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static char *
key_path_for (const char *db_path)
{
  return g_strconcat (db_path, ".vankey", NULL);
}

static gboolean
load_identity (VpDatabase  *self,
               GError     **error)
{
  g_autofree char *van_id = vp_database_get_meta (self, "van_id");
  g_autofree char *key_path = NULL;

  if (van_id == NULL)
    return TRUE;

  key_path = key_path_for (self->path);
  self->signer = vp_signer_load (key_path, error);
  if (self->signer == NULL)
    {
      g_prefix_error (error, _("Van %s: cannot load its journal key: "), van_id);
      return FALSE;
    }
  self->public_key = vp_database_get_meta (self, "van_public_key");
  if (self->public_key == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                   _("Van %s: the database has lost its public key; restore the latest backup "
                     "(vanpos-cli restore)"), van_id);
      return FALSE;
    }
  {
    g_autofree char *own = vp_signer_public_key_pem (self->signer);

    if (g_strcmp0 (g_strstrip (own), g_strstrip (self->public_key)) != 0)
      {
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                     _("Van %s: the key %s is not this database's journal key"), van_id, key_path);
        return FALSE;
      }
  }
  self->van_id = g_steal_pointer (&van_id);
  return TRUE;
}

/* An empty or missing database file beside an existing van key or anchor
 * is a lost database, never a new one (DESIGN §5). */
static gboolean
check_not_lost (const char  *path,
                GError     **error)
{
  g_autofree char *key = key_path_for (path);
  g_autofree char *anchor = vp_anchor_path_for (path);
  GStatBuf st;

  if (!g_file_test (key, G_FILE_TEST_EXISTS) && !g_file_test (anchor, G_FILE_TEST_EXISTS))
    return TRUE;
  if (g_stat (path, &st) != 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                   _("The database %s is missing but its van key or journal anchor is there; "
                     "restore the latest backup with “vanpos-cli --db %s restore BACKUP”"),
                   path, path);
      return FALSE;
    }
  if (st.st_size == 0)
    {
      g_autofree char *wal = g_strconcat (path, "-wal", NULL);
      GStatBuf wst;

      /* A new database in WAL mode may still hold everything in its -wal. */
      if (g_stat (wal, &wst) == 0 && wst.st_size >= 512)
        return TRUE;
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                   _("The database %s is empty (%lld bytes); nothing was written. "
                     "Restore the latest backup with “vanpos-cli --db %s restore BACKUP”"),
                   path, (long long)st.st_size, path);
      return FALSE;
    }
  return TRUE;
}

/* --- read-only fallback (issue 8) ----------------------------------------
 *
 * A full disk or a read-only medium must not take the read-only commands
 * (verify, check, journal, reports, backup to another disk) down with the
 * writing ones. A WAL database normally needs a -shm file it can create
 * and grow; when the normal open fails for that reason, vp_database_open
 * opens the database again for reading only, by the first of these that
 * can read it:
 *
 * 1. SQLITE_OPEN_READONLY. SQLite shares an existing -shm that is large
 *    enough, or, when the -shm exists but cannot be written (a medium
 *    remounted read-only after a crash), reads the -wal into private
 *    memory itself.
 * 2. A read-write descriptor with PRAGMA locking_mode = EXCLUSIVE set
 *    before the first read: SQLite then keeps the WAL index in heap
 *    memory and never touches the -shm file. This is safe because the
 *    exclusive lock on the database file keeps every other connection out
 *    while this one is open (they wait, then fail busy), so a private
 *    index cannot go stale; query_only and SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE
 *    make sure this connection writes nothing, not even the checkpoint on
 *    close, on a disk that has no room for one. It needs a writable file
 *    (a full disk), not a read-only medium: the exclusive lock cannot be
 *    taken through a read-only descriptor.
 * 3. immutable=1 (no locks, no -shm, the -wal ignored), only if there is
 *    no -wal with content (an immutable open reads the database file alone
 *    and would miss commits still in the WAL), and only where no other
 *    process can write the file while we read it:
 *    - on a filesystem mounted read-only, where nothing can write it (the
 *      van's data directory is not shared with a writer through another,
 *      writable mount of the same filesystem); or
 *    - on a read-only directory with a writable file: any writer would
 *      first need a SHARED lock on the database file, so this process
 *      takes a write lock on SQLite's whole lock range (PENDING, RESERVED
 *      and SHARED bytes) through its own descriptor and keeps it until the
 *      connection is closed. If another connection holds any lock, taking
 *      it fails and so does the fallback. (POSIX locks are per process:
 *      this excludes other processes, and the van uses one connection.)
 *    A read-only file in a read-only directory with no -shm cannot be
 *    locked against writers, and is refused.
 *
 * The connection keeps the error that made the normal open fail; every
 * write (vp_database_begin, any statement SQLite refuses as read-only)
 * fails with it, so a writing command says "disk full" or "cannot be
 * written" and changes nothing. The schema must already be current: a
 * read-only connection cannot migrate.
 */
#define OPEN_FIRST_TRY ((VpDatabaseOpenFlags)(1 << 16))  /* no fallback */
#define OPEN_FALLBACK  ((VpDatabaseOpenFlags)(1 << 17))  /* the fallback itself */

/* TRUE if the first read works and the schema is the current one. */
static gboolean
fallback_probe (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    ok = sqlite3_column_int64 (stmt, 0) == vp_migrations_latest ();
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
fallback_try (sqlite3    **out,
              const char  *filename,
              int          open_flags,
              gboolean     exclusive)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (filename, &db, open_flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    goto fail;
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  if (exclusive)
    {
      /* A medium that turned out read-only: no exclusive lock possible. */
      if (sqlite3_db_readonly (db, "main") != 0)
        goto fail;
      sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
      if (sqlite3_exec (db, "PRAGMA locking_mode = EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK ||
          sqlite3_exec (db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    }
  if (!fallback_probe (db))
    goto fail;
  *out = db;
  return TRUE;

fail:
  g_debug ("read-only fallback %s%s: %s", filename, exclusive ? " (exclusive)" : "",
           db ? sqlite3_errmsg (db) : "cannot open");
  sqlite3_close_v2 (db);
  return FALSE;
}

static gboolean
on_read_only_filesystem (const char *path)
{
  struct statvfs st;

  return statvfs (path, &st) == 0 && (st.f_flag & ST_RDONLY) != 0;
}

static gboolean
has_wal_content (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;

  /* Cannot tell: assume it holds commits. */
  if (g_stat (wal, &st) != 0)
    return errno != ENOENT;
  return st.st_size > 0;
}

/* SQLite's lock bytes (os_unix.c: PENDING_BYTE, RESERVED_BYTE and the
 * 510 SHARED bytes after them). */
#define SQLITE_LOCK_RANGE_START 0x40000000
#define SQLITE_LOCK_RANGE_LEN   512

static int
lock_out_writers (const char *path)
{
  struct flock lock = { 0 };
  int fd = open (path, O_RDWR | O_CLOEXEC);

  if (fd < 0)
    return -1;
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = SQLITE_LOCK_RANGE_START;
  lock.l_len = SQLITE_LOCK_RANGE_LEN;
  if (fcntl (fd, F_SETLK, &lock) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Opens path read-only by the first way that works (see above); SQLite's
 * result code for the caller, the connection in self->db. */
static int
open_read_only_fallback (VpDatabase *self,
                         const char *path)
{
  g_autofree char *uri = NULL;
  g_autofree char *immutable = NULL;

  if (fallback_try (&self->db, path, SQLITE_OPEN_READONLY, FALSE) ||
      fallback_try (&self->db, path, SQLITE_OPEN_READWRITE, TRUE))
    return SQLITE_OK;

  if (!on_read_only_filesystem (path))
    {
      self->fallback_lock_fd = lock_out_writers (path);
      if (self->fallback_lock_fd < 0)
        return SQLITE_CANTOPEN;
    }
  /* Checked after locking: no writer can start a WAL from here on. */
  if (has_wal_content (path))
    return SQLITE_CANTOPEN;
  uri = g_filename_to_uri (path, NULL, NULL);
  if (uri == NULL)
    return SQLITE_CANTOPEN;
  immutable = g_strconcat (uri, "?immutable=1", NULL);
  if (fallback_try (&self->db, immutable, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, FALSE))
    return SQLITE_OK;
  return SQLITE_CANTOPEN;
}

/* The normal open, then, if it failed for want of space or a writable
 * medium, the read-only fallback, which keeps the first error as its
 * reason. If the fallback cannot read either, the first error stands. */
static VpDatabase *
open_with_fallback (const char          *path,
                    VpDatabaseOpenFlags  flags,
                    GError             **error)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(GError) fallback_error = NULL;
  VpDatabase *self;

  self = vp_database_open (path, flags | OPEN_FIRST_TRY, &cause);
  if (self != NULL)
    return self;
  if (!g_error_matches (cause, VP_STORE_ERROR, VP_STORE_ERROR_FULL) &&
      !g_error_matches (cause, VP_STORE_ERROR, VP_STORE_ERROR_READ_ONLY))
    {
      g_propagate_error (error, g_steal_pointer (&cause));
      return NULL;
    }
  self = vp_database_open (path, flags | VP_DATABASE_OPEN_READONLY | OPEN_FALLBACK,
                           &fallback_error);
  if (self == NULL)
    {
      g_debug ("%s: read-only fallback failed: %s", path, fallback_error->message);
      g_propagate_error (error, g_steal_pointer (&cause));
      return NULL;
    }
  g_debug ("%s: opened read-only: %s", path, cause->message);
  self->read_only_cause = g_steal_pointer (&cause);
  return self;
}

VpDatabase *
vp_database_open (const char          *path,
                  VpDatabaseOpenFlags  flags,
                  GError             **error)
{
  g_autoptr(VpDatabase) self = NULL;
  int open_flags;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  if (!(flags & (OPEN_FIRST_TRY | OPEN_FALLBACK)))
    {
      if (!check_not_lost (path, error))
        return NULL;
      return open_with_fallback (path, flags, error);
    }

  self = g_object_new (VP_TYPE_DATABASE, NULL);
  self->path = g_strdup (path);
  self->anchor_path = vp_anchor_path_for (path);
  self->key_path = key_path_for (path);
  self->read_only = (flags & VP_DATABASE_OPEN_READONLY) != 0;

  open_flags = SQLITE_OPEN_NOMUTEX;
  if (flags & VP_DATABASE_OPEN_READONLY)
    open_flags |= SQLITE_OPEN_READONLY;
  else
    open_flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

  if (flags & OPEN_FALLBACK)
    rc = open_read_only_fallback (self, path);
  else
    rc = sqlite3_open_v2 (path, &self->db, open_flags, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_SQLITE,
                   _("Cannot open database %s: %s"), path,
                   self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  sqlite3_db_config (self->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_db_config (self->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, NULL);

  /* Reading the header tells a non-database file apart early. */
  if (!vp_database_exec (self, "PRAGMA foreign_keys = ON", error))
    return NULL;
  if (!(flags & VP_DATABASE_OPEN_READONLY))
    {
      if (!vp_database_exec (self, "PRAGMA journal_mode = WAL", error) ||
          !vp_database_exec (self, "PRAGMA synchronous = FULL", error))
        {
          g_prefix_error (error, _("%s: "), path);
          return NULL;
        }
    }
  if (!vp_database_exec (self, "PRAGMA cache_size = -65536", error) ||
      !vp_database_exec (self, "PRAGMA temp_store = MEMORY", error))
    return NULL;

  if (flags & VP_DATABASE_OPEN_CHECK_INTEGRITY)
    {
      if (!vp_database_check_integrity (self, error))
        return NULL;
    }

  self->schema_before = vp_database_query_int (self, "PRAGMA user_version", 0);
  if (!(flags & VP_DATABASE_OPEN_READONLY) && !vp_migrations_run (self, error))
    return NULL;
  /* A first pull of master data that stopped half-way left the account
   * indexes dropped (vp-sync-store.c); never run on them like that. */
  if (!(flags & VP_DATABASE_OPEN_READONLY))
    {
      g_autoptr(GError) bulk_error = NULL;

      if (!vp_sync_store_finish_bulk_load (self, &bulk_error))
        g_message ("%s: the account indexes could not be rebuilt yet: %s", path,
                   bulk_error->message);
    }

  if (!load_identity (self, error))
    return NULL;
  if (self->van_id != NULL)
    check_anchor (self);

  return g_steal_pointer (&self);
}

gboolean
vp_database_init_van (VpDatabase  *self,
                      const char  *van_id,
                      GError     **error)
{
  g_autoptr(VpSigner) signer = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *pub = NULL;

  g_return_val_if_fail (VP_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (van_id != NULL, FALSE);

  {
    g_autoptr(GError) local = NULL;

    if (!vp_validate_van_id (van_id, &local))
      {
        g_set_error_literal (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, local->message);
        return FALSE;
      }
  }
  if (self->van_id != NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                   _("This database already belongs to van %s"), self->van_id);
      return FALSE;
    }

  key_path = key_path_for (self->path);
  if (g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                   _("A van key already exists at %s; refusing to replace it"), key_path);
      return FALSE;
    }

  signer = vp_signer_generate (error);
  if (signer == NULL)
    return FALSE;
  pub = vp_signer_public_key_pem (signer);

  vp_database_lock (self);
  if (!vp_database_begin (self, error))
    goto fail;
  if (!vp_database_set_meta (self, "van_id", van_id, error) ||
      !vp_database_set_meta (self, "van_public_key", pub, error))
    {
      vp_database_rollback (self);
      goto fail;
    }
  /* The key is written before the commit: a crash in between leaves a key
   * without a van, which init reports instead of silently replacing. */
  if (!vp_signer_save (signer, key_path, error))
    {
      vp_database_rollback (self);
      goto fail;
    }
  if (!vp_database_commit (self, error))
    {
      g_unlink (key_path);
      goto fail;
    }
  vp_database_unlock (self);

  self->signer = g_steal_pointer (&signer);
  self->van_id = g_strdup (van_id);
  self->public_key = g_strdup (pub);
  g_clear_error (&self->broken);
  return vp_database_reset_anchor (self, error);

fail:
  vp_database_unlock (self);
  return FALSE;
}

static void
unlink_backup_set (const char *dest_path)
{
  g_autofree char *key = key_path_for (dest_path);
  g_autofree char *anchor = vp_anchor_path_for (dest_path);

  g_unlink (dest_path);
  g_unlink (key);
  g_unlink (anchor);
}

static gboolean copy_file_private (const char  *src,
                                   const char  *dest,
                                   GError     **error);

gboolean
vp_database_backup (VpDatabase  *self,
                    const char  *dest_path,
                    GError     **error)
{
  sqlite3 *dest = NULL;
  sqlite3_backup *backup;
  int rc;

  {
    g_autofree char *dest_key = key_path_for (dest_path);
    g_autofree char *dest_anchor = vp_anchor_path_for (dest_path);

    if (g_file_test (dest_path, G_FILE_TEST_EXISTS) || g_file_test (dest_key, G_FILE_TEST_EXISTS) ||
        g_file_test (dest_anchor, G_FILE_TEST_EXISTS))
      {
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                     _("Backup file %s (or its .vankey or .anchor) already exists"), dest_path);
        return FALSE;
      }
  }
  /* The key and the anchor first: an anchor copied before the snapshot
   * can only lag the database it goes with, never lead it. */
  if (self->van_id != NULL)
    {
      g_autofree char *dest_key = key_path_for (dest_path);
      g_autofree char *dest_anchor = vp_anchor_path_for (dest_path);

      if (!copy_file_private (self->key_path, dest_key, error) ||
          (g_file_test (self->anchor_path, G_FILE_TEST_EXISTS) &&
           !copy_file_private (self->anchor_path, dest_anchor, error)))
        {
          g_unlink (dest_key);
          g_unlink (dest_anchor);
          g_prefix_error (error, _("Backup to %s failed: "), dest_path);
          return FALSE;
        }
    }
  rc = sqlite3_open_v2 (dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_SQLITE,
                   _("Cannot create backup %s: %s"), dest_path, sqlite3_errstr (rc));
      sqlite3_close (dest);
      unlink_backup_set (dest_path);
      return FALSE;
    }

  vp_database_lock (self);
  backup = sqlite3_backup_init (dest, "main", self->db, "main");
  if (backup == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_SQLITE,
                   _("Cannot start backup: %s"), sqlite3_errmsg (dest));
      vp_database_unlock (self);
      sqlite3_close (dest);
      unlink_backup_set (dest_path);
      return FALSE;
    }
  do
    rc = sqlite3_backup_step (backup, 256);
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish (backup);
  vp_database_unlock (self);

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, VP_STORE_ERROR, (rc & 0xff) == SQLITE_FULL ? VP_STORE_ERROR_FULL
                                                                     : VP_STORE_ERROR_SQLITE,
                   _("Backup to %s failed: %s"), dest_path, sqlite3_errstr (rc));
      sqlite3_close (dest);
      unlink_backup_set (dest_path);
      return FALSE;
    }
  sqlite3_close (dest);
  return TRUE;
}

/* Copies src to a new dest (never replacing one) with mode 0600, synced. */
static gboolean
copy_file_private (const char  *src,
                   const char  *dest,
                   GError     **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  const char *p;
  int fd;

  if (!g_file_get_contents (src, &data, &len, error))
    return FALSE;
  fd = g_open (dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    goto fail;
  p = data;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      p += n;
      len -= (gsize)n;
    }
  if (fsync (fd) != 0)
    goto fail;
  close (fd);
  return TRUE;

fail:
  {
    int e = errno;

    if (fd >= 0)
      {
        close (fd);
        g_unlink (dest);
      }
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
                 e == ENOSPC ? _("The disk is full; cannot write %s") : _("Cannot write %s: %s"),
                 dest, g_strerror (e));
    return FALSE;
  }
}

static gboolean
same_file_contents (const char *a,
                    const char *b)
{
  g_autofree char *da = NULL, *db = NULL;
  gsize la = 0, lb = 0;

  return g_file_get_contents (a, &da, &la, NULL) && g_file_get_contents (b, &db, &lb, NULL) &&
         la == lb && memcmp (da, db, la) == 0;
}

gboolean
vp_database_restore (const char  *path,
                     const char  *backup_path,
                     gboolean     force,
                     gint64      *restored_seq,
                     GError     **error)
{
  g_autoptr(VpDatabase) backup = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *backup_key = key_path_for (backup_path);
  g_autofree char *backup_anchor = vp_anchor_path_for (backup_path);
  g_autofree char *key = key_path_for (path);
  g_autofree char *anchor = vp_anchor_path_for (path);
  g_autofree char *tmp = g_strconcat (path, ".restore-tmp", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  gint64 n = 0, bad = 0;
  gboolean had_anchor;

  if (!g_file_test (backup_key, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("%s has no van key beside it (%s); it is not a VanPOS backup set"),
                   backup_path, backup_key);
      return FALSE;
    }
  backup = vp_database_open (backup_path, VP_DATABASE_OPEN_READONLY | VP_DATABASE_OPEN_CHECK_INTEGRITY,
                             &local_error);
  /* A break a supervisor acknowledged in the backup does not make it
   * unusable: verify reports it, but it sets no break. */
  if (backup != NULL && vp_database_is_initialized (backup) &&
      !vp_journal_store_verify (backup, &n, &bad, &local_error) &&
      vp_database_get_break (backup) == NULL)
    g_clear_error (&local_error);
  if (backup == NULL || !vp_database_is_initialized (backup) || local_error != NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                   _("The backup %s cannot be restored: %s"), backup_path,
                   local_error ? local_error->message : _("it has no van identity"));
      return FALSE;
    }
  if (restored_seq)
    *restored_seq = vp_journal_store_last_seq (backup);

  if (g_file_test (key, G_FILE_TEST_EXISTS) && !same_file_contents (key, backup_key))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The backup %s is of another van (its key differs from %s); nothing was "
                     "changed"), backup_path, key);
      return FALSE;
    }
  if (!force && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(VpDatabase) current = NULL;
      g_autoptr(GError) current_error = NULL;

      current = vp_database_open (path, VP_DATABASE_OPEN_READONLY | VP_DATABASE_OPEN_CHECK_INTEGRITY,
                                  &current_error);
      if (current != NULL && vp_database_get_break (current) == NULL &&
          (vp_journal_store_verify (current, NULL, NULL, NULL) ||
           vp_database_get_break (current) == NULL))
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                       _("%s is intact; restoring would replace it (use --force)"), path);
          return FALSE;
        }
    }
  g_clear_object (&backup);

  /* The backup's bytes into place: a copy beside the target, synced,
   * then renamed over it, so a crash leaves one whole file. The stale
   * -wal/-shm of the replaced database must not be replayed into it. */
  g_unlink (tmp);
  if (!copy_file_private (backup_path, tmp, error))
    return FALSE;
  if (g_unlink (wal) != 0 && errno != ENOENT)
    goto io_fail;
  if (g_unlink (shm) != 0 && errno != ENOENT)
    goto io_fail;
  if (g_rename (tmp, path) != 0)
    goto io_fail;
  if (!g_file_test (key, G_FILE_TEST_EXISTS) && !copy_file_private (backup_key, key, error))
    return FALSE;
  /* The van's own anchor remembers what the backup may lack; it is only
   * taken from the backup when the van has none. */
  had_anchor = g_file_test (anchor, G_FILE_TEST_EXISTS);
  if (!had_anchor && g_file_test (backup_anchor, G_FILE_TEST_EXISTS) &&
      !copy_file_private (backup_anchor, anchor, error))
    return FALSE;
  /* A restore is itself a break for HQ to hear of: when the van had no
   * anchor of its own (nothing rules out entries after the backup) or had
   * a break recorded (the replaced file's), a supervisor acknowledges the
   * restore with a journal.break entry. The heads stay, so entries the
   * backup lacks are counted as lost. */
  {
    g_autoptr(VpSigner) signer = vp_signer_load (key, NULL);
    g_autofree char *pub = signer ? vp_signer_public_key_pem (signer) : NULL;
    g_autoptr(VpAnchor) a = pub ? vp_anchor_load (anchor, pub, NULL) : NULL;
    g_autofree char *why = NULL;

    if (a != NULL && a->broken != NULL)
      why = g_strdup_printf (_("the database was restored from %s after: %s"), backup_path,
                             a->broken);
    else if (a != NULL && !had_anchor)
      why = g_strdup_printf (_("the database was restored from %s without the van's own anchor; "
                               "entries after the backup cannot be ruled out"), backup_path);
    if (why != NULL)
      {
        g_free (a->broken);
        a->broken = g_steal_pointer (&why);
        a->broken_code = VP_JOURNAL_ERROR_ANCHOR;
        a->broken_seq = 0;
        if (!vp_anchor_update (anchor, key, signer, pub, a,
                               VP_ANCHOR_RESET | VP_ANCHOR_HEAD | VP_ANCHOR_VERIFIED |
                               VP_ANCHOR_HQ | VP_ANCHOR_BREAK, error))
          return FALSE;
      }
  }
  return TRUE;

io_fail:
  {
    int e = errno;

    g_unlink (tmp);
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
                 _("Cannot restore %s: %s"), path, g_strerror (e));
    return FALSE;
  }
}
