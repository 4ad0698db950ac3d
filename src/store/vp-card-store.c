/* vp-card-store.c: card key and lost-card reissue.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-card-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "vp-store-private.h"
#include "vp-card-store.h"

gboolean
vp_card_store_get_key (VpDatabase  *db,
                       guint8       key[VP_CARD_KEY_SIZE],
                       GError     **error)
{
  g_autofree char *hex = vp_database_get_meta (db, "card_key");

  if (hex == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                   _("This van has no card key; provision it from HQ (card.key) "
                     "or set one with “vanpos-cli card set-key HEX”"));
      return FALSE;
    }
  return vp_card_key_from_hex (hex, key, error);
}

gboolean
vp_card_store_get_keyring (VpDatabase    *db,
                           VpCardKeyring *ring,
                           GError       **error)
{
  g_autofree char *hex = vp_database_get_meta (db, "card_key");
  g_autofree char *masters = vp_database_get_meta (db, "card_keys");

  vp_card_keyring_init (ring);
  if (hex == NULL && masters == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                   _("This van has no card key; provision it from HQ (card-keys) "
                     "or set one with “vanpos-cli card set-key HEX”"));
      return FALSE;
    }
  if (hex != NULL)
    {
      guint8 key[VP_CARD_KEY_SIZE];

      if (!vp_card_key_from_hex (hex, key, error))
        return FALSE;
      vp_card_keyring_set_legacy (ring, key);
      memset (key, 0, sizeof key);
    }
  if (masters != NULL && !vp_card_keyring_add_masters_text (ring, masters, error))
    return FALSE;
  return TRUE;
}

gboolean
vp_card_store_set_key (VpDatabase  *db,
                       const char  *hex,
                       GError     **error)
{
  guint8 key[VP_CARD_KEY_SIZE];
  g_autofree char *norm = NULL;

  if (!vp_card_key_from_hex (hex, key, error))
    return FALSE;
  norm = vp_card_key_to_hex (key);
  memset (key, 0, sizeof key);
  return vp_database_set_meta (db, "card_key", norm, error);
}

gboolean
vp_card_store_account_had_number (VpDatabase *db,
                                  gint64      account_id,
                                  const char *number)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *payload = NULL;
  sqlite3_stmt *stmt;
  JsonNode *root;

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT j.payload FROM accounts a JOIN journal j"
                                  " ON j.seq = a.opened_seq WHERE a.id = ?1", NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, account_id);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        payload = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  vp_database_unlock (db);
  if (payload == NULL || !json_parser_load_from_data (parser, payload, -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) &&
         g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (root),
                                                                "account", NULL), number) == 0;
}

typedef struct
{
  const VpStaff  *staff;
  const char     *number;
  VpMoney         fee;
  VpPaymentMethod method;
  const char     *reference;
  const char     *reason;
} ReissueData;

static VpJournalEntry *
reissue_tx (VpDatabase  *db,
            gpointer     data,
            GError     **error)
{
  ReissueData *d = data;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GArray) voided = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *new_card = NULL;
  g_autofree char *seq_text = NULL;
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry = NULL;
  VpMoney carried = 0, balance_after;
  sqlite3_stmt *stmt;
  gint64 shift_id, card_seq;
  guint van_code;
  int rc;

  if ((shift_id = vp_shift_store_require_open (db, error)) == 0)
    return NULL;
  a = vp_account_store_load (db, d->number, FALSE, error);
  if (a == NULL)
    return NULL;
  if (a->meter != VP_METER_PREPAID)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s has a post-paid meter and no IC card"), a->number);
      return NULL;
    }
  if (a->card_number == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s has no IC card to replace; issue one first"), a->number);
      return NULL;
    }

  /* Pending top-ups on the lost card can never be resolved by reading
   * it: their money is kept as credit. */
  stmt = vp_database_prepare (db, "SELECT intent_seq, amount FROM topups"
                                  " WHERE account_id = ?1 AND state = 'pending'"
                                  " ORDER BY intent_seq", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (stmt, 0);

      if (!vp_money_add (carried, sqlite3_column_int64 (stmt, 1), &carried, error))
        {
          sqlite3_reset (stmt);
          return NULL;
        }
      g_array_append_val (voided, seq);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  if (!vp_money_add (a->balance, carried, &balance_after, error))
    return NULL;

  /* Same numbering as a card issued with a new account. */
  card_seq = vp_database_get_meta_int (db, "card_seq", 0) + 1;
  seq_text = g_strdup_printf ("%" G_GINT64_FORMAT, card_seq);
  if (!vp_database_set_meta (db, "card_seq", seq_text, error))
    return NULL;
  van_code = g_str_hash (vp_database_get_van_id (db)) % 10000;
  new_card = g_strdup_printf ("89%04u%06" G_GINT64_FORMAT, van_code, card_seq % 1000000);

  if (!vp_card_store_block (db, a->card_number, d->reason, error))
    return NULL;

  json_builder_begin_object (b);
  vp_json_add_account (b, a);
  vp_json_add_string (b, "old_card", a->card_number);
  vp_json_add_string (b, "new_card", new_card);
  vp_json_add_string (b, "reason", d->reason);
  vp_json_add_int (b, "counter", a->card_counter);
  vp_json_add_money (b, "credit_carried", carried);
  vp_json_add_money (b, "credit_after", balance_after);
  json_builder_set_member_name (b, "voided");
  json_builder_begin_array (b);
  for (guint i = 0; i < voided->len; i++)
    json_builder_add_int_value (b, g_array_index (voided, gint64, i));
  json_builder_end_array (b);
  vp_json_add_money (b, "fee", d->fee);
  if (d->fee > 0)
    vp_json_add_payment (b, d->method, d->reference);
  vp_json_add_staff (b, d->staff);
  vp_json_add_int (b, "shift", shift_id);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = shift_id;
  refs.account_id = a->id;
  refs.method = d->fee > 0 ? vp_payment_method_to_string (d->method) : NULL;
  refs.amount = d->fee;
  entry = vp_journal_store_append (db, VP_KIND_CARD_REISSUE, b, &refs, error);
  if (entry == NULL)
    return NULL;

  stmt = vp_database_prepare (db, "UPDATE accounts SET card_number = ?2, balance = ?3,"
                                  " updated_at = ?4 WHERE id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, a->id);
  sqlite3_bind_text (stmt, 2, new_card, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, balance_after);
  sqlite3_bind_int64 (stmt, 4, vp_database_now ());
  if (!vp_store_step_done (db, stmt, error))
    goto fail;
  for (guint i = 0; i < voided->len; i++)
    {
      stmt = vp_database_prepare (db, "UPDATE topups SET state = 'voided', resolved_seq = ?2"
                                      " WHERE intent_seq = ?1 AND state = 'pending'", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, g_array_index (voided, gint64, i));
      sqlite3_bind_int64 (stmt, 2, entry->seq);
      if (!vp_store_step_done (db, stmt, error))
        goto fail;
    }
  return entry;

fail:
  vp_journal_entry_free (entry);
  return NULL;
}

VpJournalEntry *
vp_card_store_reissue (VpDatabase      *db,
                       const VpStaff   *staff,
                       const char      *number,
                       VpMoney          fee,
                       VpPaymentMethod  method,
                       const char      *reference,
                       const char      *reason,
                       GError         **error)
{
  ReissueData d = { staff, number, fee, method, reference, reason ? reason : "lost" };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (number != NULL, NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Reissuing a card"), error))
    return NULL;
  if (fee < 0 || fee > VP_MONEY_MAX_TRANSACTION)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The reissue fee must be between ¥0.00 and ¥1,000,000.00"));
      return NULL;
    }
  if (fee > 0 && !vp_store_check_payment (method, reference, error))
    return NULL;
  return vp_store_run_tx (db, reissue_tx, &d, error);
}
