/* hq-fleet.c: many vans at once against vanpos-hq (see hq-fleet.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <json-glib/json-glib.h>

#include "vp-journal-entry.h"
#include "vp-signer.h"
#include "hq-fleet.h"
#include "hq-test-util.h"

void
hq_fleet_van_free (HqFleetVan *van)
{
  g_free (van->id);
  g_free (van->bundle);
  g_clear_pointer (&van->batches, g_ptr_array_unref);
  g_free (van->error);
  g_free (van->retry_why);
  g_free (van);
}

typedef struct
{
  char  *number;
  char  *period;
  gint64 due;
} Bill;

static void
bill_free (Bill *b)
{
  g_free (b->number);
  g_free (b->period);
  g_free (b);
}

static char *
pay_payload (Bill *bill)
{
  /* What src/store/vp-bill-store.c signs for a cash payment of 1 fen. */
  return g_strdup_printf ("{\"account\":\"%s\",\"amount\":1,\"method\":\"cash\","
                          "\"arrears_before\":%" G_GINT64_FORMAT ",\"credit_applied\":0,"
                          "\"due_after_credit\":%" G_GINT64_FORMAT ",\"bills\":[{\"period\":\"%s\","
                          "\"due\":%" G_GINT64_FORMAT ",\"paid\":1,\"from_credit\":0,"
                          "\"remaining\":%" G_GINT64_FORMAT "}],\"to_credit\":0,"
                          "\"arrears_after\":%" G_GINT64_FORMAT ",\"credit_before\":0,"
                          "\"credit_after\":0,\"staff\":\"op01\",\"shift\":1}",
                          bill->number, bill->due, bill->due, bill->period, bill->due,
                          bill->due - 1, bill->due - 1);
}

static void
add_entry (JsonBuilder  *b,
           VpSigner     *signer,
           const char   *van_id,
           gint64        seq,
           const char   *kind,
           char         *payload,     /* taken */
           char        **prev_hash)
{
  VpJournalEntry *e = vp_journal_entry_new ();
  g_autoptr(GError) error = NULL;

  e->uuid = g_uuid_string_random ();
  e->van_id = g_strdup (van_id);
  e->seq = seq;
  e->kind = g_strdup (kind);
  e->payload = payload;
  e->device_time = g_get_real_time ();
  e->monotonic_ms = g_get_monotonic_time () / 1000;
  e->prev_hash = g_strdup (*prev_hash);
  g_assert_true (vp_journal_entry_seal (e, signer, &error));
  g_assert_no_error (error);
  g_free (*prev_hash);
  *prev_hash = g_strdup (e->hash);
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
  vp_journal_entry_free (e);
}

static GBytes *
end_batch (JsonBuilder *b)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  return hq_gzip (json, strlen (json));
}

static JsonBuilder *
begin_batch (const char *van_id)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "van");
  json_builder_add_string_value (b, van_id);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  return b;
}

GPtrArray *
hq_fleet_make (const char *dir,
               const char *prefix,
               guint       n_vans,
               guint       n_entries,
               guint       accounts_per_van)
{
  GPtrArray *vans = g_ptr_array_new_with_free_func ((GDestroyNotify) hq_fleet_van_free);
  g_autoptr(GPtrArray) bills = g_ptr_array_new_with_free_func ((GDestroyNotify) bill_free);
  g_autofree char *n = g_strdup_printf ("%u", n_vans * accounts_per_van * 3 + 100);
  PGconn *pg = hq_pg ();
  PGresult *res;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  /* Demo accounts: a bill for each post-paid one (about half). */
  g_assert_cmpint (hq_run (NULL, NULL, "demo", "--accounts", n, NULL), ==, 0);
  res = PQexec (pg, "SELECT b.account, b.period, b.amount - b.paid FROM bills b"
                    " WHERE b.amount - b.paid >= 1000 AND NOT EXISTS (SELECT 1 FROM bills o"
                    " WHERE o.account = b.account AND o.hq_id <> b.hq_id)"
                    " AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.account = b.account)"
                    " ORDER BY b.account DESC");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  for (int i = 0; i < PQntuples (res); i++)
    {
      Bill *bill = g_new0 (Bill, 1);

      bill->number = g_strdup (PQgetvalue (res, i, 0));
      bill->period = g_strdup (PQgetvalue (res, i, 1));
      bill->due = g_ascii_strtoll (PQgetvalue (res, i, 2), NULL, 10);
      g_ptr_array_add (bills, bill);
    }
  PQclear (res);
  PQfinish (pg);
  g_assert_cmpuint (bills->len, >=, n_vans * accounts_per_van);

  for (guint v = 0; v < n_vans; v++)
    {
      HqFleetVan *van = g_new0 (HqFleetVan, 1);
      g_autoptr(GError) error = NULL;
      g_autoptr(VpSigner) signer = vp_signer_generate (&error);
      g_autofree char *pem = NULL;
      g_autofree char *key = NULL;
      g_autofree char *err = NULL;
      g_autofree char *prev = g_strdup (VP_JOURNAL_GENESIS_HASH);
      JsonBuilder *b = NULL;

      g_assert_no_error (error);
      van->id = g_strdup_printf ("%s%04u", prefix, v + 1);
      van->bundle = g_strdup_printf ("%s/%s-bundle", dir, van->id);
      van->batches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      van->n_entries = n_entries;
      pem = vp_signer_public_key_pem (signer);
      key = g_strdup_printf ("%s/%s.pub", dir, van->id);
      g_assert_true (g_file_set_contents (key, pem, -1, &error));
      g_assert_cmpint (hq_run (NULL, &err, "provision", van->id, "--public-key", key,
                               "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"),
                               "--url", hq_env ("VANPOS_HQ_URL"), "--out", van->bundle, NULL), ==, 0);
      for (guint s = 1; s <= n_entries; s++)
        {
          if (b == NULL)
            b = begin_batch (van->id);
          if (s == 1)
            add_entry (b, signer, van->id, s, VP_KIND_SHIFT_OPEN,
                       g_strdup ("{\"staff\":\"op01\",\"shift\":1,\"float\":10000}"), &prev);
          else
            {
              Bill *bill = bills->pdata[v * accounts_per_van + (s % accounts_per_van)];

              add_entry (b, signer, van->id, s, VP_KIND_PAY, pay_payload (bill), &prev);
              bill->due--;
            }
          if (s % 1000 == 0 || s == n_entries)
            {
              g_ptr_array_add (van->batches, end_batch (b));
              g_clear_object (&b);
            }
        }
      g_ptr_array_add (vans, van);
    }
  return vans;
}

/* --- the sync ------------------------------------------------------------------ */

typedef struct
{
  GMutex      lock;
  GCond       cond;
  gboolean    go;
  gint64      start;
  guint       max_retries;
} Start;

typedef struct
{
  Start      *start;
  HqFleetVan *van;
} Arg;

static size_t
collect (char   *ptr,
         size_t  size,
         size_t  n,
         void   *data)
{
  g_string_append_len (data, ptr, (gssize) (size * n));
  return size * n;
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

/* One request on the van's kept-alive handle, sent again on no answer
 * or 503. FALSE when it failed for good (error set on the van). */
static gboolean
request (CURL       *curl,
         HqFleetVan *van,
         Start      *start,
         const char *path,
         const char *token,
         GBytes     *gz,
         const char *plain,
         GString    *out)
{
  g_autofree char *url = g_strconcat (hq_env ("VANPOS_HQ_URL"), path, NULL);
  g_autofree char *ca = g_build_filename (hq_env ("VANPOS_HQ_TLS_DIR"), "ca.crt", NULL);
  g_autofree char *crt = g_build_filename (van->bundle, "client.crt", NULL);
  g_autofree char *key = g_build_filename (van->bundle, "client.key", NULL);
  g_autofree char *auth = token ? g_strconcat ("Authorization: Bearer ", token, NULL) : NULL;

  for (guint attempt = 0;; attempt++)
    {
      struct curl_slist *headers = NULL;
      char errbuf[CURL_ERROR_SIZE] = "";
      long status = 0;
      CURLcode rc;

      g_string_truncate (out, 0);
      curl_easy_reset (curl);
      curl_easy_setopt (curl, CURLOPT_URL, url);
      curl_easy_setopt (curl, CURLOPT_CAINFO, ca);
      curl_easy_setopt (curl, CURLOPT_PINNEDPUBLICKEY, hq_env ("VANPOS_HQ_PINS"));
      curl_easy_setopt (curl, CURLOPT_SSLCERT, crt);
      curl_easy_setopt (curl, CURLOPT_SSLKEY, key);
      curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
      /* What the van's sync client uses (src/sync/vp-sync-client.c):
       * it gives up on an answer slower than 64 B/s for 30 s. */
      curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, 30L);
      curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, 64L);
      curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, 30L);
      curl_easy_setopt (curl, CURLOPT_TIMEOUT, 300L);
      curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
      curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, collect);
      curl_easy_setopt (curl, CURLOPT_WRITEDATA, out);
      curl_easy_setopt (curl, CURLOPT_ACCEPT_ENCODING, "");
      if (auth != NULL)
        headers = curl_slist_append (headers, auth);
      headers = curl_slist_append (headers, "Content-Type: application/json");
      if (gz != NULL)
        {
          headers = curl_slist_append (headers, "Content-Encoding: gzip");
          curl_easy_setopt (curl, CURLOPT_POSTFIELDS, g_bytes_get_data (gz, NULL));
          curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) g_bytes_get_size (gz));
        }
      else
        {
          curl_easy_setopt (curl, CURLOPT_POSTFIELDS, plain);
          curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen (plain));
        }
      curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
      rc = curl_easy_perform (curl);
      curl_slist_free_all (headers);
      if (rc == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
      if (rc == CURLE_OK && status == 200)
        return TRUE;
      if ((rc == CURLE_OK && status != 503) || attempt >= start->max_retries)
        {
          g_free (van->error);
          van->error = rc == CURLE_OK ?
                       g_strdup_printf ("%s: HTTP %ld: %.200s", path, status, out->str) :
                       g_strdup_printf ("%s: %s", path, errbuf[0] ? errbuf : curl_easy_strerror (rc));
          return FALSE;
        }
      van->retries++;
      g_free (van->retry_why);
      van->retry_why = rc == CURLE_OK ? g_strdup_printf ("%s: HTTP 503", path) :
                       g_strdup_printf ("%s: %s", path, errbuf[0] ? errbuf : curl_easy_strerror (rc));
      /* Exponential backoff with jitter, as the van's client does. */
      g_usleep ((gulong) (g_random_int_range (50, 150) * 1000) << MIN (attempt, 5));
    }
}

static gpointer
sync_van (gpointer data)
{
  Arg *arg = data;
  HqFleetVan *van = arg->van;
  Start *start = arg->start;
  CURL *curl = curl_easy_init ();
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *path = NULL;
  g_autofree char *token = NULL;

  g_mutex_lock (&start->lock);
  while (!start->go)
    g_cond_wait (&start->cond, &start->lock);
  g_mutex_unlock (&start->lock);

  path = g_strdup_printf ("/v1/vans/%s/session", van->id);
  if (request (curl, van, start, path, NULL, NULL, "{\"staff\":\"sup01\",\"pin\":\"9876\"}", out))
    {
      g_autoptr(JsonNode) node = json_from_string (out->str, NULL);

      token = g_strdup (json_object_get_string_member (json_node_get_object (node), "token"));
      g_free (path);
      path = g_strdup_printf ("/v1/vans/%s/journal", van->id);
      van->ok = TRUE;
      for (guint i = 0; i < van->batches->len && van->ok; i++)
        {
          van->ok = request (curl, van, start, path, token, van->batches->pdata[i], NULL, out);
          if (van->ok)
            van->accepted += count_outcome (out->str, "accepted") + count_outcome (out->str, "conflict") +
                             count_outcome (out->str, "duplicate");
        }
    }
  van->usec = g_get_monotonic_time () - start->start;
  curl_easy_cleanup (curl);
  return NULL;
}

gint64
hq_fleet_sync (GPtrArray *vans,
               guint      max_retries)
{
  Start start = { .max_retries = max_retries };
  g_autofree Arg *args = g_new0 (Arg, vans->len);
  g_autofree GThread **threads = g_new0 (GThread *, vans->len);

  g_mutex_init (&start.lock);
  g_cond_init (&start.cond);
  for (guint i = 0; i < vans->len; i++)
    {
      args[i].start = &start;
      args[i].van = vans->pdata[i];
      threads[i] = g_thread_new ("hq-fleet-van", sync_van, &args[i]);
    }
  g_mutex_lock (&start.lock);
  start.go = TRUE;
  start.start = g_get_monotonic_time ();
  g_cond_broadcast (&start.cond);
  g_mutex_unlock (&start.lock);
  for (guint i = 0; i < vans->len; i++)
    g_thread_join (threads[i]);
  g_mutex_clear (&start.lock);
  g_cond_clear (&start.cond);
  return g_get_monotonic_time () - start.start;
}
