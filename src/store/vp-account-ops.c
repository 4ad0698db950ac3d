/* vp-account-ops.c: opening accounts, change of holder, moving credit and
 * closing accounts. Each is one transaction with its journal entry.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-account-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "vp-store-private.h"

static gint64
next_meta_counter (VpDatabase  *db,
                   const char  *key,
                   GError     **error)
{
  gint64 n = vp_database_get_meta_int (db, key, 0) + 1;
  g_autofree char *s = g_strdup_printf ("%" G_GINT64_FORMAT, n);

  if (!vp_database_set_meta (db, key, s, error))
    return 0;
  return n;
}

static gboolean
check_address_part (const char *text, const char *label, gboolean required, GError **error)
{
  if (!required && (text == NULL || *text == '\0'))
    return TRUE;
  return vp_validate_text_field (text, 20, label, error);
}

static gboolean
validate_open_request (const VpOpenAccountRequest *r,
                       GError                    **error)
{
  if (!vp_validate_name (r->holder, error) ||
      !vp_validate_id_number (r->id_number, error) ||
      !vp_validate_phone (r->phone, error) ||
      !check_address_part (r->estate, "Estate", TRUE, error) ||
      !check_address_part (r->building, "Building", TRUE, error) ||
      !check_address_part (r->unit, "Unit", FALSE, error) ||
      !check_address_part (r->room, "Room", TRUE, error))
    return FALSE;
  if (r->tariff_class == VP_TARIFF_CLASS_LOW_INCOME)
    {
      if (r->concession_expiry == NULL)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                       _("A low-income account needs its certificate's expiry date"));
          return FALSE;
        }
    }
  if (r->fee < 0 || r->fee > VP_MONEY_MAX_TRANSACTION)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("The opening fee is out of range"));
      return FALSE;
    }
  if (r->fee > 0 && !vp_store_check_payment (r->method, r->reference, error))
    return FALSE;
  if (r->issue_card && r->meter != VP_METER_PREPAID)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Only prepaid (IC card) accounts get a card"));
      return FALSE;
    }
  return TRUE;
}

gboolean
vp_account_store_check_certificate (VpDatabase  *db,
                                    const char  *expiry,
                                    GError     **error)
{
  g_autoptr(GDateTime) now = vp_store_local_datetime (vp_database_now ());
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  if (expiry == NULL || *expiry == '\0')
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("A low-income account needs its certificate's expiry date"));
      return FALSE;
    }
  if (!vp_validate_date (expiry, error))
    return FALSE;
  /* yyyy-mm-dd compares as text. A certificate that ends today would
   * give the concession for a few hours at most: it must still run. */
  if (strcmp (expiry, today) <= 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The low-income certificate expired on %s (today is %s); "
                     "ask for the renewed certificate"), expiry, today);
      return FALSE;
    }
  return TRUE;
}

char *
vp_account_store_find_at_address (VpDatabase     *db,
                                  const char     *estate,
                                  const char     *building,
                                  const char     *unit,
                                  const char     *room,
                                  VpServiceKind   service,
                                  GError        **error)
{
  sqlite3_stmt *stmt;
  char *number = NULL;
  int rc;

  stmt = vp_database_prepare (db, "SELECT number FROM accounts WHERE estate = ?1 AND building = ?2"
                                  " AND unit = ?3 AND room = ?4 AND service = ?5"
                                  " AND status != 'closed' ORDER BY id LIMIT 1",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, estate, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, building, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, unit ? unit : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, room, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, vp_service_kind_to_string (service), -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    number = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_SQLITE,
                   "Looking up the address failed: %s", sqlite3_errstr (rc));
      return NULL;
    }
  if (number == NULL)
    number = g_strdup ("");
  return number;
}

GStrv
vp_account_store_list_estates (VpDatabase  *db,
                               GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3_stmt *stmt;
  int rc;

  /* A skip scan of the estate index: one seek per estate, not one row per
   * account (a city has a million accounts and a few thousand estates). */
  stmt = vp_database_prepare (db, "WITH RECURSIVE e(name) AS ("
                                  " SELECT MIN(estate) FROM accounts"
                                  " UNION ALL"
                                  " SELECT (SELECT MIN(estate) FROM accounts WHERE estate > e.name)"
                                  " FROM e WHERE e.name IS NOT NULL)"
                                  " SELECT name FROM e WHERE name IS NOT NULL AND name != ''",
                              error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *)sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_SQLITE,
                   "Listing the estates failed: %s", sqlite3_errstr (rc));
      return NULL;
    }
  return g_strv_builder_end (builder);
}

typedef struct
{
  const VpStaff              *staff;
  const VpOpenAccountRequest *r;
} OpenData;

static VpJournalEntry *
open_tx (VpDatabase  *db,
         gpointer     data,
         GError     **error)
{
  OpenData *d = data;
  const VpOpenAccountRequest *r = d->r;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(VpAccount) a = g_new0 (VpAccount, 1);
  g_autofree char *id_number = vp_id_number_normalize (r->id_number);
  g_autofree char *masked = vp_mask_id_number (id_number);
  g_autofree char *duplicate = NULL;
  g_autoptr(GDateTime) now = vp_store_local_datetime (vp_database_now ());
  const VpStaff *approver = NULL;
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry;
  sqlite3_stmt *stmt;
  gint64 shift_id = 0;
  gint64 seq;

  if (r->tariff_class == VP_TARIFF_CLASS_LOW_INCOME &&
      !vp_account_store_check_certificate (db, r->concession_expiry, error))
    return NULL;
  if (r->fee > 0 && (shift_id = vp_shift_store_require_open (db, error)) == 0)
    return NULL;
  /* One address has one gas (or water) account: a second one is mostly a
   * resident already known under another name or a mistyped room. */
  duplicate = vp_account_store_find_at_address (db, r->estate, r->building, r->unit, r->room,
                                                r->service, error);
  if (duplicate == NULL)
    return NULL;
  if (*duplicate != '\0')
    {
      if (!r->override_duplicate)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS,
                       r->service == VP_SERVICE_WATER
                       ? _("Account %s already has water at this address; a second account "
                           "needs a supervisor's override")
                       : _("Account %s already has gas at this address; a second account "
                           "needs a supervisor's override"),
                       duplicate);
          return NULL;
        }
      approver = vp_staff_approver (d->staff, r->approver,
                                    _("A second account at one address"), error);
      if (approver == NULL)
        return NULL;
    }

  seq = next_meta_counter (db, "provisional_seq", error);
  if (seq == 0)
    return NULL;

  a->number = vp_account_number_make_provisional (vp_database_get_van_id (db), seq);
  a->holder = g_strdup (r->holder);
  a->phone = g_strdup (r->phone);
  a->id_number = g_strdup (id_number);
  a->estate = g_strdup (r->estate);
  a->building = g_strdup (r->building);
  a->unit = g_strdup (r->unit ? r->unit : "");
  a->room = g_strdup (r->room);
  a->service = r->service;
  a->meter = r->meter;
  a->tariff_class = r->tariff_class;
  a->concession_expiry = g_strdup (r->tariff_class == VP_TARIFF_CLASS_LOW_INCOME
                                   ? r->concession_expiry : NULL);
  a->elderly_alone = r->elderly_alone;
  a->needs_visit = r->needs_visit;
  a->status = VP_ACCOUNT_PROVISIONAL;
  a->tariff_year = g_date_time_get_year (now);
  if (r->issue_card)
    {
      gint64 card_seq = next_meta_counter (db, "card_seq", error);
      guint van_code = g_str_hash (vp_database_get_van_id (db)) % 10000;

      if (card_seq == 0)
        return NULL;
      a->card_number = g_strdup_printf ("89%04u%06" G_GINT64_FORMAT, van_code, card_seq % 1000000);
    }

  if (!vp_account_store_insert (db, a, error))
    return NULL;

  json_builder_begin_object (b);
  vp_json_add_string (b, "account", a->number);
  vp_json_add_string (b, "holder", a->holder);
  vp_json_add_string (b, "id_number", a->id_number);
  vp_json_add_string (b, "id_masked", masked);
  vp_json_add_string (b, "phone", a->phone);
  vp_json_add_string (b, "estate", a->estate);
  vp_json_add_string (b, "building", a->building);
  vp_json_add_string (b, "unit", a->unit);
  vp_json_add_string (b, "room", a->room);
  vp_json_add_string (b, "service", vp_service_kind_to_string (a->service));
  vp_json_add_string (b, "meter", vp_meter_type_to_string (a->meter));
  vp_json_add_string (b, "tariff_class", vp_tariff_class_to_string (a->tariff_class));
  vp_json_add_string (b, "concession_expiry", a->concession_expiry);
  json_builder_set_member_name (b, "elderly_alone");
  json_builder_add_boolean_value (b, a->elderly_alone);
  json_builder_set_member_name (b, "needs_visit");
  json_builder_add_boolean_value (b, a->needs_visit);
  vp_json_add_string (b, "card_number", a->card_number);
  vp_json_add_money (b, "fee", r->fee);
  if (r->fee > 0)
    vp_json_add_payment (b, r->method, r->reference);
  if (approver != NULL)
    {
      vp_json_add_string (b, "duplicate_of", duplicate);
      vp_json_add_string (b, "approved_by", approver->id);
    }
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = shift_id;
  refs.account_id = a->id;
  refs.method = r->fee > 0 ? vp_payment_method_to_string (r->method) : NULL;
  refs.amount = r->fee;
  entry = vp_journal_store_append (db, VP_KIND_ACCOUNT_OPEN, b, &refs, error);
  if (entry == NULL)
    return NULL;

  stmt = vp_database_prepare (db, "UPDATE accounts SET opened_seq = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    {
      vp_journal_entry_free (entry);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, a->id);
  sqlite3_bind_int64 (stmt, 2, entry->seq);
  if (!vp_store_step_done (db, stmt, error))
    {
      vp_journal_entry_free (entry);
      return NULL;
    }
  return entry;
}

VpJournalEntry *
vp_account_store_open (VpDatabase                 *db,
                       const VpStaff              *staff,
                       const VpOpenAccountRequest *request,
                       GError                    **error)
{
  OpenData d = { staff, request };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Opening an account"), error) ||
      !validate_open_request (request, error))
    return NULL;
  if (request->approver != NULL &&
      vp_staff_approver (staff, request->approver, _("A second account at one address"),
                         error) == NULL)
    return NULL;
  return vp_store_run_tx (db, open_tx, &d, error);
}

/* --- change of holder -------------------------------------------------- */

typedef struct
{
  const VpStaff               *staff;
  const VpChangeHolderRequest *r;
} ChangeData;

/* The final bill of a post-paid meter: use since the last reading at
 * the account's tariff (class, tier position in the year, the old
 * holder's concession while valid). 0 litres or a prepaid meter: none. */
static gboolean
final_bill_quote (VpDatabase      *db,
                  const VpAccount *a,
                  VpVolume         reading,
                  const char      *today,
                  int              year,
                  VpQuote         *out,
                  GError         **error)
{
  VpTariff tariff;
  VpVolume used = reading - a->last_reading;
  VpVolume year_used = a->tariff_year == year ? a->year_volume : 0;
  VpVolume free_used = a->tariff_year == year ? a->free_used : 0;

  memset (out, 0, sizeof *out);
  if (a->meter != VP_METER_POSTPAID || used <= 0)
    return TRUE;
  if (!vp_tariff_store_get_current (db, a->service, a->tariff_class, &tariff, error))
    return FALSE;
  return vp_tariff_quote_volume (&tariff, year_used, free_used,
                                 vp_account_concession_valid (a, today), used, out, error);
}

gboolean
vp_account_store_quote_final_bill (VpDatabase  *db,
                                   const char  *number,
                                   VpVolume     reading,
                                   VpQuote     *out,
                                   GError     **error)
{
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(GDateTime) now = vp_store_local_datetime (vp_database_now ());
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);

  a = vp_account_store_get (db, number, error);
  if (a == NULL)
    return FALSE;
  if (reading < a->last_reading)
    {
      g_autofree char *last = vp_volume_format (a->last_reading);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The final reading is lower than the last recorded reading (%s)"), last);
      return FALSE;
    }
  return final_bill_quote (db, a, reading, today, g_date_time_get_year (now), out, error);
}

static void
add_bool (JsonBuilder *b,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static VpJournalEntry *
change_tx (VpDatabase  *db,
           gpointer     data,
           GError     **error)
{
  ChangeData *d = data;
  const VpChangeHolderRequest *r = d->r;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(GPtrArray) bills = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) now = vp_store_local_datetime (vp_database_now ());
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *old_masked = NULL;
  g_autofree char *new_id = vp_id_number_normalize (r->new_id_number);
  g_autofree char *new_masked = vp_mask_id_number (new_id);
  g_autofree char *initials = vp_pinyin_initials (r->new_holder);
  VpTariffClass new_class = r->set_tariff_class ? r->new_tariff_class : VP_TARIFF_CLASS_RESIDENTIAL;
  const char *new_expiry = new_class == VP_TARIFF_CLASS_LOW_INCOME ? r->new_concession_expiry : NULL;
  const VpStaff *approver = NULL;
  VpJournalRefs refs = { 0 };
  VpQuote quote;
  VpPosition pos;
  VpMoney arrears_before = 0, settled = 0, carried = 0, refunded = 0, credit_carried = 0;
  VpMoney left, credit_left;
  gint64 final_bill_id = 0;
  int year;
  VpVolume year_used, free_before;
  sqlite3_stmt *stmt;
  gint64 shift_id;

  a = vp_account_store_load (db, r->number, FALSE, error);
  if (a == NULL)
    return NULL;
  if (g_strcmp0 (a->id_number, new_id) == 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The new holder is the current holder (same ID number)"));
      return NULL;
    }
  if (r->final_reading < a->last_reading)
    {
      g_autofree char *last = vp_volume_format (a->last_reading);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The final reading is lower than the last recorded reading (%s)"), last);
      return NULL;
    }
  if (new_class == VP_TARIFF_CLASS_LOW_INCOME &&
      !vp_account_store_check_certificate (db, new_expiry, error))
    return NULL;

  /* The old holder's position: open bills, the final bill, credit. */
  bills = vp_account_store_list_bills (db, a->id, TRUE, error);
  if (bills == NULL)
    return NULL;
  for (guint i = 0; i < bills->len; i++)
    arrears_before += ((VpBill *) bills->pdata[i])->amount - ((VpBill *) bills->pdata[i])->paid;
  year = g_date_time_get_year (now);
  year_used = a->tariff_year == year ? a->year_volume : 0;
  free_before = a->tariff_year == year ? a->free_used : 0;
  if (!final_bill_quote (db, a, r->final_reading, today, year, &quote, error))
    return NULL;
  vp_position_compute (arrears_before + quote.amount, a->balance, &pos);

  if (pos.due > 0 && !r->settle_arrears && !r->carry_arrears)
    {
      g_autofree char *s = vp_money_format (pos.due);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s has %s still due after credit: settle it now or carry it "
                     "to the new holder"), a->number, s);
      return NULL;
    }
  if (pos.credit_left > 0 && !r->refund_credit && !r->carry_credit_consent)
    {
      g_autofree char *s = vp_money_format (pos.credit_left);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s has %s of credit left after the bills: refund it to the old "
                     "holder or carry it with their consent"), a->number, s);
      return NULL;
    }
  if (pos.due > 0 && r->settle_arrears)
    settled = pos.due;
  else
    carried = pos.due;
  if (pos.credit_left > 0 && r->refund_credit)
    refunded = pos.credit_left;
  else
    credit_carried = pos.credit_left;
  if (settled > 0 && r->tendered > 0 && r->tendered < settled)
    {
      g_autofree char *t = vp_money_format (r->tendered);
      g_autofree char *s = vp_money_format (settled);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The cash tendered (%s) is less than the amount due (%s)"), t, s);
      return NULL;
    }
  /* Money crossing the desk belongs to a shift; an entry that moves
   * none still names the open shift so it can be voided in it. */
  if (settled > 0 || refunded > 0)
    {
      if ((shift_id = vp_shift_store_require_open (db, error)) == 0)
        return NULL;
    }
  else
    shift_id = vp_shift_store_current (db);
  if (refunded > 0)
    {
      approver = vp_staff_approver (d->staff, r->approver, _("A cash refund"), error);
      if (approver == NULL)
        return NULL;
    }

  if (quote.amount > 0)
    {
      stmt = vp_database_prepare (db, "INSERT INTO bills (account_id, period, amount, paid)"
                                      " VALUES (?1, ?2, ?3, 0)", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, a->id);
      sqlite3_bind_text (stmt, 2, today, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, quote.amount);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          sqlite3_reset (stmt);
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                       _("Account %s already has a bill dated %s; change the holder another day"),
                       a->number, today);
          return NULL;
        }
      sqlite3_reset (stmt);
      final_bill_id = sqlite3_last_insert_rowid (vp_database_get_handle (db));
      g_clear_pointer (&bills, g_ptr_array_unref);
      bills = vp_account_store_list_bills (db, a->id, TRUE, error);
      if (bills == NULL)
        return NULL;
    }

  old_masked = vp_mask_id_number (a->id_number);
  json_builder_begin_object (b);
  vp_json_add_string (b, "account", a->number);
  vp_json_add_string (b, "address", a->address);
  vp_json_add_string (b, "estate", a->estate);
  json_builder_set_member_name (b, "old_holder");
  json_builder_begin_object (b);
  vp_json_add_string (b, "name", a->holder);
  vp_json_add_string (b, "phone", a->phone);
  vp_json_add_string (b, "id_number", a->id_number);
  vp_json_add_string (b, "id_masked", old_masked);
  vp_json_add_string (b, "tariff_class", vp_tariff_class_to_string (a->tariff_class));
  vp_json_add_string (b, "concession_expiry", a->concession_expiry);
  add_bool (b, "elderly_alone", a->elderly_alone);
  add_bool (b, "needs_visit", a->needs_visit);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "new_holder");
  json_builder_begin_object (b);
  vp_json_add_string (b, "name", r->new_holder);
  vp_json_add_string (b, "phone", r->new_phone);
  vp_json_add_string (b, "id_number", new_id);
  vp_json_add_string (b, "id_masked", new_masked);
  vp_json_add_string (b, "tariff_class", vp_tariff_class_to_string (new_class));
  vp_json_add_string (b, "concession_expiry", new_expiry);
  add_bool (b, "elderly_alone", r->new_elderly_alone);
  add_bool (b, "needs_visit", r->new_needs_visit);
  json_builder_end_object (b);
  vp_json_add_int (b, "last_reading", a->last_reading);
  vp_json_add_int (b, "final_reading", r->final_reading);
  if (quote.amount > 0)
    {
      json_builder_set_member_name (b, "final_bill");
      json_builder_begin_object (b);
      vp_json_add_int (b, "bill_id", final_bill_id);
      vp_json_add_string (b, "period", today);
      vp_json_add_int (b, "litres", quote.volume);
      vp_json_add_money (b, "amount", quote.amount);
      vp_json_add_money (b, "discount", quote.discount);
      vp_json_add_int (b, "free_litres", quote.free_litres);
      vp_json_add_int (b, "tariff_version", quote.tariff_version);
      vp_json_add_string (b, "tariff_class", vp_tariff_class_to_string (a->tariff_class));
      /* The use billed counts in the year's tiers (and the allowance) like
       * any other: the next bill of this meter starts where it ends. */
      vp_json_add_int (b, "tariff_year", year);
      vp_json_add_int (b, "year_volume_before", year_used);
      vp_json_add_int (b, "year_volume_after", year_used + quote.volume);
      vp_json_add_int (b, "free_used_before", free_before);
      vp_json_add_int (b, "free_used_after", free_before + quote.free_litres);
      json_builder_end_object (b);
    }
  /* arrears: the old holder's whole arrears at hand-over, final bill
   * included; arrears_settled: money taken for them (the sale). */
  vp_json_add_money (b, "arrears_before", arrears_before);
  vp_json_add_money (b, "arrears", pos.arrears);
  vp_json_add_money (b, "credit_before", a->balance);
  vp_json_add_money (b, "credit_applied", pos.credit_applied);
  vp_json_add_money (b, "due_after_credit", pos.due);
  vp_json_add_money (b, "arrears_settled", settled);
  vp_json_add_money (b, "arrears_carried", carried);
  if (settled > 0)
    {
      vp_json_add_payment (b, r->method, r->reference);
      if (r->tendered > 0 && r->method == VP_PAYMENT_CASH)
        {
          vp_json_add_money (b, "tendered", r->tendered);
          vp_json_add_money (b, "change", r->tendered - settled);
        }
    }
  vp_json_add_money (b, "credit_refunded", refunded);
  if (refunded > 0)
    vp_json_add_string (b, "refund", "cash");
  vp_json_add_money (b, "credit_carried", credit_carried);
  if (credit_carried > 0)
    add_bool (b, "credit_consent", TRUE);
  if (approver != NULL)
    vp_json_add_string (b, "approved_by", approver->id);

  /* Credit first, then the money taken, oldest bill first (as pay). */
  json_builder_set_member_name (b, "bills");
  json_builder_begin_array (b);
  stmt = vp_database_prepare (db, "UPDATE bills SET paid = paid + ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  credit_left = pos.credit_applied;
  left = settled;
  for (guint i = 0; i < bills->len; i++)
    {
      VpBill *bill = bills->pdata[i];
      VpMoney due = bill->amount - bill->paid;
      VpMoney from_credit = MIN (due, credit_left);
      VpMoney from_money = MIN (due - from_credit, left);
      VpMoney pay = from_credit + from_money;

      if (pay <= 0)
        continue;
      sqlite3_bind_int64 (stmt, 1, bill->id);
      sqlite3_bind_int64 (stmt, 2, pay);
      if (!vp_store_step_done (db, stmt, error))
        return NULL;
      credit_left -= from_credit;
      left -= from_money;
      json_builder_begin_object (b);
      vp_json_add_int (b, "bill_id", bill->id);
      vp_json_add_string (b, "period", bill->period);
      vp_json_add_money (b, "due", due);
      vp_json_add_money (b, "paid", pay);
      vp_json_add_money (b, "from_credit", from_credit);
      vp_json_add_money (b, "remaining", due - pay);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  g_assert (credit_left == 0 && left == 0);
  vp_json_add_money (b, "arrears_after", carried);
  vp_json_add_money (b, "credit_after", pos.credit_left - refunded);
  vp_json_add_string (b, "card_number", a->card_number);
  vp_json_add_int (b, "card_counter", a->card_counter);
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);

  if (!vp_account_store_set_balance (db, a->id, pos.credit_left - refunded, error))
    return NULL;
  stmt = vp_database_prepare (db,
                              "UPDATE accounts SET holder = ?2, holder_initials = ?3, phone = ?4,"
                              " id_number = ?5, last_reading = ?6, updated_at = ?7,"
                              " tariff_class = ?8, concession_expiry = ?9, elderly_alone = ?10,"
                              " needs_visit = ?11 WHERE id = ?1",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  sqlite3_bind_text (stmt, 2, r->new_holder, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, initials, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, r->new_phone, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, new_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, r->final_reading);
  sqlite3_bind_int64 (stmt, 7, vp_database_now ());
  sqlite3_bind_text (stmt, 8, vp_tariff_class_to_string (new_class), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, new_expiry, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 10, r->new_elderly_alone);
  sqlite3_bind_int (stmt, 11, r->new_needs_visit);
  if (!vp_store_step_done (db, stmt, error))
    return NULL;
  if (quote.amount > 0)
    {
      stmt = vp_database_prepare (db, "UPDATE accounts SET tariff_year = ?2, year_volume = ?3,"
                                      " free_used = ?4 WHERE id = ?1", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, a->id);
      sqlite3_bind_int (stmt, 2, year);
      sqlite3_bind_int64 (stmt, 3, year_used + quote.volume);
      sqlite3_bind_int64 (stmt, 4, free_before + quote.free_litres);
      if (!vp_store_step_done (db, stmt, error))
        return NULL;
    }

  refs.staff_id = d->staff->id;
  refs.shift_id = shift_id;
  refs.account_id = a->id;
  if (settled > 0)
    {
      refs.method = vp_payment_method_to_string (r->method);
      refs.amount = settled;
    }
  else if (refunded > 0)
    {
      refs.method = "cash";
      refs.amount = -refunded;   /* paid out of the drawer */
    }
  return vp_journal_store_append (db, VP_KIND_ACCOUNT_TRANSFER, b, &refs, error);
}

VpJournalEntry *
vp_account_store_change_holder (VpDatabase                  *db,
                                const VpStaff               *staff,
                                const VpChangeHolderRequest *request,
                                GError                     **error)
{
  ChangeData d = { staff, request };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Change of holder"), error) ||
      !vp_validate_name (request->new_holder, error) ||
      !vp_validate_id_number (request->new_id_number, error) ||
      !vp_validate_phone (request->new_phone, error))
    return NULL;
  if (request->final_reading < 0 || request->final_reading > G_GINT64_CONSTANT (1000000000000))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("The meter reading is out of range"));
      return NULL;
    }
  if (request->settle_arrears && request->carry_arrears)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Arrears are either settled now or carried, not both"));
      return NULL;
    }
  if (request->refund_credit && request->carry_credit_consent)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("Credit is either refunded or carried with consent, not both"));
      return NULL;
    }
  if (request->settle_arrears && !vp_store_check_payment (request->method, request->reference, error))
    return NULL;
  if (request->tendered != 0 &&
      (request->method != VP_PAYMENT_CASH || !request->settle_arrears ||
       !vp_store_check_amount (request->tendered, _("The cash tendered"), error)))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                     _("Cash tendered goes with arrears settled in cash"));
      return NULL;
    }
  if (request->approver != NULL &&
      vp_staff_approver (staff, request->approver, _("A cash refund"), error) == NULL)
    return NULL;
  return vp_store_run_tx (db, change_tx, &d, error);
}

/* --- credit moves and closing ------------------------------------------ */

typedef struct
{
  const VpStaff *staff;
  const VpStaff *approver;  /* NULL: none given */
  const char    *from;
  const char    *to;
  VpMoney        amount;   /* move: amount; close: unused */
  gboolean       close;
} MoveData;

/* The same person holds both accounts: the ID numbers agree, or, where
 * one is not recorded (old master data), the name and phone do. */
static gboolean
same_holder (const VpAccount *a,
             const VpAccount *b)
{
  if (a->id_number != NULL && *a->id_number != '\0' &&
      b->id_number != NULL && *b->id_number != '\0')
    return g_ascii_strcasecmp (a->id_number, b->id_number) == 0;
  return g_strcmp0 (a->holder, b->holder) == 0 && g_strcmp0 (a->phone, b->phone) == 0;
}

static VpJournalEntry *
move_tx (VpDatabase  *db,
         gpointer     data,
         GError     **error)
{
  MoveData *d = data;
  g_autoptr(VpAccount) from = NULL;
  g_autoptr(VpAccount) to = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  VpMoney amount = d->amount;
  VpMoney from_after;
  VpMoney to_after = 0;
  const VpStaff *approver = NULL;
  const char *what = NULL;
  gint64 shift_id = 0;
  sqlite3_stmt *stmt;

  from = vp_account_store_load (db, d->from, FALSE, error);
  if (from == NULL)
    return NULL;
  if (d->to != NULL)
    {
      to = vp_account_store_load (db, d->to, FALSE, error);
      if (to == NULL)
        return NULL;
      if (to->id == from->id)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                       _("Credit cannot move to the same account"));
          return NULL;
        }
    }

  if (d->close)
    {
      g_autoptr(GPtrArray) pending = NULL;

      if (from->arrears > 0)
        {
          g_autofree char *s = vp_money_format (from->arrears);
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                       _("Account %s has %s of unpaid bills; settle them before closing"),
                       from->number, s);
          return NULL;
        }
      stmt = vp_database_prepare (db, "SELECT 1 FROM topups WHERE account_id = ?1"
                                      " AND state = 'pending'", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, from->id);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          sqlite3_reset (stmt);
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                       _("Account %s has a card top-up that is not resolved yet"), from->number);
          return NULL;
        }
      sqlite3_reset (stmt);
      amount = from->balance;
      if (to == NULL && amount > 0 && (shift_id = vp_shift_store_require_open (db, error)) == 0)
        return NULL;
    }
  else if (amount > from->balance)
    {
      g_autofree char *want = vp_money_format (amount);
      g_autofree char *have = vp_money_format (from->balance);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT,
                   _("Account %s has %s of credit, less than %s"), from->number, have, want);
      return NULL;
    }

  /* Money leaving the resident's hands or going to someone else's
   * account is approved by a supervisor, checked here where the
   * amount and both holders are known. */
  if (d->close && to == NULL && amount > 0)
    what = _("A cash refund");
  else if (to != NULL && amount > 0 && !same_holder (from, to))
    what = _("Moving credit to another holder");
  if (what != NULL || d->approver != NULL)
    {
      approver = vp_staff_approver (d->staff, d->approver, what ? what : _("Moving credit"), error);
      if (approver == NULL)
        return NULL;
    }

  from_after = from->balance - amount;
  if (!vp_account_store_set_balance (db, from->id, from_after, error))
    return NULL;
  if (to != NULL)
    {
      if (!vp_money_add (to->balance, amount, &to_after, error) ||
          !vp_account_store_set_balance (db, to->id, to_after, error))
        return NULL;
    }
  if (d->close)
    {
      stmt = vp_database_prepare (db, "UPDATE accounts SET status = 'closed', updated_at = ?2"
                                      " WHERE id = ?1", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, from->id);
      sqlite3_bind_int64 (stmt, 2, vp_database_now ());
      if (!vp_store_step_done (db, stmt, error))
        return NULL;
      if (from->card_number != NULL &&
          !vp_card_store_block (db, from->card_number, "account closed", error))
        return NULL;
    }

  json_builder_begin_object (b);
  vp_json_add_string (b, "account", from->number);
  vp_json_add_string (b, "holder", from->holder);
  vp_json_add_string (b, "estate", from->estate);
  vp_json_add_money (b, "amount", amount);
  vp_json_add_money (b, "balance_before", from->balance);
  vp_json_add_money (b, "balance_after", from_after);
  if (to != NULL)
    {
      vp_json_add_string (b, "to_account", to->number);
      vp_json_add_string (b, "to_holder", to->holder);
      vp_json_add_money (b, "to_balance_before", to->balance);
      vp_json_add_money (b, "to_balance_after", to_after);
    }
  if (d->close)
    vp_json_add_string (b, "refund", to != NULL ? "transfer" : "cash");
  if (approver != NULL)
    vp_json_add_string (b, "approved_by", approver->id);
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = shift_id;
  refs.account_id = from->id;
  if (d->close && to == NULL && amount > 0)
    {
      refs.method = "cash";
      refs.amount = -amount;   /* paid out of the drawer */
    }
  return vp_journal_store_append (db, d->close ? VP_KIND_ACCOUNT_CLOSE : VP_KIND_CREDIT_MOVE,
                                  b, &refs, error);
}

VpJournalEntry *
vp_account_store_move_credit (VpDatabase    *db,
                              const VpStaff *staff,
                              const VpStaff *approver,
                              const char    *from_number,
                              const char    *to_number,
                              VpMoney        amount,
                              GError       **error)
{
  MoveData d = { staff, approver, from_number, to_number, amount, FALSE };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Moving credit"), error) ||
      (approver != NULL && vp_staff_approver (staff, approver, _("Moving credit"), error) == NULL) ||
      !vp_store_check_amount (amount, _("The amount to move"), error))
    return NULL;
  if (to_number == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("Name the account to move credit to"));
      return NULL;
    }
  return vp_store_run_tx (db, move_tx, &d, error);
}

VpJournalEntry *
vp_account_store_close (VpDatabase    *db,
                        const VpStaff *staff,
                        const VpStaff *approver,
                        const char    *number,
                        const char    *to_number,
                        GError       **error)
{
  MoveData d = { staff, approver, number, to_number, 0, TRUE };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Closing an account"), error) ||
      (approver != NULL &&
       vp_staff_approver (staff, approver, _("Closing an account"), error) == NULL))
    return NULL;
  return vp_store_run_tx (db, move_tx, &d, error);
}
