/* vp-journal-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-journal-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "vp-store-private.h"

#define ENTRY_COLUMNS \
  "seq, uuid, van_id, kind, payload, device_time, monotonic_ms, prev_hash, hash, signature"

static VpJournalEntry *
entry_from_row (sqlite3_stmt *stmt)
{
  VpJournalEntry *e = vp_journal_entry_new ();

  e->seq = sqlite3_column_int64 (stmt, 0);
  e->uuid = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
  e->van_id = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
  e->kind = g_strdup ((const char *)sqlite3_column_text (stmt, 3));
  e->payload = g_strdup ((const char *)sqlite3_column_text (stmt, 4));
  e->device_time = sqlite3_column_int64 (stmt, 5);
  e->monotonic_ms = sqlite3_column_int64 (stmt, 6);
  e->prev_hash = g_strdup ((const char *)sqlite3_column_text (stmt, 7));
  e->hash = g_strdup ((const char *)sqlite3_column_text (stmt, 8));
  e->signature = g_strdup ((const char *)sqlite3_column_text (stmt, 9));
  return e;
}

gint64
vp_journal_store_last_seq (VpDatabase *db)
{
  return vp_database_query_int (db, "SELECT coalesce (max (seq), 0) FROM journal", 0);
}

VpJournalEntry *
vp_journal_store_append (VpDatabase          *db,
                         const char          *kind,
                         JsonBuilder         *payload,
                         const VpJournalRefs *refs,
                         GError             **error)
{
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonGenerator) gen = NULL;
  g_autoptr(JsonNode) root = NULL;
  sqlite3_stmt *stmt;
  VpJournalRefs no_refs = { 0 };
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (!sqlite3_get_autocommit (vp_database_get_handle (db)), NULL);

  if (!vp_database_is_initialized (db))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_INITIALIZED,
                   _("This database has no van identity; run “vanpos-cli init --van VAN” first"));
      return NULL;
    }
  if (refs == NULL)
    refs = &no_refs;

  e = vp_journal_entry_new ();
  e->uuid = g_uuid_string_random ();
  e->van_id = g_strdup (vp_database_get_van_id (db));
  e->kind = g_strdup (kind);
  e->device_time = vp_database_now ();
  e->monotonic_ms = g_get_monotonic_time () / 1000;

  root = json_builder_get_root (payload);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  e->payload = json_generator_to_data (gen, NULL);

  stmt = vp_database_prepare (db, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      e->seq = sqlite3_column_int64 (stmt, 0) + 1;
      e->prev_hash = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
    }
  else if (rc == SQLITE_DONE)
    {
      e->seq = 1;
      e->prev_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);
    }
  else
    {
      vp_database_set_error (db, rc, error);
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);

  if (!vp_journal_entry_seal (e, vp_database_get_signer (db), error))
    return NULL;

  stmt = vp_database_prepare (db,
                              "INSERT INTO journal (" ENTRY_COLUMNS ", staff_id, shift_id,"
                              " account_id, method, amount)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                              " ?14, ?15)",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, e->seq);
  sqlite3_bind_text (stmt, 2, e->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, e->van_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, e->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, e->payload, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, e->device_time);
  sqlite3_bind_int64 (stmt, 7, e->monotonic_ms);
  sqlite3_bind_text (stmt, 8, e->prev_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, e->hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, e->signature, -1, SQLITE_STATIC);
  if (refs->staff_id)
    sqlite3_bind_text (stmt, 11, refs->staff_id, -1, SQLITE_STATIC);
  if (refs->shift_id)
    sqlite3_bind_int64 (stmt, 12, refs->shift_id);
  if (refs->account_id)
    sqlite3_bind_int64 (stmt, 13, refs->account_id);
  if (refs->method)
    sqlite3_bind_text (stmt, 14, refs->method, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 15, refs->amount);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }

  stmt = vp_database_prepare (db, "INSERT INTO outbox (seq) VALUES (?1)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, e->seq);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }

  return g_steal_pointer (&e);
}

VpJournalEntry *
vp_journal_store_get (VpDatabase  *db,
                      gint64       seq,
                      GError     **error)
{
  sqlite3_stmt *stmt;
  VpJournalEntry *e = NULL;
  int rc;

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT " ENTRY_COLUMNS " FROM journal WHERE seq = ?1", error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, seq);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        e = entry_from_row (stmt);
      else if (rc == SQLITE_DONE)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                     _("There is no journal entry %" PRId64), seq);
      else
        vp_database_set_error (db, rc, error);
      sqlite3_reset (stmt);
    }
  vp_database_unlock (db);
  return e;
}

static GPtrArray *
collect_entries (VpDatabase    *db,
                 sqlite3_stmt  *stmt,
                 GError       **error)
{
  g_autoptr(GPtrArray) ret = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_journal_entry_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ret, entry_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  return g_steal_pointer (&ret);
}

GPtrArray *
vp_journal_store_list (VpDatabase  *db,
                       gint64       after_seq,
                       guint        limit,
                       GError     **error)
{
  sqlite3_stmt *stmt;
  GPtrArray *ret = NULL;

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "SELECT " ENTRY_COLUMNS " FROM journal WHERE seq > ?1"
                              " ORDER BY seq LIMIT ?2",
                              error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, after_seq);
      sqlite3_bind_int64 (stmt, 2, limit ? (gint64)limit : -1);
      ret = collect_entries (db, stmt, error);
    }
  vp_database_unlock (db);
  return ret;
}

GPtrArray *
vp_journal_store_list_for_account (VpDatabase  *db,
                                   gint64       account_id,
                                   guint        limit,
                                   GError     **error)
{
  sqlite3_stmt *stmt;
  GPtrArray *ret = NULL;

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "SELECT " ENTRY_COLUMNS " FROM journal WHERE account_id = ?1"
                              " ORDER BY seq DESC LIMIT ?2",
                              error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, account_id);
      sqlite3_bind_int64 (stmt, 2, limit ? (gint64)limit : -1);
      ret = collect_entries (db, stmt, error);
    }
  vp_database_unlock (db);
  return ret;
}

/* Rows are read in batches and each batch's hashes and signatures are
 * checked on every core: signatures are nearly all of verify's cost. */
#define VERIFY_BATCH 4096

typedef struct
{
  GPtrArray  *entries;    /* read, not yet checked */
  char       *prev;       /* hash the first of them must link to */
  const char *pub;
  VpVerifier *verifier;   /* NULL if pub does not parse … */
  GError     *key_error;  /* … and why */
  gint64      checked;
} VerifyBatch;

/* Checks and empties the batch. On failure *bad_seq names the first bad
 * entry, as the per-row walk did. */
static gboolean
verify_batch_flush (VerifyBatch *b,
                    gint64      *bad_seq,
                    GError     **error)
{
  VpJournalEntry **e = (VpJournalEntry **) b->entries->pdata;
  guint n_good = 0;

  if (b->entries->len == 0)
    return TRUE;

  /* A key that does not parse fails the first entry that reaches its
   * signature, with the per-entry check's own words. */
  if (b->verifier == NULL)
    {
      if (bad_seq)
        *bad_seq = e[0]->seq;
      if (!vp_journal_entry_verify (e[0], b->prev, b->pub, error))
        return FALSE;
      g_propagate_prefixed_error (error, g_steal_pointer (&b->key_error),
                                  _("entry %lld: "), (long long) e[0]->seq);
      return FALSE;
    }

  if (!vp_journal_verify_chain (e, b->entries->len, b->prev, b->verifier, 0, &n_good, error))
    {
      b->checked += n_good;
      if (bad_seq)
        *bad_seq = e[n_good]->seq;
      return FALSE;
    }

  b->checked += n_good;
  g_free (b->prev);
  b->prev = g_strdup (e[n_good - 1]->hash);
  g_ptr_array_set_size (b->entries, 0);
  return TRUE;
}

gboolean
vp_journal_store_verify (VpDatabase  *db,
                         gint64      *n_checked,
                         gint64      *bad_seq,
                         GError     **error)
{
  g_autofree char *pub = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_journal_entry_free);
  g_autoptr(VpVerifier) verifier = NULL;
  VerifyBatch vb = { batch, g_strdup (VP_JOURNAL_GENESIS_HASH), NULL, NULL, NULL, 0 };
  sqlite3_stmt *stmt = NULL;
  gint64 expected_seq = 1;
  gboolean ok = TRUE;
  int rc;

  if (n_checked)
    *n_checked = 0;
  if (bad_seq)
    *bad_seq = 0;

  pub = vp_database_get_meta (db, "van_public_key");
  if (pub == NULL)
    {
      g_free (vb.prev);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_INITIALIZED,
                   _("This database has no van identity"));
      return FALSE;
    }
  /* A key that does not parse is reported at the first entry, below. */
  verifier = vp_verifier_new (pub, &vb.key_error);
  vb.pub = pub;
  vb.verifier = verifier;

  vp_database_lock (db);
  /* A private statement: the walk must not be disturbed by the cache. */
  rc = sqlite3_prepare_v2 (vp_database_get_handle (db),
                           "SELECT " ENTRY_COLUMNS " FROM journal ORDER BY seq", -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      vp_database_unlock (db);
      g_free (vb.prev);
      g_clear_error (&vb.key_error);
      return vp_database_set_error (db, rc, error);
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(VpJournalEntry) e = entry_from_row (stmt);

      if (e->seq != expected_seq)
        {
          /* Entries before this one come first. */
          if (!verify_batch_flush (&vb, bad_seq, error))
            {
              ok = FALSE;
              break;
            }
          g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SEQ,
                       _("entry %" PRId64 ": expected seq %" PRId64
                         " (entries are missing)"), e->seq, expected_seq);
          if (bad_seq)
            *bad_seq = expected_seq;
          ok = FALSE;
          break;
        }
      if (g_strcmp0 (e->van_id, vp_database_get_van_id (db)) != 0)
        {
          if (!verify_batch_flush (&vb, bad_seq, error))
            {
              ok = FALSE;
              break;
            }
          g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID,
                       _("entry %" PRId64 ": belongs to van %s"), e->seq, e->van_id);
          if (bad_seq)
            *bad_seq = e->seq;
          ok = FALSE;
          break;
        }
      g_ptr_array_add (batch, g_steal_pointer (&e));
      if (batch->len == VERIFY_BATCH && !verify_batch_flush (&vb, bad_seq, error))
        {
          ok = FALSE;
          break;
        }
      expected_seq++;
    }
  /* What was read before a read error is checked first, as row by row. */
  if (ok)
    ok = verify_batch_flush (&vb, bad_seq, error);
  if (ok && rc != SQLITE_DONE)
    ok = vp_database_set_error (db, rc, error);
  sqlite3_finalize (stmt);
  vp_database_unlock (db);

  if (n_checked)
    *n_checked = vb.checked;
  g_free (vb.prev);
  g_clear_error (&vb.key_error);
  return ok;
}

gint64
vp_outbox_store_count_pending (VpDatabase *db)
{
  return vp_database_query_int (db, "SELECT count (*) FROM outbox WHERE state = 'pending'", 0);
}

GPtrArray *
vp_outbox_store_list_pending (VpDatabase  *db,
                              guint        limit,
                              GError     **error)
{
  sqlite3_stmt *stmt;
  GPtrArray *ret = NULL;

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "SELECT j.seq, j.uuid, j.van_id, j.kind, j.payload, j.device_time,"
                              " j.monotonic_ms, j.prev_hash, j.hash, j.signature"
                              " FROM outbox o JOIN journal j USING (seq)"
                              " WHERE o.state = 'pending' ORDER BY o.seq LIMIT ?1",
                              error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, limit ? (gint64)limit : -1);
      ret = collect_entries (db, stmt, error);
    }
  vp_database_unlock (db);
  return ret;
}

gboolean
vp_outbox_store_ack (VpDatabase  *db,
                     gint64       up_to_seq,
                     GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  vp_database_lock (db);
  if (!vp_database_begin (db, error))
    goto out;
  stmt = vp_database_prepare (db,
                              "UPDATE outbox SET state = 'acked', acked_at = ?2"
                              " WHERE state = 'pending' AND seq <= ?1",
                              error);
  if (stmt == NULL)
    {
      vp_database_rollback (db);
      goto out;
    }
  sqlite3_bind_int64 (stmt, 1, up_to_seq);
  sqlite3_bind_int64 (stmt, 2, vp_database_now ());
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      vp_database_rollback (db);
      goto out;
    }
  ok = vp_database_commit (db, error);
out:
  vp_database_unlock (db);
  return ok;
}

JsonObject *
vp_journal_entry_parse_payload (const VpJournalEntry *entry)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (entry->payload == NULL || !json_parser_load_from_data (parser, entry->payload, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

JsonNode *
vp_journal_entry_to_json_node (const VpJournalEntry *entry)
{
  g_autoptr(JsonObject) payload = vp_journal_entry_parse_payload (entry);
  g_autofree char *receipt = vp_journal_receipt_number (entry->van_id, entry->device_time,
                                                        entry->seq);
  g_autofree char *code = vp_journal_verify_code (entry->hash);
  g_autoptr(GDateTime) dt = vp_store_local_datetime (entry->device_time);
  g_autofree char *iso = dt ? g_date_time_format_iso8601 (dt) : g_strdup ("");
  JsonObject *obj = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (obj, "uuid", entry->uuid);
  json_object_set_int_member (obj, "seq", entry->seq);
  json_object_set_string_member (obj, "van", entry->van_id);
  json_object_set_string_member (obj, "kind", entry->kind);
  json_object_set_string_member (obj, "receipt", receipt);
  json_object_set_string_member (obj, "verify_code", code);
  json_object_set_string_member (obj, "time", iso);
  json_object_set_int_member (obj, "device_time", entry->device_time);
  if (payload != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (payload);

      for (GList *l = members; l != NULL; l = l->next)
        if (!json_object_has_member (obj, l->data))
          json_object_set_member (obj, l->data,
                                  json_node_copy (json_object_get_member (payload, l->data)));
    }
  json_node_take_object (node, obj);
  return node;
}

char *
vp_journal_entry_to_json (const VpJournalEntry *entry)
{
  g_autoptr(JsonNode) node = vp_journal_entry_to_json_node (entry);
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}
