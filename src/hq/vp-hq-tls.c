/* vp-hq-tls.c: the HQ certificate authority with the OpenSSL 3 C API.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-hq-tls"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vp-hq-db.h"
#include "vp-hq-tls.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE_CTX, X509_STORE_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)

static gboolean
crypto_error (GError    **error,
              const char *what)
{
  char buf[256] = "";
  unsigned long e = ERR_get_error ();

  if (e != 0)
    ERR_error_string_n (e, buf, sizeof buf);
  ERR_clear_error ();
  g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_CRYPTO, "%s%s%s", what, *buf ? ": " : "", buf);
  return FALSE;
}

static EVP_PKEY *
new_key (GError **error)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");

  if (key == NULL)
    crypto_error (error, "Cannot generate an EC key");
  return key;
}

static gboolean
write_pem (const char *path,
           EVP_PKEY   *key,
           X509       *cert,
           GError    **error)
{
  int fd;
  FILE *f;
  gboolean ok;

  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, key ? 0600 : 0644);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_IO, "Cannot write %s: %s", path, g_strerror (e));
      return FALSE;
    }
  if (key != NULL)
    fchmod (fd, 0600);
  f = fdopen (fd, "w");
  if (key != NULL)
    ok = PEM_write_PrivateKey (f, key, NULL, NULL, 0, NULL, NULL) == 1;
  else
    ok = PEM_write_X509 (f, cert) == 1;
  ok = fflush (f) == 0 && fsync (fd) == 0 && ok;
  if (fclose (f) != 0)
    ok = FALSE;
  if (!ok)
    return crypto_error (error, "Cannot write a PEM file");
  return TRUE;
}

static EVP_PKEY *
read_key (const char *path,
          GError    **error)
{
  FILE *f = fopen (path, "r");
  EVP_PKEY *key;

  if (f == NULL)
    {
      int e = errno;
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_IO, "Cannot read %s: %s", path, g_strerror (e));
      return NULL;
    }
  key = PEM_read_PrivateKey (f, NULL, NULL, NULL);
  fclose (f);
  if (key == NULL)
    crypto_error (error, "Not a PEM private key");
  return key;
}

static X509 *
read_cert (const char *path,
           GError    **error)
{
  FILE *f = fopen (path, "r");
  X509 *cert;

  if (f == NULL)
    {
      int e = errno;
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_IO, "Cannot read %s: %s", path, g_strerror (e));
      return NULL;
    }
  cert = PEM_read_X509 (f, NULL, NULL, NULL);
  fclose (f);
  if (cert == NULL)
    crypto_error (error, "Not a PEM certificate");
  return cert;
}

static char *
pin_for_key (EVP_PKEY *key)
{
  unsigned char *der = NULL;
  unsigned char digest[32];
  g_autofree char *b64 = NULL;
  int len = i2d_PUBKEY (key, &der);

  if (len <= 0)
    return NULL;
  EVP_Digest (der, (size_t) len, digest, NULL, EVP_sha256 (), NULL);
  OPENSSL_free (der);
  b64 = g_base64_encode (digest, sizeof digest);
  return g_strconcat ("sha256//", b64, NULL);
}

static gboolean
add_ext (X509       *cert,
         X509       *issuer,
         int         nid,
         const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ext;

  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  if (ext == NULL)
    return FALSE;
  X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  return TRUE;
}

/* Issues a certificate for key, signed by ca_key (self-signed if ca is NULL). */
static X509 *
issue (EVP_PKEY   *key,
       const char *cn,
       int         days,
       X509       *ca,
       EVP_PKEY   *ca_key,
       const char *kind,   /* "ca" | "server" | "client" */
       const char *san,
       GError    **error)
{
  g_autoptr(X509) cert = X509_new ();
  g_autoptr(BIGNUM) bn = BN_new ();
  X509_NAME *name;
  gboolean ok = TRUE;

  X509_set_version (cert, 2);
  if (!BN_rand (bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (cert)) == NULL)
    {
      crypto_error (error, "Cannot make a serial number");
      return NULL;
    }
  X509_gmtime_adj (X509_getm_notBefore (cert), -300);
  X509_gmtime_adj (X509_getm_notAfter (cert), (long) days * 86400L);
  X509_set_pubkey (cert, key);
  name = X509_get_subject_name (cert);
  X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8, (const unsigned char *) "VanPOS HQ", -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0);
  X509_set_issuer_name (cert, ca ? X509_get_subject_name (ca) : name);

  if (g_str_equal (kind, "ca"))
    {
      ok = add_ext (cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
           add_ext (cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") &&
           add_ext (cert, cert, NID_subject_key_identifier, "hash");
    }
  else
    {
      ok = add_ext (cert, ca, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext (cert, ca, NID_key_usage, "critical,digitalSignature,keyAgreement") &&
           add_ext (cert, ca, NID_ext_key_usage,
                    g_str_equal (kind, "server") ? "serverAuth" : "clientAuth") &&
           add_ext (cert, ca, NID_subject_key_identifier, "hash") &&
           add_ext (cert, ca, NID_authority_key_identifier, "keyid:always");
      if (ok && san != NULL)
        ok = add_ext (cert, ca, NID_subject_alt_name, san);
    }
  if (!ok)
    {
      crypto_error (error, "Cannot add a certificate extension");
      return NULL;
    }
  if (X509_sign (cert, ca_key, EVP_sha256 ()) <= 0)
    {
      crypto_error (error, "Cannot sign the certificate");
      return NULL;
    }
  return g_steal_pointer (&cert);
}

gboolean
vp_hq_ca_init (const char          *dir,
               const char * const  *extra_hosts,
               char               **pins,
               GError             **error)
{
  g_autofree char *ca_key_path = g_build_filename (dir, "ca.key", NULL);
  g_autofree char *ca_crt_path = g_build_filename (dir, "ca.crt", NULL);
  g_autofree char *srv_key_path = g_build_filename (dir, "server.key", NULL);
  g_autofree char *srv_crt_path = g_build_filename (dir, "server.crt", NULL);
  g_autofree char *bak_key_path = g_build_filename (dir, "backup-server.key", NULL);
  g_autoptr(EVP_PKEY) ca_key = NULL;
  g_autoptr(EVP_PKEY) srv_key = NULL;
  g_autoptr(EVP_PKEY) bak_key = NULL;
  g_autoptr(X509) ca = NULL;
  g_autoptr(X509) srv = NULL;
  g_autoptr(GString) san = g_string_new ("IP:127.0.0.1,DNS:localhost");
  g_autofree char *pin1 = NULL;
  g_autofree char *pin2 = NULL;

  if (g_file_test (ca_key_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_EXISTS,
                   "%s already exists; the HQ CA is created once", ca_key_path);
      return FALSE;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_IO, "Cannot create %s: %s", dir, g_strerror (e));
      return FALSE;
    }
  for (guint i = 0; extra_hosts != NULL && extra_hosts[i] != NULL; i++)
    {
      const char *h = extra_hosts[i];
      gboolean is_ip = g_hostname_is_ip_address (h);

      if (!is_ip && (*h == '\0' || strpbrk (h, ",:/ \t") != NULL))
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "“%s” is not a host name", h);
          return FALSE;
        }
      g_string_append_printf (san, ",%s:%s", is_ip ? "IP" : "DNS", h);
    }

  if ((ca_key = new_key (error)) == NULL ||
      (srv_key = new_key (error)) == NULL ||
      (bak_key = new_key (error)) == NULL)
    return FALSE;
  ca = issue (ca_key, "VanPOS HQ CA", VP_HQ_CA_DAYS, NULL, ca_key, "ca", NULL, error);
  if (ca == NULL)
    return FALSE;
  srv = issue (srv_key, "127.0.0.1", VP_HQ_SERVER_DAYS, ca, ca_key, "server", san->str, error);
  if (srv == NULL)
    return FALSE;
  if (!write_pem (ca_key_path, ca_key, NULL, error) ||
      !write_pem (ca_crt_path, NULL, ca, error) ||
      !write_pem (srv_key_path, srv_key, NULL, error) ||
      !write_pem (srv_crt_path, NULL, srv, error) ||
      !write_pem (bak_key_path, bak_key, NULL, error))
    return FALSE;

  pin1 = pin_for_key (srv_key);
  pin2 = pin_for_key (bak_key);
  if (pins != NULL)
    *pins = g_strconcat (pin1, ";", pin2, NULL);
  return TRUE;
}

char *
vp_hq_pin_for_file (const char  *path,
                    GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(EVP_PKEY) key = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  if (strstr (text, "BEGIN CERTIFICATE") != NULL)
    {
      g_autoptr(X509) cert = read_cert (path, error);

      if (cert == NULL)
        return NULL;
      key = X509_get_pubkey (cert);
    }
  else
    key = read_key (path, error);
  if (key == NULL)
    return NULL;
  return pin_for_key (key);
}

char *
vp_hq_pins_for_dir (const char  *dir,
                    GError     **error)
{
  g_autofree char *srv = g_build_filename (dir, "server.crt", NULL);
  g_autofree char *bak = g_build_filename (dir, "backup-server.key", NULL);
  g_autofree char *pin1 = vp_hq_pin_for_file (srv, error);
  g_autofree char *pin2 = NULL;

  if (pin1 == NULL)
    return NULL;
  if (!g_file_test (bak, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&pin1);
  pin2 = vp_hq_pin_for_file (bak, error);
  if (pin2 == NULL)
    return NULL;
  return g_strconcat (pin1, ";", pin2, NULL);
}

static char *
serial_hex (X509 *cert)
{
  g_autoptr(BIGNUM) bn = ASN1_INTEGER_to_BN (X509_get0_serialNumber (cert), NULL);
  char *hex = bn ? BN_bn2hex (bn) : NULL;
  char *ret = g_ascii_strdown (hex ? hex : "", -1);

  OPENSSL_free (hex);
  return ret;
}

gboolean
vp_hq_issue_client (const char  *ca_dir,
                    const char  *cn,
                    int          days,
                    const char  *key_path,
                    const char  *cert_path,
                    char       **serial,
                    GError     **error)
{
  g_autofree char *ca_key_path = g_build_filename (ca_dir, "ca.key", NULL);
  g_autofree char *ca_crt_path = g_build_filename (ca_dir, "ca.crt", NULL);
  g_autoptr(EVP_PKEY) ca_key = read_key (ca_key_path, error);
  g_autoptr(X509) ca = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) cert = NULL;

  if (ca_key == NULL || (ca = read_cert (ca_crt_path, error)) == NULL)
    return FALSE;
  if ((key = new_key (error)) == NULL)
    return FALSE;
  cert = issue (key, cn, days, ca, ca_key, "client", NULL, error);
  if (cert == NULL)
    return FALSE;
  if (!write_pem (key_path, key, NULL, error) || !write_pem (cert_path, NULL, cert, error))
    return FALSE;
  if (serial != NULL)
    *serial = serial_hex (cert);
  return TRUE;
}

gboolean
vp_hq_check_client_der (const char   *ca_dir,
                        const guint8 *der,
                        gsize         len,
                        char        **cn,
                        char        **serial,
                        GError      **error)
{
  static GMutex lock;
  static X509_STORE *store = NULL;
  static char *store_dir = NULL;
  const unsigned char *p = der;
  g_autoptr(X509) cert = d2i_X509 (NULL, &p, (long) len);
  g_autoptr(X509_STORE_CTX) ctx = X509_STORE_CTX_new ();
  char name[256];
  int rc;

  if (cert == NULL)
    return crypto_error (error, "The client certificate cannot be read");

  g_mutex_lock (&lock);
  if (store == NULL || g_strcmp0 (store_dir, ca_dir) != 0)
    {
      g_autofree char *ca_crt_path = g_build_filename (ca_dir, "ca.crt", NULL);
      g_autoptr(X509) ca = read_cert (ca_crt_path, error);

      if (ca == NULL)
        {
          g_mutex_unlock (&lock);
          return FALSE;
        }
      g_clear_pointer (&store, X509_STORE_free);
      store = X509_STORE_new ();
      X509_STORE_add_cert (store, ca);
      g_free (store_dir);
      store_dir = g_strdup (ca_dir);
    }
  X509_STORE_CTX_init (ctx, store, cert, NULL);
  X509_STORE_CTX_set_purpose (ctx, X509_PURPOSE_SSL_CLIENT);
  rc = X509_verify_cert (ctx);
  g_mutex_unlock (&lock);
  if (rc != 1)
    {
      int err = X509_STORE_CTX_get_error (ctx);
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_CRYPTO, "The client certificate is refused: %s",
                   X509_verify_cert_error_string (err));
      return FALSE;
    }
  if (X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_commonName,
                                 name, sizeof name) <= 0)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_CRYPTO, "The client certificate has no CN");
      return FALSE;
    }
  if (cn != NULL)
    *cn = g_strdup (name);
  if (serial != NULL)
    *serial = serial_hex (cert);
  return TRUE;
}
