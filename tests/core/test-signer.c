/* test-signer.c: Ed25519 key files, signatures and SHA-256 helpers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "vp-signer.h"

typedef struct
{
  char *dir;
  char *key_path;
} Fixture;

static void
fixture_set_up (Fixture      *fx,
                gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("vp-signer-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->dir);
  fx->key_path = g_build_filename (fx->dir, "van.key", NULL);
}

static void
fixture_tear_down (Fixture      *fx,
                   gconstpointer user_data)
{
  g_autoptr(GDir) dir = g_dir_open (fx->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fx->dir, name, NULL);
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (fx->dir), ==, 0);

  g_free (fx->key_path);
  g_free (fx->dir);
}

static guint
count_dir_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_save_load_round_trip (Fixture      *fx,
                           gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) signer = NULL;
  g_autoptr(VpSigner) loaded = NULL;
  g_autofree char *pub = NULL;
  g_autofree char *pub_loaded = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *sig = NULL;
  static const guint8 msg[] = "top-up 50.00 CNY";
  GStatBuf st;

  signer = vp_signer_generate (&error);
  g_assert_no_error (error);
  g_assert_nonnull (signer);

  g_assert_true (vp_signer_save (signer, fx->key_path, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (fx->key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  /* The temp file was renamed, not left behind. */
  g_assert_cmpuint (count_dir_entries (fx->dir), ==, 1);

  g_assert_true (g_file_get_contents (fx->key_path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (contents, "-----BEGIN PRIVATE KEY-----\n"));
  g_assert_nonnull (strstr (contents, "-----END PRIVATE KEY-----\n"));

  loaded = vp_signer_load (fx->key_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);

  pub = vp_signer_public_key_pem (signer);
  pub_loaded = vp_signer_public_key_pem (loaded);
  g_assert_true (g_str_has_prefix (pub, "-----BEGIN PUBLIC KEY-----\n"));
  g_assert_cmpstr (pub, ==, pub_loaded);

  /* The loaded key signs; the original's public key verifies it. */
  sig = vp_signer_sign (loaded, msg, sizeof msg, &error);
  g_assert_no_error (error);
  g_assert_true (vp_signature_verify (pub, msg, sizeof msg, sig, &error));
  g_assert_no_error (error);
}

static void
test_load_refuses_group_readable (Fixture      *fx,
                                  gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) signer = NULL;
  g_autoptr(VpSigner) loaded = NULL;

  signer = vp_signer_generate (&error);
  g_assert_no_error (error);
  g_assert_true (vp_signer_save (signer, fx->key_path, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_chmod (fx->key_path, 0644), ==, 0);
  loaded = vp_signer_load (fx->key_path, &error);
  g_assert_null (loaded);
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO);
  g_assert_nonnull (strstr (error->message, fx->key_path));
  g_assert_nonnull (strstr (error->message, "0644"));
  g_clear_error (&error);

  /* Group bits alone are enough to refuse. */
  g_assert_cmpint (g_chmod (fx->key_path, 0640), ==, 0);
  loaded = vp_signer_load (fx->key_path, &error);
  g_assert_null (loaded);
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "0640"));
  g_clear_error (&error);

  g_assert_cmpint (g_chmod (fx->key_path, 0600), ==, 0);
  loaded = vp_signer_load (fx->key_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
}

static void
test_save_refuses_overwrite (Fixture      *fx,
                             gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) first = NULL;
  g_autoptr(VpSigner) second = NULL;
  g_autoptr(VpSigner) loaded = NULL;
  g_autofree char *pub_first = NULL;
  g_autofree char *pub_loaded = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  first = vp_signer_generate (&error);
  g_assert_no_error (error);
  second = vp_signer_generate (&error);
  g_assert_no_error (error);

  g_assert_true (vp_signer_save (first, fx->key_path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (fx->key_path, &before, NULL, NULL));

  g_assert_false (vp_signer_save (second, fx->key_path, &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO);
  g_assert_nonnull (strstr (error->message, fx->key_path));
  g_clear_error (&error);

  g_assert_true (g_file_get_contents (fx->key_path, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (count_dir_entries (fx->dir), ==, 1);

  loaded = vp_signer_load (fx->key_path, &error);
  g_assert_no_error (error);
  pub_first = vp_signer_public_key_pem (first);
  pub_loaded = vp_signer_public_key_pem (loaded);
  g_assert_cmpstr (pub_first, ==, pub_loaded);
}

static void
test_sign_verify (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) signer = NULL;
  g_autoptr(VpSigner) other = NULL;
  g_autofree char *pub = NULL;
  g_autofree char *other_pub = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *sig2 = NULL;
  g_autofree char *bad_sig = NULL;
  g_autofree guint8 *raw = NULL;
  guint8 data[32];
  gsize raw_len = 0;

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) (i * 7 + 1);

  signer = vp_signer_generate (&error);
  g_assert_no_error (error);
  pub = vp_signer_public_key_pem (signer);
  g_assert_nonnull (pub);

  sig = vp_signer_sign (signer, data, sizeof data, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (sig), ==, 88);
  g_assert_true (vp_signature_verify (pub, data, sizeof data, sig, &error));
  g_assert_no_error (error);

  /* Ed25519 is deterministic. */
  sig2 = vp_signer_sign (signer, data, sizeof data, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sig, ==, sig2);

  /* One flipped bit of data. */
  data[17] ^= 0x01;
  g_assert_false (vp_signature_verify (pub, data, sizeof data, sig, &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  data[17] ^= 0x01;
  g_assert_true (vp_signature_verify (pub, data, sizeof data, sig, &error));
  g_assert_no_error (error);

  /* One flipped byte of signature. */
  raw = g_base64_decode (sig, &raw_len);
  g_assert_cmpuint (raw_len, ==, 64);
  raw[10] ^= 0xff;
  bad_sig = g_base64_encode (raw, raw_len);
  g_assert_cmpstr (bad_sig, !=, sig);
  g_assert_false (vp_signature_verify (pub, data, sizeof data, bad_sig, &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  /* Truncated and non-base64 signatures. */
  g_assert_false (vp_signature_verify (pub, data, sizeof data, "AAAA", &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (vp_signature_verify (pub, data, sizeof data, "", &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  /* Another van's key does not verify this van's signature. */
  other = vp_signer_generate (&error);
  g_assert_no_error (error);
  other_pub = vp_signer_public_key_pem (other);
  g_assert_cmpstr (other_pub, !=, pub);
  g_assert_false (vp_signature_verify (other_pub, data, sizeof data, sig, &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
}

static void
test_garbage_pem (Fixture      *fx,
                  gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) signer = NULL;
  g_autoptr(VpSigner) loaded = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *pub = NULL;
  g_autofree char *truncated = NULL;
  static const guint8 msg[] = "abc";
  static const char garbage[] =
    "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PUBLIC KEY-----\n";

  signer = vp_signer_generate (&error);
  g_assert_no_error (error);
  sig = vp_signer_sign (signer, msg, sizeof msg, &error);
  g_assert_no_error (error);
  pub = vp_signer_public_key_pem (signer);

  g_assert_false (vp_signature_verify ("hello", msg, sizeof msg, sig, &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
  g_clear_error (&error);

  g_assert_false (vp_signature_verify (garbage, msg, sizeof msg, sig, &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
  g_clear_error (&error);

  truncated = g_strndup (pub, strlen (pub) / 2);
  g_assert_false (vp_signature_verify (truncated, msg, sizeof msg, sig, &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
  g_clear_error (&error);

  /* A garbage private key file with correct permissions. */
  g_assert_true (g_file_set_contents_full (fx->key_path,
                                           "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                           "-----END PRIVATE KEY-----\n",
                                           -1, G_FILE_SET_CONTENTS_NONE, 0600, &error));
  g_assert_no_error (error);
  loaded = vp_signer_load (fx->key_path, &error);
  g_assert_null (loaded);
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
  g_clear_error (&error);
}

static void
test_load_rejects_other_key_types (Fixture      *fx,
                                   gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) loaded = NULL;
  EVP_PKEY *ec;
  BIO *bio;
  char *pem = NULL;
  long len;
  g_autofree char *missing = NULL;

  ec = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_assert_nonnull (ec);
  bio = BIO_new (BIO_s_mem ());
  g_assert_cmpint (PEM_write_bio_PKCS8PrivateKey (bio, ec, NULL, NULL, 0, NULL, NULL), ==, 1);
  len = BIO_get_mem_data (bio, &pem);
  g_assert_cmpint (len, >, 0);
  g_assert_true (g_file_set_contents_full (fx->key_path, pem, len,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  g_assert_no_error (error);
  BIO_free (bio);
  EVP_PKEY_free (ec);

  loaded = vp_signer_load (fx->key_path, &error);
  g_assert_null (loaded);
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
  g_assert_nonnull (strstr (error->message, "Ed25519"));
  g_clear_error (&error);

  missing = g_build_filename (fx->dir, "missing.key", NULL);
  loaded = vp_signer_load (missing, &error);
  g_assert_null (loaded);
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_IO);
  g_assert_nonnull (strstr (error->message, missing));
}

static void
test_sha256_hex (void)
{
  g_autofree char *abc = vp_sha256_hex ((const guint8 *) "abc", 3);
  g_autofree char *empty = vp_sha256_hex (NULL, 0);

  /* FIPS 180-2 test vectors. */
  g_assert_cmpstr (abc, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_assert_cmpstr (empty, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_hex_decode (void)
{
  guint8 out[4] = { 0 };
  guint8 untouched[4] = { 9, 9, 9, 9 };

  g_assert_true (vp_hex_decode ("00ff7Fa0", out, sizeof out));
  g_assert_cmpuint (out[0], ==, 0x00);
  g_assert_cmpuint (out[1], ==, 0xff);
  g_assert_cmpuint (out[2], ==, 0x7f);
  g_assert_cmpuint (out[3], ==, 0xa0);

  g_assert_false (vp_hex_decode ("00ff7f", untouched, sizeof untouched));
  g_assert_false (vp_hex_decode ("00ff7fa0aa", untouched, sizeof untouched));
  g_assert_false (vp_hex_decode ("00ff7g00", untouched, sizeof untouched));
  g_assert_false (vp_hex_decode ("", untouched, sizeof untouched));
  g_assert_cmpmem (untouched, 4, ((guint8[]) { 9, 9, 9, 9 }), 4);
}

/* The PEM of a raw 32-byte Ed25519 public key, as a van's cert holds it. */
static char *
pem_of_raw_key (const guint8 key[32])
{
  EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key (EVP_PKEY_ED25519, NULL, key, 32);
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len;
  char *pem;

  g_assert_nonnull (pkey);
  g_assert_cmpint (PEM_write_bio_PUBKEY (bio, pkey), ==, 1);
  len = BIO_get_mem_data (bio, &data);
  pem = g_strndup (data, len);
  BIO_free (bio);
  EVP_PKEY_free (pkey);
  return pem;
}

/* The raw 32 bytes of a PEM public key: the inverse of pem_of_raw_key. */
static void
raw_key_of_pem (const char *pem,
                guint8      key[32])
{
  BIO *bio = BIO_new_mem_buf (pem, -1);
  EVP_PKEY *pkey = PEM_read_bio_PUBKEY (bio, NULL, NULL, NULL);
  size_t key_len = 32;

  g_assert_nonnull (pkey);
  g_assert_cmpint (EVP_PKEY_get_raw_public_key (pkey, key, &key_len), ==, 1);
  g_assert_cmpuint (key_len, ==, 32);
  EVP_PKEY_free (pkey);
  BIO_free (bio);
}

static void
hex_to (const char *hex,
        guint8     *out,
        gsize       len)
{
  g_assert_cmpuint (strlen (hex), ==, 2 * len);
  for (gsize i = 0; i < len; i++)
    out[i] = (guint8) g_ascii_strtoull ((char[]) { hex[2 * i], hex[2 * i + 1], 0 }, NULL, 16);
}

/* OpenSSL's own verdict on one signature, for comparison. */
static gboolean
openssl_verifies (const guint8 key[32],
                  const guint8 *data,
                  gsize         len,
                  const guint8  sig[64])
{
  static const guint8 empty[1] = { 0 };
  EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key (EVP_PKEY_ED25519, NULL, key, 32);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  gboolean ok;

  g_assert_cmpint (EVP_DigestVerifyInit (ctx, NULL, NULL, NULL, pkey), ==, 1);
  ok = EVP_DigestVerify (ctx, sig, 64, len ? data : empty, len) == 1;
  EVP_MD_CTX_free (ctx);
  EVP_PKEY_free (pkey);
  return ok;
}

static gboolean
verifier_verifies (const guint8  key[32],
                   const guint8 *data,
                   gsize         len,
                   const guint8  sig[64])
{
  g_autofree char *pem = pem_of_raw_key (key);
  g_autofree char *b64 = g_base64_encode (sig, 64);
  g_autoptr(GError) error = NULL;
  g_autoptr(VpVerifier) verifier = vp_verifier_new (pem, &error);
  gboolean ok;

  /* A changed key may be no usable point at all: refused when made. */
  if (verifier == NULL)
    {
      g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
      return FALSE;
    }
  ok = vp_verifier_verify (verifier, data, len, b64, &error);
  if (!ok)
    g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE);
  return ok;
}

/* RFC 8032 §7.1, tests 1 to 3: the verifier accepts each, and refuses
 * each with one bit of the message, R, S or the key flipped. */
static void
test_rfc8032_vectors (void)
{
  static const struct { const char *key, *msg, *sig; } v[] = {
    { "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
    { "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
    { "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
      "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (v); i++)
    {
      guint8 key[32], sig[64], msg[2] = { 0 };
      gsize len = strlen (v[i].msg) / 2;

      hex_to (v[i].key, key, 32);
      hex_to (v[i].sig, sig, 64);
      hex_to (v[i].msg, msg, len);
      g_assert_true (openssl_verifies (key, msg, len, sig));
      g_assert_true (verifier_verifies (key, msg, len, sig));

      if (len > 0)
        {
          msg[0] ^= 0x01;
          g_assert_false (verifier_verifies (key, msg, len, sig));
          msg[0] ^= 0x01;
        }
      sig[3] ^= 0x10;  /* R */
      g_assert_false (verifier_verifies (key, msg, len, sig));
      sig[3] ^= 0x10;
      sig[40] ^= 0x02; /* S */
      g_assert_false (verifier_verifies (key, msg, len, sig));
      sig[40] ^= 0x02;
      key[7] ^= 0x20;
      g_assert_false (verifier_verifies (key, msg, len, sig));
    }
}

/* Over many honest keys, messages and one-bit changes, the verifier and
 * OpenSSL give the same verdict: a van's signatures are judged as before.
 * (Where the two differ, on weak keys, see refuses-weak-keys.) */
static void
test_agrees_with_openssl (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (8032);
  guint accepted = 0;

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VpSigner) signer = vp_signer_generate (&error);
      g_autofree char *pem = vp_signer_public_key_pem (signer);
      g_autofree char *b64 = NULL;
      g_autofree guint8 *sig = NULL;
      guint8 key[32], data[32];
      gsize sig_len = 0;

      g_assert_no_error (error);
      raw_key_of_pem (pem, key);

      for (guint k = 0; k < sizeof data; k++)
        data[k] = (guint8) g_rand_int (rand);
      b64 = vp_signer_sign (signer, data, sizeof data, &error);
      g_assert_no_error (error);
      sig = g_base64_decode (b64, &sig_len);
      g_assert_cmpuint (sig_len, ==, 64);

      /* Half untouched, half with one bit flipped in the message or the
       * signature. */
      if (i % 2 == 1)
        {
          guint bit = g_rand_int_range (rand, 0, 8 * (32 + 64));

          if (bit < 8 * 32)
            data[bit / 8] ^= (guint8) (1u << (bit % 8));
          else
            sig[bit / 8 - 32] ^= (guint8) (1u << (bit % 8));
        }
      g_assert_cmpint (verifier_verifies (key, data, sizeof data, sig), ==,
                       openssl_verifies (key, data, sizeof data, sig));
      accepted += verifier_verifies (key, data, sizeof data, sig);
    }
  g_assert_cmpuint (accepted, ==, 100);
}

/* Keys no honest van has are refused when the verifier is made, with one
 * line, not signature by signature: OpenSSL 3.0 takes the neutral point
 * as a key, and with it R = neutral, S = 0 "signs" every message; a key
 * with a point of order 4 added is off the main subgroup; y = p is not
 * canonical (and of small order). */
static void
test_refuses_weak_keys (void)
{
  static const guint8 msg[] = "pay 0.01 for 3200-0001";
  guint8 neutral[32] = { 1 }, forged[64] = { 1 };
  guint8 order4[32] = { 0 };   /* y = 0: (sqrt(-1), 0), of order 4 */
  guint8 y_is_p[32];
  guint8 key[32], off_subgroup[32];
  const guint8 *weak[] = { neutral, off_subgroup, y_is_p };
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) signer = vp_signer_generate (&error);
  g_autofree char *pem = vp_signer_public_key_pem (signer);

  g_assert_no_error (error);
  memset (y_is_p, 0xff, sizeof y_is_p);
  y_is_p[0] = 0xed;
  y_is_p[31] = 0x7f;
  raw_key_of_pem (pem, key);
  g_assert_cmpint (crypto_core_ed25519_add (off_subgroup, key, order4), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (weak); i++)
    {
      g_autofree char *weak_pem = pem_of_raw_key (weak[i]);
      g_autofree char *b64 = g_base64_encode (forged, sizeof forged);
      g_autoptr(VpVerifier) verifier = vp_verifier_new (weak_pem, &error);

      g_assert_null (verifier);
      g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
      g_clear_error (&error);
      g_assert_false (vp_signature_verify (weak_pem, msg, sizeof msg, b64, &error));
      g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
      g_clear_error (&error);
    }
}

/* S + L (the same S, a second spelling) is refused. */
static void
test_refuses_high_s (void)
{
  static const guint8 msg[] = "pay 0.01 for 3200-0001";
  static const char *l_hex = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
  guint8 key[32], good[64], high[64], l[32];
  unsigned carry = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) signer = vp_signer_generate (&error);
  g_autofree char *pem = vp_signer_public_key_pem (signer);
  g_autofree char *b64 = vp_signer_sign (signer, msg, sizeof msg, &error);
  g_autofree guint8 *raw = NULL;
  gsize raw_len = 0;

  g_assert_no_error (error);
  raw_key_of_pem (pem, key);
  raw = g_base64_decode (b64, &raw_len);
  memcpy (good, raw, 64);
  g_assert_true (verifier_verifies (key, msg, sizeof msg, good));

  /* S + L, little-endian: the same point, a second spelling. */
  hex_to (l_hex, l, 32);
  memcpy (high, good, 64);
  for (guint i = 0; i < 32; i++)
    {
      unsigned sum = high[32 + i] + l[i] + carry;
      high[32 + i] = (guint8) sum;
      carry = sum >> 8;
    }
  g_assert_cmpuint (carry, ==, 0);
  g_assert_false (openssl_verifies (key, msg, sizeof msg, high));
  g_assert_false (verifier_verifies (key, msg, sizeof msg, high));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/signer/save-load-round-trip", Fixture, NULL,
              fixture_set_up, test_save_load_round_trip, fixture_tear_down);
  g_test_add ("/signer/load-refuses-group-readable", Fixture, NULL,
              fixture_set_up, test_load_refuses_group_readable, fixture_tear_down);
  g_test_add ("/signer/save-refuses-overwrite", Fixture, NULL,
              fixture_set_up, test_save_refuses_overwrite, fixture_tear_down);
  g_test_add_func ("/signer/sign-verify", test_sign_verify);
  g_test_add ("/signer/garbage-pem", Fixture, NULL,
              fixture_set_up, test_garbage_pem, fixture_tear_down);
  g_test_add ("/signer/load-rejects-other-key-types", Fixture, NULL,
              fixture_set_up, test_load_rejects_other_key_types, fixture_tear_down);
  g_test_add_func ("/signer/sha256-hex", test_sha256_hex);
  g_test_add_func ("/signer/hex-decode", test_hex_decode);
  g_test_add_func ("/signer/rfc8032-vectors", test_rfc8032_vectors);
  g_test_add_func ("/signer/agrees-with-openssl", test_agrees_with_openssl);
  g_test_add_func ("/signer/refuses-weak-keys", test_refuses_weak_keys);
  g_test_add_func ("/signer/refuses-high-s", test_refuses_high_s);

  return g_test_run ();
}
