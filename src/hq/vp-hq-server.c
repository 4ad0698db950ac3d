/* vp-hq-server.c: libsoup 3 HTTPS server for the sync protocol
 * (docs/PROTOCOL.md). The main loop only moves bytes: it accepts
 * connections itself (backlog, connection cap), hands each to a
 * handshake thread once its first bytes arrive (under a deadline), then
 * to libsoup; every request runs on a worker thread with a connection
 * from a PostgreSQL pool, and its answer goes back to the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-hq-server"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <glib-unix.h>
#include <libsoup/soup.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "vp-pin.h"
#include "vp-hq-pin.h"
#include "vp-signer.h"
#include "vp-hq-db.h"
#include "vp-hq-ingest.h"
#include "vp-hq-receipt.h"
#include "vp-receipt-check.h"
#include "vp-hq-server.h"
#include "vp-hq-tls.h"

/* --- master pull ------------------------------------------------------------ */

static void
json_str (GString    *s,
          const char *v)
{
  if (v == NULL)
    {
      g_string_append (s, "null");
      return;
    }
  g_string_append_c (s, '"');
  if (strpbrk (v, "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11"
                  "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f") == NULL)
    {
      g_string_append (s, v);
      g_string_append_c (s, '"');
      return;
    }
  for (const char *p = v; *p != '\0'; p++)
    {
      unsigned char ch = (unsigned char) *p;

      if (ch == '"' || ch == '\\')
        {
          g_string_append_c (s, '\\');
          g_string_append_c (s, (char) ch);
        }
      else if (ch < 0x20)
        g_string_append_printf (s, "\\u%04x", ch);
      else
        g_string_append_c (s, (char) ch);
    }
  g_string_append_c (s, '"');
}

static void
member_str (GString    *s,
            const char *name,
            PGresult   *res,
            int         row,
            int         col)
{
  g_string_append_c (s, '"');
  g_string_append (s, name);
  g_string_append (s, "\":");
  json_str (s, vp_pg_get_string (res, row, col));
  g_string_append_c (s, ',');
}

static void
member_raw (GString    *s,
            const char *name,
            const char *raw)
{
  g_string_append_c (s, '"');
  g_string_append (s, name);
  g_string_append (s, "\":");
  g_string_append (s, raw);
  g_string_append_c (s, ',');
}

static void
member_bool (GString    *s,
             const char *name,
             PGresult   *res,
             int         row,
             int         col)
{
  member_raw (s, name, g_str_equal (PQgetvalue (res, row, col), "t") ? "true" : "false");
}

static void
end_object (GString *s)
{
  if (s->str[s->len - 1] == ',')
    g_string_truncate (s, s->len - 1);
  g_string_append (s, "},");
}

static void
end_array (GString *s)
{
  if (s->str[s->len - 1] == ',')
    g_string_truncate (s, s->len - 1);
  g_string_append (s, "],");
}

/* Rows of one table in the window (since, upper]; the last column of
 * every query is change_seq. */
static gboolean
page_rows (PGconn     *conn,
           const char *name,
           const char *sql,
           const char *van,
           gint64      since,
           gint64      upper,
           GString    *out,
           gint64     *max_seq,
           void      (*row_fn) (GString *, PGresult *, int),
           GError    **error)
{
  char a[32], b[32];
  const char *p[] = { (g_snprintf (a, sizeof a, "%" G_GINT64_FORMAT, since), a),
                      (g_snprintf (b, sizeof b, "%" G_GINT64_FORMAT, upper), b), van };
  g_autoptr(PGresult) res = vp_pg_query_prepared (conn, name, sql, van ? 3 : 2, p, error);
  int ncol;

  if (res == NULL)
    return FALSE;
  ncol = PQnfields (res);
  g_string_append_printf (out, "\"%s\":[", name + strlen ("pull_"));
  for (int i = 0; i < PQntuples (res); i++)
    {
      g_string_append_c (out, '{');
      row_fn (out, res, i);
      end_object (out);
      *max_seq = MAX (*max_seq, vp_pg_get_int64 (res, i, ncol - 1));
    }
  end_array (out);
  return TRUE;
}

static void
account_row (GString  *s,
             PGresult *r,
             int       i)
{
  static const char *names[] = { "number", "holder", "phone", "id_number", "estate", "building",
                                 "unit", "room", "service", "meter", "tariff_class",
                                 "concession_expiry" };
  guint c = 0;

  for (; c < G_N_ELEMENTS (names); c++)
    member_str (s, names[c], r, i, (int) c);
  member_bool (s, "elderly_alone", r, i, 12);
  member_bool (s, "needs_visit", r, i, 13);
  member_raw (s, "balance", PQgetvalue (r, i, 14));
  member_str (s, "card_number", r, i, 15);
  member_raw (s, "card_counter", PQgetvalue (r, i, 16));
  member_raw (s, "year_volume", PQgetvalue (r, i, 17));
  member_raw (s, "tariff_year", PQgetvalue (r, i, 18));
  member_raw (s, "last_reading", PQgetvalue (r, i, 19));
  member_str (s, "status", r, i, 20);
}

static void
bill_row (GString  *s,
          PGresult *r,
          int       i)
{
  member_str (s, "hq_id", r, i, 0);
  member_str (s, "account", r, i, 1);
  member_str (s, "period", r, i, 2);
  member_raw (s, "amount", PQgetvalue (r, i, 3));
  member_raw (s, "paid", PQgetvalue (r, i, 4));
}

static void
tariff_row (GString  *s,
            PGresult *r,
            int       i)
{
  member_str (s, "service", r, i, 0);
  member_str (s, "class", r, i, 1);
  member_raw (s, "version", PQgetvalue (r, i, 2));
  member_str (s, "tiers", r, i, 3);
  member_raw (s, "free_allowance", PQgetvalue (r, i, 4));
  member_raw (s, "discount_permille", PQgetvalue (r, i, 5));
  member_str (s, "valid_from", r, i, 6);
}

static void
staff_row (GString  *s,
           PGresult *r,
           int       i)
{
  member_str (s, "id", r, i, 0);
  member_str (s, "name", r, i, 1);
  member_str (s, "role", r, i, 2);
  member_str (s, "pin_hash", r, i, 3);
  member_bool (s, "active", r, i, 4);
}

static void
blocked_row (GString  *s,
             PGresult *r,
             int       i)
{
  member_str (s, "card_number", r, i, 0);
  member_str (s, "reason", r, i, 1);
}

static void
mapping_row (GString  *s,
             PGresult *r,
             int       i)
{
  member_str (s, "provisional", r, i, 0);
  member_str (s, "number", r, i, 1);
}

#define WINDOW " WHERE change_seq > $1 AND change_seq <= $2 ORDER BY change_seq"

static char *
master_page_in_tx (PGconn      *conn,
                   const char  *van,
                   gint64       since,
                   guint        limit,
                   GError     **error)
{
  g_autoptr(GString) out = g_string_sized_new (1024 + limit * 400);
  g_autoptr(PGresult) cut = NULL;
  char a[32], l[32];
  const char *p[] = { (g_snprintf (a, sizeof a, "%" G_GINT64_FORMAT, since), a), van,
                      (g_snprintf (l, sizeof l, "%u", limit), l) };
  gint64 upper = G_MAXINT64;
  gint64 max_seq = since;
  gboolean more = FALSE;

  /* The snapshot is taken by this first query; the floors it reads are
   * those of writers still open after it (see vp_touch in vp-hq-db.c):
   * nothing at or above the lowest floor is served yet. */
  {
    g_autoptr(PGresult) floor = vp_pg_query_prepared (conn, "pull_floor",
      "SELECT min (((classid::bigint << 32) | objid::bigint) - (1::bigint << 48)) FROM pg_locks"
      " WHERE locktype = 'advisory' AND objsubid = 1 AND classid::bigint >= 65536"
      " AND classid::bigint < 131072"
      " AND database = (SELECT oid FROM pg_database WHERE datname = current_database ())",
      0, NULL, error);

    if (floor == NULL)
      return NULL;
    if (!PQgetisnull (floor, 0, 0))
      upper = MAX (since, vp_pg_get_int64 (floor, 0, 0) - 1);
  }
#define PART(t, extra) \
  "(SELECT change_seq FROM " t " WHERE change_seq > $1" extra \
  " ORDER BY change_seq LIMIT $3::bigint + 1)"
  cut = vp_pg_query_prepared (conn, "pull_cut",
                              "SELECT change_seq FROM (" PART ("accounts", "")
                              " UNION ALL " PART ("bills", "")
                              " UNION ALL " PART ("tariffs", "")
                              " UNION ALL " PART ("staff", "")
                              " UNION ALL " PART ("blocked_cards", "")
                              " UNION ALL " PART ("provisional_accounts", " AND van = $2")
                              ") t ORDER BY change_seq OFFSET $3::bigint LIMIT 1", 3, p, error);
#undef PART
  if (cut == NULL)
    return NULL;
  if (PQntuples (cut) > 0 && vp_pg_get_int64 (cut, 0, 0) - 1 < upper)
    {
      more = TRUE;
      upper = vp_pg_get_int64 (cut, 0, 0) - 1;
    }

  g_string_append_c (out, '{');
  if (!page_rows (conn, "pull_accounts",
                  "SELECT number, holder, phone, id_number, estate, building, unit, room, service,"
                  " meter, tariff_class, concession_expiry, elderly_alone, needs_visit, balance,"
                  " card_number, card_counter, year_volume, tariff_year, last_reading, status,"
                  " change_seq FROM accounts" WINDOW,
                  NULL, since, upper, out, &max_seq, account_row, error) ||
      !page_rows (conn, "pull_bills",
                  "SELECT hq_id, account, period, amount, paid, change_seq FROM bills" WINDOW,
                  NULL, since, upper, out, &max_seq, bill_row, error) ||
      !page_rows (conn, "pull_tariffs",
                  "SELECT service, class, version, tiers, free_allowance, discount_permille,"
                  " valid_from, change_seq FROM tariffs" WINDOW,
                  NULL, since, upper, out, &max_seq, tariff_row, error) ||
      !page_rows (conn, "pull_staff",
                  "SELECT id, name, role, pin_hash, active, change_seq FROM staff" WINDOW,
                  NULL, since, upper, out, &max_seq, staff_row, error) ||
      !page_rows (conn, "pull_blocked_cards",
                  "SELECT card_number, reason, change_seq FROM blocked_cards" WINDOW,
                  NULL, since, upper, out, &max_seq, blocked_row, error) ||
      !page_rows (conn, "pull_account_numbers",
                  "SELECT provisional, number, change_seq FROM provisional_accounts"
                  " WHERE change_seq > $1 AND change_seq <= $2 AND van = $3 ORDER BY change_seq",
                  van, since, upper, out, &max_seq, mapping_row, error))
    return NULL;

  g_string_append_printf (out, "\"cursor\":\"%" G_GINT64_FORMAT "\",\"more\":%s,"
                          "\"hq_time\":%" G_GINT64_FORMAT "}",
                          more ? upper : max_seq, more ? "true" : "false", vp_hq_now_ms ());
  /* What the van is known to hold: the cursor it sent (it imported every
   * page up to there), or on the last page everything this page carries. */
  if (!more)
    g_snprintf (a, sizeof a, "%" G_GINT64_FORMAT, max_seq);
  {
    const char *pv[] = { van, a };
    g_autoptr(PGresult) upd = vp_pg_query_prepared (conn, "pulled",
                                                    "UPDATE vans SET pulled_seq ="
                                                    " greatest (pulled_seq, $2) WHERE id = $1",
                                                    2, pv, error);
    if (upd == NULL)
      return NULL;
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
vp_hq_master_page (PGconn      *conn,
                   const char  *van,
                   gint64       since,
                   guint        limit,
                   GError     **error)
{
  char *page;

  /* One snapshot for every query of the page (REPEATABLE READ). A
   * generic plan for "change_seq > $1 AND change_seq <= $2" cannot know
   * the window is small and may scan the whole table per page. */
  if (!vp_pg_exec (conn, "BEGIN ISOLATION LEVEL REPEATABLE READ;"
                         " SET LOCAL plan_cache_mode = force_custom_plan", error))
    return NULL;
  page = master_page_in_tx (conn, van, since, limit, error);
  if (page == NULL || !vp_pg_exec (conn, "COMMIT", error))
    {
      vp_pg_exec (conn, "ROLLBACK", NULL);
      g_clear_pointer (&page, g_free);
    }
  return page;
}

/* --- JSON depth ---------------------------------------------------------------- */

/* json-glib parses recursively: a body nested ~100,000 deep overflows
 * the stack of the thread parsing it. This scan runs before any parse.
 * Entries carry their payload as a JSON string that HQ parses later, so
 * brackets inside strings are counted too, per string: a payload nested
 * too deep is refused with its batch. A plain string with more than
 * max_depth unclosed brackets is refused as well — no real field has that. */
gboolean
vp_hq_json_depth_ok (const char *data,
                     gsize       len,
                     guint       max_depth)
{
  guint depth = 0;
  guint in_string_depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            {
              /* \" inside a payload string is an inner string's quote:
               * skip it like any escape; brackets still count. */
              i++;
              continue;
            }
          if (c == '"')
            {
              in_string = FALSE;
              in_string_depth = 0;
            }
          else if (c == '[' || c == '{')
            {
              if (++in_string_depth > max_depth)
                return FALSE;
            }
          else if ((c == ']' || c == '}') && in_string_depth > 0)
            in_string_depth--;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

/* --- metrics ----------------------------------------------------------------------- */

static const double latency_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                          10, 30, 60 };
static const char *outcome_names[] = { "accepted", "duplicate", "conflict", "rejected", "other" };
#define N_OUTCOMES G_N_ELEMENTS (outcome_names)

typedef struct
{
  guint64 buckets[G_N_ELEMENTS (latency_buckets)];
  guint64 count;
  double  sum;
} Histogram;

typedef struct
{
  GMutex      lock;
  GHashTable *requests;     /* "route\nstatus" → guint64 count */
  GHashTable *latency;      /* route → Histogram */
  guint64     entries;
  guint64     outcomes[N_OUTCOMES];
  guint64     connections_accepted;
  guint64     connections_refused;   /* over max connections */
  guint64     handshakes_failed;
  guint64     timeouts;              /* handshake, headers or body too slow */
  guint64     abandoned;             /* requests whose client left before a worker took them */
  gint        workers_busy;
  gint        db_in_use;
  gint        open_connections;
  gint        queued;
} Metrics;

/* --- connections and requests -------------------------------------------------------- */

typedef enum
{
  CONN_WAITING,       /* accepted, no byte yet */
  CONN_HANDSHAKE,     /* TLS handshake on a handshake thread */
  CONN_SERVING,       /* handed to libsoup */
} ConnState;

typedef struct _Server Server;

typedef struct
{
  Server            *server;
  ConnState          state;
  GSocket           *socket;
  GSocketConnection *base;
  GTlsConnection    *tls;          /* owned until handed to libsoup */
  GCancellable      *cancel;
  GSource           *wait_source;
  guint              deadline_id;  /* handshake deadline */
  char              *key;          /* "ip:port" */
  gsize              serial;       /* unique in the server's life, from 1 */
  GBytes            *peer_der;     /* client certificate DER, or NULL */
  GError            *handshake_error;
  gint64             read_deadline;  /* monotonic µs; 0: not reading a request */
  const char        *reading;        /* "headers" or "body" */
  gboolean           is_public;      /* accepted on the public receipt-check listener */
} Conn;

typedef struct
{
  Server            *server;
  SoupServerMessage *msg;
  guint64            id;
  gint64             started;
  const char        *route;
  char              *van;
  char              *remote;
  /* the request, copied on the main thread for the worker */
  char              *method;
  char              *path;
  GHashTable        *query;
  char              *authorization;
  char              *content_encoding;
  char              *accept_encoding;
  GBytes            *body;
  GBytes            *peer_der;
  GSocket           *socket;       /* to see, before working, if the van left */
  gboolean           is_public;    /* came in on the public listener */
  char              *accept;       /* Accept header (public page or JSON) */
  /* the answer, set by the worker */
  guint              status;
  char              *content_type;
  GBytes            *answer;
  gboolean           gzipped;
  char              *retry_after;  /* a Retry-After header for the answer */
  guint              n_entries;
  guint              outcomes[N_OUTCOMES];
  gboolean           done;         /* "finished" was emitted */
  gboolean           logged;       /* counted and logged once */
} Job;

struct _Server
{
  VpHqServeOptions  opts;
  char             *tls_dir;
  GMainContext     *context;
  GMainLoop        *loop;
  SoupServer       *soup;
  GSocket          *listener;
  GSocket          *public_listener;
  GHashTable       *buckets;     /* source address → Bucket (main thread only) */
  GTlsCertificate  *certificate;
  GTlsDatabase     *database;
  GThreadPool      *handshakes;
  GThreadPool      *workers;
  GAsyncQueue      *pg_free;
  GPtrArray        *pg_all;
  GHashTable       *conns;       /* Conn → itself, owns it (main thread only) */
  /* Address ("ip:port") → the newest Conn from it (main thread only).
   * An old connection from the same address may still be finishing a
   * request (its van hung up and the port came round again, on loopback
   * or through a proxy): it stays in conns until libsoup lets it go. */
  GHashTable       *by_address;
  guint64           next_id;
  gsize             next_conn_serial;
  char              id_prefix[9];
  Metrics           metrics;
};

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->van);
  g_free (job->remote);
  g_free (job->method);
  g_free (job->path);
  g_clear_pointer (&job->query, g_hash_table_unref);
  g_free (job->authorization);
  g_free (job->content_encoding);
  g_free (job->accept_encoding);
  g_free (job->accept);
  g_clear_pointer (&job->body, g_bytes_unref);
  g_clear_pointer (&job->peer_der, g_bytes_unref);
  g_clear_object (&job->socket);
  g_free (job->content_type);
  g_free (job->retry_after);
  g_clear_pointer (&job->answer, g_bytes_unref);
  g_free (job);
}

static void
job_text (Job        *job,
          guint       status,
          const char *content_type,
          char       *text)
{
  job->status = status;
  g_free (job->content_type);
  job->content_type = g_strdup (content_type);
  g_clear_pointer (&job->answer, g_bytes_unref);
  job->answer = g_bytes_new_take (text, strlen (text));
}

static void
job_reply (Job       *job,
           VpHqReply *reply)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, reply->body);
  job_text (job, reply->status, "application/json", json_to_string (node, FALSE));
}

static void
job_error (Job        *job,
           guint       status,
           const char *code,
           const char *message)
{
  VpHqReply reply = { 0 };

  vp_hq_reply_error (&reply, status, code, "%s", message);
  job_reply (job, &reply);
  vp_hq_reply_clear (&reply);
}

/* --- the PostgreSQL pool ------------------------------------------------------------- */

static gboolean
pool_revive (PGconn *conn)
{
  g_warning ("A PostgreSQL connection is lost (%s); reconnecting",
             g_strstrip (PQerrorMessage (conn)));
  PQreset (conn);
  vp_pg_forget_prepared (conn);
  return PQstatus (conn) == CONNECTION_OK &&
         vp_pg_exec (conn, "SET client_min_messages = warning; SET TIME ZONE 'UTC'", NULL);
}

/* A connection from the pool, re-opened if it is known broken; NULL if
 * none is free within wait_ms or the database is down (the caller
 * answers 503, which the van retries later). */
static PGconn *
pool_take (Server *self,
           guint   wait_ms)
{
  PGconn *conn = g_async_queue_timeout_pop (self->pg_free, (guint64) wait_ms * 1000);

  if (conn == NULL)
    return NULL;
  g_atomic_int_inc (&self->metrics.db_in_use);
  if (PQstatus (conn) != CONNECTION_OK && !pool_revive (conn))
    {
      g_atomic_int_dec_and_test (&self->metrics.db_in_use);
      g_async_queue_push (self->pg_free, conn);
      return NULL;
    }
  return conn;
}

static void
pool_give (Server *self,
           PGconn *conn)
{
  /* A connection left inside a transaction (a failed path that did not
   * roll back) must not leak it into the next request. */
  if (PQstatus (conn) == CONNECTION_OK && PQtransactionStatus (conn) != PQTRANS_IDLE)
    vp_pg_exec (conn, "ROLLBACK", NULL);
  g_atomic_int_dec_and_test (&self->metrics.db_in_use);
  g_async_queue_push (self->pg_free, conn);
}

/* --- request handlers (worker threads) -------------------------------------------- */

/* Checks the client certificate: chain and validity against the HQ CA,
 * the van registered and not revoked, the certificate the one HQ issued
 * last, and (if van is not NULL) CN == van. */
static gboolean
check_client (Server     *self,
              PGconn     *conn,
              Job        *job,
              const char *van)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cn = NULL;
  g_autofree char *serial = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autofree char *m = NULL;

  if (job->peer_der == NULL)
    {
      job_error (job, 401, "auth", "a client certificate issued by HQ is required");
      return FALSE;
    }
  if (!vp_hq_check_client_der (self->tls_dir, g_bytes_get_data (job->peer_der, NULL),
                               g_bytes_get_size (job->peer_der), &cn, &serial, &error))
    {
      job_error (job, 401, "auth", error->message);
      return FALSE;
    }
  {
    const char *p[] = { cn };
    res = vp_pg_query_prepared (conn, "van_cert", "SELECT revoked, cert_serial FROM vans"
                                                  " WHERE id = $1", 1, p, &error);
  }
  if (res == NULL)
    {
      job_error (job, 503, "internal", error->message);
      return FALSE;
    }
  if (PQntuples (res) == 0)
    m = g_strdup_printf ("van %s is not registered at HQ", cn);
  else if (g_str_equal (PQgetvalue (res, 0, 0), "t"))
    m = g_strdup_printf ("the certificate of van %s has been revoked", cn);
  else if (g_strcmp0 (vp_pg_get_string (res, 0, 1), serial) != 0)
    m = g_strdup_printf ("this certificate of van %s has been replaced by a newer one", cn);
  else if (van != NULL && !g_str_equal (van, cn))
    m = g_strdup_printf ("the client certificate is for van %s, not %s", cn, van);
  if (m != NULL)
    {
      job_error (job, 403, "forbidden", m);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_token (PGconn     *conn,
             Job        *job,
             const char *van)
{
  const char *auth = job->authorization;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) res = NULL;
  const char *p[2];

  if (auth == NULL || !g_str_has_prefix (auth, "Bearer ") || strlen (auth + 7) != 64)
    {
      job_error (job, 401, "auth", "a session token is required (Authorization: Bearer …);"
                                   " open a session first");
      return FALSE;
    }
  p[0] = auth + 7;
  p[1] = van;
  res = vp_pg_query_prepared (conn, "token", "SELECT 1 FROM sessions WHERE token = $1"
                                             " AND van = $2 AND expires_at > now ()",
                              2, p, &error);
  if (res == NULL)
    {
      job_error (job, 503, "internal", error->message);
      return FALSE;
    }
  if (PQntuples (res) == 0)
    {
      job_error (job, 401, "auth", "the session token is unknown, expired or for another van");
      return FALSE;
    }
  return TRUE;
}

/* Request body, gunzipped if needed, at most VP_HQ_MAX_BODY_BYTES, and
 * nested at most VP_HQ_MAX_JSON_DEPTH deep (checked before any parse). */
static GBytes *
read_body (Job *job)
{
  const char *enc = job->content_encoding;
  GBytes *raw = job->body;
  g_autoptr(GByteArray) out = NULL;
  g_autoptr(GBytes) plain = NULL;
  z_stream zs = { 0 };
  guint8 buf[65536];
  int rc;

  if (raw == NULL)
    raw = job->body = g_bytes_new_static ("", 0);
  if (enc == NULL || g_ascii_strcasecmp (enc, "identity") == 0)
    {
      if (g_bytes_get_size (raw) > VP_HQ_MAX_BODY_BYTES)
        {
          job_error (job, 413, "too_large", "the request body is larger than 16 MiB");
          return NULL;
        }
      plain = g_bytes_ref (raw);
    }
  else if (g_ascii_strcasecmp (enc, "gzip") != 0)
    {
      job_error (job, 400, "bad_request", "Content-Encoding must be gzip or identity");
      return NULL;
    }
  else
    {
      if (inflateInit2 (&zs, 16 + MAX_WBITS) != Z_OK)
        {
          job_error (job, 500, "internal", "zlib failed to start");
          return NULL;
        }
      out = g_byte_array_new ();
      zs.next_in = (Bytef *) g_bytes_get_data (raw, NULL);
      zs.avail_in = (uInt) g_bytes_get_size (raw);
      do
        {
          zs.next_out = buf;
          zs.avail_out = sizeof buf;
          rc = inflate (&zs, Z_NO_FLUSH);
          if (rc != Z_OK && rc != Z_STREAM_END)
            {
              inflateEnd (&zs);
              job_error (job, 400, "bad_request", "the gzip request body is corrupt or truncated");
              return NULL;
            }
          g_byte_array_append (out, buf, sizeof buf - zs.avail_out);
          if (out->len > VP_HQ_MAX_BODY_BYTES)
            {
              inflateEnd (&zs);
              job_error (job, 413, "too_large", "the request body inflates to more than 16 MiB");
              return NULL;
            }
          if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)
            {
              inflateEnd (&zs);
              job_error (job, 400, "bad_request", "the gzip request body is truncated");
              return NULL;
            }
        }
      while (rc != Z_STREAM_END);
      inflateEnd (&zs);
      plain = g_byte_array_free_to_bytes (g_steal_pointer (&out));
    }
  if (!vp_hq_json_depth_ok (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain),
                            VP_HQ_MAX_JSON_DEPTH))
    {
      g_autofree char *m = g_strdup_printf ("the JSON body (or an entry's payload) is nested more"
                                            " than %d levels deep", VP_HQ_MAX_JSON_DEPTH);
      job_error (job, 400, "bad_request", m);
      return NULL;
    }
  return g_steal_pointer (&plain);
}

/* The PIN check with its per (van, staff) throttle (vp-hq-pin.c): a
 * van that must wait is answered 429 at once, with Retry-After, instead
 * of a worker sleeping or running PBKDF2 for it. Sends the refusal and
 * returns FALSE unless the PIN is a supervisor's. */
static gboolean
session_pin_check (PGconn     *conn,
                   Job        *job,
                   const char *van,
                   const char *staff,
                   const char *pin)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *role = NULL;
  g_autofree char *text = NULL;
  VpHqPinOutcome outcome;
  int retry_after = 0, failures = 0;

  if (!vp_hq_pin_check (conn, van, staff, pin, &outcome, &role, &retry_after, &failures, &error))
    {
      job_error (job, 503, "internal", error->message);
      return FALSE;
    }
  switch (outcome)
    {
    case VP_HQ_PIN_OK:
      break;
    case VP_HQ_PIN_WRONG:
      text = g_strdup_printf ("wrong staff id or PIN; %d more wrong PIN%s and this staff id is"
                              " locked at this van", VP_HQ_PIN_MAX_FAILURES - failures,
                              VP_HQ_PIN_MAX_FAILURES - failures == 1 ? "" : "s");
      job_error (job, 401, "auth", text);
      job->retry_after = g_strdup_printf ("%d", retry_after);
      return FALSE;
    case VP_HQ_PIN_WAIT:
      text = g_strdup_printf ("too many wrong PINs for this staff id at this van;"
                              " try again in %d s", retry_after);
      job_error (job, 429, "throttled", text);
      job->retry_after = g_strdup_printf ("%d", retry_after);
      return FALSE;
    case VP_HQ_PIN_LOCKED:
      text = g_strdup_printf ("PIN locked after %d wrong PINs for this staff id at this van;"
                              " HQ must run “vanpos-hq staff unlock”", VP_HQ_PIN_MAX_FAILURES);
      job_error (job, 401, "locked", text);
      return FALSE;
    default:
      g_assert_not_reached ();
    }
  if (!g_str_equal (role, "supervisor"))
    {
      job_error (job, 403, "forbidden", "only a supervisor may sync with HQ");
      return FALSE;
    }
  return TRUE;
}

static void
handle_session (PGconn     *conn,
                Job        *job,
                const char *van)
{
  g_autoptr(GBytes) body = read_body (job);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  guint8 raw[32];
  g_autofree char *token = NULL;
  JsonObject *o;
  const char *staff, *pin;
  VpHqReply reply = { 0 };

  if (body == NULL)
    return;
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   (gssize) g_bytes_get_size (body), &error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      job_error (job, 400, "bad_request", "the body must be a JSON object {\"staff\", \"pin\"}");
      return;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  staff = json_object_has_member (o, "staff") &&
          json_node_get_value_type (json_object_get_member (o, "staff")) == G_TYPE_STRING ?
          json_object_get_string_member (o, "staff") : NULL;
  pin = json_object_has_member (o, "pin") &&
        json_node_get_value_type (json_object_get_member (o, "pin")) == G_TYPE_STRING ?
        json_object_get_string_member (o, "pin") : NULL;
  if (staff == NULL || pin == NULL)
    {
      job_error (job, 400, "bad_request", "“staff” and “pin” must be strings");
      return;
    }
  if (!session_pin_check (conn, job, van, staff, pin))
    return;
  if (RAND_bytes (raw, sizeof raw) != 1)
    {
      job_error (job, 500, "internal", "no random bytes for a session token");
      return;
    }
  token = g_malloc (65);
  for (guint i = 0; i < sizeof raw; i++)
    g_snprintf (token + 2 * i, 3, "%02x", raw[i]);
  {
    char secs[16];
    const char *p[] = { token, van, staff, (g_snprintf (secs, sizeof secs, "%d",
                                                        VP_HQ_SESSION_SECONDS), secs) };
    g_autoptr(PGresult) ins =
      vp_pg_query_prepared (conn, "session_new",
                            "WITH gone AS (DELETE FROM sessions WHERE expires_at < now ())"
                            " INSERT INTO sessions (token, van, staff, expires_at)"
                            " VALUES ($1, $2, $3, now () + make_interval (secs => $4::int))",
                            4, p, &error);
    if (ins == NULL)
      {
        job_error (job, 503, "internal", error->message);
        return;
      }
  }
  reply.status = 200;
  reply.body = json_object_new ();
  json_object_set_string_member (reply.body, "token", token);
  json_object_set_int_member (reply.body, "expires_in", VP_HQ_SESSION_SECONDS);
  json_object_set_int_member (reply.body, "hq_time", vp_hq_now_ms ());
  json_object_set_string_member (reply.body, "staff", staff);
  job_reply (job, &reply);
  vp_hq_reply_clear (&reply);
}

static void
count_outcomes (Job       *job,
                VpHqReply *reply)
{
  JsonArray *results;

  if (reply->status != 200 || reply->body == NULL ||
      !json_object_has_member (reply->body, "results"))
    return;
  results = json_object_get_array_member (reply->body, "results");
  for (guint i = 0; results != NULL && i < json_array_get_length (results); i++)
    {
      JsonObject *r = json_array_get_object_element (results, i);
      const char *outcome = r ? json_object_get_string_member_with_default (r, "outcome", "") : "";
      guint k = 0;

      while (k < N_OUTCOMES - 1 && !g_str_equal (outcome, outcome_names[k]))
        k++;
      job->outcomes[k]++;
      job->n_entries++;
    }
}

static void
handle_journal (PGconn     *conn,
                Job        *job,
                const char *van)
{
  g_autoptr(GBytes) body = read_body (job);
  VpHqReply reply = { 0 };
  gsize len;
  const char *data;

  if (body == NULL)
    return;
  data = g_bytes_get_data (body, &len);
  vp_hq_ingest_push (conn, van, data ? data : "", len, &reply);
  count_outcomes (job, &reply);
  job_reply (job, &reply);
  vp_hq_reply_clear (&reply);
}

/* Master pages are large and compress ~6×: worth it on the van's mobile
 * link. Only when the client says it takes gzip (libcurl does with
 * CURLOPT_ACCEPT_ENCODING). */
static gboolean
accepts_gzip (const char *ae)
{
  g_auto(GStrv) parts = NULL;

  if (ae == NULL)
    return FALSE;
  parts = g_strsplit (ae, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *token = g_strstrip (g_strdup (parts[i]));
      char *semi = strchr (token, ';');

      if (semi != NULL)
        {
          if (strstr (semi, "q=0") != NULL && strstr (semi, "q=0.") == NULL)
            continue;   /* explicitly refused */
          *semi = '\0';
        }
      g_strstrip (token);
      if (g_ascii_strcasecmp (token, "gzip") == 0)
        return TRUE;
    }
  return FALSE;
}

static GBytes *
gzip_bytes (const char *data,
            gsize       len)
{
  z_stream zs = { 0 };
  gsize bound;
  guint8 *out;
  int rc;

  if (deflateInit2 (&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return NULL;
  bound = deflateBound (&zs, (uLong) len) + 32;
  out = g_malloc (bound);
  zs.next_in = (Bytef *) data;
  zs.avail_in = (uInt) len;
  zs.next_out = out;
  zs.avail_out = (uInt) bound;
  rc = deflate (&zs, Z_FINISH);
  deflateEnd (&zs);
  if (rc != Z_STREAM_END)
    {
      g_free (out);
      return NULL;
    }
  return g_bytes_new_take (out, bound - zs.avail_out);
}

static void
handle_master (PGconn     *conn,
               Job        *job,
               const char *van)
{
  const char *since_s = job->query ? g_hash_table_lookup (job->query, "since") : NULL;
  const char *limit_s = job->query ? g_hash_table_lookup (job->query, "limit") : NULL;
  g_autoptr(GError) error = NULL;
  guint64 since = 0, limit = VP_HQ_DEFAULT_PULL_LIMIT;
  char *page;

  if (since_s != NULL && *since_s != '\0' &&
      !g_ascii_string_to_unsigned (since_s, 10, 0, G_MAXINT64, &since, NULL))
    {
      job_error (job, 400, "bad_request", "“since” is not a cursor HQ gave");
      return;
    }
  if (limit_s != NULL && !g_ascii_string_to_unsigned (limit_s, 10, 1, VP_HQ_MAX_PULL_LIMIT,
                                                      &limit, NULL))
    {
      job_error (job, 400, "bad_request", "“limit” must be 1–50000");
      return;
    }
  page = vp_hq_master_page (conn, van, (gint64) since, (guint) limit, &error);
  if (page == NULL)
    {
      job_error (job, 503, "internal", error->message);
      return;
    }
  if (accepts_gzip (job->accept_encoding) && strlen (page) > 16 * 1024)
    {
      GBytes *z = gzip_bytes (page, strlen (page));

      g_free (page);
      if (z == NULL)
        {
          job_error (job, 500, "internal", "zlib failed to compress the page");
          return;
        }
      job->status = 200;
      job->content_type = g_strdup ("application/json");
      job->answer = z;
      job->gzipped = TRUE;
      return;
    }
  job_text (job, 200, "application/json", page);
}

static void
handle_time (Job *job)
{
  VpHqReply reply = { 200, json_object_new () };

  json_object_set_int_member (reply.body, "hq_time", vp_hq_now_ms ());
  job_reply (job, &reply);
  vp_hq_reply_clear (&reply);
}

static void
handle_healthz (PGconn *conn,
                Job    *job)
{
  g_autoptr(PGresult) res = PQexec (conn, "SELECT 1");

  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      job_error (job, 503, "unavailable", "PostgreSQL does not answer");
      return;
    }
  job_text (job, 200, "application/json",
            g_strdup_printf ("{\"status\":\"ok\",\"database\":\"ok\",\"hq_time\":%" G_GINT64_FORMAT "}",
                             vp_hq_now_ms ()));
}

static gboolean
wants_html (Job *job)
{
  const char *format = job->query ? g_hash_table_lookup (job->query, "format") : NULL;

  if (format != NULL)
    return g_str_equal (format, "html");
  /* A phone's browser asks for text/html first; curl and apps for JSON. */
  return job->accept != NULL && strstr (job->accept, "text/html") != NULL;
}

static void
handle_receipt (Server *self,
                PGconn *conn,
                Job    *job)
{
  VpHqReceiptAnswer answer = { 0 };
  const char *receipt = job->path + strlen (VP_RECEIPT_CHECK_PATH);

  vp_hq_receipt_check (conn, receipt, job->query ? g_hash_table_lookup (job->query, "code") : NULL,
                       wants_html (job), self->opts.missing_after, &answer);
  job_text (job, answer.status, answer.content_type, g_steal_pointer (&answer.body));
  vp_hq_receipt_answer_clear (&answer);
}

/* Runs on a worker thread with a pooled PostgreSQL connection. */
static void
dispatch (Server *self,
          PGconn *conn,
          Job    *job)
{
  g_auto(GStrv) parts = g_strsplit (job->path, "/", -1);
  guint n = g_strv_length (parts);
  const char *method = job->method;

  /* The public listener answers receipt checks and nothing else: no
   * certificate was asked for, so nothing of the vans' API is reachable. */
  if (job->is_public)
    {
      if (!g_str_equal (job->route, "receipt"))
        job_error (job, 404, "not_found", "no such resource; see docs/PROTOCOL.md");
      else
        handle_receipt (self, conn, job);
      return;
    }
  if (g_str_equal (job->route, "healthz"))
    {
      if (!g_str_equal (method, "GET"))
        job_error (job, 405, "bad_request", "use GET");
      else
        handle_healthz (conn, job);
      return;
    }
  /* "", "v1", "time"  |  "", "v1", "vans", VAN, ACTION */
  if (n == 3 && g_str_equal (parts[1], "v1") && g_str_equal (parts[2], "time"))
    {
      if (!check_client (self, conn, job, NULL))
        return;
      if (!g_str_equal (method, "GET"))
        job_error (job, 405, "bad_request", "use GET");
      else
        handle_time (job);
      return;
    }
  if (n != 5 || !g_str_equal (parts[1], "v1") || !g_str_equal (parts[2], "vans") ||
      *parts[3] == '\0')
    {
      job_error (job, 404, "not_found", "no such resource; see docs/PROTOCOL.md");
      return;
    }
  if (!check_client (self, conn, job, parts[3]))
    return;
  if (g_str_equal (parts[4], "session"))
    {
      if (!g_str_equal (method, "POST"))
        job_error (job, 405, "bad_request", "use POST");
      else
        handle_session (conn, job, parts[3]);
    }
  else if (g_str_equal (parts[4], "journal"))
    {
      if (!g_str_equal (method, "POST"))
        job_error (job, 405, "bad_request", "use POST");
      else if (check_token (conn, job, parts[3]))
        handle_journal (conn, job, parts[3]);
    }
  else if (g_str_equal (parts[4], "master"))
    {
      if (!g_str_equal (method, "GET"))
        job_error (job, 405, "bad_request", "use GET");
      else if (check_token (conn, job, parts[3]))
        handle_master (conn, job, parts[3]);
    }
  else
    job_error (job, 404, "not_found", "no such resource; see docs/PROTOCOL.md");
}

static gboolean
finish_job (gpointer data)
{
  Job *job = data;
  SoupServerMessage *msg = job->msg;

  if (!job->done)
    {
      soup_server_message_set_status (msg, job->status, NULL);
      if (job->retry_after != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "Retry-After", job->retry_after);
      if (job->answer != NULL)
        {
          if (job->gzipped)
            soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                          "Content-Encoding", "gzip");
          soup_server_message_set_response (msg, job->content_type, SOUP_MEMORY_COPY,
                                            g_bytes_get_data (job->answer, NULL),
                                            g_bytes_get_size (job->answer));
        }
      soup_server_message_unpause (msg);
    }
  g_object_unref (msg);
  return G_SOURCE_REMOVE;
}

/* The client closed its end (a van that gave up waiting in the queue
 * and will send again): a peek sees the end of the stream. Bytes
 * waiting (a TLS alert, a pipelined request) count as still there. */
static gboolean
client_gone (GSocket *socket)
{
  char c;
  ssize_t n;

  if (socket == NULL)
    return FALSE;
  n = recv (g_socket_get_fd (socket), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void
run_job (gpointer data,
         gpointer user_data)
{
  Job *job = data;
  Server *self = user_data;
  PGconn *conn;

  g_atomic_int_dec_and_test (&self->metrics.queued);
  /* Under overload a van's request can wait longer than the van does:
   * its work would be thrown away, and its retry would wait behind it. */
  if (client_gone (job->socket))
    {
      g_mutex_lock (&self->metrics.lock);
      self->metrics.abandoned++;
      g_mutex_unlock (&self->metrics.lock);
      job_error (job, 503, "unavailable", "the client left before HQ could answer");
      g_main_context_invoke (self->context, finish_job, job);
      return;
    }
  g_atomic_int_inc (&self->metrics.workers_busy);
  conn = pool_take (self, g_str_equal (job->route, "healthz") ? 5000 : 30000);
  if (conn == NULL)
    job_error (job, 503, "internal", "the HQ database is busy or unavailable; try again later");
  else
    {
      dispatch (self, conn, job);
      /* PostgreSQL restarted since this connection's last use: nothing
       * was written (the transaction died with it), so the request runs
       * once more on a fresh connection. */
      if (PQstatus (conn) != CONNECTION_OK && pool_revive (conn))
        {
          job->n_entries = 0;
          memset (job->outcomes, 0, sizeof job->outcomes);
          dispatch (self, conn, job);
        }
      pool_give (self, conn);
    }
  g_atomic_int_dec_and_test (&self->metrics.workers_busy);
  g_main_context_invoke (self->context, finish_job, job);
}

/* --- the main loop side --------------------------------------------------------------- */

static char *
address_key (GSocketAddress *addr)
{
  g_autofree char *ip = NULL;

  if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS (addr))
    return NULL;
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr)));
  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr)));
}

/* The connection a request came on, while HQ still has it. Found by
 * address; the request remembers which connection that was when it
 * started, so a newer connection from the same address is never taken
 * for it (NULL then). */
static Conn *
message_conn (Server            *self,
              SoupServerMessage *msg)
{
  g_autofree char *key = address_key (soup_server_message_get_remote_address (msg));
  Conn *conn = key ? g_hash_table_lookup (self->by_address, key) : NULL;
  gsize serial = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "vp-conn-serial"));

  if (conn != NULL && serial != 0 && conn->serial != serial)
    return NULL;
  return conn;
}

static const char *
route_of (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path ? path : "", "/", -1);
  guint n = g_strv_length (parts);

  if (g_strcmp0 (path, "/healthz") == 0)
    return "healthz";
  if (g_strcmp0 (path, "/metrics") == 0)
    return "metrics";
  if (n == 4 && g_str_equal (parts[1], "v1") && g_str_equal (parts[2], "receipts") &&
      *parts[3] != '\0')
    return "receipt";
  if (n == 3 && g_str_equal (parts[1], "v1") && g_str_equal (parts[2], "time"))
    return "time";
  if (n == 5 && g_str_equal (parts[1], "v1") && g_str_equal (parts[2], "vans"))
    {
      if (g_str_equal (parts[4], "session"))
        return "session";
      if (g_str_equal (parts[4], "journal"))
        return "journal";
      if (g_str_equal (parts[4], "master"))
        return "master";
    }
  return "other";
}

static char *
metrics_text (Server *self)
{
  Metrics *m = &self->metrics;
  GString *s = g_string_sized_new (4096);
  GHashTableIter iter;
  gpointer key, value;

  g_mutex_lock (&m->lock);
  g_string_append (s, "# HELP vanpos_hq_requests_total HTTP requests answered, by route and status.\n"
                      "# TYPE vanpos_hq_requests_total counter\n");
  g_hash_table_iter_init (&iter, m->requests);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto(GStrv) rs = g_strsplit (key, "\n", 2);
      g_string_append_printf (s, "vanpos_hq_requests_total{route=\"%s\",status=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", rs[0], rs[1], *(guint64 *) value);
    }
  g_string_append (s, "# HELP vanpos_hq_request_duration_seconds Time from request start to answer.\n"
                      "# TYPE vanpos_hq_request_duration_seconds histogram\n");
  g_hash_table_iter_init (&iter, m->latency);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Histogram *h = value;
      guint64 cum = 0;

      for (guint i = 0; i < G_N_ELEMENTS (latency_buckets); i++)
        {
          cum += h->buckets[i];
          g_string_append_printf (s, "vanpos_hq_request_duration_seconds_bucket{route=\"%s\","
                                  "le=\"%g\"} %" G_GUINT64_FORMAT "\n",
                                  (char *) key, latency_buckets[i], cum);
        }
      g_string_append_printf (s, "vanpos_hq_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %"
                              G_GUINT64_FORMAT "\n", (char *) key, h->count);
      g_string_append_printf (s, "vanpos_hq_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                              (char *) key, h->sum);
      g_string_append_printf (s, "vanpos_hq_request_duration_seconds_count{route=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", (char *) key, h->count);
    }
  g_string_append_printf (s, "# HELP vanpos_hq_entries_total Journal entries received in pushes.\n"
                             "# TYPE vanpos_hq_entries_total counter\n"
                             "vanpos_hq_entries_total %" G_GUINT64_FORMAT "\n", m->entries);
  g_string_append (s, "# HELP vanpos_hq_entry_outcomes_total Per-entry outcomes answered.\n"
                      "# TYPE vanpos_hq_entry_outcomes_total counter\n");
  for (guint i = 0; i < N_OUTCOMES; i++)
    g_string_append_printf (s, "vanpos_hq_entry_outcomes_total{outcome=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            outcome_names[i], m->outcomes[i]);
  g_string_append_printf (s,
                          "# TYPE vanpos_hq_connections_accepted_total counter\n"
                          "vanpos_hq_connections_accepted_total %" G_GUINT64_FORMAT "\n"
                          "# TYPE vanpos_hq_connections_refused_total counter\n"
                          "vanpos_hq_connections_refused_total %" G_GUINT64_FORMAT "\n"
                          "# TYPE vanpos_hq_tls_handshakes_failed_total counter\n"
                          "vanpos_hq_tls_handshakes_failed_total %" G_GUINT64_FORMAT "\n"
                          "# TYPE vanpos_hq_timeouts_total counter\n"
                          "vanpos_hq_timeouts_total %" G_GUINT64_FORMAT "\n"
                          "# TYPE vanpos_hq_requests_abandoned_total counter\n"
                          "vanpos_hq_requests_abandoned_total %" G_GUINT64_FORMAT "\n",
                          m->connections_accepted, m->connections_refused,
                          m->handshakes_failed, m->timeouts, m->abandoned);
  g_mutex_unlock (&m->lock);
  g_string_append_printf (s,
                          "# TYPE vanpos_hq_open_connections gauge\n"
                          "vanpos_hq_open_connections %d\n"
                          "# TYPE vanpos_hq_workers gauge\n"
                          "vanpos_hq_workers %u\n"
                          "# TYPE vanpos_hq_workers_busy gauge\n"
                          "vanpos_hq_workers_busy %d\n"
                          "# TYPE vanpos_hq_requests_queued gauge\n"
                          "vanpos_hq_requests_queued %d\n"
                          "# TYPE vanpos_hq_db_pool_size gauge\n"
                          "vanpos_hq_db_pool_size %u\n"
                          "# TYPE vanpos_hq_db_pool_in_use gauge\n"
                          "vanpos_hq_db_pool_in_use %d\n",
                          g_hash_table_size (self->conns), self->opts.workers,
                          g_atomic_int_get (&m->workers_busy), g_atomic_int_get (&m->queued),
                          self->pg_all->len, g_atomic_int_get (&m->db_in_use));
  return g_string_free (s, FALSE);
}

static void
count_request (Server     *self,
               const char *route,
               guint       status,
               double      seconds,
               Job        *job)
{
  Metrics *m = &self->metrics;
  g_autofree char *key = g_strdup_printf ("%s\n%u", route, status);
  guint64 *count;
  Histogram *h;

  g_mutex_lock (&m->lock);
  count = g_hash_table_lookup (m->requests, key);
  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (m->requests, g_steal_pointer (&key), count);
    }
  (*count)++;
  h = g_hash_table_lookup (m->latency, route);
  if (h == NULL)
    {
      h = g_new0 (Histogram, 1);
      g_hash_table_insert (m->latency, g_strdup (route), h);
    }
  for (guint i = 0; i < G_N_ELEMENTS (latency_buckets); i++)
    if (seconds <= latency_buckets[i])
      {
        h->buckets[i]++;
        break;
      }
  h->count++;
  h->sum += seconds;
  if (job != NULL)
    {
      m->entries += job->n_entries;
      for (guint i = 0; i < N_OUTCOMES; i++)
        m->outcomes[i] += job->outcomes[i];
    }
  g_mutex_unlock (&m->lock);
}

/* One access log line per request, dated, with the request id. */
static void
log_request (Job   *job,
             guint  status,
             double ms)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);

  fprintf (stderr, "%s access id=%s-%06" G_GUINT64_FORMAT " remote=%s method=%s route=%s van=%s"
                   " status=%u ms=%.1f entries=%u\n",
           stamp, job->server->id_prefix, job->id, job->remote ? job->remote : "-",
           job->method ? job->method : "-", job->route, job->van ? job->van : "-",
           status, ms, job->n_entries);
}

static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  Job *job = g_object_get_data (G_OBJECT (msg), "vp-job");
  Conn *conn;
  double ms;

  if (job == NULL)
    return;
  job->done = TRUE;
  if (job->logged)
    return;
  job->logged = TRUE;
  ms = (g_get_monotonic_time () - job->started) / 1000.0;
  count_request (job->server, job->route, soup_server_message_get_status (msg), ms / 1000.0, job);
  log_request (job, soup_server_message_get_status (msg), ms);
  conn = message_conn (job->server, msg);
  if (conn != NULL)
    conn->read_deadline = 0;
}

static void
on_got_headers (SoupServerMessage *msg,
                gpointer           user_data)
{
  Server *self = user_data;
  Conn *conn = message_conn (self, msg);

  if (conn != NULL)
    {
      conn->read_deadline = g_get_monotonic_time () + (gint64) self->opts.body_timeout * G_USEC_PER_SEC;
      conn->reading = "body";
    }
}

static void
on_got_body (SoupServerMessage *msg,
             gpointer           user_data)
{
  Conn *conn = message_conn (user_data, msg);

  if (conn != NULL)
    conn->read_deadline = 0;
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  Server *self = user_data;
  Job *job = g_new0 (Job, 1);
  Conn *conn = message_conn (self, msg);

  job->server = self;
  job->msg = msg;
  job->id = ++self->next_id;
  job->started = g_get_monotonic_time ();
  job->route = "other";
  if (conn != NULL)
    {
      g_object_set_data (G_OBJECT (msg), "vp-conn-serial", GSIZE_TO_POINTER (conn->serial));
      job->remote = g_strdup (conn->key);
      job->peer_der = conn->peer_der ? g_bytes_ref (conn->peer_der) : NULL;
      job->socket = g_object_ref (conn->socket);
      job->is_public = conn->is_public;
      conn->read_deadline = job->started + (gint64) self->opts.header_timeout * G_USEC_PER_SEC;
      conn->reading = "headers";
    }
  g_object_set_data_full (G_OBJECT (msg), "vp-job", job, job_free);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), self);
  g_signal_connect (msg, "got-body", G_CALLBACK (on_got_body), self);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), self);
}

/* An oversized or chunked body is refused right after the headers,
 * without reading it: the connection is taken from libsoup, the answer
 * written and the connection closed. */
static void
refuse_unread (Server            *self,
               SoupServerMessage *msg,
               guint              status,
               const char        *code,
               const char        *message)
{
  Job *job = g_object_get_data (G_OBJECT (msg), "vp-job");
  g_autofree char *body = g_strdup_printf ("{\"error\":\"%s\",\"message\":\"%s\"}", code, message);
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
                                           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                                           status, soup_status_get_phrase (status), strlen (body));
  Conn *conn = message_conn (self, msg);
  g_autoptr(GIOStream) io = NULL;

  if (job != NULL)
    {
      job->done = TRUE;
      job->logged = TRUE;
      count_request (self, job->route, status,
                     (g_get_monotonic_time () - job->started) / 1e6, NULL);
      log_request (job, status, (g_get_monotonic_time () - job->started) / 1000.0);
    }
  io = soup_server_message_steal_connection (msg);
  if (io != NULL)
    {
      GOutputStream *out = g_io_stream_get_output_stream (io);

      if (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL))
        g_output_stream_write_all (out, body, strlen (body), NULL, NULL, NULL);
      g_output_stream_flush (out, NULL, NULL);
      g_io_stream_close (io, NULL, NULL);
    }
  if (conn != NULL)
    {
      conn->read_deadline = 0;
      g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
    }
}

static void
early_handle (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Server *self = user_data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  Job *job = g_object_get_data (G_OBJECT (msg), "vp-job");

  if (job != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (path, "/", -1);

      job->route = route_of (path);
      job->method = g_strdup (soup_server_message_get_method (msg));
      if (g_strv_length (parts) == 5 && g_str_equal (parts[2], "vans"))
        job->van = g_strndup (parts[3], 64);
    }
  /* A chunked body has no announced size: it could only be bounded by
   * reading it, so it is not accepted at all (the van sends a length). */
  if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CHUNKED)
    refuse_unread (self, msg, 400, "bad_request", "send the request body with a Content-Length");
  /* A receipt check is a GET: the public listener reads no body at all. */
  else if (job != NULL && job->is_public &&
           soup_message_headers_get_encoding (h) == SOUP_ENCODING_CONTENT_LENGTH &&
           soup_message_headers_get_content_length (h) > 0)
    refuse_unread (self, msg, 413, "too_large", "a receipt check has no request body");
  else if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CONTENT_LENGTH &&
           soup_message_headers_get_content_length (h) > VP_HQ_MAX_BODY_BYTES)
    refuse_unread (self, msg, 413, "too_large", "the request body is larger than 16 MiB");
}

/* --- the public listener's rate limit (main thread only) ----------------------------- */

typedef struct
{
  double tokens;
  gint64 last;     /* monotonic µs of the last refill */
} Bucket;

/* The source address without its port: one phone, one bucket, however
 * many connections it opens. */
static char *
bucket_key (const char *remote)
{
  const char *colon = remote ? strrchr (remote, ':') : NULL;

  return colon ? g_strndup (remote, (gsize) (colon - remote)) : g_strdup (remote ? remote : "?");
}

static void
bucket_refill (Server *self,
               Bucket *b,
               gint64  now)
{
  double rate = self->opts.public_rate / 60.0;   /* tokens per second */

  b->tokens = MIN ((double) self->opts.public_rate,
                   b->tokens + (now - b->last) / (double) G_USEC_PER_SEC * rate);
  b->last = now;
}

/* A token bucket per source address: public_rate checks at once, then
 * public_rate per minute. FALSE with *wait (s until the next token) when
 * the address has none left. */
static gboolean
bucket_take (Server     *self,
             const char *remote,
             guint      *wait)
{
  g_autofree char *key = bucket_key (remote);
  Bucket *b = g_hash_table_lookup (self->buckets, key);
  gint64 now = g_get_monotonic_time ();

  if (b == NULL)
    {
      b = g_new0 (Bucket, 1);
      b->tokens = self->opts.public_rate;
      b->last = now;
      g_hash_table_insert (self->buckets, g_steal_pointer (&key), b);
    }
  bucket_refill (self, b, now);
  if (b->tokens >= 1.0)
    {
      b->tokens -= 1.0;
      return TRUE;
    }
  /* Rounded up: a client that waits this long finds a token. */
  *wait = (guint) ((1.0 - b->tokens) * 60.0 / self->opts.public_rate) + 1;
  return FALSE;
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Server *self = user_data;
  Job *job = g_object_get_data (G_OBJECT (msg), "vp-job");
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

  if (job == NULL)
    {
      soup_server_message_set_status (msg, 500, NULL);
      return;
    }
  if (job->is_public)
    {
      guint wait = 0;

      if (!bucket_take (self, job->remote, &wait))
        {
          g_autofree char *retry = g_strdup_printf ("%u", wait);
          static const char body[] = "{\"error\":\"too_many\",\"message\":\"too many receipt"
                                     " checks from this address; try again later\"}";

          soup_server_message_set_status (msg, 429, NULL);
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Retry-After", retry);
          soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                            body, strlen (body));
          return;
        }
      if (!g_str_equal (job->method, "GET") && !g_str_equal (job->method, "HEAD"))
        {
          static const char body[] = "{\"error\":\"bad_request\",\"message\":\"use GET\"}";

          soup_server_message_set_status (msg, 405, NULL);
          soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                            body, strlen (body));
          return;
        }
    }
  else if (g_str_equal (job->route, "metrics"))
    {
      char *text = metrics_text (self);

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/plain; version=0.0.4", SOUP_MEMORY_TAKE,
                                        text, strlen (text));
      return;
    }
  /* Too many requests already waiting for a worker: answer at once
   * rather than let every van time out; the van retries later. */
  if ((guint) g_atomic_int_get (&self->metrics.queued) >= self->opts.max_queue)
    {
      soup_server_message_set_status (msg, 503, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "2");
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        "{\"error\":\"unavailable\",\"message\":\"HQ is busy\"}",
                                        strlen ("{\"error\":\"unavailable\",\"message\":\"HQ is busy\"}"));
      return;
    }
  job->path = g_strdup (path);
  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer k, v;

      job->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &k, &v))
        g_hash_table_insert (job->query, g_strdup (k), g_strdup (v));
    }
  job->authorization = g_strdup (soup_message_headers_get_one (h, "Authorization"));
  job->content_encoding = g_strdup (soup_message_headers_get_one (h, "Content-Encoding"));
  job->accept_encoding = g_strdup (soup_message_headers_get_list (h, "Accept-Encoding"));
  job->accept = g_strdup (soup_message_headers_get_list (h, "Accept"));
  job->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  soup_server_message_pause (msg);
  g_object_ref (msg);
  g_atomic_int_inc (&self->metrics.queued);
  g_thread_pool_push (self->workers, job, NULL);
}

/* --- accepting connections ------------------------------------------------------------ */

static void
conn_free (Conn *conn)
{
  if (conn->wait_source != NULL)
    {
      g_source_destroy (conn->wait_source);
      g_source_unref (conn->wait_source);
    }
  if (conn->deadline_id != 0)
    g_source_remove (conn->deadline_id);
  g_clear_object (&conn->tls);
  g_clear_object (&conn->base);
  g_clear_object (&conn->socket);
  g_clear_object (&conn->cancel);
  g_clear_pointer (&conn->peer_der, g_bytes_unref);
  g_clear_error (&conn->handshake_error);
  g_free (conn->key);
  g_free (conn);
}

/* Forgets and frees conn; its address now names no connection, unless
 * a newer one from it took its place. */
static void
conn_remove (Conn *conn)
{
  Server *self = conn->server;

  if (g_hash_table_lookup (self->by_address, conn->key) == conn)
    g_hash_table_remove (self->by_address, conn->key);
  g_hash_table_remove (self->conns, conn);
}

static void
conn_drop (Conn *conn)
{
  g_socket_close (conn->socket, NULL);
  conn_remove (conn);
}

/* The TLS connection libsoup served is gone. */
static void
conn_gone (gpointer  data,
           GObject  *where_the_tls_was)
{
  conn_remove (data);
}

/* Handshake or first byte too slow: a silent or slow client must not
 * hold a handshake thread. */
static gboolean
on_handshake_deadline (gpointer data)
{
  Conn *conn = data;
  Server *self = conn->server;

  conn->deadline_id = 0;
  g_mutex_lock (&self->metrics.lock);
  self->metrics.timeouts++;
  g_mutex_unlock (&self->metrics.lock);
  if (conn->state == CONN_WAITING)
    {
      conn_drop (conn);
      return G_SOURCE_REMOVE;
    }
  /* The handshake thread wakes up with an error and hands back. */
  g_cancellable_cancel (conn->cancel);
  g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

/* glib-networking's own verdict on a client certificate (GnuTLS, with a
 * server-side identity) refuses valid van certificates, so the handshake
 * decision is taken here, with the same OpenSSL check as every request:
 * chain to the HQ CA and validity period. Revocation and CN are checked
 * per request in check_client(). */
static gboolean
on_accept_certificate (GTlsConnection       *tls,
                       GTlsCertificate      *cert,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Conn *conn = user_data;
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GError) error = NULL;

  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL ||
      !vp_hq_check_client_der (conn->server->tls_dir, der->data, der->len, NULL, NULL, &error))
    {
      g_message ("TLS handshake refused (flags 0x%x): %s", errors,
                 error ? error->message : "no certificate");
      return FALSE;
    }
  return TRUE;
}

static gboolean
handshake_done (gpointer data)
{
  Conn *conn = data;
  Server *self = conn->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  GTlsConnection *tls;

  if (conn->deadline_id != 0)
    {
      g_source_remove (conn->deadline_id);
      conn->deadline_id = 0;
    }
  if (conn->handshake_error != NULL)
    {
      g_mutex_lock (&self->metrics.lock);
      self->metrics.handshakes_failed++;
      g_mutex_unlock (&self->metrics.lock);
      g_debug ("TLS handshake with %s failed: %s", conn->key, conn->handshake_error->message);
      conn_drop (conn);
      return G_SOURCE_REMOVE;
    }
  /* From now on the socket timeout is the idle timeout: a kept-alive
   * connection with no new request, or a request that stops sending,
   * is closed after it. */
  g_socket_set_timeout (conn->socket, self->opts.idle_timeout);
  local = g_socket_get_local_address (conn->socket, NULL);
  remote = g_socket_get_remote_address (conn->socket, NULL);
  conn->state = CONN_SERVING;
  tls = g_steal_pointer (&conn->tls);
  g_object_weak_ref (G_OBJECT (tls), conn_gone, conn);
  if (!soup_server_accept_iostream (self->soup, G_IO_STREAM (tls), local, remote, &error))
    {
      g_warning ("libsoup refused a connection: %s", error->message);
      g_socket_close (conn->socket, NULL);
    }
  g_object_unref (tls);   /* libsoup holds it now; conn_gone when it lets go */
  return G_SOURCE_REMOVE;
}

static void
run_handshake (gpointer data,
               gpointer user_data)
{
  Conn *conn = data;
  Server *self = user_data;
  GTlsBackend *backend = g_tls_backend_get_default ();
  GError *error = NULL;

  conn->tls = g_initable_new (g_tls_backend_get_server_connection_type (backend), NULL, &error,
                              "base-io-stream", conn->base,
                              "certificate", self->certificate,
                              "database", self->database,
                              /* Requested, not required: /healthz and /metrics
                               * answer without a certificate; every sync
                               * route refuses a request without one (401). */
                              "authentication-mode", conn->is_public
                                                     ? G_TLS_AUTHENTICATION_NONE
                                                     : G_TLS_AUTHENTICATION_REQUESTED,
                              "require-close-notify", FALSE,
                              NULL);
  if (conn->tls != NULL)
    {
      g_signal_connect (conn->tls, "accept-certificate", G_CALLBACK (on_accept_certificate), conn);
      if (g_tls_connection_handshake (conn->tls, conn->cancel, &error))
        {
          GTlsCertificate *peer = g_tls_connection_get_peer_certificate (conn->tls);

          if (peer != NULL)
            {
              GByteArray *der = NULL;

              g_object_get (peer, "certificate", &der, NULL);
              if (der != NULL)
                conn->peer_der = g_byte_array_free_to_bytes (der);
            }
        }
    }
  conn->handshake_error = error;
  g_main_context_invoke (self->context, handshake_done, conn);
}

/* The first bytes arrived (or the peer hung up): only now does the
 * connection get a handshake thread. */
static gboolean
on_first_bytes (GSocket      *socket,
                GIOCondition  condition,
                gpointer      data)
{
  Conn *conn = data;

  g_source_unref (conn->wait_source);
  conn->wait_source = NULL;
  if (condition & (G_IO_ERR | G_IO_HUP) && !(condition & G_IO_IN))
    {
      conn_drop (conn);
      return G_SOURCE_REMOVE;
    }
  conn->state = CONN_HANDSHAKE;
  g_thread_pool_push (conn->server->handshakes, conn, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket      *listener,
             GIOCondition  condition,
             gpointer      data)
{
  Server *self = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocketAddress) remote = NULL;
      GSocket *socket = g_socket_accept (listener, NULL, &error);
      Conn *conn;

      if (socket == NULL)
        {
          /* Out of descriptors should not happen with the connection
           * cap under the limit; if it does, the connection waits in
           * the backlog and this is retried on the next wakeup. */
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_warning ("accept failed: %s", error->message);
          break;
        }
      if (g_hash_table_size (self->conns) >= self->opts.max_connections)
        {
          g_mutex_lock (&self->metrics.lock);
          self->metrics.connections_refused++;
          g_mutex_unlock (&self->metrics.lock);
          g_socket_close (socket, NULL);
          g_object_unref (socket);
          continue;
        }
      remote = g_socket_get_remote_address (socket, NULL);
      conn = g_new0 (Conn, 1);
      conn->server = self;
      conn->socket = socket;
      conn->key = address_key (remote);
      conn->is_public = listener == self->public_listener;
      if (conn->key == NULL)
        conn->key = g_strdup_printf ("socket-%p", (void *) socket);
      conn->cancel = g_cancellable_new ();
      g_socket_set_blocking (socket, TRUE);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
      /* Every read or write on the socket gives up after this long
       * without progress (during the handshake; idle_timeout later). */
      g_socket_set_timeout (socket, self->opts.handshake_timeout);
      conn->base = g_socket_connection_factory_create_connection (socket);
      conn->serial = ++self->next_conn_serial;
      g_hash_table_add (self->conns, conn);
      /* Replace, not insert: the table keeps this conn's key, which
       * lives as long as the entry. */
      g_hash_table_replace (self->by_address, conn->key, conn);
      g_mutex_lock (&self->metrics.lock);
      self->metrics.connections_accepted++;
      g_mutex_unlock (&self->metrics.lock);
      conn->deadline_id = g_timeout_add_seconds (self->opts.handshake_timeout,
                                                 on_handshake_deadline, conn);
      conn->wait_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (conn->wait_source, (GSourceFunc) (void (*) (void)) on_first_bytes,
                             conn, NULL);
      g_source_attach (conn->wait_source, self->context);
    }
  return G_SOURCE_CONTINUE;
}

/* Headers or body arriving too slowly (a trickle that keeps the idle
 * timeout from firing) end the connection. */
static gboolean
on_sweep (gpointer data)
{
  Server *self = data;
  GHashTableIter iter;
  gpointer value;
  gint64 now = g_get_monotonic_time ();

  /* A full bucket is the same as none: forget it, so the table holds
   * only addresses seen in the last minute or two. */
  g_hash_table_iter_init (&iter, self->buckets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      bucket_refill (self, value, now);
      if (((Bucket *) value)->tokens >= self->opts.public_rate)
        g_hash_table_iter_remove (&iter);
    }
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Conn *conn = value;

      if (conn->state == CONN_SERVING && conn->read_deadline != 0 && now > conn->read_deadline)
        {
          g_message ("Closing the connection of %s: the request %s took too long",
                     conn->key, conn->reading);
          conn->read_deadline = 0;
          g_mutex_lock (&self->metrics.lock);
          self->metrics.timeouts++;
          g_mutex_unlock (&self->metrics.lock);
          g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
        }
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer user_data)
{
  Server *self = user_data;

  g_message ("Stopping");
  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

void
vp_hq_serve_options_init (VpHqServeOptions *opts)
{
  guint cores = MAX (1, g_get_num_processors ());

  memset (opts, 0, sizeof *opts);
  /* Workers wait on PostgreSQL and PBKDF2 as much as they compute, and
   * each batch verifies its signatures on every core itself: twice the
   * cores (at least 4) keeps the CPU busy without thrashing. */
  opts->workers = CLAMP (2 * cores, 4, 64);
  opts->db_pool = opts->workers;
  opts->backlog = 1024;
  opts->max_connections = 2048;
  opts->max_queue = 1024;
  opts->handshake_timeout = 10;
  opts->header_timeout = 20;
  opts->body_timeout = 120;
  opts->idle_timeout = 60;
  opts->public_rate = VP_HQ_PUBLIC_RATE_DEFAULT;
  opts->missing_after = VP_HQ_MISSING_AFTER_DEFAULT;
}

static GSocket *
listen_socket (Server       *self,
               GSocketAddress *addr,
               guint        *port,
               GError      **error)
{
  g_autoptr(GSocket) socket = g_socket_new (g_socket_address_get_family (addr), G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);
  g_autoptr(GSocketAddress) local = NULL;

  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, (int) self->opts.backlog);
  if (!g_socket_bind (socket, addr, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return NULL;
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  return g_steal_pointer (&socket);
}

/* "HOST:PORT" (an IP address; port 0 picks a free one). */
static GSocketAddress *
parse_listen (const char  *option,
              const char  *listen,
              char       **out_host,
              GError     **error)
{
  const char *colon = strrchr (listen, ':');
  guint64 port64 = 0;
  g_autofree char *host = NULL;
  GSocketAddress *addr;

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port64, NULL))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                   "%s must be HOST:PORT, e.g. 127.0.0.1:8443", option);
      return NULL;
    }
  host = g_strndup (listen, (gsize) (colon - listen));
  addr = g_inet_socket_address_new_from_string (host, (guint) port64);
  if (addr == NULL)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "“%s” is not an IP address", host);
      return NULL;
    }
  *out_host = g_steal_pointer (&host);
  return addr;
}

static gboolean
write_port (const char  *port_file,
            guint        port,
            GError     **error)
{
  g_autofree char *text = g_strdup_printf ("%u\n", port);

  return port_file == NULL || g_file_set_contents (port_file, text, -1, error);
}

gboolean
vp_hq_serve (const VpHqServeOptions *opts,
             const char             *listen,
             const char             *tls_dir,
             const char             *port_file,
             GError                **error)
{
  g_autofree char *crt = NULL;
  g_autofree char *key = NULL;
  g_autofree char *ca = NULL;
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocketAddress) public_addr = NULL;
  g_autofree char *host = NULL;
  g_autofree char *public_host = NULL;
  guint port = 0;
  guint public_port = 0;
  GSource *public_source = NULL;
  Server self = { 0 };
  GSource *accept_source = NULL;
  guint sweep_id = 0;
  gboolean ok = FALSE;

  self.opts = *opts;
  self.tls_dir = g_canonicalize_filename (tls_dir, NULL);
  self.context = g_main_context_default ();
  self.loop = g_main_loop_new (self.context, FALSE);
  self.conns = g_hash_table_new_full (g_direct_hash, g_direct_equal, (GDestroyNotify) conn_free, NULL);
  self.by_address = g_hash_table_new (g_str_hash, g_str_equal);
  self.buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self.pg_free = g_async_queue_new ();
  self.pg_all = g_ptr_array_new_with_free_func ((GDestroyNotify) PQfinish);
  g_mutex_init (&self.metrics.lock);
  self.metrics.requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self.metrics.latency = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  {
    guint32 r = g_random_int ();
    g_snprintf (self.id_prefix, sizeof self.id_prefix, "%08x", r);
  }
  crt = g_build_filename (self.tls_dir, "server.crt", NULL);
  key = g_build_filename (self.tls_dir, "server.key", NULL);
  ca = g_build_filename (self.tls_dir, "ca.crt", NULL);

  /* Each connection is a file descriptor: take the hard limit, and keep
   * the connection cap under it (PostgreSQL, the listener and log files
   * need some too), or accept() would fail over and over. */
  {
    struct rlimit rl;

    if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
      {
        if (rl.rlim_cur < rl.rlim_max)
          {
            rl.rlim_cur = rl.rlim_max;
            setrlimit (RLIMIT_NOFILE, &rl);
            getrlimit (RLIMIT_NOFILE, &rl);
          }
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t) self.opts.max_connections + opts->db_pool + 64)
          {
            self.opts.max_connections = (guint) MAX (16, (gint64) rl.rlim_cur - opts->db_pool - 64);
            g_message ("At most %u connections (the open file limit is %lu)",
                       self.opts.max_connections, (unsigned long) rl.rlim_cur);
          }
      }
  }
  if (opts->workers < 1 || opts->db_pool < 1)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "--workers and --db-pool must be at least 1");
      goto out;
    }
  addr = parse_listen ("--listen", listen, &host, error);
  if (addr == NULL)
    goto out;
  if (opts->public_listen != NULL)
    {
      public_addr = parse_listen ("--public-listen", opts->public_listen, &public_host, error);
      if (public_addr == NULL)
        goto out;
      if (opts->public_rate < 1)
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "--public-rate must be at least 1");
          goto out;
        }
    }
  for (guint i = 0; i < opts->db_pool; i++)
    {
      PGconn *conn = vp_pg_connect (opts->conninfo, error);

      if (conn == NULL)
        goto out;
      g_ptr_array_add (self.pg_all, conn);
      /* init-db is idempotent: an older schema gets today's triggers
       * (the master pull relies on vp_touch's floor lock). */
      if (i == 0 && (!vp_hq_db_check (conn, error) || !vp_hq_db_init (conn, error)))
        goto out;
      g_async_queue_push (self.pg_free, conn);
    }
  self.certificate = g_tls_certificate_new_from_files (crt, key, error);
  if (self.certificate == NULL)
    goto out;
  self.database = g_tls_file_database_new (ca, error);
  if (self.database == NULL)
    goto out;
  self.soup = soup_server_new ("server-header", "vanpos-hq/" PACKAGE_VERSION " ", NULL);
  g_signal_connect (self.soup, "request-started", G_CALLBACK (on_request_started), &self);
  soup_server_add_early_handler (self.soup, NULL, early_handle, &self, NULL);
  soup_server_add_handler (self.soup, NULL, handle, &self, NULL);
  self.workers = g_thread_pool_new (run_job, &self, (int) opts->workers, FALSE, error);
  if (self.workers == NULL)
    goto out;
  /* Handshakes block a thread each while the peer answers: a pool of
   * their own, so they never wait behind batches (and vice versa). */
  self.handshakes = g_thread_pool_new (run_handshake, &self, 64, FALSE, error);
  if (self.handshakes == NULL)
    goto out;
  self.listener = listen_socket (&self, addr, &port, error);
  if (self.listener == NULL)
    goto out;
  if (public_addr != NULL)
    {
      self.public_listener = listen_socket (&self, public_addr, &public_port, error);
      if (self.public_listener == NULL)
        goto out;
      public_source = g_socket_create_source (self.public_listener, G_IO_IN, NULL);
      g_source_set_callback (public_source, (GSourceFunc) (void (*) (void)) on_incoming, &self, NULL);
      g_source_attach (public_source, self.context);
    }
  accept_source = g_socket_create_source (self.listener, G_IO_IN, NULL);
  g_source_set_callback (accept_source, (GSourceFunc) (void (*) (void)) on_incoming, &self, NULL);
  g_source_attach (accept_source, self.context);
  sweep_id = g_timeout_add_seconds (1, on_sweep, &self);

  g_print ("vanpos-hq listening on https://%s:%u (%u workers, %u PostgreSQL connections,"
           " backlog %u)\n", host, port, opts->workers, opts->db_pool, opts->backlog);
  if (self.public_listener != NULL)
    g_print ("vanpos-hq receipt checks on https://%s:%u%s (no client certificate,"
             " %u checks/min per address)\n", public_host, public_port, VP_RECEIPT_CHECK_PATH,
             opts->public_rate);
  /* The public port first: a script that waits for port_file finds both. */
  if (self.public_listener != NULL && !write_port (opts->public_port_file, public_port, error))
    goto out;
  if (!write_port (port_file, port, error))
    goto out;

  g_unix_signal_add (SIGINT, on_signal, &self);
  g_unix_signal_add (SIGTERM, on_signal, &self);
  g_main_loop_run (self.loop);
  ok = TRUE;
out:
  if (accept_source != NULL)
    {
      g_source_destroy (accept_source);
      g_source_unref (accept_source);
    }
  if (sweep_id != 0)
    g_source_remove (sweep_id);
  if (public_source != NULL)
    {
      g_source_destroy (public_source);
      g_source_unref (public_source);
    }
  if (self.listener != NULL)
    g_socket_close (self.listener, NULL);
  g_clear_object (&self.listener);
  if (self.public_listener != NULL)
    g_socket_close (self.public_listener, NULL);
  g_clear_object (&self.public_listener);
  /* Stopping: answer the requests already running, then close. */
  if (self.workers != NULL)
    g_thread_pool_free (self.workers, FALSE, TRUE);
  if (self.handshakes != NULL)
    g_thread_pool_free (self.handshakes, FALSE, TRUE);
  while (g_main_context_iteration (self.context, FALSE))
    ;
  if (self.soup != NULL)
    soup_server_disconnect (self.soup);
  g_clear_object (&self.soup);
  g_hash_table_unref (self.by_address);
  g_hash_table_unref (self.conns);
  g_hash_table_unref (self.buckets);
  g_clear_object (&self.certificate);
  g_clear_object (&self.database);
  g_async_queue_unref (self.pg_free);
  g_ptr_array_unref (self.pg_all);
  g_hash_table_unref (self.metrics.requests);
  g_hash_table_unref (self.metrics.latency);
  g_mutex_clear (&self.metrics.lock);
  g_main_loop_unref (self.loop);
  g_free (self.tls_dir);
  return ok;
}
