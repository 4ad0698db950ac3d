/* vp-shift-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-shift-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "vp-store-private.h"

gint64
vp_shift_store_current (VpDatabase *db)
{
  return vp_database_query_int (db, "SELECT id FROM shifts WHERE closed_at IS NULL", 0);
}

gboolean
vp_shift_store_totals (VpDatabase    *db,
                       gint64         shift_id,
                       VpShiftTotals *out,
                       GError       **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  gint64 open_seq, close_seq;
  int rc;

  memset (out, 0, sizeof *out);
  if (shift_id == 0 && (shift_id = vp_shift_store_require_open (db, error)) == 0)
    return FALSE;

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "SELECT opened_by, opened_at, closed_at IS NULL,"
                              " coalesce (z_number, 0), coalesce (counted, 0), open_seq,"
                              " coalesce (close_seq, 0) FROM shifts WHERE id = ?1",
                              error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, shift_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                     _("There is no shift %" PRId64), shift_id);
      else
        vp_database_set_error (db, rc, error);
      sqlite3_reset (stmt);
      goto out;
    }
  out->shift_id = shift_id;
  out->opened_by = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  out->opened_at = sqlite3_column_int64 (stmt, 1);
  out->open = sqlite3_column_int (stmt, 2);
  out->z_number = sqlite3_column_int64 (stmt, 3);
  out->counted = sqlite3_column_int64 (stmt, 4);
  open_seq = sqlite3_column_int64 (stmt, 5);
  close_seq = sqlite3_column_int64 (stmt, 6);
  sqlite3_reset (stmt);

  /* The shift must start with its own signed opening entry: the float
   * and the opening time are read from it. */
  {
    g_autoptr(VpJournalEntry) open_entry = vp_journal_store_get (db, open_seq, NULL);
    g_autoptr(JsonObject) o = open_entry ? vp_journal_entry_parse_payload (open_entry) : NULL;
    VpJournalLedger l;

    if (o == NULL || g_strcmp0 (open_entry->kind, VP_KIND_SHIFT_OPEN) != 0 ||
        !vp_journal_ledger_from_payload (open_entry->kind, o, &l, NULL) ||
        l.shift != shift_id || !json_object_has_member (o, "float"))
      {
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                     _("Shift %" PRId64 " does not start with its own opening entry (%"
                       PRId64 "); run vanpos-cli verify"), shift_id, open_seq);
        goto out;
      }
    out->float_amount = json_object_get_int_member (o, "float");
    out->opened_at = open_entry->device_time;
  }
  /* The fold stops at close_seq, an ordinary column: it must be this
   * shift's own signed closing entry, or the totals would stop early. */
  if (close_seq != 0)
    {
      g_autoptr(VpJournalEntry) close_entry = vp_journal_store_get (db, close_seq, NULL);
      g_autoptr(JsonObject) o = close_entry ? vp_journal_entry_parse_payload (close_entry) : NULL;
      VpJournalLedger l;

      if (o == NULL || g_strcmp0 (close_entry->kind, VP_KIND_SHIFT_CLOSE) != 0 ||
          !vp_journal_ledger_from_payload (close_entry->kind, o, &l, NULL) || l.shift != shift_id)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED,
                       _("Shift %" PRId64 " does not end with its own closing entry (%"
                         PRId64 "); run vanpos-cli verify"), shift_id, close_seq);
          goto out;
        }
      out->closed_at = close_entry->device_time;
      out->close_seq = close_seq;
    }

  /* Only signed data counts (DESIGN §4): the totals are the one fold
   * of the shift's signed payloads (vp-figures.c), voided entries left
   * out. */
  {
    VpFiguresScope scope = { 0 };
    VpTally *t;

    scope.from_seq = open_seq;
    scope.to_seq = close_seq;
    scope.shift = shift_id;
    out->figures = vp_figures_fold (db, &scope, error);
    if (out->figures == NULL)
      goto out;
    t = &out->figures->total;
    out->cash_in = t->cash_in;
    out->cash_out = t->cash_out;
    out->card_in = t->card_in;
    out->mobile_in = t->mobile_in;
    out->transactions = t->transactions;
    out->voids = t->voids;
    out->drops = t->drops;
    out->paid_in = t->paid_in;
    out->paid_out = t->paid_out;
  }
  out->expected_cash = out->float_amount + vp_tally_drawer_change (&out->figures->total);
  ok = TRUE;
out:
  vp_database_unlock (db);
  return ok;
}

void
vp_shift_info_free (VpShiftInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->opened_by);
  g_free (info->closed_by);
  g_free (info);
}

GPtrArray *
vp_shift_store_list (VpDatabase  *db,
                     GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_shift_info_free);
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  vp_database_lock (db);
  stmt = vp_database_prepare (db,
                              "SELECT id, opened_by, opened_at, open_seq, closed_by,"
                              " coalesce (closed_at, 0), coalesce (close_seq, 0), coalesce (z_number, 0),"
                              " float, coalesce (expected, 0), coalesce (counted, 0)"
                              " FROM shifts ORDER BY id DESC",
                              error);
  if (stmt == NULL)
    goto out;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VpShiftInfo *s = g_new0 (VpShiftInfo, 1);

      s->id = sqlite3_column_int64 (stmt, 0);
      s->opened_by = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      s->opened_at = sqlite3_column_int64 (stmt, 2);
      s->open_seq = sqlite3_column_int64 (stmt, 3);
      s->closed_by = g_strdup ((const char *)sqlite3_column_text (stmt, 4));
      s->closed_at = sqlite3_column_int64 (stmt, 5);
      s->close_seq = sqlite3_column_int64 (stmt, 6);
      s->z_number = sqlite3_column_int64 (stmt, 7);
      s->float_amount = sqlite3_column_int64 (stmt, 8);
      s->expected = sqlite3_column_int64 (stmt, 9);
      s->counted = sqlite3_column_int64 (stmt, 10);
      g_ptr_array_add (list, s);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      goto out;
    }
  ok = TRUE;
out:
  vp_database_unlock (db);
  return ok ? g_steal_pointer (&list) : NULL;
}

gint64
vp_shift_store_z_seq (VpDatabase  *db,
                      gint64       z_number,
                      GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 seq = 0;
  int rc;

  g_return_val_if_fail (VP_IS_DATABASE (db), 0);

  vp_database_lock (db);
  stmt = vp_database_prepare (db, "SELECT coalesce (close_seq, 0) FROM shifts WHERE z_number = ?1",
                              error);
  if (stmt == NULL)
    {
      vp_database_unlock (db);
      return 0;
    }
  sqlite3_bind_int64 (stmt, 1, z_number);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    seq = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    vp_database_set_error (db, rc, error);
  else if (seq == 0)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                 _("There is no Z report %" PRId64), z_number);
  vp_database_unlock (db);
  return seq;
}

typedef struct
{
  const VpStaff *staff;
  VpMoney        amount;
  gint64         seq;
  const char    *reason;
} ShiftData;

static VpJournalEntry *
open_tx (VpDatabase  *db,
         gpointer     data,
         GError     **error)
{
  ShiftData *d = data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry;
  sqlite3_stmt *stmt;
  gint64 shift_id;

  if (vp_shift_store_current (db) != 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("A shift is already open; close it before opening another"));
      return NULL;
    }
  stmt = vp_database_prepare (db,
                              "INSERT INTO shifts (opened_by, opened_at, float, open_seq)"
                              " VALUES (?1, ?2, ?3, (SELECT coalesce (max (seq), 0) + 1 FROM journal))",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, d->staff->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, vp_database_now ());
  sqlite3_bind_int64 (stmt, 3, d->amount);
  if (!vp_store_step_done (db, stmt, error))
    return NULL;
  shift_id = sqlite3_last_insert_rowid (vp_database_get_handle (db));

  json_builder_begin_object (b);
  vp_json_add_int (b, "shift", shift_id);
  vp_json_add_money (b, "float", d->amount);
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = shift_id;
  entry = vp_journal_store_append (db, VP_KIND_SHIFT_OPEN, b, &refs, error);
  return entry;
}

VpJournalEntry *
vp_shift_store_open (VpDatabase    *db,
                     const VpStaff *staff,
                     VpMoney        float_amount,
                     GError       **error)
{
  ShiftData d = { staff, float_amount, 0, NULL };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Opening a shift"), error))
    return NULL;
  if (float_amount < 0 || float_amount > VP_MONEY_MAX_TRANSACTION)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The cash float must be between ¥0.00 and ¥1,000,000.00"));
      return NULL;
    }
  return vp_store_run_tx (db, open_tx, &d, error);
}

/**
 * vp_shift_totals_add_json:
 * @t: a shift's totals
 * @b: a builder inside an object
 *
 * The members of the X report and of the Z report's payload: the ones
 * tools have always read (shift, opened_by, float, cash_in, cash_out,
 * card_in, mobile_in, expected_cash, transactions, voids) and, since
 * issue 9, the cash movements, the first and last receipt, the times
 * and the voided entries (vp_figures_add_json()).
 */
void
vp_shift_totals_add_json (const VpShiftTotals *t,
                          JsonBuilder         *b)
{
  vp_json_add_int (b, "shift", t->shift_id);
  vp_json_add_string (b, "opened_by", t->opened_by);
  vp_json_add_money (b, "float", t->float_amount);
  vp_json_add_money (b, "cash_in", t->cash_in);
  vp_json_add_money (b, "cash_out", t->cash_out);
  vp_json_add_money (b, "card_in", t->card_in);
  vp_json_add_money (b, "mobile_in", t->mobile_in);
  vp_json_add_money (b, "expected_cash", t->expected_cash);
  vp_json_add_int (b, "transactions", t->transactions);
  vp_json_add_int (b, "voids", t->voids);
  vp_json_add_int (b, "opened_at", t->opened_at);
  if (t->figures != NULL)
    {
      VpFigures *f = t->figures;

      if (f->first_seq != 0)
        {
          vp_json_add_int (b, "first_seq", f->first_seq);
          vp_json_add_string (b, "first_receipt", f->first_receipt);
          vp_json_add_int (b, "last_seq", f->last_seq);
          vp_json_add_string (b, "last_receipt", f->last_receipt);
        }
      vp_figures_add_json (f, b);
    }
}

static VpJournalEntry *
close_tx (VpDatabase  *db,
          gpointer     data,
          GError     **error)
{
  ShiftData *d = data;
  g_auto(VpShiftTotals) totals = { 0 };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry;
  sqlite3_stmt *stmt;
  gint64 z_number = 0;
  gint64 pending = 0;

  if (!vp_shift_store_totals (db, 0, &totals, error))
    return NULL;

  stmt = vp_database_prepare (db, "SELECT count (*) FROM topups WHERE state = 'pending'", error);
  if (stmt == NULL)
    return NULL;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    pending = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (pending > 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("%" PRId64 " card top-up(s) are not resolved; insert the card(s) "
                     "to finish them before closing the shift"), pending);
      return NULL;
    }
  pending = vp_topup_reversal_count_pending (db, error);
  if (pending < 0)
    return NULL;
  if (pending > 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("%" PRId64 " top-up reversal(s) are not resolved; insert the card(s) "
                     "to finish them before closing the shift"), pending);
      return NULL;
    }

  stmt = vp_database_prepare (db, "SELECT coalesce (max (z_number), 0) + 1 FROM shifts", error);
  if (stmt == NULL)
    return NULL;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    z_number = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  json_builder_begin_object (b);
  vp_json_add_int (b, "z_number", z_number);
  vp_shift_totals_add_json (&totals, b);
  /* The Z's own time; its entry's device time is taken at the append. */
  vp_json_add_int (b, "closed_at", vp_database_now ());
  vp_json_add_money (b, "counted", d->amount);
  vp_json_add_money (b, "difference", d->amount - totals.expected_cash);
  /* HQ's acknowledgement at the last sync (meta written by vp-sync-store). */
  vp_json_add_int (b, "hq_acked_entries", vp_database_get_meta_int (db, "hq_acked_entries", 0));
  vp_json_add_money (b, "hq_acked_amount", vp_database_get_meta_int (db, "hq_acked_amount", 0));
  /* DESIGN §4: the Z names the head HQ acknowledged, from the anchor. */
  {
    g_autoptr(VpAnchor) anchor = vp_database_load_anchor (db, NULL);

    if (anchor != NULL)
      {
        vp_json_add_int (b, "hq_acked_seq", anchor->hq_seq);
        vp_json_add_string (b, "hq_acked_hash", anchor->hq_hash);
      }
  }
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = totals.shift_id;
  entry = vp_journal_store_append (db, VP_KIND_SHIFT_CLOSE, b, &refs, error);
  if (entry == NULL)
    return NULL;

  stmt = vp_database_prepare (db,
                              "UPDATE shifts SET closed_by = ?2, closed_at = ?3, counted = ?4,"
                              " expected = ?5, z_number = ?6, close_seq = ?7 WHERE id = ?1",
                              error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, totals.shift_id);
  sqlite3_bind_text (stmt, 2, d->staff->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, vp_database_now ());
  sqlite3_bind_int64 (stmt, 4, d->amount);
  sqlite3_bind_int64 (stmt, 5, totals.expected_cash);
  sqlite3_bind_int64 (stmt, 6, z_number);
  sqlite3_bind_int64 (stmt, 7, entry->seq);
  if (!vp_store_step_done (db, stmt, error))
    goto fail;
  return entry;

fail:
  vp_journal_entry_free (entry);
  return NULL;
}

VpJournalEntry *
vp_shift_store_close (VpDatabase    *db,
                      const VpStaff *supervisor,
                      VpMoney        counted,
                      GError       **error)
{
  ShiftData d = { supervisor, counted, 0, NULL };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _("Closing a shift"), error))
    return NULL;
  if (counted < 0 || counted > VP_MONEY_MAX_TRANSACTION)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The counted cash must be between ¥0.00 and ¥1,000,000.00"));
      return NULL;
    }
  return vp_store_run_tx (db, close_tx, &d, error);
}

/* --- voids --------------------------------------------------------------- */

/* Takes back what each of bills (the signed payload's "bills": bill_id,
 * paid) was paid by the entry being voided; refused with changed when a
 * bill no longer holds that much (HQ or another entry moved it since). */
static gboolean
unpay_bills (VpDatabase  *db,
             JsonArray   *bills,
             const char  *changed,
             GError     **error)
{
  sqlite3_stmt *stmt = vp_database_prepare (db, "UPDATE bills SET paid = paid - ?2"
                                                " WHERE id = ?1 AND paid >= ?2", error);

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; bills != NULL && i < json_array_get_length (bills); i++)
    {
      JsonObject *bill = json_array_get_object_element (bills, i);

      sqlite3_bind_int64 (stmt, 1, json_object_get_int_member (bill, "bill_id"));
      sqlite3_bind_int64 (stmt, 2, json_object_get_int_member (bill, "paid"));
      if (!vp_store_step_done (db, stmt, error))
        return FALSE;
      if (sqlite3_changes (vp_database_get_handle (db)) != 1)
        {
          g_set_error_literal (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE, changed);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
reverse_pay (VpDatabase  *db,
             JsonObject  *p,
             gint64       account_id,
             GError     **error)
{
  JsonArray *bills = json_object_get_array_member (p, "bills");
  VpMoney to_credit = json_object_get_int_member_with_default (p, "to_credit", 0);
  /* The bills' "paid" includes what the account's credit paid: un-paying
   * them gives that credit back. */
  VpMoney credit_applied = json_object_get_int_member_with_default (p, "credit_applied", 0);
  sqlite3_stmt *stmt;
  VpMoney balance = 0;

  stmt = vp_database_prepare (db, "SELECT balance FROM accounts WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    balance = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (balance < to_credit)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT,
                   _("The credit from this payment has been used since; it cannot be voided"));
      return FALSE;
    }
  if (!vp_account_store_set_balance (db, account_id, balance - to_credit + credit_applied, error))
    return FALSE;

  return unpay_bills (db, bills, _("A bill paid by this payment has changed since; it cannot be voided"),
                      error);
}

static gboolean
reverse_open (VpDatabase  *db,
              gint64       account_id,
              GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 later = 0;

  stmt = vp_database_prepare (db, "SELECT count (*) FROM journal WHERE account_id = ?1"
                                  " AND kind <> 'account.open'", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    later = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (later > 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("The new account has been used since; it cannot be voided"));
      return FALSE;
    }
  stmt = vp_database_prepare (db, "UPDATE accounts SET status = 'closed' WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  return vp_store_step_done (db, stmt, error);
}

/* An account's credit and status, by id. */
static gboolean
account_get (VpDatabase  *db,
             gint64       account_id,
             VpMoney     *balance,
             char       **status,
             char       **card,
             GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  stmt = vp_database_prepare (db, "SELECT balance, status, card_number FROM accounts WHERE id = ?1",
                              error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      *balance = sqlite3_column_int64 (stmt, 0);
      if (status)
        *status = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      if (card)
        *card = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
    }
  sqlite3_reset (stmt);
  if (!found)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                 _("The account of this entry is no longer known"));
  return found;
}

static gint64
account_id_of (VpDatabase  *db,
               const char  *number,
               GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 id = 0;

  stmt = vp_database_prepare (db, "SELECT id FROM accounts WHERE number = ?1", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (id == 0)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                 _("Account %s is no longer known"), number);
  return id;
}

/* Moves @amount of credit from @from back to @to; refused when @from
 * no longer holds it (spent or moved on since). */
static gboolean
move_back (VpDatabase  *db,
           gint64       from,
           gint64       to,
           VpMoney      amount,
           GError     **error)
{
  VpMoney from_balance = 0, to_balance = 0;

  if (amount == 0)
    return TRUE;
  if (!account_get (db, from, &from_balance, NULL, NULL, error) ||
      !account_get (db, to, &to_balance, NULL, NULL, error))
    return FALSE;
  if (from_balance < amount)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT,
                   _("The moved credit has been used since; it cannot be voided"));
      return FALSE;
    }
  return vp_account_store_set_balance (db, from, from_balance - amount, error) &&
         vp_account_store_set_balance (db, to, to_balance + amount, error);
}

/* credit.move: the credit goes back while the receiving account still
 * holds it; credit is never moved into a closed account. */
static gboolean
reverse_move (VpDatabase  *db,
              JsonObject  *p,
              gint64       account_id,
              GError     **error)
{
  const char *to_number = json_object_get_string_member_with_default (p, "to_account", NULL);
  VpMoney amount = json_object_get_int_member_with_default (p, "amount", 0);
  g_autofree char *status = NULL;
  VpMoney balance;
  gint64 to;

  if (!account_get (db, account_id, &balance, &status, NULL, error))
    return FALSE;
  if (g_strcmp0 (status, "closed") == 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("The account the credit came from is closed; it cannot be voided"));
      return FALSE;
    }
  if (to_number == NULL || (to = account_id_of (db, to_number, error)) == 0)
    {
      if (error && *error == NULL)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                     _("The credit move names no receiving account"));
      return FALSE;
    }
  return move_back (db, to, account_id, amount, error);
}

/* account.close: the account opens again with its credit: a cash refund
 * is taken back into the drawer (the void's amount), credit moved to
 * another account comes back while that account still holds it. */
static gboolean
reverse_close (VpDatabase  *db,
               JsonObject  *p,
               gint64       account_id,
               GError     **error)
{
  const char *refund = json_object_get_string_member_with_default (p, "refund", NULL);
  const char *to_number = json_object_get_string_member_with_default (p, "to_account", NULL);
  VpMoney amount = json_object_get_int_member_with_default (p, "amount", 0);
  g_autofree char *status = NULL;
  g_autofree char *card = NULL;
  sqlite3_stmt *stmt;
  VpMoney balance;

  if (!account_get (db, account_id, &balance, &status, &card, error))
    return FALSE;
  if (g_strcmp0 (status, "closed") != 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("The account is not closed any more; it cannot be voided"));
      return FALSE;
    }
  if (g_strcmp0 (refund, "transfer") == 0 && to_number != NULL)
    {
      gint64 to = account_id_of (db, to_number, error);

      if (to == 0 || !move_back (db, to, account_id, amount, error))
        return FALSE;
    }
  else if (!vp_account_store_set_balance (db, account_id, balance + amount, error))
    return FALSE;

  stmt = vp_database_prepare (db, "UPDATE accounts SET status = 'active', updated_at = ?2"
                                  " WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  sqlite3_bind_int64 (stmt, 2, vp_database_now ());
  if (!vp_store_step_done (db, stmt, error))
    return FALSE;
  /* The card was blocked because the account closed, not because it
   * was lost: it works again. */
  if (card == NULL)
    return TRUE;
  stmt = vp_database_prepare (db, "DELETE FROM blocked_cards WHERE card_number = ?1"
                                  " AND reason = 'account closed'", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, card, -1, SQLITE_STATIC);
  return vp_store_step_done (db, stmt, error);
}

/* credit.refund: the cash comes back into the drawer, the credit back
 * onto the account. */
static gboolean
reverse_refund (VpDatabase  *db,
                JsonObject  *p,
                gint64       account_id,
                GError     **error)
{
  VpMoney amount = json_object_get_int_member_with_default (p, "amount", 0);
  VpMoney balance;

  if (!account_get (db, account_id, &balance, NULL, NULL, error))
    return FALSE;
  return vp_account_store_set_balance (db, account_id, balance + amount, error);
}

/* The void of a change of holder (account.transfer) puts the old
 * holder's position back as the signed entry says it was: holder, class
 * and flags, the last reading, the bills it paid (the final bill it
 * raised goes), the credit; the drawer gives back the money taken or
 * takes back the cash refunded (void_tx's signed amount). Refused when
 * the account has moved on since (another holder, credit used). */
static gboolean
reverse_transfer (VpDatabase  *db,
                  JsonObject  *p,
                  gint64       account_id,
                  GError     **error)
{
  JsonObject *old_h = json_object_get_object_member (p, "old_holder");
  JsonObject *new_h = json_object_get_object_member (p, "new_holder");
  JsonObject *final = json_object_has_member (p, "final_bill")
                      ? json_object_get_object_member (p, "final_bill") : NULL;
  JsonArray *bills = json_object_has_member (p, "bills")
                     ? json_object_get_array_member (p, "bills") : NULL;
  VpMoney credit_before = json_object_get_int_member_with_default (p, "credit_before", 0);
  VpMoney credit_after = json_object_get_int_member_with_default (p, "credit_after", 0);
  g_autofree char *id_now = NULL;
  g_autofree char *initials = NULL;
  const char *klass;
  sqlite3_stmt *stmt;
  VpMoney balance = 0;

  if (old_h == NULL || new_h == NULL || !json_object_has_member (p, "credit_before"))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("This change of holder predates reversible settlements; it cannot be voided"));
      return FALSE;
    }
  stmt = vp_database_prepare (db, "SELECT balance, id_number FROM accounts WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      balance = sqlite3_column_int64 (stmt, 0);
      id_now = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (g_strcmp0 (id_now, json_object_get_string_member_with_default (new_h, "id_number", NULL)) != 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("The account has changed holder again since; it cannot be voided"));
      return FALSE;
    }
  if (balance < credit_after)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT,
                   _("The credit carried to the new holder has been used since; it cannot be voided"));
      return FALSE;
    }
  if (!vp_account_store_set_balance (db, account_id, balance - credit_after + credit_before, error))
    return FALSE;

  if (!unpay_bills (db, bills,
                    _("A bill settled by this change of holder has changed since; it cannot be voided"),
                    error))
    return FALSE;
  if (final != NULL && json_object_has_member (final, "year_volume_after"))
    {
      /* The use the final bill counted in the year's tiers goes with it. */
      stmt = vp_database_prepare (db, "UPDATE accounts SET"
                                      " year_volume = MAX (year_volume - ?3, 0),"
                                      " free_used = MAX (free_used - ?4, 0)"
                                      " WHERE id = ?1 AND tariff_year = ?2", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, account_id);
      sqlite3_bind_int64 (stmt, 2, json_object_get_int_member (final, "tariff_year"));
      sqlite3_bind_int64 (stmt, 3, json_object_get_int_member (final, "litres"));
      sqlite3_bind_int64 (stmt, 4, json_object_get_int_member_with_default (final, "free_litres", 0));
      if (!vp_store_step_done (db, stmt, error))
        return FALSE;
    }
  if (final != NULL)
    {
      /* The final bill was raised by this entry alone: it goes. */
      stmt = vp_database_prepare (db, "DELETE FROM bills WHERE id = ?1 AND account_id = ?2"
                                      " AND paid = 0", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, json_object_get_int_member (final, "bill_id"));
      sqlite3_bind_int64 (stmt, 2, account_id);
      if (!vp_store_step_done (db, stmt, error))
        return FALSE;
      if (sqlite3_changes (vp_database_get_handle (db)) != 1)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                       _("The final bill has been paid since; it cannot be voided"));
          return FALSE;
        }
    }

  klass = json_object_get_string_member_with_default (old_h, "tariff_class", "residential");
  initials = vp_pinyin_initials (json_object_get_string_member_with_default (old_h, "name", ""));
  stmt = vp_database_prepare (db,
                              "UPDATE accounts SET holder = ?2, holder_initials = ?3, phone = ?4,"
                              " id_number = ?5, last_reading = ?6, tariff_class = ?7,"
                              " concession_expiry = ?8, elderly_alone = ?9, needs_visit = ?10,"
                              " updated_at = ?11 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  sqlite3_bind_text (stmt, 2, json_object_get_string_member_with_default (old_h, "name", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, initials, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, json_object_get_string_member_with_default (old_h, "phone", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, json_object_get_string_member_with_default (old_h, "id_number", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, json_object_get_int_member_with_default (p, "last_reading", 0));
  sqlite3_bind_text (stmt, 7, klass, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 8, json_object_get_string_member_with_default (old_h, "concession_expiry", NULL), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 9, json_object_get_boolean_member_with_default (old_h, "elderly_alone", FALSE));
  sqlite3_bind_int (stmt, 10, json_object_get_boolean_member_with_default (old_h, "needs_visit", FALSE));
  sqlite3_bind_int64 (stmt, 11, vp_database_now ());
  return vp_store_step_done (db, stmt, error);
}

typedef struct
{
  const VpStaff *requester;
  const VpStaff *staff;      /* the approving supervisor */
  gint64         seq;
  const char    *reason;
} VoidData;

static VpJournalEntry *
void_tx (VpDatabase  *db,
         gpointer     data,
         GError     **error)
{
  VoidData *d = data;
  g_autoptr(VpJournalEntry) target = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  VpJournalEntry *entry;
  sqlite3_stmt *stmt;
  gint64 shift_id, target_shift = 0, account_id = 0, voided_by = 0;
  VpJournalLedger target_ledger;
  VpMoney amount = 0;
  g_autofree char *method = NULL;

  if ((shift_id = vp_shift_store_require_open (db, error)) == 0)
    return NULL;
  target = vp_journal_store_get (db, d->seq, error);
  if (target == NULL)
    return NULL;

  stmt = vp_database_prepare (db, "SELECT coalesce (account_id, 0),"
                                  " coalesce ((SELECT seq FROM journal v WHERE v.voids = ?1), 0)"
                                  " FROM journal WHERE seq = ?1",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, d->seq);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      account_id = sqlite3_column_int64 (stmt, 0);
      voided_by = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);

  if (voided_by != 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Entry %" PRId64 " was already voided by entry %" PRId64),
                   d->seq, voided_by);
      return NULL;
    }
  p = vp_journal_entry_parse_payload (target);
  if (p == NULL || !vp_journal_ledger_from_payload (target->kind, p, &target_ledger, NULL))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                   _("Entry %" PRId64 " has an unreadable payload"), d->seq);
      return NULL;
    }
  /* What is reversed is what the signed entry says it took. */
  target_shift = target_ledger.shift;
  amount = target_ledger.amount;
  method = g_strdup (target_ledger.method);
  /* Credit moved between accounts belongs to no shift (no drawer
   * money): it is the open shift's when it came after the shift opened. */
  if (target_shift == 0 && amount == 0)
    {
      stmt = vp_database_prepare (db, "SELECT 1 FROM journal WHERE kind = 'shift.open'"
                                      " AND shift_id = ?1 AND seq < ?2", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, shift_id);
      sqlite3_bind_int64 (stmt, 2, d->seq);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        target_shift = shift_id;
      sqlite3_reset (stmt);
    }
  if (target_shift != shift_id)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Only transactions of the open shift can be voided"));
      return NULL;
    }
  if (g_str_equal (target->kind, VP_KIND_PAY))
    {
      if (!reverse_pay (db, p, account_id, error))
        return NULL;
    }
  else if (g_str_equal (target->kind, VP_KIND_ACCOUNT_OPEN))
    {
      if (!reverse_open (db, account_id, error))
        return NULL;
    }
  else if (g_str_equal (target->kind, VP_KIND_CREDIT_SETTLE))
    {
      /* Bills un-paid, the credit they used back on the account. */
      if (!reverse_pay (db, p, account_id, error))
        return NULL;
    }
  else if (g_str_equal (target->kind, VP_KIND_CREDIT_REFUND))
    {
      if (!reverse_refund (db, p, account_id, error))
        return NULL;
    }
  else if (g_str_equal (target->kind, VP_KIND_CREDIT_MOVE))
    {
      if (!reverse_move (db, p, account_id, error))
        return NULL;
    }
  else if (g_str_equal (target->kind, VP_KIND_ACCOUNT_CLOSE))
    {
      if (!reverse_close (db, p, account_id, error))
        return NULL;
    }
  else if (g_str_equal (target->kind, VP_KIND_ACCOUNT_TRANSFER))
    {
      if (!reverse_transfer (db, p, account_id, error))
        return NULL;
    }
  else if (g_str_equal (target->kind, VP_KIND_CARD_REISSUE))
    {
      /* Only the fee is given back: the old card stays blocked, the new
       * one stays the account's card. */
      if (amount == 0)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                       _("This card reissue took no fee; there is nothing to void"));
          return NULL;
        }
    }
  else if (g_str_equal (target->kind, VP_KIND_CASH_DROP) ||
           g_str_equal (target->kind, VP_KIND_CASH_PAID_IN) ||
           g_str_equal (target->kind, VP_KIND_CASH_PAID_OUT))
    {
      /* Cash movements touch no account: the void's signed amount puts
       * the cash back where it was. */
    }
  else
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("A %s entry cannot be voided"), target->kind);
      return NULL;
    }

  json_builder_begin_object (b);
  vp_json_add_int (b, "voided_seq", d->seq);
  vp_json_add_string (b, "voided_kind", target->kind);
  vp_json_add_string (b, "voided_uuid", target->uuid);
  vp_json_add_string (b, "account", json_object_get_string_member_with_default (p, "account", NULL));
  vp_json_add_money (b, "amount", amount);
  if (method)
    vp_json_add_string (b, "method", method);
  vp_json_add_string (b, "reason", d->reason);
  vp_json_add_string (b, "requested_by", d->requester->id);
  vp_json_add_string (b, "approved_by", d->staff->id);
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = shift_id;
  refs.account_id = account_id;
  refs.method = method;
  refs.amount = -amount;
  /* The void row names its target (journal.voids, unique): nothing in
   * the voided entry's row changes. */
  entry = vp_journal_store_append (db, VP_KIND_VOID, b, &refs, error);
  return entry;
}

VpJournalEntry *
vp_shift_store_void (VpDatabase    *db,
                     const VpStaff *supervisor,
                     gint64         seq,
                     const char    *reason,
                     GError       **error)
{
  return vp_shift_store_void_requested (db, supervisor, supervisor, seq, reason, error);
}

VpJournalEntry *
vp_shift_store_void_requested (VpDatabase    *db,
                               const VpStaff *requester,
                               const VpStaff *supervisor,
                               gint64         seq,
                               const char    *reason,
                               GError       **error)
{
  VoidData d = { requester, supervisor, seq, reason };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (requester, VP_ROLE_OPERATOR, _("Voiding a transaction"), error) ||
      !vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _("Voiding a transaction"), error))
    return NULL;
  if (reason == NULL || !vp_validate_note (reason, 200, error) || *reason == '\0')
    {
      if (error && *error == NULL)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("A void needs a reason"));
      return NULL;
    }
  return vp_store_run_tx (db, void_tx, &d, error);
}
