/* test-hq-haproxy.c: two vanpos-hq instances behind HAProxy on one
 * PostgreSQL (issue 10), the way to grow past one machine.
 *
 * run-with-hq.sh starts PostgreSQL and the first vanpos-hq; this test
 * starts a second one on the same database and CA (so the same server
 * certificate and pins), and haproxy in `mode tcp` with `balance
 * roundrobin` in front of both: TLS and the client certificate pass
 * through and end at HQ. K vans (tests/hq/hq-fleet.c) sync through
 * haproxy at once; then HQ must hold exactly each van's entries, once
 * (count = distinct seqs = highest seq = the van's seq), the totals
 * must add up, and both instances must have taken part (their access
 * logs). Then, straight to each instance: a session opened at one is
 * used at the other, and a wrong PIN at one throttles the next try at
 * the other (sessions and the PIN throttle live in PostgreSQL).
 *
 * Environment: HQ_HAPROXY_K (vans, default 8), HQ_HAPROXY_ENTRIES
 * (entries per van, default 500). K = 50 × 2,000 is the figure in
 * src/hq/README.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <gio/gio.h>

#include "hq-fleet.h"
#include "hq-test-util.h"

/* A TCP port free on loopback right now (the kernel's pick). */
static guint
free_port (void)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
  socklen_t len = sizeof a;
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  guint port;

  g_assert_cmpint (fd, >=, 0);
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &a, &len), ==, 0);
  port = ntohs (a.sin_port);
  close (fd);
  return port;
}

static gboolean
port_open (guint port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gboolean ok;

  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ok = connect (fd, (struct sockaddr *) &a, sizeof a) == 0;
  close (fd);
  return ok;
}

/* A failed assertion aborts this test without its clean-up: the second
 * HQ and haproxy must not outlive it (run-with-hq.sh stops only its own). */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocess *
spawn_logged (const char  *log,
              const char **argv)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_autoptr(GError) error = NULL;
  GSubprocess *p;

  g_subprocess_launcher_set_stdout_file_path (l, log);
  g_subprocess_launcher_set_stderr_file_path (l, log);
  g_subprocess_launcher_set_child_setup (l, die_with_parent, NULL, NULL);
  p = g_subprocess_launcher_spawnv (l, argv, &error);
  g_assert_no_error (error);
  return p;
}

/* Polls (no fixed sleep): up to 30 s for what a starting server makes. */
static void
wait_until (gboolean (*ready) (gconstpointer),
            gconstpointer data,
            GSubprocess  *proc,
            const char   *log)
{
  for (guint i = 0; !ready (data); i++)
    {
      /* GSubprocess reaps its child on GLib's worker thread: no
       * identifier any more means it exited. */
      if (g_subprocess_get_identifier (proc) == NULL || i > 300)
        {
          g_autofree char *text = NULL;

          g_file_get_contents (log, &text, NULL, NULL);
          g_error ("a server did not start (log %s):\n%s", log, text ? text : "");
        }
      g_usleep (100000);
    }
}

static gboolean
file_filled (gconstpointer path)
{
  gsize len = 0;
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, &len, NULL) && len > 0 && strchr (text, '\n') != NULL;
}

static gboolean
listening (gconstpointer port)
{
  return port_open (GPOINTER_TO_UINT (port));
}

/* Journal requests answered 200 and their entries, from an access log. */
static void
journal_served (const char *log,
                const char *prefix,
                guint      *requests,
                guint64    *entries)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *van = g_strconcat (" van=", prefix, NULL);

  *requests = 0;
  *entries = 0;
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *e;

      if (strstr (lines[i], " access ") == NULL || strstr (lines[i], " route=journal") == NULL ||
          strstr (lines[i], van) == NULL || strstr (lines[i], " status=200 ") == NULL ||
          (e = strstr (lines[i], " entries=")) == NULL)
        continue;
      (*requests)++;
      *entries += g_ascii_strtoull (e + strlen (" entries="), NULL, 10);
    }
}

static size_t
collect (char   *data,
         size_t  size,
         size_t  n,
         void   *user)
{
  g_string_append_len (user, data, (gssize) (size * n));
  return size * n;
}

/* One request straight to one instance (not through haproxy), as the
 * van `bundle`; returns the HTTP status, the body in *body. */
static long
ask (const char *port,
     const char *method,
     const char *path,
     const char *json,
     const char *bundle,
     const char *token,
     char      **body)
{
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%s%s", port, path);
  g_autofree char *ca = g_build_filename (hq_env ("VANPOS_HQ_TLS_DIR"), "ca.crt", NULL);
  g_autofree char *crt = g_build_filename (bundle, "client.crt", NULL);
  g_autofree char *key = g_build_filename (bundle, "client.key", NULL);
  g_autofree char *auth = token ? g_strconcat ("Authorization: Bearer ", token, NULL) : NULL;
  GString *out = g_string_new (NULL);
  struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
  CURL *curl = curl_easy_init ();
  long status = 0;

  if (auth != NULL)
    headers = curl_slist_append (headers, auth);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_CAINFO, ca);
  curl_easy_setopt (curl, CURLOPT_PINNEDPUBLICKEY, hq_env ("VANPOS_HQ_PINS"));
  curl_easy_setopt (curl, CURLOPT_SSLCERT, crt);
  curl_easy_setopt (curl, CURLOPT_SSLKEY, key);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, out);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  if (g_str_equal (method, "POST"))
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, json);
  g_assert_cmpint (curl_easy_perform (curl), ==, CURLE_OK);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
  *body = g_string_free (out, FALSE);
  return status;
}

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *v = g_getenv (name);

  return v != NULL && atoi (v) > 0 ? (guint) atoi (v) : fallback;
}

static void
test_two_hqs (void)
{
  guint k = env_uint ("HQ_HAPROXY_K", 8);
  guint n = env_uint ("HQ_HAPROXY_ENTRIES", 500);
  g_autofree char *dir = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "haproxy", NULL);
  g_autofree char *port_file = g_build_filename (dir, "hq2.port", NULL);
  g_autofree char *hq2_log = g_build_filename (dir, "hq2.log", NULL);
  g_autofree char *hq1_log = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "hq.log", NULL);
  g_autofree char *cfg_path = g_build_filename (dir, "haproxy.cfg", NULL);
  g_autofree char *ha_log = g_build_filename (dir, "haproxy.log", NULL);
  g_autofree char *hq2_port = NULL;
  g_autofree char *cfg = NULL;
  g_autofree char *front = NULL;
  g_autoptr(GSubprocess) hq2 = NULL;
  g_autoptr(GSubprocess) haproxy = NULL;
  g_autoptr(GPtrArray) vans = NULL;
  g_autoptr(GError) error = NULL;
  /* Copied: the environment is changed below. */
  g_autofree char *hq1_port = g_strdup (strrchr (hq_env ("VANPOS_HQ_URL"), ':') + 1);
  guint ha_port = free_port ();
  guint req1, req2, retries = 0;
  guint64 ent1, ent2, total = 0;
  gint64 wall, paid0;
  PGconn *pg;
  PGresult *res;

  /* Every van is provisioned with, and syncs through, HAProxy's
   * address (set before any thread exists: setenv is not thread-safe). */
  front = g_strdup_printf ("https://127.0.0.1:%u", ha_port);
  g_setenv ("VANPOS_HQ_URL", front, TRUE);
  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  {
    const char *argv[] = { hq_env ("VANPOS_HQ_BIN"), "--pg", hq_env ("VANPOS_HQ_PG"), "serve",
                           "--listen", "127.0.0.1:0", "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"),
                           "--port-file", port_file, NULL };
    hq2 = spawn_logged (hq2_log, argv);
    wait_until (file_filled, port_file, hq2, hq2_log);
  }
  g_assert_true (g_file_get_contents (port_file, &hq2_port, NULL, NULL));
  g_strstrip (hq2_port);

  /* TCP only: HAProxy never sees inside TLS, the van's certificate
   * reaches HQ. The health check asks /healthz over TLS (no client
   * certificate needed) so an instance that lost PostgreSQL leaves the
   * rotation. */
  cfg = g_strdup_printf ("global\n"
                         "  maxconn 4096\n"
                         "  log stderr format raw local0 info\n"
                         "defaults\n"
                         "  mode tcp\n"
                         "  log global\n"
                         "  option tcplog\n"
                         "  timeout connect 5s\n"
                         /* /healthz waits up to 5 s for a pooled
                          * PostgreSQL connection on a busy instance. */
                         "  timeout check 10s\n"
                         "  timeout client 300s\n"
                         "  timeout server 300s\n"
                         "frontend vans\n"
                         "  bind 127.0.0.1:%u\n"
                         "  default_backend hq\n"
                         "backend hq\n"
                         "  balance roundrobin\n"
                         "  option httpchk GET /healthz\n"
                         "  http-check expect status 200\n"
                         "  server hq1 127.0.0.1:%s check check-ssl verify none inter 2s\n"
                         "  server hq2 127.0.0.1:%s check check-ssl verify none inter 2s\n",
                         ha_port, hq1_port, hq2_port);
  g_assert_true (g_file_set_contents (cfg_path, cfg, -1, &error));
  g_assert_no_error (error);
  {
    const char *argv[] = { "haproxy", "-db", "-f", cfg_path, NULL };
    haproxy = spawn_logged (ha_log, argv);
    wait_until (listening, GUINT_TO_POINTER (ha_port), haproxy, ha_log);
  }

  vans = hq_fleet_make (dir, "HAP", k, n, MAX (20u, n / 100));
  pg = hq_pg ();
  paid0 = hq_pg_int (pg, "SELECT coalesce (sum (paid), 0) FROM bills");
  wall = hq_fleet_sync (vans, 5);
  for (guint i = 0; i < k; i++)
    {
      HqFleetVan *v = vans->pdata[i];

      if (!v->ok)
        {
          g_autofree char *text = NULL;

          g_file_get_contents (ha_log, &text, NULL, NULL);
          g_test_message ("van %s failed: %s; haproxy's log:\n%s", v->id, v->error,
                          text ? text : "");
        }
      g_assert_true (v->ok);
      g_assert_cmpuint (v->accepted, ==, n);
      retries += v->retries;
    }

  /* Nothing lost, nothing doubled: per van exactly its seqs 1…n, once. */
  res = PQexec (pg, "SELECT van, count(*), count(DISTINCT seq), max(seq), sum(amount)"
                    " FROM journal WHERE van LIKE 'HAP%' GROUP BY van ORDER BY van");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_cmpint (PQntuples (res), ==, k);
  for (int i = 0; i < PQntuples (res); i++)
    {
      g_autofree char *want = g_strdup_printf ("HAP%04d", i + 1);

      g_assert_cmpstr (PQgetvalue (res, i, 0), ==, want);
      g_assert_cmpint (atoll (PQgetvalue (res, i, 1)), ==, n);
      g_assert_cmpint (atoll (PQgetvalue (res, i, 2)), ==, n);
      g_assert_cmpint (atoll (PQgetvalue (res, i, 3)), ==, n);
      /* seq 1 opens a shift; every other entry pays 1 fen. */
      g_assert_cmpint (atoll (PQgetvalue (res, i, 4)), ==, n - 1);
      total += atoll (PQgetvalue (res, i, 1));
    }
  PQclear (res);
  g_assert_cmpuint (total, ==, (guint64) k * n);
  /* Each 1-fen payment paid its bill once. */
  g_assert_cmpint (hq_pg_int (pg, "SELECT coalesce (sum (paid), 0) FROM bills") - paid0, ==,
                   (gint64) k * (n - 1));
  PQfinish (pg);

  /* Both instances served: their 200 journal answers add up to every
   * entry, each answered by exactly one of them. */
  journal_served (hq1_log, "HAP", &req1, &ent1);
  journal_served (hq2_log, "HAP", &req2, &ent2);
  g_test_message ("K=%u vans x %u entries through haproxy: %.2f s wall, %.0f entries/s,"
                  " %u retries; hq1 %u requests / %" G_GUINT64_FORMAT " entries, hq2 %u / %"
                  G_GUINT64_FORMAT, k, n, wall / 1e6, (double) k * n / (wall / 1e6), retries,
                  req1, ent1, req2, ent2);
  g_assert_cmpuint (req1, >, 0);
  g_assert_cmpuint (req2, >, 0);
  /* A batch sent again (a retry) is answered again, as duplicates. */
  if (retries == 0)
    g_assert_cmpuint (ent1 + ent2, ==, (guint64) k * n);
  else
    g_assert_cmpuint (ent1 + ent2, >=, (guint64) k * n);

  /* Any instance serves any van: a session opened at hq1 works at hq2,
   * and a wrong PIN at hq1 throttles the next try at hq2 (both live in
   * PostgreSQL). */
  {
    HqFleetVan *v1 = vans->pdata[0], *v2 = vans->pdata[k > 1 ? 1 : 0];
    g_autofree char *path1 = g_strdup_printf ("/v1/vans/%s/session", v1->id);
    g_autofree char *path2 = g_strdup_printf ("/v1/vans/%s/session", v2->id);
    g_autofree char *master = g_strdup_printf ("/v1/vans/%s/master?limit=1", v1->id);
    g_autofree char *body = NULL;
    g_autoptr(JsonNode) node = NULL;
    const char *right = "{\"staff\": \"sup01\", \"pin\": \"9876\"}";
    const char *wrong = "{\"staff\": \"sup01\", \"pin\": \"0000\"}";

    g_assert_cmpint (ask (hq1_port, "POST", path1, right, v1->bundle, NULL, &body), ==, 200);
    node = json_from_string (body, NULL);
    g_assert_nonnull (node);
    g_free (body);
    g_assert_cmpint (ask (hq2_port, "GET", master, NULL, v1->bundle,
                          json_object_get_string_member (json_node_get_object (node), "token"),
                          &body), ==, 200);
    g_clear_pointer (&body, g_free);
    g_assert_cmpint (ask (hq1_port, "POST", path2, wrong, v2->bundle, NULL, &body), ==, 401);
    g_clear_pointer (&body, g_free);
    g_assert_cmpint (ask (hq2_port, "POST", path2, right, v2->bundle, NULL, &body), ==, 429);
  }

  g_subprocess_send_signal (haproxy, SIGTERM);
  g_subprocess_send_signal (hq2, SIGTERM);
  g_assert_true (g_subprocess_wait (haproxy, NULL, NULL));
  g_assert_true (g_subprocess_wait (hq2, NULL, NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  curl_global_init (CURL_GLOBAL_DEFAULT);
  g_test_add_func ("/hq/haproxy/two-instances-one-database", test_two_hqs);
  return g_test_run ();
}
