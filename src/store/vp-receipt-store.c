/* vp-receipt-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-receipt-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "vp-journal-store.h"
#include "vp-receipt-store.h"
#include "vp-shift-store.h"
#include "vp-store-private.h"

char *
vp_receipt_store_get_check_url (VpDatabase *db)
{
  char *url;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  url = vp_database_get_meta (db, VP_META_RECEIPT_CHECK_URL);
  if (url != NULL && *url == '\0')
    g_clear_pointer (&url, g_free);
  return url;
}

gboolean
vp_receipt_store_set_check_url (VpDatabase  *db,
                                const char  *url,
                                GError     **error)
{
  gboolean ok;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);

  if (url != NULL && *url != '\0' && !vp_receipt_check_base_validate (url, error))
    return FALSE;
  vp_database_lock (db);
  if (!vp_database_begin (db, error))
    {
      vp_database_unlock (db);
      return FALSE;
    }
  ok = vp_database_set_meta (db, VP_META_RECEIPT_CHECK_URL, url ? url : "", error) &&
       vp_database_commit (db, error);
  if (!ok)
    vp_database_rollback (db);
  vp_database_unlock (db);
  return ok;
}

VpJournalEntry *
vp_receipt_store_find (VpDatabase  *db,
                       const char  *receipt,
                       GError     **error)
{
  g_autofree char *van = NULL;
  g_autofree char *number = NULL;
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autoptr(GError) local = NULL;
  gint64 seq;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_receipt_number_parse (receipt, &van, NULL, &seq, error))
    return NULL;
  if (g_strcmp0 (van, vp_database_get_van_id (db)) != 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                   _("Receipt %s is not from this van (%s)"), receipt,
                   vp_database_get_van_id (db) ? vp_database_get_van_id (db) : "?");
      return NULL;
    }
  entry = vp_journal_store_get (db, seq, &local);
  if (entry == NULL)
    {
      if (!g_error_matches (local, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                   _("This van's journal holds no receipt %s"), receipt);
      return NULL;
    }
  /* The number as this van printed it: the same seq on another day is
   * not this receipt. Compared whole, so zero-padding cannot differ. */
  number = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
  if (g_strcmp0 (number, receipt) != 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                   _("This van's journal holds no receipt %s"), receipt);
      return NULL;
    }
  return g_steal_pointer (&entry);
}

VpJournalEntry *
vp_receipt_store_voided_by (VpDatabase  *db,
                            gint64       seq,
                            GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 void_seq = 0;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  /* journal.voids is derived from the void's signed voided_seq and
   * checked against it by verify (DESIGN §4). */
  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT seq FROM journal WHERE voids = ?1", error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, seq);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    void_seq = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  vp_database_unlock (db);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  if (void_seq == 0)
    return NULL;
  return vp_journal_store_get (db, void_seq, error);
}

gint64
vp_receipt_store_count_reprints (VpDatabase  *db,
                                 gint64       seq,
                                 GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 n = -1;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), -1);

  /* Read from the signed payloads themselves. */
  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT count (*) FROM journal WHERE kind = '"
                                  VP_KIND_RECEIPT_REPRINT "'"
                                  " AND json_extract (payload, '$.reprinted_seq') = ?1", error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, seq);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        n = sqlite3_column_int64 (stmt, 0);
      else
        vp_database_set_error (db, rc, error);
      sqlite3_reset (stmt);
    }
  vp_database_unlock (db);
  return n;
}

typedef struct
{
  const VpStaff *staff;
  gint64         seq;
} ReprintData;

static VpJournalEntry *
reprint_tx (VpDatabase  *db,
            gpointer     data,
            GError     **error)
{
  ReprintData *d = data;
  g_autoptr(VpJournalEntry) target = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *receipt = NULL;
  VpJournalRefs refs = { 0 };
  gint64 copies;
  gint64 shift;

  target = vp_journal_store_get (db, d->seq, error);
  if (target == NULL)
    return NULL;
  if (g_str_equal (target->kind, VP_KIND_RECEIPT_REPRINT))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Entry %" PRId64 " is itself a reprint; reprint the receipt it copies"),
                   d->seq);
      return NULL;
    }
  /* Counted inside the transaction, so two reprints never share a copy
   * number. */
  copies = vp_receipt_store_count_reprints (db, d->seq, error);
  if (copies < 0)
    return NULL;
  payload = vp_journal_entry_parse_payload (target);
  receipt = vp_journal_receipt_number (target->van_id, target->device_time, target->seq);
  shift = vp_shift_store_current (db);

  json_builder_begin_object (b);
  vp_json_add_int (b, "reprinted_seq", target->seq);
  vp_json_add_string (b, "reprinted_kind", target->kind);
  vp_json_add_string (b, "reprinted_receipt", receipt);
  vp_json_add_int (b, "copy", copies + 1);
  if (payload != NULL && json_object_has_member (payload, "account") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (payload, "account")))
    vp_json_add_string (b, "account", json_object_get_string_member (payload, "account"));
  vp_json_add_staff (b, d->staff);
  if (shift > 0)
    vp_json_add_int (b, "shift", shift);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = shift > 0 ? shift : 0;
  return vp_journal_store_append (db, VP_KIND_RECEIPT_REPRINT, b, &refs, error);
}

VpJournalEntry *
vp_receipt_store_reprint (VpDatabase    *db,
                          const VpStaff *staff,
                          gint64         seq,
                          GError       **error)
{
  ReprintData d = { staff, seq };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (staff != NULL, NULL);

  if (seq <= 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("There is no journal entry %" PRId64), seq);
      return NULL;
    }
  return vp_store_run_tx (db, reprint_tx, &d, error);
}
