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

void
vp_staff_status_free (VpStaffStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->staff.id);
  g_free (status->staff.name);
  g_free (status);
}

gboolean
vp_staff_status_is_locked (const VpStaffStatus *status,
                           gint64               now)
{
  return status->locked_until > now;
}

/* One row of staff as a VpStaffStatus (columns of STATUS_COLUMNS). */
#define STATUS_COLUMNS "id, name, role, active, failed_pins, locked_until"

static VpStaffStatus *
status_from_row (sqlite3_stmt *stmt)
{
  VpStaffStatus *s = g_new0 (VpStaffStatus, 1);

  s->staff.id = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  s->staff.name = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
  vp_role_from_string ((const char *)sqlite3_column_text (stmt, 2), &s->staff.role);
  s->active = sqlite3_column_int (stmt, 3);
  s->failed_pins = sqlite3_column_int (stmt, 4);
  s->locked_until = sqlite3_column_int64 (stmt, 5);
  return s;
}

GPtrArray *
vp_staff_store_list_status (VpDatabase  *db,
                            GError     **error)
{
  g_autoptr(GPtrArray) ret = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_staff_status_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT " STATUS_COLUMNS " FROM staff ORDER BY id", error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ret, status_from_row (stmt));
  sqlite3_reset (stmt);
  vp_database_unlock (db);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  return g_steal_pointer (&ret);
}

typedef enum
{
  CHANGE_ADD,
  CHANGE_DISABLE,
  CHANGE_PIN_RESET,
  CHANGE_UNLOCK,
} ChangeKind;

typedef struct
{
  ChangeKind     change;
  const VpStaff *supervisor;
  const char    *id;
  const char    *name;
  VpRole         role;
  const char    *hash;     /* add, pin_reset */
} ChangeData;

/* The target's row inside the transaction; NULL with NOT_FOUND. */
static VpStaffStatus *
load_status (VpDatabase  *db,
             const char  *id,
             GError     **error)
{
  sqlite3_stmt *stmt;
  VpStaffStatus *s = NULL;
  int rc;

  stmt = vp_database_prepare (db, "SELECT " STATUS_COLUMNS " FROM staff WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    s = status_from_row (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  if (s == NULL)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND, _("No staff member %s"), id);
  return s;
}

static gboolean
exec_on_id (VpDatabase  *db,
            const char  *sql,
            const char  *id,
            const char  *text,
            GError     **error)
{
  sqlite3_stmt *stmt = vp_database_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (text != NULL)
    sqlite3_bind_text (stmt, 2, text, -1, SQLITE_STATIC);
  return vp_store_step_done (db, stmt, error);
}

static VpJournalEntry *
change_tx (VpDatabase  *db,
           gpointer     data,
           GError     **error)
{
  ChangeData *d = data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(VpStaffStatus) target = NULL;
  VpJournalRefs refs = { 0 };
  gint64 now = vp_database_now () / G_USEC_PER_SEC;
  const char *kind = NULL;

  if (d->change == CHANGE_ADD)
    {
      sqlite3_stmt *stmt = vp_database_prepare (db,
                                                "INSERT INTO staff (id, name, role, pin_hash)"
                                                " VALUES (?1, ?2, ?3, ?4)",
                                                error);

      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, d->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, d->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, vp_role_to_string (d->role), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, d->hash, -1, SQLITE_STATIC);
      if (!vp_store_step_done (db, stmt, error))
        {
          if (g_error_matches (*error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS))
            {
              g_clear_error (error);
              g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                           _("Staff id %s already exists"), d->id);
            }
          return NULL;
        }
      kind = VP_KIND_STAFF_ADD;
    }
  else
    {
      target = load_status (db, d->id, error);
      if (target == NULL)
        return NULL;
      if (!target->active)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                       _("Staff %s is disabled"), d->id);
          return NULL;
        }
    }

  switch (d->change)
    {
    case CHANGE_ADD:
      break;

    case CHANGE_DISABLE:
      if (g_str_equal (d->id, d->supervisor->id))
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION,
                       _("A supervisor cannot disable their own staff id"));
          return NULL;
        }
      if (!exec_on_id (db, "UPDATE staff SET active = 0 WHERE id = ?1", d->id, NULL, error))
        return NULL;
      kind = VP_KIND_STAFF_DISABLE;
      break;

    case CHANGE_PIN_RESET:
      if (!exec_on_id (db, "UPDATE staff SET pin_hash = ?2, failed_pins = 0, locked_until = 0"
                       " WHERE id = ?1", d->id, d->hash, error))
        return NULL;
      kind = VP_KIND_STAFF_PIN_RESET;
      break;

    case CHANGE_UNLOCK:
      if (target->failed_pins == 0 && target->locked_until <= now)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                       _("Staff %s is not locked"), d->id);
          return NULL;
        }
      if (!exec_on_id (db, "UPDATE staff SET failed_pins = 0, locked_until = 0 WHERE id = ?1",
                       d->id, NULL, error))
        return NULL;
      kind = VP_KIND_STAFF_UNLOCK;
      break;

    default:
      g_assert_not_reached ();
    }

  json_builder_begin_object (b);
  vp_json_add_string (b, "target", d->id);
  if (d->change == CHANGE_ADD)
    {
      vp_json_add_string (b, "name", d->name);
      vp_json_add_string (b, "role", vp_role_to_string (d->role));
    }
  else
    {
      vp_json_add_string (b, "name", target->staff.name);
      vp_json_add_string (b, "role", vp_role_to_string (target->staff.role));
    }
  if (d->change == CHANGE_UNLOCK)
    {
      /* What was lifted, for HQ's review of repeated lockouts. */
      vp_json_add_int (b, "failed_pins", target->failed_pins);
      vp_json_add_int (b, "locked_until", target->locked_until);
    }
  vp_json_add_staff (b, d->supervisor);
  json_builder_end_object (b);

  refs.staff_id = d->supervisor->id;
  return vp_journal_store_append (db, kind, b, &refs, error);
}

static VpJournalEntry *
run_change (VpDatabase  *db,
            ChangeData  *d,
            const char  *what,
            GError     **error)
{
  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (d->supervisor, VP_ROLE_SUPERVISOR, what, error))
    return NULL;
  if (d->id == NULL || !valid_staff_id (d->id))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Staff id must be 2–16 letters, digits, '-' or '_'"));
      return NULL;
    }
  return vp_store_run_tx (db, change_tx, d, error);
}

VpJournalEntry *
vp_staff_store_add_by (VpDatabase    *db,
                       const VpStaff *supervisor,
                       const char    *id,
                       const char    *name,
                       VpRole         role,
                       const char    *pin,
                       guint          iterations,
                       GError       **error)
{
  g_autofree char *hash = NULL;
  ChangeData d = { CHANGE_ADD, supervisor, id, name, role, NULL };

  if (!vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _("Adding staff"), error))
    return NULL;
  if (id == NULL || !valid_staff_id (id))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Staff id must be 2–16 letters, digits, '-' or '_'"));
      return NULL;
    }
  if (!vp_validate_name (name, error) || !vp_pin_check_format (pin, error))
    return NULL;
  hash = vp_pin_hash (pin, iterations, error);
  if (hash == NULL)
    return NULL;
  d.hash = hash;
  return run_change (db, &d, _("Adding staff"), error);
}

VpJournalEntry *
vp_staff_store_disable (VpDatabase    *db,
                        const VpStaff *supervisor,
                        const char    *id,
                        GError       **error)
{
  ChangeData d = { CHANGE_DISABLE, supervisor, id, NULL, VP_ROLE_OPERATOR, NULL };

  return run_change (db, &d, _("Disabling staff"), error);
}

VpJournalEntry *
vp_staff_store_reset_pin (VpDatabase    *db,
                          const VpStaff *supervisor,
                          const char    *id,
                          const char    *pin,
                          guint          iterations,
                          GError       **error)
{
  g_autofree char *hash = NULL;
  ChangeData d = { CHANGE_PIN_RESET, supervisor, id, NULL, VP_ROLE_OPERATOR, NULL };

  if (!vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _("Resetting a PIN"), error))
    return NULL;
  if (!vp_pin_check_format (pin, error))
    return NULL;
  hash = vp_pin_hash (pin, iterations, error);
  if (hash == NULL)
    return NULL;
  d.hash = hash;
  return run_change (db, &d, _("Resetting a PIN"), error);
}

VpJournalEntry *
vp_staff_store_unlock (VpDatabase    *db,
                       const VpStaff *supervisor,
                       const char    *id,
                       GError       **error)
{
  ChangeData d = { CHANGE_UNLOCK, supervisor, id, NULL, VP_ROLE_OPERATOR, NULL };

  return run_change (db, &d, _("Unlocking staff"), error);
}
