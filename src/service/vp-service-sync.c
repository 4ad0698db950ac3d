/* vp-service-sync.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-service-sync"

#include "config.h"

#include <string.h>

#include "vp-journal-store.h"
#include "vp-service-sync.h"

/* --- the sync run: outbox → HQ → store ------------------------------------ */

static void
report (VpSyncProgress  progress,
        gpointer        data,
        const char     *stage,
        gint64          done,
        gint64          total)
{
  if (progress)
    progress (stage, done, total, data);
}

/* The longest run of consecutive seqs at the head of pending. */
static void
cut_at_gap (GPtrArray *pending)
{
  for (guint i = 1; i < pending->len; i++)
    {
      const VpJournalEntry *prev = g_ptr_array_index (pending, i - 1);
      const VpJournalEntry *e = g_ptr_array_index (pending, i);

      if (e->seq != prev->seq + 1)
        {
          g_ptr_array_set_size (pending, i);
          return;
        }
    }
}

static gboolean
push_all (VpDatabase     *db,
          VpSyncClient   *client,
          VpSyncResult   *r,
          VpSyncProgress  progress,
          gpointer        progress_data,
          GCancellable   *cancellable,
          GError        **error)
{
  gint64 total = vp_outbox_store_count_pending (db);
  gint64 done = 0;
  gboolean recovered = FALSE;
  /* What HQ acknowledged before this sync, sent with every push: after a
   * loss it stays what HQ once had, so HQ can tell and flag the re-send. */
  gint64 claim = vp_database_get_meta_int (db, VP_META_ACKED_SEQ, 0);

  report (progress, progress_data, "push", 0, total);
  for (;;)
    {
      g_autoptr(GPtrArray) batch = NULL;
      g_autoptr(VpPushAck) ack = NULL;
      g_autoptr(GError) local_error = NULL;
      gint64 renamed = 0;
      gint64 acked = vp_database_get_meta_int (db, VP_META_ACKED_SEQ, 0);

      batch = vp_outbox_store_list_pending (db, VP_SYNC_MAX_BATCH, error);
      if (batch == NULL)
        return FALSE;
      if (batch->len == 0)
        return TRUE;
      cut_at_gap (batch);

      vp_sync_client_set_acked_claim (client, claim);
      ack = vp_sync_client_push (client, batch, cancellable, &local_error);
      if (ack == NULL)
        {
          gint64 expected = vp_sync_client_get_gap_expected (client);
          gint64 n_requeued = 0;

          /* HQ expects an entry it once acknowledged: it lost data (a
           * restore, a crash without fsync). The van keeps every entry:
           * it sends them again, once per sync, and says so. */
          if (!recovered && expected >= 1 && expected <= acked &&
              g_error_matches (local_error, VP_SYNC_ERROR, VP_SYNC_ERROR_GAP))
            {
              g_message ("HQ lost entries %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                         " it had acknowledged; sending them again", expected, acked);
              if (!vp_sync_store_requeue_lost (db, expected, &n_requeued, error))
                return FALSE;
              recovered = TRUE;
              r->resent_from = expected;
              r->resent += n_requeued;
              total += n_requeued;
              continue;
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!vp_sync_store_record_push (db, ack, &renamed, error))
        {
          g_prefix_error (error, "HQ's acknowledgement could not be stored: ");
          return FALSE;
        }
      claim = MAX (claim, ack->acked_seq);
      r->pushed += batch->len;
      r->accounts_renamed += renamed;
      r->acked_seq = ack->acked_seq;
      r->hq_entries = ack->total_entries;
      r->hq_amount = ack->total_amount;
      r->hq_time = ack->hq_time;
      for (guint i = 0; i < ack->results->len; i++)
        {
          VpPushOutcome *o = g_ptr_array_index (ack->results, i);

          if (g_str_equal (o->outcome, "accepted"))
            r->accepted++;
          else if (g_str_equal (o->outcome, "duplicate"))
            r->duplicates++;
          else
            {
              VpPushOutcome *copy = g_new0 (VpPushOutcome, 1);

              if (g_str_equal (o->outcome, "rejected"))
                {
                  r->rejected++;
                  g_message ("HQ quarantined entry %" G_GINT64_FORMAT ": %s", o->seq,
                             o->detail ? o->detail : "");
                }
              else
                r->conflicts++;
              copy->seq = o->seq;
              copy->uuid = g_strdup (o->uuid);
              copy->outcome = g_strdup (o->outcome);
              copy->detail = g_strdup (o->detail);
              copy->credit = o->credit;
              g_ptr_array_add (r->conflict_details, copy);
            }
        }
      done += batch->len;
      report (progress, progress_data, "push", MIN (done, total), total);
    }
}

/* One page fetched on a thread of its own while the previous one is
 * imported (issue 11): HQ's serving and the van's import overlap. The
 * client is only ever used by one thread at a time: the fetch is joined
 * before the client is used again. */
typedef struct
{
  VpSyncClient *client;
  char         *cursor;
  guint         limit;
  GCancellable *cancellable;
  VpMasterPage *page;
  GError       *error;
} PageFetch;

static gpointer
fetch_thread (gpointer data)
{
  PageFetch *f = data;

  f->page = vp_sync_client_pull (f->client, f->cursor, f->limit, f->cancellable, &f->error);
  return NULL;
}

static GThread *
fetch_start (PageFetch    *f,
             VpSyncClient *client,
             const char   *cursor,
             guint         limit,
             GCancellable *cancellable)
{
  f->client = client;
  f->cursor = g_strdup (cursor);
  f->limit = limit;
  f->cancellable = cancellable;
  f->page = NULL;
  f->error = NULL;
  return g_thread_new ("vp-pull", fetch_thread, f);
}

/* Joins the fetch; its page, or NULL and its error. */
static VpMasterPage *
fetch_finish (PageFetch  *f,
              GThread    *thread,
              GError    **error)
{
  g_thread_join (thread);
  g_clear_pointer (&f->cursor, g_free);
  if (f->page == NULL)
    g_propagate_error (error, f->error);
  f->error = NULL;
  return g_steal_pointer (&f->page);
}

static gboolean
pull_all (VpDatabase          *db,
          VpSyncClient        *client,
          const VpSyncOptions *options,
          VpSyncResult        *r,
          VpSyncProgress       progress,
          gpointer             progress_data,
          GCancellable        *cancellable,
          GError             **error)
{
  g_autofree char *cursor = vp_database_get_meta (db, VP_META_MASTER_CURSOR);
  guint limit = options ? options->master_limit : 0;
  g_autoptr(VpMasterPage) next = NULL;
  gint64 rows = 0;

  report (progress, progress_data, "pull", 0, -1);
  next = vp_sync_client_pull (client, cursor, limit, cancellable, error);
  if (next == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr(VpMasterPage) page = g_steal_pointer (&next);
      g_autoptr(GTimer) t = g_timer_new ();
      PageFetch f = { 0 };
      GThread *fetching = NULL;
      gboolean imported;
      double t_import;

      if (page->more && g_strcmp0 (page->cursor, cursor) == 0)
        {
          g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                       "HQ's master data does not advance: it says there is more but returns "
                       "the same cursor");
          return FALSE;
        }
      if (page->more)
        fetching = fetch_start (&f, client, page->cursor, limit, cancellable);
      imported = vp_sync_store_import_page (db, page, &r->master, error);
      t_import = g_timer_elapsed (t, NULL);
      if (fetching != NULL)
        {
          /* An import that failed stops the pull: the page fetched
           * meanwhile is dropped (it is asked for again next time). */
          next = fetch_finish (&f, fetching, imported ? error : NULL);
          if (imported && next == NULL)
            return FALSE;
        }
      if (!imported)
        {
          g_prefix_error (error, "Master data page %" G_GINT64_FORMAT " could not be imported: ",
                          r->master_pages + 1);
          return FALSE;
        }
      r->master_pages++;
      g_debug ("master page %" G_GINT64_FORMAT ": %u accounts imported in %.2f s, then %.2f s"
               " waiting for the next page",
               r->master_pages, page->accounts->len, t_import, g_timer_elapsed (t, NULL) - t_import);
      r->hq_time = page->hq_time;
      rows += page->accounts->len + page->bills->len + page->tariffs->len + page->staff->len +
              page->blocked_cards->len;
      report (progress, progress_data, "pull", rows, page->more ? -1 : rows);
      g_free (cursor);
      cursor = g_strdup (page->cursor);
      if (!page->more)
        return TRUE;
    }
}

/* One whole sync with an existing client: session, then every outbox
 * entry pushed in batches of ≤ VP_SYNC_MAX_BATCH, resuming from HQ's
 * acknowledged seq, each acknowledgement stored in one transaction (and
 * what HQ lost sent again, "Gap recovery" in docs/PROTOCOL.md); then
 * master data pulled page by page from the persisted cursor. On failure
 * the outbox keeps every entry HQ has not acknowledged. The client only
 * speaks HQ; reading the outbox and writing pages into the store is here. */
static VpSyncResult *
sync_run (VpDatabase          *db,
          VpSyncClient        *client,
          const char          *staff_id,
          const char          *pin,
          const VpSyncOptions *options,
          VpSyncProgress       progress,
          gpointer             progress_data,
          GCancellable        *cancellable,
          GError             **error)
{
  g_autoptr(VpSyncResult) r = vp_sync_result_new ();
  g_autoptr(GTimer) timer = g_timer_new ();
  gint64 hq_time = 0;
  gint64 device_ms;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (VP_IS_SYNC_CLIENT (client), NULL);

  report (progress, progress_data, "session", 0, 1);
  if (!vp_sync_client_open_session (client, staff_id, pin, &hq_time, cancellable, error))
    return NULL;
  device_ms = vp_database_now () / 1000;
  r->hq_time = hq_time;
  r->drift_ms = device_ms - hq_time;
  if (ABS (r->drift_ms) > VP_SYNC_DRIFT_LIMIT_MS)
    {
      r->drift_warning = g_strdup_printf ("The van's clock is %" G_GINT64_FORMAT " min %s HQ's; "
                                          "set the clock",
                                          ABS (r->drift_ms) / 60000,
                                          r->drift_ms > 0 ? "ahead of" : "behind");
      g_message ("%s", r->drift_warning);
    }
  report (progress, progress_data, "session", 1, 1);

  r->acked_seq = vp_database_get_meta_int (db, VP_META_ACKED_SEQ, 0);
  r->hq_entries = vp_database_get_meta_int (db, VP_META_HQ_ACKED_ENTRIES, 0);
  r->hq_amount = vp_database_get_meta_int (db, VP_META_HQ_ACKED_AMOUNT, 0);
  if (!push_all (db, client, r, progress, progress_data, cancellable, error))
    return NULL;
  if ((options == NULL || !options->skip_pull) &&
      !pull_all (db, client, options, r, progress, progress_data, cancellable, error))
    return NULL;
  if (!vp_sync_store_mark_synced (db, vp_database_now (), error))
    return NULL;
  r->pending = vp_outbox_store_count_pending (db);
  r->seconds = g_timer_elapsed (timer, NULL);
  report (progress, progress_data, "done", 1, 1);
  return g_steal_pointer (&r);
}


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
  return sync_run (vp_service_get_database (self), client, supervisor_id, pin, options,
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
  return sync_run (vp_service_get_database (self), client, supervisor_id, pin, NULL,
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
