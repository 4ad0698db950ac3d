/* hq-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <zlib.h>

#include "vp-demo.h"
#include "hq-test-util.h"

void
hq_resp_free (HqResp *r)
{
  if (r == NULL)
    return;
  g_free (r->body);
  g_clear_pointer (&r->json, json_object_unref);
  g_free (r->curl_error);
  g_free (r);
}

const char *
hq_env (const char *name)
{
  const char *v = g_getenv (name);

  if (v == NULL)
    g_error ("%s is not set; run the test through tests/hq/run-with-hq.sh", name);
  return v;
}

int
hq_run (char **out,
        char **err,
        ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  va_list args;
  const char *a;
  g_autofree char *out_local = NULL;
  g_autofree char *err_local = NULL;
  int status = 0;

  /* Never let the output through: stdout is TAP. */
  if (out == NULL)
    out = &out_local;
  if (err == NULL)
    err = &err_local;
  g_ptr_array_add (argv, (gpointer) hq_env ("VANPOS_HQ_BIN"));
  g_ptr_array_add (argv, (gpointer) "--pg");
  g_ptr_array_add (argv, (gpointer) hq_env ("VANPOS_HQ_PG"));
  va_start (args, err);
  while ((a = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     out, err, &status, &error))
    g_error ("cannot run vanpos-hq: %s", error->message);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 255;
}

static size_t
collect (char   *ptr,
         size_t  size,
         size_t  n,
         void   *data)
{
  g_string_append_len (data, ptr, (gssize) (size * n));
  return size * n;
}

static size_t
on_header (char   *buffer,
           size_t  size,
           size_t  n,
           void   *data)
{
  HqResp *r = data;
  g_autofree char *line = g_ascii_strdown (buffer, (gssize) (size * n));

  if (g_str_has_prefix (line, "content-encoding:") && strstr (line, "gzip") != NULL)
    r->gzipped = TRUE;
  if (g_str_has_prefix (line, "retry-after:"))
    r->retry_after = atoi (line + strlen ("retry-after:"));
  return size * n;
}

GBytes *
hq_gzip (const char *data,
         gsize       len)
{
  z_stream zs = { 0 };
  GByteArray *out = g_byte_array_new ();
  guint8 buf[65536];
  int rc;

  g_assert_cmpint (deflateInit2 (&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);
  zs.next_in = (Bytef *) data;
  zs.avail_in = (uInt) len;
  do
    {
      zs.next_out = buf;
      zs.avail_out = sizeof buf;
      rc = deflate (&zs, Z_FINISH);
      g_byte_array_append (out, buf, sizeof buf - zs.avail_out);
    }
  while (rc == Z_OK);
  g_assert_cmpint (rc, ==, Z_STREAM_END);
  deflateEnd (&zs);
  return g_byte_array_free_to_bytes (out);
}

HqResp *
hq_https (const char *method,
          const char *path,
          const char *body,
          gsize       len,
          gboolean    gzip,
          const char *cert_dir,
          const char *token)
{
  HqResp *r = g_new0 (HqResp, 1);
  g_autofree char *url = g_strconcat (hq_env ("VANPOS_HQ_URL"), path, NULL);
  g_autofree char *ca = g_build_filename (hq_env ("VANPOS_HQ_TLS_DIR"), "ca.crt", NULL);
  g_autofree char *crt = cert_dir ? g_build_filename (cert_dir, "client.crt", NULL) : NULL;
  g_autofree char *key = cert_dir ? g_build_filename (cert_dir, "client.key", NULL) : NULL;
  g_autofree char *auth = token ? g_strconcat ("Authorization: Bearer ", token, NULL) : NULL;
  g_autoptr(GBytes) zipped = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  struct curl_slist *headers = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL *curl = curl_easy_init ();
  CURLcode rc;

  r->retry_after = -1;
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_CAINFO, ca);
  curl_easy_setopt (curl, CURLOPT_PINNEDPUBLICKEY, hq_env ("VANPOS_HQ_PINS"));
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, out);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, r);
  curl_easy_setopt (curl, CURLOPT_ACCEPT_ENCODING, "");
  if (crt != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_SSLCERT, crt);
      curl_easy_setopt (curl, CURLOPT_SSLKEY, key);
    }
  if (auth != NULL)
    headers = curl_slist_append (headers, auth);
  if (g_str_equal (method, "POST-CHUNKED"))
    {
      headers = curl_slist_append (headers, "Transfer-Encoding: chunked");
      method = "POST";
    }
  if (g_str_equal (method, "POST"))
    {
      headers = curl_slist_append (headers, "Content-Type: application/json");
      if (gzip)
        {
          zipped = hq_gzip (body, len);
          body = g_bytes_get_data (zipped, &len);
          headers = curl_slist_append (headers, "Content-Encoding: gzip");
        }
      curl_easy_setopt (curl, CURLOPT_POST, 1L);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    }
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  rc = curl_easy_perform (curl);
  if (rc == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &r->status);
  else
    r->curl_error = g_strdup_printf ("%s: %s", curl_easy_strerror (rc), errbuf);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);

  r->body = g_string_free (g_steal_pointer (&out), FALSE);
  if (r->status != 0)
    {
      g_autoptr(JsonNode) node = json_from_string (r->body, NULL);
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        r->json = json_object_ref (json_node_get_object (node));
    }
  return r;
}

VpDatabase *
hq_make_van (const char *dir,
             const char *van_id,
             guint       n_accounts)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.db", dir, van_id);
  g_autoptr(GError) error = NULL;
  VpDatabase *db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_true (vp_database_init_van (db, van_id, &error));
  g_assert_no_error (error);
  g_assert_true (vp_demo_populate (db, n_accounts, 7, 1000, NULL, NULL, &error));
  g_assert_no_error (error);
  return db;
}

VpStaff *
hq_van_staff (VpDatabase *db,
              const char *id,
              const char *pin)
{
  g_autoptr(GError) error = NULL;
  VpStaff *s = vp_staff_store_authenticate (db, id, pin, &error);

  g_assert_no_error (error);
  return s;
}

static void
sqlite_csv (VpDatabase *db,
            const char *sql,
            const char *path)
{
  sqlite3 *h = vp_database_get_handle (db);
  sqlite3_stmt *stmt = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  int n;

  vp_database_lock (db);
  g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  n = sqlite3_column_count (stmt);
  for (int c = 0; c < n; c++)
    g_string_append_printf (out, "%s%s", c ? "," : "", sqlite3_column_name (stmt, c));
  g_string_append_c (out, '\n');
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      for (int c = 0; c < n; c++)
        {
          const char *v = (const char *) sqlite3_column_text (stmt, c);
          g_autofree char *q = NULL;

          if (v != NULL && strpbrk (v, ",\"\n") != NULL)
            {
              g_auto(GStrv) parts = g_strsplit (v, "\"", -1);
              g_autofree char *joined = g_strjoinv ("\"\"", parts);
              q = g_strdup_printf ("\"%s\"", joined);
            }
          g_string_append_printf (out, "%s%s", c ? "," : "", q ? q : v ? v : "");
        }
      g_string_append_c (out, '\n');
    }
  sqlite3_finalize (stmt);
  vp_database_unlock (db);
  g_assert_true (g_file_set_contents (path, out->str, (gssize) out->len, &error));
  g_assert_no_error (error);
}

void
hq_export_master (VpDatabase *db,
                  const char *dir)
{
  g_autofree char *acc = g_build_filename (dir, "accounts.csv", NULL);
  g_autofree char *bills = g_build_filename (dir, "bills.csv", NULL);
  g_autofree char *tariffs = g_build_filename (dir, "tariffs.csv", NULL);
  g_autofree char *err = NULL;

  sqlite_csv (db, "SELECT number, holder, phone, id_number, estate, building, unit, room, service,"
                  " meter, tariff_class, concession_expiry, elderly_alone, needs_visit, balance,"
                  " card_number, card_counter, year_volume, tariff_year, last_reading,"
                  " 'active' AS status FROM accounts WHERE status = 'active'", acc);
  sqlite_csv (db, "SELECT 'B-' || a.number || '-' || b.period AS hq_id, a.number AS account,"
                  " b.period, b.amount, 0 AS paid FROM bills b JOIN accounts a"
                  " ON a.id = b.account_id", bills);
  sqlite_csv (db, "SELECT service, class, version, tiers, free_allowance, discount_permille,"
                  " valid_from FROM tariffs", tariffs);
  g_assert_cmpint (hq_run (NULL, &err, "import", "accounts", acc, NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (NULL, &err, "import", "bills", bills, NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (NULL, &err, "import", "tariffs", tariffs, NULL), ==, 0);
}

char *
hq_provision (VpDatabase *db,
              const char *dir,
              const char *van_id)
{
  g_autofree char *pem = vp_database_dup_public_key_pem (db);
  g_autofree char *key = g_strdup_printf ("%s/%s.pub", dir, van_id);
  char *bundle = g_strdup_printf ("%s/%s-bundle", dir, van_id);
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (key, pem, -1, &error));
  g_assert_cmpint (hq_run (NULL, &err, "provision", van_id, "--public-key", key,
                           "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"),
                           "--url", hq_env ("VANPOS_HQ_URL"), "--out", bundle, NULL), ==, 0);
  return bundle;
}

char *
hq_session (const char *bundle,
            const char *van_id)
{
  g_autofree char *path = g_strdup_printf ("/v1/vans/%s/session", van_id);
  const char *body = "{\"staff\": \"sup01\", \"pin\": \"9876\"}";
  g_autoptr(HqResp) r = hq_https ("POST", path, body, strlen (body), FALSE, bundle, NULL);

  /* A wrong PIN for sup01 moments ago (a test of refusals) makes HQ's
   * PIN throttle say when to try again: a client waits that long. */
  if (r->status == 429 && r->retry_after > 0 && r->retry_after <= 10)
    {
      g_usleep ((gulong) r->retry_after * G_USEC_PER_SEC);
      g_clear_pointer (&r, hq_resp_free);
      r = hq_https ("POST", path, body, strlen (body), FALSE, bundle, NULL);
    }
  g_assert_null (r->curl_error);
  g_assert_cmpint (r->status, ==, 200);
  g_assert_nonnull (r->json);
  return g_strdup (json_object_get_string_member (r->json, "token"));
}

char *
hq_batch_json (VpDatabase *db,
               gint64      after,
               gint64      upto)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = vp_journal_store_list (db, after, 0, &error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_assert_no_error (error);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "van");
  json_builder_add_string_value (b, vp_database_get_van_id (db));
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    {
      VpJournalEntry *e = list->pdata[i];

      if (upto > 0 && e->seq > upto)
        break;
      json_builder_begin_object (b);
#define S(n, v) json_builder_set_member_name (b, n); json_builder_add_string_value (b, v)
#define I(n, v) json_builder_set_member_name (b, n); json_builder_add_int_value (b, v)
      S ("uuid", e->uuid);
      I ("seq", e->seq);
      S ("kind", e->kind);
      S ("payload", e->payload);
      I ("device_time", e->device_time);
      I ("monotonic_ms", e->monotonic_ms);
      S ("prev_hash", e->prev_hash);
      S ("hash", e->hash);
      S ("signature", e->signature);
#undef S
#undef I
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

PGconn *
hq_pg (void)
{
  PGconn *conn = PQconnectdb (hq_env ("VANPOS_HQ_PG"));

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  return conn;
}

gint64
hq_pg_int (PGconn     *conn,
           const char *sql)
{
  PGresult *res = PQexec (conn, sql);
  gint64 v;

  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  g_assert_cmpint (PQntuples (res), ==, 1);
  v = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  PQclear (res);
  return v;
}
