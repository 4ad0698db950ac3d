/* vp-print-queue-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-print-queue-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "vp-store-private.h"
#include "vp-print-queue-store.h"

void
vp_print_job_free (VpPrintJob *job)
{
  if (job == NULL)
    return;
  g_free (job->printer);
  g_free (job->error);
  g_free (job);
}

#define JOB_COLUMNS "id, seq, printer, error, attempts, queued_at, tried_at"

static VpPrintJob *
job_from_row (sqlite3_stmt *stmt)
{
  VpPrintJob *job = g_new0 (VpPrintJob, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->seq = sqlite3_column_int64 (stmt, 1);
  job->printer = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
  job->error = g_strdup ((const char *)sqlite3_column_text (stmt, 3));
  job->attempts = sqlite3_column_int64 (stmt, 4);
  job->queued_at = sqlite3_column_int64 (stmt, 5);
  job->tried_at = sqlite3_column_int64 (stmt, 6);
  return job;
}

/* Steps stmt (bound) that returns one id; 0 when it touched no row.
 * *rc_out is the step's result code. */
static gint64
step_id (sqlite3_stmt *stmt,
         int          *rc_out)
{
  gint64 id = 0;
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (stmt, 0);
      rc = sqlite3_step (stmt);
    }
  sqlite3_reset (stmt);
  *rc_out = rc;
  return id;
}

gint64
vp_print_queue_add (VpDatabase  *db,
                    gint64       seq,
                    const char  *printer,
                    const char  *message,
                    GError     **error)
{
  gint64 now = vp_database_now ();
  gint64 id = 0;
  int rc = SQLITE_DONE;

  g_return_val_if_fail (VP_IS_DATABASE (db), 0);
  g_return_val_if_fail (seq > 0, 0);
  g_return_val_if_fail (printer != NULL && message != NULL, 0);

  vp_database_lock (db);
  /* Update first, insert only when new: an upsert would use up a job
   * number each time it only updates. Twice, in case another process
   * inserted the job between the two. */
  for (int round = 0; round < 2 && id == 0; round++)
    {
      sqlite3_stmt *stmt = vp_database_prepare (db,
                                                "UPDATE print_queue SET printer = ?2, error = ?3,"
                                                " attempts = attempts + 1, tried_at = ?4"
                                                " WHERE seq = ?1 RETURNING id",
                                                error);
      if (stmt == NULL)
        break;
      sqlite3_bind_int64 (stmt, 1, seq);
      sqlite3_bind_text (stmt, 2, printer, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, message, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, now);
      id = step_id (stmt, &rc);
      if (id != 0 || rc != SQLITE_DONE)
        break;

      stmt = vp_database_prepare (db,
                                  "INSERT INTO print_queue (seq, printer, error, queued_at, tried_at)"
                                  " VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id",
                                  error);
      if (stmt == NULL)
        break;
      sqlite3_bind_int64 (stmt, 1, seq);
      sqlite3_bind_text (stmt, 2, printer, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, message, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, now);
      id = step_id (stmt, &rc);
      if ((rc & 0xff) != SQLITE_CONSTRAINT || round == 1)
        break;
    }
  if (id == 0 && rc != SQLITE_DONE && (error == NULL || *error == NULL))
    vp_database_set_error (db, rc, error);
  vp_database_unlock (db);
  return id;
}

GPtrArray *
vp_print_queue_list (VpDatabase  *db,
                     GError     **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_print_job_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT " JOB_COLUMNS " FROM print_queue ORDER BY id", error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (jobs, job_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      vp_database_unlock (db);
      return NULL;
    }
  vp_database_unlock (db);
  return g_steal_pointer (&jobs);
}

VpPrintJob *
vp_print_queue_get (VpDatabase  *db,
                    gint64       id,
                    GError     **error)
{
  VpPrintJob *job = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT " JOB_COLUMNS " FROM print_queue WHERE id = ?1", error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        job = job_from_row (stmt);
      else if (rc == SQLITE_DONE)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                     _("No receipt waits in the print queue as job %" PRId64), id);
      else
        vp_database_set_error (db, rc, error);
      sqlite3_reset (stmt);
    }
  vp_database_unlock (db);
  return job;
}

gint64
vp_print_queue_job_for (VpDatabase  *db,
                        gint64       seq,
                        GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 id = -1;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), -1);

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT id FROM print_queue WHERE seq = ?1", error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, seq);
      id = step_id (stmt, &rc);
      if (rc != SQLITE_DONE)
        {
          vp_database_set_error (db, rc, error);
          id = -1;
        }
    }
  vp_database_unlock (db);
  return id;
}

static gboolean
delete_where (VpDatabase  *db,
              const char  *sql,
              gint64       value,
              gint64      *out_changes,
              GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  vp_database_lock (db);
  stmt = vp_database_prepare (db, sql, error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, value);
      ok = vp_store_step_done (db, stmt, error);
      *out_changes = sqlite3_changes (vp_database_get_handle (db));
    }
  vp_database_unlock (db);
  return ok;
}

gboolean
vp_print_queue_done (VpDatabase  *db,
                     gint64       seq,
                     GError     **error)
{
  gint64 changes = 0;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);
  return delete_where (db, "DELETE FROM print_queue WHERE seq = ?1", seq, &changes, error);
}

gboolean
vp_print_queue_drop (VpDatabase  *db,
                     gint64       id,
                     GError     **error)
{
  gint64 changes = 0;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);
  if (!delete_where (db, "DELETE FROM print_queue WHERE id = ?1", id, &changes, error))
    return FALSE;
  if (changes == 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                   _("No receipt waits in the print queue as job %" PRId64), id);
      return FALSE;
    }
  return TRUE;
}

gint64
vp_print_queue_count (VpDatabase *db)
{
  g_return_val_if_fail (VP_IS_DATABASE (db), -1);
  return vp_database_query_int (db, "SELECT count(*) FROM print_queue", -1);
}
