/* vp-cash-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-cash-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "vp-cash-store.h"
#include "vp-store-private.h"

static const struct
{
  const char *name;   /* as the CLI says it */
  const char *kind;
} movements[] = {
  [VP_CASH_DROP] = { "drop", VP_KIND_CASH_DROP },
  [VP_CASH_PAID_IN] = { "paid-in", VP_KIND_CASH_PAID_IN },
  [VP_CASH_PAID_OUT] = { "paid-out", VP_KIND_CASH_PAID_OUT },
};

const char *
vp_cash_movement_to_kind (VpCashMovement movement)
{
  g_return_val_if_fail (movement <= VP_CASH_PAID_OUT, NULL);
  return movements[movement].kind;
}

gboolean
vp_cash_movement_from_string (const char     *str,
                              VpCashMovement *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (movements); i++)
    if (g_strcmp0 (str, movements[i].name) == 0 || g_strcmp0 (str, movements[i].kind) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

typedef struct
{
  const VpStaff *staff;
  VpCashMovement movement;
  VpMoney        amount;
  const char    *reason;
} MoveData;

static VpJournalEntry *
move_tx (VpDatabase  *db,
         gpointer     data,
         GError     **error)
{
  MoveData *d = data;
  g_auto(VpShiftTotals) t = { 0 };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  gboolean out = d->movement != VP_CASH_PAID_IN;
  VpMoney after;

  if (vp_shift_store_require_open (db, error) == 0)
    return NULL;
  /* The drawer as the one fold sees it, inside this transaction. */
  if (!vp_shift_store_totals (db, 0, &t, error))
    return NULL;
  if (out && d->amount > t.expected_cash)
    {
      g_autofree char *amount = vp_money_format (d->amount);
      g_autofree char *expected = vp_money_format (t.expected_cash);

      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INSUFFICIENT,
                   _("Cannot take %s out of the drawer: only %s cash is expected in it"),
                   amount, expected);
      return NULL;
    }
  if (!(out ? vp_money_sub (t.expected_cash, d->amount, &after, error)
            : vp_money_add (t.expected_cash, d->amount, &after, error)))
    return NULL;

  json_builder_begin_object (b);
  vp_json_add_int (b, "shift", t.shift_id);
  vp_json_add_money (b, "amount", d->amount);
  vp_json_add_string (b, "method", "cash");
  vp_json_add_string (b, "reason", d->reason);
  vp_json_add_money (b, "expected_before", t.expected_cash);
  vp_json_add_money (b, "expected_after", after);
  vp_json_add_string (b, "approved_by", d->staff->id);
  vp_json_add_staff (b, d->staff);
  json_builder_end_object (b);

  refs.staff_id = d->staff->id;
  refs.shift_id = t.shift_id;
  refs.method = "cash";
  refs.amount = out ? -d->amount : d->amount;
  return vp_journal_store_append (db, movements[d->movement].kind, b, &refs, error);
}

static gboolean
blank (const char *text)
{
  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

VpJournalEntry *
vp_cash_store_move (VpDatabase     *db,
                    const VpStaff  *supervisor,
                    VpCashMovement  movement,
                    VpMoney         amount,
                    const char     *reason,
                    GError        **error)
{
  MoveData d = { supervisor, movement, amount, reason };
  static const char *what[] = {
    [VP_CASH_DROP] = N_("A cash drop"),
    [VP_CASH_PAID_IN] = N_("A paid-in"),
    [VP_CASH_PAID_OUT] = N_("A paid-out"),
  };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  g_return_val_if_fail (movement <= VP_CASH_PAID_OUT, NULL);

  if (!vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _(what[movement]), error) ||
      !vp_store_check_amount (amount, _(what[movement]), error))
    return NULL;
  if (reason == NULL || !vp_validate_note (reason, 200, error) || blank (reason))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                     _("%s needs a reason"), _(what[movement]));
      return NULL;
    }
  return vp_store_run_tx (db, move_tx, &d, error);
}
