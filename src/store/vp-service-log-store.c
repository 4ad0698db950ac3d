/* vp-service-log-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-service-log-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "vp-store-private.h"

static const char *log_kinds[] = { "consultation", "visit", "complaint" };
static const char *log_entry_kinds[] = { VP_KIND_LOG_CONSULTATION, VP_KIND_LOG_VISIT,
                                         VP_KIND_LOG_COMPLAINT };

const char *
vp_log_kind_to_string (VpLogKind kind)
{
  g_return_val_if_fail (kind <= VP_LOG_COMPLAINT, NULL);
  return log_kinds[kind];
}

gboolean
vp_log_kind_from_string (const char *str,
                         VpLogKind  *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (log_kinds); i++)
    if (g_strcmp0 (str, log_kinds[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

typedef struct
{
  const VpStaff *staff;
  VpLogKind      kind;
  const char    *number;
  const char    *topic;
  const char    *note;
  gboolean       follow_up;
} LogData;

static VpJournalEntry *
log_tx (VpDatabase  *db,
        gpointer     data,
        GError     **error)
{
  LogData *d = data;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry;
  sqlite3_stmt *stmt;

  if (d->number != NULL)
    {
      a = vp_account_store_load (db, d->number, TRUE, error);
      if (a == NULL)
        return NULL;
    }

  json_builder_begin_object (b);
  if (a != NULL)
    vp_json_add_account (b, a);
  vp_json_add_string (b, "topic", d->topic ? d->topic : "");
  vp_json_add_string (b, "note", d->note);
  json_builder_set_member_name (b, "follow_up");
  json_builder_add_boolean_value (b, d->follow_up);
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = vp_shift_store_current (db);
  refs.account_id = a ? a->id : 0;
  entry = vp_journal_store_append (db, log_entry_kinds[d->kind], b, &refs, error);
  if (entry == NULL)
    return NULL;

  stmt = vp_database_prepare (db,
                              "INSERT INTO service_log (seq, kind, account_id, topic, note,"
                              " follow_up, staff_id, created_at)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, entry->seq);
  sqlite3_bind_text (stmt, 2, log_kinds[d->kind], -1, SQLITE_STATIC);
  if (a != NULL)
    sqlite3_bind_int64 (stmt, 3, a->id);
  sqlite3_bind_text (stmt, 4, d->topic ? d->topic : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, d->note, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 6, d->follow_up);
  sqlite3_bind_text (stmt, 7, d->staff->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 8, entry->device_time);
  if (!vp_store_step_done (db, stmt, error))
    goto fail;
  return entry;

fail:
  vp_journal_entry_free (entry);
  return NULL;
}

VpJournalEntry *
vp_service_log_store_add (VpDatabase    *db,
                          const VpStaff *staff,
                          VpLogKind      kind,
                          const char    *number,
                          const char    *topic,
                          const char    *note,
                          gboolean       follow_up,
                          GError       **error)
{
  LogData d = { staff, kind, number, topic, note, follow_up };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (kind <= VP_LOG_COMPLAINT, NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Logging"), error))
    return NULL;
  if (kind == VP_LOG_VISIT && number == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("A home visit must name the account visited"));
      return NULL;
    }
  if (note == NULL || *note == '\0')
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("Write a short note"));
      return NULL;
    }
  if (!vp_validate_note (note, 500, error) ||
      (topic != NULL && !vp_validate_note (topic, 60, error)))
    return NULL;
  return vp_store_run_tx (db, log_tx, &d, error);
}

char *
vp_trip_store_current (VpDatabase *db)
{
  sqlite3_stmt *stmt;
  char *estate = NULL;

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT estate FROM trips WHERE ended_at IS NULL", NULL);
  if (stmt != NULL)
    {
      if (sqlite3_step (stmt) == SQLITE_ROW)
        estate = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  vp_database_unlock (db);
  return estate;
}

typedef struct
{
  const VpStaff *staff;
  const char    *estate;
} TripData;

static VpJournalEntry *
trip_start_tx (VpDatabase  *db,
               gpointer     data,
               GError     **error)
{
  TripData *d = data;
  g_autofree char *current = vp_trip_store_current (db);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry;
  sqlite3_stmt *stmt;
  gint64 trip_id;

  if (current != NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("The trip to %s is still in progress; end it first"), current);
      return NULL;
    }
  stmt = vp_database_prepare (db,
                              "INSERT INTO trips (estate, started_at, start_seq, staff_id)"
                              " VALUES (?1, ?2, (SELECT coalesce (max (seq), 0) + 1 FROM journal), ?3)",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, d->estate, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, vp_database_now ());
  sqlite3_bind_text (stmt, 3, d->staff->id, -1, SQLITE_STATIC);
  if (!vp_store_step_done (db, stmt, error))
    return NULL;
  trip_id = sqlite3_last_insert_rowid (vp_database_get_handle (db));

  json_builder_begin_object (b);
  vp_json_add_int (b, "trip", trip_id);
  vp_json_add_string (b, "estate", d->estate);
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);
  refs.staff_id = d->staff->id;
  refs.shift_id = vp_shift_store_current (db);
  entry = vp_journal_store_append (db, VP_KIND_TRIP_START, b, &refs, error);
  return entry;
}

static VpJournalEntry *
trip_end_tx (VpDatabase  *db,
             gpointer     data,
             GError     **error)
{
  TripData *d = data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *estate = NULL;
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry;
  sqlite3_stmt *stmt;
  gint64 trip_id = 0, started_at = 0;

  stmt = vp_database_prepare (db, "SELECT id, estate, started_at FROM trips WHERE ended_at IS NULL",
                              error);
  if (stmt == NULL)
    return NULL;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      trip_id = sqlite3_column_int64 (stmt, 0);
      estate = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      started_at = sqlite3_column_int64 (stmt, 2);
    }
  sqlite3_reset (stmt);
  if (trip_id == 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE, _("No trip is in progress"));
      return NULL;
    }
  if (d->estate != NULL && !g_str_equal (d->estate, estate))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("The trip in progress is to %s, not %s"), estate, d->estate);
      return NULL;
    }

  json_builder_begin_object (b);
  vp_json_add_int (b, "trip", trip_id);
  vp_json_add_string (b, "estate", estate);
  vp_json_add_int (b, "started_at", started_at);
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);
  refs.staff_id = d->staff->id;
  refs.shift_id = vp_shift_store_current (db);
  entry = vp_journal_store_append (db, VP_KIND_TRIP_END, b, &refs, error);
  if (entry == NULL)
    return NULL;

  stmt = vp_database_prepare (db, "UPDATE trips SET ended_at = ?2, end_seq = ?3 WHERE id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, trip_id);
  sqlite3_bind_int64 (stmt, 2, entry->device_time);
  sqlite3_bind_int64 (stmt, 3, entry->seq);
  if (!vp_store_step_done (db, stmt, error))
    goto fail;
  return entry;

fail:
  vp_journal_entry_free (entry);
  return NULL;
}

VpJournalEntry *
vp_trip_store_start (VpDatabase    *db,
                     const VpStaff *staff,
                     const char    *estate,
                     GError       **error)
{
  TripData d = { staff, estate };

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Starting a trip"), error) ||
      !vp_validate_text_field (estate, 20, "Estate", error))
    return NULL;
  return vp_store_run_tx (db, trip_start_tx, &d, error);
}

VpJournalEntry *
vp_trip_store_end (VpDatabase    *db,
                   const VpStaff *staff,
                   const char    *estate,
                   GError       **error)
{
  TripData d = { staff, estate };

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Ending a trip"), error))
    return NULL;
  return vp_store_run_tx (db, trip_end_tx, &d, error);
}
