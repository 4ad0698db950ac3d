/* vp-topup-store.c: the store side of the two-phase card top-up, tariffs
 * and blocked cards.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-topup-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "vp-store-private.h"

void
vp_topup_free (VpTopup *t)
{
  if (t == NULL)
    return;
  g_free (t->account_number);
  g_free (t->card_number);
  g_free (t);
}

/* --- tariffs ----------------------------------------------------------- */

gboolean
vp_tariff_store_put (VpDatabase     *db,
                     const VpTariff *tariff,
                     const char     *valid_from,
                     GError        **error)
{
  g_autofree char *tiers = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;

  if (!vp_tariff_validate (tariff, error) || !vp_validate_date (valid_from, error))
    return FALSE;
  tiers = vp_tariff_format_tiers (tariff);

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "INSERT INTO tariffs (service, class, version, tiers, free_allowance,"
                              " discount_permille, valid_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                              " ON CONFLICT DO UPDATE SET tiers = excluded.tiers,"
                              " free_allowance = excluded.free_allowance,"
                              " discount_permille = excluded.discount_permille,"
                              " valid_from = excluded.valid_from",
                              error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, vp_service_kind_to_string (tariff->service), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, vp_tariff_class_to_string (tariff->klass), -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 3, tariff->version);
      sqlite3_bind_text (stmt, 4, tiers, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, tariff->free_allowance);
      sqlite3_bind_int (stmt, 6, tariff->discount_permille);
      sqlite3_bind_text (stmt, 7, valid_from, -1, SQLITE_STATIC);
      ok = vp_store_step_done (db, stmt, error);
    }
  vp_database_unlock (db);
  return ok;
}

static gboolean
get_tariff (VpDatabase    *db,
            const char    *sql,
            VpServiceKind  service,
            VpTariffClass  klass,
            int            version,
            VpTariff      *out,
            GError       **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  vp_database_lock (db);
  stmt = vp_database_prepare (db, sql, error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, vp_service_kind_to_string (service), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, vp_tariff_class_to_string (klass), -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, version);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      memset (out, 0, sizeof *out);
      out->service = service;
      out->klass = klass;
      out->version = sqlite3_column_int (stmt, 0);
      out->free_allowance = sqlite3_column_int64 (stmt, 2);
      out->discount_permille = sqlite3_column_int (stmt, 3);
      ok = vp_tariff_parse_tiers (out, (const char *)sqlite3_column_text (stmt, 1), error);
    }
  else if (rc == SQLITE_DONE)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                 _("No %s tariff for %s accounts; sync master data from HQ"),
                 vp_service_kind_to_string (service), vp_tariff_class_to_string (klass));
  else
    vp_database_set_error (db, rc, error);
  sqlite3_reset (stmt);
out:
  vp_database_unlock (db);
  return ok;
}

gboolean
vp_tariff_store_get_current (VpDatabase    *db,
                             VpServiceKind  service,
                             VpTariffClass  klass,
                             VpTariff      *out,
                             GError       **error)
{
  return get_tariff (db,
                     "SELECT version, tiers, free_allowance, discount_permille FROM tariffs"
                     " WHERE service = ?1 AND class = ?2 AND ?3 = ?3 ORDER BY version DESC LIMIT 1",
                     service, klass, 0, out, error);
}

gboolean
vp_tariff_store_get_version (VpDatabase    *db,
                             VpServiceKind  service,
                             VpTariffClass  klass,
                             int            version,
                             VpTariff      *out,
                             GError       **error)
{
  return get_tariff (db,
                     "SELECT version, tiers, free_allowance, discount_permille FROM tariffs"
                     " WHERE service = ?1 AND class = ?2 AND version = ?3",
                     service, klass, version, out, error);
}

gboolean
vp_card_store_block (VpDatabase  *db,
                     const char  *card_number,
                     const char  *reason,
                     GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "INSERT INTO blocked_cards (card_number, reason, blocked_at)"
                              " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                              error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, card_number, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, reason, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, vp_database_now ());
      ok = vp_store_step_done (db, stmt, error);
    }
  vp_database_unlock (db);
  return ok;
}

gboolean
vp_card_store_is_blocked (VpDatabase *db,
                          const char *card_number)
{
  sqlite3_stmt *stmt;
  gboolean blocked = FALSE;

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT 1 FROM blocked_cards WHERE card_number = ?1", NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, card_number, -1, SQLITE_STATIC);
      blocked = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_reset (stmt);
    }
  vp_database_unlock (db);
  return blocked;
}

/* --- quotes and the two phases ----------------------------------------- */

/* Litres already bought this tariff year (a new year starts from zero). */
static void
year_position (const VpAccount *a,
               int              year,
               VpVolume        *year_used,
               VpVolume        *free_used)
{
  *year_used = a->tariff_year == year ? a->year_volume : 0;
  *free_used = a->tariff_year == year ? a->free_used : 0;
}

static gboolean
quote_for (VpDatabase      *db,
           const VpAccount *a,
           VpMoney          amount,
           VpVolume         volume,
           VpQuote         *out,
           GError         **error)
{
  g_autoptr(GDateTime) now = vp_store_local_datetime (vp_database_now ());
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  VpTariff tariff;
  VpVolume year_used, free_used;
  gboolean concession;

  if ((amount > 0) == (volume > 0))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Give either an amount or a volume, greater than zero"));
      return FALSE;
    }
  if (amount > 0 && !vp_store_check_amount (amount, _("The top-up"), error))
    return FALSE;
  if (a->meter != VP_METER_PREPAID)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s has a post-paid meter; take a bill payment instead"), a->number);
      return FALSE;
    }
  if (!vp_tariff_store_get_current (db, a->service, a->tariff_class, &tariff, error))
    return FALSE;
  year_position (a, g_date_time_get_year (now), &year_used, &free_used);
  concession = vp_account_concession_valid (a, today);
  if (amount > 0)
    return vp_tariff_quote_amount (&tariff, year_used, free_used, concession, amount, out, error);
  return vp_tariff_quote_volume (&tariff, year_used, free_used, concession, volume, out, error);
}

gboolean
vp_topup_store_quote (VpDatabase  *db,
                      const char  *number,
                      VpMoney      amount,
                      VpVolume     volume,
                      VpQuote     *out,
                      GError     **error)
{
  g_autoptr(VpAccount) a = vp_account_store_load (db, number, FALSE, error);

  if (a == NULL)
    return FALSE;
  return quote_for (db, a, amount, volume, out, error);
}

static void
add_quote (JsonBuilder   *b,
           const VpQuote *q)
{
  vp_json_add_int (b, "tariff_version", q->tariff_version);
  vp_json_add_int (b, "volume", q->volume);
  vp_json_add_money (b, "charged", q->amount);
  vp_json_add_money (b, "leftover", q->leftover);
  vp_json_add_int (b, "free_volume", q->free_litres);
  vp_json_add_money (b, "discount", q->discount);
  json_builder_set_member_name (b, "concession");
  json_builder_add_boolean_value (b, q->concession);
  json_builder_set_member_name (b, "tiers");
  json_builder_begin_array (b);
  for (guint i = 0; i < q->n_segments; i++)
    {
      const VpQuoteSegment *s = &q->segments[i];

      json_builder_begin_object (b);
      vp_json_add_int (b, "tier", s->tier);
      vp_json_add_int (b, "volume", s->litres);
      vp_json_add_money (b, "price", s->price);
      vp_json_add_money (b, "amount", s->amount);
      vp_json_add_money (b, "discount", s->discount);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

typedef struct
{
  const VpStaff  *staff;
  const char     *number;
  VpMoney         amount;
  VpVolume        volume;
  gboolean        from_credit;
  gboolean        has_method;
  VpPaymentMethod method;
  const char     *reference;
  VpMoney         tendered;
} IntentData;

static VpJournalEntry *
intent_tx (VpDatabase  *db,
           gpointer     data,
           GError     **error)
{
  IntentData *d = data;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry;
  g_autoptr(GDateTime) now = NULL;
  VpVolume year_used, free_used;
  VpQuote q;
  VpMoney paid;
  VpMoney credit_used = 0;
  VpMoney money;
  sqlite3_stmt *stmt;
  gint64 shift_id;

  if ((shift_id = vp_shift_store_require_open (db, error)) == 0)
    return NULL;
  a = vp_account_store_load (db, d->number, TRUE, error);
  if (a == NULL)
    return NULL;
  /* Closing blocks the card too: say why, not "lost or stolen". */
  if (a->status == VP_ACCOUNT_CLOSED)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s is closed; it cannot be topped up"), a->number);
      return NULL;
    }
  if (a->card_number == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s has no IC card; issue one first"), a->number);
      return NULL;
    }
  if (vp_card_store_is_blocked (db, a->card_number))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CARD_BLOCKED,
                   _("Card %s is blocked (reported lost or stolen); reissue a card"), a->card_number);
      return NULL;
    }
  stmt = vp_database_prepare (db, "SELECT intent_seq FROM topups WHERE account_id = ?1"
                                  " AND state = 'pending'", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 pending = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Top-up %" PRId64 " for account %s is not resolved yet; "
                     "insert the card to finish it"), pending, a->number);
      return NULL;
    }
  sqlite3_reset (stmt);
  /* A reversal being written to the card holds its next counter. */
  {
    gint64 reversal = vp_topup_reversal_pending_for_account (db, a->id, error);

    if (reversal < 0)
      return NULL;
    if (reversal > 0)
      {
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                     _("Reversal %" PRId64 " on account %s is not finished; "
                       "insert the card to finish it"), reversal, a->number);
        return NULL;
      }
  }

  if (!quote_for (db, a, d->amount, d->volume, &q, error))
    return NULL;
  now = vp_store_local_datetime (vp_database_now ());
  year_position (a, g_date_time_get_year (now), &year_used, &free_used);
  /* By amount the resident pays what they asked; by volume the quote. */
  paid = d->amount > 0 ? d->amount : q.amount;
  /* A purchase advances the card's counter: it must buy something and
   * cost something (0.001 m³ rounds to ¥0.00). */
  if (paid < 1 || q.volume <= 0)
    {
      g_autofree char *vol = vp_volume_format (q.volume);
      g_autofree char *cost = vp_money_format (paid);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The top-up is too small (%s for %s): it must buy some volume and cost "
                     "at least ¥0.01"), cost, vol);
      return NULL;
    }
  /* Credit first, then money for the rest. The credit leaves the account
   * now, so a pending top-up cannot spend it twice; a VOID gives back
   * the whole purchase (credit used and money) as credit. */
  if (d->from_credit)
    credit_used = MIN (MAX (a->balance, 0), paid);
  money = paid - credit_used;
  if (money > 0 && !d->has_method)
    {
      g_autofree char *have = vp_money_format (credit_used);
      g_autofree char *rest = vp_money_format (money);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Credit covers %s; give a payment method for the other %s"), have, rest);
      return NULL;
    }
  if (d->tendered > 0 && (money == 0 || d->method != VP_PAYMENT_CASH || d->tendered < money))
    {
      g_autofree char *t = vp_money_format (d->tendered);
      g_autofree char *m = vp_money_format (money);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   money == 0 || d->method != VP_PAYMENT_CASH
                   ? _("Cash tendered (%s) is only for a top-up paid in cash (%s to pay)")
                   : _("The cash tendered (%s) is less than the top-up (%s)"), t, m);
      return NULL;
    }
  if (credit_used > 0 && !vp_account_store_set_balance (db, a->id, a->balance - credit_used, error))
    return NULL;

  json_builder_begin_object (b);
  vp_json_add_account (b, a);
  vp_json_add_string (b, "card_number", a->card_number);
  vp_json_add_int (b, "counter", a->card_counter + 1);
  /* amount is the money taken (what the drawer counts); the purchase is
   * paid with funds = amount + credit_used. */
  vp_json_add_money (b, "amount", money);
  if (money > 0)
    vp_json_add_payment (b, d->method, d->reference);
  if (d->tendered > 0)
    {
      vp_json_add_money (b, "tendered", d->tendered);
      vp_json_add_money (b, "change", d->tendered - money);
    }
  if (d->from_credit)
    {
      vp_json_add_money (b, "credit_used", credit_used);
      vp_json_add_money (b, "funds", paid);
      vp_json_add_money (b, "credit_before", a->balance);
      vp_json_add_money (b, "credit_after", a->balance - credit_used);
    }
  vp_json_add_int (b, "year_volume_before", year_used);
  add_quote (b, &q);
  vp_json_add_staff (b, d->staff);
  vp_json_add_int (b, "shift", shift_id);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = shift_id;
  refs.account_id = a->id;
  refs.method = money > 0 ? vp_payment_method_to_string (d->method) : NULL;
  refs.amount = money;
  entry = vp_journal_store_append (db, VP_KIND_TOPUP_INTENT, b, &refs, error);
  if (entry == NULL)
    return NULL;

  stmt = vp_database_prepare (db,
                              "INSERT INTO topups (intent_seq, account_id, card_number, counter,"
                              " volume, amount, leftover, tariff_version)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, entry->seq);
  sqlite3_bind_int64 (stmt, 2, a->id);
  sqlite3_bind_text (stmt, 3, a->card_number, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, a->card_counter + 1);
  sqlite3_bind_int64 (stmt, 5, q.volume);
  /* topups.amount is the purchase's funds (money + credit used): what the
   * card is bought with and what a VOID returns as credit. */
  sqlite3_bind_int64 (stmt, 6, paid);
  sqlite3_bind_int64 (stmt, 7, paid - q.amount);
  sqlite3_bind_int (stmt, 8, q.tariff_version);
  if (!vp_store_step_done (db, stmt, error))
    goto fail;
  return entry;

fail:
  vp_journal_entry_free (entry);
  return NULL;
}

VpJournalEntry *
vp_topup_store_intent (VpDatabase      *db,
                       const VpStaff   *staff,
                       const char      *number,
                       VpMoney          amount,
                       VpVolume         volume,
                       VpPaymentMethod  method,
                       const char      *reference,
                       GError         **error)
{
  return vp_topup_store_intent_full (db, staff, number, amount, volume, FALSE, &method, reference,
                                     0, error);
}

VpJournalEntry *
vp_topup_store_intent_full (VpDatabase            *db,
                            const VpStaff         *staff,
                            const char            *number,
                            VpMoney                amount,
                            VpVolume               volume,
                            gboolean               from_credit,
                            const VpPaymentMethod *method,
                            const char            *reference,
                            VpMoney                tendered,
                            GError               **error)
{
  IntentData d = { staff, number, amount, volume, from_credit, method != NULL,
                   method ? *method : VP_PAYMENT_CASH, reference, tendered };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("A top-up"), error))
    return NULL;
  if (method == NULL && !from_credit)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("Give a payment method"));
      return NULL;
    }
  if (method != NULL && !vp_store_check_payment (*method, reference, error))
    return NULL;
  return vp_store_run_tx (db, intent_tx, &d, error);
}

#define TOPUP_COLUMNS \
  "t.intent_seq, t.account_id, a.number, t.card_number, t.counter, t.volume, t.amount," \
  " t.leftover, t.tariff_version, j.device_time, t.state"

static VpTopup *
topup_from_row (sqlite3_stmt *stmt)
{
  VpTopup *t = g_new0 (VpTopup, 1);

  t->intent_seq = sqlite3_column_int64 (stmt, 0);
  t->account_id = sqlite3_column_int64 (stmt, 1);
  t->account_number = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
  t->card_number = g_strdup ((const char *)sqlite3_column_text (stmt, 3));
  t->counter = sqlite3_column_int64 (stmt, 4);
  t->volume = sqlite3_column_int64 (stmt, 5);
  t->amount = sqlite3_column_int64 (stmt, 6);
  t->leftover = sqlite3_column_int64 (stmt, 7);
  t->tariff_version = sqlite3_column_int (stmt, 8);
  t->created_at = sqlite3_column_int64 (stmt, 9);
  return t;
}

/* Loads a top-up; *state gets its state. */
static VpTopup *
load_topup (VpDatabase  *db,
            gint64       intent_seq,
            char       **state,
            GError     **error)
{
  sqlite3_stmt *stmt;
  VpTopup *t = NULL;
  int rc;

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "SELECT " TOPUP_COLUMNS " FROM topups t"
                              " JOIN accounts a ON a.id = t.account_id"
                              " JOIN journal j ON j.seq = t.intent_seq WHERE t.intent_seq = ?1",
                              error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, intent_seq);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          t = topup_from_row (stmt);
          if (state)
            *state = g_strdup ((const char *)sqlite3_column_text (stmt, 10));
        }
      else if (rc == SQLITE_DONE)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                     _("There is no top-up %" PRId64), intent_seq);
      else
        vp_database_set_error (db, rc, error);
      sqlite3_reset (stmt);
    }
  vp_database_unlock (db);
  return t;
}

VpTopup *
vp_topup_store_get (VpDatabase  *db,
                    gint64       intent_seq,
                    GError     **error)
{
  return load_topup (db, intent_seq, NULL, error);
}

GPtrArray *
vp_topup_store_list_pending (VpDatabase  *db,
                             GError     **error)
{
  g_autoptr(GPtrArray) ret = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_topup_free);
  sqlite3_stmt *stmt;
  int rc;

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "SELECT " TOPUP_COLUMNS " FROM topups t"
                              " JOIN accounts a ON a.id = t.account_id"
                              " JOIN journal j ON j.seq = t.intent_seq"
                              " WHERE t.state = 'pending' ORDER BY t.intent_seq",
                              error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ret, topup_from_row (stmt));
  sqlite3_reset (stmt);
  vp_database_unlock (db);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  return g_steal_pointer (&ret);
}

typedef struct
{
  const VpStaff *staff;
  gint64         intent_seq;
  gboolean       confirm;
  gint64         card_counter;  /* VOID: what the card was read with */
  const char    *reason;
} ResolveData;

static VpJournalEntry *
resolve_tx (VpDatabase  *db,
            gpointer     data,
            GError     **error)
{
  static const char *copied_members[] = { "method", "reference", "tariff_version", "charged",
                                          "leftover", "free_volume", "discount", "concession",
                                          "tiers", "credit_used", "funds", "tendered", "change" };
  ResolveData *d = data;
  g_autoptr(VpJournalEntry) intent = NULL;
  g_autoptr(JsonObject) intent_payload = NULL;
  g_autoptr(VpTopup) t = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) now = vp_store_local_datetime (vp_database_now ());
  g_autofree char *state = NULL;
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry;
  VpMoney credit = 0;
  VpMoney credit_used = 0;
  VpMoney balance_after;
  VpVolume year_used, free_used;
  sqlite3_stmt *stmt;
  int year = g_date_time_get_year (now);

  t = load_topup (db, d->intent_seq, &state, error);
  if (t == NULL)
    return NULL;
  if (!g_str_equal (state, "pending"))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Top-up %" PRId64 " is already %s"), d->intent_seq, state);
      return NULL;
    }
  /* The card's word is needed to void: a purchase that might be on it
   * is never turned into credit as well. */
  if (!d->confirm && d->card_counter >= t->counter)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Top-up %" PRId64 " cannot be voided: card %s was read at purchase %"
                     PRId64 ", which is not behind its purchase %" PRId64),
                   d->intent_seq, t->card_number, d->card_counter, t->counter);
      return NULL;
    }
  a = vp_account_store_load (db, t->account_number, TRUE, error);
  if (a == NULL)
    return NULL;
  year_position (a, year, &year_used, &free_used);
  intent = vp_journal_store_get (db, t->intent_seq, error);
  if (intent == NULL)
    return NULL;
  intent_payload = vp_journal_entry_parse_payload (intent);
  if (intent_payload != NULL)
    credit_used = json_object_get_int_member_with_default (intent_payload, "credit_used", 0);

  if (d->confirm)
    {
      VpVolume free_litres;

      if (intent_payload == NULL)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                       _("Top-up %" PRId64 " has an unreadable payload"), t->intent_seq);
          return NULL;
        }
      free_litres = json_object_get_int_member_with_default (intent_payload, "free_volume", 0);
      credit = t->leftover;
      stmt = vp_database_prepare (db,
                                  "UPDATE accounts SET card_counter = ?2, tariff_year = ?3,"
                                  " year_volume = ?4, free_used = ?5, balance = balance + ?6,"
                                  " updated_at = ?7 WHERE id = ?1",
                                  error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, a->id);
      sqlite3_bind_int64 (stmt, 2, MAX (a->card_counter, t->counter));
      sqlite3_bind_int (stmt, 3, year);
      sqlite3_bind_int64 (stmt, 4, year_used + t->volume);
      sqlite3_bind_int64 (stmt, 5, free_used + free_litres);
      sqlite3_bind_int64 (stmt, 6, credit);
      sqlite3_bind_int64 (stmt, 7, vp_database_now ());
      if (!vp_store_step_done (db, stmt, error))
        return NULL;
    }
  else
    {
      /* Never reached the card: the money paid is kept as credit. */
      credit = t->amount;
      stmt = vp_database_prepare (db, "UPDATE accounts SET balance = balance + ?2,"
                                      " updated_at = ?3 WHERE id = ?1", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, a->id);
      sqlite3_bind_int64 (stmt, 2, credit);
      sqlite3_bind_int64 (stmt, 3, vp_database_now ());
      if (!vp_store_step_done (db, stmt, error))
        return NULL;
    }
  if (!vp_money_add (a->balance, credit, &balance_after, error))
    return NULL;

  json_builder_begin_object (b);
  vp_json_add_int (b, "intent_seq", t->intent_seq);
  vp_json_add_account (b, a);
  vp_json_add_string (b, "card_number", t->card_number);
  vp_json_add_int (b, "counter", t->counter);
  vp_json_add_int (b, "volume", t->volume);
  /* amount: the money the intent took (t->amount also holds the credit
   * it used). */
  vp_json_add_money (b, "amount", t->amount - credit_used);
  vp_json_add_money (b, "to_credit", credit);
  vp_json_add_money (b, "credit_after", balance_after);
  if (d->confirm)
    vp_json_add_int (b, "year_volume_after", year_used + t->volume);
  else
    {
      vp_json_add_string (b, "reason", d->reason);
      vp_json_add_int (b, "card_counter_read", d->card_counter);
    }
  /* The resolution repeats how the purchase was priced and paid, so its
   * receipt and JSON stand on their own. */
  for (guint i = 0; intent_payload != NULL && i < G_N_ELEMENTS (copied_members); i++)
    {
      JsonNode *node = json_object_get_member (intent_payload, copied_members[i]);

      if (node != NULL)
        {
          json_builder_set_member_name (b, copied_members[i]);
          json_builder_add_value (b, json_node_copy (node));
        }
    }
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);

  refs.staff_id = d->staff ? d->staff->id : NULL;
  refs.shift_id = vp_shift_store_current (db);
  refs.account_id = a->id;
  entry = vp_journal_store_append (db, d->confirm ? VP_KIND_TOPUP_CONFIRM : VP_KIND_TOPUP_VOID,
                                   b, &refs, error);
  if (entry == NULL)
    return NULL;

  stmt = vp_database_prepare (db, "UPDATE topups SET state = ?2, resolved_seq = ?3"
                                  " WHERE intent_seq = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, t->intent_seq);
  sqlite3_bind_text (stmt, 2, d->confirm ? "confirmed" : "voided", -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, entry->seq);
  if (!vp_store_step_done (db, stmt, error))
    goto fail;
  return entry;

fail:
  vp_journal_entry_free (entry);
  return NULL;
}

VpJournalEntry *
vp_topup_store_confirm (VpDatabase    *db,
                        const VpStaff *staff,
                        gint64         intent_seq,
                        GError       **error)
{
  ResolveData d = { staff, intent_seq, TRUE, 0, NULL };

  return vp_store_run_tx (db, resolve_tx, &d, error);
}

VpJournalEntry *
vp_topup_store_void (VpDatabase    *db,
                     const VpStaff *staff,
                     gint64         intent_seq,
                     gint64         card_counter,
                     const char    *reason,
                     GError       **error)
{
  ResolveData d = { staff, intent_seq, FALSE, card_counter, reason ? reason : "card not written" };

  return vp_store_run_tx (db, resolve_tx, &d, error);
}
