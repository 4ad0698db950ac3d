/* vp-sync.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-sync"

#include "config.h"

#include <string.h>

#include "vp-journal-store.h"
#include "vp-sync.h"

VpSyncResult *
vp_sync_result_new (void)
{
  VpSyncResult *r = g_new0 (VpSyncResult, 1);

  r->conflict_details = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_push_outcome_free);
  return r;
}

void
vp_sync_result_free (VpSyncResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->conflict_details, g_ptr_array_unref);
  g_free (result->drift_warning);
  g_free (result);
}

JsonNode *
vp_sync_result_to_json (const VpSyncResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

#define I(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
  json_builder_begin_object (b);
  I ("pushed", r->pushed);
  I ("accepted", r->accepted);
  I ("duplicates", r->duplicates);
  I ("conflicts", r->conflicts);
  json_builder_set_member_name (b, "conflict_details");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->conflict_details->len; i++)
    {
      VpPushOutcome *o = g_ptr_array_index (r->conflict_details, i);

      json_builder_begin_object (b);
      I ("seq", o->seq);
      json_builder_set_member_name (b, "uuid");
      json_builder_add_string_value (b, o->uuid);
      json_builder_set_member_name (b, "detail");
      json_builder_add_string_value (b, o->detail ? o->detail : "");
      I ("credit", o->credit);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  I ("acked_seq", r->acked_seq);
  I ("pending", r->pending);
  json_builder_set_member_name (b, "hq_totals");
  json_builder_begin_object (b);
  I ("entries", r->hq_entries);
  I ("amount", r->hq_amount);
  json_builder_end_object (b);
  I ("accounts_renamed", r->accounts_renamed);
  json_builder_set_member_name (b, "master");
  json_builder_begin_object (b);
  I ("pages", r->master_pages);
  I ("accounts", r->master.accounts);
  I ("balances_kept", r->master.balances_kept);
  I ("bills", r->master.bills);
  I ("tariffs", r->master.tariffs);
  I ("staff", r->master.staff);
  I ("blocked_cards", r->master.blocked_cards);
  I ("renamed", r->master.renamed);
  json_builder_end_object (b);
  I ("hq_time", r->hq_time);
  I ("drift_ms", r->drift_ms);
  json_builder_set_member_name (b, "drift_warning");
  if (r->drift_warning)
    json_builder_add_string_value (b, r->drift_warning);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, r->seconds);
  json_builder_end_object (b);
#undef I
  return json_builder_get_root (b);
}

VpSyncClient *
vp_sync_client_new_for_database (VpDatabase  *db,
                                 GError     **error)
{
  g_autoptr(VpSyncConfig) config = NULL;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_database_is_initialized (db))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "This database has no van identity; run “vanpos-cli init --van VAN” first");
      return NULL;
    }
  config = vp_sync_store_get_config (db);
  return vp_sync_client_new (config, error);
}

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

  report (progress, progress_data, "push", 0, total);
  for (;;)
    {
      g_autoptr(GPtrArray) batch = NULL;
      g_autoptr(VpPushAck) ack = NULL;
      gint64 renamed = 0;

      batch = vp_outbox_store_list_pending (db, VP_SYNC_MAX_BATCH, error);
      if (batch == NULL)
        return FALSE;
      if (batch->len == 0)
        return TRUE;
      cut_at_gap (batch);

      ack = vp_sync_client_push (client, batch, cancellable, error);
      if (ack == NULL)
        return FALSE;
      if (!vp_sync_store_record_push (db, ack, &renamed, error))
        {
          g_prefix_error (error, "HQ's acknowledgement could not be stored: ");
          return FALSE;
        }
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

VpSyncResult *
vp_sync_run (VpDatabase          *db,
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

/* --- provisioning bundle ------------------------------------------------- */

static char *
read_bundle_file (const char  *dir,
                  const char  *name,
                  gsize       *len,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *data = NULL;

  if (!g_file_get_contents (path, &data, len, NULL))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "The bundle %s has no readable %s", dir, name);
      return NULL;
    }
  return data;
}

static gboolean
copy_private (const char  *data,
              gsize        len,
              const char  *dest,
              GError     **error)
{
  g_autoptr(GError) local = NULL;

  if (!g_file_set_contents_full (dest, data, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "Could not write %s: %s", dest, local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
vp_sync_setup_from_bundle (VpDatabase  *db,
                           const char  *bundle_dir,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  g_autoptr(VpSyncConfig) check = g_new0 (VpSyncConfig, 1);
  g_autoptr(VpSyncConfig) config = g_new0 (VpSyncConfig, 1);
  g_autoptr(VpSyncClient) client = NULL;
  g_autofree char *hq_json = NULL, *ca = NULL, *cert = NULL, *key = NULL, *card_key = NULL;
  gsize hq_len, ca_len, cert_len, key_len, card_len;
  JsonObject *o;
  const char *van, *url, *pins;
  g_autofree char *lower = NULL;
  char *k;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);

  if (!vp_database_is_initialized (db))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "This database has no van identity; run “vanpos-cli init --van VAN” first");
      return FALSE;
    }
  if ((hq_json = read_bundle_file (bundle_dir, "hq.json", &hq_len, error)) == NULL ||
      (ca = read_bundle_file (bundle_dir, "ca.crt", &ca_len, error)) == NULL ||
      (cert = read_bundle_file (bundle_dir, "client.crt", &cert_len, error)) == NULL ||
      (key = read_bundle_file (bundle_dir, "client.key", &key_len, error)) == NULL ||
      (card_key = read_bundle_file (bundle_dir, "card.key", &card_len, error)) == NULL)
    return FALSE;

  if (!json_parser_load_from_data (parser, hq_json, hq_len, &local) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "%s/hq.json is not a JSON object%s%s", bundle_dir,
                   local ? ": " : "", local ? local->message : "");
      return FALSE;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  van = json_object_get_string_member_with_default (o, "van", NULL);
  url = json_object_get_string_member_with_default (o, "url", NULL);
  pins = json_object_get_string_member_with_default (o, "pins", NULL);
  if (van == NULL || url == NULL || pins == NULL)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "%s/hq.json needs the strings “van”, “url” and “pins”", bundle_dir);
      return FALSE;
    }
  if (g_strcmp0 (van, vp_database_get_van_id (db)) != 0)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "The bundle is for van %s, but this database is van %s", van,
                   vp_database_get_van_id (db));
      return FALSE;
    }
  k = g_strstrip (card_key);
  if (strlen (k) != 64)
    goto bad_card_key;
  for (const char *p = k; *p; p++)
    if (!g_ascii_isxdigit (*p))
      goto bad_card_key;

  /* Check the settings against the bundle's own files before copying. */
  check->van = g_strdup (van);
  check->url = g_strdup (url);
  check->pins = g_strdup (pins);
  check->ca_path = g_build_filename (bundle_dir, "ca.crt", NULL);
  check->cert_path = g_build_filename (bundle_dir, "client.crt", NULL);
  check->key_path = g_build_filename (bundle_dir, "client.key", NULL);
  client = vp_sync_client_new (check, error);
  if (client == NULL)
    return FALSE;

  config->van = g_strdup (van);
  config->url = g_strdup (url);
  config->pins = g_strdup (pins);
  config->ca_path = g_strdup_printf ("%s.hq-ca.crt", vp_database_get_path (db));
  config->cert_path = g_strdup_printf ("%s.hq-client.crt", vp_database_get_path (db));
  config->key_path = g_strdup_printf ("%s.hq-client.key", vp_database_get_path (db));
  if (!copy_private (ca, ca_len, config->ca_path, error) ||
      !copy_private (cert, cert_len, config->cert_path, error) ||
      !copy_private (key, key_len, config->key_path, error))
    return FALSE;
  memset (key, 0, key_len);
  lower = g_ascii_strdown (k, -1);
  return vp_sync_store_set_config (db, config, lower, error);

bad_card_key:
  g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
               "%s/card.key must hold 32 bytes as 64 hex digits", bundle_dir);
  return FALSE;
}
