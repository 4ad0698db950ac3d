/* vp-bill-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-bill-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "vp-store-private.h"

typedef struct
{
  const VpStaff  *staff;
  const char     *number;
  VpMoney         amount;    /* money taken; 0: settle from credit only */
  VpPaymentMethod method;
  const char     *reference;
  VpMoney         tendered;   /* cash handed over; 0: not recorded */
} PayData;

/* The account position (DESIGN §3): the credit the account holds pays
 * its oldest open bills first, then the money taken pays what is still
 * due, oldest first; money left over becomes credit. So an account never
 * leaves a payment with both arrears and credit. amount 0 settles from
 * credit alone (kind credit.settle, no money, no method). */
static VpJournalEntry *
pay_tx (VpDatabase  *db,
        gpointer     data,
        GError     **error)
{
  PayData *d = data;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(GPtrArray) bills = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  gboolean settle = d->amount == 0;
  VpMoney left = d->amount;
  VpMoney credit_applied;
  VpMoney credit_left;
  VpMoney credit_after;
  VpMoney arrears_after = 0;
  sqlite3_stmt *stmt;
  gint64 shift_id;

  if ((shift_id = vp_shift_store_require_open (db, error)) == 0)
    return NULL;
  a = vp_account_store_load (db, d->number, FALSE, error);
  if (a == NULL)
    return NULL;
  bills = vp_account_store_list_bills (db, a->id, TRUE, error);
  if (bills == NULL)
    return NULL;

  credit_applied = MIN (MAX (a->balance, 0), a->arrears);
  if (settle && credit_applied == 0)
    {
      g_autofree char *credit = vp_money_format (a->balance);
      g_autofree char *arrears = vp_money_format (a->arrears);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s has %s of credit and %s of unpaid bills: nothing to settle "
                     "from credit"), a->number, credit, arrears);
      return NULL;
    }
  credit_left = credit_applied;

  json_builder_begin_object (b);
  vp_json_add_account (b, a);
  vp_json_add_money (b, "amount", d->amount);
  if (!settle)
    vp_json_add_payment (b, d->method, d->reference);
  if (d->tendered > 0)
    {
      vp_json_add_money (b, "tendered", d->tendered);
      vp_json_add_money (b, "change", d->tendered - d->amount);
    }
  vp_json_add_money (b, "arrears_before", a->arrears);
  vp_json_add_money (b, "credit_applied", credit_applied);
  vp_json_add_money (b, "due_after_credit", a->arrears - credit_applied);
  json_builder_set_member_name (b, "bills");
  json_builder_begin_array (b);

  stmt = vp_database_prepare (db, "UPDATE bills SET paid = paid + ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  for (guint i = 0; i < bills->len; i++)
    {
      VpBill *bill = bills->pdata[i];
      VpMoney due = bill->amount - bill->paid;
      VpMoney from_credit = MIN (due, credit_left);
      VpMoney from_money = MIN (due - from_credit, left);
      VpMoney pay = from_credit + from_money;

      if (pay > 0)
        {
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
      arrears_after += due - pay;
    }
  json_builder_end_array (b);
  g_assert (credit_left == 0);

  if (!vp_money_add (a->balance - credit_applied, left, &credit_after, error) ||
      !vp_account_store_set_balance (db, a->id, credit_after, error))
    return NULL;

  vp_json_add_money (b, "to_credit", left);
  vp_json_add_money (b, "arrears_after", arrears_after);
  vp_json_add_money (b, "credit_before", a->balance);
  vp_json_add_money (b, "credit_after", credit_after);
  vp_json_add_staff (b, d->staff);
  vp_json_add_int (b, "shift", shift_id);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = shift_id;
  refs.account_id = a->id;
  refs.method = settle ? NULL : vp_payment_method_to_string (d->method);
  refs.amount = d->amount;
  return vp_journal_store_append (db, settle ? VP_KIND_CREDIT_SETTLE : VP_KIND_PAY, b, &refs,
                                  error);
}

VpJournalEntry *
vp_bill_store_pay (VpDatabase      *db,
                   const VpStaff   *staff,
                   const char      *number,
                   VpMoney          amount,
                   VpPaymentMethod  method,
                   const char      *reference,
                   GError         **error)
{
  PayData d = { staff, number, amount, method, reference };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Taking a payment"), error) ||
      !vp_store_check_amount (amount, _("The payment"), error) ||
      !vp_store_check_payment (method, reference, error))
    return NULL;
  return vp_store_run_tx (db, pay_tx, &d, error);
}

VpJournalEntry *
vp_bill_store_settle_from_credit (VpDatabase     *db,
                                  const VpStaff  *staff,
                                  const char     *number,
                                  GError        **error)
{
  PayData d = { staff, number, 0, VP_PAYMENT_CASH, NULL };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Settling bills from credit"), error))
    return NULL;
  return vp_store_run_tx (db, pay_tx, &d, error);
}

gboolean
vp_bill_store_position (VpDatabase  *db,
                        const char  *number,
                        VpPosition  *out,
                        GError     **error)
{
  g_autoptr(VpAccount) a = NULL;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  a = vp_account_store_get (db, number, error);
  if (a == NULL)
    return FALSE;
  vp_position_compute (a->arrears, a->balance, out);
  return TRUE;
}

void
vp_position_compute (VpMoney     arrears,
                     VpMoney     credit,
                     VpPosition *out)
{
  out->arrears = arrears;
  out->credit = credit;
  out->credit_applied = MIN (MAX (credit, 0), arrears);
  out->due = arrears - out->credit_applied;
  out->credit_left = credit - out->credit_applied;
}

/* --- credit refund ---------------------------------------------------------- */

typedef struct
{
  const VpStaff *staff;
  const char    *number;
  VpMoney        amount;
  const char    *reason;
} RefundData;

static VpJournalEntry *
refund_tx (VpDatabase  *db,
           gpointer     data,
           GError     **error)
{
  RefundData *d = data;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  VpMoney credit_after;
  gint64 shift_id;

  /* Cash leaves the drawer: it belongs to a shift. */
  if ((shift_id = vp_shift_store_require_open (db, error)) == 0)
    return NULL;
  a = vp_account_store_load (db, d->number, FALSE, error);
  if (a == NULL)
    return NULL;
  /* Credit pays the account's own bills before any of it is handed out. */
  if (a->arrears > 0)
    {
      g_autofree char *s = vp_money_format (a->arrears);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s has %s of unpaid bills; settle them from credit first"),
                   a->number, s);
      return NULL;
    }
  if (d->amount > a->balance)
    {
      g_autofree char *want = vp_money_format (d->amount);
      g_autofree char *have = vp_money_format (MAX (a->balance, 0));
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT,
                   _("Account %s has %s of credit, less than %s"), a->number, have, want);
      return NULL;
    }
  credit_after = a->balance - d->amount;
  if (!vp_account_store_set_balance (db, a->id, credit_after, error))
    return NULL;

  json_builder_begin_object (b);
  vp_json_add_account (b, a);
  vp_json_add_money (b, "amount", d->amount);
  vp_json_add_string (b, "method", "cash");
  vp_json_add_money (b, "credit_before", a->balance);
  vp_json_add_money (b, "credit_after", credit_after);
  vp_json_add_money (b, "arrears_after", a->arrears);
  vp_json_add_string (b, "reason", d->reason);
  vp_json_add_string (b, "approved_by", d->staff->id);
  vp_json_add_staff (b, d->staff);
  vp_json_add_int (b, "shift", shift_id);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = shift_id;
  refs.account_id = a->id;
  refs.method = "cash";
  refs.amount = -d->amount;   /* paid out of the drawer */
  return vp_journal_store_append (db, VP_KIND_CREDIT_REFUND, b, &refs, error);
}

VpJournalEntry *
vp_bill_store_refund_credit (VpDatabase    *db,
                             const VpStaff *supervisor,
                             const char    *number,
                             VpMoney        amount,
                             const char    *reason,
                             GError       **error)
{
  RefundData d = { supervisor, number, amount, reason };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _("Refunding credit"), error) ||
      !vp_store_check_amount (amount, _("The refund"), error))
    return NULL;
  if (reason != NULL && !vp_validate_text_field (reason, 200, "Reason", error))
    return NULL;
  return vp_store_run_tx (db, refund_tx, &d, error);
}

/* A cash payment with the cash handed over and the change given back
 * recorded in the signed payload (issue 9). */
VpJournalEntry *
vp_bill_store_pay_tendered (VpDatabase      *db,
                            const VpStaff   *staff,
                            const char      *number,
                            VpMoney          amount,
                            VpMoney          tendered,
                            GError         **error)
{
  PayData d = { staff, number, amount, VP_PAYMENT_CASH, NULL, tendered };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("Taking a payment"), error) ||
      !vp_store_check_amount (amount, _("The payment"), error) ||
      !vp_store_check_amount (tendered, _("The cash tendered"), error))
    return NULL;
  if (tendered < amount)
    {
      g_autofree char *t = vp_money_format (tendered);
      g_autofree char *a = vp_money_format (amount);

      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("The cash tendered (%s) is less than the payment (%s)"), t, a);
      return NULL;
    }
  return vp_store_run_tx (db, pay_tx, &d, error);
}
