/* vp-staff-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-staff-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "vp-store-private.h"

static gboolean
valid_staff_id (const char *id)
{
  gsize len = strlen (id);

  if (len < 2 || len > 16)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '_' && id[i] != '-')
      return FALSE;
  return TRUE;
}

gboolean
vp_staff_store_add (VpDatabase  *db,
                    const char  *id,
                    const char  *name,
                    VpRole       role,
                    const char  *pin,
                    guint        iterations,
                    GError     **error)
{
  g_autofree char *hash = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);

  if (id == NULL || !valid_staff_id (id))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Staff id must be 2–16 letters, digits, '-' or '_'"));
      return FALSE;
    }
  if (!vp_validate_name (name, error))
    return FALSE;
  if (!vp_pin_check_format (pin, error))
    return FALSE;
  hash = vp_pin_hash (pin, iterations, error);
  if (hash == NULL)
    return FALSE;

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "INSERT INTO staff (id, name, role, pin_hash) VALUES (?1, ?2, ?3, ?4)",
                              error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, vp_role_to_string (role), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, hash, -1, SQLITE_STATIC);
      ok = vp_store_step_done (db, stmt, error);
      if (!ok && g_error_matches (*error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS))
        {
          g_clear_error (error);
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                       _("Staff id %s already exists"), id);
        }
    }
  vp_database_unlock (db);
  return ok;
}

static void
set_locked_out (const char  *id,
                gint64       locked_until,
                gint64       now,
                GError     **error)
{
  g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_LOCKED_OUT,
               _("Staff %s is locked after %d wrong PINs; try again in %" PRId64
                 " minutes or ask a supervisor"),
               id, VP_STAFF_MAX_FAILED_PINS, (locked_until - now + 59) / 60);
}

/* Counts a PIN attempt (success resets the count). The count is the
 * lockout: an attempt that is not recorded is a free guess. So it runs in
 * its own BEGIN IMMEDIATE transaction, which waits for another writer
 * through vp_database_begin's deadline instead of failing at the first
 * SQLITE_BUSY, and a failure is returned so that the login fails too.
 * A success only resets the count if no other process locked the staff
 * member since the caller read locked_until; otherwise it fails as locked
 * out. Call with the database lock held. */
static gboolean
record_attempt (VpDatabase  *db,
                const char  *id,
                gboolean     success,
                gint64       now,
                GError     **error)
{
  sqlite3 *handle = vp_database_get_handle (db);
  /* Inside a caller's transaction the write lock is the caller's. */
  gboolean own_transaction = sqlite3_get_autocommit (handle);
  sqlite3_stmt *stmt;
  gboolean ok;

  if (own_transaction && !vp_database_begin (db, error))
    return FALSE;

  if (success)
    stmt = vp_database_prepare (db,
                                "UPDATE staff SET failed_pins = 0, locked_until = 0"
                                " WHERE id = ?1 AND locked_until <= ?3",
                                error);
  else
    stmt = vp_database_prepare (db,
                                "UPDATE staff SET failed_pins = failed_pins + 1,"
                                " locked_until = CASE WHEN failed_pins + 1 >= ?2 THEN ?4"
                                " ELSE locked_until END WHERE id = ?1",
                                error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      if (success)
        sqlite3_bind_int64 (stmt, 3, now);
      else
        {
          sqlite3_bind_int (stmt, 2, VP_STAFF_MAX_FAILED_PINS);
          sqlite3_bind_int64 (stmt, 4, now + VP_STAFF_LOCKOUT_SECONDS);
        }
      ok = vp_store_step_done (db, stmt, error);
    }
  if (ok && success && sqlite3_changes (handle) != 1)
    {
      /* Locked by guesses from another process while this PIN was checked. */
      gint64 locked_until = now + VP_STAFF_LOCKOUT_SECONDS;

      stmt = vp_database_prepare (db, "SELECT locked_until FROM staff WHERE id = ?1", NULL);
      if (stmt != NULL)
        {
          sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            locked_until = sqlite3_column_int64 (stmt, 0);
          sqlite3_reset (stmt);
        }
      set_locked_out (id, locked_until, now, error);
      ok = FALSE;
    }

  if (!own_transaction)
    return ok;
  /* A plain COMMIT: vp_database_commit is for business transactions (its
   * crash hooks and journal bookkeeping must not fire on a login). */
  if (ok && !vp_database_exec (db, "COMMIT", error))
    ok = FALSE;
  if (!ok)
    vp_database_rollback (db);
  return ok;
}

VpStaff *
vp_staff_store_authenticate (VpDatabase  *db,
                             const char  *id,
                             const char  *pin,
                             GError     **error)
{
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *stored = NULL;
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;
  gint64 locked_until = 0;
  gint64 now = vp_database_now () / G_USEC_PER_SEC;
  gboolean active = FALSE;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (id == NULL || pin == NULL || !vp_pin_check_format (pin, NULL))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH,
                   _("Wrong staff id or PIN (a PIN is 4–8 digits)"));
      return NULL;
    }

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "SELECT id, name, role, pin_hash, locked_until, active FROM staff"
                              " WHERE id = ?1",
                              error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      staff = g_new0 (VpStaff, 1);
      staff->id = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      staff->name = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      vp_role_from_string ((const char *)sqlite3_column_text (stmt, 2), &staff->role);
      stored = g_strdup ((const char *)sqlite3_column_text (stmt, 3));
      locked_until = sqlite3_column_int64 (stmt, 4);
      active = sqlite3_column_int (stmt, 5);
    }
  sqlite3_reset (stmt);
  vp_database_unlock (db);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }

  if (staff == NULL || !active)
    {
      /* Spend the same time as a real check so ids cannot be probed. */
      g_autofree char *dummy = vp_pin_hash (pin, VP_PIN_ITERATIONS, NULL);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH, _("Wrong staff id or PIN"));
      return NULL;
    }

  if (locked_until > now)
    {
      set_locked_out (id, locked_until, now, error);
      return NULL;
    }

  if (!vp_pin_verify (pin, stored, &local_error))
    {
      gboolean recorded;

      /* A wrong PIN that could not be counted fails with the reason it
       * was not counted (busy, disk full …), never as a mere wrong PIN. */
      vp_database_lock (db);
      recorded = record_attempt (db, id, FALSE, now, error);
      vp_database_unlock (db);
      if (!recorded)
        return NULL;
      if (g_error_matches (local_error, VP_PIN_ERROR, VP_PIN_ERROR_MISMATCH))
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH, _("Wrong staff id or PIN"));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  /* The right PIN only signs in once its reset is recorded. */
  vp_database_lock (db);
  if (!record_attempt (db, id, TRUE, now, error))
    g_clear_pointer (&staff, vp_staff_free);
  vp_database_unlock (db);
  return g_steal_pointer (&staff);
}

GPtrArray *
vp_staff_store_list (VpDatabase  *db,
                     GError     **error)
{
  g_autoptr(GPtrArray) ret = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_staff_free);
  sqlite3_stmt *stmt;
  int rc;

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT id, name, role FROM staff WHERE active ORDER BY id",
                              error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VpStaff *s = g_new0 (VpStaff, 1);

      s->id = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      s->name = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      vp_role_from_string ((const char *)sqlite3_column_text (stmt, 2), &s->role);
      g_ptr_array_add (ret, s);
    }
  sqlite3_reset (stmt);
  vp_database_unlock (db);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  return g_steal_pointer (&ret);
}

gboolean
vp_staff_require_role (const VpStaff *staff,
                       VpRole         role,
                       const char    *what,
                       GError       **error)
{
  if (staff == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH,
                   _("%s needs a signed-in staff member"), what);
      return FALSE;
    }
  if (role == VP_ROLE_SUPERVISOR && staff->role != VP_ROLE_SUPERVISOR)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION,
                   _("%s needs a supervisor; %s is an operator"), what, staff->id);
      return FALSE;
    }
  return TRUE;
}

const VpStaff *
vp_staff_approver (const VpStaff *staff,
                   const VpStaff *approver,
                   const char    *what,
                   GError       **error)
{
  if (approver != NULL)
    {
      if (approver->role != VP_ROLE_SUPERVISOR)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION,
                       _("%s needs a supervisor's approval; %s is an operator"), what, approver->id);
          return NULL;
        }
      return approver;
    }
  if (staff != NULL && staff->role == VP_ROLE_SUPERVISOR)
    return staff;
  g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION,
               _("%s needs a supervisor's approval; %s is an operator"), what,
               staff != NULL ? staff->id : "?");
  return NULL;
}
