/* verify-bench.c: `verify` (vp_journal_store_verify over a van database)
 * against the raw Ed25519 verify rate of this machine, measured in the
 * same run and printed as a ratio (target ≥ 0.8×).
 *
 *   bench-verify [N] [ROUNDS]   (default 20000 entries, 5 rounds; file under $TMPDIR)
 *
 * The raw rate is one thread doing libsodium's crypto_sign_verify_detached
 * (the primitive vp_verifier_verify uses) over the same N signatures
 * (32-byte messages: the raw entry hashes) with the key and signatures
 * decoded beforehand: the floor cost of checking the chain's signatures,
 * with nothing of VanPOS in it. OpenSSL's EVP_DigestVerify over the same
 * signatures is printed beside it (about half libsodium's rate). The two are measured
 * alternately ROUNDS times and the best of each is compared, so that a
 * busy neighbour on a shared machine hurts both alike.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <sodium.h>

#include "vp-store.h"

static void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_remove (p);
    }
  g_rmdir (dir);
}

static void
die (const char *what,
     GError     *error)
{
  fprintf (stderr, "bench-verify: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

/* N cash payments on 200 demo accounts, through the store as the van
 * makes them. Durability is not what is measured here, so the build runs
 * with synchronous=OFF; the file is closed and reopened before timing. */
static void
make_van (const char *path,
          guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpDatabase) db = NULL;
  g_autoptr(VpStaff) op = NULL;
  g_autoptr(VpJournalEntry) shift = NULL;
  g_autoptr(GPtrArray) accounts = NULL;

  db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, &error);
  if (db == NULL || !vp_database_init_van (db, "VAN01", &error) ||
      !vp_demo_populate (db, 200, 1, 1000, NULL, NULL, &error) ||
      !vp_database_exec (db, "PRAGMA synchronous = OFF", &error) ||
      (op = vp_staff_store_authenticate (db, VP_DEMO_OPERATOR_ID, VP_DEMO_OPERATOR_PIN, &error)) == NULL ||
      (shift = vp_shift_store_open (db, op, 10000, &error)) == NULL)
    die ("creating the van database", error);

  accounts = vp_account_store_search (db, "光明社区", 0, 200, &error);
  if (accounts == NULL || accounts->len == 0)
    die ("finding demo accounts", error);

  /* The shift opening is entry 1. */
  for (guint i = 1; i < n; i++)
    {
      VpAccount *acct = accounts->pdata[i % accounts->len];
      g_autoptr(VpJournalEntry) e = NULL;

      /* Small sums (¥0.01 to ¥1.00): 20,000 of them stay under the van's
       * offline cash limit (¥30,000), which the store enforces. */
      e = vp_bill_store_pay (db, op, acct->number, 1 + (i % 100), VP_PAYMENT_CASH, NULL, &error);
      if (e == NULL)
        die ("paying", error);
    }
}

typedef struct
{
  guint8 msg[32];
  guint8 sig[64];
} RawSig;

static guint8 raw_key[32];

/* The journal's own hashes and signatures, decoded, and its key. */
static RawSig *
load_raw (VpDatabase *db,
          guint       n,
          EVP_PKEY  **key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = vp_journal_store_list (db, 0, 0, &error);
  g_autofree char *pem = vp_database_dup_public_key_pem (db);
  RawSig *raw;
  BIO *bio;

  if (entries == NULL || entries->len != n || pem == NULL)
    die ("reading the journal", error);

  raw = g_new0 (RawSig, n);
  for (guint i = 0; i < n; i++)
    {
      VpJournalEntry *e = entries->pdata[i];
      g_autofree guint8 *sig = NULL;
      gsize sig_len = 0;

      sig = g_base64_decode (e->signature, &sig_len);
      if (sig_len != 64 || !vp_hex_decode (e->hash, raw[i].msg, 32))
        die ("decoding a signature", NULL);
      memcpy (raw[i].sig, sig, 64);
    }

  bio = BIO_new_mem_buf (pem, -1);
  *key = PEM_read_bio_PUBKEY (bio, NULL, NULL, NULL);
  BIO_free (bio);
  size_t key_len = sizeof raw_key;
  if (*key == NULL || EVP_PKEY_get_raw_public_key (*key, raw_key, &key_len) != 1)
    die ("parsing the public key", NULL);
  return raw;
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v,
        guint   n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
raw_round (const RawSig *raw,
           guint         n)
{
  gint64 t0 = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    if (crypto_sign_verify_detached (raw[i].sig, raw[i].msg, 32, raw_key) != 0)
      die ("raw verify", NULL);
  return n / ((g_get_monotonic_time () - t0) / 1e6);
}

static double
openssl_round (EVP_PKEY     *key,
           const RawSig *raw,
           guint         n)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  gint64 t0 = g_get_monotonic_time ();
  double secs;

  /* Ed25519 is one-shot: the context must be initialised for each
   * message; reusing the context saves its allocation. */
  for (guint i = 0; i < n; i++)
    if (EVP_DigestVerifyInit (ctx, NULL, NULL, NULL, key) != 1 ||
        EVP_DigestVerify (ctx, raw[i].sig, 64, raw[i].msg, 32) != 1)
      die ("OpenSSL verify", NULL);

  secs = (g_get_monotonic_time () - t0) / 1e6;
  EVP_MD_CTX_free (ctx);
  return n / secs;
}

/* The core check alone, one thread, entries already in memory: how much
 * of the raw rate the per-entry work (encoding, SHA-256, base64) keeps. */
static double
chain_round (VpVerifier *verifier,
             GPtrArray  *entries)
{
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  guint n_good = 0;

  if (!vp_journal_verify_chain ((VpJournalEntry **) entries->pdata, entries->len,
                                VP_JOURNAL_GENESIS_HASH, verifier, 1, &n_good, &error))
    die ("vp_journal_verify_chain", error);
  return entries->len / ((g_get_monotonic_time () - t0) / 1e6);
}

static double
store_round (VpDatabase *db,
             guint       n)
{
  g_autoptr(GError) error = NULL;
  gint64 checked = 0, bad = 0;
  gint64 t0 = g_get_monotonic_time ();
  double secs;

  if (!vp_journal_store_verify (db, &checked, &bad, &error))
    die ("verify", error);
  secs = (g_get_monotonic_time () - t0) / 1e6;
  if (checked != n)
    die ("verify checked the wrong number of entries", NULL);
  return n / secs;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 20000;
  guint rounds = argc > 2 ? (guint) atoi (argv[2]) : 5;
  g_autofree char *dir = g_dir_make_tmp ("vanpos-bench-verify-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(VpDatabase) db = NULL;
  g_autofree RawSig *raw = NULL;
  EVP_PKEY *key = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(VpVerifier) verifier = NULL;
  g_autofree char *pem = NULL;
  g_autofree double *raw_rate = NULL;
  g_autofree double *openssl_rate = NULL;
  g_autofree double *store_rate = NULL;
  g_autofree double *chain_rate = NULL;
  g_autofree double *ratio = NULL;
  double med_ratio;
  gint64 t0;

  if (dir == NULL || n < 2 || rounds < 1)
    {
      fprintf (stderr, "bench-verify: %s\n",
               error ? error->message : "usage: bench-verify [N >= 2] [ROUNDS >= 1]");
      return 2;
    }
  path = g_build_filename (dir, "van.db", NULL);
  raw_rate = g_new0 (double, rounds);
  openssl_rate = g_new0 (double, rounds);
  store_rate = g_new0 (double, rounds);
  chain_rate = g_new0 (double, rounds);
  ratio = g_new0 (double, rounds);

  t0 = g_get_monotonic_time ();
  make_van (path, n);
  printf ("Van database: %u entries made in %.1f s (%s)\n", n,
          (g_get_monotonic_time () - t0) / 1e6, path);

  db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, &error);
  if (db == NULL)
    die ("reopening", error);
  raw = load_raw (db, n, &key);
  pem = vp_database_dup_public_key_pem (db);
  verifier = vp_verifier_new (pem, &error);
  entries = vp_journal_store_list (db, 0, 0, &error);
  if (verifier == NULL || entries == NULL)
    die ("reading the journal", error);

  printf ("%u processors\n", g_get_num_processors ());
  for (guint r = 0; r < rounds; r++)
    {
      double a = raw_round (raw, n);
      double o = openssl_round (key, raw, n);
      double b = store_round (db, n);
      double c = chain_round (verifier, entries);

      printf ("round %u: raw Ed25519 verify %6.0f/s (OpenSSL %6.0f/s)   vp_journal_store_verify %6.0f entries/s"
              "   ratio %.2f   (core check, 1 thread, in memory: %6.0f/s)\n",
              r + 1, a, o, b, b / a, c);
      raw_rate[r] = a;
      openssl_rate[r] = o;
      store_rate[r] = b;
      chain_rate[r] = c / a;
      ratio[r] = b / a;
    }

  med_ratio = median (ratio, rounds);
  printf ("medians of %u rounds:\n", rounds);
  printf ("  raw libsodium Ed25519 verify (1 thread): %.0f verifies/s\n", median (raw_rate, rounds));
  printf ("  raw OpenSSL Ed25519 verify (1 thread):   %.0f verifies/s\n", median (openssl_rate, rounds));
  printf ("  vp_journal_store_verify:               %.0f entries/s\n", median (store_rate, rounds));
  printf ("  core check, 1 thread / raw:            %.2fx\n", median (chain_rate, rounds));
  printf ("verify: ratio store/raw (median) = %.2fx  (target >= 0.8x: %s)\n",
          med_ratio, med_ratio >= 0.8 ? "ok" : "UNDER");

  EVP_PKEY_free (key);
  g_clear_object (&db);
  rm_rf (dir);
  return 0;
}
