/* test-hq-rules.c: signed nonsense and lost acknowledgements (issue 10).
 *
 * A real van (src/service) syncs with the real vanpos-hq on a private
 * PostgreSQL (scripts/hq-local.sh, through sync-test-util). Each hostile
 * entry is what someone holding the laptop's journal key can do: it is
 * signed with the van's key and chained into the van's own journal and
 * outbox, then the van makes a genuine entry after it and syncs. HQ must
 * store the hostile entry (the chain goes on), apply nothing of it,
 * answer `rejected`, flag it for review, and accept the genuine entry:
 * the van keeps syncing. Then HQ loses the van's newest rows (a
 * PostgreSQL restart without fsync) and the next sync re-sends them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <libpq-fe.h>

#include "vp-journal-entry.h"
#include "vp-entry-rules.h"
#include "sync-test-util.h"

#define SUP "sup01"
#define SUP_PIN "9876"

static SyncEnv *env;
static PGconn *pg;
static char *acct_a;      /* post-paid with open bills */
static char *acct_empty;  /* no credit */
static char *acct_b;      /* another account */
static char *period_a;    /* one of acct_a's open bills */

/* --- helpers ------------------------------------------------------------------ */

static char *
van_text (const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *v = NULL;

  vp_database_lock (env->db);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (env->db), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  vp_database_unlock (env->db);
  if (v == NULL)
    g_error ("no row for %s", sql);
  return v;
}

static char *
van_textf (const char *format,
           ...) G_GNUC_PRINTF (1, 2);

static char *
van_textf (const char *format,
           ...)
{
  va_list args;
  g_autofree char *sql = NULL;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return van_text (sql);
}

static char *
hq_text (const char *sql)
{
  PGresult *res = PQexec (pg, sql);
  char *v;

  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQerrorMessage (pg));
  if (PQntuples (res) == 0)
    g_error ("no row for %s", sql);
  v = g_strdup (PQgetisnull (res, 0, 0) ? "" : PQgetvalue (res, 0, 0));
  PQclear (res);
  return v;
}

static char *
hq_textf (const char *format,
          ...) G_GNUC_PRINTF (1, 2);

static char *
hq_textf (const char *format,
          ...)
{
  va_list args;
  g_autofree char *sql = NULL;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return hq_text (sql);
}

static gint64
hq_int (const char *format,
        ...) G_GNUC_PRINTF (1, 2);

static gint64
hq_int (const char *format,
        ...)
{
  va_list args;
  g_autofree char *sql = NULL;
  g_autofree char *v = NULL;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  v = hq_text (sql);
  return g_ascii_strtoll (v, NULL, 10);
}

static void
hq_exec (const char *format,
         ...) G_GNUC_PRINTF (1, 2);

static void
hq_exec (const char *format,
         ...)
{
  va_list args;
  g_autofree char *sql = NULL;
  PGresult *res;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  res = PQexec (pg, sql);

  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQerrorMessage (pg));
  PQclear (res);
}

static VpSyncResult *
do_sync (GError **error)
{
  g_autoptr(VpSyncClient) client = sync_env_client (env, 2);

  return vp_service_sync_with_client (env->service, client, SUP, SUP_PIN, NULL, NULL, NULL, NULL,
                                      error);
}

/* What a thief with the laptop's key file does: an entry signed with
 * the van's key, chained after the van's head, in its journal and
 * outbox, past every rule of the store. Returns its seq. */
static gint64
forge (const char *kind,
       const char *payload)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = vp_journal_entry_new ();
  sqlite3 *h = vp_database_get_handle (env->db);
  sqlite3_stmt *stmt = NULL;

  vp_database_lock (env->db);
  e->uuid = g_uuid_string_random ();
  e->van_id = g_strdup (env->van);
  e->kind = g_strdup (kind);
  e->payload = g_strdup (payload);
  e->device_time = g_get_real_time ();
  e->monotonic_ms = g_get_monotonic_time () / 1000;
  g_assert_cmpint (sqlite3_prepare_v2 (h, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  e->seq = sqlite3_column_int64 (stmt, 0) + 1;
  e->prev_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  sqlite3_finalize (stmt);
  g_assert_true (vp_journal_entry_seal (e, vp_database_get_signer (env->db), &error));
  g_assert_no_error (error);

  g_assert_cmpint (sqlite3_prepare_v2 (h, "INSERT INTO journal (seq, uuid, van_id, kind, payload,"
                                          " device_time, monotonic_ms, prev_hash, hash, signature)"
                                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, e->seq);
  sqlite3_bind_text (stmt, 2, e->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, e->van_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, e->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, e->payload, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, e->device_time);
  sqlite3_bind_int64 (stmt, 7, e->monotonic_ms);
  sqlite3_bind_text (stmt, 8, e->prev_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, e->hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, e->signature, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (h, "INSERT INTO outbox (seq) VALUES (?1)", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, e->seq);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  vp_database_unlock (env->db);
  return e->seq;
}

/* The hostile entry is quarantined, HQ's money does not move, and the
 * genuine entry after it is accepted. */
/* van_totals (kept by triggers on journal) agrees with the journal for
 * every van, whatever changed the journal; and this van's sync answer
 * carried the same two numbers. */
static void
assert_totals_true (const VpSyncResult *r)
{
  g_assert_cmpint (hq_int ("SELECT count (*) FROM (SELECT van, count (*) AS entries,"
                           " sum (amount) AS amount FROM journal GROUP BY van) j"
                           " FULL JOIN van_totals t USING (van)"
                           " WHERE coalesce (t.entries, 0) <> coalesce (j.entries, 0)"
                           " OR coalesce (t.amount, 0) <> coalesce (j.amount, 0)"), ==, 0);
  if (r != NULL)
    {
      g_assert_cmpint (r->hq_entries, ==, hq_int ("SELECT count (*) FROM journal WHERE van = '%s'",
                                                  env->van));
      g_assert_cmpint (r->hq_amount, ==, hq_int ("SELECT coalesce (sum (amount), 0) FROM journal"
                                                 " WHERE van = '%s'", env->van));
    }
}

static void
expect_quarantined (const char *kind,
                    const char *payload,
                    const char *why)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSyncResult) r = NULL;
  g_autofree char *balances = hq_text ("SELECT coalesce (sum (balance), 0) FROM accounts");
  g_autofree char *paid = hq_text ("SELECT coalesce (sum (paid), 0) FROM bills");
  g_autofree char *amount = hq_text ("SELECT coalesce (sum (amount), 0) FROM journal");
  g_autofree char *detail = NULL;
  gint64 flags = hq_int ("SELECT count (*) FROM review_flags");
  gint64 seq = forge (kind, payload);
  VpPushOutcome *o;

  g_test_message ("%s %s", kind, payload);
  sync_env_add_logs (env, 1);
  r = do_sync (&error);
  g_assert_no_error (error);
  g_assert_cmpint (r->rejected, ==, 1);
  g_assert_cmpint (r->accepted, ==, 1);
  g_assert_cmpint (r->conflicts, ==, 0);
  g_assert_cmpint (r->pending, ==, 0);
  g_assert_cmpint (r->acked_seq, ==, seq + 1);
  g_assert_cmpuint (r->conflict_details->len, ==, 1);
  o = g_ptr_array_index (r->conflict_details, 0);
  g_assert_cmpint (o->seq, ==, seq);
  g_assert_cmpstr (o->outcome, ==, "rejected");
  if (strstr (o->detail, why) == NULL)
    g_error ("entry %" G_GINT64_FORMAT ": “%s” does not say “%s”", seq, o->detail, why);

  /* Stored, not applied. */
  detail = hq_textf ("SELECT outcome || ' ' || amount || ' ' ||"
                     " coalesce (account, '-') || ' ' || (applied IS NULL)"
                     " FROM journal WHERE van = '%s' AND seq = %" G_GINT64_FORMAT,
                     env->van, seq);
  g_assert_cmpstr (detail, ==, "rejected 0 - true");
  /* The entry's savepoint was rolled back; the totals count it, at 0. */
  assert_totals_true (NULL);
  g_assert_cmpint (hq_int ("SELECT count (*) FROM journal WHERE van = '%s' AND seq = %" G_GINT64_FORMAT
                           " AND outcome = 'accepted'", env->van, seq + 1), ==, 1);
  g_assert_cmpint (hq_int ("SELECT count (*) FROM review_flags"), ==, flags + 1);
  g_assert_cmpint (hq_int ("SELECT count (*) FROM review_flags WHERE van = '%s' AND seq = %"
                           G_GINT64_FORMAT " AND reason LIKE 'entry rejected: %%'", env->van, seq),
                   ==, 1);
  {
    g_autofree char *balances_after = hq_text ("SELECT coalesce (sum (balance), 0) FROM accounts");
    g_autofree char *paid_after = NULL;
    g_autofree char *amount_after = NULL;

    g_assert_cmpstr (balances_after, ==, balances);
    paid_after = hq_text ("SELECT coalesce (sum (paid), 0) FROM bills");
    g_assert_cmpstr (paid_after, ==, paid);
    amount_after = hq_text ("SELECT coalesce (sum (amount), 0) FROM journal");
    g_assert_cmpstr (amount_after, ==, amount);
  }
}

/* --- tests ---------------------------------------------------------------------- */

/* The same rules on the van: it refuses to sign any of them. */
static const struct
{
  const char *kind;
  const char *payload;   /* %1$s: acct_a, %2$s: period_a, %3$s acct_empty, %4$s acct_b */
  const char *why;
} hostile[] = {
  /* −¥1,000,000 payment */
  { "pay", "{\"account\": \"%1$s\", \"amount\": -100000000, \"method\": \"cash\", \"bills\": [],"
           " \"to_credit\": 0, \"credit_applied\": 0, \"staff\": \"op01\"}", "“amount” is out of range" },
  /* ¥10¹³ credit */
  { "pay", "{\"account\": \"%1$s\", \"amount\": 100, \"method\": \"cash\", \"bills\": [],"
           " \"to_credit\": 1000000000000000, \"credit_applied\": 0, \"staff\": \"op01\"}",
    "“to_credit” is out of range" },
  /* a 1-fen payment whose bill list credits ¥9.99 billion */
  { "pay", "{\"account\": \"%1$s\", \"amount\": 1, \"method\": \"cash\", \"bills\": [{\"period\":"
           " \"%2$s\", \"paid\": 999000000000}], \"to_credit\": 0, \"credit_applied\": 0,"
           " \"staff\": \"op01\"}", "“paid” is out of range" },
  /* … and one whose bills, each within range, do not add up */
  { "pay", "{\"account\": \"%1$s\", \"amount\": 1, \"method\": \"cash\", \"bills\": [{\"period\":"
           " \"%2$s\", \"paid\": 90000000}], \"to_credit\": 0, \"credit_applied\": 0,"
           " \"staff\": \"op01\"}", "“bills” do not add up" },
  /* INT64_MAX */
  { "pay", "{\"account\": \"%1$s\", \"amount\": 9223372036854775807, \"method\": \"cash\","
           " \"bills\": [], \"to_credit\": 9223372036854775807, \"staff\": \"op01\"}",
    "“amount” is out of range" },
  { "credit.refund", "{\"account\": \"%1$s\", \"amount\": 9223372036854775807, \"method\": \"cash\","
                     " \"staff\": \"op01\"}", "“amount” is out of range" },
  /* a credit move out of an empty account, saying so */
  { "credit.move", "{\"account\": \"%3$s\", \"to_account\": \"%4$s\", \"amount\": 5000000,"
                   " \"balance_before\": 0, \"balance_after\": 0, \"staff\": \"op01\"}",
    "“amount” is more than the credit" },
  /* a card counter of 2⁶² */
  { "topup.confirm", "{\"account\": \"%1$s\", \"card_number\": \"89000000001\", \"intent_seq\": 1,"
                     " \"counter\": 4611686018427387904, \"volume\": 1000, \"amount\": 0,"
                     " \"to_credit\": 0, \"staff\": \"op01\"}", "“counter” is out of range" },
  { "topup.intent", "{\"account\": \"%1$s\", \"card_number\": \"89000000001\","
                    " \"counter\": 4611686018427387904, \"amount\": 100, \"method\": \"cash\","
                    " \"staff\": \"op01\"}", "“counter” is out of range" },
  /* unknown kinds */
  { "credit.mint", "{\"account\": \"%1$s\", \"amount\": 100000}", "not a known entry kind" },
  { "void2", "{}", "not a known entry kind" },
  /* account.open with an invalid service (answered 500 for ever before) */
  { "account.open", "{\"account\": \"P-VAN09-000777\", \"holder\": \"李四\", \"service\":"
                    " \"electricity\", \"meter\": \"prepaid\", \"tariff_class\": \"residential\","
                    " \"fee\": 0, \"staff\": \"op01\"}", "“service” is not a known value" },
  { "account.open", "{\"account\": \"P-VAN09-000778\", \"holder\": \"李四\", \"service\": \"gas\","
                    " \"meter\": \"prepaid\", \"tariff_class\": \"royal\", \"fee\": 0,"
                    " \"staff\": \"op01\"}", "“tariff_class” is not a known value" },
  /* a member of the wrong type where HQ reads a string */
  { "journal.break", "{\"break\": 5, \"entries_lost\": \"many\", \"approved_by\": \"sup01\"}",
    "“break” is not a string" },
};

static char *
hostile_payload (guint i)
{
  GString *s = g_string_new (hostile[i].payload);

  g_string_replace (s, "%1$s", acct_a, 0);
  g_string_replace (s, "%2$s", period_a, 0);
  g_string_replace (s, "%3$s", acct_empty, 0);
  g_string_replace (s, "%4$s", acct_b, 0);
  return g_string_free (s, FALSE);
}

static void
test_van_refuses (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *text = hostile_payload (i);
      g_autoptr(JsonNode) node = json_from_string (text, NULL);
      g_autoptr(GError) error = NULL;

      g_autoptr(JsonBuilder) b = json_builder_new ();
      gint64 last = vp_journal_store_last_seq (env->db);

      g_assert_nonnull (node);
      g_assert_false (vp_entry_rules_check (hostile[i].kind, json_node_get_object (node), NULL, &error));
      g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID);
      if (strstr (error->message, hostile[i].why) == NULL)
        g_error ("%s %s: “%s” does not say “%s”", hostile[i].kind, text, error->message, hostile[i].why);
      g_clear_error (&error);

      /* The journal refuses to sign it. */
      json_builder_begin_object (b);
      {
        g_autoptr(GList) members = json_object_get_members (json_node_get_object (node));

        for (GList *l = members; l != NULL; l = l->next)
          {
            json_builder_set_member_name (b, l->data);
            json_builder_add_value (b, json_node_copy (json_object_get_member (json_node_get_object (node),
                                                                               l->data)));
          }
      }
      json_builder_end_object (b);
      vp_database_lock (env->db);
      g_assert_true (vp_database_begin (env->db, &error));
      g_assert_null (vp_journal_store_append (env->db, hostile[i].kind, b, NULL, &error));
      vp_database_rollback (env->db);
      vp_database_unlock (env->db);
      g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID);
      g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, last);
    }
}

static void
test_hostile_quarantined (gconstpointer data)
{
  guint i = GPOINTER_TO_UINT (data);
  g_autofree char *text = hostile_payload (i);

  expect_quarantined (hostile[i].kind, text, hostile[i].why);
}

static void
test_not_object (void)
{
  expect_quarantined ("pay", "[1, 2, 3]", "not a JSON object");
  /* jsonb refuses \u0000: before, the whole batch was refused (422) for
   * ever. */
  expect_quarantined ("log.consultation", "{\"topic\": \"a\\u0000b\", \"staff\": \"op01\"}",
                      "not a JSON object");
}

/* Invariants only HQ can check, with payloads that pass the kind rules:
 * a credit move out of an account that has no credit at HQ, the payload
 * lying that it had. */
static void
test_move_negative (void)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf ("{\"account\": \"%s\", \"to_account\": \"%s\", \"amount\": 5000000,"
                          " \"balance_before\": 5000000, \"balance_after\": 0, \"staff\": \"op01\"}",
                          acct_empty, acct_b);
  expect_quarantined ("credit.move", text, "would leave it negative");
}

static void
test_voids (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = vp_staff_store_authenticate (env->db, "op01", "1234", &error);
  g_autoptr(VpStaff) sup = vp_staff_store_authenticate (env->db, SUP, SUP_PIN, &error);
  g_autoptr(VpSyncResult) r = NULL;
  g_autofree char *text = NULL;
  g_autofree char *void_payload = NULL;
  VpJournalEntry *e;
  gint64 pay_seq, void_seq;

  g_assert_no_error (error);
  /* A second void of the same payment. */
  if (vp_shift_store_current (env->db) == 0)
    {
      e = vp_shift_store_open (env->db, op, 10000, &error);
      g_assert_no_error (error);
      vp_journal_entry_free (e);
    }
  e = vp_bill_store_pay (env->db, op, acct_a, 1234, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  pay_seq = e->seq;
  vp_journal_entry_free (e);
  e = vp_shift_store_void (env->db, sup, pay_seq, "wrong account", &error);
  g_assert_no_error (error);
  void_seq = e->seq;
  void_payload = g_strdup (e->payload);
  vp_journal_entry_free (e);
  r = do_sync (&error);
  g_assert_no_error (error);
  g_assert_cmpint (r->rejected, ==, 0);
  g_assert_cmpint (hq_int ("SELECT count (*) FROM journal WHERE van = '%s' AND seq IN (%" G_GINT64_FORMAT
                           ", %" G_GINT64_FORMAT ") AND outcome = 'accepted'", env->van, pay_seq,
                           void_seq), ==, 2);
  expect_quarantined ("void", void_payload, "is already voided by entry");
  /* A void of an entry that cannot be voided (a consultation log), and
   * one that gives back more than the payment took. */
  sync_env_add_logs (env, 1);
  e = vp_bill_store_pay (env->db, op, acct_a, 500, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  pay_seq = e->seq;
  vp_journal_entry_free (e);
  g_clear_pointer (&r, vp_sync_result_free);
  r = do_sync (&error);
  g_assert_no_error (error);
  g_assert_cmpint (r->accepted, ==, 2);
  text = g_strdup_printf ("{\"voided_seq\": %" G_GINT64_FORMAT ", \"voided_kind\": \"pay\","
                          " \"account\": \"%s\", \"amount\": 0, \"staff\": \"sup01\"}",
                          pay_seq - 1, acct_a);
  expect_quarantined ("void", text, "cannot be voided");
  g_free (text);
  text = g_strdup_printf ("{\"voided_seq\": %" G_GINT64_FORMAT ", \"voided_kind\": \"pay\","
                          " \"account\": \"%s\", \"amount\": 90000000, \"method\": \"cash\","
                          " \"staff\": \"sup01\"}", pay_seq, acct_a);
  expect_quarantined ("void", text, "gives back ¥900,000.00, but entry");
}

/* HQ loses its newest rows of the van (PostgreSQL restarted without
 * fsync): the next sync re-sends them and both sides record it. */
static void
test_gap_recovery (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSyncResult) r = NULL;
  gint64 last, lost_from;

  sync_env_add_logs (env, 5);
  r = do_sync (&error);
  g_assert_no_error (error);
  last = vp_journal_store_last_seq (env->db);
  g_assert_cmpint (r->acked_seq, ==, last);
  assert_totals_true (r);
  g_clear_pointer (&r, vp_sync_result_free);

  lost_from = last - 3;
  hq_exec ("DELETE FROM journal WHERE van = '%s' AND seq >= %" G_GINT64_FORMAT, env->van, lost_from);
  assert_totals_true (NULL);
  sync_env_add_logs (env, 2);

  /* The client alone, against HQ: it reports the gap and what HQ
   * expects, and touches nothing on the van. */
  {
    g_autoptr(VpSyncClient) client = sync_env_client (env, 1);
    g_autoptr(GPtrArray) batch = vp_journal_store_list (env->db, last, 0, &error);
    g_autoptr(VpPushAck) ack = NULL;
    gint64 hq_time = 0;

    g_assert_no_error (error);
    g_assert_cmpuint (batch->len, ==, 2);
    g_assert_true (vp_sync_client_open_session (client, SUP, SUP_PIN, &hq_time, NULL, &error));
    g_assert_no_error (error);
    vp_sync_client_set_acked_claim (client, last);
    ack = vp_sync_client_push (client, batch, NULL, &error);
    g_assert_null (ack);
    g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_GAP);
    g_assert_cmpint (vp_sync_client_get_gap_expected (client), ==, lost_from);
    g_clear_error (&error);
    g_assert_cmpint (vp_outbox_store_count_pending (env->db), ==, 2);
    g_assert_cmpint (hq_int ("SELECT count (*) FROM review_flags WHERE van = '%s' AND reason LIKE"
                             " 'HQ lost entries %%'", env->van), ==, 0);
  }

  r = do_sync (&error);
  g_assert_no_error (error);
  g_assert_cmpint (r->resent_from, ==, lost_from);
  g_assert_cmpint (r->resent, ==, 4);
  g_assert_cmpint (r->accepted, ==, 4 + 2);
  g_assert_cmpint (r->acked_seq, ==, last + 2);
  g_assert_cmpint (r->pending, ==, 0);
  g_assert_cmpint (hq_int ("SELECT count (*) FROM journal WHERE van = '%s'", env->van), ==, last + 2);
  assert_totals_true (r);
  g_assert_cmpint (hq_int ("SELECT max (seq) FROM journal WHERE van = '%s'", env->van), ==, last + 2);
  /* Flagged at HQ once, recorded on the van. */
  g_assert_cmpint (hq_int ("SELECT count (*) FROM review_flags WHERE van = '%s' AND reason LIKE"
                           " 'HQ lost entries %%'", env->van), ==, 1);
  g_assert_cmpint (hq_int ("SELECT count (*) FROM review_flags WHERE van = '%s' AND seq = %"
                           G_GINT64_FORMAT " AND reason = 'HQ lost entries %" G_GINT64_FORMAT " to %"
                           G_GINT64_FORMAT " it had acknowledged; the van sent them again'",
                           env->van, last, lost_from, last), ==, 1);
  g_assert_cmpint (vp_database_get_meta_int (env->db, VP_META_HQ_LOSSES, 0), ==, 1);
  {
    g_autofree char *range = vp_database_get_meta (env->db, VP_META_HQ_LAST_LOSS);
    g_autofree char *want = g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, lost_from, last);

    g_assert_cmpstr (range, ==, want);
  }
  g_clear_pointer (&r, vp_sync_result_free);

  /* The next sync is an ordinary one. */
  sync_env_add_logs (env, 1);
  r = do_sync (&error);
  g_assert_no_error (error);
  g_assert_cmpint (r->resent, ==, 0);
  g_assert_cmpint (r->accepted, ==, 1);
  g_assert_cmpint (vp_database_get_meta_int (env->db, VP_META_HQ_LOSSES, 0), ==, 1);
}

/* An HQ database made before van_totals: the next start (init-db, as
 * `serve` runs it) makes the table and its triggers and fills it from the
 * journal, and pushes after that keep it true. */
static void
test_totals_backfill (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSyncResult) r = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gint64 entries;

  entries = hq_int ("SELECT count (*) FROM journal WHERE van = '%s'", env->van);
  g_assert_cmpint (entries, >, 0);
  hq_exec ("DROP TRIGGER journal_totals_insert ON journal;"
           " DROP TRIGGER journal_totals_update ON journal;"
           " DROP TRIGGER journal_totals_delete ON journal;"
           " DROP TRIGGER journal_totals_truncate ON journal;"
           " DROP FUNCTION vp_van_totals (); DROP TABLE van_totals");
  g_assert_cmpint (sync_env_hq (env, &out, &err, "init-db", NULL), ==, 0);
  g_assert_cmpint (hq_int ("SELECT entries FROM van_totals WHERE van = '%s'", env->van), ==, entries);
  assert_totals_true (NULL);

  sync_env_add_logs (env, 3);
  r = do_sync (&error);
  g_assert_no_error (error);
  g_assert_cmpint (r->accepted, ==, 3);
  assert_totals_true (r);
  g_assert_cmpint (r->hq_entries, ==, entries + 3);

  /* An UPDATE of an amount moves the totals with it, and back. */
  hq_exec ("UPDATE journal SET amount = amount + 7 WHERE van = '%s' AND seq = 1", env->van);
  assert_totals_true (NULL);
  hq_exec ("UPDATE journal SET amount = amount - 7 WHERE van = '%s' AND seq = 1", env->van);

  /* A trigger an operator disabled lets the totals drift; the next start
   * notices, makes the triggers anew and counts again. */
  hq_exec ("ALTER TABLE journal DISABLE TRIGGER journal_totals_delete;"
           " DELETE FROM journal WHERE van = '%s' AND seq = %" G_GINT64_FORMAT,
           env->van, entries + 3);
  g_assert_cmpint (hq_int ("SELECT entries FROM van_totals WHERE van = '%s'", env->van), ==,
                   entries + 3);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_env_hq (env, &out, &err, "init-db", NULL), ==, 0);
  g_assert_cmpint (hq_int ("SELECT entries FROM van_totals WHERE van = '%s'", env->van), ==,
                   entries + 2);
  assert_totals_true (NULL);
  /* The van sends the lost entry again; HQ is whole for the next test. */
  g_clear_pointer (&r, vp_sync_result_free);
  sync_env_add_logs (env, 1);
  r = do_sync (&error);
  g_assert_no_error (error);
  g_assert_cmpint (r->resent, ==, 1);
  assert_totals_true (r);
  g_assert_cmpint (r->hq_entries, ==, entries + 4);
}

/* Run last (the last child suite): TRUNCATE leaves no totals behind. */
static void
test_totals_truncate (void)
{
  g_assert_cmpint (hq_int ("SELECT count (*) FROM van_totals"), >, 0);
  hq_exec ("TRUNCATE journal CASCADE");
  g_assert_cmpint (hq_int ("SELECT count (*) FROM van_totals"), ==, 0);
  assert_totals_true (NULL);
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  env = sync_env_new ("VAN09", 30);
  if (env == NULL)
    return g_test_run ();
  pg = PQconnectdb (env->pg);
  g_assert_cmpint (PQstatus (pg), ==, CONNECTION_OK);
  acct_a = van_text ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND EXISTS"
                     " (SELECT 1 FROM bills b WHERE b.account_id = a.id AND b.paid < b.amount)"
                     " ORDER BY a.number LIMIT 1");
  period_a = van_textf ("SELECT min (b.period) FROM bills b JOIN accounts a"
                        " ON a.id = b.account_id WHERE a.number = '%s'"
                        " AND b.paid < b.amount", acct_a);
  acct_empty = van_textf ("SELECT number FROM accounts WHERE balance = 0"
                          " AND number <> '%s' ORDER BY number LIMIT 1", acct_a);
  acct_b = van_textf ("SELECT number FROM accounts WHERE number NOT IN ('%s', '%s')"
                      " ORDER BY number LIMIT 1", acct_a, acct_empty);
  /* HQ starts from what the van has: the first sync is clean. */
  sync_env_add_logs (env, 1);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VpSyncResult) r = do_sync (&error);

    g_assert_no_error (error);
  }
  g_assert_cmpint (hq_int ("SELECT balance FROM accounts WHERE number = '%s'", acct_empty), ==, 0);

  g_test_add_func ("/hq/rules/van-refuses", test_van_refuses);
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hq/rules/hostile/%u", i);
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_hostile_quarantined);
    }
  g_test_add_func ("/hq/rules/hostile/not-object", test_not_object);
  g_test_add_func ("/hq/rules/invariant/move-negative", test_move_negative);
  g_test_add_func ("/hq/rules/invariant/voids", test_voids);
  g_test_add_func ("/hq/rules/gap-recovery", test_gap_recovery);
  g_test_add_func ("/hq/rules/totals-backfill", test_totals_backfill);
  g_test_add_func ("/hq/rules/totals/truncate", test_totals_truncate);
  rc = g_test_run ();

  PQfinish (pg);
  sync_env_free (env);
  g_free (acct_a);
  g_free (acct_empty);
  g_free (acct_b);
  g_free (period_a);
  return rc;
}
