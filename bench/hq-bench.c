/* hq-bench.c: vanpos-hq throughput over loopback HTTPS into PostgreSQL.
 *   1. 10,000 real journal entries (bill payments made with src/store)
 *      pushed in gzip batches of 1000 (target < 5 s);
 *   2. the same 10,000 replayed (all duplicates, nothing changes);
 *   3. 1,000,000 accounts of master data pulled in pages of 50,000.
 * A minimal libcurl pusher with one kept-alive connection, as the van's
 * sync client uses. Run through tests/hq/run-with-hq.sh (meson
 * benchmark 'hq-bench' does). Figures on stdout.
 *
 * Environment: HQ_BENCH_ENTRIES (10000), HQ_BENCH_ACCOUNTS (1000000).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>

#include "hq-test-util.h"

static CURL *curl;

static size_t
collect (char   *ptr,
         size_t  size,
         size_t  n,
         void   *data)
{
  g_string_append_len (data, ptr, (gssize) (size * n));
  return size * n;
}

/* One request on the kept-alive handle; returns the body, aborts on
 * anything but 200. */
static char *
request (const char *path,
         GBytes     *gz_body,
         const char *token,
         const char *bundle)
{
  g_autofree char *url = g_strconcat (hq_env ("VANPOS_HQ_URL"), path, NULL);
  g_autofree char *ca = g_build_filename (hq_env ("VANPOS_HQ_TLS_DIR"), "ca.crt", NULL);
  g_autofree char *crt = g_build_filename (bundle, "client.crt", NULL);
  g_autofree char *key = g_build_filename (bundle, "client.key", NULL);
  g_autofree char *auth = g_strconcat ("Authorization: Bearer ", token, NULL);
  GString *out = g_string_new (NULL);
  struct curl_slist *headers = NULL;
  long status = 0;
  CURLcode rc;

  if (curl == NULL)
    curl = curl_easy_init ();
  curl_easy_reset (curl);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_CAINFO, ca);
  curl_easy_setopt (curl, CURLOPT_PINNEDPUBLICKEY, hq_env ("VANPOS_HQ_PINS"));
  curl_easy_setopt (curl, CURLOPT_SSLCERT, crt);
  curl_easy_setopt (curl, CURLOPT_SSLKEY, key);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 600L);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, out);
  curl_easy_setopt (curl, CURLOPT_ACCEPT_ENCODING, "");
  if (g_getenv ("HQ_BENCH_VERBOSE"))
    curl_easy_setopt (curl, CURLOPT_VERBOSE, 1L);
  headers = curl_slist_append (headers, auth);
  if (gz_body != NULL)
    {
      gsize len;
      const char *data = g_bytes_get_data (gz_body, &len);

      headers = curl_slist_append (headers, "Content-Type: application/json");
      headers = curl_slist_append (headers, "Content-Encoding: gzip");
      curl_easy_setopt (curl, CURLOPT_POST, 1L);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, data);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    }
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  rc = curl_easy_perform (curl);
  curl_slist_free_all (headers);
  if (rc != CURLE_OK)
    g_error ("%s: %s", path, curl_easy_strerror (rc));
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    g_error ("%s: HTTP %ld: %.300s", path, status, out->str);
  return g_string_free (out, FALSE);
}

static gint64
env_int (const char *name,
         gint64      fallback)
{
  const char *v = g_getenv (name);
  return v ? g_ascii_strtoll (v, NULL, 10) : fallback;
}

static int
count_outcome (const char *body,
               const char *outcome)
{
  g_autofree char *needle = g_strdup_printf ("\"outcome\":\"%s\"", outcome);
  int n = 0;

  for (const char *p = strstr (body, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "bench", NULL);
  g_autoptr(VpDatabase) van = NULL;
  g_autoptr(VpStaff) op = NULL;
  g_autoptr(GPtrArray) numbers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) batches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree char *bundle = NULL;
  g_autofree char *token = NULL;
  g_autofree char *cmd = NULL;
  gint64 n_entries = env_int ("HQ_BENCH_ENTRIES", 10000);
  gint64 n_accounts = env_int ("HQ_BENCH_ACCOUNTS", 1000000);
  gint64 t0, t_push, t_replay, t_demo, t_pull, pulled = 0, accepted = 0, duplicates = 0;
  PGconn *pg;
  sqlite3_stmt *stmt;
  VpJournalEntry *e;
  GRand *rand = g_rand_new_with_seed (42);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  curl_global_init (CURL_GLOBAL_DEFAULT);
  pg = hq_pg ();

  /* The van: demo accounts, a day of small bill payments. */
  van = hq_make_van (dir, "VAN01", 2000);
  op = hq_van_staff (van, "op01", "1234");
  vp_database_lock (van);
  sqlite3_prepare_v2 (vp_database_get_handle (van),
                      "SELECT number FROM accounts a WHERE EXISTS (SELECT 1 FROM bills b"
                      " WHERE b.account_id = a.id)", -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (numbers, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  vp_database_unlock (van);
  g_assert_cmpuint (numbers->len, >, 100);
  hq_export_master (van, dir);
  bundle = hq_provision (van, dir, "VAN01");
  token = hq_session (bundle, "VAN01");

  e = vp_shift_store_open (van, op, 10000, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  t0 = g_get_monotonic_time ();
  while (vp_journal_store_last_seq (van) < n_entries)
    {
      const char *num = numbers->pdata[g_rand_int_range (rand, 0, (gint32) numbers->len)];
      e = vp_bill_store_pay (van, op, num, 100, VP_PAYMENT_CASH, NULL, &error);
      g_assert_no_error (error);
      vp_journal_entry_free (e);
    }
  g_print ("# van: %" G_GINT64_FORMAT " journal entries made in %.1f s (not part of the figures)\n",
           n_entries, (g_get_monotonic_time () - t0) / 1e6);
  for (gint64 after = 0; after < n_entries; after += 1000)
    {
      g_autofree char *json = hq_batch_json (van, after, MIN (after + 1000, n_entries));
      g_ptr_array_add (batches, hq_gzip (json, strlen (json)));
    }

  /* 1. Push. */
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < batches->len; i++)
    {
      g_autofree char *body = request ("/v1/vans/VAN01/journal", batches->pdata[i], token, bundle);
      accepted += count_outcome (body, "accepted") + count_outcome (body, "conflict");
    }
  t_push = g_get_monotonic_time () - t0;
  g_assert_cmpint (accepted, ==, n_entries);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM journal"), ==, n_entries);

  /* 2. Replay. */
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < batches->len; i++)
    {
      g_autofree char *body = request ("/v1/vans/VAN01/journal", batches->pdata[i], token, bundle);
      duplicates += count_outcome (body, "duplicate");
    }
  t_replay = g_get_monotonic_time () - t0;
  g_assert_cmpint (duplicates, ==, n_entries);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM journal"), ==, n_entries);

  /* 3. Master data: n accounts made with COPY, then pulled whole. */
  cmd = g_strdup_printf ("%" G_GINT64_FORMAT, n_accounts);
  t0 = g_get_monotonic_time ();
  g_assert_cmpint (hq_run (NULL, NULL, "demo", "--accounts", cmd, NULL), ==, 0);
  t_demo = g_get_monotonic_time () - t0;
  PQclear (PQexec (pg, "VACUUM ANALYZE"));
  {
    g_autofree char *cursor = g_strdup ("");
    gboolean more = TRUE;

    t0 = g_get_monotonic_time ();
    while (more)
      {
        g_autofree char *path = g_strdup_printf ("/v1/vans/VAN01/master?since=%s&limit=50000", cursor);
        g_autofree char *body = request (path, NULL, token, bundle);
        g_autoptr(JsonNode) node = json_from_string (body, &error);
        JsonObject *o;

        g_assert_no_error (error);
        o = json_node_get_object (node);
        pulled += json_array_get_length (json_object_get_array_member (o, "accounts"));
        more = json_object_get_boolean_member (o, "more");
        g_free (cursor);
        cursor = g_strdup (json_object_get_string_member (o, "cursor"));
      }
    t_pull = g_get_monotonic_time () - t0;
  }
  g_assert_cmpint (pulled, ==, hq_pg_int (pg, "SELECT count (*) FROM accounts"));

  g_print ("hq push:   %" G_GINT64_FORMAT " entries in %.2f s (%.0f entries/s; target < 5 s)\n",
           n_entries, t_push / 1e6, n_entries / (t_push / 1e6));
  g_print ("hq replay: %" G_GINT64_FORMAT " entries in %.2f s (all duplicates, no change)\n",
           n_entries, t_replay / 1e6);
  g_print ("hq demo:   %" G_GINT64_FORMAT " accounts created with COPY in %.1f s\n",
           n_accounts, t_demo / 1e6);
  g_print ("hq pull:   %" G_GINT64_FORMAT " accounts pulled (parsed by the client) in %.1f s\n",
           pulled, t_pull / 1e6);

  curl_easy_cleanup (curl);
  PQfinish (pg);
  g_rand_free (rand);
  return t_push < 5 * G_USEC_PER_SEC ? 0 : 1;
}
