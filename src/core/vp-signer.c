/* vp-signer.c: the van's Ed25519 journal key (OpenSSL 3 EVP: keys, PEM
 * and signing), and signature checks (libsodium).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* renameat2() and RENAME_NOREPLACE. */
#define _GNU_SOURCE

#include "vp-signer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <sodium.h>

#define ED25519_SIG_LEN 64

/* A PKCS#8 Ed25519 PEM is about 120 bytes; anything much larger is not ours. */
#define MAX_KEY_FILE_SIZE (16 * 1024)

struct _VpSigner
{
  EVP_PKEY *pkey;
};

G_DEFINE_QUARK (vp-signer-error-quark, vp_signer_error)

/* Takes the whole OpenSSL error queue so that a failure here does not
 * surface later as a stale error in an unrelated call. */
static void
set_crypto_error (GError    **error,
                  gint        code,
                  const char *what)
{
  unsigned long err = ERR_get_error ();
  char buf[256] = "";

  if (err != 0)
    ERR_error_string_n (err, buf, sizeof buf);
  ERR_clear_error ();

  if (buf[0] != '\0')
    g_set_error (error, VP_SIGNER_ERROR, code, "%s: %s", what, buf);
  else
    g_set_error_literal (error, VP_SIGNER_ERROR, code, what);
}

static const char *
openssl_reason (void)
{
  const char *reason = ERR_reason_error_string (ERR_peek_error ());

  return reason != NULL ? reason : "unknown error";
}

static VpSigner *
signer_new_take (EVP_PKEY *pkey)
{
  VpSigner *signer = g_new0 (VpSigner, 1);

  signer->pkey = pkey;
  return signer;
}

static gboolean
pkey_is_ed25519 (EVP_PKEY *pkey)
{
  return pkey != NULL && EVP_PKEY_get_id (pkey) == EVP_PKEY_ED25519;
}

/* Never let OpenSSL prompt on the terminal for a passphrase. */
static int
no_password_cb (char *buf,
                int   size,
                int   rwflag,
                void *userdata)
{
  return -1;
}

/**
 * vp_signer_generate:
 * @error: return location for a #GError
 *
 * Generates a fresh Ed25519 key pair.
 *
 * Returns: (transfer full): a new #VpSigner, or %NULL on error
 */
VpSigner *
vp_signer_generate (GError **error)
{
  EVP_PKEY *pkey;

  pkey = EVP_PKEY_Q_keygen (NULL, NULL, "ED25519");
  if (pkey == NULL)
    {
      set_crypto_error (error, VP_SIGNER_ERROR_CRYPTO, _("Could not generate an Ed25519 key"));
      return NULL;
    }

  return signer_new_take (pkey);
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }

  return TRUE;
}

/* Moves tmp_path to path unless path exists. renameat2 makes the check and
 * the move one step; filesystems without RENAME_NOREPLACE get link+unlink,
 * which is equally atomic about not overwriting. */
static int
rename_noreplace (const char *tmp_path,
                  const char *path)
{
  if (renameat2 (AT_FDCWD, tmp_path, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
    return 0;

  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    return -1;

  if (link (tmp_path, path) != 0)
    return -1;

  g_unlink (tmp_path);
  return 0;
}

static gboolean
fsync_dir (const char *dir,
           GError    **error)
{
  int fd;
  int saved_errno;

  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    goto fail;

  if (fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      errno = saved_errno;
      goto fail;
    }

  close (fd);
  return TRUE;

fail:
  saved_errno = errno;
  g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
               _("Could not sync directory “%s”: %s"), dir, g_strerror (saved_errno));
  return FALSE;
}

/**
 * vp_signer_save:
 * @signer: a #VpSigner
 * @path: where to write the private key
 * @error: return location for a #GError
 *
 * Writes the private key as unencrypted PKCS#8 PEM with mode 0600. The key
 * is written to a temporary file in the same directory, synced, and moved
 * into place, so a crash leaves either no key file or a complete one. An
 * existing file at @path is never replaced (%VP_SIGNER_ERROR_IO).
 *
 * Returns: %TRUE on success
 */
gboolean
vp_signer_save (VpSigner   *signer,
                const char *path,
                GError    **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_path = NULL;
  BIO *bio = NULL;
  char *pem = NULL;
  long pem_len = 0;
  GStatBuf st;
  int fd = -1;
  int saved_errno;
  gboolean ret = FALSE;

  g_return_val_if_fail (signer != NULL, FALSE);
  g_return_val_if_fail (path != NULL && *path != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Early, friendly refusal; rename_noreplace() closes the race. */
  if (g_lstat (path, &st) == 0)
    {
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                   _("Refusing to overwrite existing key file “%s”"), path);
      return FALSE;
    }

  /* The secure-memory BIO clears its buffer when freed. */
  bio = BIO_new (BIO_s_secmem ());
  if (bio == NULL
      || !PEM_write_bio_PKCS8PrivateKey (bio, signer->pkey, NULL, NULL, 0, NULL, NULL))
    {
      set_crypto_error (error, VP_SIGNER_ERROR_CRYPTO, _("Could not encode the private key"));
      goto out;
    }
  pem_len = BIO_get_mem_data (bio, &pem);
  if (pem_len <= 0 || pem == NULL)
    {
      set_crypto_error (error, VP_SIGNER_ERROR_CRYPTO, _("Could not encode the private key"));
      goto out;
    }

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  tmp_path = g_strdup_printf ("%s/.%s.tmp-XXXXXX", dir, base);

  /* g_mkstemp_full() opens with O_CREAT | O_EXCL and the given mode. */
  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                   _("Could not create a temporary key file in “%s”: %s"),
                   dir, g_strerror (saved_errno));
      g_clear_pointer (&tmp_path, g_free);
      goto out;
    }

  /* The umask can only remove bits; make the result exactly 0600. */
  if (fchmod (fd, 0600) != 0
      || !write_all (fd, (const guint8 *) pem, (gsize) pem_len)
      || fsync (fd) != 0)
    {
      saved_errno = errno;
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                   _("Could not write key file “%s”: %s"), tmp_path, g_strerror (saved_errno));
      goto out;
    }

  if (close (fd) != 0)
    {
      fd = -1;
      saved_errno = errno;
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                   _("Could not write key file “%s”: %s"), tmp_path, g_strerror (saved_errno));
      goto out;
    }
  fd = -1;

  if (rename_noreplace (tmp_path, path) != 0)
    {
      saved_errno = errno;
      if (saved_errno == EEXIST)
        g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                     _("Refusing to overwrite existing key file “%s”"), path);
      else
        g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                     _("Could not move key file into place at “%s”: %s"),
                     path, g_strerror (saved_errno));
      goto out;
    }
  g_clear_pointer (&tmp_path, g_free);

  /* The rename is durable only once the directory entry is on disk. */
  if (!fsync_dir (dir, error))
    goto out;

  ret = TRUE;

out:
  if (fd >= 0)
    close (fd);
  if (tmp_path != NULL)
    g_unlink (tmp_path);
  if (pem != NULL && pem_len > 0)
    OPENSSL_cleanse (pem, (size_t) pem_len);
  BIO_free (bio);

  return ret;
}

/* Reads at most MAX_KEY_FILE_SIZE bytes into a buffer the caller must
 * clear and free. */
static guint8 *
read_key_fd (int         fd,
             const char *path,
             gsize      *out_len,
             GError    **error)
{
  guint8 *buf = g_malloc (MAX_KEY_FILE_SIZE + 1);
  gsize len = 0;

  for (;;)
    {
      ssize_t n = read (fd, buf + len, MAX_KEY_FILE_SIZE + 1 - len);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                       _("Could not read key file “%s”: %s"), path, g_strerror (saved_errno));
          goto fail;
        }
      if (n == 0)
        break;
      len += (gsize) n;
      if (len > MAX_KEY_FILE_SIZE)
        {
          g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY,
                       _("Key file “%s” is too large to be an Ed25519 key"), path);
          goto fail;
        }
    }

  *out_len = len;
  return buf;

fail:
  OPENSSL_cleanse (buf, MAX_KEY_FILE_SIZE + 1);
  g_free (buf);
  return NULL;
}

/**
 * vp_signer_load:
 * @path: a PKCS#8 PEM file written by vp_signer_save()
 * @error: return location for a #GError
 *
 * Loads the van's private key. A file with any group or other permission
 * bits is refused with %VP_SIGNER_ERROR_IO; a file that is not an
 * unencrypted Ed25519 private key with %VP_SIGNER_ERROR_KEY.
 *
 * Returns: (transfer full): a new #VpSigner, or %NULL on error
 */
VpSigner *
vp_signer_load (const char *path,
                GError    **error)
{
  struct stat st;
  guint8 *buf = NULL;
  gsize len = 0;
  BIO *bio = NULL;
  EVP_PKEY *pkey = NULL;
  int fd;
  int saved_errno;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                   _("Could not open key file “%s”: %s"), path, g_strerror (saved_errno));
      return NULL;
    }

  /* fstat the open file so the mode we check is the file we read. */
  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                   _("Could not stat key file “%s”: %s"), path, g_strerror (saved_errno));
      goto out;
    }

  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                   _("Key file “%s” is not a regular file"), path);
      goto out;
    }

  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO,
                   _("Key file “%s” has mode %04o; a private key must not be accessible "
                     "by group or others (run chmod 600 on it)"),
                   path, (unsigned int) (st.st_mode & 07777));
      goto out;
    }

  buf = read_key_fd (fd, path, &len, error);
  if (buf == NULL)
    goto out;

  bio = BIO_new_mem_buf (buf, (int) len);
  if (bio == NULL)
    {
      set_crypto_error (error, VP_SIGNER_ERROR_CRYPTO, _("Could not read the private key"));
      goto out;
    }

  pkey = PEM_read_bio_PrivateKey (bio, NULL, no_password_cb, NULL);
  if (pkey == NULL)
    {
      ERR_clear_error ();
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY,
                   _("Key file “%s” does not hold an unencrypted PEM private key"), path);
      goto out;
    }

  if (!pkey_is_ed25519 (pkey))
    {
      g_set_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY,
                   _("Key file “%s” holds a %s key, not an Ed25519 key"),
                   path, EVP_PKEY_get0_type_name (pkey) ? EVP_PKEY_get0_type_name (pkey) : "?");
      g_clear_pointer (&pkey, EVP_PKEY_free);
      goto out;
    }

out:
  BIO_free (bio);
  if (buf != NULL)
    {
      OPENSSL_cleanse (buf, MAX_KEY_FILE_SIZE + 1);
      g_free (buf);
    }
  close (fd);

  return pkey != NULL ? signer_new_take (pkey) : NULL;
}

/**
 * vp_signer_free:
 * @signer: (nullable): a #VpSigner
 *
 * Frees @signer; OpenSSL clears the private key bytes.
 */
void
vp_signer_free (VpSigner *signer)
{
  if (signer == NULL)
    return;

  EVP_PKEY_free (signer->pkey);
  g_free (signer);
}

/**
 * vp_signer_public_key_pem:
 * @signer: a #VpSigner
 *
 * Returns: (transfer full): the public key as SubjectPublicKeyInfo PEM
 *   ("-----BEGIN PUBLIC KEY-----"), or %NULL if OpenSSL fails
 */
char *
vp_signer_public_key_pem (VpSigner *signer)
{
  BIO *bio;
  char *data = NULL;
  long len;
  char *ret = NULL;

  g_return_val_if_fail (signer != NULL, NULL);

  bio = BIO_new (BIO_s_mem ());
  if (bio != NULL && PEM_write_bio_PUBKEY (bio, signer->pkey))
    {
      len = BIO_get_mem_data (bio, &data);
      if (len > 0 && data != NULL)
        ret = g_strndup (data, (gsize) len);
    }

  if (ret == NULL)
    {
      g_warning ("Could not encode the public key: %s", openssl_reason ());
      ERR_clear_error ();
    }

  BIO_free (bio);
  return ret;
}

/**
 * vp_signer_sign:
 * @signer: a #VpSigner
 * @data: (array length=len): the bytes to sign
 * @len: length of @data
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the base64 Ed25519 signature, or %NULL on error
 */
char *
vp_signer_sign (VpSigner     *signer,
                const guint8 *data,
                gsize         len,
                GError      **error)
{
  static const guint8 empty[1] = { 0 };
  EVP_MD_CTX *ctx;
  guint8 sig[ED25519_SIG_LEN];
  size_t sig_len = sizeof sig;
  char *ret = NULL;

  g_return_val_if_fail (signer != NULL, NULL);
  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ctx = EVP_MD_CTX_new ();
  if (ctx == NULL
      || EVP_DigestSignInit (ctx, NULL, NULL, NULL, signer->pkey) != 1
      || EVP_DigestSign (ctx, sig, &sig_len, data != NULL ? data : empty, len) != 1
      || sig_len != ED25519_SIG_LEN)
    set_crypto_error (error, VP_SIGNER_ERROR_CRYPTO, _("Could not sign"));
  else
    ret = g_base64_encode (sig, sig_len);

  EVP_MD_CTX_free (ctx);
  return ret;
}

static EVP_PKEY *
public_key_from_pem (const char *public_key_pem,
                     GError    **error)
{
  BIO *bio;
  EVP_PKEY *pkey = NULL;
  size_t len = strlen (public_key_pem);

  if (len == 0 || len > MAX_KEY_FILE_SIZE)
    goto bad;

  bio = BIO_new_mem_buf (public_key_pem, (int) len);
  if (bio == NULL)
    {
      set_crypto_error (error, VP_SIGNER_ERROR_CRYPTO, _("Could not read the public key"));
      return NULL;
    }
  pkey = PEM_read_bio_PUBKEY (bio, NULL, no_password_cb, NULL);
  BIO_free (bio);

  if (pkey == NULL)
    goto bad;

  if (!pkey_is_ed25519 (pkey))
    {
      EVP_PKEY_free (pkey);
      g_set_error_literal (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY,
                           _("The public key is not an Ed25519 key"));
      return NULL;
    }

  return pkey;

bad:
  ERR_clear_error ();
  g_set_error_literal (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY,
                       _("The public key is not a SubjectPublicKeyInfo PEM key"));
  return NULL;
}

/* g_base64_decode() skips characters it does not know, so only accept
 * the one canonical spelling of a 64 byte signature. */
static gboolean
decode_signature (const char *b64,
                  guint8      out[ED25519_SIG_LEN])
{
  g_autofree guint8 *raw = NULL;
  g_autofree char *again = NULL;
  gsize raw_len = 0;

  /* 64 bytes encode to 88 characters. */
  if (strlen (b64) != 88)
    return FALSE;

  raw = g_base64_decode (b64, &raw_len);
  if (raw == NULL || raw_len != ED25519_SIG_LEN)
    return FALSE;

  again = g_base64_encode (raw, raw_len);
  if (strcmp (again, b64) != 0)
    return FALSE;

  memcpy (out, raw, ED25519_SIG_LEN);
  return TRUE;
}

/* Signatures are checked with libsodium, keys read with OpenSSL. On the
 * same machine libsodium's Ed25519 verify takes half the time of OpenSSL
 * 3.0's (60 against 120 µs): the check is most of HQ's CPU per entry
 * (issue 10) and all of `verify`'s. Both check the same cofactorless
 * equation and refuse a non-canonical S; libsodium also refuses a key or
 * an R of small order and a key not canonically encoded, which an honest
 * van's key and signer never produce. So it accepts no signature OpenSSL
 * would refuse (tests/core/test-signer.c checks both against each
 * other and the RFC 8032 vectors). */
struct _VpVerifier
{
  guint8 key[crypto_sign_PUBLICKEYBYTES];
};

/* sodium_init() is safe to call from any thread, and more than once. */
static gboolean
sodium_ready (void)
{
  static gsize ready = 0;

  if (g_once_init_enter (&ready))
    g_once_init_leave (&ready, sodium_init () >= 0 ? 1 : 2);
  return ready == 1;
}

/**
 * vp_verifier_new:
 * @public_key_pem: an Ed25519 SubjectPublicKeyInfo PEM key
 * @error: return location for a #GError
 *
 * Parses @public_key_pem once, so that checking many signatures (a whole
 * journal) does not pay for the PEM parse each time. Fails with
 * %VP_SIGNER_ERROR_KEY if @public_key_pem is not an Ed25519 public key,
 * or is one no honest key can be (small order, outside the main
 * subgroup, not canonically encoded).
 *
 * Returns: (transfer full): a new #VpVerifier, or %NULL on error
 */
VpVerifier *
vp_verifier_new (const char *public_key_pem,
                 GError    **error)
{
  g_autofree VpVerifier *verifier = NULL;
  EVP_PKEY *pkey;
  size_t len = sizeof verifier->key;
  int ok;

  g_return_val_if_fail (public_key_pem != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pkey = public_key_from_pem (public_key_pem, error);
  if (pkey == NULL)
    return NULL;

  verifier = g_new0 (VpVerifier, 1);
  ok = EVP_PKEY_get_raw_public_key (pkey, verifier->key, &len) == 1 && len == sizeof verifier->key;
  EVP_PKEY_free (pkey);
  if (!ok)
    {
      set_crypto_error (error, VP_SIGNER_ERROR_KEY, _("Could not read the public key"));
      return NULL;
    }
  if (!sodium_ready ())
    {
      g_set_error_literal (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_CRYPTO,
                           _("Could not start libsodium to check signatures"));
      return NULL;
    }
  /* A key of small order, outside the main subgroup or not canonically
   * encoded is refused here, in one clear line, rather than by every
   * signature it would be asked about: OpenSSL takes the neutral point
   * as a key, and with it R = neutral, S = 0 "signs" every message. No
   * honest key (a multiple of the base point) is any of these. */
  if (crypto_core_ed25519_is_valid_point (verifier->key) != 1)
    {
      g_set_error_literal (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY,
                           _("The public key is not a usable Ed25519 key (a weak point)"));
      return NULL;
    }
  return g_steal_pointer (&verifier);
}

/**
 * vp_verifier_free:
 * @verifier: (nullable): a #VpVerifier
 */
void
vp_verifier_free (VpVerifier *verifier)
{
  if (verifier == NULL)
    return;

  g_free (verifier);
}

/**
 * vp_verifier_verify:
 * @verifier: a #VpVerifier
 * @data: (array length=len): the signed bytes
 * @len: length of @data
 * @signature_b64: base64 signature from vp_signer_sign()
 * @error: return location for a #GError
 *
 * Fails with %VP_SIGNER_ERROR_BAD_SIGNATURE if the signature is not the
 * canonical base64 spelling of 64 bytes or does not match. Safe to call
 * from several threads at once on the same @verifier: the key is only
 * read.
 *
 * Returns: %TRUE if the signature verifies
 */
gboolean
vp_verifier_verify (VpVerifier   *verifier,
                    const guint8 *data,
                    gsize         len,
                    const char   *signature_b64,
                    GError      **error)
{
  static const guint8 empty[1] = { 0 };
  guint8 sig[ED25519_SIG_LEN];

  g_return_val_if_fail (verifier != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (signature_b64 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!decode_signature (signature_b64, sig))
    {
      g_set_error_literal (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE,
                           _("The signature is not a base64 Ed25519 signature"));
      return FALSE;
    }

  if (crypto_sign_verify_detached (sig, data != NULL ? data : empty, len, verifier->key) != 0)
    {
      g_set_error_literal (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE,
                           _("The signature does not verify"));
      return FALSE;
    }
  return TRUE;
}

/**
 * vp_signature_verify:
 * @public_key_pem: an Ed25519 SubjectPublicKeyInfo PEM key
 * @data: (array length=len): the signed bytes
 * @len: length of @data
 * @signature_b64: base64 signature from vp_signer_sign()
 * @error: return location for a #GError
 *
 * Fails with %VP_SIGNER_ERROR_KEY if @public_key_pem is not an Ed25519
 * public key, and %VP_SIGNER_ERROR_BAD_SIGNATURE if the signature is
 * malformed or does not match. To check many signatures with one key,
 * use a #VpVerifier.
 *
 * Returns: %TRUE if the signature verifies
 */
gboolean
vp_signature_verify (const char   *public_key_pem,
                     const guint8 *data,
                     gsize         len,
                     const char   *signature_b64,
                     GError      **error)
{
  g_autoptr(VpVerifier) verifier = NULL;

  g_return_val_if_fail (public_key_pem != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (signature_b64 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  verifier = vp_verifier_new (public_key_pem, error);
  if (verifier == NULL)
    return FALSE;

  return vp_verifier_verify (verifier, data, len, signature_b64, error);
}

/**
 * vp_sha256_hex:
 * @data: (array length=len): bytes to hash
 * @len: length of @data
 *
 * Returns: (transfer full): the lower-case hex SHA-256 of @data (64 characters),
 *   or %NULL if OpenSSL fails
 */
char *
vp_sha256_hex (const guint8 *data,
               gsize         len)
{
  static const guint8 empty[1] = { 0 };
  static const char digits[] = "0123456789abcdef";
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  char *hex;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (EVP_Digest (data != NULL ? data : empty, len, md, &md_len, EVP_sha256 (), NULL) != 1
      || md_len != 32)
    {
      g_warning ("SHA-256 failed: %s", openssl_reason ());
      ERR_clear_error ();
      return NULL;
    }

  hex = g_malloc (md_len * 2 + 1);
  for (unsigned int i = 0; i < md_len; i++)
    {
      hex[2 * i] = digits[md[i] >> 4];
      hex[2 * i + 1] = digits[md[i] & 0xf];
    }
  hex[md_len * 2] = '\0';

  return hex;
}

/**
 * vp_hex_decode:
 * @hex: hex digits (either case)
 * @out: (out caller-allocates) (array length=out_len): decoded bytes
 * @out_len: exact number of bytes expected
 *
 * Returns: %TRUE if @hex is exactly 2 × @out_len hex digits; @out is left
 *   untouched otherwise
 */
gboolean
vp_hex_decode (const char *hex,
               guint8     *out,
               gsize       out_len)
{
  g_return_val_if_fail (hex != NULL, FALSE);
  g_return_val_if_fail (out != NULL || out_len == 0, FALSE);

  if (strlen (hex) != out_len * 2)
    return FALSE;

  for (gsize i = 0; i < out_len * 2; i++)
    if (!g_ascii_isxdigit (hex[i]))
      return FALSE;

  for (gsize i = 0; i < out_len; i++)
    out[i] = (guint8) ((g_ascii_xdigit_value (hex[2 * i]) << 4)
                       | g_ascii_xdigit_value (hex[2 * i + 1]));

  return TRUE;
}
