/* test-hq-ops.c: issue 10's HQ operations end to end on a private
 * PostgreSQL: the PIN throttle and lock of /session (also through a
 * second HQ instance on the same database), utility card keys (two vans
 * provisioned by one HQ top up each other's cards, renewal keeps them,
 * legacy cards, a forged card), and the operator commands.
 * Run through run-with-hq.sh (meson does).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <openssl/rand.h>

#include "vp-card-store.h"
#include "vp-demo.h"
#include "vp-service.h"
#include "vp-sim-card.h"
#include "vp-sync.h"
#include "vp-service-sync.h"
#include "hq-test-util.h"

static VpSyncResult *run_sync (VpDatabase   *db,
                               VpSyncClient *client,
                               const char   *staff,
                               const char   *pin,
                               GError      **error);

static char *tmp_dir;
static PGconn *pg;
static VpDatabase *van1, *van2;
static char *bundle1, *bundle2;

static void
sql (const char *command)
{
  PGresult *res = PQexec (pg, command);

  if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", command, PQresultErrorMessage (res));
  PQclear (res);
}

static char *
pg_text (const char *query)
{
  PGresult *res = PQexec (pg, query);
  char *v;

  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_cmpint (PQntuples (res), ==, 1);
  v = PQgetisnull (res, 0, 0) ? NULL : g_strdup (PQgetvalue (res, 0, 0));
  PQclear (res);
  return v;
}

static HqResp *
session (const char *bundle,
         const char *van,
         const char *staff,
         const char *pin)
{
  g_autofree char *path = g_strdup_printf ("/v1/vans/%s/session", van);
  g_autofree char *body = g_strdup_printf ("{\"staff\": \"%s\", \"pin\": \"%s\"}", staff, pin);
  HqResp *r = hq_https ("POST", path, body, strlen (body), FALSE, bundle, NULL);

  g_assert_null (r->curl_error);
  return r;
}

static void
assert_answer (HqResp     *r,
               long        status,
               const char *code,
               const char *part)
{
  if (r->status != status)
    g_error ("expected HTTP %ld, got %ld: %s", status, r->status, r->body);
  if (code != NULL)
    {
      g_assert_nonnull (r->json);
      g_assert_cmpstr (json_object_get_string_member (r->json, "error"), ==, code);
      if (part != NULL && strstr (json_object_get_string_member (r->json, "message"), part) == NULL)
        g_error ("“%s” not in “%s”", part, json_object_get_string_member (r->json, "message"));
    }
}

/* The test's stand-in for time passing: the pair may try again now. */
static void
let_time_pass (const char *van)
{
  g_autofree char *q = g_strdup_printf ("UPDATE pin_attempts SET next_allowed = now () - interval"
                                        " '1 second' WHERE van = '%s'", van);
  sql (q);
}

static gint64
pin_failures (const char *van,
              const char *staff)
{
  g_autofree char *q = g_strdup_printf ("SELECT failures FROM pin_attempts WHERE van = '%s'"
                                        " AND staff = '%s'", van, staff);
  return hq_pg_int (pg, q);
}

static VpDatabase *
make_van (const char *id,
          char      **bundle_out,
          const char *legacy_key)
{
  g_autoptr(GError) error = NULL;
  VpDatabase *db = hq_make_van (tmp_dir, id, 30);

  /* A van that ran before utility card keys has its own key. */
  if (legacy_key != NULL)
    g_assert_true (vp_card_store_set_key (db, legacy_key, &error));
  *bundle_out = hq_provision (db, tmp_dir, id);
  g_assert_true (vp_sync_setup_from_bundle (db, *bundle_out, &error));
  g_assert_no_error (error);
  return db;
}

static void
test_setup_vans (void)
{
  g_autofree char *keys = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  van1 = make_van ("VAN01", &bundle1, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  van2 = make_van ("VAN02", &bundle2, NULL);
  hq_export_master (van1, tmp_dir);
  /* The bundle carries the utility's master key, the same for both vans,
   * and no per-van card.key any more. */
  path = g_build_filename (bundle1, "card-keys", NULL);
  g_assert_true (g_file_get_contents (path, &keys, NULL, &error));
  g_assert_true (g_str_has_prefix (keys, "1 "));
  g_assert_cmpuint (strlen (keys), ==, 2 + 64 + 1);
  {
    g_autofree char *path2 = g_build_filename (bundle2, "card-keys", NULL);
    g_autofree char *keys2 = NULL;
    g_autofree char *old = g_build_filename (bundle2, "card.key", NULL);

    g_assert_true (g_file_get_contents (path2, &keys2, NULL, NULL));
    g_assert_cmpstr (keys, ==, keys2);
    g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
  }
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM card_master_keys"), ==, 1);
}

/* A damaged card-keys file in a bundle: one clear error, nothing stored. */
static void
test_bad_card_keys_bundle (void)
{
  g_autofree char *bad = g_build_filename (tmp_dir, "bad-bundle", NULL);
  g_autofree char *before = vp_database_get_meta (van1, "card_keys");
  g_autofree char *after = NULL;
  g_autofree char *url = vp_database_get_meta (van1, "hq_url");
  g_autofree char *url_after = NULL;
  const char *names[] = { "ca.crt", "client.crt", "client.key", "hq.json" };
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (before);
  g_assert_cmpint (g_mkdir (bad, 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *from = g_build_filename (bundle1, names[i], NULL);
      g_autofree char *to = g_build_filename (bad, names[i], NULL);
      g_autofree char *text = NULL;

      g_assert_true (g_file_get_contents (from, &text, NULL, NULL));
      g_assert_true (g_file_set_contents (to, text, -1, NULL));
    }
  {
    g_autofree char *keys = g_build_filename (bad, "card-keys", NULL);
    g_assert_true (g_file_set_contents (keys, "1 0011zz\n", -1, NULL));
  }
  g_assert_false (vp_sync_setup_from_bundle (van1, bad, &error));
  g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "card-keys: The card key must be 64 hex digits"));
  after = vp_database_get_meta (van1, "card_keys");
  url_after = vp_database_get_meta (van1, "hq_url");
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpstr (url_after, ==, url);
}

/* ---- PIN throttle ------------------------------------------------------- */

static void
test_pin_throttle (void)
{
  g_autoptr(HqResp) r = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  /* First wrong PIN: refused, one second before the next try. */
  r = session (bundle1, "VAN01", "sup01", "0000");
  assert_answer (r, 401, "auth", "4 more wrong PINs");
  g_assert_cmpint (r->retry_after, ==, 1);
  g_clear_pointer (&r, hq_resp_free);
  /* Even the right PIN is not heard yet: 429 at once, no PBKDF2. */
  r = session (bundle1, "VAN01", "sup01", "9876");
  assert_answer (r, 429, "throttled", "try again in 1 s");
  g_assert_cmpint (r->retry_after, ==, 1);
  g_clear_pointer (&r, hq_resp_free);
  /* Another van is not held back by VAN01's guessing. */
  r = session (bundle2, "VAN02", "sup01", "9876");
  assert_answer (r, 200, NULL, NULL);
  g_clear_pointer (&r, hq_resp_free);

  /* The delay doubles: 1, 2, 4, 8 s; the fifth wrong PIN locks. */
  for (int i = 2; i <= 4; i++)
    {
      g_autofree char *left = g_strdup_printf ("%d more wrong PIN", 5 - i);

      let_time_pass ("VAN01");
      r = session (bundle1, "VAN01", "sup01", "1111");
      assert_answer (r, 401, "auth", left);
      g_assert_cmpint (r->retry_after, ==, 1 << (i - 1));
      g_assert_cmpint (pin_failures ("VAN01", "sup01"), ==, i);
      g_clear_pointer (&r, hq_resp_free);
      r = session (bundle1, "VAN01", "sup01", "9876");
      assert_answer (r, 429, "throttled", NULL);
      g_assert_cmpint (r->retry_after, ==, 1 << (i - 1));
      g_clear_pointer (&r, hq_resp_free);
    }
  let_time_pass ("VAN01");
  r = session (bundle1, "VAN01", "sup01", "2222");
  assert_answer (r, 401, "locked", "vanpos-hq staff unlock");
  g_clear_pointer (&r, hq_resp_free);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM pin_attempts WHERE van = 'VAN01'"
                                  " AND staff = 'sup01' AND locked AND failures = 5"), ==, 1);
  /* Locked: the right PIN is refused, however long one waits. */
  let_time_pass ("VAN01");
  r = session (bundle1, "VAN01", "sup01", "9876");
  assert_answer (r, 401, "locked", NULL);
  g_clear_pointer (&r, hq_resp_free);
  g_assert_cmpint (pin_failures ("VAN01", "sup01"), ==, 5);
  /* VAN02 is still fine, and its right PIN left no count. */
  r = session (bundle2, "VAN02", "sup01", "9876");
  assert_answer (r, 200, NULL, NULL);
  g_clear_pointer (&r, hq_resp_free);
  g_assert_cmpint (pin_failures ("VAN02", "sup01"), ==, 0);

  /* The operator sees the lock and lifts it. */
  g_assert_cmpint (hq_run (&out, &err, "staff", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "ID\tNAME\tROLE\tACTIVE\tLOCKED_AT\tWRONG_PINS\n"));
  g_assert_nonnull (strstr (out, "\tsupervisor\tyes\tVAN01\t5\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "staff", "unlock", "sup01", "--van", "VAN01", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "Staff sup01 unlocked at 1 van\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  r = session (bundle1, "VAN01", "sup01", "9876");
  assert_answer (r, 200, NULL, NULL);
  g_clear_pointer (&r, hq_resp_free);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM pin_attempts WHERE failures > 0"
                                  " OR locked"), ==, 0);
  /* Nothing left to unlock: refused, nothing changed. */
  g_assert_cmpint (hq_run (&out, &err, "staff", "unlock", "sup01", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "has no wrong PINs on record; nothing changed"));
}

/* Made-up staff ids share one bucket per van: rotating them buys nothing. */
static void
test_pin_unknown_staff (void)
{
  g_autoptr(HqResp) r = NULL;

  r = session (bundle2, "VAN02", "nobody1", "1234");
  assert_answer (r, 401, "auth", "wrong staff id or PIN");
  g_clear_pointer (&r, hq_resp_free);
  r = session (bundle2, "VAN02", "nobody2", "1234");
  assert_answer (r, 429, "throttled", NULL);
  g_clear_pointer (&r, hq_resp_free);
  g_assert_cmpint (pin_failures ("VAN02", "?"), ==, 1);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM pin_attempts WHERE van = 'VAN02'"
                                  " AND staff LIKE 'nobody%'"), ==, 0);
  /* A real supervisor at that van is not held back by the bucket. */
  r = session (bundle2, "VAN02", "sup01", "9876");
  assert_answer (r, 200, NULL, NULL);
  sql ("DELETE FROM pin_attempts");
}

/* The van's sync client reports a throttled login as a login refusal
 * with HQ's reason, not as a protocol error. */
static void
test_pin_sync_client (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSyncClient) client = vp_sync_client_new_for_database (van1, &error);
  gint64 hq_time = 0;

  g_assert_no_error (error);
  /* The client alone (the service checks the PIN on the van first). */
  g_assert_false (vp_sync_client_open_session (client, VP_DEMO_SUPERVISOR_ID, "0000", &hq_time,
                                               NULL, &error));
  g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "wrong staff id or PIN; 4 more wrong PINs"));
  g_clear_error (&error);
  g_assert_false (vp_sync_client_open_session (client, VP_DEMO_SUPERVISOR_ID, VP_DEMO_SUPERVISOR_PIN,
                                               &hq_time, NULL, &error));
  g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "try again in 1 s"));
  sql ("DELETE FROM pin_attempts");
}

/* The count lives in PostgreSQL: a second HQ instance on the same
 * database (or the same one restarted) sees it. */
static void
test_pin_second_instance (void)
{
  g_autoptr(GSubprocess) hq2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port_file = g_build_filename (tmp_dir, "hq2.port", NULL);
  g_autofree char *port = NULL;
  g_autofree char *url1 = g_strdup (hq_env ("VANPOS_HQ_URL"));
  g_autofree char *url2 = NULL;
  g_autoptr(HqResp) r = NULL;

  hq2 = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                          &error, hq_env ("VANPOS_HQ_BIN"), "--pg", hq_env ("VANPOS_HQ_PG"),
                          "serve", "--listen", "127.0.0.1:0", "--tls-dir",
                          hq_env ("VANPOS_HQ_TLS_DIR"), "--port-file", port_file, NULL);
  g_assert_no_error (error);
  for (int i = 0; i < 200 && (port == NULL || *port == '\0'); i++)
    {
      g_clear_pointer (&port, g_free);
      if (!g_file_get_contents (port_file, &port, NULL, NULL))
        g_usleep (50 * 1000);
    }
  g_assert_nonnull (port);
  url2 = g_strdup_printf ("https://127.0.0.1:%s", g_strstrip (port));

  r = session (bundle1, "VAN01", "sup01", "0000");   /* instance 1 */
  assert_answer (r, 401, "auth", "4 more");
  g_clear_pointer (&r, hq_resp_free);
  g_setenv ("VANPOS_HQ_URL", url2, TRUE);
  r = session (bundle1, "VAN01", "sup01", "9876");   /* instance 2 */
  assert_answer (r, 429, "throttled", NULL);
  g_clear_pointer (&r, hq_resp_free);
  let_time_pass ("VAN01");
  r = session (bundle1, "VAN01", "sup01", "0000");
  assert_answer (r, 401, "auth", "3 more");
  g_clear_pointer (&r, hq_resp_free);
  g_setenv ("VANPOS_HQ_URL", url1, TRUE);
  g_assert_cmpint (pin_failures ("VAN01", "sup01"), ==, 2);
  g_subprocess_send_signal (hq2, SIGTERM);
  g_subprocess_wait (hq2, NULL, NULL);
  sql ("DELETE FROM pin_attempts");
}

/* ---- utility card keys --------------------------------------------------- */

typedef struct
{
  VpService *svc;
  VpStaff   *staff;
  VpSimCard *sim;
} VanCtx;

static VanCtx ctx1, ctx2;
static char *card_dir;

static void
van_ctx_open (VanCtx     *c,
              VpDatabase *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) shift = NULL;

  c->svc = vp_service_new (db);
  c->staff = vp_service_login (c->svc, VP_DEMO_OPERATOR_ID, VP_DEMO_OPERATOR_PIN, &error);
  g_assert_no_error (error);
  shift = vp_service_shift_open (c->svc, c->staff, 10000, &error);
  g_assert_no_error (error);
  /* One card drawer for both vans: the resident walks from one to the other. */
  c->sim = vp_sim_card_new (card_dir, &error);
  g_assert_no_error (error);
  vp_service_set_card_reader (c->svc, VP_CARD_READER (c->sim));
}

static char *
van_text (VpDatabase *db,
          const char *query)
{
  sqlite3_stmt *stmt = NULL;
  char *v = NULL;

  vp_database_lock (db);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (db), query, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  vp_database_unlock (db);
  g_assert_nonnull (v);
  return v;
}

static VpJournalEntry *
topup_at (VanCtx     *c,
          const char *number,
          const char *card,
          VpMoney     amount,
          GError    **error)
{
  g_assert_true (vp_sim_card_insert (c->sim, card, NULL));
  return vp_service_topup (c->svc, c->staff, number, amount, 0, VP_PAYMENT_CASH, NULL, NULL,
                           NULL, NULL, error);
}

/* One sync of db with client (the service runs it since the sync client
 * only speaks HQ). */
static VpSyncResult *
run_sync (VpDatabase   *db,
          VpSyncClient *client,
          const char   *staff,
          const char   *pin,
          GError      **error)
{
  g_autoptr(VpService) svc = vp_service_new (db);

  return vp_service_sync_with_client (svc, client, staff, pin, NULL, NULL, NULL, NULL, error);
}

/* Push the van's journal, pull master data (card counters). */
static void
sync_van (VpDatabase *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSyncClient) client = vp_sync_client_new_for_database (db, &error);
  g_autoptr(VpSyncResult) res = NULL;

  g_assert_no_error (error);
  res = run_sync (db, client, VP_DEMO_SUPERVISOR_ID, VP_DEMO_SUPERVISOR_PIN, &error);
  g_assert_no_error (error);
}

static guint
card_key_version (const char *card)
{
  g_autofree char *path = vp_sim_card_get_card_path (ctx1.sim, card);
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, ==, VP_CARD_IMAGE_SIZE);
  /* The newest slot is the one with the higher counter; both carry a version. */
  {
    const guint8 *d = (const guint8 *) data;
    guint32 c0 = (d[52] << 24) | (d[53] << 16) | (d[54] << 8) | d[55];
    guint32 c1 = (d[248 + 52] << 24) | (d[248 + 53] << 16) | (d[248 + 54] << 8) | d[248 + 55];
    const guint8 *rec = c1 > c0 ? d + 248 : d;

    return (rec[6] << 8) | rec[7];
  }
}

static void
test_cards_shared (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *number = van_text (van1, "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                            " AND card_number IS NOT NULL AND status = 'active'"
                                            " ORDER BY id LIMIT 1");
  g_autofree char *card = NULL;
  g_autofree char *q = NULL;
  gint64 c0;
  guint8 blank[VP_CARD_IMAGE_SIZE] = { 0 };

  card_dir = g_build_filename (tmp_dir, "cards", NULL);
  van_ctx_open (&ctx1, van1);
  van_ctx_open (&ctx2, van2);
  q = g_strdup_printf ("SELECT card_number FROM accounts WHERE number = '%s'", number);
  card = van_text (van1, q);
  g_clear_pointer (&q, g_free);
  q = g_strdup_printf ("SELECT card_counter FROM accounts WHERE number = '%s'", number);
  {
    g_autofree char *c = van_text (van1, q);
    c0 = g_ascii_strtoll (c, NULL, 10);
  }
  g_assert_true (vp_sim_card_issue (ctx1.sim, card, blank, &error));
  g_assert_no_error (error);

  /* VAN01 tops the card up (utility key version 1) … */
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx1, number, card, 5000, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  }
  g_assert_cmpuint (card_key_version (card), ==, 1);
  sync_van (van1);
  sync_van (van2);
  /* … VAN02 reads it and tops it up … */
  g_assert_true (vp_sim_card_insert (ctx2.sim, card, NULL));
  {
    g_autoptr(VpCardReadout) r = vp_service_card_read (ctx2.svc, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (r->verified);
    g_assert_cmpint (r->record.counter, ==, c0 + 1);
    g_assert_cmpuint (r->record.key_version, ==, 1);
  }
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx2, number, card, 3000, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  }
  sync_van (van2);
  sync_van (van1);
  /* … and VAN01 tops it up again. */
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx1, number, card, 2000, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  }
  {
    g_autoptr(VpCardReadout) r = vp_service_card_read (ctx1.svc, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (r->record.counter, ==, c0 + 3);
    g_assert_cmpuint (r->record.n_history, ==, 3);
  }
  sync_van (van1);
  g_clear_pointer (&q, g_free);
  q = g_strdup_printf ("SELECT card_counter FROM accounts WHERE number = '%s'", number);
  g_assert_cmpint (hq_pg_int (pg, q), ==, c0 + 3);
}

/* A certificate renewal (provision again, or `renew`) keeps every card
 * readable: the card keys are the utility's, not the certificate's. */
static void
test_cards_after_renewal (void)
{
  g_autofree char *number = van_text (van1, "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                            " AND card_number IS NOT NULL AND status = 'active'"
                                            " ORDER BY id LIMIT 1");
  g_autofree char *q = g_strdup_printf ("SELECT card_number FROM accounts WHERE number = '%s'",
                                        number);
  g_autofree char *card = van_text (van1, q);
  g_autofree char *renewed = g_build_filename (tmp_dir, "VAN01-renewed", NULL);
  g_autofree char *again = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  again = hq_provision (van1, tmp_dir, "VAN01");   /* the old way to renew */
  g_assert_true (vp_sync_setup_from_bundle (van1, again, &error));
  g_assert_no_error (error);
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx1, number, card, 1000, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (hq_run (NULL, &err, "renew", "VAN01", "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"),
                           "--url", hq_env ("VANPOS_HQ_URL"), "--out", renewed, NULL), ==, 0);
  g_assert_true (vp_sync_setup_from_bundle (van1, renewed, &error));
  g_assert_no_error (error);
  g_free (bundle1);
  bundle1 = g_strdup (renewed);
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx1, number, card, 1000, &error);
    g_assert_no_error (error);
  }
  sync_van (van1);   /* the renewed certificate works */
  sync_van (van2);
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx2, number, card, 1000, &error);
    g_assert_no_error (error);
  }
  sync_van (van2);
  sync_van (van1);
}

/* A card VAN01 wrote under its own key before utility keys (version 0):
 * VAN01 still reads it; VAN02 cannot until VAN01 tops it up, which moves
 * it to the utility key. */
static void
test_cards_legacy (void)
{
  g_autofree char *number = van_text (van1, "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                            " AND card_number IS NOT NULL AND status = 'active'"
                                            " ORDER BY id LIMIT 1 OFFSET 1");
  g_autofree char *q = g_strdup_printf ("SELECT card_number FROM accounts WHERE number = '%s'",
                                        number);
  g_autofree char *card = van_text (van1, q);
  g_autofree char *qc = g_strdup_printf ("SELECT card_counter FROM accounts WHERE number = '%s'",
                                         number);
  g_autofree char *cs = van_text (van1, qc);
  g_autoptr(GError) error = NULL;
  guint8 image[VP_CARD_IMAGE_SIZE] = { 0 };
  guint8 legacy[VP_CARD_KEY_SIZE];
  VpCardRecord r = { 0 };
  gint64 before;

  g_assert_true (vp_card_key_from_hex ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                                       legacy, NULL));
  g_strlcpy (r.card_number, card, sizeof r.card_number);
  g_strlcpy (r.account_number, number, sizeof r.account_number);
  r.counter = g_ascii_strtoll (cs, NULL, 10);
  r.time = g_get_real_time ();
  g_assert_true (vp_card_record_encode (&r, legacy, image, &error));
  g_assert_true (vp_sim_card_issue (ctx1.sim, card, image, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (card_key_version (card), ==, 0);

  before = hq_pg_int (pg, "SELECT count (*) FROM journal");
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx2, number, card, 1000, &error);
    g_assert_null (e);
    g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC);
    g_assert_nonnull (strstr (error->message, "another van's own key"));
    g_clear_error (&error);
  }
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx1, number, card, 1000, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  }
  g_assert_cmpuint (card_key_version (card), ==, 1);
  sync_van (van1);
  sync_van (van2);
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx2, number, card, 1000, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  }
  sync_van (van2);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM journal"), >, before);
}

/* A card signed with a key that is not the utility's is still forged. */
static void
test_cards_forged (void)
{
  g_autofree char *number = van_text (van2, "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                            " AND card_number IS NOT NULL AND status = 'active'"
                                            " ORDER BY id LIMIT 1 OFFSET 2");
  g_autofree char *q = g_strdup_printf ("SELECT card_number FROM accounts WHERE number = '%s'",
                                        number);
  g_autofree char *card = van_text (van2, q);
  g_autofree char *qc = g_strdup_printf ("SELECT card_counter FROM accounts WHERE number = '%s'",
                                         number);
  g_autofree char *cs = van_text (van2, qc);
  g_autofree char *jq = g_strdup ("SELECT count (*) FROM journal");
  g_autofree char *before = van_text (van2, jq);
  g_autofree char *after = NULL;
  g_auto(VpCardKeyring) thief = { 0 };
  g_autoptr(GError) error = NULL;
  guint8 image[VP_CARD_IMAGE_SIZE] = { 0 };
  guint8 master[VP_CARD_KEY_SIZE];
  VpCardRecord r = { 0 };

  g_assert_cmpint (RAND_bytes (master, sizeof master), ==, 1);
  vp_card_keyring_init (&thief);
  g_assert_true (vp_card_keyring_add_master (&thief, 1, master, NULL));
  g_strlcpy (r.card_number, card, sizeof r.card_number);
  g_strlcpy (r.account_number, number, sizeof r.account_number);
  r.counter = g_ascii_strtoll (cs, NULL, 10);
  r.time = g_get_real_time ();
  vp_card_record_add_purchase (&r, r.counter + 1, 50000, 15000, 1, g_get_real_time ());
  g_assert_true (vp_card_record_encode_ring (&r, &thief, image, &error));
  g_assert_true (vp_sim_card_issue (ctx2.sim, card, image, &error));
  g_assert_no_error (error);
  {
    g_autoptr(VpJournalEntry) e = topup_at (&ctx2, number, card, 1000, &error);
    g_assert_null (e);
    g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC);
    g_assert_nonnull (strstr (error->message, "Forged or altered card"));
  }
  after = van_text (van2, jq);
  g_assert_cmpstr (after, ==, before);
}

/* ---- operator commands ---------------------------------------------------- */

static void
test_vans_and_renew (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *dir = g_build_filename (tmp_dir, "VAN02-renew", NULL);
  g_autofree char *expires = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(HqResp) r = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (hq_run (&out, &err, "vans", NULL), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "VAN\tSTATE\tCERT_EXPIRES\tDAYS_LEFT\tLAST_SYNC\tHIGHEST_SEQ\tREPLACEMENTS");
  g_assert_cmpuint (g_strv_length (lines), ==, 4);   /* header, 2 vans, "" */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* VAN02 renewed for 30 days: now the soonest to expire, listed first. */
  g_assert_cmpint (hq_run (&out, &err, "renew", "VAN02", "--valid-days", "30", "--tls-dir",
                           hq_env ("VANPOS_HQ_TLS_DIR"), "--url", hq_env ("VANPOS_HQ_URL"),
                           "--out", dir, NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "vans", "--json", NULL), ==, 0);
  {
    g_autoptr(JsonParser) p = json_parser_new ();
    JsonArray *a;
    JsonObject *o;

    g_assert_true (json_parser_load_from_data (p, out, -1, NULL));
    a = json_object_get_array_member (json_node_get_object (json_parser_get_root (p)), "vans");
    g_assert_cmpuint (json_array_get_length (a), ==, 2);
    o = json_array_get_object_element (a, 0);
    g_assert_cmpstr (json_object_get_string_member (o, "van"), ==, "VAN02");
    g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "active");
    g_assert_cmpint (json_object_get_int_member (o, "days_left"), ==, 29);
    g_assert_true (g_str_has_suffix (json_object_get_string_member (o, "last_sync"), "Z"));
    o = json_array_get_object_element (a, 1);
    g_assert_cmpstr (json_object_get_string_member (o, "van"), ==, "VAN01");
    g_assert_cmpint (json_object_get_int_member (o, "days_left"), ==, 364);
  }
  /* The old certificate is refused, the new one works, cards still read. */
  r = session (bundle2, "VAN02", "sup01", "9876");
  assert_answer (r, 403, "forbidden", "replaced by a newer one");
  g_clear_pointer (&r, hq_resp_free);
  r = session (dir, "VAN02", "sup01", "9876");
  assert_answer (r, 200, NULL, NULL);
  g_assert_true (vp_sync_setup_from_bundle (van2, dir, &error));
  g_assert_no_error (error);
  sync_van (van2);
  g_free (bundle2);
  bundle2 = g_strdup (dir);
  /* Unknown van: exit 3; a van id outside the rule: refused. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "renew", "VAN99", "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"),
                           "--out", dir, NULL), ==, 3);
  g_assert_cmpstr (err, ==, "vanpos-hq: There is no van VAN99\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "renew", "VAN02", "--public-key", "x.pem", "--tls-dir",
                           hq_env ("VANPOS_HQ_TLS_DIR"), "--out", dir, NULL), ==, 2);
}

static void
test_van_id_rule (void)
{
  g_autofree char *pem = vp_database_dup_public_key_pem (van1);
  g_autofree char *key = g_build_filename (tmp_dir, "rule.pub", NULL);
  g_autofree char *out_dir = g_build_filename (tmp_dir, "rule-bundle", NULL);
  const char *bad[] = { "van01", "VAN-01", "VAN_01", "VAN01234567890123", "" };

  g_assert_true (g_file_set_contents (key, pem, -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autofree char *want = g_strdup_printf ("vanpos-hq: Van id “%s” must be 1–16 upper-case"
                                               " letters or digits\n", bad[i]);

      g_assert_cmpint (hq_run (&out, &err, "provision", bad[i], "--public-key", key, "--tls-dir",
                               hq_env ("VANPOS_HQ_TLS_DIR"), "--out", out_dir, NULL), ==, 1);
      g_assert_cmpstr (err, ==, want);
    }
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM vans"), ==, 2);
  /* The van side refuses exactly the same ids. */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/rule%u.db", tmp_dir, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(VpDatabase) db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, &error);

      g_assert_no_error (error);
      g_assert_false (vp_database_init_van (db, bad[i], &error));
      g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
    }
}

/* provision refuses a journal key no honest van has, in one line, and
 * registers nothing: the neutral point (with which R = neutral, S = 0
 * would "sign" every entry), and a key that is not Ed25519 at all. */
static void
test_provision_weak_key (void)
{
  static const char *neutral_pem = "-----BEGIN PUBLIC KEY-----\n"
                                   "MCowBQYDK2VwAyEAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
                                   "-----END PUBLIC KEY-----\n";
  static const char *not_a_key = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  const char *pems[] = { neutral_pem, not_a_key };
  g_autofree char *key = g_build_filename (tmp_dir, "weak.pub", NULL);
  g_autofree char *out_dir = g_build_filename (tmp_dir, "weak-bundle", NULL);
  gint64 vans = hq_pg_int (pg, "SELECT count (*) FROM vans");

  for (guint i = 0; i < G_N_ELEMENTS (pems); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autofree char *want = g_strdup_printf ("vanpos-hq: %s is not a usable Ed25519 public key in PEM", key);

      g_assert_true (g_file_set_contents (key, pems[i], -1, NULL));
      g_assert_cmpint (hq_run (&out, &err, "provision", "VAN77", "--public-key", key, "--tls-dir",
                               hq_env ("VANPOS_HQ_TLS_DIR"), "--out", out_dir, NULL), ==, 1);
      g_assert_true (g_str_has_prefix (err, want));
      g_assert_cmpuint (strchr (err, '\n') - err, ==, strlen (err) - 1);   /* one line */
      if (i == 0)
        g_assert_nonnull (strstr (err, "weak point"));
    }
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM vans"), ==, vans);
  g_assert_false (g_file_test (out_dir, G_FILE_TEST_EXISTS));
}

static void
test_staff_deactivate (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(HqResp) r = NULL;

  g_assert_cmpint (hq_run (&out, &err, "staff-add", "sup02", "--name", "王芳", "--role",
                           "supervisor", "--pin", "4321", "--pin-iterations", "1000", NULL), ==, 0);
  r = session (bundle1, "VAN01", "sup02", "4321");
  assert_answer (r, 200, NULL, NULL);
  g_clear_pointer (&r, hq_resp_free);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM sessions WHERE staff = 'sup02'"), ==, 1);
  /* The van gets the new supervisor at its next pull … */
  sync_van (van1);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VpStaff) st = vp_service_login (ctx1.svc, "sup02", "4321", &error);
    g_assert_no_error (error);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "staff", "deactivate", "sup02", NULL), ==, 0);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM sessions WHERE staff = 'sup02'"), ==, 0);
  r = session (bundle1, "VAN01", "sup02", "4321");
  assert_answer (r, 401, "auth", NULL);
  g_clear_pointer (&r, hq_resp_free);
  sql ("DELETE FROM pin_attempts");
  /* … and loses them at the one after the deactivation. */
  sync_van (van1);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VpStaff) st = vp_service_login (ctx1.svc, "sup02", "4321", &error);
    g_assert_null (st);
    g_assert_nonnull (error);
    g_test_message ("deactivated on the van: %s", error->message);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "staff", "list", NULL), ==, 0);
  g_assert_null (strstr (out, "sup02"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "staff", "list", "--all", "--json", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"id\" : \"sup02\""));
  g_assert_nonnull (strstr (out, "\"active\" : false"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "staff", "deactivate", "nobody", NULL), ==, 3);
  g_assert_cmpstr (err, ==, "vanpos-hq: There is no staff nobody\n");
}

static void
test_flags_and_conflicts (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *id = NULL;

  sql ("INSERT INTO review_flags (van, seq, account, reason) VALUES"
       " ('VAN01', 1, '34010000007', 'test: holder differs'),"
       " ('VAN02', 2, NULL, 'test: shortfall')");
  sql ("UPDATE journal SET outcome = 'conflict', detail = 'bill paid elsewhere'"
       " WHERE van = 'VAN01' AND seq = 2");
  id = pg_text ("SELECT min (id) FROM review_flags WHERE reason LIKE 'test:%'");

  g_assert_cmpint (hq_run (&out, &err, "flags", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\tVAN01\t1\t34010000007\ttest: holder differs\t"));
  g_assert_nonnull (strstr (out, "\tVAN02\t2\t-\ttest: shortfall\t"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Who and why are required, and recorded. */
  g_assert_cmpint (hq_run (&out, &err, "flags", "resolve", id, "--by", "zhang", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--by WHO and --why TEXT"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "flags", "resolve", id, "--by", "zhang", "--why",
                           "called the holder", NULL), ==, 0);
  {
    g_autofree char *q = g_strdup_printf ("SELECT resolved_by || '|' || resolution FROM review_flags"
                                          " WHERE id = %s AND resolved AND resolved_at IS NOT NULL",
                                          id);
    g_autofree char *who = pg_text (q);
    g_assert_cmpstr (who, ==, "zhang|called the holder");
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "flags", "resolve", id, "--by", "li", "--why", "again",
                           NULL), ==, 1);
  g_assert_nonnull (strstr (err, "already resolved by zhang; nothing changed"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "flags", NULL), ==, 0);
  g_assert_null (strstr (out, "holder differs"));
  g_assert_nonnull (strstr (out, "test: shortfall"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "flags", "--all", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\tyes\tzhang\tcalled the holder\t"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "flags", "resolve", "999999", "--by", "a", "--why", "b",
                           NULL), ==, 3);

  /* Conflicts. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "conflicts", "--json", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"detail\" : \"bill paid elsewhere\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "conflicts", "resolve", "VAN01", "1", "--by", "zhang",
                           "--why", "x", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "Entry 1 of van VAN01 is not a conflict"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "conflicts", "resolve", "VAN01", "2", "--by", "zhang",
                           "--why", "credit refunded at the office", NULL), ==, 0);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM conflict_resolutions WHERE van = 'VAN01'"
                                  " AND seq = 2 AND resolved_by = 'zhang'"), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "conflicts", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "VAN\tSEQ\tKIND\tACCOUNT\tDETAIL\tCREDIT\tRESOLVED\tRESOLVED_BY"
                            "\tRESOLUTION\tRESOLVED_AT\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "conflicts", "resolve", "VAN01", "2", "--by", "li",
                           "--why", "again", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "already resolved by zhang"));
}

/* A new laptop with a new journal key continues the van's journal: HQ
 * records the key from its next seq, the old laptop's certificate is
 * refused, entries HQ holds stay as they are. */
static void
test_replace_laptop (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *dir = g_build_filename (tmp_dir, "VAN01-new-laptop", NULL);
  g_autofree char *other_db = g_build_filename (tmp_dir, "keysource.db", NULL);
  g_autofree char *pub = g_build_filename (tmp_dir, "new-laptop.pub", NULL);
  g_autofree char *pem = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpDatabase) keysrc = vp_database_open (other_db, VP_DATABASE_OPEN_DEFAULT, &error);
  g_autoptr(HqResp) r = NULL;
  gint64 head = hq_pg_int (pg, "SELECT max (seq) FROM journal WHERE van = 'VAN01'");
  gint64 entries = hq_pg_int (pg, "SELECT count (*) FROM journal WHERE van = 'VAN01'");

  g_assert_no_error (error);
  g_assert_true (vp_database_init_van (keysrc, "VAN01", &error));
  pem = vp_database_dup_public_key_pem (keysrc);
  g_assert_true (g_file_set_contents (pub, pem, -1, NULL));

  /* provision refuses another key for a van with entries … */
  g_assert_cmpint (hq_run (&out, &err, "provision", "VAN01", "--public-key", pub, "--tls-dir",
                           hq_env ("VANPOS_HQ_TLS_DIR"), "--out", dir, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "vanpos-hq replace-laptop"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* … replace-laptop wants to know who and why … */
  g_assert_cmpint (hq_run (&out, &err, "replace-laptop", "VAN01", "--public-key", pub,
                           "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"), "--out", dir, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--by WHO and --why TEXT"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "replace-laptop", "VAN01", "--public-key", pub,
                           "--by", "zhang", "--why", "laptop stolen 2026-11-30",
                           "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"),
                           "--url", hq_env ("VANPOS_HQ_URL"), "--out", dir, NULL), ==, 0);
  {
    g_autofree char *q = g_strdup_printf ("SELECT count (*) FROM van_keys WHERE van = 'VAN01'"
                                          " AND from_seq = %" G_GINT64_FORMAT " AND by_whom = 'zhang'"
                                          " AND reason = 'laptop stolen 2026-11-30'", head + 1);
    g_assert_cmpint (hq_pg_int (pg, q), ==, 1);
  }
  {
    g_autofree char *now_key = pg_text ("SELECT public_key FROM vans WHERE id = 'VAN01'");
    g_assert_cmpstr (g_strstrip (now_key), ==, g_strstrip (pem));
  }
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM journal WHERE van = 'VAN01'"), ==, entries);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM sessions WHERE van = 'VAN01'"), ==, 0);
  r = session (bundle1, "VAN01", "sup01", "9876");
  assert_answer (r, 403, "forbidden", "replaced by a newer one");
  g_clear_pointer (&r, hq_resp_free);
  r = session (dir, "VAN01", "sup01", "9876");
  assert_answer (r, 200, NULL, NULL);
}

/* The import columns documented in src/hq/README.md are the ones
 * vanpos-hq takes: every documented column is known, and the documented
 * required (bold) ones are enough for the header check. */
static void
test_import_columns_documented (void)
{
  g_autofree char *readme = g_build_filename (g_getenv ("VP_SOURCE_DIR"), "src", "hq",
                                              "README.md", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint found = 0;

  g_assert_true (g_file_get_contents (readme, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *kinds[] = { "accounts", "bills", "tariffs" };

      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        {
          g_autofree char *prefix = g_strdup_printf ("| %s | ", kinds[k]);
          g_autoptr(GString) all = g_string_new (NULL);
          g_autoptr(GString) required = g_string_new (NULL);
          g_auto(GStrv) cols = NULL;

          if (!g_str_has_prefix (lines[i], prefix))
            continue;
          found++;
          cols = g_strsplit (lines[i] + strlen (prefix), ", ", -1);
          for (guint c = 0; cols[c] != NULL; c++)
            {
              char *name = g_strstrip (cols[c]);
              gboolean bold = g_str_has_prefix (name, "**");
              gsize n = 0;

              if (bold)
                name += 2;
              while (g_ascii_isalnum (name[n]) || name[n] == '_')
                n++;
              g_assert_cmpuint (n, >, 0);
              g_string_append_printf (all, "%.*s,", (int) n, name);
              if (bold)
                g_string_append_printf (required, "%.*s,", (int) n, name);
            }
          for (guint pass = 0; pass < 2; pass++)
            {
              g_autofree char *path = g_strdup_printf ("%s/doc-%s-%u.csv", tmp_dir, kinds[k], pass);
              g_autofree char *csv = g_strdup_printf ("%sbogus\n", (pass ? required : all)->str);
              g_autofree char *want = g_strdup_printf ("unknown column “bogus”");
              g_autofree char *out = NULL;
              g_autofree char *err = NULL;

              g_assert_true (g_file_set_contents (path, csv, -1, NULL));
              g_assert_cmpint (hq_run (&out, &err, "import", kinds[k], path, NULL), ==, 1);
              if (strstr (err, want) == NULL)
                g_error ("%s header %s: %s", kinds[k], csv, err);
            }
        }
    }
  g_assert_cmpuint (found, ==, 3);
}

/* A laptop replaced by one restored from the van's backup (same journal
 * key): a new certificate, the old one refused, the van syncs on. */
static void
test_replace_laptop_same_key (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *dir = g_build_filename (tmp_dir, "VAN02-restored", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HqResp) r = NULL;
  gint64 head = hq_pg_int (pg, "SELECT max (seq) FROM journal WHERE van = 'VAN02'");
  g_autofree char *key_before = pg_text ("SELECT public_key FROM vans WHERE id = 'VAN02'");

  g_assert_cmpint (hq_run (&out, &err, "replace-laptop", "VAN02", "--by", "li",
                           "--why", "screen broken; backup restored",
                           "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"),
                           "--url", hq_env ("VANPOS_HQ_URL"), "--out", dir, NULL), ==, 0);
  {
    g_autofree char *q = g_strdup_printf ("SELECT count (*) FROM van_keys WHERE van = 'VAN02'"
                                          " AND from_seq = %" G_GINT64_FORMAT " AND by_whom = 'li'",
                                          head + 1);
    g_autofree char *key_after = pg_text ("SELECT public_key FROM vans WHERE id = 'VAN02'");

    g_assert_cmpint (hq_pg_int (pg, q), ==, 1);
    g_assert_cmpstr (key_after, ==, key_before);
  }
  r = session (bundle2, "VAN02", "sup01", "9876");
  assert_answer (r, 403, "forbidden", "replaced by a newer one");
  g_assert_true (vp_sync_setup_from_bundle (van2, dir, &error));
  g_assert_no_error (error);
  {
    g_autoptr(VpJournalEntry) e = NULL;
    g_autofree char *number = van_text (van2, "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                              " AND card_number IS NOT NULL AND status = 'active'"
                                              " ORDER BY id LIMIT 1");
    g_autofree char *q = g_strdup_printf ("SELECT card_number FROM accounts WHERE number = '%s'",
                                          number);
    g_autofree char *card = van_text (van2, q);

    sync_van (van2);   /* pull VAN01's latest top-ups first */
    e = topup_at (&ctx2, number, card, 1000, &error);
    g_assert_no_error (error);
  }
  sync_van (van2);
  {
    g_autofree char *q = g_strdup_printf ("SELECT count (*) FROM journal WHERE van = 'VAN02'"
                                          " AND seq > %" G_GINT64_FORMAT, head);
    g_assert_cmpint (hq_pg_int (pg, q), ==, 2);   /* the top-up: INTENT, CONFIRM */
  }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("vp-hq-ops-XXXXXX", &error);
  g_assert_no_error (error);
  pg = hq_pg ();

  g_test_add_func ("/hq/ops/setup-vans", test_setup_vans);
  g_test_add_func ("/hq/ops/bad-card-keys-bundle", test_bad_card_keys_bundle);
  g_test_add_func ("/hq/ops/pin-throttle", test_pin_throttle);
  g_test_add_func ("/hq/ops/pin-unknown-staff", test_pin_unknown_staff);
  g_test_add_func ("/hq/ops/pin-second-instance", test_pin_second_instance);
  g_test_add_func ("/hq/ops/pin-sync-client", test_pin_sync_client);
  g_test_add_func ("/hq/ops/cards-shared", test_cards_shared);
  g_test_add_func ("/hq/ops/cards-after-renewal", test_cards_after_renewal);
  g_test_add_func ("/hq/ops/cards-legacy", test_cards_legacy);
  g_test_add_func ("/hq/ops/cards-forged", test_cards_forged);
  g_test_add_func ("/hq/ops/vans-and-renew", test_vans_and_renew);
  g_test_add_func ("/hq/ops/van-id-rule", test_van_id_rule);
  g_test_add_func ("/hq/ops/provision-weak-key", test_provision_weak_key);
  g_test_add_func ("/hq/ops/staff-deactivate", test_staff_deactivate);
  g_test_add_func ("/hq/ops/flags-and-conflicts", test_flags_and_conflicts);
  g_test_add_func ("/hq/ops/replace-laptop-same-key", test_replace_laptop_same_key);
  g_test_add_func ("/hq/ops/replace-laptop", test_replace_laptop);
  g_test_add_func ("/hq/ops/import-columns-documented", test_import_columns_documented);
  ret = g_test_run ();
  g_clear_object (&ctx1.sim);
  g_clear_object (&ctx2.sim);
  g_clear_object (&ctx1.svc);
  g_clear_object (&ctx2.svc);
  g_clear_object (&van1);
  g_clear_object (&van2);
  PQfinish (pg);
  return ret;
}
