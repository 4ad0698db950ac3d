/* vp-hq-server.c: libsoup 3 HTTPS server for the sync protocol
 * (docs/PROTOCOL.md). Requests are handled one at a time on the main
 * loop with one libpq connection: simple and safe for a reference server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-hq-server"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib-unix.h>
#include <libsoup/soup.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "vp-pin.h"
#include "vp-hq-pin.h"
#include "vp-signer.h"
#include "vp-hq-db.h"
#include "vp-hq-ingest.h"
#include "vp-hq-server.h"
#include "vp-hq-tls.h"

typedef struct
{
  PGconn     *conn;
  char       *tls_dir;
  GMainLoop  *loop;
  GHashTable *peer_certs;   /* GSocket* → GTlsCertificate of its handshake */
} Server;

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
  if (PQntuples (cut) > 0)
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

  if (!vp_pg_exec (conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", error))
    return NULL;
  /* Exclusive: waits for every open master-data writer (they hold it
   * shared), so no lower change_seq can commit after this page. The
   * snapshot is taken by the first query below, after the lock. */
  /* A generic plan for "change_seq > $1 AND change_seq <= $2" cannot
   * know the window is small and may scan the whole table per page. */
  if (!vp_pg_exec (conn, "SET LOCAL plan_cache_mode = force_custom_plan;"
                         " SELECT pg_advisory_xact_lock (7002)", error))
    {
      vp_pg_exec (conn, "ROLLBACK", NULL);
      return NULL;
    }
  page = master_page_in_tx (conn, van, since, limit, error);
  if (page == NULL || !vp_pg_exec (conn, "COMMIT", error))
    {
      vp_pg_exec (conn, "ROLLBACK", NULL);
      g_clear_pointer (&page, g_free);
    }
  return page;
}

/* --- HTTP ----------------------------------------------------------------------- */

static void
send_reply (SoupServerMessage *msg,
            VpHqReply         *reply)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  char *text;

  json_node_set_object (node, reply->body);
  text = json_to_string (node, FALSE);
  soup_server_message_set_status (msg, reply->status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

static void
send_error (SoupServerMessage *msg,
            guint              status,
            const char        *code,
            const char        *message)
{
  VpHqReply reply = { 0 };

  vp_hq_reply_error (&reply, status, code, "%s", message);
  send_reply (msg, &reply);
  vp_hq_reply_clear (&reply);
}

static void
forget_socket (gpointer  data,
               GObject  *where_the_socket_was)
{
  Server *self = data;

  g_hash_table_remove (self->peer_certs, where_the_socket_was);
}

/* libsoup 3.2 gives the TLS peer certificate to the first message of a
 * connection only; later requests on the same kept-alive connection
 * (the van's sync client reuses it) get it from the handshake's record. */
static GTlsCertificate *
message_peer_certificate (Server            *self,
                          SoupServerMessage *msg)
{
  GTlsCertificate *peer = soup_server_message_get_tls_peer_certificate (msg);
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket == NULL)
    return peer;
  if (peer != NULL)
    {
      if (!g_hash_table_contains (self->peer_certs, socket))
        g_object_weak_ref (G_OBJECT (socket), forget_socket, self);
      g_hash_table_replace (self->peer_certs, socket, g_object_ref (peer));
      return peer;
    }
  return g_hash_table_lookup (self->peer_certs, socket);
}

/* Checks the client certificate: chain and validity against the HQ CA,
 * the van registered and not revoked, the certificate the one HQ issued
 * last, and (if van is not NULL) CN == van. */
static gboolean
check_client (Server            *self,
              SoupServerMessage *msg,
              const char        *van,
              char             **cn_out)
{
  GTlsCertificate *peer = message_peer_certificate (self, msg);
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cn = NULL;
  g_autofree char *serial = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autofree char *m = NULL;

  if (peer == NULL)
    {
      send_error (msg, 401, "auth", "a client certificate issued by HQ is required");
      return FALSE;
    }
  g_object_get (peer, "certificate", &der, NULL);
  if (der == NULL ||
      !vp_hq_check_client_der (self->tls_dir, der->data, der->len, &cn, &serial, &error))
    {
      send_error (msg, 401, "auth", error ? error->message : "unreadable client certificate");
      return FALSE;
    }
  {
    const char *p[] = { cn };
    res = vp_pg_query_prepared (self->conn, "van_cert", "SELECT revoked, cert_serial FROM vans"
                                                        " WHERE id = $1", 1, p, &error);
  }
  if (res == NULL)
    {
      send_error (msg, 500, "internal", error->message);
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
      send_error (msg, 403, "forbidden", m);
      return FALSE;
    }
  if (cn_out != NULL)
    *cn_out = g_steal_pointer (&cn);
  return TRUE;
}

static gboolean
check_token (Server            *self,
             SoupServerMessage *msg,
             const char        *van)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (h, "Authorization");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) res = NULL;
  const char *p[2];

  if (auth == NULL || !g_str_has_prefix (auth, "Bearer ") || strlen (auth + 7) != 64)
    {
      send_error (msg, 401, "auth", "a session token is required (Authorization: Bearer …);"
                                    " open a session first");
      return FALSE;
    }
  p[0] = auth + 7;
  p[1] = van;
  res = vp_pg_query_prepared (self->conn, "token", "SELECT 1 FROM sessions WHERE token = $1"
                                                   " AND van = $2 AND expires_at > now ()",
                              2, p, &error);
  if (res == NULL)
    {
      send_error (msg, 500, "internal", error->message);
      return FALSE;
    }
  if (PQntuples (res) == 0)
    {
      send_error (msg, 401, "auth", "the session token is unknown, expired or for another van");
      return FALSE;
    }
  return TRUE;
}

/* Request body, gunzipped if needed, at most VP_HQ_MAX_BODY_BYTES. */
static GBytes *
read_body (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *enc = soup_message_headers_get_one (h, "Content-Encoding");
  g_autoptr(GBytes) raw = soup_message_body_flatten (body);
  g_autoptr(GByteArray) out = NULL;
  z_stream zs = { 0 };
  guint8 buf[65536];
  int rc;

  if (enc == NULL || g_ascii_strcasecmp (enc, "identity") == 0)
    {
      if (g_bytes_get_size (raw) > VP_HQ_MAX_BODY_BYTES)
        {
          send_error (msg, 413, "too_large", "the request body is larger than 16 MiB");
          return NULL;
        }
      return g_steal_pointer (&raw);
    }
  if (g_ascii_strcasecmp (enc, "gzip") != 0)
    {
      send_error (msg, 400, "bad_request", "Content-Encoding must be gzip or identity");
      return NULL;
    }
  if (inflateInit2 (&zs, 16 + MAX_WBITS) != Z_OK)
    {
      send_error (msg, 500, "internal", "zlib failed to start");
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
          send_error (msg, 400, "bad_request", "the gzip request body is corrupt or truncated");
          return NULL;
        }
      g_byte_array_append (out, buf, sizeof buf - zs.avail_out);
      if (out->len > VP_HQ_MAX_BODY_BYTES)
        {
          inflateEnd (&zs);
          send_error (msg, 413, "too_large", "the request body inflates to more than 16 MiB");
          return NULL;
        }
      if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)
        {
          inflateEnd (&zs);
          send_error (msg, 400, "bad_request", "the gzip request body is truncated");
          return NULL;
        }
    }
  while (rc != Z_STREAM_END);
  inflateEnd (&zs);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* The PIN check with its per (van, staff) throttle (vp-hq-pin.c): a
 * van that must wait is answered 429 at once, with Retry-After, instead
 * of a worker sleeping or running PBKDF2 for it. Sends the refusal and
 * returns FALSE unless the PIN is a supervisor's. */
static gboolean
session_pin_check (Server            *self,
                   SoupServerMessage *msg,
                   const char        *van,
                   const char        *staff,
                   const char        *pin)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *role = NULL;
  g_autofree char *text = NULL;
  VpHqPinOutcome outcome;
  int retry_after = 0, failures = 0;
  char secs[16];

  if (!vp_hq_pin_check (self->conn, van, staff, pin, &outcome, &role, &retry_after, &failures,
                        &error))
    {
      send_error (msg, 500, "internal", error->message);
      return FALSE;
    }
  g_snprintf (secs, sizeof secs, "%d", retry_after);
  switch (outcome)
    {
    case VP_HQ_PIN_OK:
      break;
    case VP_HQ_PIN_WRONG:
      text = g_strdup_printf ("wrong staff id or PIN; %d more wrong PIN%s and this staff id is"
                              " locked at this van", VP_HQ_PIN_MAX_FAILURES - failures,
                              VP_HQ_PIN_MAX_FAILURES - failures == 1 ? "" : "s");
      send_error (msg, 401, "auth", text);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", secs);
      return FALSE;
    case VP_HQ_PIN_WAIT:
      text = g_strdup_printf ("too many wrong PINs for this staff id at this van;"
                              " try again in %d s", retry_after);
      send_error (msg, 429, "throttled", text);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", secs);
      return FALSE;
    case VP_HQ_PIN_LOCKED:
      text = g_strdup_printf ("PIN locked after %d wrong PINs for this staff id at this van;"
                              " HQ must run “vanpos-hq staff unlock”", VP_HQ_PIN_MAX_FAILURES);
      send_error (msg, 401, "locked", text);
      return FALSE;
    default:
      g_assert_not_reached ();
    }
  if (!g_str_equal (role, "supervisor"))
    {
      send_error (msg, 403, "forbidden", "only a supervisor may sync with HQ");
      return FALSE;
    }
  return TRUE;
}

static void
handle_session (Server            *self,
                SoupServerMessage *msg,
                const char        *van)
{
  g_autoptr(GBytes) body = read_body (msg);
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
      send_error (msg, 400, "bad_request", "the body must be a JSON object {\"staff\", \"pin\"}");
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
      send_error (msg, 400, "bad_request", "“staff” and “pin” must be strings");
      return;
    }
  if (!session_pin_check (self, msg, van, staff, pin))
    return;
  if (RAND_bytes (raw, sizeof raw) != 1)
    {
      send_error (msg, 500, "internal", "no random bytes for a session token");
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
      vp_pg_query_prepared (self->conn, "session_new",
                            "WITH gone AS (DELETE FROM sessions WHERE expires_at < now ())"
                            " INSERT INTO sessions (token, van, staff, expires_at)"
                            " VALUES ($1, $2, $3, now () + make_interval (secs => $4::int))",
                            4, p, &error);
    if (ins == NULL)
      {
        send_error (msg, 500, "internal", error->message);
        return;
      }
  }
  reply.status = 200;
  reply.body = json_object_new ();
  json_object_set_string_member (reply.body, "token", token);
  json_object_set_int_member (reply.body, "expires_in", VP_HQ_SESSION_SECONDS);
  json_object_set_int_member (reply.body, "hq_time", vp_hq_now_ms ());
  json_object_set_string_member (reply.body, "staff", staff);
  send_reply (msg, &reply);
  vp_hq_reply_clear (&reply);
}

static void
handle_journal (Server            *self,
                SoupServerMessage *msg,
                const char        *van)
{
  g_autoptr(GBytes) body = read_body (msg);
  VpHqReply reply = { 0 };
  gsize len;
  const char *data;

  if (body == NULL)
    return;
  data = g_bytes_get_data (body, &len);
  vp_hq_ingest_push (self->conn, van, data ? data : "", len, &reply);
  send_reply (msg, &reply);
  vp_hq_reply_clear (&reply);
}

/* Master pages are large and compress ~6×: worth it on the van's mobile
 * link. Only when the client says it takes gzip (libcurl does with
 * CURLOPT_ACCEPT_ENCODING). */
static gboolean
accepts_gzip (SoupServerMessage *msg)
{
  const char *ae = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                                  "Accept-Encoding");
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
handle_master (Server            *self,
               SoupServerMessage *msg,
               const char        *van,
               GHashTable        *query)
{
  const char *since_s = query ? g_hash_table_lookup (query, "since") : NULL;
  const char *limit_s = query ? g_hash_table_lookup (query, "limit") : NULL;
  g_autoptr(GError) error = NULL;
  guint64 since = 0, limit = VP_HQ_DEFAULT_PULL_LIMIT;
  char *page;

  if (since_s != NULL && *since_s != '\0' &&
      !g_ascii_string_to_unsigned (since_s, 10, 0, G_MAXINT64, &since, NULL))
    {
      send_error (msg, 400, "bad_request", "“since” is not a cursor HQ gave");
      return;
    }
  if (limit_s != NULL && !g_ascii_string_to_unsigned (limit_s, 10, 1, VP_HQ_MAX_PULL_LIMIT,
                                                      &limit, NULL))
    {
      send_error (msg, 400, "bad_request", "“limit” must be 1–50000");
      return;
    }
  page = vp_hq_master_page (self->conn, van, (gint64) since, (guint) limit, &error);
  if (page == NULL)
    {
      send_error (msg, 500, "internal", error->message);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  if (accepts_gzip (msg) && strlen (page) > 16 * 1024)
    {
      g_autoptr(GBytes) z = gzip_bytes (page, strlen (page));

      g_free (page);
      if (z == NULL)
        {
          send_error (msg, 500, "internal", "zlib failed to compress the page");
          return;
        }
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Content-Encoding", "gzip");
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (z, NULL), g_bytes_get_size (z));
      return;
    }
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, page, strlen (page));
}

static void
handle_time (Server            *self,
             SoupServerMessage *msg)
{
  VpHqReply reply = { 200, json_object_new () };

  json_object_set_int_member (reply.body, "hq_time", vp_hq_now_ms ());
  send_reply (msg, &reply);
  vp_hq_reply_clear (&reply);
}

/* A lost PostgreSQL connection (database restarted) is re-opened; until
 * it is back every request gets 503, which the van retries later. */
static gboolean
ensure_connection (Server            *self,
                   SoupServerMessage *msg)
{
  if (PQstatus (self->conn) == CONNECTION_OK)
    {
      g_autoptr(PGresult) res = PQexec (self->conn, "SELECT 1");
      if (PQresultStatus (res) == PGRES_TUPLES_OK)
        return TRUE;
    }
  g_warning ("The PostgreSQL connection is lost (%s); reconnecting",
             g_strstrip (PQerrorMessage (self->conn)));
  PQreset (self->conn);
  vp_pg_forget_prepared (self->conn);
  if (PQstatus (self->conn) == CONNECTION_OK &&
      vp_pg_exec (self->conn, "SET client_min_messages = warning; SET TIME ZONE 'UTC'", NULL))
    return TRUE;
  send_error (msg, 503, "internal", "the HQ database is unavailable; try again later");
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
  const char *method = soup_server_message_get_method (msg);
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  guint n = g_strv_length (parts);

  if (!ensure_connection (self, msg))
    return;
  /* "", "v1", "time"  |  "", "v1", "vans", VAN, ACTION */
  if (n == 3 && g_str_equal (parts[1], "v1") && g_str_equal (parts[2], "time"))
    {
      if (!check_client (self, msg, NULL, NULL))
        return;
      if (!g_str_equal (method, "GET"))
        {
          send_error (msg, 405, "bad_request", "use GET");
          return;
        }
      handle_time (self, msg);
      return;
    }
  if (n != 5 || !g_str_equal (parts[1], "v1") || !g_str_equal (parts[2], "vans") ||
      *parts[3] == '\0')
    {
      send_error (msg, 404, "not_found", "no such resource; see docs/PROTOCOL.md");
      return;
    }
  if (!check_client (self, msg, parts[3], NULL))
    return;
  if (g_str_equal (parts[4], "session"))
    {
      if (!g_str_equal (method, "POST"))
        send_error (msg, 405, "bad_request", "use POST");
      else
        handle_session (self, msg, parts[3]);
    }
  else if (g_str_equal (parts[4], "journal"))
    {
      if (!g_str_equal (method, "POST"))
        send_error (msg, 405, "bad_request", "use POST");
      else if (check_token (self, msg, parts[3]))
        handle_journal (self, msg, parts[3]);
    }
  else if (g_str_equal (parts[4], "master"))
    {
      if (!g_str_equal (method, "GET"))
        send_error (msg, 405, "bad_request", "use GET");
      else if (check_token (self, msg, parts[3]))
        handle_master (self, msg, parts[3], query);
    }
  else
    send_error (msg, 404, "not_found", "no such resource; see docs/PROTOCOL.md");
}

/* glib-networking's own verdict on a client certificate (GnuTLS, with a
 * server-side identity) refuses valid van certificates, so the handshake
 * decision is taken here, with the same OpenSSL check as every request:
 * chain to the HQ CA and validity period. Revocation and CN are checked
 * per request in check_client(). */
static gboolean
on_accept_certificate (SoupServerMessage    *msg,
                       GTlsCertificate      *cert,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Server *self = user_data;
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GError) error = NULL;

  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL || !vp_hq_check_client_der (self->tls_dir, der->data, der->len, NULL, NULL, &error))
    {
      g_message ("TLS handshake refused (flags 0x%x): %s", errors,
                 error ? error->message : "no certificate");
      return FALSE;
    }
  return TRUE;
}

/* One access log line per request: method, path, status, time. */
static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  gint64 started = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "vp-started"));
  GUri *uri = soup_server_message_get_uri (msg);

  g_message ("%s %s %s %u %.1f ms", soup_server_message_get_remote_host (msg),
             soup_server_message_get_method (msg), uri ? g_uri_get_path (uri) : "?",
             soup_server_message_get_status (msg), (g_get_monotonic_time () - started) / 1000.0);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  g_object_set_data (G_OBJECT (msg), "vp-started", GSIZE_TO_POINTER (g_get_monotonic_time ()));
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), user_data);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), NULL);
}

/* Refuses an oversized body before reading it. */
static void
early_handle (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

  /* A chunked body has no announced size: it would be read whole before
   * it could be refused, so it is not accepted at all. */
  if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CHUNKED)
    send_error (msg, 400, "bad_request", "send the request body with a Content-Length");
  else if (soup_message_headers_get_content_length (h) > VP_HQ_MAX_BODY_BYTES)
    send_error (msg, 413, "too_large", "the request body is larger than 16 MiB");
}

static gboolean
on_signal (gpointer user_data)
{
  Server *self = user_data;

  g_message ("Stopping");
  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

gboolean
vp_hq_serve (PGconn      *conn,
             const char  *listen,
             const char  *tls_dir,
             const char  *port_file,
             GError     **error)
{
  g_autofree char *crt = NULL;
  g_autofree char *key = NULL;
  g_autofree char *ca = NULL;
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GSocketAddress) addr = NULL;
  g_autofree char *abs_dir = g_canonicalize_filename (tls_dir, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *host = NULL;
  const char *colon = strrchr (listen, ':');
  guint64 port = 0;
  GSList *listeners;
  Server self = { conn, g_strdup (abs_dir), loop,
                  g_hash_table_new_full (NULL, NULL, NULL, g_object_unref) };
  gboolean ok = FALSE;

  crt = g_build_filename (abs_dir, "server.crt", NULL);
  key = g_build_filename (abs_dir, "server.key", NULL);
  ca = g_build_filename (abs_dir, "ca.crt", NULL);

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                   "--listen must be HOST:PORT, e.g. 127.0.0.1:8443");
      goto out;
    }
  host = g_strndup (listen, (gsize) (colon - listen));
  addr = g_inet_socket_address_new_from_string (host, (guint) port);
  if (addr == NULL)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "“%s” is not an IP address", host);
      goto out;
    }
  if (!vp_hq_db_check (conn, error))
    goto out;
  cert = g_tls_certificate_new_from_files (crt, key, error);
  if (cert == NULL)
    goto out;
  db = g_tls_file_database_new (ca, error);
  if (db == NULL)
    goto out;
  server = soup_server_new ("tls-certificate", cert, "tls-database", db,
                            "tls-auth-mode", G_TLS_AUTHENTICATION_REQUIRED,
                            "server-header", "vanpos-hq/" PACKAGE_VERSION " ", NULL);
  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), &self);
  soup_server_add_early_handler (server, NULL, early_handle, &self, NULL);
  soup_server_add_handler (server, NULL, handle, &self, NULL);
  if (!soup_server_listen (server, addr, SOUP_SERVER_LISTEN_HTTPS, error))
    goto out;

  listeners = soup_server_get_listeners (server);
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);
      if (local != NULL)
        port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);
  g_print ("vanpos-hq listening on https://%s:%u\n", host, (guint) port);
  if (port_file != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%u\n", (guint) port);
      if (!g_file_set_contents (port_file, text, -1, error))
        goto out;
    }

  g_unix_signal_add (SIGINT, on_signal, &self);
  g_unix_signal_add (SIGTERM, on_signal, &self);
  g_main_loop_run (loop);
  soup_server_disconnect (server);
  ok = TRUE;
out:
  g_clear_object (&server);
  g_free (self.tls_dir);
  {
    GHashTableIter iter;
    gpointer socket;

    g_hash_table_iter_init (&iter, self.peer_certs);
    while (g_hash_table_iter_next (&iter, &socket, NULL))
      g_object_weak_unref (socket, forget_socket, &self);
  }
  g_hash_table_unref (self.peer_certs);
  return ok;
}
