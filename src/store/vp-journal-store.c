/* vp-journal-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-journal-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

static char *
account_number_by_id (VpDatabase  *db,
                      gint64       account_id,
                      GError     **error)
{
  sqlite3_stmt *stmt = vp_database_prepare (db, "SELECT number FROM accounts WHERE id = ?1", error);
  char *number = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, account_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    number = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  else if (rc == SQLITE_DONE)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                 _("There is no account %" PRId64), account_id);
  else
    vp_database_set_error (db, rc, error);
  sqlite3_reset (stmt);
  return number;
}

/* The callers still say what money they moved; the payload is what counts,
 * and a disagreement is a bug in the operation, refused before signing. */
static gboolean
refs_agree (const char            *kind,
            const VpJournalRefs   *refs,
            const VpJournalLedger *ledger,
            GError               **error)
{
  if (refs->amount != ledger->amount || g_strcmp0 (refs->method, ledger->method) != 0 ||
      (refs->staff_id != NULL && g_strcmp0 (refs->staff_id, ledger->staff) != 0) ||
      (refs->shift_id != 0 && refs->shift_id != ledger->shift))
    {
      g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_COLUMNS,
                   "%s: the operation's figures (%s %" G_GINT64_FORMAT ") disagree with its"
                   " payload (%s %" G_GINT64_FORMAT "); nothing was saved",
                   kind, refs->method ? refs->method : "-", refs->amount,
                   ledger->method ? ledger->method : "-", ledger->amount);
      return FALSE;
    }
  return TRUE;
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
  VpJournalLedger ledger;
  JsonObject *obj;
  gint64 resolved_account_id = 0;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (!sqlite3_get_autocommit (vp_database_get_handle (db)), NULL);

  if (!vp_database_is_initialized (db))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_INITIALIZED,
                   _("This database has no van identity; run “vanpos-cli init --van VAN” first"));
      return NULL;
    }
  if (!vp_database_check_writable (db, error))
    return NULL;
  if (refs == NULL)
    refs = &no_refs;

  e = vp_journal_entry_new ();
  e->uuid = g_uuid_string_random ();
  e->van_id = g_strdup (vp_database_get_van_id (db));
  e->kind = g_strdup (kind);
  e->device_time = vp_database_now ();
  e->monotonic_ms = g_get_monotonic_time () / 1000;

  root = json_builder_get_root (payload);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID,
                   "%s: the payload is not a JSON object", kind);
      return NULL;
    }
  /* Every helper column must be readable from the signed payload, so the
   * payload names the staff, shift and account the entry belongs to. */
  obj = json_node_get_object (root);
  if (refs->staff_id != NULL && !json_object_has_member (obj, "staff"))
    json_object_set_string_member (obj, "staff", refs->staff_id);
  if (refs->shift_id != 0 && !json_object_has_member (obj, "shift"))
    json_object_set_int_member (obj, "shift", refs->shift_id);
  if (refs->account_id == 0 && json_object_has_member (obj, "account") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, "account")))
    {
      /* The column must name every account the payload names. */
      sqlite3_stmt *lookup = vp_database_prepare (db, "SELECT id FROM accounts WHERE number = ?1",
                                                  error);

      if (lookup == NULL)
        return NULL;
      sqlite3_bind_text (lookup, 1, json_object_get_string_member (obj, "account"), -1,
                         SQLITE_TRANSIENT);
      if (sqlite3_step (lookup) == SQLITE_ROW)
        resolved_account_id = sqlite3_column_int64 (lookup, 0);
      sqlite3_reset (lookup);
    }
  if (refs->account_id != 0 && !json_object_has_member (obj, "account"))
    {
      g_autofree char *number = account_number_by_id (db, refs->account_id, error);

      if (number == NULL)
        return NULL;
      json_object_set_string_member (obj, "account", number);
    }
  /* The kind's rules (src/core/vp-entry-rules.c), the same HQ applies:
   * the van never signs an entry HQ would quarantine. */
  if (!vp_entry_rules_check (kind, obj, &ledger, error))
    return NULL;
  if (!refs_agree (kind, refs, &ledger, error))
    return NULL;
  /* Offline exposure caps, once for every sale whatever took it. */
  if (!vp_limits_check (db, kind, &ledger, obj, error))
    return NULL;
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
                              " account_id, method, amount, voids)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                              " ?14, ?15, ?16)",
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
  /* The helper columns, from the payload as signed (it is parsed again
   * so the columns are exactly what `verify` will derive). */
  {
    g_autoptr(JsonObject) signed_payload = vp_journal_entry_parse_payload (e);

    if (signed_payload == NULL ||
        !vp_journal_ledger_from_payload (kind, signed_payload, &ledger, error))
      {
        if (error != NULL && *error == NULL)
          g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID,
                       "%s: the payload does not parse", kind);
        return NULL;
      }
    if (ledger.staff)
      sqlite3_bind_text (stmt, 11, ledger.staff, -1, SQLITE_TRANSIENT);
    if (ledger.shift)
      sqlite3_bind_int64 (stmt, 12, ledger.shift);
    if (refs->account_id)
      sqlite3_bind_int64 (stmt, 13, refs->account_id);
    else if (resolved_account_id)
      sqlite3_bind_int64 (stmt, 13, resolved_account_id);
    if (ledger.method)
      sqlite3_bind_text (stmt, 14, ledger.method, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 15, ledger.amount);
    if (ledger.voids)
      sqlite3_bind_int64 (stmt, 16, ledger.voids);
    rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
  }
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

  /* The anchor follows the commit (vp_database_commit). */
  vp_database_note_head (db, e->seq, e->hash, e->device_time);
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

GPtrArray *
vp_journal_store_list_day (VpDatabase  *db,
                           const char  *date,
                           const char  *kind,
                           const char  *staff_id,
                           const char  *account_number,
                           GError     **error)
{
  g_autoptr(GDateTime) from = NULL;
  g_autoptr(GDateTime) to = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  sqlite3_stmt *stmt;
  GPtrArray *ret = NULL;
  int y = 0, m = 0, d = 0;
  char tail = 0;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (date == NULL || strlen (date) != 10 ||
      sscanf (date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
      !g_date_valid_dmy (d, m, y) ||
      (from = g_date_time_new (tz, y, m, d, 0, 0, 0)) == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Date must be a day as yyyy-mm-dd, not “%s”"), date ? date : "");
      return NULL;
    }
  to = g_date_time_add_days (from, 1);

  vp_database_lock (db);
  /* A kind ending in '.' is a family (topup., cash., staff.). */
  stmt = vp_database_prepare (db,
                              "SELECT " ENTRY_COLUMNS " FROM journal"
                              " WHERE device_time >= ?1 AND device_time < ?2"
                              " AND (?3 IS NULL OR kind = ?3"
                              "      OR (substr (?3, -1) = '.' AND substr (kind, 1, length (?3)) = ?3))"
                              " AND (?4 IS NULL OR staff_id = ?4)"
                              " AND (?5 IS NULL OR account_id ="
                              "      (SELECT id FROM accounts WHERE number = ?5))"
                              " ORDER BY seq",
                              error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, g_date_time_to_unix (from) * G_USEC_PER_SEC);
      sqlite3_bind_int64 (stmt, 2, g_date_time_to_unix (to) * G_USEC_PER_SEC);
      if (kind != NULL && *kind != '\0')
        sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_STATIC);
      if (staff_id != NULL && *staff_id != '\0')
        sqlite3_bind_text (stmt, 4, staff_id, -1, SQLITE_STATIC);
      if (account_number != NULL && *account_number != '\0')
        sqlite3_bind_text (stmt, 5, account_number, -1, SQLITE_STATIC);
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

#define WALK_COLUMNS \
  ENTRY_COLUMNS ", staff_id, shift_id, account_id, method, amount, voids," \
  " (SELECT number FROM accounts WHERE id = journal.account_id)"

/* The helper columns beside an entry must say what its signed payload
 * says (DESIGN §4): a total read from them is then a total of signed
 * data. Entries before ledger_strict_from predate payloads that name
 * their shift and staff; for them only what the payload names is held. */
static gboolean
account_exists (VpDatabase *db,
                const char *number)
{
  sqlite3_stmt *stmt = vp_database_prepare (db, "SELECT 1 FROM accounts WHERE number = ?1", NULL);
  gboolean found = FALSE;

  if (stmt == NULL || number == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return found;
}

static gboolean
check_columns (VpDatabase           *db,
               const VpJournalEntry *e,
               sqlite3_stmt         *stmt,
               gboolean              strict,
               GError              **error)
{
  g_autoptr(JsonObject) payload = vp_journal_entry_parse_payload (e);
  g_autoptr(GError) local_error = NULL;
  VpJournalLedger l;
  const char *staff = (const char *)sqlite3_column_text (stmt, 10);
  gint64 shift = sqlite3_column_int64 (stmt, 11);
  gboolean has_account = sqlite3_column_type (stmt, 12) != SQLITE_NULL;
  const char *method = (const char *)sqlite3_column_text (stmt, 13);
  gint64 amount = sqlite3_column_int64 (stmt, 14);
  gint64 voids = sqlite3_column_int64 (stmt, 15);
  const char *account_number = (const char *)sqlite3_column_text (stmt, 16);
  const char *what = NULL;

  if (payload == NULL)
    what = "payload";
  else if (!vp_journal_ledger_from_payload (e->kind, payload, &l, &local_error))
    what = "payload";
  else if (amount != l.amount || sqlite3_column_type (stmt, 14) != SQLITE_INTEGER)
    what = "amount";
  else if (g_strcmp0 (method, l.method) != 0)
    what = "method";
  else if (voids != l.voids)
    what = "voids";
  else if ((strict || l.staff != NULL) && g_strcmp0 (staff, l.staff) != 0)
    what = "staff_id";
  else if ((strict || json_object_has_member (payload, "shift")) && shift != l.shift)
    what = "shift_id";
  else if (!has_account && strict && json_object_has_member (payload, "account") &&
           JSON_NODE_HOLDS_VALUE (json_object_get_member (payload, "account")) &&
           account_exists (db, json_object_get_string_member (payload, "account")))
    what = "account_id";
  else if (has_account)
    {
      const char *signed_number = json_object_get_string_member_with_default (payload, "account",
                                                                              NULL);

      /* A provisional number is renamed when HQ assigns the real one. */
      if (account_number == NULL ||
          (g_strcmp0 (account_number, signed_number) != 0 &&
           !(signed_number != NULL && vp_account_number_is_provisional (signed_number))))
        what = "account_id";
    }
  if (what == NULL)
    return TRUE;
  g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_COLUMNS,
               _("entry %" PRId64 ": the %s column does not match the signed entry%s%s"),
               e->seq, what, local_error ? ": " : "", local_error ? local_error->message : "");
  return FALSE;
}

/* Walks the chain after after_seq (whose hash is prev_hash): seq
 * continuity, van, links, hashes, signatures and helper columns, and
 * names the first bad entry. */
static gboolean
verify_walk (VpDatabase  *db,
             gint64       after_seq,
             const char  *prev_hash,
             gint64      *n_checked,
             gint64      *bad_seq,
             char       **last_hash,
             GError     **error)
{
  g_autofree char *pub = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_journal_entry_free);
  g_autoptr(VpVerifier) verifier = NULL;
  g_autoptr(GError) row_error = NULL;   /* the first seq/van/column fault */
  VerifyBatch vb = { batch, g_strdup (prev_hash), NULL, NULL, NULL, 0 };
  sqlite3_stmt *stmt = NULL;
  gint64 expected_seq = after_seq + 1;
  gint64 row_bad = 0;
  gint64 strict_from;
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
  strict_from = vp_database_get_meta_int (db, "ledger_strict_from", 1);
  /* A key that does not parse is reported at the first entry, below. */
  verifier = vp_verifier_new (pub, &vb.key_error);
  vb.pub = pub;
  vb.verifier = verifier;

  vp_database_lock (db);
  /* A private statement: the walk must not be disturbed by the cache. */
  rc = sqlite3_prepare_v2 (vp_database_get_handle (db),
                           "SELECT " WALK_COLUMNS " FROM journal WHERE seq > ?1 ORDER BY seq",
                           -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      vp_database_unlock (db);
      g_free (vb.prev);
      g_clear_error (&vb.key_error);
      return vp_database_set_error (db, rc, error);
    }
  sqlite3_bind_int64 (stmt, 1, after_seq);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(VpJournalEntry) e = entry_from_row (stmt);

      if (e->seq != expected_seq)
        {
          g_set_error (&row_error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SEQ,
                       _("entry %" PRId64 ": expected seq %" PRId64
                         " (entries are missing)"), e->seq, expected_seq);
          row_bad = expected_seq;
          break;
        }
      if (g_strcmp0 (e->van_id, vp_database_get_van_id (db)) != 0)
        {
          g_set_error (&row_error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID,
                       _("entry %" PRId64 ": belongs to van %s"), e->seq, e->van_id);
          row_bad = e->seq;
          break;
        }
      /* A column fault is reported after the entry's own chain checks:
       * an altered payload is a hash fault first. */
      if (!check_columns (db, e, stmt, e->seq >= strict_from, &row_error))
        {
          row_bad = e->seq;
          g_ptr_array_add (batch, g_steal_pointer (&e));
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
  /* Entries before the row fault (or a read error) are checked first. */
  if (ok)
    ok = verify_batch_flush (&vb, bad_seq, error);
  if (ok && row_error != NULL)
    {
      if (bad_seq)
        *bad_seq = row_bad;
      /* The faulty row itself passed the chain checks and was counted. */
      if (row_bad <= expected_seq && g_error_matches (row_error, VP_JOURNAL_ERROR,
                                                      VP_JOURNAL_ERROR_COLUMNS))
        vb.checked--;
      g_propagate_error (error, g_steal_pointer (&row_error));
      ok = FALSE;
    }
  else if (ok && rc != SQLITE_DONE && rc != SQLITE_ROW)
    ok = vp_database_set_error (db, rc, error);
  sqlite3_finalize (stmt);
  vp_database_unlock (db);

  if (n_checked)
    *n_checked = vb.checked;
  if (ok && last_hash)
    *last_hash = g_steal_pointer (&vb.prev);
  g_free (vb.prev);
  g_clear_error (&vb.key_error);
  return ok;
}

/* The hash of entry seq, or NULL if there is none. */
static char *
hash_at (VpDatabase *db,
         gint64      seq)
{
  sqlite3_stmt *stmt = vp_database_prepare (db, "SELECT hash FROM journal WHERE seq = ?1", NULL);
  char *hash = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, seq);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    hash = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return hash;
}

/* The journal must still hold each anchored head as it was committed. */
static gboolean
check_head (VpDatabase  *db,
            gint64       last_seq,
            gint64       seq,
            const char  *hash,
            const char  *what,
            gint64      *bad_seq,
            GError     **error)
{
  g_autofree char *found = NULL;

  if (seq <= 0)
    return TRUE;
  if (seq > last_seq)
    {
      g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_TRUNCATED,
                   _("the journal is truncated: it ends at entry %" PRId64 " but %s entry %"
                     PRId64 " (%.12s…); entries were deleted or the database rolled back"),
                   last_seq, what, seq, hash);
      *bad_seq = last_seq + 1;
      return FALSE;
    }
  found = hash_at (db, seq);
  if (g_strcmp0 (found, hash) != 0)
    {
      g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_FORKED,
                   _("the journal forked: entry %" PRId64 " is not the one %s (%.12s…, now "
                     "%.12s…); it was rolled back and its number reused"),
                   seq, what, hash, found ? found : "?");
      *bad_seq = seq;
      return FALSE;
    }
  return TRUE;
}

/* A break acknowledged by a supervisor stays visible to verify but no
 * longer blocks the van: the journal.break entry names it. */
static gint64
break_acknowledged_by (VpDatabase   *db,
                       const GError *why,
                       gint64        bad_seq)
{
  sqlite3_stmt *stmt;
  gint64 ack = 0;

  stmt = vp_database_prepare (db, "SELECT seq FROM journal WHERE kind = '" VP_KIND_JOURNAL_BREAK "'"
                                  " AND json_extract (payload, '$.break_seq') = ?1"
                                  " AND json_extract (payload, '$.break_code') = ?2"
                                  " AND seq > ?1 ORDER BY seq LIMIT 1", NULL);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, bad_seq);
  sqlite3_bind_int64 (stmt, 2, vp_anchor_break_code (why));
  if (sqlite3_step (stmt) == SQLITE_ROW)
    ack = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return ack;
}


/* Walks after after_seq to the end. A fault a supervisor acknowledged
 * (a later journal.break entry names it) is passed in *acknowledged and
 * the walk goes on past it, checking what follows; any other fault stops
 * it with *bad_seq. On success *last_hash is the last entry's hash. */
static gboolean
walk_tolerant (VpDatabase  *db,
               gint64       after_seq,
               const char  *prev_hash,
               gint64      *n_checked,
               gint64      *bad_seq,
               char       **last_hash,
               GError     **acknowledged,
               GError     **error)
{
  g_autofree char *prev = g_strdup (prev_hash);
  gint64 after = after_seq, total = 0;

  if (bad_seq)
    *bad_seq = 0;
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *walked_hash = NULL;
      gint64 n = 0, bad = 0, ack;
      gboolean skip;
      sqlite3_stmt *stmt;

      if (verify_walk (db, after, prev, &n, &bad, &walked_hash, &local_error))
        {
          total += n;
          if (last_hash)
            *last_hash = g_steal_pointer (&walked_hash);
          break;
        }
      total += n;
      if (local_error->domain != VP_JOURNAL_ERROR || bad <= 0 ||
          (ack = break_acknowledged_by (db, local_error, bad)) == 0)
        {
          if (n_checked)
            *n_checked = total;
          if (bad_seq)
            *bad_seq = bad;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* A missing entry or a bad link: the next entry is still checked
       * in full. A bad entry itself is passed over. */
      skip = !g_error_matches (local_error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SEQ) &&
             !g_error_matches (local_error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_PREV_HASH);
      if (acknowledged != NULL && *acknowledged == NULL)
        {
          g_prefix_error (&local_error, _("(acknowledged by a supervisor in entry %" PRId64 ") "),
                          ack);
          *acknowledged = g_steal_pointer (&local_error);
          if (bad_seq)
            *bad_seq = bad;
        }
      stmt = vp_database_prepare (db, "SELECT seq, hash, prev_hash FROM journal WHERE seq >= ?1"
                                      " ORDER BY seq LIMIT 1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, bad);
      if (sqlite3_step (stmt) != SQLITE_ROW)
        {
          sqlite3_reset (stmt);
          if (last_hash)
            *last_hash = g_strdup (prev);
          break;
        }
      after = sqlite3_column_int64 (stmt, 0) - (skip ? 0 : 1);
      g_free (prev);
      prev = g_strdup ((const char *)sqlite3_column_text (stmt, skip ? 1 : 2));
      sqlite3_reset (stmt);
    }
  if (n_checked)
    *n_checked = total;
  return TRUE;
}

gboolean
vp_journal_store_check_anchor (VpDatabase  *db,
                               VpAnchor    *anchor,
                               gint64      *bad_seq,
                               GError     **error)
{
  g_autofree char *last_hash = NULL;
  gint64 last_seq = vp_journal_store_last_seq (db);
  gint64 n = 0;

  *bad_seq = 0;
  if (!check_head (db, last_seq, anchor->head_seq, anchor->head_hash,
                   _("the anchor records committed"), bad_seq, error) ||
      !check_head (db, last_seq, anchor->hq_seq, anchor->hq_hash,
                   _("headquarters acknowledged"), bad_seq, error) ||
      !check_head (db, last_seq, anchor->verified_seq, anchor->verified_hash,
                   _("the anchor records verified"), bad_seq, error))
    return FALSE;
  if (!walk_tolerant (db, anchor->verified_seq, anchor->verified_hash, &n, bad_seq, &last_hash,
                      NULL, error))
    return FALSE;
  if (n > 0)
    {
      g_autofree char *head_hash = hash_at (db, last_seq);

      anchor->verified_seq = last_seq;
      g_free (anchor->verified_hash);
      anchor->verified_hash = g_steal_pointer (&last_hash);
      if (last_seq > anchor->head_seq)
        {
          anchor->head_seq = last_seq;
          g_free (anchor->head_hash);
          anchor->head_hash = g_steal_pointer (&head_hash);
          anchor->head_time = vp_database_query_int (db, "SELECT device_time FROM journal"
                                                         " ORDER BY seq DESC LIMIT 1", 0);
        }
    }
  return TRUE;
}

gboolean
vp_journal_store_verify (VpDatabase  *db,
                         gint64      *n_checked,
                         gint64      *bad_seq,
                         GError     **error)
{
  g_autoptr(GError) acknowledged = NULL;
  g_autoptr(GError) walk_error = NULL;
  gint64 total = 0, first_bad = 0;

  if (bad_seq)
    *bad_seq = 0;
  if (!walk_tolerant (db, 0, VP_JOURNAL_GENESIS_HASH, &total, &first_bad, NULL, &acknowledged,
                      &walk_error))
    {
      if (walk_error->domain == VP_JOURNAL_ERROR)
        vp_database_set_break (db, walk_error, first_bad);
      if (n_checked)
        *n_checked = total;
      if (bad_seq)
        *bad_seq = first_bad;
      g_propagate_error (error, g_steal_pointer (&walk_error));
      return FALSE;
    }
  if (n_checked)
    *n_checked = total;

  /* The whole chain is walked; now the anchored heads, as the anchor
   * file has them now. */
  if (vp_database_get_anchor (db) != NULL)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(VpAnchor) a = vp_database_load_anchor (db, &local_error);
      gint64 last_seq = vp_journal_store_last_seq (db);
      gint64 bad = 0;

      if (a == NULL ||
          !check_head (db, last_seq, a->head_seq, a->head_hash, _("the anchor records committed"),
                       &bad, &local_error) ||
          !check_head (db, last_seq, a->hq_seq, a->hq_hash, _("headquarters acknowledged"),
                       &bad, &local_error))
        {
          vp_database_set_break (db, local_error, bad);
          if (bad_seq)
            *bad_seq = bad;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  else if (vp_database_get_break (db) != NULL)
    {
      /* No anchor to compare with: the open-time check said why. */
      g_propagate_error (error, g_error_copy (vp_database_get_break (db)));
      return FALSE;
    }
  if (acknowledged != NULL)
    {
      if (bad_seq)
        *bad_seq = first_bad;
      g_propagate_error (error, g_steal_pointer (&acknowledged));
      return FALSE;
    }
  return TRUE;
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
  if (ok)
    {
      g_autofree char *hash = hash_at (db, up_to_seq);
      g_autoptr(GError) anchor_error = NULL;

      /* HQ's acknowledged head is anchored too: a journal that later
       * lacks it lost entries HQ holds. */
      if (hash != NULL && vp_database_get_anchor (db) != NULL &&
          !vp_database_anchor_hq (db, up_to_seq, hash, &anchor_error))
        g_warning ("%s", anchor_error->message);
    }
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

typedef struct
{
  const VpStaff *supervisor;
  const char    *reason;
} AckData;

static VpJournalEntry *
acknowledge_tx (VpDatabase  *db,
                gpointer     data,
                GError     **error)
{
  AckData *d = data;
  const GError *why = vp_database_get_break (db);
  const VpAnchor *a = vp_database_get_anchor (db);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *head_hash = NULL;
  gint64 head = vp_journal_store_last_seq (db);
  VpJournalRefs refs = { 0 };

  head_hash = hash_at (db, head);
  json_builder_begin_object (b);
  vp_json_add_string (b, "break", why->message);
  vp_json_add_int (b, "break_code", vp_anchor_break_code (why));
  vp_json_add_int (b, "break_seq", vp_database_get_break_seq (db));
  vp_json_add_int (b, "journal_head_seq", head);
  vp_json_add_string (b, "journal_head_hash", head_hash ? head_hash : VP_JOURNAL_GENESIS_HASH);
  if (a != NULL)
    {
      vp_json_add_int (b, "anchor_head_seq", a->head_seq);
      vp_json_add_string (b, "anchor_head_hash", a->head_hash);
      vp_json_add_int (b, "hq_acked_seq", a->hq_seq);
      vp_json_add_string (b, "hq_acked_hash", a->hq_hash);
      if (a->head_seq > head)
        vp_json_add_int (b, "entries_lost", a->head_seq - head);
    }
  vp_json_add_string (b, "reason", d->reason);
  vp_json_add_string (b, "approved_by", d->supervisor->id);
  vp_json_add_staff (b, d->supervisor);
  json_builder_end_object (b);
  refs.staff_id = d->supervisor->id;
  return vp_journal_store_append (db, VP_KIND_JOURNAL_BREAK, b, &refs, error);
}

VpJournalEntry *
vp_journal_store_acknowledge_break (VpDatabase    *db,
                                    const VpStaff *supervisor,
                                    const char    *reason,
                                    GError       **error)
{
  AckData d = { supervisor, reason };
  VpJournalEntry *entry;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _("Acknowledging a journal break"),
                              error))
    return NULL;
  if (reason == NULL || *reason == '\0' || !vp_validate_note (reason, 200, error))
    {
      if (error && *error == NULL)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                     _("Say why the break is acknowledged (--reason)"));
      return NULL;
    }
  if (vp_database_get_break (db) == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("The journal has no break to acknowledge"));
      return NULL;
    }
  /* A damaged file is not a journal question: only a restore mends it. */
  if (vp_database_get_break (db)->domain != VP_JOURNAL_ERROR)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                   _("The database file is damaged (%s); it cannot be acknowledged, restore "
                     "the latest backup (vanpos-cli restore)"),
                   vp_database_get_break (db)->message);
      return NULL;
    }
  /* The break and what it lost become a signed entry, which reaches HQ
   * at the next sync; the anchor then starts again from it. */
  vp_database_set_acknowledging (db, TRUE);
  entry = vp_store_run_tx (db, acknowledge_tx, &d, error);
  vp_database_set_acknowledging (db, FALSE);
  if (entry == NULL)
    return NULL;
  /* The acknowledgement is committed: a failure to re-anchor is told,
   * not turned into a failure of what was saved. */
  {
    g_autoptr(GError) anchor_error = NULL;

    if (!vp_database_reset_anchor (db, &anchor_error))
      g_warning ("%s", anchor_error->message);
  }
  return entry;
}
