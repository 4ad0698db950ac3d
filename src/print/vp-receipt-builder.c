/* vp-receipt-builder.c: what a receipt says for each kind of entry.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-print"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "vp-receipt-builder.h"

G_DEFINE_QUARK (vp-print-error-quark, vp_print_error)

static const char *
str (JsonObject *o,
     const char *member)
{
  if (!json_object_has_member (o, member) || json_object_get_null_member (o, member))
    return NULL;
  return json_object_get_string_member_with_default (o, member, NULL);
}

static gboolean
has_int (JsonObject *o,
         const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64;
}

static void
money (VpReceipt  *r,
       JsonObject *o,
       const char *member,
       const char *label,
       gboolean    bold)
{
  if (has_int (o, member))
    vp_receipt_add_money (r, label, json_object_get_int_member (o, member), bold);
}

static void
volume (VpReceipt  *r,
        JsonObject *o,
        const char *member,
        const char *label)
{
  if (has_int (o, member))
    {
      g_autofree char *v = vp_volume_format (json_object_get_int_member (o, member));
      vp_receipt_add_pair (r, label, v, FALSE);
    }
}

static void
pair (VpReceipt  *r,
      JsonObject *o,
      const char *member,
      const char *label)
{
  const char *v = str (o, member);

  if (v != NULL && *v != '\0')
    vp_receipt_add_pair (r, label, v, FALSE);
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) secs = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  if (secs == NULL)
    return g_strdup ("");
  return g_date_time_format (secs, "%Y-%m-%d %H:%M:%S");
}

static char *
receipt_number (const VpJournalEntry *e)
{
  return vp_journal_receipt_number (e->van_id, e->device_time, e->seq);
}

/* A top-up's price (DESIGN §3): each tier's volume at its price, the
 * free allowance and the concession discount, as the signed quote has
 * them. */
static void
quote_lines (VpReceipt  *r,
             JsonObject *o)
{
  JsonArray *tiers = json_object_has_member (o, "tiers") ? json_object_get_array_member (o, "tiers") : NULL;

  for (guint i = 0; tiers != NULL && i < json_array_get_length (tiers); i++)
    {
      JsonObject *t = json_array_get_object_element (tiers, i);
      gint64 tier;
      g_autofree char *v = NULL;
      g_autofree char *label = NULL;

      if (t == NULL || !has_int (t, "tier") || !has_int (t, "volume"))
        continue;
      tier = json_object_get_int_member (t, "tier");
      v = vp_volume_format (json_object_get_int_member (t, "volume"));
      if (tier < 0)
        label = g_strdup_printf (_("Free %s"), v);
      else if (has_int (t, "price"))
        {
          g_autofree char *price = vp_money_format (json_object_get_int_member (t, "price"));
          /* Translators: tier number, volume, price per cubic metre */
          label = g_strdup_printf (_("Tier %d %s × %s"), (int)tier + 1, v, price);
        }
      else
        label = g_strdup_printf (_("Tier %d %s"), (int)tier + 1, v);
      money (r, t, "amount", label, FALSE);
    }
  if (has_int (o, "free_volume") && json_object_get_int_member (o, "free_volume") > 0)
    volume (r, o, "free_volume", _("Free allowance used"));
  if (has_int (o, "discount") && json_object_get_int_member (o, "discount") > 0)
    {
      g_autofree char *d = vp_money_format (json_object_get_int_member (o, "discount"));
      g_autofree char *neg = g_strconcat ("-", d, NULL);

      vp_receipt_add_pair (r, _("Concession discount"), neg, FALSE);
    }
  money (r, o, "charged", _("Total price"), FALSE);
}

static const char *
method_label (const char *method)
{
  if (g_strcmp0 (method, "cash") == 0)
    return _("Cash");
  if (g_strcmp0 (method, "card") == 0)
    return _("Bank card");
  if (g_strcmp0 (method, "mobile") == 0)
    return _("Mobile pay");
  return method;
}

static const char *
kind_title (const char *kind)
{
  static const struct { const char *kind; const char *title; } titles[] = {
    { VP_KIND_PAY, N_("Bill payment") },
    { VP_KIND_TOPUP_INTENT, N_("Card top-up (pending)") },
    { VP_KIND_TOPUP_CONFIRM, N_("Card top-up") },
    { VP_KIND_TOPUP_VOID, N_("Top-up not written – credited") },
    { VP_KIND_ACCOUNT_OPEN, N_("New account") },
    { VP_KIND_ACCOUNT_TRANSFER, N_("Change of holder") },
    { VP_KIND_ACCOUNT_CLOSE, N_("Account closed") },
    { VP_KIND_CREDIT_MOVE, N_("Credit transfer") },
    { VP_KIND_CREDIT_SETTLE, N_("Bills paid from credit") },
    { VP_KIND_CREDIT_REFUND, N_("Credit refund") },
    { VP_KIND_CARD_REISSUE, N_("Card reissued") },
    { VP_KIND_LOG_CONSULTATION, N_("Consultation") },
    { VP_KIND_LOG_VISIT, N_("Home visit") },
    { VP_KIND_LOG_COMPLAINT, N_("Complaint") },
    { VP_KIND_TRIP_START, N_("Trip started") },
    { VP_KIND_TRIP_END, N_("Trip ended") },
    { VP_KIND_SHIFT_OPEN, N_("Shift opened") },
    { VP_KIND_SHIFT_CLOSE, N_("Z report") },
    { VP_KIND_VOID, N_("Void") },
    { VP_KIND_CASH_DROP, N_("Cash drop to safe") },
    { VP_KIND_CASH_PAID_IN, N_("Cash paid in") },
    { VP_KIND_CASH_PAID_OUT, N_("Cash paid out") },
    { VP_KIND_JOURNAL_BREAK, N_("Journal break acknowledged") },
    { VP_KIND_LIMITS_SET, N_("Offline limit set") },
    { VP_KIND_RECEIPT_REPRINT, N_("Receipt reprinted") },
    { VP_KIND_STAFF_ADD, N_("Staff added") },
    { VP_KIND_STAFF_DISABLE, N_("Staff disabled") },
    { VP_KIND_STAFF_PIN_RESET, N_("Staff PIN reset") },
    { VP_KIND_STAFF_UNLOCK, N_("Staff unlocked") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_str_equal (kind, titles[i].kind))
      return _(titles[i].title);
  return kind;
}

/* A device time in µs as local time. */
static void
time_pair (VpReceipt  *r,
           JsonObject *o,
           const char *member,
           const char *label)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *text = NULL;

  if (!has_int (o, member) || json_object_get_int_member (o, member) <= 0)
    return;
  dt = g_date_time_new_from_unix_local (json_object_get_int_member (o, member) / G_USEC_PER_SEC);
  text = g_date_time_format (dt, "%Y-%m-%d %H:%M");
  vp_receipt_add_pair (r, label, text, FALSE);
}

VpReceipt *
vp_receipt_build_shift_report (JsonObject *o,
                               gboolean    closing)
{
  g_autoptr(VpReceipt) r = vp_receipt_new ();

  vp_receipt_add_title (r, closing ? _("Z report") : _("X report"));
  if (closing && has_int (o, "z_number"))
    {
      g_autofree char *z = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (o, "z_number"));
      vp_receipt_add_pair (r, _("Z number"), z, TRUE);
    }
  if (has_int (o, "shift"))
    {
      g_autofree char *s = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (o, "shift"));
      vp_receipt_add_pair (r, _("Shift"), s, FALSE);
    }
  pair (r, o, "opened_by", _("Opened by"));
  time_pair (r, o, "opened_at", _("Opened at"));
  time_pair (r, o, "closed_at", _("Closed at"));
  pair (r, o, "first_receipt", _("First receipt"));
  pair (r, o, "last_receipt", _("Last receipt"));
  vp_receipt_add_separator (r);
  money (r, o, "float", _("Cash float"), FALSE);
  money (r, o, "cash_in", _("Cash taken"), FALSE);
  /* Cash in and out by kind of entry, voided entries left out. */
  if (json_object_has_member (o, "by_kind"))
    {
      JsonArray *kinds = json_object_get_array_member (o, "by_kind");

      for (guint i = 0; kinds != NULL && i < json_array_get_length (kinds); i++)
        {
          JsonObject *k = json_array_get_object_element (kinds, i);
          const char *kind = str (k, "kind");

          if (kind != NULL && has_int (k, "cash") && json_object_get_int_member (k, "cash") != 0)
            {
              g_autofree char *label = g_strdup_printf ("  %s ×%" G_GINT64_FORMAT, kind_title (kind),
                                                        json_object_get_int_member (k, "count"));
              money (r, k, "cash", label, FALSE);
            }
        }
    }
  money (r, o, "cash_out", _("Cash refunds"), FALSE);
  money (r, o, "drops", _("Cash drops"), FALSE);
  money (r, o, "paid_in", _("Paid in"), FALSE);
  money (r, o, "paid_out", _("Paid out"), FALSE);
  money (r, o, "card_in", _("Bank card"), FALSE);
  money (r, o, "mobile_in", _("Mobile pay"), FALSE);
  money (r, o, "expected_cash", _("Expected cash"), TRUE);
  money (r, o, "counted", _("Counted cash"), TRUE);
  money (r, o, "difference", _("Difference"), TRUE);
  if (has_int (o, "transactions"))
    {
      g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (o, "transactions"));
      vp_receipt_add_pair (r, _("Transactions"), n, FALSE);
    }
  if (has_int (o, "voids"))
    {
      g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (o, "voids"));
      vp_receipt_add_pair (r, _("Voids"), n, FALSE);
    }
  if (json_object_has_member (o, "voided"))
    {
      JsonArray *voided = json_object_get_array_member (o, "voided");

      for (guint i = 0; voided != NULL && i < json_array_get_length (voided); i++)
        {
          JsonObject *v = json_array_get_object_element (voided, i);
          g_autofree char *what = g_strdup_printf (_("Voided #%" PRId64),
                                                   json_object_get_int_member (v, "seq"));
          g_autofree char *label = g_strconcat ("  ", what, NULL);
          money (r, v, "amount", label, FALSE);
        }
    }
  if (has_int (o, "hq_acked_entries"))
    {
      g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            json_object_get_int_member (o, "hq_acked_entries"));
      vp_receipt_add_separator (r);
      vp_receipt_add_pair (r, _("HQ acknowledged entries"), n, FALSE);
      money (r, o, "hq_acked_amount", _("HQ acknowledged total"), FALSE);
      if (has_int (o, "hq_acked_seq") && str (o, "hq_acked_hash"))
        {
          g_autofree char *head = g_strdup_printf ("#%" G_GINT64_FORMAT " %.12s",
                                                   json_object_get_int_member (o, "hq_acked_seq"),
                                                   str (o, "hq_acked_hash"));
          vp_receipt_add_pair (r, _("HQ acknowledged head"), head, FALSE);
        }
    }
  pair (r, o, "staff", _("Supervisor"));
  return g_steal_pointer (&r);
}

VpReceipt *
vp_receipt_build_for_entry (const VpJournalEntry *entry,
                            GError              **error)
{
  return vp_receipt_build_for_entry_in (entry, NULL, error);
}

VpReceipt *
vp_receipt_build_for_entry_in (const VpJournalEntry   *entry,
                               const VpReceiptContext *context,
                               GError                **error)
{
  static const VpReceiptContext no_context = { 0 };
  g_autoptr(VpReceipt) r = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *receipt_no = NULL;
  g_autofree char *code = NULL;
  g_autoptr(GDateTime) secs = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *when = NULL;
  JsonNode *root;
  JsonObject *o;
  const char *kind;

  g_return_val_if_fail (entry != NULL, NULL);

  if (!json_parser_load_from_data (parser, entry->payload ? entry->payload : "", -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_ENTRY,
                   _("Entry %" PRId64 " has an unreadable payload"), entry->seq);
      return NULL;
    }
  o = json_node_get_object (root);
  kind = entry->kind;

  if (g_str_equal (kind, VP_KIND_SHIFT_CLOSE))
    r = vp_receipt_build_shift_report (o, TRUE);
  else
    {
      r = vp_receipt_new ();
      vp_receipt_add_title (r, kind_title (kind));
    }

  receipt_no = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
  code = vp_journal_verify_code (entry->hash);
  secs = g_date_time_new_from_unix_local (entry->device_time / G_USEC_PER_SEC);
  dt = g_date_time_add (secs, entry->device_time % G_USEC_PER_SEC);
  when = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");

  vp_receipt_add_center (r, receipt_no);
  vp_receipt_add_center (r, when);
  if (context == NULL)
    context = &no_context;
  /* A copy and a cancelled receipt must never pass for the original: the
   * marks come first, in both languages. */
  if (context->voided_by != NULL)
    {
      g_autofree char *by = receipt_number (context->voided_by);
      g_autofree char *at = format_time (context->voided_by->device_time);

      vp_receipt_add_title (r, VP_RECEIPT_MARK_VOID);
      vp_receipt_add_pair (r, _("Voided by"), by, TRUE);
      vp_receipt_add_pair (r, _("Voided at"), at, FALSE);
    }
  if (context->copy > 0)
    {
      g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, context->copy);

      vp_receipt_add_title (r, VP_RECEIPT_MARK_DUPLICATE);
      vp_receipt_add_pair (r, _("Reprint no."), n, TRUE);
      if (context->copy_entry != NULL)
        {
          g_autofree char *no = receipt_number (context->copy_entry);
          g_autofree char *at = format_time (context->copy_entry->device_time);

          vp_receipt_add_pair (r, _("Reprint"), no, FALSE);
          vp_receipt_add_pair (r, _("Reprinted at"), at, FALSE);
        }
    }
  vp_receipt_add_separator (r);

  if (!g_str_equal (kind, VP_KIND_SHIFT_CLOSE))
    {
      pair (r, o, "account", _("Account"));
      pair (r, o, "holder", _("Holder"));
      pair (r, o, "address", _("Address"));
      pair (r, o, "card_number", _("Card"));
    }

  if (g_str_equal (kind, VP_KIND_PAY) || g_str_equal (kind, VP_KIND_CREDIT_SETTLE))
    {
      JsonArray *bills = json_object_has_member (o, "bills") ? json_object_get_array_member (o, "bills") : NULL;

      money (r, o, "arrears_before", _("Arrears before"), FALSE);
      /* The account position (DESIGN §3): credit pays first, money the rest. */
      money (r, o, "credit_before", _("Credit before"), FALSE);
      money (r, o, "credit_applied", _("Credit applied"), FALSE);
      for (guint i = 0; bills != NULL && i < json_array_get_length (bills); i++)
        {
          JsonObject *b = json_array_get_object_element (bills, i);
          g_autofree char *label = g_strdup_printf (_("Bill %s"), json_object_get_string_member (b, "period"));
          money (r, b, "paid", label, FALSE);
        }
      money (r, o, "amount", _("Paid"), TRUE);
      money (r, o, "tendered", _("Tendered"), FALSE);
      money (r, o, "change", _("Change"), FALSE);
      money (r, o, "to_credit", _("To credit"), FALSE);
      money (r, o, "arrears_after", _("Arrears left"), FALSE);
      money (r, o, "credit_after", _("Credit now"), FALSE);
    }
  else if (g_str_equal (kind, VP_KIND_CREDIT_REFUND))
    {
      money (r, o, "credit_before", _("Credit before"), FALSE);
      money (r, o, "amount", _("Refunded in cash"), TRUE);
      money (r, o, "credit_after", _("Credit now"), FALSE);
      pair (r, o, "reason", _("Reason"));
      pair (r, o, "approved_by", _("Approved by"));
    }
  else if (g_str_equal (kind, VP_KIND_TOPUP_INTENT) || g_str_equal (kind, VP_KIND_TOPUP_CONFIRM) ||
           g_str_equal (kind, VP_KIND_TOPUP_VOID))
    {
      quote_lines (r, o);
      volume (r, o, "volume", _("Volume"));
      if (has_int (o, "counter"))
        {
          g_autofree char *c = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (o, "counter"));
          vp_receipt_add_pair (r, _("Purchase no."), c, FALSE);
        }
      money (r, o, "credit_before", _("Credit before"), FALSE);
      money (r, o, "credit_used", _("Paid from credit"), FALSE);
      money (r, o, "amount", _("Paid"), TRUE);
      money (r, o, "tendered", _("Tendered"), FALSE);
      money (r, o, "change", _("Change"), FALSE);
      money (r, o, "to_credit", _("To credit"), FALSE);
      money (r, o, "credit_after", _("Credit now"), FALSE);
      pair (r, o, "reason", _("Reason"));
    }
  else if (g_str_equal (kind, VP_KIND_ACCOUNT_OPEN))
    {
      pair (r, o, "id_masked", _("ID number"));
      pair (r, o, "phone", _("Phone"));
      money (r, o, "fee", _("Fee"), TRUE);
    }
  else if (g_str_equal (kind, VP_KIND_ACCOUNT_TRANSFER))
    {
      JsonObject *old = json_object_get_object_member (o, "old_holder");
      JsonObject *new = json_object_get_object_member (o, "new_holder");

      if (old)
        pair (r, old, "name", _("Old holder"));
      if (new)
        pair (r, new, "name", _("New holder"));
      volume (r, o, "last_reading", _("Last reading"));
      volume (r, o, "final_reading", _("Final reading"));
      if (json_object_has_member (o, "final_bill"))
        {
          JsonObject *fb = json_object_get_object_member (o, "final_bill");

          volume (r, fb, "litres", _("Used since"));
          money (r, fb, "amount", _("Final bill"), FALSE);
        }
      /* The old holder's position closed (DESIGN §3): credit nets the
       * arrears, money pays or the rest is carried; credit left is
       * refunded or carried with consent. */
      money (r, o, "arrears", _("Arrears"), FALSE);
      money (r, o, "credit_before", _("Credit before"), FALSE);
      money (r, o, "credit_applied", _("Credit applied"), FALSE);
      money (r, o, "arrears_settled", _("Arrears paid"), TRUE);
      pair (r, o, "method", _("Method"));
      money (r, o, "tendered", _("Tendered"), FALSE);
      money (r, o, "change", _("Change"), FALSE);
      money (r, o, "arrears_carried", _("Arrears carried"), FALSE);
      money (r, o, "credit_refunded", _("Refunded in cash"), FALSE);
      money (r, o, "credit_carried", _("Credit carried"), FALSE);
      if (json_object_get_boolean_member_with_default (o, "credit_consent", FALSE))
        vp_receipt_add_pair (r, _("Credit carried"), _("with the old holder's consent"), FALSE);
      if (new)
        pair (r, new, "tariff_class", _("New tariff class"));
      pair (r, o, "approved_by", _("Approved by"));
    }
  else if (g_str_equal (kind, VP_KIND_CREDIT_MOVE) || g_str_equal (kind, VP_KIND_ACCOUNT_CLOSE))
    {
      money (r, o, "amount", _("Amount"), TRUE);
      money (r, o, "balance_after", _("Balance now"), FALSE);
      pair (r, o, "to_account", _("To account"));
      pair (r, o, "to_holder", _("To holder"));
      money (r, o, "to_balance_after", _("Its balance now"), FALSE);
    }
  else if (g_str_equal (kind, VP_KIND_VOID))
    {
      if (context->voided != NULL)
        {
          g_autofree char *no = receipt_number (context->voided);

          vp_receipt_add_pair (r, _("Reverses"), no, TRUE);
          vp_receipt_add_pair (r, _("Reversed"), kind_title (context->voided->kind), FALSE);
        }
      else if (has_int (o, "voided_seq"))
        {
          g_autofree char *s = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (o, "voided_seq"));
          vp_receipt_add_pair (r, _("Voided entry"), s, FALSE);
        }
      money (r, o, "amount", _("Amount reversed"), TRUE);
      pair (r, o, "reason", _("Reason"));
      pair (r, o, "approved_by", _("Approved by"));
    }
  else if (g_str_equal (kind, VP_KIND_CASH_DROP) || g_str_equal (kind, VP_KIND_CASH_PAID_IN) ||
           g_str_equal (kind, VP_KIND_CASH_PAID_OUT))
    {
      money (r, o, "amount", _("Amount"), TRUE);
      pair (r, o, "reason", _("Reason"));
      money (r, o, "expected_after", _("Expected cash"), FALSE);
      pair (r, o, "approved_by", _("Approved by"));
    }
  else if (g_str_equal (kind, VP_KIND_RECEIPT_REPRINT))
    {
      pair (r, o, "reprinted_receipt", _("Receipt reprinted"));
      if (has_int (o, "copy"))
        {
          g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (o, "copy"));
          vp_receipt_add_pair (r, _("Reprint no."), n, FALSE);
        }
    }
  else if (g_str_equal (kind, VP_KIND_SHIFT_OPEN))
    money (r, o, "float", _("Cash float"), TRUE);
  else if (g_str_has_prefix (kind, "log."))
    {
      pair (r, o, "topic", _("Topic"));
      pair (r, o, "note", _("Note"));
    }
  else if (g_str_has_prefix (kind, "trip."))
    pair (r, o, "estate", _("Estate"));
  else if (g_str_equal (kind, VP_KIND_CARD_REISSUE))
    {
      pair (r, o, "new_card", _("New card"));
      money (r, o, "fee", _("Fee"), TRUE);
      money (r, o, "credit_after", _("Credit now"), FALSE);
    }

  if (str (o, "method"))
    vp_receipt_add_pair (r, _("Method"), method_label (str (o, "method")), FALSE);
  pair (r, o, "reference", _("Reference"));
  vp_receipt_add_separator (r);
  pair (r, o, "staff", _("Staff"));
  vp_receipt_add_pair (r, _("Verification code"), code, TRUE);
  /* The journal head this entry extends (DESIGN §4): a receipt the van
   * later cannot show in its journal proves the journal was cut. */
  {
    g_autofree char *head = g_strdup_printf ("#%" G_GINT64_FORMAT " %.12s", entry->seq - 1,
                                             entry->prev_hash ? entry->prev_hash : "");
    vp_receipt_add_pair (r, _("Journal head"), head, FALSE);
  }
  /* A Z slip closes the journal at its own entry: the head a later
   * journal must still hold (DESIGN §4). */
  if (g_str_equal (kind, VP_KIND_SHIFT_CLOSE))
    {
      g_autofree char *closed = g_strdup_printf ("#%" G_GINT64_FORMAT " %.12s", entry->seq,
                                                 entry->hash ? entry->hash : "");
      vp_receipt_add_pair (r, _("Journal closed"), closed, TRUE);
    }
  /* The resident's way to check the receipt with HQ (vp-receipt-check.h),
   * printed as text as well for those without a phone camera. */
  if (context->check_url != NULL && vp_receipt_kind_is_checkable (kind))
    {
      g_autofree char *url = vp_receipt_check_url (context->check_url, receipt_no, code);

      vp_receipt_add_separator (r);
      vp_receipt_add_center (r, _("Check this receipt:"));
      vp_receipt_add_qr (r, url);
      vp_receipt_add_text (r, url);
    }
  vp_receipt_add_feed (r);
  /* Cash went through the drawer: the printer opens it. The money effect
   * is the ledger's one definition; an entry it does not accept (HQ
   * quarantines those) still gets its receipt, only no drawer kick. */
  {
    VpJournalLedger ledger = { 0 };

    if (vp_journal_ledger_from_payload (kind, o, &ledger, NULL))
      vp_receipt_set_cash (r, g_strcmp0 (ledger.method, "cash") == 0 && ledger.amount != 0);
  }
  return g_steal_pointer (&r);
}
