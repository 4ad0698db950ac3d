/* vp-database.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-database"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "vp-database.h"
#include "vp-migrations.h"

struct _VpDatabase
{
  GObject     parent_instance;
  sqlite3    *db;
  char       *path;
  char       *van_id;
  VpSigner   *signer;
  GHashTable *stmts;   /* SQL text → sqlite3_stmt* */
  GRecMutex   mutex;
};

G_DEFINE_TYPE (VpDatabase, vp_database, G_TYPE_OBJECT)
G_DEFINE_QUARK (vp-store-error-quark, vp_store_error)

#define BUSY_TIMEOUT_MS   5000
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
  g_clear_pointer (&self->signer, vp_signer_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->van_id, g_free);
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
  self->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)sqlite3_finalize);
}

gint64
vp_database_now (void)
{
  const char *fake = g_getenv ("VP_FAKE_NOW");

  if (fake != NULL && *fake != '\0')
    return g_ascii_strtoll (fake, NULL, 10) * G_USEC_PER_SEC;
  return g_get_real_time ();
}

gboolean
vp_database_set_error (VpDatabase  *self,
                       int          rc,
                       GError     **error)
{
  int primary = rc & 0xff;
  const char *msg = self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  if (primary == SQLITE_FULL)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_FULL,
                 _("The disk is full; nothing was saved (%s)"), msg);
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
  return TRUE;
}

void
vp_database_rollback (VpDatabase *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
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

gboolean
vp_database_check_integrity (VpDatabase  *self,
                             GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *result = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db, "PRAGMA quick_check", -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return vp_database_set_error (self, rc, error);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    result = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    return vp_database_set_error (self, rc, error);
  if (g_strcmp0 (result, "ok") != 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                   _("Database integrity check failed: %s; restore the latest backup"),
                   result);
      return FALSE;
    }
  return TRUE;
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
  self->van_id = g_steal_pointer (&van_id);
  return TRUE;
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

  self = g_object_new (VP_TYPE_DATABASE, NULL);
  self->path = g_strdup (path);

  open_flags = SQLITE_OPEN_NOMUTEX;
  if (flags & VP_DATABASE_OPEN_READONLY)
    open_flags |= SQLITE_OPEN_READONLY;
  else
    open_flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

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

  if (!(flags & VP_DATABASE_OPEN_READONLY) && !vp_migrations_run (self, error))
    return NULL;

  if (!load_identity (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

static gboolean
valid_van_id (const char *van_id)
{
  gsize len = strlen (van_id);

  if (len < 1 || len > 16)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isupper (van_id[i]) && !g_ascii_isdigit (van_id[i]))
      return FALSE;
  return TRUE;
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

  if (!valid_van_id (van_id))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Van id “%s” must be 1–16 upper-case letters or digits"), van_id);
      return FALSE;
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
  return TRUE;

fail:
  vp_database_unlock (self);
  return FALSE;
}

gboolean
vp_database_backup (VpDatabase  *self,
                    const char  *dest_path,
                    GError     **error)
{
  sqlite3 *dest = NULL;
  sqlite3_backup *backup;
  int rc;

  if (g_file_test (dest_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                   _("Backup file %s already exists"), dest_path);
      return FALSE;
    }
  rc = sqlite3_open_v2 (dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_SQLITE,
                   _("Cannot create backup %s: %s"), dest_path, sqlite3_errstr (rc));
      sqlite3_close (dest);
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
      g_unlink (dest_path);
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
      g_unlink (dest_path);
      return FALSE;
    }
  sqlite3_close (dest);
  return TRUE;
}
