/* vp-service-sync.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-service-sync"

#include "config.h"

#include <string.h>

#include "vp-service-sync.h"

static gboolean
check_supervisor (VpService   *self,
                  const char  *supervisor_id,
                  const char  *pin,
                  GError     **error)
{
  g_autoptr(VpStaff) staff = NULL;

  if (supervisor_id == NULL || pin == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH,
                   "The sync needs a supervisor's staff id and PIN");
      return FALSE;
    }
  staff = vp_service_login (self, supervisor_id, pin, error);
  if (staff == NULL)
    return FALSE;
  return vp_staff_require_role (staff, VP_ROLE_SUPERVISOR, "The end-of-day sync", error);
}

VpSyncResult *
vp_service_sync_with_client (VpService           *self,
                             VpSyncClient        *client,
                             const char          *supervisor_id,
                             const char          *pin,
                             const VpSyncOptions *options,
                             VpSyncProgress       progress,
                             gpointer             progress_data,
                             GCancellable        *cancellable,
                             GError             **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);
  g_return_val_if_fail (VP_IS_SYNC_CLIENT (client), NULL);

  if (!check_supervisor (self, supervisor_id, pin, error))
    return NULL;
  return vp_sync_run (vp_service_get_database (self), client, supervisor_id, pin, options,
                      progress, progress_data, cancellable, error);
}

VpSyncResult *
vp_service_sync (VpService       *self,
                 const char      *supervisor_id,
                 const char      *pin,
                 VpSyncProgress   progress,
                 gpointer         progress_data,
                 GCancellable    *cancellable,
                 GError         **error)
{
  g_autoptr(VpSyncClient) client = NULL;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  client = vp_sync_client_new_for_database (vp_service_get_database (self), error);
  if (client == NULL)
    return NULL;
  if (!check_supervisor (self, supervisor_id, pin, error))
    return NULL;
  return vp_sync_run (vp_service_get_database (self), client, supervisor_id, pin, NULL,
                      progress, progress_data, cancellable, error);
}

/* --- async --------------------------------------------------------------- */

typedef struct
{
  char           *supervisor_id;
  char           *pin;
  VpSyncProgress  progress;
  gpointer        progress_data;
  GMainContext   *context;
} SyncJob;

static void
sync_job_free (SyncJob *job)
{
  g_free (job->supervisor_id);
  if (job->pin)
    memset (job->pin, 0, strlen (job->pin));
  g_free (job->pin);
  g_main_context_unref (job->context);
  g_free (job);
}

typedef struct
{
  VpSyncProgress progress;
  gpointer       progress_data;
  char          *stage;
  gint64         done;
  gint64         total;
} ProgressEvent;

static gboolean
deliver_progress (gpointer data)
{
  ProgressEvent *ev = data;

  ev->progress (ev->stage, ev->done, ev->total, ev->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_event_free (gpointer data)
{
  ProgressEvent *ev = data;

  g_free (ev->stage);
  g_free (ev);
}

static void
forward_progress (const char *stage,
                  gint64      done,
                  gint64      total,
                  gpointer    user_data)
{
  SyncJob *job = user_data;
  ProgressEvent *ev = g_new0 (ProgressEvent, 1);

  ev->progress = job->progress;
  ev->progress_data = job->progress_data;
  ev->stage = g_strdup (stage);
  ev->done = done;
  ev->total = total;
  g_main_context_invoke_full (job->context, G_PRIORITY_DEFAULT, deliver_progress, ev,
                              progress_event_free);
}

static gpointer
sync_func (VpService     *self,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  SyncJob *job = data;

  return vp_service_sync (self, job->supervisor_id, job->pin,
                          job->progress ? forward_progress : NULL, job,
                          cancellable, error);
}

void
vp_service_sync_async (VpService           *self,
                       const char          *supervisor_id,
                       const char          *pin,
                       VpSyncProgress       progress,
                       gpointer             progress_data,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  SyncJob *job = g_new0 (SyncJob, 1);

  g_return_if_fail (VP_IS_SERVICE (self));

  job->supervisor_id = g_strdup (supervisor_id);
  job->pin = g_strdup (pin);
  job->progress = progress;
  job->progress_data = progress_data;
  job->context = g_main_context_ref_thread_default ();
  vp_service_run_async (self, sync_func, job, (GDestroyNotify)sync_job_free,
                        (GDestroyNotify)vp_sync_result_free, cancellable, callback, user_data);
}

VpSyncResult *
vp_service_sync_finish (VpService     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return vp_service_run_finish (self, result, error);
}

JsonNode *
vp_service_sync_status (VpService *self)
{
  VpDatabase *db = vp_service_get_database (self);
  g_autoptr(VpSyncConfig) config = vp_sync_store_get_config (db);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *cursor = vp_database_get_meta (db, VP_META_MASTER_CURSOR);

#define I(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
#define S(k, v) G_STMT_START { json_builder_set_member_name (b, k); \
                               if (v) json_builder_add_string_value (b, v); \
                               else json_builder_add_null_value (b); } G_STMT_END
  json_builder_begin_object (b);
  S ("van", vp_database_get_van_id (db));
  json_builder_set_member_name (b, "configured");
  json_builder_add_boolean_value (b, config != NULL);
  S ("url", config ? config->url : NULL);
  S ("pins", config ? config->pins : NULL);
  I ("last_seq", vp_journal_store_last_seq (db));
  I ("pending", vp_outbox_store_count_pending (db));
  I ("acked_seq", vp_database_get_meta_int (db, VP_META_ACKED_SEQ, 0));
  I ("hq_acked_entries", vp_database_get_meta_int (db, VP_META_HQ_ACKED_ENTRIES, 0));
  I ("hq_acked_amount", vp_database_get_meta_int (db, VP_META_HQ_ACKED_AMOUNT, 0));
  I ("last_sync_time", vp_database_get_meta_int (db, VP_META_LAST_SYNC_TIME, 0));
  I ("last_hq_time", vp_database_get_meta_int (db, VP_META_LAST_HQ_TIME, 0));
  S ("master_cursor", cursor);
  json_builder_end_object (b);
#undef I
#undef S
  return json_builder_get_root (b);
}
