/* test-hq-receipts.c: HQ's public receipt check (issue 12) end to end.
 *
 * A real van (src/store) pays a bill; its receipt is rendered to PDF with
 * the QR the van prints, rasterised with pdftoppm and decoded with
 * zbarimg; the decoded address is asked on HQ's public listener (no
 * client certificate) before the push (not yet synced), after it (paid)
 * and after a synced void (voided). Wrong codes and other receipts,
 * the phone page, the van port still refusing without a certificate, the
 * review flag of a receipt missing long after its day and the per-address
 * rate limit. Run through run-with-hq.sh (meson does).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <glib/gstdio.h>

#include "vp-bill-store.h"
#include "vp-print.h"
#include "vp-receipt-builder.h"
#include "vp-receipt-check.h"
#include "vp-shift-store.h"
#include "hq-test-util.h"

static char *tmp_dir;
static VpDatabase *van;
static char *bundle;
static char *token;
static PGconn *pg;
static char *account;       /* the post-paid account paid */
static char *holder;        /* its holder's name: never in an answer */
static char *qr_url;        /* what the receipt's QR says */
static char *receipt_no;
static gint64 pay_seq;
static guint public_ok;     /* 200s from the public listener so far */
static gint64 first_public; /* monotonic µs of the first public request */

static char *
van_string (const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *v = NULL;

  vp_database_lock (van);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (van), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  vp_database_unlock (van);
  g_assert_nonnull (v);
  return v;
}

static size_t
collect (char *data, size_t size, size_t n, void *user_data)
{
  g_string_append_len (user_data, data, (gssize) (size * n));
  return size * n;
}

static size_t
on_header (char *data, size_t size, size_t n, void *user_data)
{
  HqResp *r = user_data;

  if (g_ascii_strncasecmp (data, "Retry-After:", 12) == 0)
    r->retry_after = atoi (data + 12);
  return size * n;
}

/* GET url (a full address) with no client certificate unless cert_dir. */
static HqResp *
get (const char *url,
     const char *accept)
{
  HqResp *r = g_new0 (HqResp, 1);
  g_autofree char *ca = g_build_filename (hq_env ("VANPOS_HQ_TLS_DIR"), "ca.crt", NULL);
  g_autofree char *accept_h = accept ? g_strconcat ("Accept: ", accept, NULL) : NULL;
  GString *out = g_string_new (NULL);
  struct curl_slist *headers = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL *curl = curl_easy_init ();
  CURLcode rc;

  r->retry_after = -1;
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_CAINFO, ca);
  curl_easy_setopt (curl, CURLOPT_PINNEDPUBLICKEY, hq_env ("VANPOS_HQ_PINS"));
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, out);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, r);
  if (accept_h != NULL)
    headers = curl_slist_append (headers, accept_h);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  rc = curl_easy_perform (curl);
  if (rc == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &r->status);
  else
    r->curl_error = g_strdup (errbuf[0] ? errbuf : curl_easy_strerror (rc));
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
  r->body = g_string_free (out, FALSE);
  if (r->status != 0)
    {
      g_autoptr(JsonParser) p = json_parser_new ();
      JsonNode *root;

      if (json_parser_load_from_data (p, r->body, -1, NULL) &&
          (root = json_parser_get_root (p)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
        r->json = json_object_ref (json_node_get_object (root));
    }
  return r;
}

/* A request on the public listener; counts the answers the bucket let
 * through. */
static HqResp *
check (const char *url,
       const char *accept)
{
  HqResp *r;

  if (first_public == 0)
    first_public = g_get_monotonic_time ();
  r = get (url, accept);
  if (r->status == 0)
    g_error ("no answer from %s: %s", url, r->curl_error);
  if (r->status != 429)
    public_ok++;
  return r;
}

static char *
public_url (const char *receipt,
            const char *code)
{
  return vp_receipt_check_url (hq_env ("VANPOS_HQ_PUBLIC_URL"), receipt, code);
}

/* The answer's status, and exactly the members an answer of it has. */
static void
assert_status (HqResp     *r,
               const char *status,
               guint       n_members)
{
  if (r->status != 200 || r->json == NULL)
    g_error ("expected a 200 JSON answer, got %ld: %s", r->status, r->body);
  g_assert_cmpstr (json_object_get_string_member (r->json, "status"), ==, status);
  g_assert_cmpuint (json_object_get_size (r->json), ==, n_members);
  /* Never the account, its holder or anything of the entry but these. */
  g_assert_null (strstr (r->body, account));
  g_assert_null (strstr (r->body, holder));
}

static void
push_all (void)
{
  g_autofree char *json = hq_batch_json (van, 0, 0);
  g_autofree char *path = g_strdup_printf ("/v1/vans/VAN01/journal");
  g_autoptr(HqResp) r = hq_https ("POST", path, json, strlen (json), TRUE, bundle, token);

  if (r->status != 200)
    g_error ("push: %ld %s", r->status, r->body);
}

static char *
today (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%Y-%m-%d");
}

/* zbarimg's reading of the receipt's PDF, rasterised like a phone camera
 * would see the paper. */
static char *
qr_of_receipt (const VpJournalEntry *entry)
{
  g_autoptr(GError) error = NULL;
  VpReceiptContext ctx = { .check_url = hq_env ("VANPOS_HQ_PUBLIC_URL") };
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry_in (entry, &ctx, &error);
  g_autofree char *pdf = g_build_filename (tmp_dir, "receipt.pdf", NULL);
  g_autofree char *png_base = g_build_filename (tmp_dir, "receipt", NULL);
  g_autofree char *png = g_build_filename (tmp_dir, "receipt.png", NULL);
  g_autofree char *cmd = g_strdup_printf ("pdftoppm -png -r 150 -singlefile '%s' '%s'", pdf, png_base);
  g_autofree char *zbar = g_strdup_printf ("zbarimg --quiet --raw '%s'", png);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_assert_no_error (error);
  g_assert_true (vp_receipt_render_pdf (r, pdf, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (g_spawn_command_line_sync (zbar, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("zbarimg read no code in %s: %s", png, err);
  return g_strdup (g_strchomp (out));
}

static void
test_not_synced_then_paid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(HqResp) before = NULL;
  g_autoptr(HqResp) after = NULL;
  g_autoptr(HqResp) html = NULL;
  g_autoptr(HqResp) html2 = NULL;
  g_autofree char *code = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *html_url = NULL;
  g_autofree char *date = today ();
  VpJournalEntry *e;

  e = vp_shift_store_open (van, op, 20000, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  e = vp_bill_store_pay (van, op, account, 12345, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  pay_seq = e->seq;
  receipt_no = vp_journal_receipt_number (e->van_id, e->device_time, e->seq);
  code = vp_journal_verify_code (e->hash);
  qr_url = qr_of_receipt (e);
  vp_journal_entry_free (e);
  expected = public_url (receipt_no, code);
  g_assert_cmpstr (qr_url, ==, expected);

  before = check (qr_url, NULL);
  assert_status (before, VP_RECEIPT_STATUS_NOT_SYNCED, 2);
  g_assert_cmpstr (json_object_get_string_member (before->json, "receipt"), ==, receipt_no);

  push_all ();
  after = check (qr_url, NULL);
  assert_status (after, VP_RECEIPT_STATUS_PAID, 5);
  g_assert_cmpint (json_object_get_int_member (after->json, "amount"), ==, 12345);
  g_assert_cmpstr (json_object_get_string_member (after->json, "amount_yuan"), ==, "123.45");
  g_assert_cmpstr (json_object_get_string_member (after->json, "date"), ==, date);

  /* The phone page: a browser's Accept, or ?format=html. */
  html = check (qr_url, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
  g_assert_cmpint (html->status, ==, 200);
  g_assert_nonnull (strstr (html->body, "data-status=\"paid\""));
  g_assert_nonnull (strstr (html->body, "已入账"));
  g_assert_nonnull (strstr (html->body, receipt_no));
  g_assert_nonnull (strstr (html->body, "123.45"));
  g_assert_null (strstr (html->body, holder));
  g_assert_null (strstr (html->body, account));
  /* Nothing loaded from elsewhere. */
  g_assert_null (strstr (html->body, "src="));
  g_assert_null (strstr (html->body, "http"));
  html_url = g_strconcat (qr_url, "&format=html", NULL);
  html2 = check (html_url, NULL);
  g_assert_cmpstr (html2->body, ==, html->body);
}

static void
test_voided (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) sup = hq_van_staff (van, "sup01", "9876");
  g_autoptr(HqResp) r = NULL;
  g_autofree char *void_no = NULL;
  VpJournalEntry *e;

  e = vp_shift_store_void (van, sup, pay_seq, "wrong account", &error);
  g_assert_no_error (error);
  void_no = vp_journal_receipt_number (e->van_id, e->device_time, e->seq);
  vp_journal_entry_free (e);
  push_all ();
  r = check (qr_url, NULL);
  assert_status (r, VP_RECEIPT_STATUS_VOIDED, 6);
  g_assert_cmpstr (json_object_get_string_member (r->json, "voided_by"), ==, void_no);
  g_assert_cmpint (json_object_get_int_member (r->json, "amount"), ==, 12345);
}

static void
test_unknown (void)
{
  g_autofree char *wrong_code = NULL;
  g_autofree char *other_day = NULL;
  g_autofree char *other_van = NULL;
  g_autofree char *shift = NULL;
  g_autofree char *shift_url = NULL;
  g_autofree char *shift_code = NULL;
  g_autofree char *shift_no = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *no_code = NULL;
  g_autoptr(HqResp) r1 = NULL;
  g_autoptr(HqResp) r2 = NULL;
  g_autoptr(HqResp) r3 = NULL;
  g_autoptr(HqResp) r4 = NULL;
  g_autoptr(HqResp) r5 = NULL;
  g_autoptr(HqResp) r6 = NULL;
  char *code = strstr (qr_url, "?code=") + 6;
  gint64 seq;

  /* A wrong code: no amount, no date. */
  wrong_code = public_url (receipt_no, g_str_has_prefix (code, "0000") ? "1111-1111" : "0000-0000");
  r1 = check (wrong_code, NULL);
  assert_status (r1, VP_RECEIPT_STATUS_MISMATCH, 2);

  /* The right seq and code under another day's number. */
  g_assert_true (vp_receipt_number_parse (receipt_no, NULL, NULL, &seq, NULL));
  {
    g_autofree char *n = g_strdup_printf ("VAN01-20200101-%06" G_GINT64_FORMAT, seq);
    other_day = public_url (n, code);
  }
  r2 = check (other_day, NULL);
  assert_status (r2, VP_RECEIPT_STATUS_UNKNOWN, 2);

  /* A van HQ does not know. */
  {
    g_autofree char *n = g_strdup_printf ("VAN77%s", receipt_no + 5);
    other_van = public_url (n, code);
  }
  r3 = check (other_van, NULL);
  assert_status (r3, VP_RECEIPT_STATUS_UNKNOWN, 2);

  /* The shift's opening is the van's own slip, not a resident's receipt,
   * even with its right code. */
  shift = van_string ("SELECT seq || ' ' || device_time || ' ' || hash FROM journal"
                      " WHERE kind = 'shift.open' ORDER BY seq LIMIT 1");
  {
    g_auto(GStrv) f = g_strsplit (shift, " ", 3);

    shift_no = vp_journal_receipt_number ("VAN01", g_ascii_strtoll (f[1], NULL, 10),
                                          g_ascii_strtoll (f[0], NULL, 10));
    shift_code = vp_journal_verify_code (f[2]);
  }
  shift_url = public_url (shift_no, shift_code);
  r4 = check (shift_url, NULL);
  assert_status (r4, VP_RECEIPT_STATUS_UNKNOWN, 2);

  /* Malformed: 400 with one message. */
  bad = public_url ("VAN01-2026-1", code);
  r5 = check (bad, NULL);
  g_assert_cmpint (r5->status, ==, 400);
  g_assert_cmpstr (json_object_get_string_member (r5->json, "error"), ==, "bad_request");
  no_code = g_strdup_printf ("%s" VP_RECEIPT_CHECK_PATH "%s", hq_env ("VANPOS_HQ_PUBLIC_URL"),
                             receipt_no);
  r6 = check (no_code, NULL);
  g_assert_cmpint (r6->status, ==, 400);
}

/* The public port needs no certificate and serves only receipt checks;
 * the van port still refuses every van route without one. */
static void
test_ports_apart (void)
{
  const char *pub = hq_env ("VANPOS_HQ_PUBLIC_URL");
  g_autofree char *metrics = g_strconcat (pub, "/metrics", NULL);
  g_autofree char *master = g_strconcat (pub, "/v1/vans/VAN01/master", NULL);
  g_autofree char *on_van_port = NULL;
  g_autoptr(HqResp) r1 = check (metrics, NULL);
  g_autoptr(HqResp) r2 = check (master, NULL);
  g_autoptr(HqResp) r3 = hq_https ("GET", "/v1/vans/VAN01/master", NULL, 0, FALSE, NULL, token);
  g_autoptr(HqResp) r4 = NULL;

  g_assert_cmpint (r1->status, ==, 404);
  g_assert_cmpint (r2->status, ==, 404);
  g_assert_cmpint (r3->status, ==, 401);
  /* And the van port does not answer receipt checks. */
  on_van_port = g_strdup (strstr (qr_url, VP_RECEIPT_CHECK_PATH));
  r4 = hq_https ("GET", on_van_port, NULL, 0, FALSE, NULL, NULL);
  g_assert_cmpint (r4->status, ==, 404);
}

static gint64
missing_flags (gint64 seq)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM review_flags WHERE van = 'VAN01'"
                                          " AND seq = %" G_GINT64_FORMAT
                                          " AND reason LIKE 'missing receipt:%%'", seq);
  return hq_pg_int (pg, sql);
}

/* A van that cut its journal or never sent a receipt: a resident's check
 * of it, long after its day, flags it once. */
static void
test_missing_flagged (void)
{
  g_autofree char *old = public_url ("VAN01-20260101-000099", "3FA9-0C1D");
  g_autofree char *recent = NULL;
  g_autofree char *ymd = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  gint64 before = hq_pg_int (pg, "SELECT count (*) FROM review_flags");

  {
    g_autoptr(HqResp) r = check (old, NULL);
    assert_status (r, VP_RECEIPT_STATUS_NOT_SYNCED, 2);
  }
  g_assert_cmpint (missing_flags (99), ==, 1);
  {
    g_autoptr(HqResp) r = check (old, NULL);
    assert_status (r, VP_RECEIPT_STATUS_NOT_SYNCED, 2);
  }
  g_assert_cmpint (missing_flags (99), ==, 1);
  /* Today's receipt not yet sent is normal: no flag (48 h by default). */
  ymd = g_date_time_format (now, "%Y%m%d");
  {
    g_autofree char *n = g_strdup_printf ("VAN01-%s-000098", ymd);
    recent = public_url (n, "3FA9-0C1D");
  }
  {
    g_autoptr(HqResp) r = check (recent, NULL);
    assert_status (r, VP_RECEIPT_STATUS_NOT_SYNCED, 2);
  }
  g_assert_cmpint (missing_flags (98), ==, 0);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags"), ==, before + 1);
  /* The utility sees it among the open flags. */
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (hq_run (&out, &err, "flags", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "missing receipt: VAN01-20260101-000099"));
  }
}

/* Hammered from one address: 429 + Retry-After once the bucket (30 at
 * once, 30 a minute) is empty; the van port is unaffected; after
 * Retry-After the address is heard again. */
static void
test_rate_limited (void)
{
  guint ok_before = public_ok;
  guint hammered_ok = 0;
  gint64 elapsed_s;
  int wait_s;

  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(HqResp) r = check (qr_url, NULL);

      if (r->status == 429)
        {
          g_assert_cmpint (r->retry_after, >=, 1);
          g_assert_cmpint (r->retry_after, <=, 2);
          g_assert_cmpstr (json_object_get_string_member (r->json, "error"), ==, "too_many");
          break;
        }
      g_assert_cmpint (r->status, ==, 200);
      hammered_ok++;
    }
  elapsed_s = (g_get_monotonic_time () - first_public) / G_USEC_PER_SEC;
  /* 30 at once, plus what the bucket refilled (one per 2 s) meanwhile. */
  g_assert_cmpuint (ok_before + hammered_ok, >=, 30);
  g_assert_cmpuint (ok_before + hammered_ok, <=, 30 + elapsed_s / 2 + 1);
  g_assert_cmpuint (hammered_ok, <, 100);
  {
    g_autoptr(HqResp) again = check (qr_url, NULL);
    g_autoptr(HqResp) health = hq_https ("GET", "/healthz", NULL, 0, FALSE, NULL, NULL);

    g_assert_cmpint (again->status, ==, 429);
    wait_s = again->retry_after;
    g_assert_cmpint (health->status, ==, 200);
  }
  /* The bucket refills: the server said when. */
  g_usleep ((gulong) wait_s * G_USEC_PER_SEC);
  {
    g_autoptr(HqResp) r = check (qr_url, NULL);

    assert_status (r, VP_RECEIPT_STATUS_VOIDED, 6);
  }
}

/* The public options without a public listener, or a bad address: one
 * line on stderr, nothing served. */
static void
test_serve_usage (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;

  g_assert_cmpint (hq_run (&out, &err, "serve", "--public-rate", "5", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "need --public-listen"));
  g_assert_cmpint (hq_run (&out2, &err2, "serve", "--listen", "127.0.0.1:0",
                           "--public-listen", "check.example.cn:443", NULL), ==, 1);
  g_assert_nonnull (strstr (err2, "is not an IP address"));
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *holder_sql = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  curl_global_init (CURL_GLOBAL_DEFAULT);

  tmp_dir = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "test", NULL);
  g_assert_cmpint (g_mkdir_with_parents (tmp_dir, 0700), ==, 0);
  pg = hq_pg ();
  van = hq_make_van (tmp_dir, "VAN01", 10);
  account = van_string ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND"
                        " EXISTS (SELECT 1 FROM bills b WHERE b.account_id = a.id)"
                        " ORDER BY a.number LIMIT 1");
  holder_sql = g_strdup_printf ("SELECT holder FROM accounts WHERE number = '%s'", account);
  holder = van_string (holder_sql);
  hq_export_master (van, tmp_dir);
  bundle = hq_provision (van, tmp_dir, "VAN01");
  token = hq_session (bundle, "VAN01");

  g_test_add_func ("/hq/receipts/not-synced-then-paid", test_not_synced_then_paid);
  g_test_add_func ("/hq/receipts/voided", test_voided);
  g_test_add_func ("/hq/receipts/unknown", test_unknown);
  g_test_add_func ("/hq/receipts/ports-apart", test_ports_apart);
  g_test_add_func ("/hq/receipts/missing-flagged", test_missing_flagged);
  g_test_add_func ("/hq/receipts/rate-limited", test_rate_limited);
  g_test_add_func ("/hq/receipts/serve-usage", test_serve_usage);
  rc = g_test_run ();

  g_clear_object (&van);
  PQfinish (pg);
  g_free (account);
  g_free (holder);
  g_free (qr_url);
  g_free (receipt_no);
  g_free (bundle);
  g_free (token);
  g_free (tmp_dir);
  return rc;
}
