/* vp-topup-reversal.c: taking a confirmed top-up back off its card, as a
 * supervisor's void (DESIGN §3 Reversals, §5 Crash safety).
 *
 * The state lives in the journal alone (only signed data counts): a
 * reversal.intent is pending until a "void" naming it (reversal_seq) or a
 * reversal.abandon naming it follows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-topup-reversal"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "vp-store-private.h"

#define PENDING_REVERSALS \
  "SELECT j.seq, j.payload FROM journal j WHERE j.kind = 'reversal.intent'" \
  " AND NOT EXISTS (SELECT 1 FROM journal r WHERE r.kind IN ('void', 'reversal.abandon')" \
  "   AND r.seq > j.seq AND json_extract (r.payload, '$.reversal_seq') = j.seq)"

void
vp_topup_reversal_free (VpTopupReversal *r)
{
  if (r == NULL)
    return;
  g_free (r->account_number);
  g_free (r->card_number);
  g_free (r->method);
  g_free (r);
}

static VpTopupReversal *
reversal_from_payload (gint64      seq,
                       const char *payload)
{
  g_autoptr(JsonNode) node = json_from_string (payload, NULL);
  JsonObject *p;
  VpTopupReversal *r;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  p = json_node_get_object (node);
  r = g_new0 (VpTopupReversal, 1);
  r->reversal_seq = seq;
  r->topup_seq = json_object_get_int_member_with_default (p, "topup_seq", 0);
  r->account_number = g_strdup (json_object_get_string_member_with_default (p, "account", NULL));
  r->card_number = g_strdup (json_object_get_string_member_with_default (p, "card_number", NULL));
  r->topup_counter = json_object_get_int_member_with_default (p, "topup_counter", 0);
  r->counter = json_object_get_int_member_with_default (p, "counter", 0);
  r->volume = json_object_get_int_member_with_default (p, "volume", 0);
  r->amount = json_object_get_int_member_with_default (p, "amount", 0);
  r->card_amount = json_object_get_int_member_with_default (p, "card_amount", 0);
  r->credit_used = json_object_get_int_member_with_default (p, "credit_used", 0);
  r->leftover = json_object_get_int_member_with_default (p, "leftover", 0);
  r->method = g_strdup (json_object_get_string_member_with_default (p, "method", NULL));
  return r;
}

/* The pending reversals, optionally of one account (account_id > 0) or
 * one reversal (only_seq > 0). Call with the database locked. */
static GPtrArray *
list_pending (VpDatabase  *db,
              gint64       account_id,
              gint64       only_seq,
              GError     **error)
{
  g_autoptr(GPtrArray) ret = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_topup_reversal_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = vp_database_prepare (db, PENDING_REVERSALS
                              " AND (?1 = 0 OR j.account_id = ?1) AND (?2 = 0 OR j.seq = ?2)"
                              " ORDER BY j.seq", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, account_id);
  sqlite3_bind_int64 (stmt, 2, only_seq);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VpTopupReversal *r = reversal_from_payload (sqlite3_column_int64 (stmt, 0),
                                                  (const char *)sqlite3_column_text (stmt, 1));

      if (r != NULL)
        g_ptr_array_add (ret, r);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vp_database_set_error (db, rc, error);
      return NULL;
    }
  return g_steal_pointer (&ret);
}

GPtrArray *
vp_topup_store_list_pending_reversals (VpDatabase  *db,
                                       GError     **error)
{
  GPtrArray *ret;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  vp_database_lock (db);
  ret = list_pending (db, 0, 0, error);
  vp_database_unlock (db);
  return ret;
}

gint64
vp_topup_reversal_pending_for_account (VpDatabase  *db,
                                       gint64       account_id,
                                       GError     **error)
{
  g_autoptr(GPtrArray) list = list_pending (db, account_id, 0, error);

  if (list == NULL)
    return -1;
  return list->len > 0 ? ((VpTopupReversal *)list->pdata[0])->reversal_seq : 0;
}

gint64
vp_topup_reversal_count_pending (VpDatabase  *db,
                                 GError     **error)
{
  g_autoptr(GPtrArray) list = list_pending (db, 0, 0, error);

  return list == NULL ? -1 : (gint64)list->len;
}

VpTopupReversal *
vp_topup_store_reversal_get (VpDatabase  *db,
                             gint64       reversal_seq,
                             GError     **error)
{
  g_autoptr(VpJournalEntry) e = NULL;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  e = vp_journal_store_get (db, reversal_seq, error);
  if (e == NULL)
    return NULL;
  if (!g_str_equal (e->kind, VP_KIND_REVERSAL_INTENT))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND,
                   _("Entry %" PRId64 " is not a top-up reversal"), reversal_seq);
      return NULL;
    }
  return reversal_from_payload (e->seq, e->payload);
}

gint64
vp_topup_store_topup_of (VpDatabase  *db,
                         gint64       seq,
                         GError     **error)
{
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(JsonObject) p = NULL;

  g_return_val_if_fail (VP_IS_DATABASE (db), 0);

  e = vp_journal_store_get (db, seq, error);
  if (e == NULL)
    return 0;
  if (g_str_equal (e->kind, VP_KIND_TOPUP_INTENT))
    return e->seq;
  if (!g_str_equal (e->kind, VP_KIND_TOPUP_CONFIRM) && !g_str_equal (e->kind, VP_KIND_TOPUP_VOID))
    return 0;
  p = vp_journal_entry_parse_payload (e);
  if (p == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CORRUPT,
                   _("Entry %" PRId64 " has an unreadable payload"), seq);
      return 0;
    }
  return json_object_get_int_member_with_default (p, "intent_seq", 0);
}

/* --- phase 1: the intent ------------------------------------------------------ */

typedef struct
{
  const VpStaff      *requester;
  const VpStaff      *supervisor;
  gint64              seq;
  const char         *reason;
  const VpCardRecord *card;
} IntentData;

static gboolean
refuse (GError    **error,
        int         code,
        const char *format,
        ...) G_GNUC_PRINTF (3, 4);

static gboolean
refuse (GError    **error,
        int         code,
        const char *format,
        ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, VP_STORE_ERROR, code, msg);
  return FALSE;
}

static VpJournalEntry *
reversal_intent_tx (VpDatabase  *db,
                    gpointer     data,
                    GError     **error)
{
  IntentData *d = data;
  g_autoptr(VpJournalEntry) intent = NULL;
  g_autoptr(JsonObject) ip = NULL;
  g_autoptr(VpTopup) t = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  VpJournalRefs refs = { 0 };
  VpJournalLedger ledger;
  const VpCardRecord *c = d->card;
  sqlite3_stmt *stmt;
  gint64 shift_id, topup_seq, voided_by = 0, pending;
  g_autofree char *state = NULL;
  VpMoney credit_used, card_amount;

  if ((shift_id = vp_shift_store_require_open (db, error)) == 0)
    return NULL;
  topup_seq = vp_topup_store_topup_of (db, d->seq, error);
  if (topup_seq == 0)
    {
      if (error != NULL && *error == NULL)
        refuse (error, VP_STORE_ERROR_STATE, _("Entry %" PRId64 " is not a card top-up"), d->seq);
      return NULL;
    }
  stmt = vp_database_prepare (db, "SELECT state, coalesce ((SELECT seq FROM journal v"
                                  " WHERE v.voids = ?1), 0) FROM topups WHERE intent_seq = ?1",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, topup_seq);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      state = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      voided_by = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  if (state == NULL)
    {
      refuse (error, VP_STORE_ERROR_NOT_FOUND, _("There is no top-up %" PRId64), topup_seq);
      return NULL;
    }
  if (voided_by != 0)
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Top-up %" PRId64 " was already reversed by entry %" PRId64), topup_seq, voided_by);
      return NULL;
    }
  if (g_str_equal (state, "voided"))
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Top-up %" PRId64 " never reached the card; its money is already credit"),
              topup_seq);
      return NULL;
    }
  if (!g_str_equal (state, "confirmed"))
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Top-up %" PRId64 " is still pending; insert its card to finish it first"),
              topup_seq);
      return NULL;
    }
  t = vp_topup_store_get (db, topup_seq, error);
  intent = t ? vp_journal_store_get (db, topup_seq, error) : NULL;
  if (intent == NULL)
    return NULL;
  ip = vp_journal_entry_parse_payload (intent);
  if (ip == NULL || !vp_journal_ledger_from_payload (intent->kind, ip, &ledger, NULL))
    {
      refuse (error, VP_STORE_ERROR_CORRUPT, _("Entry %" PRId64 " has an unreadable payload"),
              topup_seq);
      return NULL;
    }
  if (ledger.shift != shift_id)
    {
      refuse (error, VP_STORE_ERROR_STATE, _("Only transactions of the open shift can be voided"));
      return NULL;
    }
  a = vp_account_store_load (db, t->account_number, TRUE, error);
  if (a == NULL)
    return NULL;
  /* A top-up being written holds the card's next counter too. */
  stmt = vp_database_prepare (db, "SELECT coalesce (min (intent_seq), 0) FROM topups"
                                  " WHERE account_id = ?1 AND state = 'pending'", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  pending = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_reset (stmt);
  if (pending > 0)
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Top-up %" PRId64 " for account %s is not resolved yet; "
                "insert the card to finish it"), pending, a->number);
      return NULL;
    }
  pending = vp_topup_reversal_pending_for_account (db, a->id, error);
  if (pending < 0)
    return NULL;
  if (pending > 0)
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Reversal %" PRId64 " on account %s is not finished; insert card %s to finish it"),
              pending, a->number, t->card_number);
      return NULL;
    }

  /* The card's word: it must be this card, holding this purchase as its
   * last one, not yet taken into the meter. */
  credit_used = json_object_get_int_member_with_default (ip, "credit_used", 0);
  card_amount = t->amount - t->leftover;
  if (c == NULL)
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Insert card %s: a top-up is reversed only while its card holds it"),
              t->card_number);
      return NULL;
    }
  if (!g_str_equal (c->card_number, t->card_number))
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Wrong card: this is card %s, top-up %" PRId64 " went onto card %s"),
              c->card_number, topup_seq, t->card_number);
      return NULL;
    }
  if (g_strcmp0 (a->card_number, t->card_number) != 0)
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Card %s is no longer account %s's card; the top-up cannot be reversed"),
              t->card_number, a->number);
      return NULL;
    }
  if ((gint64)c->counter > t->counter || a->card_counter > t->counter)
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Card %s holds a later purchase (%" PRId64 ") than top-up %" PRId64
                " (%" PRId64 "); only the last purchase can be reversed"),
              t->card_number, MAX ((gint64)c->counter, a->card_counter), topup_seq, t->counter);
      return NULL;
    }
  if ((gint64)c->counter < t->counter || c->n_history == 0 ||
      c->history[0].counter != t->counter || c->history[0].volume != t->volume ||
      c->history[0].amount != card_amount || (c->flags & VP_CARD_FLAG_REVERSAL) != 0)
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Card %s does not hold top-up %" PRId64 " (purchase %" PRId64
                "); it cannot be reversed"), t->card_number, topup_seq, t->counter);
      return NULL;
    }
  if ((c->flags & VP_CARD_FLAG_LOADED) != 0)
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Top-up %" PRId64 " is already loaded into the meter; it cannot be reversed"),
              topup_seq);
      return NULL;
    }
  /* The leftover fen the top-up credited go back with the money; the
   * credit it used comes back. */
  if (a->balance + credit_used < t->leftover)
    {
      refuse (error, VP_STORE_ERROR_INSUFFICIENT,
              _("The credit this top-up left on account %s has been used since; it cannot be "
                "reversed"), a->number);
      return NULL;
    }

  json_builder_begin_object (b);
  vp_json_add_int (b, "topup_seq", topup_seq);
  vp_json_add_string (b, "topup_uuid", intent->uuid);
  vp_json_add_account (b, a);
  vp_json_add_string (b, "card_number", t->card_number);
  vp_json_add_int (b, "topup_counter", t->counter);
  vp_json_add_int (b, "counter", t->counter + 1);
  vp_json_add_int (b, "volume", t->volume);
  vp_json_add_int (b, "free_volume", json_object_get_int_member_with_default (ip, "free_volume", 0));
  vp_json_add_money (b, "amount", ledger.amount);
  if (ledger.method != NULL)
    vp_json_add_string (b, "method", ledger.method);
  vp_json_add_money (b, "card_amount", card_amount);
  vp_json_add_money (b, "credit_used", credit_used);
  vp_json_add_money (b, "leftover", t->leftover);
  vp_json_add_string (b, "reason", d->reason);
  vp_json_add_string (b, "requested_by", d->requester->id);
  vp_json_add_string (b, "approved_by", d->supervisor->id);
  vp_json_add_staff (b, d->supervisor);
  vp_json_add_int (b, "shift", shift_id);
  json_builder_end_object (b);

  refs.staff_id = d->supervisor->id;
  refs.shift_id = shift_id;
  refs.account_id = a->id;
  return vp_journal_store_append (db, VP_KIND_REVERSAL_INTENT, b, &refs, error);
}

VpJournalEntry *
vp_topup_store_reversal_intent (VpDatabase         *db,
                                const VpStaff      *requester,
                                const VpStaff      *supervisor,
                                gint64              seq,
                                const char         *reason,
                                const VpCardRecord *card,
                                GError            **error)
{
  IntentData d = { requester, supervisor, seq, reason, card };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_staff_require_role (requester, VP_ROLE_OPERATOR, _("Reversing a top-up"), error) ||
      !vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _("Reversing a top-up"), error))
    return NULL;
  if (reason == NULL || !vp_validate_note (reason, 200, error) || *reason == '\0')
    {
      if (error && *error == NULL)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("A void needs a reason"));
      return NULL;
    }
  return vp_store_run_tx (db, reversal_intent_tx, &d, error);
}

/* --- phase 3: the void, or the abandon ------------------------------------------ */

typedef struct
{
  const VpStaff *staff;
  gint64         reversal_seq;
  gboolean       confirm;
  gint64         card_counter;
  const char    *reason;
} ResolveData;

static VpJournalEntry *
reversal_resolve_tx (VpDatabase  *db,
                     gpointer     data,
                     GError     **error)
{
  ResolveData *d = data;
  g_autoptr(VpJournalEntry) rev = NULL;
  g_autoptr(VpJournalEntry) intent = NULL;
  g_autoptr(JsonObject) rp = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) now = vp_store_local_datetime (vp_database_now ());
  VpJournalRefs refs = { 0 };
  VpTopupReversal *r;
  sqlite3_stmt *stmt;
  VpMoney balance_after;
  VpVolume year_after, free_after;
  gint64 free_volume;
  int year = g_date_time_get_year (now);

  pending = list_pending (db, 0, d->reversal_seq, error);
  if (pending == NULL)
    return NULL;
  if (pending->len == 0)
    {
      refuse (error, VP_STORE_ERROR_STATE,
              _("Reversal %" PRId64 " is not pending"), d->reversal_seq);
      return NULL;
    }
  r = pending->pdata[0];
  rev = vp_journal_store_get (db, r->reversal_seq, error);
  if (rev == NULL)
    return NULL;
  rp = vp_journal_entry_parse_payload (rev);
  if (rp == NULL)
    {
      refuse (error, VP_STORE_ERROR_CORRUPT, _("Entry %" PRId64 " has an unreadable payload"),
              r->reversal_seq);
      return NULL;
    }
  a = vp_account_store_load (db, r->account_number, TRUE, error);
  if (a == NULL)
    return NULL;

  if (!d->confirm)
    {
      if (d->card_counter >= r->counter)
        {
          refuse (error, VP_STORE_ERROR_STATE,
                  _("Reversal %" PRId64 " cannot be abandoned: card %s was read at purchase %"
                    PRId64 ", which is not behind the reversal's %" PRId64),
                  r->reversal_seq, r->card_number, d->card_counter, r->counter);
          return NULL;
        }
      json_builder_begin_object (b);
      vp_json_add_int (b, "reversal_seq", r->reversal_seq);
      vp_json_add_int (b, "topup_seq", r->topup_seq);
      vp_json_add_account (b, a);
      vp_json_add_string (b, "card_number", r->card_number);
      vp_json_add_int (b, "card_counter_read", d->card_counter);
      vp_json_add_string (b, "reason", d->reason);
      vp_json_add_staff (b, d->staff);
      json_builder_end_object (b);
      refs.staff_id = d->staff ? d->staff->id : NULL;
      refs.shift_id = vp_shift_store_current (db);
      refs.account_id = a->id;
      return vp_journal_store_append (db, VP_KIND_REVERSAL_ABANDON, b, &refs, error);
    }

  intent = vp_journal_store_get (db, r->topup_seq, error);
  if (intent == NULL)
    return NULL;
  /* The money back the way it came: the credit the purchase used back on
   * the account, the leftover fen it put there taken off (checked at the
   * intent; nothing can spend the credit while the reversal is pending
   * but a payment — checked again). */
  if (a->balance + r->credit_used < r->leftover)
    {
      refuse (error, VP_STORE_ERROR_INSUFFICIENT,
              _("The credit this top-up left on account %s has been used since; it cannot be "
                "reversed"), a->number);
      return NULL;
    }
  balance_after = a->balance + r->credit_used - r->leftover;
  free_volume = json_object_get_int_member_with_default (rp, "free_volume", 0);
  /* The year's volume goes back, in the tariff year it was counted in. */
  year_after = a->year_volume;
  free_after = a->free_used;
  if (a->tariff_year == year)
    {
      year_after = MAX (a->year_volume - r->volume, 0);
      free_after = MAX (a->free_used - free_volume, 0);
    }
  stmt = vp_database_prepare (db,
                              "UPDATE accounts SET balance = ?2, card_counter = max (card_counter, ?3),"
                              " year_volume = ?4, free_used = ?5, updated_at = ?6 WHERE id = ?1",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  sqlite3_bind_int64 (stmt, 2, balance_after);
  sqlite3_bind_int64 (stmt, 3, r->counter);
  sqlite3_bind_int64 (stmt, 4, year_after);
  sqlite3_bind_int64 (stmt, 5, free_after);
  sqlite3_bind_int64 (stmt, 6, vp_database_now ());
  if (!vp_store_step_done (db, stmt, error))
    return NULL;

  json_builder_begin_object (b);
  vp_json_add_int (b, "voided_seq", r->topup_seq);
  vp_json_add_string (b, "voided_kind", intent->kind);
  vp_json_add_string (b, "voided_uuid", intent->uuid);
  vp_json_add_string (b, "account", a->number);
  vp_json_add_money (b, "amount", r->amount);
  if (r->method)
    vp_json_add_string (b, "method", r->method);
  vp_json_add_string (b, "reason", json_object_get_string_member_with_default (rp, "reason", NULL));
  vp_json_add_string (b, "requested_by",
                      json_object_get_string_member_with_default (rp, "requested_by", NULL));
  vp_json_add_string (b, "approved_by",
                      json_object_get_string_member_with_default (rp, "approved_by", NULL));
  vp_json_add_int (b, "reversal_seq", r->reversal_seq);
  vp_json_add_string (b, "card_number", r->card_number);
  vp_json_add_int (b, "card_counter", r->counter);
  vp_json_add_int (b, "volume", r->volume);
  vp_json_add_int (b, "free_volume", free_volume);
  vp_json_add_money (b, "credit_back", r->credit_used);
  vp_json_add_money (b, "leftover_taken", r->leftover);
  vp_json_add_money (b, "credit_after", balance_after);
  vp_json_add_int (b, "year_volume_after", year_after);
  /* The approver signed the intent; recovery (no one signed in) keeps
   * that supervisor as the staff of the money entry. */
  refs.staff_id = d->staff ? d->staff->id
                           : json_object_get_string_member_with_default (rp, "approved_by", NULL);
  vp_json_add_string (b, "staff", refs.staff_id);
  json_builder_end_object (b);

  refs.shift_id = vp_shift_store_current (db);
  refs.account_id = a->id;
  refs.method = r->method;
  refs.amount = -r->amount;
  return vp_journal_store_append (db, VP_KIND_VOID, b, &refs, error);
}

VpJournalEntry *
vp_topup_store_reversal_confirm (VpDatabase    *db,
                                 const VpStaff *staff,
                                 gint64         reversal_seq,
                                 GError       **error)
{
  ResolveData d = { staff, reversal_seq, TRUE, 0, NULL };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  return vp_store_run_tx (db, reversal_resolve_tx, &d, error);
}

VpJournalEntry *
vp_topup_store_reversal_abandon (VpDatabase    *db,
                                 const VpStaff *staff,
                                 gint64         reversal_seq,
                                 gint64         card_counter,
                                 const char    *reason,
                                 GError       **error)
{
  ResolveData d = { staff, reversal_seq, FALSE, card_counter,
                    reason ? reason : "card not rewritten" };

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  return vp_store_run_tx (db, reversal_resolve_tx, &d, error);
}
