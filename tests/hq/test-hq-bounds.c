/* test-hq-bounds.c: vanpos-hq under hostile or heavy traffic (issue 10):
 * JSON nested too deep (body and an entry's payload), idle sockets,
 * a huge Content-Length, an endless chunked body, gzip garbage, idle
 * connections closed, many vans at once, /healthz, /metrics and the
 * dated access log. Run through run-with-hq.sh (meson does).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "vp-journal-entry.h"
#include "hq-fleet.h"
#include "hq-test-util.h"

static char *tmp_dir;
static GPtrArray *small;     /* DEEP0001: 3 entries, for the hostile requests */
static GPtrArray *fleet;     /* VAN0001 (idle sockets), VAN0002… (at once) */
static PGconn *pg;

static int
url_port (const char *url)
{
  const char *colon = strrchr (url, ':');

  g_assert_nonnull (colon);
  return atoi (colon + 1);
}

/* From local_port if it is not 0 (it may be one a closed socket used);
 * -1 if another socket has it. */
static int
tcp_connect_from (int port,
                  int local_port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((guint16) port) };
  struct timeval tv = { 30, 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  inet_pton (AF_INET, "127.0.0.1", &sa.sin_addr);
  if (local_port != 0)
    {
      struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons ((guint16) local_port) };
      int one = 1;

      inet_pton (AF_INET, "127.0.0.1", &local.sin_addr);
      setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind (fd, (struct sockaddr *) &local, sizeof local) != 0)
        {
          g_assert_cmpint (errno, ==, EADDRINUSE);
          close (fd);
          return -1;
        }
    }
  /* A server that never answers fails the test after 30 s, not never. */
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  return fd;
}

static int
tcp_connect (int port)
{
  return tcp_connect_from (port, 0);
}

typedef struct
{
  int      fd;
  SSL_CTX *ctx;
  SSL     *ssl;
} Raw;

/* A TLS connection written by hand, for requests libcurl will not send. */
static Raw *
raw_open_from (int         port,
               int         local_port,
               const char *cert_dir)
{
  Raw *r = g_new0 (Raw, 1);

  r->fd = tcp_connect_from (port, local_port);
  if (r->fd < 0)
    {
      g_free (r);
      return NULL;
    }
  r->ctx = SSL_CTX_new (TLS_client_method ());
  if (cert_dir != NULL)
    {
      g_autofree char *crt = g_build_filename (cert_dir, "client.crt", NULL);
      g_autofree char *key = g_build_filename (cert_dir, "client.key", NULL);

      g_assert_cmpint (SSL_CTX_use_certificate_file (r->ctx, crt, SSL_FILETYPE_PEM), ==, 1);
      g_assert_cmpint (SSL_CTX_use_PrivateKey_file (r->ctx, key, SSL_FILETYPE_PEM), ==, 1);
    }
  r->ssl = SSL_new (r->ctx);
  SSL_set_fd (r->ssl, r->fd);
  g_assert_cmpint (SSL_connect (r->ssl), ==, 1);
  return r;
}

static Raw *
raw_open (int         port,
          const char *cert_dir)
{
  return raw_open_from (port, 0, cert_dir);
}

static void
raw_close (Raw *r)
{
  SSL_free (r->ssl);
  SSL_CTX_free (r->ctx);
  close (r->fd);
  g_free (r);
}

static gboolean
raw_write (Raw        *r,
           const void *data,
           gsize       len)
{
  size_t done = 0;

  return SSL_write_ex (r->ssl, data, len, &done) == 1 && done == len;
}

/* Everything the server sends until it closes; *closed says whether it
 * did close (FALSE: the 30 s receive timeout ran out first). */
static char *
raw_read_all (Raw      *r,
              gboolean *closed)
{
  GString *s = g_string_new (NULL);
  char buf[4096];

  *closed = FALSE;
  for (;;)
    {
      size_t got = 0;

      if (SSL_read_ex (r->ssl, buf, sizeof buf, &got) == 1)
        {
          g_string_append_len (s, buf, (gssize) got);
          continue;
        }
      {
        int err = SSL_get_error (r->ssl, 0);
        *closed = err == SSL_ERROR_ZERO_RETURN ||
                  (err == SSL_ERROR_SYSCALL && errno != EAGAIN && errno != EWOULDBLOCK);
      }
      break;
    }
  return g_string_free (s, FALSE);
}

static int
http_status (const char *text)
{
  if (!g_str_has_prefix (text, "HTTP/1.1 "))
    return 0;
  return atoi (text + 9);
}

static int
hq_port (void)
{
  return url_port (hq_env ("VANPOS_HQ_URL"));
}

static void
assert_alive (void)
{
  HqFleetVan *v = small->pdata[0];
  g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, v->bundle, NULL);

  g_assert_cmpint (r->status, ==, 200);
}

static void
assert_error (HqResp     *r,
              long        status,
              const char *code)
{
  g_assert_null (r->curl_error);
  g_assert_cmpint (r->status, ==, status);
  g_assert_nonnull (r->json);
  g_assert_cmpstr (json_object_get_string_member (r->json, "error"), ==, code);
}

static char *
deep (guint n)
{
  GString *s = g_string_sized_new (2 * n);

  for (guint i = 0; i < n; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < n; i++)
    g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static void
test_deep_json_session (void)
{
  HqFleetVan *v = small->pdata[0];
  g_autofree char *path = g_strdup_printf ("/v1/vans/%s/session", v->id);
  g_autofree char *body = deep (100000);

  {
    g_autoptr(HqResp) r = hq_https ("POST", path, body, strlen (body), FALSE, v->bundle, NULL);
    assert_error (r, 400, "bad_request");
  }
  /* 65 levels is one too many; 64 parse (and are then not a session). */
  {
    g_autofree char *b65 = deep (65);
    g_autoptr(HqResp) r = hq_https ("POST", path, b65, strlen (b65), TRUE, v->bundle, NULL);
    assert_error (r, 400, "bad_request");
    g_assert_nonnull (strstr (json_object_get_string_member (r->json, "message"), "nested"));
  }
  {
    g_autofree char *b64 = deep (64);
    g_autoptr(HqResp) r = hq_https ("POST", path, b64, strlen (b64), TRUE, v->bundle, NULL);
    assert_error (r, 400, "bad_request");
    g_assert_null (strstr (json_object_get_string_member (r->json, "message"), "nested"));
  }
  assert_alive ();
}

static void
test_deep_json_payload (void)
{
  HqFleetVan *v = small->pdata[0];
  g_autofree char *path = g_strdup_printf ("/v1/vans/%s/journal", v->id);
  g_autofree char *token = hq_session (v->bundle, v->id);
  g_autofree char *payload = deep (100000);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "van");
  json_builder_add_string_value (b, v->id);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
#define S(n, x) json_builder_set_member_name (b, n); json_builder_add_string_value (b, x)
#define I(n, x) json_builder_set_member_name (b, n); json_builder_add_int_value (b, x)
  S ("uuid", "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
  I ("seq", 1);
  S ("kind", "pay");   /* pay payloads are read before the signature check */
  S ("payload", payload);
  I ("device_time", g_get_real_time ());
  I ("monotonic_ms", 1);
  S ("prev_hash", VP_JOURNAL_GENESIS_HASH);
  S ("hash", VP_JOURNAL_GENESIS_HASH);
  S ("signature", "AAAA");
#undef S
#undef I
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  {
    g_autoptr(HqResp) r = hq_https ("POST", path, json, strlen (json), TRUE, v->bundle, token);
    assert_error (r, 400, "bad_request");
  }
  /* HQ is alive and the van's real entries go in. */
  {
    gsize len;
    const char *gz = g_bytes_get_data (v->batches->pdata[0], &len);
    g_autoptr(GBytes) unz = NULL;
    g_autoptr(HqResp) r = NULL;
    g_autofree char *sql = NULL;

    /* hq_https gzips itself: send the batch's JSON text. */
    {
      g_autoptr(GConverter) dec = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
      g_autoptr(GInputStream) mem = g_memory_input_stream_new_from_data (gz, (gssize) len, NULL);
      g_autoptr(GInputStream) in = g_converter_input_stream_new (mem, dec);
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

      g_assert_cmpint (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, NULL), >, 0);
      unz = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
    }
    r = hq_https ("POST", path, g_bytes_get_data (unz, NULL), g_bytes_get_size (unz), TRUE,
                  v->bundle, token);
    g_assert_cmpint (r->status, ==, 200);
    sql = g_strdup_printf ("SELECT count (*) FROM journal WHERE van = '%s'", v->id);
    g_assert_cmpint (hq_pg_int (pg, sql), ==, v->n_entries);
  }
}

static void
test_huge_content_length (void)
{
  HqFleetVan *v = small->pdata[0];
  Raw *r = raw_open (hq_port (), v->bundle);
  g_autofree char *head = g_strdup_printf ("POST /v1/vans/%s/journal HTTP/1.1\r\nHost: hq\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Content-Length: 104857600\r\n\r\n", v->id);
  g_autofree char *answer = NULL;
  char kib[1024];
  gboolean closed;

  memset (kib, '[', sizeof kib);
  g_assert_true (raw_write (r, head, strlen (head)));
  g_assert_true (raw_write (r, kib, sizeof kib));
  /* The answer comes without the other 99.99 MiB, and HQ hangs up. */
  answer = raw_read_all (r, &closed);
  g_assert_cmpint (http_status (answer), ==, 413);
  g_assert_true (closed);
  g_assert_nonnull (strstr (answer, "\"too_large\""));
  raw_close (r);
  assert_alive ();
}

static void
test_endless_chunked (void)
{
  HqFleetVan *v = small->pdata[0];
  Raw *r = raw_open (hq_port (), v->bundle);
  g_autofree char *head = g_strdup_printf ("POST /v1/vans/%s/session HTTP/1.1\r\nHost: hq\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Transfer-Encoding: chunked\r\n\r\n", v->id);
  g_autofree char *answer = NULL;
  char chunk[4096 + 16];
  gboolean closed;
  int n = g_snprintf (chunk, sizeof chunk, "1000\r\n");

  memset (chunk + n, ' ', 4096);
  memcpy (chunk + n + 4096, "\r\n", 2);
  g_assert_true (raw_write (r, head, strlen (head)));
  /* 1 MiB of a body that never ends. */
  for (int i = 0; i < 256; i++)
    if (!raw_write (r, chunk, (gsize) n + 4096 + 2))
      break;
  answer = raw_read_all (r, &closed);
  g_assert_cmpint (http_status (answer), ==, 400);
  g_assert_true (closed);
  raw_close (r);
  assert_alive ();
}

static void
test_gzip_garbage (void)
{
  HqFleetVan *v = small->pdata[0];
  const char *bodies[] = { "this is not gzip at all, just text",
                           /* a gzip header, then nonsense */
                           "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-garbage-garbage" };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      Raw *r = raw_open (hq_port (), v->bundle);
      g_autofree char *req = g_strdup_printf ("POST /v1/vans/%s/session HTTP/1.1\r\nHost: hq\r\n"
                                              "Content-Type: application/json\r\n"
                                              "Content-Encoding: gzip\r\nConnection: close\r\n"
                                              "Content-Length: %zu\r\n\r\n%s", v->id,
                                              strlen (bodies[i]), bodies[i]);
      g_autofree char *answer = NULL;
      gboolean closed;

      g_assert_true (raw_write (r, req, strlen (req)));
      answer = raw_read_all (r, &closed);
      g_assert_cmpint (http_status (answer), ==, 400);
      g_assert_nonnull (strstr (answer, "\"bad_request\""));
      raw_close (r);
    }
  assert_alive ();
}

/* A van that hangs up while its request runs on a worker: the answer
 * has nowhere to go, and HQ carries on. */
static void
test_client_gone (void)
{
  HqFleetVan *v = small->pdata[0];

  for (int i = 0; i < 20; i++)
    {
      Raw *r = raw_open (hq_port (), v->bundle);
      const char *body = "{\"staff\": \"sup01\", \"pin\": \"9876\"}";
      g_autofree char *req = g_strdup_printf ("POST /v1/vans/%s/session HTTP/1.1\r\nHost: hq\r\n"
                                              "Content-Type: application/json\r\n"
                                              "Content-Length: %zu\r\n\r\n%s", v->id,
                                              strlen (body), body);

      g_assert_true (raw_write (r, req, strlen (req)));
      raw_close (r);
    }
  assert_alive ();
}

/* The local port of a connection. */
static int
local_port_of (int fd)
{
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;

  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sa, &len), ==, 0);
  return ntohs (sa.sin_port);
}

static void
assert_fleet_synced (GPtrArray *vans,
                     guint      from)
{
  for (guint i = from; i < vans->len; i++)
    {
      HqFleetVan *v = vans->pdata[i];
      g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM journal WHERE van = '%s'", v->id);

      if (!v->ok)
        g_error ("van %s failed: %s", v->id, v->error);
      g_assert_cmpuint (v->retries, ==, 0);
      g_assert_cmpuint (v->accepted, ==, v->n_entries);
      g_assert_cmpint (hq_pg_int (pg, sql), ==, v->n_entries);
    }
}

/* 150 connections that never send a byte do not hold up a van. */
static void
test_idle_sockets (void)
{
  g_autoptr(GPtrArray) one = g_ptr_array_new ();
  int fds[150];

  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    fds[i] = tcp_connect (hq_port ());
  g_ptr_array_add (one, fleet->pdata[0]);
  hq_fleet_sync (one, 0);
  assert_fleet_synced (one, 0);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    close (fds[i]);
}

static void
test_concurrent_vans (void)
{
  g_autoptr(GPtrArray) rest = g_ptr_array_new ();

  for (guint i = 1; i < fleet->len; i++)
    g_ptr_array_add (rest, fleet->pdata[i]);
  hq_fleet_sync (rest, 0);
  assert_fleet_synced (rest, 0);
}

/* A second vanpos-hq on the test's database and TLS directory, with
 * these options added; its port in *port. */
static GPid
spawn_hq (const char  *name,
          const char **extra,
          int         *port)
{
  g_autofree char *port_file = g_build_filename (tmp_dir, name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *base[] = { hq_env ("VANPOS_HQ_BIN"), "--pg", hq_env ("VANPOS_HQ_PG"), "serve",
                         "--listen", "127.0.0.1:0", "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"),
                         "--port-file", port_file };
  g_autoptr(GError) error = NULL;
  GPid pid;

  for (guint i = 0; i < G_N_ELEMENTS (base); i++)
    g_ptr_array_add (argv, (gpointer) base[i]);
  for (guint i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_async (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
                                G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &error));
  g_assert_no_error (error);
  /* Wait for it to listen (it writes the port file then). */
  for (int i = 0; i < 600 && !g_file_get_contents (port_file, &text, NULL, NULL); i++)
    g_usleep (50000);
  g_assert_nonnull (text);
  *port = atoi (text);
  return pid;
}

/* Stops a spawn_hq() server; it must exit cleanly. */
static void
stop_hq (GPid pid)
{
  int status;

  kill (pid, SIGTERM);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_spawn_close_pid (pid);
}

/* A second server with short timeouts: a silent connection and a
 * kept-alive one left idle are both closed by HQ. */
static void
test_idle_closed (void)
{
  const char *extra[] = { "--handshake-timeout", "2", "--idle-timeout", "2", "--workers", "2",
                          "--db-pool", "2", NULL };
  int port, fd;
  GPid pid = spawn_hq ("short.port", extra, &port);
  char c;

  /* No TLS byte ever: closed (EOF) well before our 30 s timeout. */
  fd = tcp_connect (port);
  g_assert_cmpint (recv (fd, &c, 1, 0), ==, 0);
  close (fd);

  /* One request, then nothing: the kept-alive connection is closed. */
  {
    Raw *r = raw_open (port, NULL);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: hq\r\n\r\n";
    g_autofree char *answer = NULL;
    gboolean closed;

    g_assert_true (raw_write (r, req, strlen (req)));
    answer = raw_read_all (r, &closed);
    g_assert_cmpint (http_status (answer), ==, 200);
    g_assert_true (closed);
    raw_close (r);
  }
  stop_hq (pid);
}

/* A van hangs up (a reset: its port is free at once) while its request
 * runs, and the next connection comes from the same address and port, as
 * through a proxy or on loopback. HQ knew connections by address: the new
 * one took the old one's place, the old one was freed while its request
 * ran, and the next use of it broke HQ. Both must be served or dropped on
 * their own. On a server of its own: what the hung-up requests leave
 * behind stays out of the other tests. */
static void
test_client_port_reused (void)
{
  HqFleetVan *v = small->pdata[0];
  const char *body = "{\"staff\": \"sup01\", \"pin\": \"9876\"}";
  g_autofree char *req = g_strdup_printf ("POST /v1/vans/%s/session HTTP/1.1\r\nHost: hq\r\n"
                                          "Content-Type: application/json\r\n"
                                          "Content-Length: %zu\r\n\r\n%s", v->id,
                                          strlen (body), body);
  const char *health = "GET /healthz HTTP/1.1\r\nHost: hq\r\nConnection: close\r\n\r\n";
  const char *extra[] = { NULL };
  int port;
  GPid pid = spawn_hq ("reuse.port", extra, &port);
  guint reused = 0;

  for (int i = 0; i < 40 && reused < 10; i++)
    {
      Raw *gone = raw_open (port, v->bundle);
      int local = local_port_of (gone->fd);
      struct linger reset = { 1, 0 };
      Raw *next;
      g_autofree char *answer = NULL;
      gboolean closed;

      g_assert_true (raw_write (gone, req, strlen (req)));
      g_usleep (20000);
      setsockopt (gone->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      raw_close (gone);

      /* Another socket of this machine may have taken the port already. */
      next = raw_open_from (port, local, v->bundle);
      if (next == NULL)
        continue;
      reused++;
      g_assert_true (raw_write (next, health, strlen (health)));
      answer = raw_read_all (next, &closed);
      g_assert_cmpint (http_status (answer), ==, 200);
      raw_close (next);
    }
  g_assert_cmpuint (reused, ==, 10);
  /* The hung-up requests end on their own; HQ serves on, then stops
   * cleanly. */
  g_usleep (G_USEC_PER_SEC);
  {
    Raw *r = raw_open (port, v->bundle);
    g_autofree char *answer = NULL;
    gboolean closed;

    g_assert_true (raw_write (r, health, strlen (health)));
    answer = raw_read_all (r, &closed);
    g_assert_cmpint (http_status (answer), ==, 200);
    raw_close (r);
  }
  stop_hq (pid);
}

static void
pg_ok (PGconn     *conn,
       const char *sql)
{
  PGresult *res = PQexec (conn, sql);

  if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQerrorMessage (conn));
  PQclear (res);
}

static void pg_okf (PGconn *conn, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
pg_okf (PGconn     *conn,
        const char *format,
        ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  pg_ok (conn, sql);
}

static HqResp *
pull (HqFleetVan *v,
      const char *token,
      gint64      since)
{
  g_autofree char *path = g_strdup_printf ("/v1/vans/%s/master?since=%" G_GINT64_FORMAT, v->id, since);
  return hq_https ("GET", path, NULL, 0, FALSE, v->bundle, token);
}

/* A master page is read under one snapshot and stops below the oldest
 * open writer's changes, without waiting for that writer: a change
 * committed after a still-open lower one is not served yet (it would
 * leave the lower one behind the van's cursor), and both come once the
 * writer commits. */
static void
test_master_snapshot (void)
{
  HqFleetVan *v = small->pdata[0];
  g_autofree char *token = hq_session (v->bundle, v->id);
  PGconn *writer = hq_pg ();
  gint64 since = hq_pg_int (pg, "SELECT last_value FROM change_seq");
  g_autofree char *x = NULL, *y = NULL;
  g_autofree char *since_s = g_strdup_printf ("%" G_GINT64_FORMAT, since);

  {
    PGresult *res = PQexec (pg, "SELECT number FROM accounts ORDER BY number LIMIT 2");
    x = g_strdup (PQgetvalue (res, 0, 0));
    y = g_strdup (PQgetvalue (res, 1, 0));
    PQclear (res);
  }
  /* An open writer (as ingest and import are: the old shared lock too). */
  pg_ok (writer, "BEGIN");
  pg_ok (writer, "SELECT pg_advisory_xact_lock_shared (7002)");
  pg_okf (writer, "UPDATE accounts SET phone = '13800000001' WHERE number = '%s'", x);
  /* A later change, committed. */
  pg_okf (pg, "UPDATE accounts SET phone = '13800000002' WHERE number = '%s'", y);
  {
    g_autoptr(HqResp) r = pull (v, token, since);

    g_assert_cmpint (r->status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r->json, "accounts")), ==, 0);
    g_assert_false (json_object_get_boolean_member (r->json, "more"));
    g_assert_cmpstr (json_object_get_string_member (r->json, "cursor"), ==, since_s);
  }
  pg_ok (writer, "COMMIT");
  PQfinish (writer);
  {
    g_autoptr(HqResp) r = pull (v, token, since);
    JsonArray *accounts;

    g_assert_cmpint (r->status, ==, 200);
    accounts = json_object_get_array_member (r->json, "accounts");
    g_assert_cmpuint (json_array_get_length (accounts), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (accounts, 0), "number"),
                     ==, x);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (accounts, 1), "number"),
                     ==, y);
  }
}

static char *
metric_line (const char *text,
             const char *name)
{
  g_autofree char *needle = g_strconcat ("\n", name, " ", NULL);
  const char *p = strstr (text, needle);

  if (p == NULL)
    return NULL;
  p += strlen (needle);
  return g_strndup (p, strcspn (p, "\n"));
}

/* /healthz and /metrics need no client certificate; the access log
 * carries dates and request ids. Runs last: the figures count the
 * requests of the tests before. */
static void
test_operations (void)
{
  g_autofree char *log_path = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "hq.log", NULL);
  g_autofree char *log = NULL;
  g_autoptr(GRegex) access = NULL;

  {
    g_autoptr(HqResp) r = hq_https ("GET", "/healthz", NULL, 0, FALSE, NULL, NULL);
    g_assert_cmpint (r->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (r->json, "status"), ==, "ok");
    g_assert_cmpstr (json_object_get_string_member (r->json, "database"), ==, "ok");
  }
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/metrics", NULL, 0, FALSE, NULL, NULL);
    g_autofree char *accepted = NULL;
    g_autofree char *entries = NULL;
    g_autofree char *n = NULL;

    g_assert_cmpint (r->status, ==, 200);
    accepted = metric_line (r->body, "vanpos_hq_entry_outcomes_total{outcome=\"accepted\"}");
    entries = metric_line (r->body, "vanpos_hq_entries_total");
    n = g_strdup_printf ("%" G_GINT64_FORMAT, hq_pg_int (pg, "SELECT count (*) FROM journal"));
    /* Every entry HQ holds was answered accepted exactly once. */
    g_assert_cmpstr (accepted, ==, n);
    g_assert_cmpstr (entries, ==, n);
    g_assert_nonnull (strstr (r->body, "vanpos_hq_requests_total{route=\"journal\",status=\"400\"} 1\n"));
    g_assert_nonnull (strstr (r->body, "vanpos_hq_requests_total{route=\"journal\",status=\"413\"} 1\n"));
    g_assert_nonnull (strstr (r->body, "vanpos_hq_request_duration_seconds_count{route=\"journal\"}"));
    g_assert_nonnull (strstr (r->body, "\nvanpos_hq_db_pool_size "));
    g_assert_nonnull (strstr (r->body, "\nvanpos_hq_db_pool_in_use "));
  }
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  access = g_regex_new ("^20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z access"
                        " id=[0-9a-f]{8}-\\d{6} remote=127\\.0\\.0\\.1:\\d+ method=POST"
                        " route=session van=VAN0001 status=200 ms=\\d+\\.\\d",
                        G_REGEX_MULTILINE, 0, NULL);
  g_assert_true (g_regex_match (access, log, 0, NULL));
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  curl_global_init (CURL_GLOBAL_DEFAULT);
  tmp_dir = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "test", NULL);
  g_assert_cmpint (g_mkdir_with_parents (tmp_dir, 0700), ==, 0);
  pg = hq_pg ();
  /* DEEP0001: 3 entries; VAN0001: 1,000 (idle sockets); 8 more × 1,000. */
  small = hq_fleet_make (tmp_dir, "DEEP", 1, 3, 2);
  fleet = hq_fleet_make (tmp_dir, "VAN", 9, 1000, 20);

  g_test_add_func ("/hq/bounds/deep-json-session", test_deep_json_session);
  g_test_add_func ("/hq/bounds/deep-json-payload", test_deep_json_payload);
  g_test_add_func ("/hq/bounds/huge-content-length", test_huge_content_length);
  g_test_add_func ("/hq/bounds/endless-chunked", test_endless_chunked);
  g_test_add_func ("/hq/bounds/gzip-garbage", test_gzip_garbage);
  g_test_add_func ("/hq/bounds/client-gone", test_client_gone);
  g_test_add_func ("/hq/bounds/idle-sockets", test_idle_sockets);
  g_test_add_func ("/hq/bounds/concurrent-vans", test_concurrent_vans);
  g_test_add_func ("/hq/bounds/idle-closed", test_idle_closed);
  g_test_add_func ("/hq/bounds/client-port-reused", test_client_port_reused);
  g_test_add_func ("/hq/bounds/master-snapshot", test_master_snapshot);
  g_test_add_func ("/hq/bounds/operations", test_operations);
  rc = g_test_run ();
  g_ptr_array_unref (fleet);
  g_ptr_array_unref (small);
  PQfinish (pg);
  return rc;
}
