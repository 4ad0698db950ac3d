/* vp-sync-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-sync-store"

#include "config.h"

#include <string.h>

#include "vp-store-private.h"
#include "vp-sync-store.h"

/* --- records ------------------------------------------------------------- */

VpAccountRename *
vp_account_rename_new (const char *provisional,
                       const char *number)
{
  VpAccountRename *r = g_new0 (VpAccountRename, 1);

  r->provisional = g_strdup (provisional);
  r->number = g_strdup (number);
  return r;
}

void
vp_account_rename_free (VpAccountRename *rename)
{
  if (rename == NULL)
    return;
  g_free (rename->provisional);
  g_free (rename->number);
  g_free (rename);
}

void
vp_push_outcome_free (VpPushOutcome *outcome)
{
  if (outcome == NULL)
    return;
  g_free (outcome->uuid);
  g_free (outcome->outcome);
  g_free (outcome->detail);
  g_free (outcome);
}

VpPushAck *
vp_push_ack_new (void)
{
  VpPushAck *ack = g_new0 (VpPushAck, 1);

  ack->results = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_push_outcome_free);
  ack->renames = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_account_rename_free);
  return ack;
}

void
vp_push_ack_free (VpPushAck *ack)
{
  if (ack == NULL)
    return;
  g_clear_pointer (&ack->results, g_ptr_array_unref);
  g_clear_pointer (&ack->renames, g_ptr_array_unref);
  g_free (ack);
}

void
vp_master_bill_free (VpMasterBill *bill)
{
  if (bill == NULL)
    return;
  g_free (bill->hq_id);
  g_free (bill->account);
  g_free (bill->period);
  g_free (bill);
}

void
vp_master_tariff_free (VpMasterTariff *tariff)
{
  if (tariff == NULL)
    return;
  g_free (tariff->tiers);
  g_free (tariff->valid_from);
  g_free (tariff);
}

void
vp_master_staff_free (VpMasterStaff *staff)
{
  if (staff == NULL)
    return;
  g_free (staff->id);
  g_free (staff->name);
  g_free (staff->pin_hash);
  g_free (staff);
}

void
vp_master_blocked_card_free (VpMasterBlockedCard *card)
{
  if (card == NULL)
    return;
  g_free (card->card_number);
  g_free (card->reason);
  g_free (card);
}

VpMasterPage *
vp_master_page_new (void)
{
  VpMasterPage *page = g_new0 (VpMasterPage, 1);

  page->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_account_free);
  page->bills = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_master_bill_free);
  page->tariffs = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_master_tariff_free);
  page->staff = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_master_staff_free);
  page->blocked_cards = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_master_blocked_card_free);
  page->renames = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_account_rename_free);
  return page;
}

void
vp_master_page_free (VpMasterPage *page)
{
  if (page == NULL)
    return;
  g_free (page->cursor);
  g_clear_pointer (&page->accounts, g_ptr_array_unref);
  g_clear_pointer (&page->bills, g_ptr_array_unref);
  g_clear_pointer (&page->tariffs, g_ptr_array_unref);
  g_clear_pointer (&page->staff, g_ptr_array_unref);
  g_clear_pointer (&page->blocked_cards, g_ptr_array_unref);
  g_clear_pointer (&page->renames, g_ptr_array_unref);
  g_free (page);
}

void
vp_sync_config_free (VpSyncConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->van);
  g_free (config->url);
  g_free (config->pins);
  g_free (config->ca_path);
  g_free (config->cert_path);
  g_free (config->key_path);
  g_free (config);
}

/* --- settings ------------------------------------------------------------ */

VpSyncConfig *
vp_sync_store_get_config (VpDatabase *db)
{
  g_autoptr(VpSyncConfig) c = g_new0 (VpSyncConfig, 1);

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  c->url = vp_database_get_meta (db, VP_META_HQ_URL);
  if (c->url == NULL)
    return NULL;
  c->van = g_strdup (vp_database_get_van_id (db));
  c->pins = vp_database_get_meta (db, VP_META_HQ_PINS);
  c->ca_path = vp_database_get_meta (db, VP_META_HQ_CA);
  c->cert_path = vp_database_get_meta (db, VP_META_HQ_CLIENT_CERT);
  c->key_path = vp_database_get_meta (db, VP_META_HQ_CLIENT_KEY);
  return g_steal_pointer (&c);
}

gboolean
vp_sync_store_set_config (VpDatabase         *db,
                          const VpSyncConfig *config,
                          const char         *card_key_hex,
                          const char         *card_keys,
                          GError            **error)
{
  gboolean ok;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (config != NULL && config->url != NULL && config->pins != NULL, FALSE);

  vp_database_lock (db);
  if (!vp_database_begin (db, error))
    {
      vp_database_unlock (db);
      return FALSE;
    }
  ok = vp_database_set_meta (db, VP_META_HQ_URL, config->url, error) &&
       vp_database_set_meta (db, VP_META_HQ_PINS, config->pins, error) &&
       vp_database_set_meta (db, VP_META_HQ_CA, config->ca_path, error) &&
       vp_database_set_meta (db, VP_META_HQ_CLIENT_CERT, config->cert_path, error) &&
       vp_database_set_meta (db, VP_META_HQ_CLIENT_KEY, config->key_path, error) &&
       (card_key_hex == NULL || vp_database_set_meta (db, VP_META_CARD_KEY, card_key_hex, error)) &&
       (card_keys == NULL || vp_database_set_meta (db, VP_META_CARD_KEYS, card_keys, error)) &&
       vp_database_commit (db, error);
  if (!ok)
    vp_database_rollback (db);
  vp_database_unlock (db);
  return ok;
}

/* --- helpers ------------------------------------------------------------- */

static gboolean
set_meta_int (VpDatabase  *db,
              const char  *key,
              gint64       value,
              GError     **error)
{
  char buf[32];

  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  return vp_database_set_meta (db, key, buf, error);
}

static gint64
account_id_by_number (VpDatabase  *db,
                      const char  *number,
                      GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 id = 0;
  int rc;

  stmt = vp_database_prepare (db, "SELECT id FROM accounts WHERE number = ?1", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return -1;
    }
  return id;
}

/* Inside a transaction. */
static gboolean
apply_renames (VpDatabase  *db,
               GPtrArray   *renames,
               gint64      *n_renamed,
               GError     **error)
{
  for (guint i = 0; renames != NULL && i < renames->len; i++)
    {
      VpAccountRename *r = g_ptr_array_index (renames, i);
      sqlite3_stmt *stmt;
      gint64 prov_id, real_id;

      if (!vp_account_number_is_provisional (r->provisional))
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                       "HQ renamed “%s”, which is not a provisional account number", r->provisional);
          return FALSE;
        }
      if (!vp_account_number_validate (r->number, error))
        {
          g_prefix_error (error, "HQ assigned an invalid number to %s: ", r->provisional);
          return FALSE;
        }
      if ((prov_id = account_id_by_number (db, r->provisional, error)) < 0)
        return FALSE;
      if (prov_id == 0)
        continue;   /* renamed at an earlier sync, or never opened here */
      if ((real_id = account_id_by_number (db, r->number, error)) < 0)
        return FALSE;
      if (real_id != 0)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                       "HQ assigned %s to %s, but the van already has an account %s",
                       r->number, r->provisional, r->number);
          return FALSE;
        }
      stmt = vp_database_prepare (db,
                                  "UPDATE accounts SET number = ?2, updated_at = ?3,"
                                  " status = CASE status WHEN 'provisional' THEN 'active' ELSE status END"
                                  " WHERE id = ?1",
                                  error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, prov_id);
      sqlite3_bind_text (stmt, 2, r->number, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, vp_database_now ());
      if (!vp_store_step_done (db, stmt, error))
        return FALSE;
      if (n_renamed)
        (*n_renamed)++;
    }
  return TRUE;
}

/* --- push acknowledgement ------------------------------------------------ */

static gboolean
record_push_tx (VpDatabase      *db,
                const VpPushAck *ack,
                gint64          *n_renamed,
                GError         **error)
{
  sqlite3_stmt *stmt;
  gint64 last_seq = 0;
  int rc;

  stmt = vp_database_prepare (db, "SELECT coalesce (max (seq), 0) FROM journal", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    last_seq = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (ack->acked_seq < 0 || ack->acked_seq > last_seq)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   "HQ acknowledged up to entry %" G_GINT64_FORMAT ", but the van's journal ends at %"
                   G_GINT64_FORMAT, ack->acked_seq, last_seq);
      return FALSE;
    }

  for (guint i = 0; i < ack->results->len; i++)
    {
      VpPushOutcome *o = g_ptr_array_index (ack->results, i);
      g_autofree char *uuid = NULL;

      stmt = vp_database_prepare (db, "SELECT uuid FROM journal WHERE seq = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, o->seq);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        uuid = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
      if (uuid == NULL || g_strcmp0 (uuid, o->uuid) != 0)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                       "HQ answered for entry %" G_GINT64_FORMAT " with uuid %s, which is not the "
                       "van's entry", o->seq, o->uuid);
          return FALSE;
        }
      stmt = vp_database_prepare (db, "UPDATE outbox SET outcome = ?2 WHERE seq = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, o->seq);
      sqlite3_bind_text (stmt, 2, o->outcome, -1, SQLITE_STATIC);
      if (!vp_store_step_done (db, stmt, error))
        return FALSE;
    }

  stmt = vp_database_prepare (db,
                              "UPDATE outbox SET state = 'acked', acked_at = ?2"
                              " WHERE state = 'pending' AND seq <= ?1",
                              error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, ack->acked_seq);
  sqlite3_bind_int64 (stmt, 2, vp_database_now ());
  if (!vp_store_step_done (db, stmt, error))
    return FALSE;

  return apply_renames (db, ack->renames, n_renamed, error) &&
         set_meta_int (db, VP_META_ACKED_SEQ, ack->acked_seq, error) &&
         set_meta_int (db, VP_META_HQ_ACKED_ENTRIES, ack->total_entries, error) &&
         set_meta_int (db, VP_META_HQ_ACKED_AMOUNT, ack->total_amount, error) &&
         set_meta_int (db, VP_META_LAST_HQ_TIME, ack->hq_time, error);
}

gboolean
vp_sync_store_record_push (VpDatabase      *db,
                           const VpPushAck *ack,
                           gint64          *n_renamed,
                           GError         **error)
{
  gint64 renamed = 0;
  gboolean ok;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (ack != NULL, FALSE);

  vp_database_lock (db);
  if (!vp_database_begin (db, error))
    {
      vp_database_unlock (db);
      return FALSE;
    }
  ok = record_push_tx (db, ack, &renamed, error) && vp_database_commit (db, error);
  if (!ok)
    vp_database_rollback (db);
  vp_database_unlock (db);
  if (ok && n_renamed)
    *n_renamed = renamed;
  return ok;
}

static gboolean
requeue_lost_tx (VpDatabase  *db,
                 gint64       expected_seq,
                 gint64      *n_requeued,
                 GError     **error)
{
  gint64 acked = vp_database_get_meta_int (db, VP_META_ACKED_SEQ, 0);
  g_autofree char *range = NULL;
  sqlite3_stmt *stmt;

  if (expected_seq < 1 || expected_seq > acked)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   "HQ expects entry %" G_GINT64_FORMAT ", which is not below the acknowledged entry %"
                   G_GINT64_FORMAT, expected_seq, acked);
      return FALSE;
    }
  /* The van keeps every entry: the journal still holds what HQ lost. */
  stmt = vp_database_prepare (db, "UPDATE outbox SET state = 'pending', outcome = NULL,"
                                  " acked_at = NULL WHERE seq >= ?1 AND state = 'acked'", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, expected_seq);
  if (!vp_store_step_done (db, stmt, error))
    return FALSE;
  *n_requeued = sqlite3_changes (vp_database_get_handle (db));
  range = g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, expected_seq, acked);
  return set_meta_int (db, VP_META_ACKED_SEQ, expected_seq - 1, error) &&
         set_meta_int (db, VP_META_HQ_LOSSES, vp_database_get_meta_int (db, VP_META_HQ_LOSSES, 0) + 1,
                       error) &&
         vp_database_set_meta (db, VP_META_HQ_LAST_LOSS, range, error);
}

gboolean
vp_sync_store_requeue_lost (VpDatabase  *db,
                            gint64       expected_seq,
                            gint64      *n_requeued,
                            GError     **error)
{
  gint64 n = 0;
  gboolean ok;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);

  vp_database_lock (db);
  if (!vp_database_begin (db, error))
    {
      vp_database_unlock (db);
      return FALSE;
    }
  ok = requeue_lost_tx (db, expected_seq, &n, error) && vp_database_commit (db, error);
  if (!ok)
    vp_database_rollback (db);
  vp_database_unlock (db);
  if (ok && n_requeued)
    *n_requeued = n;
  return ok;
}

/* --- master data --------------------------------------------------------- */

static GHashTable *
pending_account_ids (VpDatabase  *db,
                     GError     **error)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  sqlite3_stmt *stmt;
  int rc;

  stmt = vp_database_prepare (db,
                              "SELECT DISTINCT j.account_id FROM outbox o JOIN journal j USING (seq)"
                              " WHERE o.state = 'pending' AND j.account_id IS NOT NULL",
                              error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 *id = g_new (gint64, 1);

      *id = sqlite3_column_int64 (stmt, 0);
      g_hash_table_add (ids, id);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  return g_steal_pointer (&ids);
}

static gboolean
upsert_account (VpDatabase       *db,
                const VpAccount  *a,
                GHashTable       *pending,
                VpMasterImportStats *stats,
                GError          **error)
{
  g_autofree char *initials = vp_pinyin_initials (a->holder);
  sqlite3_stmt *stmt;
  gint64 id;
  gboolean keep = FALSE;

  if ((id = account_id_by_number (db, a->number, error)) < 0)
    return FALSE;
  if (id != 0 && g_hash_table_contains (pending, &id))
    keep = TRUE;

  /* A card moved to this account at HQ: the old holder loses it. */
  if (a->card_number)
    {
      stmt = vp_database_prepare (db, "UPDATE accounts SET card_number = NULL"
                                      " WHERE card_number = ?1 AND number <> ?2", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, a->card_number, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, a->number, -1, SQLITE_STATIC);
      if (!vp_store_step_done (db, stmt, error))
        return FALSE;
    }

  stmt = vp_database_prepare (db,
                              "INSERT INTO accounts (number, holder, holder_initials, phone,"
                              " id_number, estate, building, unit, room, service, meter,"
                              " tariff_class, concession_expiry, elderly_alone, needs_visit,"
                              " balance, card_number, card_counter, tariff_year, year_volume,"
                              " last_reading, status, updated_at)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                              " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"
                              " ON CONFLICT (number) DO UPDATE SET"
                              " holder = excluded.holder, holder_initials = excluded.holder_initials,"
                              " phone = excluded.phone, id_number = excluded.id_number,"
                              " estate = excluded.estate, building = excluded.building,"
                              " unit = excluded.unit, room = excluded.room,"
                              " service = excluded.service, meter = excluded.meter,"
                              " tariff_class = excluded.tariff_class,"
                              " concession_expiry = excluded.concession_expiry,"
                              " elderly_alone = excluded.elderly_alone,"
                              " needs_visit = excluded.needs_visit,"
                              " balance = CASE WHEN ?24 THEN accounts.balance ELSE excluded.balance END,"
                              " card_number = excluded.card_number,"
                              /* a card's purchase counter never goes back */
                              " card_counter = max (accounts.card_counter, excluded.card_counter),"
                              " tariff_year = CASE WHEN ?24 THEN accounts.tariff_year ELSE excluded.tariff_year END,"
                              " year_volume = CASE WHEN ?24 THEN accounts.year_volume ELSE excluded.year_volume END,"
                              " last_reading = CASE WHEN ?24 THEN accounts.last_reading ELSE excluded.last_reading END,"
                              " status = excluded.status, updated_at = excluded.updated_at",
                              error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, a->number, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, a->holder, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, initials, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, a->phone ? a->phone : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, a->id_number ? a->id_number : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, a->estate, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, a->building ? a->building : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, a->unit ? a->unit : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, a->room ? a->room : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, vp_service_kind_to_string (a->service), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 11, vp_meter_type_to_string (a->meter), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 12, vp_tariff_class_to_string (a->tariff_class), -1, SQLITE_STATIC);
  if (a->concession_expiry)
    sqlite3_bind_text (stmt, 13, a->concession_expiry, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 14, a->elderly_alone);
  sqlite3_bind_int (stmt, 15, a->needs_visit);
  sqlite3_bind_int64 (stmt, 16, a->balance);
  if (a->card_number)
    sqlite3_bind_text (stmt, 17, a->card_number, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 18, a->card_counter);
  sqlite3_bind_int (stmt, 19, a->tariff_year);
  sqlite3_bind_int64 (stmt, 20, a->year_volume);
  sqlite3_bind_int64 (stmt, 21, a->last_reading);
  sqlite3_bind_text (stmt, 22, vp_account_status_to_string (a->status), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 23, vp_database_now ());
  sqlite3_bind_int (stmt, 24, keep);
  if (!vp_store_step_done (db, stmt, error))
    {
      g_prefix_error (error, "Account %s from HQ: ", a->number);
      return FALSE;
    }
  stats->accounts++;
  if (keep)
    stats->balances_kept++;
  return TRUE;
}

static gboolean
upsert_bill (VpDatabase          *db,
             const VpMasterBill  *bill,
             GHashTable          *pending,
             GError             **error)
{
  sqlite3_stmt *stmt;
  gint64 account_id;

  if ((account_id = account_id_by_number (db, bill->account, error)) < 0)
    return FALSE;
  if (account_id == 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                   "HQ sent bill %s for account %s, which the van does not have",
                   bill->hq_id, bill->account);
      return FALSE;
    }
  stmt = vp_database_prepare (db,
                              "INSERT INTO bills (account_id, period, amount, paid, hq_id)"
                              " VALUES (?1, ?2, ?3, ?4, ?5)"
                              " ON CONFLICT (account_id, period) DO UPDATE SET"
                              " amount = excluded.amount, hq_id = excluded.hq_id,"
                              /* a payment still in the outbox is not undone by older HQ data */
                              " paid = min (excluded.amount, CASE WHEN ?6 THEN max (bills.paid, excluded.paid)"
                              "             ELSE excluded.paid END)",
                              error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  sqlite3_bind_text (stmt, 2, bill->period, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, bill->amount);
  sqlite3_bind_int64 (stmt, 4, bill->paid);
  sqlite3_bind_text (stmt, 5, bill->hq_id, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 6, g_hash_table_contains (pending, &account_id));
  if (!vp_store_step_done (db, stmt, error))
    {
      g_prefix_error (error, "Bill %s from HQ: ", bill->hq_id);
      return FALSE;
    }
  return TRUE;
}

/* --- bulk load of the first pull (issue 11) ---------------------------------
 *
 * A van's first pull brings a whole city (1,000,000 accounts) into an
 * empty accounts table. Row by row, every secondary index on accounts, the
 * search index (FTS5) and the name suffixes that the triggers keep take
 * random-order inserts, and those dominated the pull. So when the first
 * page arrives for an empty table and more pages follow, its transaction
 * drops the secondary indexes and the two search triggers (the unique
 * indexes on number and card number stay: they keep the data right while
 * it loads), and notes their SQL in meta. Stand-in triggers keep only the
 * search index (rows arrive in id order, which FTS5 takes cheaply, and the
 * pages' import has time to spare while the next page is fetched); the
 * last page's transaction builds the indexes again once, sorted, and the
 * name suffixes from the table. Each page is still one transaction, and
 * the stand-ins live in the database, so a row any process writes during
 * the load is searchable.
 *
 * If the pull stops half-way, the next page of the resumed pull goes on
 * in the same mode; vp_database_open() rebuilds at once when it finds the
 * note, so the van never runs for long on a half-indexed table. The SQL is
 * taken from the schema and replayed verbatim (as vp_demo_populate does),
 * so whatever the migrations define comes back unchanged. */
#define META_BULK_LOAD "master_bulk_load"
#define BULK_LOAD_MIN_ROWS 1000

static gboolean
begin_bulk_load (VpDatabase  *db,
                 GError     **error)
{
  g_autoptr(GPtrArray) drops = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = vp_database_prepare (db, "SELECT type, name, sql FROM sqlite_schema"
                                  " WHERE ((type = 'index' AND tbl_name = 'accounts')"
                                  " OR (type = 'trigger' AND name IN ('accounts_ai', 'accounts_au')))"
                                  " AND sql IS NOT NULL", error);
  if (stmt == NULL)
    return FALSE;
  json_builder_begin_array (b);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (drops, g_strdup_printf ("DROP %s \"%s\"",
                                               (const char *)sqlite3_column_text (stmt, 0),
                                               (const char *)sqlite3_column_text (stmt, 1)));
      json_builder_add_string_value (b, (const char *)sqlite3_column_text (stmt, 2));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return vp_database_set_error (db, rc, error);
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  for (guint i = 0; i < drops->len; i++)
    if (!vp_database_exec (db, drops->pdata[i], error))
      return FALSE;
  /* The search-index half of accounts_ai and accounts_au (vp-migrations.c). */
  if (!vp_database_exec (db,
                         "CREATE TRIGGER accounts_bulk_ai AFTER INSERT ON accounts BEGIN"
                         "  INSERT INTO accounts_fts (rowid, holder, address, phone)"
                         "    VALUES (new.id, new.holder, new.address, new.phone);"
                         " END;"
                         "CREATE TRIGGER accounts_bulk_au"
                         " AFTER UPDATE OF holder, estate, building, unit, room, phone"
                         " ON accounts BEGIN"
                         "  INSERT INTO accounts_fts (accounts_fts, rowid, holder, address, phone)"
                         "    VALUES ('delete', old.id, old.holder, old.address, old.phone);"
                         "  INSERT INTO accounts_fts (rowid, holder, address, phone)"
                         "    VALUES (new.id, new.holder, new.address, new.phone);"
                         " END;",
                         error))
    return FALSE;
  return vp_database_set_meta (db, META_BULK_LOAD, text, error);
}

/* In the caller's transaction. */
static gboolean
end_bulk_load (VpDatabase  *db,
               const char  *note,
               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *sql;
  sqlite3_stmt *stmt;

  if (!json_parser_load_from_data (parser, note, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                   "The note of an unfinished master data load is unreadable");
      return FALSE;
    }
  sql = json_node_get_array (root);
  /* The search index is whole (the stand-ins kept it); the name
   * suffixes, which accounts_ai and accounts_au keep row by row, are
   * built for the whole table, in key order. */
  if (!vp_database_exec (db, "DROP TRIGGER IF EXISTS accounts_bulk_ai;"
                             "DROP TRIGGER IF EXISTS accounts_bulk_au", error) ||
      !vp_database_exec (db, "DELETE FROM name_suffixes", error) ||
      !vp_database_exec (db,
                         "INSERT INTO name_suffixes (suffix, account_id)"
                         " SELECT substr (a.holder, n.n), a.id FROM accounts a,"
                         "  (SELECT 2 AS n UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) n"
                         " WHERE n.n <= length (a.holder) ORDER BY 1, 2",
                         error))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (sql); i++)
    if (!vp_database_exec (db, json_array_get_string_element (sql, i), error))
      return FALSE;
  stmt = vp_database_prepare (db, "DELETE FROM meta WHERE key = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, META_BULK_LOAD, -1, SQLITE_STATIC);
  return vp_store_step_done (db, stmt, error);
}

gboolean
vp_sync_store_finish_bulk_load (VpDatabase  *db,
                                GError     **error)
{
  g_autofree char *note = NULL;
  gboolean ok;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);

  vp_database_lock (db);
  note = vp_database_get_meta (db, META_BULK_LOAD);
  if (note == NULL)
    {
      vp_database_unlock (db);
      return TRUE;
    }
  if (!vp_database_begin (db, error))
    {
      vp_database_unlock (db);
      return FALSE;
    }
  /* Read again inside the transaction: another process may have ended it. */
  g_clear_pointer (&note, g_free);
  note = vp_database_get_meta (db, META_BULK_LOAD);
  ok = (note == NULL || end_bulk_load (db, note, error)) && vp_database_commit (db, error);
  if (!ok)
    vp_database_rollback (db);
  vp_database_unlock (db);
  return ok;
}

static gboolean
import_page_tx (VpDatabase          *db,
                const VpMasterPage  *page,
                VpMasterImportStats *stats,
                GError             **error)
{
  g_autoptr(GHashTable) pending = NULL;
  sqlite3_stmt *stmt;

  g_autofree char *bulk = vp_database_get_meta (db, META_BULK_LOAD);

  if (!apply_renames (db, page->renames, &stats->renamed, error))
    return FALSE;
  if ((pending = pending_account_ids (db, error)) == NULL)
    return FALSE;
  if (bulk == NULL && page->more && page->accounts->len >= BULK_LOAD_MIN_ROWS &&
      vp_database_query_int (db, "SELECT EXISTS (SELECT 1 FROM accounts)", 1) == 0)
    {
      if (!begin_bulk_load (db, error))
        return FALSE;
      bulk = vp_database_get_meta (db, META_BULK_LOAD);
    }

  for (guint i = 0; i < page->accounts->len; i++)
    if (!upsert_account (db, g_ptr_array_index (page->accounts, i), pending, stats, error))
      return FALSE;

  for (guint i = 0; i < page->bills->len; i++)
    {
      if (!upsert_bill (db, g_ptr_array_index (page->bills, i), pending, error))
        return FALSE;
      stats->bills++;
    }

  for (guint i = 0; i < page->tariffs->len; i++)
    {
      VpMasterTariff *t = g_ptr_array_index (page->tariffs, i);

      stmt = vp_database_prepare (db,
                                  "INSERT INTO tariffs (service, class, version, tiers, free_allowance,"
                                  " discount_permille, valid_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                                  " ON CONFLICT (service, class, version) DO UPDATE SET"
                                  " tiers = excluded.tiers, free_allowance = excluded.free_allowance,"
                                  " discount_permille = excluded.discount_permille,"
                                  " valid_from = excluded.valid_from",
                                  error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, vp_service_kind_to_string (t->service), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, vp_tariff_class_to_string (t->klass), -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, t->version);
      sqlite3_bind_text (stmt, 4, t->tiers, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, t->free_allowance);
      sqlite3_bind_int64 (stmt, 6, t->discount_permille);
      sqlite3_bind_text (stmt, 7, t->valid_from, -1, SQLITE_STATIC);
      if (!vp_store_step_done (db, stmt, error))
        {
          g_prefix_error (error, "Tariff %s/%s v%" G_GINT64_FORMAT " from HQ: ",
                          vp_service_kind_to_string (t->service),
                          vp_tariff_class_to_string (t->klass), t->version);
          return FALSE;
        }
      stats->tariffs++;
    }

  for (guint i = 0; i < page->staff->len; i++)
    {
      VpMasterStaff *s = g_ptr_array_index (page->staff, i);

      stmt = vp_database_prepare (db,
                                  "INSERT INTO staff (id, name, role, pin_hash, active)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5)"
                                  " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                                  " role = excluded.role, active = excluded.active,"
                                  " failed_pins = CASE WHEN staff.pin_hash = excluded.pin_hash"
                                  "   THEN staff.failed_pins ELSE 0 END,"
                                  " pin_hash = excluded.pin_hash",
                                  error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, s->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, s->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, vp_role_to_string (s->role), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, s->pin_hash, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 5, s->active);
      if (!vp_store_step_done (db, stmt, error))
        {
          g_prefix_error (error, "Staff %s from HQ: ", s->id);
          return FALSE;
        }
      stats->staff++;
    }

  for (guint i = 0; i < page->blocked_cards->len; i++)
    {
      VpMasterBlockedCard *c = g_ptr_array_index (page->blocked_cards, i);

      stmt = vp_database_prepare (db,
                                  "INSERT INTO blocked_cards (card_number, reason, blocked_at)"
                                  " VALUES (?1, ?2, ?3)"
                                  " ON CONFLICT (card_number) DO UPDATE SET reason = excluded.reason",
                                  error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, c->card_number, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, c->reason, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, vp_database_now ());
      if (!vp_store_step_done (db, stmt, error))
        return FALSE;
      stats->blocked_cards++;
    }

  if (bulk != NULL && !page->more && !end_bulk_load (db, bulk, error))
    return FALSE;
  return vp_database_set_meta (db, VP_META_MASTER_CURSOR, page->cursor, error) &&
         set_meta_int (db, VP_META_LAST_HQ_TIME, page->hq_time, error);
}

gboolean
vp_sync_store_import_page (VpDatabase          *db,
                           const VpMasterPage  *page,
                           VpMasterImportStats *stats,
                           GError             **error)
{
  VpMasterImportStats local = { 0 };
  gboolean ok;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (page != NULL && page->cursor != NULL, FALSE);

  vp_database_lock (db);
  if (!vp_database_begin (db, error))
    {
      vp_database_unlock (db);
      return FALSE;
    }
  ok = import_page_tx (db, page, &local, error) && vp_database_commit (db, error);
  if (!ok)
    vp_database_rollback (db);
  vp_database_unlock (db);
  if (ok && stats)
    {
      stats->accounts += local.accounts;
      stats->balances_kept += local.balances_kept;
      stats->bills += local.bills;
      stats->tariffs += local.tariffs;
      stats->staff += local.staff;
      stats->blocked_cards += local.blocked_cards;
      stats->renamed += local.renamed;
    }
  return ok;
}

gboolean
vp_sync_store_mark_synced (VpDatabase  *db,
                           gint64       device_time,
                           GError     **error)
{
  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);
  return set_meta_int (db, VP_META_LAST_SYNC_TIME, device_time, error);
}

/* --- CSV export for HQ ----------------------------------------------------- */

static void
csv_field (GString    *out,
           const char *value,
           gboolean    last)
{
  if (value == NULL)
    value = "";
  if (strpbrk (value, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = value; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, value);
  g_string_append_c (out, last ? '\n' : ',');
}

static gboolean
export_query (VpDatabase  *db,
              const char  *sql,
              const char  *header,
              const char  *path,
              gint64      *n_rows,
              GError     **error)
{
  g_autoptr(GString) out = g_string_new (header);
  sqlite3_stmt *stmt;
  gint64 n = 0;
  int rc, cols;

  g_string_append_c (out, '\n');
  vp_database_lock (db);
  stmt = vp_database_prepare (db, sql, error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return FALSE;
    }
  cols = sqlite3_column_count (stmt);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      for (int c = 0; c < cols; c++)
        csv_field (out, (const char *)sqlite3_column_text (stmt, c), c == cols - 1);
      n++;
    }
  sqlite3_reset (stmt);
  vp_database_unlock (db);
  if (rc != SQLITE_DONE)
    return vp_database_set_error (db, rc, error);
  if (!g_file_set_contents (path, out->str, out->len, error))
    return FALSE;
  if (n_rows)
    *n_rows = n;
  return TRUE;
}

gboolean
vp_sync_store_export_csv (VpDatabase  *db,
                          const char  *dir,
                          gint64      *n_accounts,
                          GError     **error)
{
  g_autofree char *accounts = g_build_filename (dir, "accounts.csv", NULL);
  g_autofree char *bills = g_build_filename (dir, "bills.csv", NULL);
  g_autofree char *tariffs = g_build_filename (dir, "tariffs.csv", NULL);

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, "Could not create %s", dir);
      return FALSE;
    }
  return export_query (db,
                       "SELECT number, holder, phone, id_number, estate, building, unit, room,"
                       " service, meter, tariff_class, concession_expiry,"
                       " CASE elderly_alone WHEN 0 THEN 'false' ELSE 'true' END,"
                       " CASE needs_visit WHEN 0 THEN 'false' ELSE 'true' END,"
                       " balance, card_number, card_counter, year_volume, tariff_year,"
                       " last_reading, status FROM accounts"
                       " WHERE status <> 'provisional' ORDER BY number",
                       "number,holder,phone,id_number,estate,building,unit,room,service,meter,"
                       "tariff_class,concession_expiry,elderly_alone,needs_visit,balance,card_number,"
                       "card_counter,year_volume,tariff_year,last_reading,status",
                       accounts, n_accounts, error) &&
         export_query (db,
                       "SELECT coalesce (b.hq_id, a.number || '-' || b.period), a.number, b.period,"
                       " b.amount, b.paid FROM bills b JOIN accounts a ON a.id = b.account_id"
                       " WHERE a.status <> 'provisional' ORDER BY a.number, b.period",
                       "hq_id,account,period,amount,paid", bills, NULL, error) &&
         export_query (db,
                       "SELECT service, class, version, tiers, free_allowance, discount_permille,"
                       " valid_from FROM tariffs ORDER BY service, class, version",
                       "service,class,version,tiers,free_allowance,discount_permille,valid_from",
                       tariffs, NULL, error);
}
