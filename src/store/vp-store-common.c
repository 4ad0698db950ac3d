/* vp-store-common.c: transaction runner and helpers shared by the stores.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "vp-store-private.h"

VpJournalEntry *
vp_store_run_tx (VpDatabase  *db,
                 VpTxFunc     func,
                 gpointer     data,
                 GError     **error)
{
  g_autoptr(VpJournalEntry) entry = NULL;

  vp_database_lock (db);
  if (!vp_database_begin (db, error))
    {
      vp_database_unlock (db);
      return NULL;
    }
  entry = func (db, data, error);
  if (entry == NULL)
    {
      vp_database_rollback (db);
      vp_database_unlock (db);
      return NULL;
    }
  if (!vp_database_commit (db, error))
    {
      vp_database_unlock (db);
      return NULL;
    }
  vp_database_unlock (db);
  return g_steal_pointer (&entry);
}

gboolean
vp_store_step_done (VpDatabase   *db,
                    sqlite3_stmt *stmt,
                    GError      **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return vp_database_set_error (db, rc, error);
  return TRUE;
}

char *
vp_store_local_date (gint64 usec)
{
  g_autoptr(GDateTime) dt = vp_store_local_datetime (usec);

  return g_date_time_format (dt, "%Y-%m-%d");
}

gint64
vp_shift_store_require_open (VpDatabase  *db,
                             GError     **error)
{
  gint64 id = vp_shift_store_current (db);

  if (id == 0)
    g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                 _("No shift is open; open a shift with a cash float first"));
  return id;
}

void
vp_json_add_money (JsonBuilder *b,
                   const char  *name,
                   VpMoney      amount)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, amount);
}

void
vp_json_add_int (JsonBuilder *b,
                 const char  *name,
                 gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

void
vp_json_add_string (JsonBuilder *b,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

void
vp_json_add_staff (JsonBuilder   *b,
                   const VpStaff *staff)
{
  vp_json_add_string (b, "staff", staff ? staff->id : NULL);
}

void
vp_json_add_account (JsonBuilder     *b,
                     const VpAccount *account)
{
  vp_json_add_string (b, "account", account->number);
  vp_json_add_string (b, "holder", account->holder);
  vp_json_add_string (b, "address", account->address);
  /* Signed so that collections by estate (vp-figures.c) come from the
   * payload, not from an account row that may change later. */
  vp_json_add_string (b, "estate", account->estate);
}

/* 13–19 digits passing the Luhn check: a bank card number (PAN). */
static gboolean
looks_like_card_number (const char *s)
{
  gsize len = strlen (s);
  guint sum = 0;

  if (len < 13 || len > 19)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guint d;

      if (!g_ascii_isdigit (s[len - 1 - i]))
        return FALSE;
      d = s[len - 1 - i] - '0';
      if (i % 2 == 1)
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
  return sum % 10 == 0;
}

gboolean
vp_store_check_payment (VpPaymentMethod  method,
                        const char      *reference,
                        GError         **error)
{
  if (method == VP_PAYMENT_CASH && (reference == NULL || *reference == '\0'))
    return TRUE;
  if (reference == NULL || *reference == '\0')
    {
      g_set_error_literal (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                           method == VP_PAYMENT_CARD
                           ? _("A card payment needs the terminal's reference number")
                           : _("A mobile payment needs the terminal's reference number"));
      return FALSE;
    }
  if (strlen (reference) > 40)
    goto bad;
  for (const char *p = reference; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      goto bad;
  /* The van never stores card numbers: a mistyped PAN must not end up
   * in the journal. */
  if (looks_like_card_number (reference))
    {
      g_set_error_literal (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                           _("That looks like a bank card number; enter the terminal's "
                             "reference number instead, never the card number"));
      return FALSE;
    }
  return TRUE;

bad:
  g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
               _("Payment reference must be 1–40 letters, digits, '-' or '_'"));
  return FALSE;
}

gboolean
vp_store_check_amount (VpMoney      amount,
                       const char  *what,
                       GError     **error)
{
  if (amount <= 0)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("%s must be more than ¥0.00"), what);
      return FALSE;
    }
  if (amount > VP_MONEY_MAX_TRANSACTION)
    {
      g_autofree char *max = vp_money_format (VP_MONEY_MAX_TRANSACTION);
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   _("%s is over the %s limit for one transaction"), what, max);
      return FALSE;
    }
  return TRUE;
}

void
vp_json_add_payment (JsonBuilder     *b,
                     VpPaymentMethod  method,
                     const char      *reference)
{
  vp_json_add_string (b, "method", vp_payment_method_to_string (method));
  if (reference != NULL && *reference != '\0')
    vp_json_add_string (b, "reference", reference);
}

GDateTime *
vp_store_local_datetime (gint64 usec)
{
  g_autoptr(GDateTime) secs = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  return g_date_time_add (secs, usec % G_USEC_PER_SEC);
}
