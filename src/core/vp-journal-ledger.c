/* vp-journal-ledger.c: the money each journal entry kind moves.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "vp-journal-ledger.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "vp-journal-entry.h"
#include "vp-money.h"
#include "vp-payload-private.h"

#define bad vp_payload_bad

/* An integer member; absent is 0 unless required (vp-payload-private.h). */
static gboolean
get_int (JsonObject *o,
         const char *kind,
         const char *member,
         gboolean    required,
         gint64     *out,
         GError    **error)
{
  return vp_payload_int (o, kind, member, required, G_MININT64, G_MAXINT64, out, error);
}

static gboolean
get_money (JsonObject *o,
           const char *kind,
           const char *member,
           gboolean    required,
           VpMoney    *out,
           GError    **error)
{
  if (!get_int (o, kind, member, required, out, error))
    return FALSE;
  if (*out < 0 || *out > VP_MONEY_MAX_TRANSACTION)
    return bad (error, kind, member, _("is out of range"));
  return TRUE;
}

static const char *
get_string (JsonObject *o,
            const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
get_method (JsonObject  *o,
            const char  *kind,
            const char **out,
            GError     **error)
{
  const char *m = get_string (o, "method");

  if (m == NULL)
    return bad (error, kind, "method", _("is missing"));
  if (strcmp (m, "cash") != 0 && strcmp (m, "card") != 0 && strcmp (m, "mobile") != 0)
    return bad (error, kind, "method", _("is not cash, card or mobile"));
  *out = m;
  return TRUE;
}

/* Money taken in under @member with the payload's method, if non-zero. */
static gboolean
taken (JsonObject      *o,
       const char      *kind,
       const char      *member,
       VpJournalLedger *out,
       GError         **error)
{
  if (!get_money (o, kind, member, TRUE, &out->amount, error))
    return FALSE;
  if (out->amount == 0)
    return TRUE;
  return get_method (o, kind, &out->method, error);
}

/* Money taken for a service: a sale when any was taken. */
static gboolean
sale (JsonObject      *o,
      const char      *kind,
      const char      *member,
      VpJournalLedger *out,
      GError         **error)
{
  if (!taken (o, kind, member, out, error))
    return FALSE;
  if (out->amount > 0)
    out->flow = VP_LEDGER_SALE;
  return TRUE;
}

/**
 * vp_journal_ledger_from_payload:
 * @kind: the entry kind
 * @payload: the entry's signed payload
 * @out: (out caller-allocates): the figures; strings borrow from @payload
 * @error: return location for a #GError
 *
 * Fails with %VP_JOURNAL_ERROR_INVALID when a member the kind's money
 * depends on is missing or malformed. Kinds that move no money give
 * amount 0 and no method.
 *
 * Returns: %TRUE on success
 */
gboolean
vp_journal_ledger_from_payload (const char      *kind,
                                JsonObject      *payload,
                                VpJournalLedger *out,
                                GError         **error)
{
  g_return_val_if_fail (kind != NULL, FALSE);
  g_return_val_if_fail (payload != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  out->staff = get_string (payload, "staff");
  if (!get_int (payload, kind, "shift", FALSE, &out->shift, error))
    return FALSE;
  if (out->shift < 0)
    return bad (error, kind, "shift", _("is out of range"));

  if (strcmp (kind, VP_KIND_PAY) == 0 || strcmp (kind, VP_KIND_TOPUP_INTENT) == 0)
    {
      VpMoney tendered, change;

      if (!sale (payload, kind, "amount", out, error))
        return FALSE;
      /* Cash handed over and change given back: tendered covers the
       * amount, change is exactly the rest. */
      if (!get_money (payload, kind, "tendered", FALSE, &tendered, error) ||
          !get_money (payload, kind, "change", FALSE, &change, error))
        return FALSE;
      if (json_object_has_member (payload, "tendered") &&
          (g_strcmp0 (out->method, "cash") != 0 || tendered < out->amount ||
           change != tendered - out->amount))
        return bad (error, kind, "tendered", _("does not match the amount and change"));
      return TRUE;
    }
  if (strcmp (kind, VP_KIND_ACCOUNT_OPEN) == 0 || strcmp (kind, VP_KIND_CARD_REISSUE) == 0)
    return sale (payload, kind, "fee", out, error);
  /* Change of holder: arrears_settled is money taken for the old
   * holder's arrears (a sale); credit_refunded is credit paid back to
   * the old holder in cash. Credit nets the arrears first, so at most
   * one of them is non-zero; the drawer effect is taken − refunded. */
  if (strcmp (kind, VP_KIND_ACCOUNT_TRANSFER) == 0)
    {
      VpMoney refunded, tendered, change;

      if (!sale (payload, kind, "arrears_settled", out, error) ||
          !get_money (payload, kind, "credit_refunded", FALSE, &refunded, error) ||
          !get_money (payload, kind, "tendered", FALSE, &tendered, error) ||
          !get_money (payload, kind, "change", FALSE, &change, error))
        return FALSE;
      if (json_object_has_member (payload, "tendered") &&
          (g_strcmp0 (out->method, "cash") != 0 || tendered < out->amount ||
           change != tendered - out->amount))
        return bad (error, kind, "tendered", _("does not match the amount and change"));
      if (refunded > 0)
        {
          if (out->amount > 0)
            return bad (error, kind, "credit_refunded", _("goes with arrears settled"));
          if (g_strcmp0 (get_string (payload, "refund"), "cash") != 0)
            return bad (error, kind, "refund", _("is not cash"));
          out->method = "cash";
          out->amount = -refunded;
          out->flow = VP_LEDGER_REFUND;
        }
      return TRUE;
    }
  /* Bills paid from the account's credit: no money crosses the desk. */
  if (strcmp (kind, VP_KIND_CREDIT_SETTLE) == 0)
    return TRUE;
  /* Credit paid back in cash: a refund out of the drawer. */
  if (strcmp (kind, VP_KIND_CREDIT_REFUND) == 0)
    {
      VpMoney amount;

      if (!get_money (payload, kind, "amount", TRUE, &amount, error))
        return FALSE;
      if (amount == 0)
        return bad (error, kind, "amount", _("is zero"));
      if (g_strcmp0 (get_string (payload, "method"), "cash") != 0)
        return bad (error, kind, "method", _("is not cash"));
      out->method = "cash";
      out->amount = -amount;
      out->flow = VP_LEDGER_REFUND;
      return TRUE;
    }
  /* Cash movements: always cash, always a positive amount, the sign
   * says which way it goes through the drawer. */
  if (strcmp (kind, VP_KIND_CASH_DROP) == 0 || strcmp (kind, VP_KIND_CASH_PAID_IN) == 0 ||
      strcmp (kind, VP_KIND_CASH_PAID_OUT) == 0)
    {
      VpMoney amount;

      if (!get_money (payload, kind, "amount", TRUE, &amount, error))
        return FALSE;
      if (amount == 0)
        return bad (error, kind, "amount", _("is out of range"));
      if (g_strcmp0 (get_string (payload, "method"), "cash") != 0)
        return bad (error, kind, "method", _("is not cash"));
      out->method = "cash";
      if (strcmp (kind, VP_KIND_CASH_PAID_IN) == 0)
        {
          out->amount = amount;
          out->flow = VP_LEDGER_PAID_IN;
        }
      else
        {
          out->amount = -amount;
          out->flow = strcmp (kind, VP_KIND_CASH_DROP) == 0 ? VP_LEDGER_DROP : VP_LEDGER_PAID_OUT;
        }
      return TRUE;
    }
  if (strcmp (kind, VP_KIND_ACCOUNT_CLOSE) == 0)
    {
      const char *refund = get_string (payload, "refund");
      VpMoney amount;

      if (!get_money (payload, kind, "amount", TRUE, &amount, error))
        return FALSE;
      if (g_strcmp0 (refund, "cash") == 0 && amount > 0)
        {
          out->method = "cash";
          out->amount = -amount;   /* paid out of the drawer */
          out->flow = VP_LEDGER_REFUND;
        }
      return TRUE;
    }
  /* A top-up reversal's intent and its abandon move no money: the money
   * goes back with the void that confirms it. They name what they work on. */
  if (strcmp (kind, VP_KIND_REVERSAL_INTENT) == 0 || strcmp (kind, VP_KIND_REVERSAL_ABANDON) == 0)
    {
      gint64 ref;
      const char *member = strcmp (kind, VP_KIND_REVERSAL_INTENT) == 0 ? "topup_seq"
                                                                         : "reversal_seq";

      if (!get_int (payload, kind, member, TRUE, &ref, error))
        return FALSE;
      if (ref <= 0)
        return bad (error, kind, member, _("is out of range"));
      return TRUE;
    }
  /* A duplicate receipt: names the entry it copies and which copy it is,
   * and moves no money (a reprint that claimed any would count twice). */
  if (strcmp (kind, VP_KIND_RECEIPT_REPRINT) == 0)
    {
      gint64 seq, copy;

      if (!get_int (payload, kind, "reprinted_seq", TRUE, &seq, error) ||
          !get_int (payload, kind, "copy", TRUE, &copy, error))
        return FALSE;
      if (seq <= 0)
        return bad (error, kind, "reprinted_seq", _("is out of range"));
      if (copy <= 0)
        return bad (error, kind, "copy", _("is out of range"));
      if (json_object_has_member (payload, "amount") || json_object_has_member (payload, "method"))
        return bad (error, kind, "amount", _("must not be given: a reprint moves no money"));
      return TRUE;
    }
  /* A supervisor's change to the staff names whom it changes and moves
   * no money: a staff entry that claimed any would count in the drawer. */
  if (g_str_has_prefix (kind, "staff."))
    {
      const char *target = get_string (payload, "target");

      if (target == NULL || *target == '\0')
        return bad (error, kind, "target", _("is missing"));
      if (json_object_has_member (payload, "amount") || json_object_has_member (payload, "method"))
        return bad (error, kind, "amount", _("must not be given: a staff change moves no money"));
      return TRUE;
    }
  if (strcmp (kind, VP_KIND_VOID) == 0)
    {
      VpMoney amount, credit_back, leftover_taken;

      if (!get_int (payload, kind, "voided_seq", TRUE, &out->voids, error))
        return FALSE;
      if (out->voids <= 0)
        return bad (error, kind, "voided_seq", _("is out of range"));
      /* What the void gives back, signed: the voided entry's own drawer
       * amount. Reversing money paid out (a refund, a drop, a paid-out)
       * gives back a negative amount: the cash comes back in. */
      if (!get_int (payload, kind, "amount", TRUE, &amount, error))
        return FALSE;
      if (amount < -VP_MONEY_MAX_TRANSACTION || amount > VP_MONEY_MAX_TRANSACTION)
        return bad (error, kind, "amount", _("is out of range"));
      if (amount != 0)
        {
          if (!get_method (payload, kind, &out->method, error))
            return FALSE;
          out->amount = -amount;
        }
      /* A top-up reversal gives the money back the way it came: the
       * amount through the drawer (above), the credit the purchase used
       * back onto the account, less the leftover fen it had put there.
       * Neither crosses the desk, but both must be money. */
      if (!get_money (payload, kind, "credit_back", FALSE, &credit_back, error) ||
          !get_money (payload, kind, "leftover_taken", FALSE, &leftover_taken, error))
        return FALSE;
      if (json_object_has_member (payload, "reversal_seq"))
        {
          gint64 ref;

          if (!get_int (payload, kind, "reversal_seq", TRUE, &ref, error))
            return FALSE;
          if (ref <= 0)
            return bad (error, kind, "reversal_seq", _("is out of range"));
          if (g_strcmp0 (get_string (payload, "voided_kind"), VP_KIND_TOPUP_INTENT) != 0)
            return bad (error, kind, "voided_kind", _("is not a top-up"));
        }
      out->flow = VP_LEDGER_VOID;
      return TRUE;
    }
  return TRUE;
}
