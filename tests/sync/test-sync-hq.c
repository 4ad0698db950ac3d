/* test-sync-hq.c: the van's sync against the real vanpos-hq on
 * PostgreSQL (loopback), with a fault-injecting proxy and a fake HQ for
 * the failures a real HQ does not produce on demand.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sync-test-util.h"

#define SUP "sup01"
#define SUP_PIN "9876"

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
query_text (VpDatabase *db,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *ret = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (db), sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    ret = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  g_assert_nonnull (ret);
  return ret;
}

static gint64
query_int (VpDatabase *db,
           const char *sql)
{
  g_autofree char *t = query_text (db, sql);

  return g_ascii_strtoll (t, NULL, 10);
}

static void
exec_sql (VpDatabase *db,
          const char *sql)
{
  char *msg = NULL;

  if (sqlite3_exec (vp_database_get_handle (db), sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
}

static void
set_payload (VpDatabase *db,
             gint64      seq,
             const char *payload)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (db),
                                       "UPDATE journal SET payload = ?2 WHERE seq = ?1", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, seq);
  sqlite3_bind_text (stmt, 2, payload, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

/* --- a full day ---------------------------------------------------------- */

static void
test_full_day (void)
{
  g_autoptr(JsonObject) z = NULL, res = NULL, x = NULL, z2 = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *postpaid = NULL, *prepaid = NULL, *transfer = NULL, *reading = NULL;
  g_autofree char *expected = NULL, *new_number = NULL, *status = NULL;
  SyncEnv *env = sync_env_new ("VAN01", 200);
  gint64 last_seq, hq_entries, hq_highest, hq_amount, z_sum;

  if (env == NULL)
    return;
#define CLI_OK(...) G_STMT_START { \
    g_clear_pointer (&out, g_free); g_clear_pointer (&err, g_free); \
    int st_ = sync_env_cli (env, &out, &err, __VA_ARGS__, NULL); \
    if (st_ != 0) g_error ("vanpos-cli failed (%d): %s %s", st_, out, err); } G_STMT_END

  postpaid = query_text (env->db, "SELECT a.number FROM accounts a JOIN bills b ON b.account_id = a.id"
                                  " WHERE b.paid < b.amount ORDER BY a.number LIMIT 1");
  prepaid = query_text (env->db, "SELECT number FROM accounts WHERE meter = 'prepaid' AND"
                                 " card_number IS NOT NULL ORDER BY number LIMIT 1");
  transfer = query_text (env->db, "SELECT number FROM accounts WHERE status = 'active' AND number NOT IN"
                                  " (SELECT a.number FROM accounts a JOIN bills b ON b.account_id = a.id)"
                                  " ORDER BY number DESC LIMIT 1");
  reading = g_strdup_printf ("%" G_GINT64_FORMAT,
                             query_int (env->db, "SELECT last_reading FROM accounts WHERE status = 'active'"
                                                 " AND number NOT IN (SELECT a.number FROM accounts a"
                                                 " JOIN bills b ON b.account_id = a.id)"
                                                 " ORDER BY number DESC LIMIT 1") / 1000 + 5);

  /* The bundle from `vanpos-hq provision --receipt-check-url` set the
   * address every receipt's QR code points at (issue 12). */
  CLI_OK ("receipt-check-url");
  g_assert_cmpstr (out, ==, "https://check.example.cn\n");
  CLI_OK ("shift", "open", "--float", "200", "--staff", "op01", "--pin", "1234");
  CLI_OK ("trip", "start", "--estate", "长江花园", "--staff", "op01", "--pin", "1234");
  CLI_OK ("pay", postpaid, "120.50", "--method", "cash", "--staff", "op01", "--pin", "1234");
  CLI_OK ("topup", prepaid, "--amount", "50", "--method", "mobile", "--ref", "QR-8812",
          "--staff", "op01", "--pin", "1234");
  CLI_OK ("open-account", "--name", "王小明", "--id-number", "11010519491231002X",
          "--phone", "13800138000", "--estate", "长江花园", "--building", "5", "--unit", "1",
          "--room", "101", "--service", "gas", "--meter", "prepaid", "--issue-card",
          "--fee", "80", "--method", "card", "--ref", "POS-1", "--staff", "op01", "--pin", "1234");
  CLI_OK ("transfer", transfer, "--new-name", "张三", "--new-id-number", "11010519491231002X",
          "--new-phone", "13900139000", "--reading", reading, "--carry-arrears",
          "--carry-credit-consent", "--staff", "op01", "--pin", "1234");
  CLI_OK ("log", "consultation", "--topic", "billing", "--note", "asked about the tiers",
          "--staff", "op01", "--pin", "1234");
  CLI_OK ("log", "visit", prepaid, "--note", "checked the meter", "--staff", "op01", "--pin", "1234");
  CLI_OK ("trip", "end", "--estate", "长江花园", "--staff", "op01", "--pin", "1234");
  CLI_OK ("shift", "x", "--json", "--staff", "sup01", "--pin", "9876");
  x = parse_object (out);
  expected = vp_money_format (json_object_get_int_member (x, "expected_cash"));
  /* vp_money_format gives ¥1,234.50; the CLI takes 1234.50 */
  {
    GString *s = g_string_new (NULL);

    for (const char *p = expected; *p; p++)
      if (g_ascii_isdigit (*p) || *p == '.')
        g_string_append_c (s, *p);
    g_free (expected);
    expected = g_string_free (s, FALSE);
  }
  CLI_OK ("shift", "close", "--counted", expected, "--staff", "sup01", "--pin", "9876", "--json");
  z = parse_object (out);
  g_assert_cmpint (json_object_get_int_member (z, "hq_acked_entries"), ==, 0);
  last_seq = vp_journal_store_last_seq (env->db);
  g_assert_cmpint (last_seq, ==, 11);

  /* The provisional account exists until the sync. */
  CLI_OK ("account", "P-VAN01-000001");

  CLI_OK ("sync", "--staff", SUP, "--pin", SUP_PIN, "--json");
  res = parse_object (out);
  g_assert_nonnull (strstr (err, "push: 11 / 11 entries"));
  g_assert_cmpint (json_object_get_int_member (res, "pushed"), ==, last_seq);
  if (json_object_get_int_member (res, "accepted") != last_seq)
    g_error ("not all accepted: %s", out);
  g_assert_cmpint (json_object_get_int_member (res, "duplicates"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (res, "pending"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (res, "acked_seq"), ==, last_seq);
  g_assert_cmpint (json_object_get_int_member (res, "accounts_renamed"), ==, 1);
  g_assert_true (json_object_get_null_member (res, "drift_warning"));

  /* HQ totals = the van's Z report. */
  sync_env_hq_counts (env, &hq_entries, &hq_highest, &hq_amount);
  g_assert_cmpint (hq_entries, ==, last_seq);
  g_assert_cmpint (hq_highest, ==, last_seq);
  z_sum = json_object_get_int_member (z, "cash_in") - json_object_get_int_member (z, "cash_out") +
          json_object_get_int_member (z, "card_in") + json_object_get_int_member (z, "mobile_in");
  g_assert_cmpint (z_sum, ==, 12050 + 5000 + 8000);
  g_assert_cmpint (hq_amount, ==, z_sum);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (res, "hq_totals"), "amount"),
                   ==, z_sum);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (res, "hq_totals"), "entries"),
                   ==, last_seq);

  /* The provisional account now has HQ's real number. */
  g_assert_cmpint (sync_env_cli (env, NULL, NULL, "account", "P-VAN01-000001", NULL), ==, 3);
  new_number = query_text (env->db, "SELECT number FROM accounts WHERE holder = '王小明'");
  g_assert_true (vp_account_number_validate (new_number, NULL));
  status = query_text (env->db, "SELECT status FROM accounts WHERE holder = '王小明'");
  g_assert_cmpstr (status, ==, "active");
  CLI_OK ("account", new_number);

  /* The next Z report prints HQ's acknowledgement. */
  CLI_OK ("shift", "open", "--float", "100", "--staff", "op01", "--pin", "1234");
  CLI_OK ("shift", "close", "--counted", "100", "--staff", "sup01", "--pin", "9876", "--json");
  z2 = parse_object (out);
  g_assert_cmpint (json_object_get_int_member (z2, "hq_acked_entries"), ==, last_seq);
  g_assert_cmpint (json_object_get_int_member (z2, "hq_acked_amount"), ==, z_sum);

  /* Summary line on stdout, the next two entries only. */
  CLI_OK ("sync", "--staff", SUP, "--pin", SUP_PIN);
  g_assert_true (g_str_has_prefix (out, "Synced: pushed 2 (accepted 2, duplicate 0, conflict 0); "
                                        "HQ acknowledged 13 entries"));
  g_assert_true (strchr (out, '\n') == out + strlen (out) - 1);   /* one line */
  sync_env_hq_counts (env, &hq_entries, &hq_highest, &hq_amount);
  g_assert_cmpint (hq_entries, ==, 13);

  /* A van clock an hour slow: the sync warns about the drift. */
  {
    g_autofree char *fake = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             g_get_real_time () / G_USEC_PER_SEC - 3600);
    g_autoptr(JsonObject) res3 = NULL;

    g_setenv ("VP_FAKE_NOW", fake, TRUE);
    CLI_OK ("sync", "--staff", SUP, "--pin", SUP_PIN, "--json");
    g_unsetenv ("VP_FAKE_NOW");
    res3 = parse_object (out);
    g_assert_false (json_object_get_null_member (res3, "drift_warning"));
    g_assert_cmpint (json_object_get_int_member (res3, "drift_ms"), <, -3500 * 1000);
    g_assert_cmpint (json_object_get_int_member (res3, "drift_ms"), >, -3700 * 1000);
    g_assert_nonnull (strstr (err, "warning: The van's clock is 60 min behind HQ's"));
  }

  /* An account opened after HQ acknowledged entries: the push claims
   * them, and the answer maps the new number (only it: the first one was
   * stored with its acknowledgement). */
  {
    g_autoptr(JsonObject) res4 = NULL;
    g_autofree char *second = NULL;

    CLI_OK ("shift", "open", "--float", "100", "--staff", "op01", "--pin", "1234");
    CLI_OK ("open-account", "--name", "李秀英", "--id-number", "11010519491231002X",
            "--phone", "13700137000", "--estate", "长江花园", "--building", "6", "--unit", "2",
            "--room", "202", "--service", "gas", "--meter", "postpaid",
            "--fee", "80", "--method", "card", "--ref", "POS-2", "--staff", "op01", "--pin", "1234");
    CLI_OK ("shift", "close", "--counted", "100", "--staff", "sup01", "--pin", "9876");
    CLI_OK ("account", "P-VAN01-000002");
    CLI_OK ("sync", "--staff", SUP, "--pin", SUP_PIN, "--json");
    res4 = parse_object (out);
    g_assert_cmpint (json_object_get_int_member (res4, "accounts_renamed"), ==, 1);
    g_assert_cmpint (sync_env_cli (env, NULL, NULL, "account", "P-VAN01-000002", NULL), ==, 3);
    second = query_text (env->db, "SELECT number FROM accounts WHERE holder = '李秀英'");
    g_assert_true (vp_account_number_validate (second, NULL));
    g_assert_cmpstr (second, !=, new_number);
    CLI_OK ("account", second);
  }

  /* A wrong supervisor PIN fails before anything is sent. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_env_cli (env, NULL, &err, "sync", "--staff", SUP, "--pin", "1111", NULL), ==, 4);
#undef CLI_OK
  sync_env_free (env);
}

/* --- idempotency --------------------------------------------------------- */

static VpSyncResult *
do_sync (SyncEnv       *env,
         VpSyncClient  *client,
         GError       **error)
{
  return vp_service_sync_with_client (env->service, client, SUP, SUP_PIN, NULL, NULL, NULL, NULL, error);
}

static void
test_replay (void)
{
  g_autoptr(VpSyncClient) client = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GError) error = NULL;
  SyncEnv *env = sync_env_new ("VAN02", 20);
  gint64 entries, highest, amount;

  if (env == NULL)
    return;
  sync_env_add_logs (env, 50);
  client = sync_env_client (env, 3);
  g_assert_true (vp_sync_client_open_session (client, SUP, SUP_PIN, NULL, NULL, &error));
  g_assert_no_error (error);
  batch = vp_outbox_store_list_pending (env->db, 1000, &error);
  g_assert_cmpuint (batch->len, ==, 50);

  for (int round = 0; round < 3; round++)
    {
      g_autoptr(VpPushAck) ack = vp_sync_client_push (client, batch, NULL, &error);
      guint accepted = 0, duplicates = 0;

      g_assert_no_error (error);
      g_assert_cmpint (ack->acked_seq, ==, 50);
      g_assert_cmpint (ack->total_entries, ==, 50);
      for (guint i = 0; i < ack->results->len; i++)
        {
          VpPushOutcome *o = g_ptr_array_index (ack->results, i);

          accepted += g_str_equal (o->outcome, "accepted");
          duplicates += g_str_equal (o->outcome, "duplicate");
        }
      g_assert_cmpuint (accepted, ==, round == 0 ? 50 : 0);
      g_assert_cmpuint (duplicates, ==, round == 0 ? 0 : 50);
      g_assert_true (vp_sync_store_record_push (env->db, ack, NULL, &error));
      sync_env_hq_counts (env, &entries, &highest, &amount);
      g_assert_cmpint (entries, ==, 50);
      g_assert_cmpint (highest, ==, 50);
    }
  g_assert_cmpint (vp_outbox_store_count_pending (env->db), ==, 0);
  g_assert_cmpint (query_int (env->db, "SELECT count (*) FROM outbox WHERE outcome = 'duplicate'"), ==, 50);
  sync_env_free (env);
}

static void
test_answer_dropped_and_upload_cut (void)
{
  g_autoptr(GError) error = NULL;
  SyncEnv *env = sync_env_new ("VAN03", 20);
  gint64 entries, highest, amount;

  if (env == NULL)
    return;

  /* HQ commits, the answer is lost, the client retries: duplicates. */
  {
    g_autoptr(VpSyncClient) client = NULL;
    g_autoptr(VpSyncResult) r = NULL;
    g_autofree char *url = NULL;
    Proxy *proxy = proxy_new (env->url, PROXY_DROP_ANSWER, 16 * 1024);

    sync_env_add_logs (env, 400);
    url = proxy_url (proxy);
    sync_env_set_url (env, url);
    client = sync_env_client (env, 5);
    r = do_sync (env, client, &error);
    g_assert_no_error (error);
    g_assert_true (proxy_fired (proxy));
    /* Resent by libcurl itself (a reused connection died before any
     * answer) or by our backoff: either way at most one retry. */
    g_assert_cmpuint (env->sleeps->len, <=, 1);
    g_assert_cmpint (r->accepted, ==, 0);       /* stored by the lost request */
    g_assert_cmpint (r->duplicates, ==, 400);
    g_assert_cmpint (r->pending, ==, 0);
    sync_env_hq_counts (env, &entries, &highest, &amount);
    g_assert_cmpint (entries, ==, 400);
    g_assert_cmpint (highest, ==, 400);
    proxy_free (proxy);
  }

  /* The connection cut in the middle of the upload: nothing stored, resent. */
  {
    g_autoptr(VpSyncClient) client = NULL;
    g_autoptr(VpSyncResult) r = NULL;
    g_autofree char *url = NULL;
    Proxy *proxy = proxy_new (env->url, PROXY_CUT_UPLOAD, 24 * 1024);

    g_array_set_size (env->sleeps, 0);
    sync_env_add_logs (env, 400);
    url = proxy_url (proxy);
    sync_env_set_url (env, url);
    client = sync_env_client (env, 5);
    r = do_sync (env, client, &error);
    g_assert_no_error (error);
    g_assert_true (proxy_fired (proxy));
    /* Resent by libcurl itself (a reused connection died before any
     * answer) or by our backoff: either way at most one retry. */
    g_assert_cmpuint (env->sleeps->len, <=, 1);
    g_assert_cmpint (r->accepted, ==, 400);
    g_assert_cmpint (r->duplicates, ==, 0);
    g_assert_cmpint (r->pending, ==, 0);
    sync_env_hq_counts (env, &entries, &highest, &amount);
    g_assert_cmpint (entries, ==, 800);
    g_assert_cmpint (highest, ==, 800);
    g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 800);
    proxy_free (proxy);
  }
  sync_env_free (env);
}

/* --- HQ failing ---------------------------------------------------------- */

static void
fail_then_recover (SyncEnv    *env,
                   FakeMode    mode,
                   guint       attempts,
                   gint        code,
                   const char *message_part,
                   guint       expected_requests)
{
  g_autofree char *crt = g_build_filename (env->tls_dir, "server.crt", NULL);
  g_autofree char *key = g_build_filename (env->tls_dir, "server.key", NULL);
  g_autofree char *url = NULL;
  g_autoptr(VpSyncClient) client = NULL;
  g_autoptr(VpSyncClient) good = NULL;
  g_autoptr(VpSyncResult) r = NULL;
  g_autoptr(VpSyncResult) ok = NULL;
  g_autoptr(GError) error = NULL;
  Fake *fake = fake_new (crt, key, mode);
  gint64 pending, entries, highest, amount, before;

  sync_env_add_logs (env, 10);
  pending = vp_outbox_store_count_pending (env->db);
  sync_env_hq_counts (env, &before, &highest, &amount);
  url = fake_url (fake);
  sync_env_set_url (env, url);
  g_array_set_size (env->sleeps, 0);
  client = sync_env_client (env, attempts);
  vp_sync_client_set_timeouts (client, 2, 1, 3);
  r = do_sync (env, client, &error);
  g_assert_null (r);
  g_assert_error (error, VP_SYNC_ERROR, code);
  g_assert_nonnull (strstr (error->message, message_part));
  g_assert_cmpuint (fake_n_requests (fake), ==, expected_requests);
  g_assert_cmpint (vp_outbox_store_count_pending (env->db), ==, pending);
  g_clear_error (&error);
  fake_free (fake);

  /* The next try, against the real HQ, succeeds. */
  sync_env_set_url (env, env->url);
  good = sync_env_client (env, 3);
  ok = do_sync (env, good, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ok->accepted, ==, pending);
  g_assert_cmpint (ok->pending, ==, 0);
  sync_env_hq_counts (env, &entries, &highest, &amount);
  g_assert_cmpint (entries, ==, before + pending);
  g_assert_cmpint (highest, ==, vp_journal_store_last_seq (env->db));
}

static void
test_hq_failures (void)
{
  SyncEnv *env = sync_env_new ("VAN04", 20);

  if (env == NULL)
    return;
  /* 500 every time: 3 attempts, backoff 100 then 200 ms (+ ≤ 50 % jitter). */
  fail_then_recover (env, FAKE_500, 3, VP_SYNC_ERROR_SERVER, "database unavailable", 3);
  /* Time-outs: the answer never comes. */
  fail_then_recover (env, FAKE_HANG, 2, VP_SYNC_ERROR_TIMEOUT, "did not answer in time", 3);
  /* Malformed and wrong-typed JSON, oversized answers: not retried. */
  fail_then_recover (env, FAKE_MALFORMED, 3, VP_SYNC_ERROR_PROTOCOL, "not valid JSON", 2);
  fail_then_recover (env, FAKE_WRONG_TYPE, 3, VP_SYNC_ERROR_PROTOCOL, "“acked_seq” is not an integer", 2);
  fail_then_recover (env, FAKE_OVERSIZED, 3, VP_SYNC_ERROR_PROTOCOL, "larger than 32 MiB", 2);
  sync_env_free (env);
}

static void
test_backoff_delays (void)
{
  g_autoptr(VpSyncClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *crt = NULL, *key = NULL, *url = NULL;
  SyncEnv *env = sync_env_new ("VAN05", 5);
  Fake *fake;

  if (env == NULL)
    return;
  crt = g_build_filename (env->tls_dir, "server.crt", NULL);
  key = g_build_filename (env->tls_dir, "server.key", NULL);
  fake = fake_new (crt, key, FAKE_500);
  url = fake_url (fake);
  sync_env_set_url (env, url);
  client = sync_env_client (env, 4);
  g_assert_false (vp_sync_client_open_session (client, SUP, SUP_PIN, NULL, NULL, &error));
  g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_SERVER);
  g_assert_true (g_str_has_prefix (error->message, "After 4 attempts: "));
  g_assert_cmpuint (env->sleeps->len, ==, 3);
  /* base 100 ms doubling, capped at 1000, plus up to 50 % jitter */
  g_assert_cmpuint (g_array_index (env->sleeps, guint, 0), >=, 100);
  g_assert_cmpuint (g_array_index (env->sleeps, guint, 0), <=, 150);
  g_assert_cmpuint (g_array_index (env->sleeps, guint, 1), >=, 200);
  g_assert_cmpuint (g_array_index (env->sleeps, guint, 1), <=, 300);
  g_assert_cmpuint (g_array_index (env->sleeps, guint, 2), >=, 400);
  g_assert_cmpuint (g_array_index (env->sleeps, guint, 2), <=, 600);
  fake_free (fake);
  sync_env_free (env);
}

/* --- trust --------------------------------------------------------------- */

/* A certificate for 127.0.0.1 with key_file's key, signed by the CA,
 * valid from now + from_days to now + to_days. */
static void
make_cert (const char *ca_crt,
           const char *ca_key,
           const char *key_file,
           const char *out_file,
           long        from_days,
           long        to_days)
{
  FILE *f;
  X509 *ca, *x;
  EVP_PKEY *cakey, *key;
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  X509_NAME *name;

  f = fopen (ca_crt, "r");
  ca = PEM_read_X509 (f, NULL, NULL, NULL);
  fclose (f);
  f = fopen (ca_key, "r");
  cakey = PEM_read_PrivateKey (f, NULL, NULL, NULL);
  fclose (f);
  f = fopen (key_file, "r");
  key = PEM_read_PrivateKey (f, NULL, NULL, NULL);
  fclose (f);
  g_assert_nonnull (ca);
  g_assert_nonnull (cakey);
  g_assert_nonnull (key);

  x = X509_new ();
  X509_set_version (x, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (x), g_random_int_range (1000, 1000000));
  X509_set_issuer_name (x, X509_get_subject_name (ca));
  name = X509_NAME_new ();
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const guchar *)"127.0.0.1", -1, -1, 0);
  X509_set_subject_name (x, name);
  X509_NAME_free (name);
  X509_gmtime_adj (X509_getm_notBefore (x), from_days * 86400);
  X509_gmtime_adj (X509_getm_notAfter (x), to_days * 86400);
  X509_set_pubkey (x, key);
  X509V3_set_ctx (&ctx, ca, x, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  X509_add_ext (x, ext, -1);
  X509_EXTENSION_free (ext);
  g_assert_cmpint (X509_sign (x, cakey, EVP_sha256 ()), >, 0);
  f = fopen (out_file, "w");
  PEM_write_X509 (f, x);
  fclose (f);
  X509_free (x);
  X509_free (ca);
  EVP_PKEY_free (cakey);
  EVP_PKEY_free (key);
}

/* Fails with code, changes nothing on either side. */
static void
assert_refused (SyncEnv    *env,
                gint        code,
                const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSyncClient) client = NULL;
  g_autoptr(VpSyncResult) r = NULL;
  gint64 pending, before, after, highest, amount;

  sync_env_add_logs (env, 3);
  pending = vp_outbox_store_count_pending (env->db);
  sync_env_hq_counts (env, &before, &highest, &amount);
  client = vp_sync_client_new_for_database (env->db, &error);
  if (client != NULL)
    {
      vp_sync_client_set_retry (client, 2, 10, 10);
      vp_sync_client_set_timeouts (client, 3, 3, 6);
      r = do_sync (env, client, &error);
      g_assert_null (r);
    }
  g_assert_error (error, VP_SYNC_ERROR, code);
  if (message_part && strstr (error->message, message_part) == NULL)
    g_error ("“%s” does not say “%s”", error->message, message_part);
  g_assert_cmpint (vp_outbox_store_count_pending (env->db), ==, pending);
  sync_env_hq_counts (env, &after, &highest, &amount);
  g_assert_cmpint (after, ==, before);
}

static void
sync_ok (SyncEnv *env)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSyncClient) client = sync_env_client (env, 2);
  g_autoptr(VpSyncResult) r = do_sync (env, client, &error);
  gint64 entries, highest, amount;

  g_assert_no_error (error);
  g_assert_cmpint (r->pending, ==, 0);
  sync_env_hq_counts (env, &entries, &highest, &amount);
  g_assert_cmpint (highest, ==, vp_journal_store_last_seq (env->db));
  g_assert_cmpint (entries, ==, highest);
}

static void
set_meta (SyncEnv    *env,
          const char *key,
          const char *value)
{
  g_autoptr(GError) error = NULL;

  vp_database_set_meta (env->db, key, value, &error);
  g_assert_no_error (error);
}

static void
test_trust (void)
{
  SyncEnv *env = sync_env_new ("VAN06", 20);
  g_autofree char *ca = NULL, *cert = NULL, *key = NULL, *pins = NULL, *good_pin = NULL;
  g_autofree char *other = NULL, *out = NULL, *err = NULL;
  g_autofree char *ca_key = NULL, *server_key = NULL, *expired = NULL, *url = NULL;
  const char *wrong_pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

  if (env == NULL)
    return;
  ca = vp_database_get_meta (env->db, VP_META_HQ_CA);
  cert = vp_database_get_meta (env->db, VP_META_HQ_CLIENT_CERT);
  key = vp_database_get_meta (env->db, VP_META_HQ_CLIENT_KEY);
  pins = vp_database_get_meta (env->db, VP_META_HQ_PINS);
  other = g_build_filename (env->dir, "other", NULL);
  g_mkdir (other, 0700);

  /* Wrong server pin. */
  set_meta (env, VP_META_HQ_PINS, wrong_pin);
  assert_refused (env, VP_SYNC_ERROR_PIN, "matches none of the pinned keys");
  /* A backup pin is accepted: the wrong one first, HQ's second. */
  good_pin = g_strndup (pins, strcspn (pins, ";"));
  {
    g_autofree char *both = g_strdup_printf ("%s;%s", wrong_pin, good_pin);
    set_meta (env, VP_META_HQ_PINS, both);
    sync_ok (env);
  }
  set_meta (env, VP_META_HQ_PINS, pins);

  /* Untrusted server certificate: issued by another CA (HQ's key, so
   * only the chain is wrong). */
  ca_key = g_build_filename (env->tls_dir, "ca.key", NULL);
  server_key = g_build_filename (env->tls_dir, "server.key", NULL);
  {
    g_autofree char *other_ca = g_build_filename (other, "ca.crt", NULL);
    g_autofree char *other_key = g_build_filename (other, "ca.key", NULL);
    g_autofree char *foreign = g_build_filename (other, "foreign.crt", NULL);
    g_autofree char *furl = NULL;
    Fake *fake;

    g_assert_cmpint (sync_env_run (&out, &err, "/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
                                   "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                                   "/CN=Not HQ CA", "-days", "2", "-keyout", other_key,
                                   "-out", other_ca, NULL), ==, 0);
    make_cert (other_ca, other_key, server_key, foreign, -1, 30);
    fake = fake_new (foreign, server_key, FAKE_500);
    furl = fake_url (fake);
    sync_env_set_url (env, furl);
    assert_refused (env, VP_SYNC_ERROR_TLS, "not trusted");
    g_assert_cmpuint (fake_n_requests (fake), ==, 0);
    fake_free (fake);
    sync_env_set_url (env, env->url);
  }

  /* Expired server certificate (HQ's own key, so the pin matches). */
  expired = g_build_filename (other, "expired.crt", NULL);
  {
    g_autofree char *hq_ca = g_build_filename (env->tls_dir, "ca.crt", NULL);
    Fake *fake;

    make_cert (hq_ca, ca_key, server_key, expired, -30, -1);
    fake = fake_new (expired, server_key, FAKE_500);
    url = fake_url (fake);
    sync_env_set_url (env, url);
    assert_refused (env, VP_SYNC_ERROR_TLS, "not trusted");
    g_assert_cmpuint (fake_n_requests (fake), ==, 0);
    fake_free (fake);
    sync_env_set_url (env, env->url);
  }

  /* A client certificate HQ did not issue. */
  {
    g_autofree char *c = g_build_filename (other, "client.crt", NULL);
    g_autofree char *k = g_build_filename (other, "client.key", NULL);

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (sync_env_run (&out, &err, "/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
                                   "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                                   "/CN=VAN06", "-days", "2", "-keyout", k, "-out", c, NULL), ==, 0);
    set_meta (env, VP_META_HQ_CLIENT_CERT, c);
    set_meta (env, VP_META_HQ_CLIENT_KEY, k);
    assert_refused (env, VP_SYNC_ERROR_CLIENT_CERT, "would be refused by HQ");
    set_meta (env, VP_META_HQ_CLIENT_CERT, cert);
    set_meta (env, VP_META_HQ_CLIENT_KEY, key);
  }

  /* Missing client key file. */
  {
    g_autofree char *gone = g_strconcat (key, ".gone", NULL);

    g_assert_cmpint (g_rename (key, gone), ==, 0);
    assert_refused (env, VP_SYNC_ERROR_CLIENT_CERT, "client key");
    g_assert_cmpint (g_rename (gone, key), ==, 0);
  }
  sync_ok (env);

  /* Revoked at HQ. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_env_hq (env, &out, &err, "revoke", "VAN06", NULL), ==, 0);
  assert_refused (env, VP_SYNC_ERROR_CLIENT_CERT, "revoked");

  /* Not set up at all. */
  exec_sql (env->db, "DELETE FROM meta WHERE key = 'hq_url'");
  assert_refused (env, VP_SYNC_ERROR_NOT_CONFIGURED, "sync setup");
  sync_env_free (env);
}

/* --- altered entries and gaps -------------------------------------------- */

static void
test_altered_and_gap (void)
{
  SyncEnv *env = sync_env_new ("VAN07", 20);
  g_autofree char *payload = NULL;

  if (env == NULL)
    return;
  sync_env_add_logs (env, 5);
  sync_ok (env);

  /* An entry altered on the van after it was written. */
  sync_env_add_logs (env, 5);
  payload = query_text (env->db, "SELECT payload FROM journal WHERE seq = 8");
  exec_sql (env->db, "DROP TRIGGER journal_no_update;"
                     "UPDATE journal SET payload = replace (payload, 'visit 2', 'visit 9') WHERE seq = 8");
  assert_refused (env, VP_SYNC_ERROR_REJECTED, "entry 8 (");
  set_payload (env->db, 8, payload);
  sync_ok (env);

  /* An entry HQ already holds, replayed with different content. */
  {
    g_autofree char *p3 = query_text (env->db, "SELECT payload FROM journal WHERE seq = 3");

    exec_sql (env->db, "UPDATE journal SET payload = replace (payload, 'visit', 'VISIT') WHERE seq = 3;"
                       "UPDATE outbox SET state = 'pending' WHERE seq >= 3");
    assert_refused (env, VP_SYNC_ERROR_REJECTED, "entry 3");
    set_payload (env->db, 3, p3);
    sync_ok (env);
  }

  /* A gap: the outbox skips entries HQ never got. */
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 16);
  sync_env_add_logs (env, 5);   /* 17 … 21; assert_refused adds 22 … 24 */
  exec_sql (env->db, "UPDATE outbox SET state = 'acked' WHERE seq IN (17, 18)");
  assert_refused (env, VP_SYNC_ERROR_GAP, "expects entry 17");
  exec_sql (env->db, "UPDATE outbox SET state = 'pending' WHERE seq IN (17, 18)");
  sync_ok (env);
  sync_env_free (env);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sync/hq/full-day", test_full_day);
  g_test_add_func ("/sync/hq/replay-three-times", test_replay);
  g_test_add_func ("/sync/hq/answer-dropped-and-upload-cut", test_answer_dropped_and_upload_cut);
  g_test_add_func ("/sync/hq/failures-then-recovery", test_hq_failures);
  g_test_add_func ("/sync/hq/backoff", test_backoff_delays);
  g_test_add_func ("/sync/hq/trust", test_trust);
  g_test_add_func ("/sync/hq/altered-and-gap", test_altered_and_gap);
  return g_test_run ();
}
