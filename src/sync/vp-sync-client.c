/* vp-sync-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-sync-client"

#include "config.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <string.h>
#include <zlib.h>

#include "vp-sync-client.h"
#include "vp-curl.h"

#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_LOW_SPEED_TIME  30
#define DEFAULT_TOTAL_TIMEOUT   300
#define LOW_SPEED_LIMIT         64   /* bytes per second */
#define DEFAULT_ATTEMPTS        5
#define DEFAULT_BASE_DELAY_MS   500
#define DEFAULT_MAX_DELAY_MS    30000
#define MAX_MASTER_LIMIT        50000

struct _VpSyncClient
{
  GObject          parent_instance;
  VpSyncConfig    *config;
  char            *base;        /* https://host:port/v1/vans/VAN */
  char            *root;        /* https://host:port */
  char            *token;
  const VpCurl    *api;    /* libcurl, loaded on first use */
  CURL            *curl;
  guint            connect_timeout;
  guint            low_speed_time;
  guint            total_timeout;
  guint            attempts;
  guint            base_delay_ms;
  guint            max_delay_ms;
  VpSyncSleepFunc  sleep_func;
  gpointer         sleep_data;
  guint            n_requests;
  gint64           gap_expected;  /* HQ's expected_seq of the last gap answer, or 0 */
  gint64           acked_claim;   /* the van's record of HQ's acknowledgement, sent along */
};

G_DEFINE_TYPE (VpSyncClient, vp_sync_client, G_TYPE_OBJECT)
G_DEFINE_QUARK (vp-sync-error-quark, vp_sync_error)

static void
vp_sync_client_finalize (GObject *object)
{
  VpSyncClient *self = (VpSyncClient *)object;

  if (self->curl != NULL)
    self->api->easy_cleanup (self->curl);
  g_clear_pointer (&self->config, vp_sync_config_free);
  g_free (self->base);
  g_free (self->root);
  if (self->token)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  G_OBJECT_CLASS (vp_sync_client_parent_class)->finalize (object);
}

static void
vp_sync_client_class_init (VpSyncClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vp_sync_client_finalize;
}

static void
default_sleep (guint    ms,
               gpointer user_data)
{
  g_usleep ((gulong)ms * 1000);
}

static void
vp_sync_client_init (VpSyncClient *self)
{
  self->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
  self->low_speed_time = DEFAULT_LOW_SPEED_TIME;
  self->total_timeout = DEFAULT_TOTAL_TIMEOUT;
  self->attempts = DEFAULT_ATTEMPTS;
  self->base_delay_ms = DEFAULT_BASE_DELAY_MS;
  self->max_delay_ms = DEFAULT_MAX_DELAY_MS;
  self->sleep_func = default_sleep;
}

/* --- configuration ------------------------------------------------------- */

static gboolean
check_pins (const char  *pins,
            GError     **error)
{
  g_auto(GStrv) parts = NULL;

  if (pins == NULL || *pins == '\0')
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "No HQ public-key pin is set; run “vanpos-cli sync setup --bundle DIR”");
      return FALSE;
    }
  parts = g_strsplit (pins, ";", -1);
  for (guint i = 0; parts[i]; i++)
    {
      gsize len = 0;
      g_autofree guchar *raw = NULL;

      if (!g_str_has_prefix (parts[i], "sha256//") || strlen (parts[i]) != 8 + 44)
        {
          g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                       "HQ pin “%s” is not of the form sha256//<base64 of 32 bytes>", parts[i]);
          return FALSE;
        }
      raw = g_base64_decode (parts[i] + 8, &len);
      if (len != 32)
        {
          g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                       "HQ pin “%s” does not hold a SHA-256 digest", parts[i]);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_file (const char  *path,
            const char  *what,
            VpSyncError  code,
            GError     **error)
{
  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, VP_SYNC_ERROR, code,
                   "The %s (%s) is missing; run “vanpos-cli sync setup --bundle DIR” again",
                   what, path ? path : "not set");
      return FALSE;
    }
  return TRUE;
}

/* HQ drops a TLS connection whose client certificate it did not issue
 * without saying why (a reset), so the van checks its own certificate
 * against the HQ CA first and says precisely what is wrong. */
static gboolean
check_client_certificate (const VpSyncConfig  *config,
                          GError             **error)
{
  X509_STORE *store = X509_STORE_new ();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new ();
  X509 *cert = NULL;
  EVP_PKEY *key = NULL;
  FILE *f;
  gboolean ok = FALSE;

  if (X509_STORE_load_file (store, config->ca_path) != 1)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "The HQ CA certificate %s cannot be read", config->ca_path);
      goto out;
    }
  if ((f = fopen (config->cert_path, "r")) != NULL)
    {
      cert = PEM_read_X509 (f, NULL, NULL, NULL);
      fclose (f);
    }
  if ((f = fopen (config->key_path, "r")) != NULL)
    {
      key = PEM_read_PrivateKey (f, NULL, NULL, NULL);
      fclose (f);
    }
  if (cert == NULL || key == NULL)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_CLIENT_CERT,
                   "The van's client %s cannot be read", cert == NULL ? "certificate" : "key");
      goto out;
    }
  if (X509_check_private_key (cert, key) != 1)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_CLIENT_CERT,
                   "The van's client key does not belong to its client certificate");
      goto out;
    }
  X509_STORE_CTX_init (ctx, store, cert, NULL);
  if (X509_verify_cert (ctx) != 1)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_CLIENT_CERT,
                   "The van's client certificate would be refused by HQ: %s",
                   X509_verify_cert_error_string (X509_STORE_CTX_get_error (ctx)));
      goto out;
    }
  ok = TRUE;
out:
  X509_free (cert);
  EVP_PKEY_free (key);
  X509_STORE_CTX_free (ctx);
  X509_STORE_free (store);
  return ok;
}

VpSyncClient *
vp_sync_client_new (const VpSyncConfig *config,
                    GError            **error)
{
  g_autoptr(VpSyncClient) self = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) load_error = NULL;
  g_autofree char *van = NULL;

  if (config == NULL || config->url == NULL)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "Sync with HQ is not set up; run “vanpos-cli sync setup --bundle DIR”");
      return NULL;
    }
  if (config->van == NULL || *config->van == '\0')
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "This database has no van identity");
      return NULL;
    }
  uri = g_uri_parse (config->url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "The HQ address “%s” is not an https:// URL", config->url);
      return NULL;
    }
  if (!check_pins (config->pins, error) ||
      !check_file (config->ca_path, "HQ CA certificate", VP_SYNC_ERROR_NOT_CONFIGURED, error) ||
      !check_file (config->cert_path, "van's client certificate", VP_SYNC_ERROR_CLIENT_CERT, error) ||
      !check_file (config->key_path, "van's client key", VP_SYNC_ERROR_CLIENT_CERT, error) ||
      !check_client_certificate (config, error))
    return NULL;

  self = g_object_new (VP_TYPE_SYNC_CLIENT, NULL);
  self->config = g_new0 (VpSyncConfig, 1);
  self->config->van = g_strdup (config->van);
  self->config->url = g_strdup (config->url);
  self->config->pins = g_strdup (config->pins);
  self->config->ca_path = g_strdup (config->ca_path);
  self->config->cert_path = g_strdup (config->cert_path);
  self->config->key_path = g_strdup (config->key_path);

  self->root = g_strdup (config->url);
  while (g_str_has_suffix (self->root, "/"))
    self->root[strlen (self->root) - 1] = '\0';
  van = g_uri_escape_string (config->van, NULL, FALSE);
  self->base = g_strdup_printf ("%s/v1/vans/%s", self->root, van);

  self->api = vp_curl_get (&load_error);
  if (self->api == NULL)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NETWORK, "Could not start libcurl: %s",
                   load_error->message);
      return NULL;
    }
  self->curl = self->api->easy_init ();
  if (self->curl == NULL)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NETWORK, "Could not start libcurl");
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
vp_sync_client_set_timeouts (VpSyncClient *self,
                             guint         connect_timeout,
                             guint         low_speed_time,
                             guint         total_timeout)
{
  g_return_if_fail (VP_IS_SYNC_CLIENT (self));
  self->connect_timeout = connect_timeout ? connect_timeout : DEFAULT_CONNECT_TIMEOUT;
  self->low_speed_time = low_speed_time ? low_speed_time : DEFAULT_LOW_SPEED_TIME;
  self->total_timeout = total_timeout ? total_timeout : DEFAULT_TOTAL_TIMEOUT;
}

void
vp_sync_client_set_retry (VpSyncClient *self,
                          guint         attempts,
                          guint         base_delay_ms,
                          guint         max_delay_ms)
{
  g_return_if_fail (VP_IS_SYNC_CLIENT (self));
  g_return_if_fail (attempts >= 1);
  self->attempts = attempts;
  self->base_delay_ms = base_delay_ms;
  self->max_delay_ms = MAX (max_delay_ms, base_delay_ms);
}

void
vp_sync_client_set_sleep_func (VpSyncClient   *self,
                               VpSyncSleepFunc func,
                               gpointer        user_data)
{
  g_return_if_fail (VP_IS_SYNC_CLIENT (self));
  self->sleep_func = func ? func : default_sleep;
  self->sleep_data = user_data;
}

guint
vp_sync_client_get_n_requests (VpSyncClient *self)
{
  g_return_val_if_fail (VP_IS_SYNC_CLIENT (self), 0);
  return self->n_requests;
}

/* --- gzip ---------------------------------------------------------------- */

GBytes *
vp_sync_gzip (const guint8  *data,
              gsize          len,
              GError       **error)
{
  z_stream zs = { 0 };
  g_autoptr(GByteArray) out = g_byte_array_new ();
  int rc;

  /* 15 + 16: a gzip header and trailer, as Content-Encoding: gzip wants. */
  if (deflateInit2 (&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL, "Could not start gzip");
      return NULL;
    }
  g_byte_array_set_size (out, deflateBound (&zs, len));
  zs.next_in = (Bytef *)data;
  zs.avail_in = len;
  zs.next_out = out->data;
  zs.avail_out = out->len;
  rc = deflate (&zs, Z_FINISH);
  if (rc != Z_STREAM_END)
    {
      deflateEnd (&zs);
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL, "gzip failed (%d)", rc);
      return NULL;
    }
  g_byte_array_set_size (out, zs.total_out);
  deflateEnd (&zs);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* --- one HTTP exchange --------------------------------------------------- */

typedef struct
{
  GByteArray *buf;
  gboolean    too_large;
} Sink;

static size_t
write_cb (char   *ptr,
          size_t  size,
          size_t  nmemb,
          void   *data)
{
  Sink *sink = data;
  size_t n = size * nmemb;

  if (sink->buf->len + n > VP_SYNC_MAX_ANSWER)
    {
      sink->too_large = TRUE;
      return 0;
    }
  g_byte_array_append (sink->buf, (const guint8 *)ptr, n);
  return n;
}

static int
xferinfo_cb (void       *data,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  GCancellable *cancellable = data;

  return g_cancellable_is_cancelled (cancellable) ? 1 : 0;
}

typedef enum
{
  ATTEMPT_OK,
  ATTEMPT_RETRY,   /* error set; worth another try */
  ATTEMPT_FINAL,   /* error set */
} Attempt;

static gboolean
contains (const char *haystack,
          const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

/* Maps a libcurl failure onto the error the supervisor needs to see. */
static Attempt
curl_failure (VpSyncClient  *self,
              CURLcode       rc,
              const char    *errbuf,
              gboolean       too_large,
              GCancellable  *cancellable,
              GError       **error)
{
  const char *detail = errbuf && *errbuf ? errbuf : self->api->easy_strerror (rc);
  gboolean alert = contains (errbuf, "alert");

  if (rc == CURLE_ABORTED_BY_CALLBACK && g_cancellable_is_cancelled (cancellable))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The sync was cancelled");
      return ATTEMPT_FINAL;
    }
  if (too_large || rc == CURLE_FILESIZE_EXCEEDED)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                   "HQ's answer is larger than %d MiB; refused", VP_SYNC_MAX_ANSWER / (1024 * 1024));
      return ATTEMPT_FINAL;
    }
  switch (rc)
    {
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PIN,
                   "The server at %s is not HQ: its public key matches none of the pinned keys",
                   self->root);
      return ATTEMPT_FINAL;
    case CURLE_PEER_FAILED_VERIFICATION:
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_TLS,
                   "HQ's certificate is not trusted (untrusted, expired or wrong name): %s", detail);
      return ATTEMPT_FINAL;
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ENGINE_INITFAILED:
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_CLIENT_CERT,
                   "The van's client certificate or key cannot be used: %s", detail);
      return ATTEMPT_FINAL;
    case CURLE_SSL_CACERT_BADFILE:
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "The HQ CA certificate cannot be read: %s", detail);
      return ATTEMPT_FINAL;
    case CURLE_OPERATION_TIMEDOUT:
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_TIMEOUT, "HQ did not answer in time: %s", detail);
      return ATTEMPT_RETRY;
    case CURLE_BAD_CONTENT_ENCODING:
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                   "HQ's answer is not correctly encoded: %s", detail);
      return ATTEMPT_FINAL;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      /* TLS alerts from HQ about our certificate: certificate required,
       * bad certificate, unknown ca, certificate revoked or expired. */
      if (alert && (contains (errbuf, "certificate") || contains (errbuf, "unknown ca")))
        {
          g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_CLIENT_CERT,
                       "HQ refused the van's client certificate: %s", detail);
          return ATTEMPT_FINAL;
        }
      if (rc == CURLE_SSL_CONNECT_ERROR && alert)
        {
          g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_TLS,
                       "The secure connection to HQ failed: %s", detail);
          return ATTEMPT_FINAL;
        }
      G_GNUC_FALLTHROUGH;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NETWORK,
                   "The connection to HQ failed: %s", detail);
      return ATTEMPT_RETRY;
    default:
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NETWORK,
                   "The request to HQ failed: %s", detail);
      return ATTEMPT_FINAL;
    }
}

/* A 4xx answer: {"error": CODE, "message": …}. */
static Attempt
http_failure (long          status,
              GByteArray   *body,
              gint64       *gap_expected,
              GError      **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = NULL;
  const char *code = NULL;
  const char *message = NULL;
  g_autofree char *fallback = NULL;

  if (body->len > 0 &&
      json_parser_load_from_data (parser, (const char *)body->data, body->len, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      o = json_node_get_object (json_parser_get_root (parser));
      code = json_object_get_string_member_with_default (o, "error", NULL);
      message = json_object_get_string_member_with_default (o, "message", NULL);
    }
  if (message == NULL)
    message = fallback = g_strdup_printf ("HTTP %ld", status);

  if (status >= 500)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_SERVER,
                   "HQ failed (HTTP %ld): %s", status, message);
      return ATTEMPT_RETRY;
    }
  if (g_strcmp0 (code, "gap") == 0 || status == 409)
    {
      gint64 expected = o ? json_object_get_int_member_with_default (o, "expected_seq", -1) : -1;

      *gap_expected = MAX (expected, 0);

      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_GAP,
                   "HQ refused the entries: it expects entry %" G_GINT64_FORMAT " next (%s)",
                   expected, message);
      return ATTEMPT_FINAL;
    }
  if (g_strcmp0 (code, "bad_entry") == 0 || status == 422)
    {
      gint64 seq = o ? json_object_get_int_member_with_default (o, "seq", -1) : -1;
      const char *reason = o ? json_object_get_string_member_with_default (o, "reason", "?") : "?";

      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_REJECTED,
                   "HQ rejected entry %" G_GINT64_FORMAT " (%s): %s; nothing of the batch was stored",
                   seq, reason, message);
      return ATTEMPT_FINAL;
    }
  /* HQ checks the client certificate per request (revocation, CN = van)
   * and says so in the message; the session refuses wrong PINs (401) and
   * operators (403, “only a supervisor …”). */
  /* 429: wrong PINs for this supervisor at this van; HQ says when to retry. */
  if ((status == 401 && !contains (message, "certificate")) || status == 429)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_AUTH, "HQ refused the login: %s", message);
      return ATTEMPT_FINAL;
    }
  if (status == 403 && contains (message, "supervisor"))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_AUTH, "HQ refused: %s", message);
      return ATTEMPT_FINAL;
    }
  if (status == 401 || status == 403)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_CLIENT_CERT,
                   "HQ refused the van's client certificate: %s", message);
      return ATTEMPT_FINAL;
    }
  if (status == 404)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "HQ does not know this van or address: %s", message);
      return ATTEMPT_FINAL;
    }
  g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
               "HQ refused the request (HTTP %ld, %s): %s", status, code ? code : "?", message);
  return ATTEMPT_FINAL;
}

static Attempt
attempt (VpSyncClient  *self,
         const char    *url,
         GBytes        *gz_body,
         GCancellable  *cancellable,
         JsonNode     **out,
         GError       **error)
{
  CURL *c = self->curl;
  struct curl_slist *headers = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  Sink sink = { g_byte_array_new (), FALSE };
  g_autofree char *auth = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) parse_error = NULL;
  long status = 0;
  CURLcode rc;
  Attempt ret;

  self->api->easy_reset (c);
  self->api->easy_setopt (c, CURLOPT_URL, url);
  self->api->easy_setopt (c, CURLOPT_PROTOCOLS_STR, "https");
  self->api->easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  self->api->easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
  self->api->easy_setopt (c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
  self->api->easy_setopt (c, CURLOPT_SSL_VERIFYPEER, 1L);
  self->api->easy_setopt (c, CURLOPT_SSL_VERIFYHOST, 2L);
  self->api->easy_setopt (c, CURLOPT_CAINFO, self->config->ca_path);
  self->api->easy_setopt (c, CURLOPT_CAPATH, NULL);
  self->api->easy_setopt (c, CURLOPT_PINNEDPUBLICKEY, self->config->pins);
  self->api->easy_setopt (c, CURLOPT_SSLCERT, self->config->cert_path);
  self->api->easy_setopt (c, CURLOPT_SSLCERTTYPE, "PEM");
  self->api->easy_setopt (c, CURLOPT_SSLKEY, self->config->key_path);
  self->api->easy_setopt (c, CURLOPT_SSLKEYTYPE, "PEM");
  self->api->easy_setopt (c, CURLOPT_CONNECTTIMEOUT, (long)self->connect_timeout);
  self->api->easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_LIMIT);
  self->api->easy_setopt (c, CURLOPT_LOW_SPEED_TIME, (long)self->low_speed_time);
  self->api->easy_setopt (c, CURLOPT_TIMEOUT, (long)self->total_timeout);
  self->api->easy_setopt (c, CURLOPT_FOLLOWLOCATION, 0L);
  self->api->easy_setopt (c, CURLOPT_ACCEPT_ENCODING, "");
  self->api->easy_setopt (c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)VP_SYNC_MAX_ANSWER);
  self->api->easy_setopt (c, CURLOPT_WRITEFUNCTION, write_cb);
  self->api->easy_setopt (c, CURLOPT_WRITEDATA, &sink);
  self->api->easy_setopt (c, CURLOPT_NOPROGRESS, 0L);
  self->api->easy_setopt (c, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
  self->api->easy_setopt (c, CURLOPT_XFERINFODATA, cancellable);
  self->api->easy_setopt (c, CURLOPT_USERAGENT, "vanpos/" PACKAGE_VERSION);

  headers = self->api->slist_append (headers, "Accept: application/json");
  headers = self->api->slist_append (headers, "Expect:");
  if (self->token)
    {
      auth = g_strdup_printf ("Authorization: Bearer %s", self->token);
      headers = self->api->slist_append (headers, auth);
    }
  if (gz_body)
    {
      gsize len;
      gconstpointer data = g_bytes_get_data (gz_body, &len);

      headers = self->api->slist_append (headers, "Content-Type: application/json");
      headers = self->api->slist_append (headers, "Content-Encoding: gzip");
      self->api->easy_setopt (c, CURLOPT_POST, 1L);
      self->api->easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
      self->api->easy_setopt (c, CURLOPT_POSTFIELDS, data);
    }
  else
    self->api->easy_setopt (c, CURLOPT_HTTPGET, 1L);
  self->api->easy_setopt (c, CURLOPT_HTTPHEADER, headers);

  self->n_requests++;
  rc = self->api->easy_perform (c);
  self->api->easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
  self->api->easy_setopt (c, CURLOPT_HTTPHEADER, NULL);
  self->api->easy_setopt (c, CURLOPT_ERRORBUFFER, NULL);
  self->api->slist_free_all (headers);

  if (rc != CURLE_OK)
    ret = curl_failure (self, rc, errbuf, sink.too_large, cancellable, error);
  else if (status < 200 || status > 299)
    ret = http_failure (status, sink.buf, &self->gap_expected, error);
  else
    {
      parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, (const char *)sink.buf->data, sink.buf->len,
                                       &parse_error))
        {
          g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                       "HQ's answer is not valid JSON: %s", parse_error->message);
          ret = ATTEMPT_FINAL;
        }
      else if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                       "HQ's answer is not a JSON object");
          ret = ATTEMPT_FINAL;
        }
      else
        {
          *out = json_node_copy (json_parser_get_root (parser));
          ret = ATTEMPT_OK;
        }
    }
  g_byte_array_unref (sink.buf);
  return ret;
}

/* Retries ATTEMPT_RETRY failures with exponential backoff and jitter.
 * Every request is idempotent at HQ (a replayed batch is a no-op), so a
 * request whose answer was lost can always be sent again. */
static JsonNode *
request (VpSyncClient  *self,
         const char    *url,
         GBytes        *gz_body,
         GCancellable  *cancellable,
         GError       **error)
{
  for (guint n = 0;; n++)
    {
      g_autoptr(GError) local = NULL;
      JsonNode *out = NULL;
      Attempt a;
      guint64 delay;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      a = attempt (self, url, gz_body, cancellable, &out, &local);
      if (a == ATTEMPT_OK)
        return out;
      if (a == ATTEMPT_FINAL || n + 1 >= self->attempts)
        {
          if (a == ATTEMPT_RETRY && self->attempts > 1)
            g_prefix_error (&local, "After %u attempts: ", n + 1);
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      delay = (guint64)self->base_delay_ms << MIN (n, 20u);
      delay = MIN (delay, self->max_delay_ms);
      delay += delay > 1 ? (guint64)g_random_int_range (0, (gint32)(delay / 2) + 1) : 0;
      g_info ("HQ request failed (%s); retrying in %" G_GUINT64_FORMAT " ms", local->message, delay);
      self->sleep_func ((guint)delay, self->sleep_data);
    }
}

/* --- strict answer validation -------------------------------------------- */

static gboolean
protocol_error (GError    **error,
                const char *where,
                const char *member,
                const char *what)
{
  g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
               "HQ's answer is malformed: %s “%s” %s", where, member, what);
  return FALSE;
}

static JsonNode *
member_node (JsonObject *o,
             const char *member)
{
  return json_object_has_member (o, member) ? json_object_get_member (o, member) : NULL;
}

static gboolean
get_int (JsonObject  *o,
         const char  *member,
         gboolean     required,
         gint64       min,
         gint64      *out,
         const char  *where,
         GError     **error)
{
  JsonNode *n = member_node (o, member);

  if (n == NULL)
    return required ? protocol_error (error, where, member, "is missing") : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return protocol_error (error, where, member, "is not an integer");
  *out = json_node_get_int (n);
  if (*out < min)
    return protocol_error (error, where, member, "is out of range");
  return TRUE;
}

static gboolean
get_bool (JsonObject  *o,
          const char  *member,
          gboolean     required,
          gboolean    *out,
          const char  *where,
          GError     **error)
{
  JsonNode *n = member_node (o, member);

  if (n == NULL)
    return required ? protocol_error (error, where, member, "is missing") : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return protocol_error (error, where, member, "is not true or false");
  *out = json_node_get_boolean (n);
  return TRUE;
}

/* *out is a new copy, or NULL for an absent/null nullable member. */
static gboolean
get_string (JsonObject  *o,
            const char  *member,
            gboolean     required,
            gboolean     nullable,
            char       **out,
            const char  *where,
            GError     **error)
{
  JsonNode *n = member_node (o, member);

  *out = NULL;
  if (n == NULL)
    return required ? protocol_error (error, where, member, "is missing") : TRUE;
  if (JSON_NODE_HOLDS_NULL (n))
    return nullable ? TRUE : protocol_error (error, where, member, "is null");
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return protocol_error (error, where, member, "is not a string");
  if (strlen (json_node_get_string (n)) > 4096)
    return protocol_error (error, where, member, "is too long");
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

static gboolean
get_array (JsonObject  *o,
           const char  *member,
           gboolean     required,
           JsonArray  **out,
           const char  *where,
           GError     **error)
{
  JsonNode *n = member_node (o, member);

  *out = NULL;
  if (n == NULL)
    return required ? protocol_error (error, where, member, "is missing") : TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    return protocol_error (error, where, member, "is not an array");
  *out = json_node_get_array (n);
  return TRUE;
}

static JsonObject *
array_object (JsonArray   *a,
              guint        i,
              const char  *where,
              GError     **error)
{
  JsonNode *n = json_array_get_element (a, i);

  if (!JSON_NODE_HOLDS_OBJECT (n))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                   "HQ's answer is malformed: element %u of %s is not an object", i, where);
      return NULL;
    }
  return json_node_get_object (n);
}

static gboolean
bad_value (GError    **error,
           const char *where,
           const char *what,
           const char *value)
{
  g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
               "HQ's answer is malformed: %s has an invalid %s “%s”", where, what, value ? value : "");
  return FALSE;
}

static gboolean
parse_renames (JsonArray   *a,
               GPtrArray   *out,
               const char  *where,
               GError     **error)
{
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    {
      JsonObject *o = array_object (a, i, where, error);
      g_autofree char *prov = NULL;
      g_autofree char *number = NULL;

      if (o == NULL ||
          !get_string (o, "provisional", TRUE, FALSE, &prov, where, error) ||
          !get_string (o, "number", TRUE, FALSE, &number, where, error))
        return FALSE;
      if (!vp_account_number_is_provisional (prov))
        return bad_value (error, where, "provisional number", prov);
      if (!vp_account_number_validate (number, NULL))
        return bad_value (error, where, "account number", number);
      g_ptr_array_add (out, vp_account_rename_new (prov, number));
    }
  return TRUE;
}

VpPushAck *
vp_sync_parse_push_answer (JsonNode   *root,
                           GPtrArray  *batch,
                           GError    **error)
{
  g_autoptr(VpPushAck) ack = vp_push_ack_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  JsonObject *o, *totals;
  JsonArray *results = NULL, *accounts = NULL;
  JsonNode *tn;
  const VpJournalEntry *first, *last;

  g_return_val_if_fail (batch != NULL && batch->len > 0, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL, "HQ's answer is not a JSON object");
      return NULL;
    }
  o = json_node_get_object (root);
  first = g_ptr_array_index (batch, 0);
  last = g_ptr_array_index (batch, batch->len - 1);

  if (!get_int (o, "acked_seq", TRUE, 0, &ack->acked_seq, "the push answer", error) ||
      !get_int (o, "hq_time", TRUE, 0, &ack->hq_time, "the push answer", error) ||
      !get_array (o, "results", TRUE, &results, "the push answer", error) ||
      !get_array (o, "accounts", FALSE, &accounts, "the push answer", error))
    return NULL;
  tn = member_node (o, "totals");
  if (tn == NULL || !JSON_NODE_HOLDS_OBJECT (tn))
    {
      protocol_error (error, "the push answer", "totals", "is not an object");
      return NULL;
    }
  totals = json_node_get_object (tn);
  if (!get_int (totals, "entries", TRUE, 0, &ack->total_entries, "the totals", error) ||
      !get_int (totals, "amount", TRUE, G_MININT64, &ack->total_amount, "the totals", error))
    return NULL;

  /* HQ stores a batch whole or not at all, so a 200 covers all of it. */
  if (ack->acked_seq < last->seq)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                   "HQ's answer is inconsistent: it acknowledges up to entry %" G_GINT64_FORMAT
                   " after receiving entries up to %" G_GINT64_FORMAT, ack->acked_seq, last->seq);
      return NULL;
    }
  if (ack->total_entries < ack->acked_seq)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                   "HQ's answer is inconsistent: it holds %" G_GINT64_FORMAT " entries but "
                   "acknowledges up to entry %" G_GINT64_FORMAT, ack->total_entries, ack->acked_seq);
      return NULL;
    }
  if (json_array_get_length (results) != batch->len)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                   "HQ's answer has %u results for %u entries sent",
                   json_array_get_length (results), batch->len);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *r = array_object (results, i, "results", error);
      VpPushOutcome *outcome;
      const VpJournalEntry *sent;
      gint64 seq = 0;

      if (r == NULL)
        return NULL;
      outcome = g_new0 (VpPushOutcome, 1);
      g_ptr_array_add (ack->results, outcome);
      if (!get_int (r, "seq", TRUE, 1, &seq, "a result", error) ||
          !get_string (r, "uuid", TRUE, FALSE, &outcome->uuid, "a result", error) ||
          !get_string (r, "outcome", TRUE, FALSE, &outcome->outcome, "a result", error) ||
          !get_string (r, "detail", FALSE, TRUE, &outcome->detail, "a result", error) ||
          !get_int (r, "credit", FALSE, 0, &outcome->credit, "a result", error))
        return NULL;
      outcome->seq = seq;
      if (seq < first->seq || seq > last->seq || g_hash_table_contains (seen, &outcome->seq))
        {
          g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                       "HQ's answer has a result for entry %" G_GINT64_FORMAT
                       ", which was not sent or is listed twice", seq);
          return NULL;
        }
      g_hash_table_add (seen, &outcome->seq);
      sent = g_ptr_array_index (batch, seq - first->seq);
      if (sent->seq != seq || g_strcmp0 (sent->uuid, outcome->uuid) != 0)
        {
          g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL,
                       "HQ's answer names uuid %s for entry %" G_GINT64_FORMAT ", which is not the "
                       "van's entry", outcome->uuid, seq);
          return NULL;
        }
      if (!g_str_equal (outcome->outcome, "accepted") &&
          !g_str_equal (outcome->outcome, "duplicate") &&
          !g_str_equal (outcome->outcome, "conflict") &&
          !g_str_equal (outcome->outcome, "rejected"))
        {
          bad_value (error, "a result", "outcome", outcome->outcome);
          return NULL;
        }
    }
  if (!parse_renames (accounts, ack->renames, "accounts", error))
    return NULL;
  return g_steal_pointer (&ack);
}

static gboolean
parse_enum_field (JsonObject  *o,
                  const char  *member,
                  gboolean   (*parse) (const char *, gpointer),
                  gpointer     out,
                  const char  *where,
                  GError     **error)
{
  g_autofree char *s = NULL;

  if (!get_string (o, member, TRUE, FALSE, &s, where, error))
    return FALSE;
  if (!parse (s, out))
    return bad_value (error, where, member, s);
  return TRUE;
}

#define PARSE_ENUM(o, m, fn, out, where, error) \
  parse_enum_field (o, m, (gboolean (*) (const char *, gpointer))(gpointer)fn, out, where, error)

static gboolean
check_text (const char  *text,
            gboolean     required,
            const char  *where,
            const char  *member,
            GError     **error)
{
  if (text == NULL || *text == '\0')
    return required ? protocol_error (error, where, member, "is empty") : TRUE;
  if (g_utf8_strlen (text, -1) > 200)
    return protocol_error (error, where, member, "is too long");
  for (const char *p = text; *p; p++)
    if ((guchar)*p < 0x20)
      return protocol_error (error, where, member, "has control characters");
  return TRUE;
}

static VpAccount *
parse_account (JsonObject  *o,
               GError     **error)
{
  g_autoptr(VpAccount) a = g_new0 (VpAccount, 1);
  const char *w = "an account";
  gint64 tariff_year = 0;

  if (!get_string (o, "number", TRUE, FALSE, &a->number, w, error))
    return NULL;
  if (!vp_account_number_validate_any (a->number, NULL))
    {
      bad_value (error, w, "number", a->number);
      return NULL;
    }
  w = a->number;
  if (!get_string (o, "holder", TRUE, FALSE, &a->holder, w, error) ||
      !get_string (o, "phone", FALSE, TRUE, &a->phone, w, error) ||
      !get_string (o, "id_number", FALSE, TRUE, &a->id_number, w, error) ||
      !get_string (o, "estate", TRUE, FALSE, &a->estate, w, error) ||
      !get_string (o, "building", FALSE, TRUE, &a->building, w, error) ||
      !get_string (o, "unit", FALSE, TRUE, &a->unit, w, error) ||
      !get_string (o, "room", FALSE, TRUE, &a->room, w, error) ||
      !check_text (a->holder, TRUE, w, "holder", error) ||
      !check_text (a->phone, FALSE, w, "phone", error) ||
      !check_text (a->id_number, FALSE, w, "id_number", error) ||
      !check_text (a->estate, TRUE, w, "estate", error) ||
      !check_text (a->building, FALSE, w, "building", error) ||
      !check_text (a->unit, FALSE, w, "unit", error) ||
      !check_text (a->room, FALSE, w, "room", error) ||
      !PARSE_ENUM (o, "service", vp_service_kind_from_string, &a->service, w, error) ||
      !PARSE_ENUM (o, "meter", vp_meter_type_from_string, &a->meter, w, error) ||
      !PARSE_ENUM (o, "tariff_class", vp_tariff_class_from_string, &a->tariff_class, w, error) ||
      !PARSE_ENUM (o, "status", vp_account_status_from_string, &a->status, w, error) ||
      !get_string (o, "concession_expiry", FALSE, TRUE, &a->concession_expiry, w, error) ||
      !get_bool (o, "elderly_alone", FALSE, &a->elderly_alone, w, error) ||
      !get_bool (o, "needs_visit", FALSE, &a->needs_visit, w, error) ||
      !get_int (o, "balance", TRUE, 0, &a->balance, w, error) ||
      !get_string (o, "card_number", FALSE, TRUE, &a->card_number, w, error) ||
      !get_int (o, "card_counter", FALSE, 0, &a->card_counter, w, error) ||
      !get_int (o, "year_volume", FALSE, 0, &a->year_volume, w, error) ||
      !get_int (o, "tariff_year", FALSE, 0, &tariff_year, w, error) ||
      !get_int (o, "last_reading", FALSE, 0, &a->last_reading, w, error))
    return NULL;
  if (a->concession_expiry && !vp_validate_date (a->concession_expiry, NULL))
    {
      bad_value (error, w, "concession_expiry", a->concession_expiry);
      return NULL;
    }
  if (a->card_number && (*a->card_number == '\0' || !check_text (a->card_number, TRUE, w, "card_number", error)))
    {
      if (error && *error == NULL)
        bad_value (error, w, "card_number", a->card_number);
      return NULL;
    }
  if (tariff_year > 9999)
    {
      bad_value (error, w, "tariff_year", "");
      return NULL;
    }
  a->tariff_year = (int)tariff_year;
  return g_steal_pointer (&a);
}

static gboolean
valid_period (const char *p)
{
  return p != NULL && strlen (p) == 7 && g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) &&
         g_ascii_isdigit (p[2]) && g_ascii_isdigit (p[3]) && p[4] == '-' &&
         ((p[5] == '0' && p[6] >= '1' && p[6] <= '9') || (p[5] == '1' && p[6] >= '0' && p[6] <= '2'));
}

VpMasterPage *
vp_sync_parse_master_page (JsonNode  *root,
                           GError   **error)
{
  g_autoptr(VpMasterPage) page = vp_master_page_new ();
  JsonArray *accounts, *bills, *tariffs, *staff, *blocked, *numbers;
  const char *w = "the master page";
  JsonObject *o;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL, "HQ's answer is not a JSON object");
      return NULL;
    }
  o = json_node_get_object (root);
  if (!get_string (o, "cursor", TRUE, FALSE, &page->cursor, w, error) ||
      !get_bool (o, "more", TRUE, &page->more, w, error) ||
      !get_int (o, "hq_time", TRUE, 0, &page->hq_time, w, error) ||
      !get_array (o, "accounts", FALSE, &accounts, w, error) ||
      !get_array (o, "bills", FALSE, &bills, w, error) ||
      !get_array (o, "tariffs", FALSE, &tariffs, w, error) ||
      !get_array (o, "staff", FALSE, &staff, w, error) ||
      !get_array (o, "blocked_cards", FALSE, &blocked, w, error) ||
      !get_array (o, "account_numbers", FALSE, &numbers, w, error))
    return NULL;

  for (guint i = 0; accounts && i < json_array_get_length (accounts); i++)
    {
      JsonObject *e = array_object (accounts, i, "accounts", error);
      VpAccount *a;

      if (e == NULL || (a = parse_account (e, error)) == NULL)
        return NULL;
      g_ptr_array_add (page->accounts, a);
    }
  for (guint i = 0; bills && i < json_array_get_length (bills); i++)
    {
      JsonObject *e = array_object (bills, i, "bills", error);
      VpMasterBill *b;

      if (e == NULL)
        return NULL;
      b = g_new0 (VpMasterBill, 1);
      g_ptr_array_add (page->bills, b);
      if (!get_string (e, "hq_id", TRUE, FALSE, &b->hq_id, "a bill", error) ||
          !get_string (e, "account", TRUE, FALSE, &b->account, "a bill", error) ||
          !get_string (e, "period", TRUE, FALSE, &b->period, "a bill", error) ||
          !get_int (e, "amount", TRUE, 1, &b->amount, "a bill", error) ||
          !get_int (e, "paid", TRUE, 0, &b->paid, "a bill", error))
        return NULL;
      if (!valid_period (b->period))
        {
          bad_value (error, "a bill", "period", b->period);
          return NULL;
        }
      if (b->paid > b->amount)
        {
          bad_value (error, "a bill", "paid amount", b->hq_id);
          return NULL;
        }
    }
  for (guint i = 0; tariffs && i < json_array_get_length (tariffs); i++)
    {
      JsonObject *e = array_object (tariffs, i, "tariffs", error);
      VpMasterTariff *t;
      VpTariff check = { 0 };

      if (e == NULL)
        return NULL;
      t = g_new0 (VpMasterTariff, 1);
      g_ptr_array_add (page->tariffs, t);
      if (!PARSE_ENUM (e, "service", vp_service_kind_from_string, &t->service, "a tariff", error) ||
          !PARSE_ENUM (e, "class", vp_tariff_class_from_string, &t->klass, "a tariff", error) ||
          !get_int (e, "version", TRUE, 1, &t->version, "a tariff", error) ||
          !get_string (e, "tiers", TRUE, FALSE, &t->tiers, "a tariff", error) ||
          !get_int (e, "free_allowance", FALSE, 0, &t->free_allowance, "a tariff", error) ||
          !get_int (e, "discount_permille", FALSE, 0, &t->discount_permille, "a tariff", error) ||
          !get_string (e, "valid_from", TRUE, FALSE, &t->valid_from, "a tariff", error))
        return NULL;
      check.version = (int)MIN (t->version, G_MAXINT);
      check.service = t->service;
      check.klass = t->klass;
      check.free_allowance = t->free_allowance;
      check.discount_permille = (guint)MIN (t->discount_permille, 1001);
      if (t->version > G_MAXINT || !vp_tariff_parse_tiers (&check, t->tiers, NULL) ||
          !vp_tariff_validate (&check, NULL))
        {
          bad_value (error, "a tariff", "tier table", t->tiers);
          return NULL;
        }
      if (!vp_validate_date (t->valid_from, NULL))
        {
          bad_value (error, "a tariff", "valid_from", t->valid_from);
          return NULL;
        }
    }
  for (guint i = 0; staff && i < json_array_get_length (staff); i++)
    {
      JsonObject *e = array_object (staff, i, "staff", error);
      VpMasterStaff *s;

      if (e == NULL)
        return NULL;
      s = g_new0 (VpMasterStaff, 1);
      s->active = TRUE;
      g_ptr_array_add (page->staff, s);
      if (!get_string (e, "id", TRUE, FALSE, &s->id, "a staff member", error) ||
          !get_string (e, "name", TRUE, FALSE, &s->name, "a staff member", error) ||
          !PARSE_ENUM (e, "role", vp_role_from_string, &s->role, "a staff member", error) ||
          !get_string (e, "pin_hash", TRUE, FALSE, &s->pin_hash, "a staff member", error) ||
          !get_bool (e, "active", FALSE, &s->active, "a staff member", error) ||
          !check_text (s->id, TRUE, "a staff member", "id", error) ||
          !check_text (s->name, TRUE, "a staff member", "name", error))
        return NULL;
      if (!g_str_has_prefix (s->pin_hash, "pbkdf2-sha256$"))
        {
          bad_value (error, s->id, "pin_hash", "(not pbkdf2-sha256)");
          return NULL;
        }
    }
  for (guint i = 0; blocked && i < json_array_get_length (blocked); i++)
    {
      JsonObject *e = array_object (blocked, i, "blocked_cards", error);
      VpMasterBlockedCard *c;

      if (e == NULL)
        return NULL;
      c = g_new0 (VpMasterBlockedCard, 1);
      g_ptr_array_add (page->blocked_cards, c);
      if (!get_string (e, "card_number", TRUE, FALSE, &c->card_number, "a blocked card", error) ||
          !get_string (e, "reason", TRUE, FALSE, &c->reason, "a blocked card", error) ||
          !check_text (c->card_number, TRUE, "a blocked card", "card_number", error) ||
          !check_text (c->reason, TRUE, "a blocked card", "reason", error))
        return NULL;
    }
  if (!parse_renames (numbers, page->renames, "account_numbers", error))
    return NULL;
  return g_steal_pointer (&page);
}

/* --- calls --------------------------------------------------------------- */

gboolean
vp_sync_client_open_session (VpSyncClient  *self,
                             const char    *staff_id,
                             const char    *pin,
                             gint64        *hq_time,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GBytes) gz = NULL;
  g_autofree char *url = NULL;
  g_autofree char *text = NULL;
  g_autofree char *token = NULL;
  JsonObject *o;
  gsize len = 0;
  gint64 t = 0;

  g_return_val_if_fail (VP_IS_SYNC_CLIENT (self), FALSE);
  g_return_val_if_fail (staff_id != NULL && pin != NULL, FALSE);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "staff");
  json_builder_add_string_value (b, staff_id);
  json_builder_set_member_name (b, "pin");
  json_builder_add_string_value (b, pin);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  json_generator_set_root (gen, body);
  text = json_generator_to_data (gen, &len);
  gz = vp_sync_gzip ((const guint8 *)text, len, error);
  memset (text, 0, len);   /* the PIN */
  if (gz == NULL)
    return FALSE;

  g_clear_pointer (&self->token, g_free);
  url = g_strdup_printf ("%s/session", self->base);
  answer = request (self, url, gz, cancellable, error);
  if (answer == NULL)
    return FALSE;
  o = json_node_get_object (answer);
  if (!get_string (o, "token", TRUE, FALSE, &token, "the session answer", error) ||
      !get_int (o, "hq_time", TRUE, 0, &t, "the session answer", error))
    return FALSE;
  if (strlen (token) < 16 || strlen (token) > 512 || strpbrk (token, " \r\n\t") != NULL)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL, "HQ's session token is malformed");
      return FALSE;
    }
  self->token = g_steal_pointer (&token);
  if (hq_time)
    *hq_time = t;
  return TRUE;
}

static void
add_entry (JsonBuilder          *b,
           const VpJournalEntry *e)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uuid");
  json_builder_add_string_value (b, e->uuid);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, e->seq);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, e->kind);
  json_builder_set_member_name (b, "payload");
  json_builder_add_string_value (b, e->payload);
  json_builder_set_member_name (b, "device_time");
  json_builder_add_int_value (b, e->device_time);
  json_builder_set_member_name (b, "monotonic_ms");
  json_builder_add_int_value (b, e->monotonic_ms);
  json_builder_set_member_name (b, "prev_hash");
  json_builder_add_string_value (b, e->prev_hash);
  json_builder_set_member_name (b, "hash");
  json_builder_add_string_value (b, e->hash);
  json_builder_set_member_name (b, "signature");
  json_builder_add_string_value (b, e->signature);
  json_builder_end_object (b);
}

/**
 * vp_sync_client_get_gap_expected:
 *
 * Returns: the seq HQ expects next after the last push failed with
 *   %VP_SYNC_ERROR_GAP, else 0
 */
gint64
vp_sync_client_get_gap_expected (VpSyncClient *self)
{
  g_return_val_if_fail (VP_IS_SYNC_CLIENT (self), 0);
  return self->gap_expected;
}

/* The van's record of HQ's acknowledged seq, sent with each push (0:
 * none). */
void
vp_sync_client_set_acked_claim (VpSyncClient *self,
                                gint64        acked_seq)
{
  g_return_if_fail (VP_IS_SYNC_CLIENT (self));
  self->acked_claim = MAX (acked_seq, 0);
}

VpPushAck *
vp_sync_client_push (VpSyncClient  *self,
                     GPtrArray     *entries,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GBytes) gz = NULL;
  g_autofree char *url = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  g_return_val_if_fail (VP_IS_SYNC_CLIENT (self), NULL);
  g_return_val_if_fail (entries != NULL && entries->len > 0 && entries->len <= VP_SYNC_MAX_BATCH, NULL);

  for (guint i = 1; i < entries->len; i++)
    {
      const VpJournalEntry *prev = g_ptr_array_index (entries, i - 1);
      const VpJournalEntry *e = g_ptr_array_index (entries, i);

      g_return_val_if_fail (e->seq == prev->seq + 1, NULL);
    }
  if (self->token == NULL)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_AUTH, "No HQ session; log in first");
      return NULL;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "van");
  json_builder_add_string_value (b, self->config->van);
  /* What HQ acknowledged before, as the van recorded it: HQ tells a
   * re-send after it lost acknowledged entries from a normal push and
   * flags it (docs/PROTOCOL.md, "Gap recovery"). */
  if (self->acked_claim > 0)
    {
      json_builder_set_member_name (b, "acked_seq");
      json_builder_add_int_value (b, self->acked_claim);
    }
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    add_entry (b, g_ptr_array_index (entries, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  json_generator_set_root (gen, body);
  text = json_generator_to_data (gen, &len);
  gz = vp_sync_gzip ((const guint8 *)text, len, error);
  if (gz == NULL)
    return NULL;

  url = g_strdup_printf ("%s/journal", self->base);
  self->gap_expected = 0;
  answer = request (self, url, gz, cancellable, error);
  if (answer == NULL)
    return NULL;
  return vp_sync_parse_push_answer (answer, entries, error);
}

VpMasterPage *
vp_sync_client_pull (VpSyncClient  *self,
                     const char    *cursor,
                     guint          limit,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GString) url = NULL;
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (VP_IS_SYNC_CLIENT (self), NULL);

  if (self->token == NULL)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_AUTH, "No HQ session; log in first");
      return NULL;
    }
  escaped = g_uri_escape_string (cursor ? cursor : "", NULL, FALSE);
  url = g_string_new (self->base);
  g_string_append_printf (url, "/master?since=%s", escaped);
  if (limit > 0)
    g_string_append_printf (url, "&limit=%u", MIN (limit, MAX_MASTER_LIMIT));
  answer = request (self, url->str, NULL, cancellable, error);
  if (answer == NULL)
    return NULL;
  return vp_sync_parse_master_page (answer, error);
}

gboolean
vp_sync_client_get_time (VpSyncClient  *self,
                         gint64        *hq_time,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *url = NULL;
  gint64 t = 0;

  g_return_val_if_fail (VP_IS_SYNC_CLIENT (self), FALSE);

  url = g_strdup_printf ("%s/v1/time", self->root);
  answer = request (self, url, NULL, cancellable, error);
  if (answer == NULL)
    return FALSE;
  if (!get_int (json_node_get_object (answer), "hq_time", TRUE, 0, &t, "the time answer", error))
    return FALSE;
  if (hq_time)
    *hq_time = t;
  return TRUE;
}
