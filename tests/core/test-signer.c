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

  return g_test_run ();
}
