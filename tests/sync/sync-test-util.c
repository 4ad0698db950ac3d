/* sync-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdarg.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync-test-util.h"

#define PG_INITDB "/usr/lib/postgresql/15/bin/initdb"

static char *
build_path (const char *rel)
{
  const char *b = g_getenv ("VP_BUILD_DIR");

  return g_build_filename (b ? b : VP_BUILD_DIR, rel, NULL);
}

static char *
source_path (const char *rel)
{
  const char *s = g_getenv ("VP_SOURCE_DIR");

  return g_build_filename (s ? s : VP_SOURCE_DIR, rel, NULL);
}

static int
run_argv (GPtrArray  *argv,
          char      **envp,
          char      **out,
          char      **err)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *o = NULL;
  g_autofree char *e = NULL;
  int status = 0;

  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **)argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                     &o, &e, &status, &error))
    g_error ("could not run %s: %s", (char *)argv->pdata[0], error->message);
  if (out)
    *out = g_steal_pointer (&o);
  if (err)
    *err = g_steal_pointer (&e);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + (WIFSIGNALED (status) ? WTERMSIG (status) : 0);
}

int
sync_env_run (char       **out,
              char       **err,
              const char  *first,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (argv, (gpointer)first);
  va_start (ap, first);
  for (const char *a = va_arg (ap, const char *); a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer)a);
  va_end (ap);
  return run_argv (argv, NULL, out, err);
}

int
sync_env_cli (SyncEnv  *env,
              char    **out,
              char    **err,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (argv, env->cli);
  g_ptr_array_add (argv, (gpointer)"--db");
  g_ptr_array_add (argv, env->db_path);
  va_start (ap, err);
  for (const char *a = va_arg (ap, const char *); a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer)a);
  va_end (ap);
  return run_argv (argv, NULL, out, err);
}

int
sync_env_hq (SyncEnv  *env,
             char    **out,
             char    **err,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (argv, env->hq_bin);
  g_ptr_array_add (argv, (gpointer)"--pg");
  g_ptr_array_add (argv, env->pg);
  va_start (ap, err);
  for (const char *a = va_arg (ap, const char *); a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer)a);
  va_end (ap);
  return run_argv (argv, NULL, out, err);
}

/* A watchdog that stops HQ and removes the temp dir when this process
 * ends in any way (an assertion aborts without running teardown): it
 * waits for EOF on a pipe only we hold. */
static int guard_fd = -1;
static GPid guard_pid;

static void
guard_setup (gpointer data)
{
  setsid ();
}

static void
start_guard (const char *dir,
             const char *hq_dir)
{
  g_autofree char *script = source_path ("scripts/hq-local.sh");
  g_autoptr(GError) error = NULL;
  const char *argv[] = {
    "/bin/sh", "-c", "cat >/dev/null; \"$0\" stop \"$1\" >/dev/null 2>&1; rm -rf \"$2\"",
    script, hq_dir, dir, NULL
  };

  if (!g_spawn_async_with_pipes (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 guard_setup, NULL, &guard_pid, &guard_fd, NULL, NULL, &error))
    g_error ("could not start the clean-up guard: %s", error->message);
}

static void
stop_guard (void)
{
  int status;

  if (guard_fd < 0)
    return;
  close (guard_fd);
  guard_fd = -1;
  waitpid (guard_pid, &status, 0);
  g_spawn_close_pid (guard_pid);
}

static char *
env_value (const char *text,
           const char *key)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *prefix = g_strdup_printf ("%s='", key);

  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], prefix) && g_str_has_suffix (lines[i], "'"))
      return g_strndup (lines[i] + strlen (prefix), strlen (lines[i]) - strlen (prefix) - 1);
  g_error ("hq.env has no %s", key);
  return NULL;
}

static void
check_run (int         status,
           const char *what,
           const char *out,
           const char *err)
{
  if (status != 0)
    g_error ("%s failed (%d): %s %s", what, status, out ? out : "", err ? err : "");
}

SyncEnv *
sync_env_new (const char *van,
              guint       n_accounts)
{
  SyncEnv *env;
  g_autofree char *script = source_path ("scripts/hq-local.sh");
  g_autofree char *out = NULL, *err = NULL, *envtext = NULL;
  g_autofree char *pub = NULL, *bundle = NULL, *csv = NULL;
  g_autofree char *n = g_strdup_printf ("%u", n_accounts);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int st;

  if (!g_file_test (PG_INITDB, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("PostgreSQL 15 is not installed");
      return NULL;
    }
  env = g_new0 (SyncEnv, 1);
  env->sleeps = g_array_new (FALSE, TRUE, sizeof (guint));
  env->dir = g_dir_make_tmp ("vanpos-sync-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (env->dir, 0755);   /* the cluster runs as postgres */
  env->hq_dir = g_build_filename (env->dir, "hq", NULL);
  env->hq_bin = build_path ("src/hq/vanpos-hq");
  env->cli = build_path ("src/cli/vanpos-cli");
  env->van = g_strdup (van);
  env->db_path = g_build_filename (env->dir, "van.db", NULL);
  start_guard (env->dir, env->hq_dir);

  envp = g_get_environ ();
  envp = g_environ_setenv (envp, "VANPOS_HQ_BIN", env->hq_bin, TRUE);
  envp = g_environ_setenv (envp, "VANPOS_HQ_PIN_ITERATIONS", "1000", TRUE);
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (gpointer)"start");
  g_ptr_array_add (argv, env->hq_dir);
  st = run_argv (argv, envp, &envtext, &err);
  check_run (st, "hq-local.sh start", envtext, err);
  g_clear_pointer (&err, g_free);
  env->pg = env_value (envtext, "VANPOS_HQ_PG");
  env->url = env_value (envtext, "VANPOS_HQ_URL");
  env->pins = env_value (envtext, "VANPOS_HQ_PINS");
  env->tls_dir = env_value (envtext, "VANPOS_HQ_TLS_DIR");

  st = sync_env_cli (env, &out, &err, "init", "--van", van, NULL);
  check_run (st, "init", out, err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  st = sync_env_cli (env, &out, &err, "demo", "--accounts", n, "--pin-iterations", "1000", NULL);
  check_run (st, "demo", out, err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  st = sync_env_cli (env, &out, &err, "export-key", NULL);
  check_run (st, "export-key", out, err);
  pub = g_build_filename (env->dir, "van.pub", NULL);
  g_assert_true (g_file_set_contents (pub, out, -1, NULL));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  bundle = g_build_filename (env->dir, "bundle", NULL);
  st = sync_env_hq (env, &out, &err, "provision", van, "--public-key", pub, "--tls-dir",
                    env->tls_dir, "--url", env->url, "--receipt-check-url",
                    "https://check.example.cn", "--out", bundle, NULL);
  check_run (st, "provision", out, err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  st = sync_env_cli (env, &out, &err, "sync", "setup", "--bundle", bundle, NULL);
  check_run (st, "sync setup", out, err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* HQ starts from the van's master data. */
  csv = g_build_filename (env->dir, "csv", NULL);
  st = sync_env_cli (env, &out, &err, "sync", "export-master", "--out", csv, NULL);
  check_run (st, "export-master", out, err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *what[] = { "tariffs", "accounts", "bills" };

    for (guint i = 0; i < G_N_ELEMENTS (what); i++)
      {
        g_autofree char *file = g_strdup_printf ("%s/%s.csv", csv, what[i]);

        st = sync_env_hq (env, &out, &err, "import", what[i], file, NULL);
        check_run (st, "hq import", out, err);
        g_clear_pointer (&out, g_free);
        g_clear_pointer (&err, g_free);
      }
  }

  /* The van's first sync (nothing to push) pulls HQ's master data, as at
   * roll-out; HQ then knows what the van has seen. */
  st = sync_env_cli (env, &out, &err, "sync", "--staff", "sup01", "--pin", "9876", NULL);
  check_run (st, "first sync", out, err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  env->db = vp_database_open (env->db_path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  env->service = vp_service_new (env->db);
  return env;
}

void
sync_env_free (SyncEnv *env)
{
  if (env == NULL)
    return;
  g_clear_object (&env->service);
  g_clear_object (&env->db);
  stop_guard ();   /* stops HQ and PostgreSQL, removes the dir */
  g_array_unref (env->sleeps);
  g_free (env->dir);
  g_free (env->hq_dir);
  g_free (env->hq_bin);
  g_free (env->cli);
  g_free (env->pg);
  g_free (env->url);
  g_free (env->pins);
  g_free (env->tls_dir);
  g_free (env->van);
  g_free (env->db_path);
  g_free (env);
}

void
sync_env_hq_counts (SyncEnv *env,
                    gint64  *entries,
                    gint64  *highest_seq,
                    gint64  *amount)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *vans;
  int st;

  st = sync_env_hq (env, &out, &err, "status", "--json", NULL);
  check_run (st, "hq status", out, err);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  vans = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "vans");
  *entries = *highest_seq = 0;
  if (amount)
    *amount = 0;
  for (guint i = 0; i < json_array_get_length (vans); i++)
    {
      JsonObject *v = json_array_get_object_element (vans, i);

      if (!g_str_equal (json_object_get_string_member (v, "van"), env->van))
        continue;
      *entries = json_object_get_int_member (v, "entries");
      *highest_seq = json_object_get_int_member (v, "highest_seq");
      if (amount)
        *amount = json_object_get_int_member (v, "amount");
    }
}

static void
record_sleep (guint    ms,
              gpointer user_data)
{
  SyncEnv *env = user_data;

  g_array_append_val (env->sleeps, ms);
}

VpSyncClient *
sync_env_client (SyncEnv *env,
                 guint    attempts)
{
  g_autoptr(GError) error = NULL;
  VpSyncClient *client = vp_sync_client_new_for_database (env->db, &error);

  g_assert_no_error (error);
  vp_sync_client_set_retry (client, attempts, 100, 1000);
  vp_sync_client_set_sleep_func (client, record_sleep, env);
  return client;
}

void
sync_env_add_logs (SyncEnv *env,
                   guint    n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = vp_service_login (env->service, "op01", "1234", &error);

  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *note = g_strdup_printf ("asked about the tariff tiers, visit %u", i);
      g_autoptr(VpJournalEntry) e = vp_service_log (env->service, staff, VP_LOG_CONSULTATION,
                                                    NULL, "billing", note, &error);

      g_assert_no_error (error);
      g_assert_nonnull (e);
    }
}

void
sync_env_set_url (SyncEnv    *env,
                  const char *url)
{
  g_autoptr(GError) error = NULL;

  vp_database_set_meta (env->db, VP_META_HQ_URL, url, &error);
  g_assert_no_error (error);
}

/* --- TCP proxy ----------------------------------------------------------- */

struct _Proxy
{
  GSocket         *listener;
  guint16          port;
  GInetSocketAddress *upstream;
  ProxyMode        mode;
  gsize            threshold;
  gint             fired;
  gint             stop;
  GThread         *accept_thread;
  GMutex           lock;
  GPtrArray       *conns;
};

typedef struct
{
  Proxy   *proxy;
  GSocket *client;
  GSocket *server;
  gsize    up_bytes;
  gint     request_sent;
  GThread *up;
  GThread *down;
} Conn;

static void
cut (Conn *c)
{
  g_socket_shutdown (c->client, TRUE, TRUE, NULL);
  g_socket_shutdown (c->server, TRUE, TRUE, NULL);
}

static gboolean
send_all (GSocket    *s,
          const char *buf,
          gsize       len)
{
  while (len > 0)
    {
      gssize n = g_socket_send (s, buf, len, NULL, NULL);

      if (n <= 0)
        return FALSE;
      buf += n;
      len -= n;
    }
  return TRUE;
}

static gpointer
pump_up (gpointer data)
{
  Conn *c = data;
  char buf[16384];
  gssize n;

  while ((n = g_socket_receive (c->client, buf, sizeof buf, NULL, NULL)) > 0)
    {
      if (c->proxy->mode == PROXY_CUT_UPLOAD && c->up_bytes + n > c->proxy->threshold &&
          g_atomic_int_compare_and_exchange (&c->proxy->fired, 0, 1))
        {
          send_all (c->server, buf, c->proxy->threshold - c->up_bytes);
          cut (c);
          return NULL;
        }
      if (!send_all (c->server, buf, n))
        break;
      c->up_bytes += n;
      if (c->up_bytes > c->proxy->threshold)
        g_atomic_int_set (&c->request_sent, 1);
    }
  g_socket_shutdown (c->server, FALSE, TRUE, NULL);
  return NULL;
}

static gpointer
pump_down (gpointer data)
{
  Conn *c = data;
  char buf[16384];
  gssize n;

  while ((n = g_socket_receive (c->server, buf, sizeof buf, NULL, NULL)) > 0)
    {
      /* HQ answers after its COMMIT: drop the answer, cut the line. */
      if (c->proxy->mode == PROXY_DROP_ANSWER && g_atomic_int_get (&c->request_sent) &&
          g_atomic_int_compare_and_exchange (&c->proxy->fired, 0, 1))
        {
          cut (c);
          return NULL;
        }
      if (!send_all (c->client, buf, n))
        break;
    }
  g_socket_shutdown (c->client, FALSE, TRUE, NULL);
  return NULL;
}

static gpointer
proxy_accept (gpointer data)
{
  Proxy *p = data;

  for (;;)
    {
      GSocket *client = g_socket_accept (p->listener, NULL, NULL);
      GSocket *server;
      Conn *c;

      if (client == NULL || g_atomic_int_get (&p->stop))
        {
          g_clear_object (&client);
          return NULL;
        }
      server = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
      if (!g_socket_connect (server, G_SOCKET_ADDRESS (p->upstream), NULL, NULL))
        {
          g_object_unref (server);
          g_object_unref (client);
          continue;
        }
      c = g_new0 (Conn, 1);
      c->proxy = p;
      c->client = client;
      c->server = server;
      g_mutex_lock (&p->lock);
      g_ptr_array_add (p->conns, c);
      g_mutex_unlock (&p->lock);
      c->up = g_thread_new ("proxy-up", pump_up, c);
      c->down = g_thread_new ("proxy-down", pump_down, c);
    }
}

static GSocket *
listen_loopback (guint16 *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_bind (s, addr, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (s, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (s, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return s;
}

Proxy *
proxy_new (const char *upstream_url,
           ProxyMode   mode,
           gsize       threshold)
{
  Proxy *p = g_new0 (Proxy, 1);
  g_autoptr(GUri) uri = g_uri_parse (upstream_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GInetAddress) addr = NULL;

  g_assert_nonnull (uri);
  addr = g_inet_address_new_from_string (g_uri_get_host (uri));
  p->upstream = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (addr, g_uri_get_port (uri)));
  p->mode = mode;
  p->threshold = threshold;
  p->conns = g_ptr_array_new ();
  g_mutex_init (&p->lock);
  p->listener = listen_loopback (&p->port);
  p->accept_thread = g_thread_new ("proxy-accept", proxy_accept, p);
  return p;
}

char *
proxy_url (Proxy *p)
{
  return g_strdup_printf ("https://127.0.0.1:%u", p->port);
}

gboolean
proxy_fired (Proxy *p)
{
  return g_atomic_int_get (&p->fired);
}

void
proxy_free (Proxy *p)
{
  g_atomic_int_set (&p->stop, 1);
  g_socket_shutdown (p->listener, TRUE, TRUE, NULL);
  g_thread_join (p->accept_thread);
  for (guint i = 0; i < p->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (p->conns, i);

      cut (c);
      g_thread_join (c->up);
      g_thread_join (c->down);
      g_object_unref (c->client);
      g_object_unref (c->server);
      g_free (c);
    }
  g_ptr_array_unref (p->conns);
  g_object_unref (p->listener);
  g_object_unref (p->upstream);
  g_mutex_clear (&p->lock);
  g_free (p);
}

/* --- fake HQ ------------------------------------------------------------- */

struct _Fake
{
  GSocket         *listener;
  guint16          port;
  GTlsCertificate *cert;
  FakeMode         mode;
  GCancellable    *cancel;
  GThread         *accept_thread;
  GMutex           lock;
  GPtrArray       *threads;
  gint             n_requests;
};

typedef struct
{
  Fake    *fake;
  GSocket *socket;
} FakeConn;

static void
respond (GOutputStream *out,
         GCancellable  *cancel,
         int            status,
         const char    *body)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                                           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                                           status, strlen (body));

  g_output_stream_write_all (out, head, strlen (head), NULL, cancel, NULL);
  g_output_stream_write_all (out, body, strlen (body), NULL, cancel, NULL);
}

static gpointer
fake_serve (gpointer data)
{
  FakeConn *fc = data;
  Fake *f = fc->fake;
  g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection (fc->socket);
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *request_line = NULL;
  GOutputStream *out;
  gsize content_length = 0;
  gboolean session;

  tls = g_tls_server_connection_new (G_IO_STREAM (conn), f->cert, NULL);
  if (tls == NULL || !g_tls_connection_handshake (G_TLS_CONNECTION (tls), f->cancel, NULL))
    goto out;
  in = g_data_input_stream_new (g_io_stream_get_input_stream (tls));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (in), FALSE);
  out = g_io_stream_get_output_stream (tls);
  request_line = g_data_input_stream_read_line (in, NULL, f->cancel, NULL);
  if (request_line == NULL)
    goto out;
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, f->cancel, NULL);

      if (line == NULL)
        goto out;
      g_strchomp (line);
      if (*line == '\0')
        break;
      if (g_ascii_strncasecmp (line, "content-length:", 15) == 0)
        content_length = g_ascii_strtoull (line + 15, NULL, 10);
    }
  if (content_length > 0)
    {
      g_autofree char *body = g_malloc (content_length);

      if (!g_input_stream_read_all (G_INPUT_STREAM (in), body, content_length, NULL, f->cancel, NULL))
        goto out;
    }
  g_atomic_int_inc (&f->n_requests);
  session = strstr (request_line, "/session") != NULL;

  if (f->mode == FAKE_500)
    respond (out, f->cancel, 500, "{\"error\": \"internal\", \"message\": \"database unavailable\"}");
  else if (session)
    {
      g_autofree char *body = g_strdup_printf ("{\"token\": \"%064d\", \"expires_in\": 3600, "
                                               "\"hq_time\": %" G_GINT64_FORMAT ", \"staff\": \"sup01\"}",
                                               7, g_get_real_time () / 1000);
      respond (out, f->cancel, 200, body);
    }
  else if (f->mode == FAKE_HANG)
    {
      char c;

      /* Never answer; wait for the client to give up. */
      while (g_input_stream_read (G_INPUT_STREAM (in), &c, 1, f->cancel, NULL) > 0)
        ;
    }
  else if (f->mode == FAKE_MALFORMED)
    respond (out, f->cancel, 200, "{\"acked_seq\": 12, \"hq_time\": 17954, \"results\": [{\"seq\"");
  else if (f->mode == FAKE_WRONG_TYPE)
    respond (out, f->cancel, 200, "{\"acked_seq\": \"12\", \"hq_time\": 17954, \"results\": [],"
                                  " \"accounts\": [], \"totals\": {\"entries\": 12, \"amount\": 0}}");
  else if (f->mode == FAKE_OVERSIZED)
    {
      static char chunk[65536];
      gsize total = 33 * 1024 * 1024;
      g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                               "Content-Length: %zu\r\n\r\n", total);

      memset (chunk, ' ', sizeof chunk);
      chunk[0] = '[';
      if (g_output_stream_write_all (out, head, strlen (head), NULL, f->cancel, NULL))
        for (gsize sent = 0; sent < total; sent += sizeof chunk)
          if (!g_output_stream_write_all (out, chunk, MIN (sizeof chunk, total - sent), NULL,
                                          f->cancel, NULL))
            break;
    }
out:
  if (tls)
    g_io_stream_close (tls, NULL, NULL);
  g_object_unref (fc->socket);
  g_free (fc);
  return NULL;
}

static gpointer
fake_accept (gpointer data)
{
  Fake *f = data;

  for (;;)
    {
      GSocket *s = g_socket_accept (f->listener, f->cancel, NULL);
      FakeConn *fc;

      if (s == NULL)
        return NULL;
      fc = g_new0 (FakeConn, 1);
      fc->fake = f;
      fc->socket = s;
      g_mutex_lock (&f->lock);
      g_ptr_array_add (f->threads, g_thread_new ("fake-hq", fake_serve, fc));
      g_mutex_unlock (&f->lock);
    }
}

Fake *
fake_new (const char *cert_file,
          const char *key_file,
          FakeMode    mode)
{
  Fake *f = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;

  f->cert = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  g_assert_no_error (error);
  f->mode = mode;
  f->cancel = g_cancellable_new ();
  f->threads = g_ptr_array_new ();
  g_mutex_init (&f->lock);
  f->listener = listen_loopback (&f->port);
  f->accept_thread = g_thread_new ("fake-accept", fake_accept, f);
  return f;
}

char *
fake_url (Fake *f)
{
  return g_strdup_printf ("https://127.0.0.1:%u", f->port);
}

guint
fake_n_requests (Fake *f)
{
  return g_atomic_int_get (&f->n_requests);
}

void
fake_free (Fake *f)
{
  g_cancellable_cancel (f->cancel);
  g_socket_shutdown (f->listener, TRUE, TRUE, NULL);
  g_thread_join (f->accept_thread);
  for (guint i = 0; i < f->threads->len; i++)
    g_thread_join (g_ptr_array_index (f->threads, i));
  g_ptr_array_unref (f->threads);
  g_object_unref (f->listener);
  g_object_unref (f->cert);
  g_object_unref (f->cancel);
  g_mutex_clear (&f->lock);
  g_free (f);
}
