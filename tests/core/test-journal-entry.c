/* test-journal-entry.c: canonical encoding, hash chain and signatures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include <glib.h>

#include "vp-journal-entry.h"

#define CHAIN_LEN 5

/* The canonical encoding of fixed_entry(), byte for byte. The payload is
 * 50 characters but 56 bytes: the length prefix counts bytes. */
static const char fixed_encoding[] =
  "vanpos-journal-v1\n"
  "6f1c2a3e-8d4b-4c2a-9f10-3b5e7d9a1c20\n"
  "VAN01\n"
  "42\n"
  "pay\n"
  "1795392000000000\n"
  "123456\n"
  "0000000000000000000000000000000000000000000000000000000000000000\n"
  "56:{\"account\":\"01234567897\",\"amount\":12500,\"note\":\"燃气\"}";

/* SHA-256 of fixed_encoding, computed with Python's hashlib. */
#define FIXED_HASH "800c1a5590a002e7337ba3640c28a9c4fc463f40e9182c63ee651b344aa8c801"

static VpJournalEntry *
fixed_entry (void)
{
  VpJournalEntry *entry = vp_journal_entry_new ();

  entry->uuid = g_strdup ("6f1c2a3e-8d4b-4c2a-9f10-3b5e7d9a1c20");
  entry->van_id = g_strdup ("VAN01");
  entry->seq = 42;
  entry->kind = g_strdup (VP_KIND_PAY);
  entry->payload = g_strdup ("{\"account\":\"01234567897\",\"amount\":12500,\"note\":\"燃气\"}");
  entry->device_time = G_GINT64_CONSTANT (1795392000000000);
  entry->monotonic_ms = 123456;
  entry->prev_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);

  return entry;
}

static void
test_encoding (void)
{
  g_autoptr(VpJournalEntry) entry = fixed_entry ();
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *independent = NULL;
  gsize len = 0;
  const guint8 *data;

  bytes = vp_journal_entry_encode (entry);
  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpmem (data, len, fixed_encoding, strlen (fixed_encoding));

  independent = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                             (const guint8 *) fixed_encoding,
                                             strlen (fixed_encoding));
  g_assert_cmpstr (independent, ==, FIXED_HASH);

  hash = vp_journal_entry_compute_hash (entry);
  g_assert_cmpstr (hash, ==, independent);
  /* compute_hash does not fill the entry. */
  g_assert_null (entry->hash);
}

static void
test_encoding_depends_on_every_field (void)
{
  g_autoptr(VpJournalEntry) base = fixed_entry ();
  g_autofree char *base_hash = vp_journal_entry_compute_hash (base);
  static const char *const fields[] = {
    "uuid", "van_id", "seq", "kind", "device_time", "monotonic_ms", "prev_hash", "payload",
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autoptr(VpJournalEntry) e = vp_journal_entry_copy (base);
      g_autofree char *hash = NULL;

      switch (i)
        {
        case 0:
          e->uuid[35] = '1';
          break;
        case 1:
          e->van_id[4] = '2';
          break;
        case 2:
          e->seq++;
          break;
        case 3:
          g_free (e->kind);
          e->kind = g_strdup (VP_KIND_VOID);
          break;
        case 4:
          e->device_time++;
          break;
        case 5:
          e->monotonic_ms++;
          break;
        case 6:
          e->prev_hash[63] = '1';
          break;
        case 7:
          e->payload[10] = '1';
          break;
        default:
          g_assert_not_reached ();
        }

      hash = vp_journal_entry_compute_hash (e);
      g_test_message ("changed %s", fields[i]);
      g_assert_cmpstr (hash, !=, base_hash);
    }
}

typedef struct
{
  VpSigner       *signer;
  char           *public_key;
  VpJournalEntry *chain[CHAIN_LEN];
} Chain;

static void
chain_set_up (Chain        *fx,
              gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  const char *prev = VP_JOURNAL_GENESIS_HASH;

  fx->signer = vp_signer_generate (&error);
  g_assert_no_error (error);
  fx->public_key = vp_signer_public_key_pem (fx->signer);
  g_assert_nonnull (fx->public_key);

  for (guint i = 0; i < CHAIN_LEN; i++)
    {
      VpJournalEntry *e = vp_journal_entry_new ();

      e->uuid = g_uuid_string_random ();
      e->van_id = g_strdup ("VAN01");
      e->seq = i + 1;
      e->kind = g_strdup (i == 0 ? VP_KIND_SHIFT_OPEN : VP_KIND_PAY);
      e->payload = g_strdup_printf ("{\"amount\":%u}", 1000 * (i + 1));
      e->device_time = G_GINT64_CONSTANT (1795392000000000) + i * G_USEC_PER_SEC;
      e->monotonic_ms = 5000 + i * 1000;
      e->prev_hash = g_strdup (prev);

      g_assert_true (vp_journal_entry_seal (e, fx->signer, &error));
      g_assert_no_error (error);
      g_assert_nonnull (e->hash);
      g_assert_nonnull (e->signature);

      fx->chain[i] = e;
      prev = e->hash;
    }
}

static void
chain_tear_down (Chain        *fx,
                 gconstpointer user_data)
{
  for (guint i = 0; i < CHAIN_LEN; i++)
    vp_journal_entry_free (fx->chain[i]);
  g_free (fx->public_key);
  vp_signer_free (fx->signer);
}

static const char *
expected_prev (Chain *fx,
               guint  i)
{
  return i == 0 ? VP_JOURNAL_GENESIS_HASH : fx->chain[i - 1]->hash;
}

static void
test_chain_verifies (Chain        *fx,
                     gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < CHAIN_LEN; i++)
    {
      g_autoptr(VpJournalEntry) copy = NULL;
      g_autofree char *hash = NULL;

      g_assert_true (vp_journal_entry_verify (fx->chain[i], expected_prev (fx, i),
                                              fx->public_key, &error));
      g_assert_no_error (error);

      hash = vp_journal_entry_compute_hash (fx->chain[i]);
      g_assert_cmpstr (hash, ==, fx->chain[i]->hash);

      copy = vp_journal_entry_copy (fx->chain[i]);
      g_assert_true (copy->uuid != fx->chain[i]->uuid);
      g_assert_cmpstr (copy->signature, ==, fx->chain[i]->signature);
      g_assert_true (vp_journal_entry_verify (copy, expected_prev (fx, i),
                                              fx->public_key, &error));
      g_assert_no_error (error);
    }

  /* Each link is to the previous entry; hashes differ. */
  g_assert_cmpstr (fx->chain[0]->prev_hash, ==, VP_JOURNAL_GENESIS_HASH);
  for (guint i = 1; i < CHAIN_LEN; i++)
    {
      g_assert_cmpstr (fx->chain[i]->prev_hash, ==, fx->chain[i - 1]->hash);
      g_assert_cmpstr (fx->chain[i]->hash, !=, fx->chain[i - 1]->hash);
    }

  /* NULL skips the link and signature checks but not the hash. */
  g_assert_true (vp_journal_entry_verify (fx->chain[3], NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_altered_payload (Chain        *fx,
                      gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  VpJournalEntry *e = fx->chain[2];

  g_free (e->payload);
  e->payload = g_strdup ("{\"amount\":9999}");

  g_assert_false (vp_journal_entry_verify (e, expected_prev (fx, 2), fx->public_key, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH);
  g_assert_cmpstr (error->message, ==, "entry 3: hash does not match its content");
  g_clear_error (&error);

  /* Even without a key the content check catches it. */
  g_assert_false (vp_journal_entry_verify (e, NULL, NULL, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH);
}

static void
test_altered_prev_hash (Chain        *fx,
                        gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  VpJournalEntry *e = fx->chain[3];

  /* Points at entry 2 instead of entry 3: a deleted link. */
  g_free (e->prev_hash);
  e->prev_hash = g_strdup (fx->chain[1]->hash);

  g_assert_false (vp_journal_entry_verify (e, expected_prev (fx, 3), fx->public_key, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_PREV_HASH);
  g_assert_true (g_str_has_prefix (error->message, "entry 4: "));
  g_clear_error (&error);

  /* The entry that follows still links to the untouched hash of entry 4. */
  g_assert_true (vp_journal_entry_verify (fx->chain[4], e->hash, fx->public_key, &error));
  g_assert_no_error (error);

  /* Without the link check, the altered prev_hash is caught by the hash. */
  g_assert_false (vp_journal_entry_verify (e, NULL, fx->public_key, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH);
}

static void
test_swapped_signature (Chain        *fx,
                        gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) other = NULL;
  g_autofree char *other_pub = NULL;
  VpJournalEntry *e = fx->chain[2];

  g_free (e->signature);
  e->signature = g_strdup (fx->chain[3]->signature);

  g_assert_false (vp_journal_entry_verify (e, expected_prev (fx, 2), fx->public_key, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SIGNATURE);
  g_assert_cmpstr (error->message, ==, "entry 3: signature does not verify");
  g_clear_error (&error);

  /* The hash itself is intact. */
  g_assert_true (vp_journal_entry_verify (e, expected_prev (fx, 2), NULL, &error));
  g_assert_no_error (error);

  /* Another van's key does not verify an intact entry. */
  other = vp_signer_generate (&error);
  g_assert_no_error (error);
  other_pub = vp_signer_public_key_pem (other);
  g_assert_false (vp_journal_entry_verify (fx->chain[0], VP_JOURNAL_GENESIS_HASH, other_pub,
                                           &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SIGNATURE);
  g_clear_error (&error);

  /* A garbage key is the key's fault, not the entry's. */
  g_assert_false (vp_journal_entry_verify (fx->chain[0], VP_JOURNAL_GENESIS_HASH, "junk",
                                           &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
}

static void
expect_invalid (VpJournalEntry *e,
                const char     *prefix)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (vp_journal_entry_verify (e, NULL, NULL, &error));
  g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, prefix));
}

static void
test_invalid_fields (Chain        *fx,
                     gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  VpJournalEntry *base = fx->chain[1];

  {
    g_autoptr(VpJournalEntry) e = vp_journal_entry_copy (base);
    g_free (e->uuid);
    e->uuid = g_strdup ("not-a-uuid");
    expect_invalid (e, "entry 2: ");
  }
  {
    g_autoptr(VpJournalEntry) e = vp_journal_entry_copy (base);
    e->seq = 0;
    expect_invalid (e, "entry 0: ");
  }
  {
    g_autoptr(VpJournalEntry) e = vp_journal_entry_copy (base);
    g_free (e->kind);
    e->kind = g_strdup ("");
    expect_invalid (e, "entry 2: ");
  }
  {
    g_autoptr(VpJournalEntry) e = vp_journal_entry_copy (base);
    g_free (e->kind);
    e->kind = g_strdup ("缴费");
    expect_invalid (e, "entry 2: ");
  }
  {
    g_autoptr(VpJournalEntry) e = vp_journal_entry_copy (base);
    g_free (e->payload);
    e->payload = g_strdup ("{\"note\":\"\xff\xfe\"}");
    expect_invalid (e, "entry 2: ");
  }
  {
    g_autoptr(VpJournalEntry) e = vp_journal_entry_copy (base);
    char *up = g_ascii_strup (e->hash, -1);
    g_free (e->hash);
    e->hash = up;
    expect_invalid (e, "entry 2: ");
  }
  {
    g_autoptr(VpJournalEntry) e = vp_journal_entry_copy (base);
    e->prev_hash[10] = '\0';
    expect_invalid (e, "entry 2: ");
  }
  {
    g_autoptr(VpJournalEntry) e = vp_journal_entry_copy (base);
    g_clear_pointer (&e->signature, g_free);
    /* Only a missing signature matters when one is to be checked. */
    g_assert_true (vp_journal_entry_verify (e, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (vp_journal_entry_verify (e, NULL, fx->public_key, &error));
    g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID);
    g_clear_error (&error);
  }
  {
    /* Sealing refuses a malformed entry and leaves it unchanged. */
    g_autoptr(VpJournalEntry) e = fixed_entry ();
    g_free (e->uuid);
    e->uuid = g_strdup ("6f1c2a3e8d4b4c2a9f103b5e7d9a1c20");
    g_assert_false (vp_journal_entry_seal (e, fx->signer, &error));
    g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID);
    g_assert_null (e->hash);
    g_assert_null (e->signature);
    g_clear_error (&error);
  }
}

static void
test_receipt_number (void)
{
  g_autofree char *number = NULL;
  g_autofree char *big = NULL;
  g_autofree char *last = NULL;
  g_autofree char *next = NULL;
  g_autofree char *noon = NULL;
  g_autoptr(GDateTime) local_noon = NULL;

  /* TZ is CST-8 (set in main): 2026-11-22 16:30 UTC is 00:30 on the 23rd. */
  number = vp_journal_receipt_number ("VAN01", G_GINT64_CONSTANT (1795365000) * G_USEC_PER_SEC, 42);
  g_assert_cmpstr (number, ==, "VAN01-20261123-000042");

  /* The last µs of the local day, and the first of the next. */
  last = vp_journal_receipt_number ("VAN01", G_GINT64_CONSTANT (1795449600) * G_USEC_PER_SEC - 1,
                                    7);
  g_assert_cmpstr (last, ==, "VAN01-20261123-000007");
  next = vp_journal_receipt_number ("VAN01", G_GINT64_CONSTANT (1795449600) * G_USEC_PER_SEC, 7);
  g_assert_cmpstr (next, ==, "VAN01-20261124-000007");

  big = vp_journal_receipt_number ("VAN01", G_GINT64_CONSTANT (1795365000) * G_USEC_PER_SEC,
                                   1234567);
  g_assert_cmpstr (big, ==, "VAN01-20261123-1234567");

  local_noon = g_date_time_new_local (2027, 1, 5, 12, 0, 0);
  noon = vp_journal_receipt_number ("VAN07", g_date_time_to_unix (local_noon) * G_USEC_PER_SEC, 1);
  g_assert_cmpstr (noon, ==, "VAN07-20270105-000001");
}

static void
test_verify_code (void)
{
  g_autofree char *code = vp_journal_verify_code (
    "3fa90c1d99999999999999999999999999999999999999999999999999999999");
  g_autofree char *fixed = vp_journal_verify_code (FIXED_HASH);

  g_assert_cmpstr (code, ==, "3FA9-0C1D");
  g_assert_cmpstr (fixed, ==, "800C-1A55");
  g_assert_cmpuint (strlen (fixed), ==, 9);
}

/* The parallel chain check (vp_journal_verify_chain) against the
 * sequential one, entry by entry with vp_journal_entry_verify. */

#define LONG_LEN 64

typedef struct
{
  VpSigner        *signer;
  char            *public_key;
  VpVerifier      *verifier;
  VpJournalEntry **chain;      /* LONG_LEN entries, seq 1 … LONG_LEN */
} LongChain;

static void
long_chain_set_up (LongChain    *fx,
                   gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  const char *prev = VP_JOURNAL_GENESIS_HASH;

  fx->signer = vp_signer_generate (&error);
  g_assert_no_error (error);
  fx->public_key = vp_signer_public_key_pem (fx->signer);
  fx->verifier = vp_verifier_new (fx->public_key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->verifier);

  fx->chain = g_new0 (VpJournalEntry *, LONG_LEN);
  for (guint i = 0; i < LONG_LEN; i++)
    {
      VpJournalEntry *e = vp_journal_entry_new ();

      e->uuid = g_uuid_string_random ();
      e->van_id = g_strdup ("VAN01");
      e->seq = i + 1;
      e->kind = g_strdup (VP_KIND_PAY);
      e->payload = g_strdup_printf ("{\"amount\":%u}", 100 * (i + 1));
      e->device_time = G_GINT64_CONSTANT (1795392000000000) + i * G_USEC_PER_SEC;
      e->monotonic_ms = 5000 + i * 1000;
      e->prev_hash = g_strdup (prev);
      g_assert_true (vp_journal_entry_seal (e, fx->signer, &error));
      g_assert_no_error (error);

      fx->chain[i] = e;
      prev = e->hash;
    }
}

static void
long_chain_tear_down (LongChain    *fx,
                      gconstpointer user_data)
{
  for (guint i = 0; i < LONG_LEN; i++)
    vp_journal_entry_free (fx->chain[i]);
  g_free (fx->chain);
  vp_verifier_free (fx->verifier);
  g_free (fx->public_key);
  vp_signer_free (fx->signer);
}

/* The reference: each entry in turn, linked to the stored hash of the one
 * before, stopping at the first bad one. */
static gboolean
sequential_check (VpJournalEntry **entries,
                  guint            n,
                  const char      *prev_hash,
                  const char      *public_key,
                  guint           *n_good,
                  GError         **error)
{
  for (guint i = 0; i < n; i++)
    if (!vp_journal_entry_verify (entries[i], i == 0 ? prev_hash : entries[i - 1]->hash,
                                  public_key, error))
      {
        *n_good = i;
        return FALSE;
      }

  *n_good = n;
  return TRUE;
}

/* For every thread count: the parallel check gives exactly the sequential
 * answer, which must be @bad (n when all are good) with error @code
 * (-1 when all are good). */
static void
assert_chain (VpJournalEntry **entries,
              guint            n,
              const char      *prev_hash,
              VpVerifier      *verifier,
              const char      *public_key,
              guint            bad,
              gint             code)
{
  static const guint thread_counts[] = { 1, 2, 7, 0 };
  g_autoptr(GError) seq_error = NULL;
  guint seq_good = G_MAXUINT;
  gboolean seq_ok;

  seq_ok = sequential_check (entries, n, prev_hash, public_key, &seq_good, &seq_error);
  g_assert_cmpuint (seq_good, ==, bad);
  if (code < 0)
    {
      g_assert_true (seq_ok);
      g_assert_no_error (seq_error);
    }
  else
    {
      g_assert_false (seq_ok);
      g_assert_error (seq_error, VP_JOURNAL_ERROR, code);
    }

  for (guint t = 0; t < G_N_ELEMENTS (thread_counts); t++)
    {
      g_autoptr(GError) error = NULL;
      guint n_good = G_MAXUINT;
      gboolean ok;

      g_test_message ("%u entries, %u threads", n, thread_counts[t]);
      ok = vp_journal_verify_chain (entries, n, prev_hash, verifier, thread_counts[t],
                                    &n_good, &error);
      g_assert_cmpint (ok, ==, seq_ok);
      g_assert_cmpuint (n_good, ==, bad);
      if (seq_error == NULL)
        g_assert_no_error (error);
      else
        {
          g_assert_error (error, seq_error->domain, seq_error->code);
          g_assert_cmpstr (error->message, ==, seq_error->message);
        }
    }
}

static void
test_chain_parallel_intact (LongChain    *fx,
                            gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  guint n_good = G_MAXUINT;

  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                LONG_LEN, -1);

  /* Any run of the chain, linked to the entry before it. */
  assert_chain (fx->chain + 20, 30, fx->chain[19]->hash, fx->verifier, fx->public_key, 30, -1);

  /* No entries; one entry; fewer entries than threads. */
  assert_chain (fx->chain, 0, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key, 0, -1);
  g_assert_true (vp_journal_verify_chain (NULL, 0, NULL, NULL, 7, &n_good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_good, ==, 0);
  assert_chain (fx->chain, 1, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key, 1, -1);
  assert_chain (fx->chain + 9, 1, fx->chain[8]->hash, fx->verifier, fx->public_key, 1, -1);
  assert_chain (fx->chain, 3, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key, 3, -1);

  /* The first link is to @prev_hash; NULL skips it. */
  assert_chain (fx->chain + 1, 10, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                0, VP_JOURNAL_ERROR_PREV_HASH);
  assert_chain (fx->chain + 1, 1, fx->chain[1]->hash, fx->verifier, fx->public_key,
                0, VP_JOURNAL_ERROR_PREV_HASH);
  n_good = G_MAXUINT;
  g_assert_true (vp_journal_verify_chain (fx->chain + 1, 10, NULL, fx->verifier, 2,
                                          &n_good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_good, ==, 10);
}

static void
test_chain_parallel_altered_payload (LongChain    *fx,
                                     gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  guint n_good = G_MAXUINT;

  g_free (fx->chain[40]->payload);
  fx->chain[40]->payload = g_strdup ("{\"amount\":1}");
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                40, VP_JOURNAL_ERROR_HASH);

  g_assert_false (vp_journal_verify_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH,
                                           fx->verifier, 7, &n_good, &error));
  g_assert_cmpstr (error->message, ==, "entry 41: hash does not match its content");

  /* Only the one entry, and the run that stops just before it. */
  assert_chain (fx->chain + 40, 1, fx->chain[39]->hash, fx->verifier, fx->public_key,
                0, VP_JOURNAL_ERROR_HASH);
  assert_chain (fx->chain, 40, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key, 40, -1);

  /* The first and the last entry. */
  g_free (fx->chain[LONG_LEN - 1]->payload);
  fx->chain[LONG_LEN - 1]->payload = g_strdup ("{}");
  assert_chain (fx->chain + 41, LONG_LEN - 41, fx->chain[40]->hash, fx->verifier,
                fx->public_key, LONG_LEN - 42, VP_JOURNAL_ERROR_HASH);
  fx->chain[0]->device_time++;
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                0, VP_JOURNAL_ERROR_HASH);
}

static void
test_chain_parallel_bad_link (LongChain    *fx,
                              gconstpointer user_data)
{
  /* Entry 22 points past entry 21, as if it had been cut out. */
  g_free (fx->chain[21]->prev_hash);
  fx->chain[21]->prev_hash = g_strdup (fx->chain[19]->hash);
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                21, VP_JOURNAL_ERROR_PREV_HASH);

  /* A hash column rewritten at 11: its own content check fails first,
   * before the link of the entry after it. */
  g_free (fx->chain[10]->hash);
  fx->chain[10]->hash = g_strdup ("1111111111111111111111111111111111111111111111111111111111111111");
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                10, VP_JOURNAL_ERROR_HASH);
  /* Without entry 11 in the run, entry 12 does not link to what it is given. */
  assert_chain (fx->chain + 11, 5, fx->chain[10]->hash, fx->verifier, fx->public_key,
                0, VP_JOURNAL_ERROR_PREV_HASH);
}

static void
test_chain_parallel_bad_signature (LongChain    *fx,
                                   gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) other = NULL;
  g_autoptr(VpVerifier) other_verifier = NULL;
  g_autofree char *other_pub = NULL;
  g_autofree char *saved = g_strdup (fx->chain[50]->signature);
  guint n_good = G_MAXUINT;

  g_free (fx->chain[50]->signature);
  fx->chain[50]->signature = g_strdup (fx->chain[51]->signature);
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                50, VP_JOURNAL_ERROR_SIGNATURE);
  g_assert_false (vp_journal_verify_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH,
                                           fx->verifier, 2, &n_good, &error));
  g_assert_cmpstr (error->message, ==, "entry 51: signature does not verify");
  g_clear_error (&error);

  /* No verifier: signatures are not checked. */
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, NULL, NULL, LONG_LEN, -1);

  /* A missing signature is a malformed entry when signatures are checked. */
  g_clear_pointer (&fx->chain[5]->signature, g_free);
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                5, VP_JOURNAL_ERROR_INVALID);
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, NULL, NULL, LONG_LEN, -1);
  fx->chain[5]->signature = g_strdup ("");
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                5, VP_JOURNAL_ERROR_INVALID);

  /* Another van's key fails the first entry. */
  other = vp_signer_generate (&error);
  g_assert_no_error (error);
  other_pub = vp_signer_public_key_pem (other);
  other_verifier = vp_verifier_new (other_pub, &error);
  g_assert_no_error (error);
  assert_chain (fx->chain + 6, 40, fx->chain[5]->hash, other_verifier, other_pub,
                0, VP_JOURNAL_ERROR_SIGNATURE);
  g_free (fx->chain[50]->signature);
  fx->chain[50]->signature = g_steal_pointer (&saved);
  assert_chain (fx->chain + 6, LONG_LEN - 6, fx->chain[5]->hash, fx->verifier, fx->public_key,
                LONG_LEN - 6, -1);
}

/* Damage in several places, in different threads' runs (7 threads over
 * 64 entries: runs of 9 or 10): the lowest wins whichever thread gets
 * there first. */
static void
test_chain_parallel_several (LongChain    *fx,
                             gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  guint n_good = G_MAXUINT;

  g_free (fx->chain[60]->signature);
  fx->chain[60]->signature = g_strdup (fx->chain[61]->signature);
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                60, VP_JOURNAL_ERROR_SIGNATURE);

  fx->chain[45]->monotonic_ms++;
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                45, VP_JOURNAL_ERROR_HASH);

  g_free (fx->chain[33]->prev_hash);
  fx->chain[33]->prev_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                33, VP_JOURNAL_ERROR_PREV_HASH);

  /* Two in the same run: the earlier one. */
  g_free (fx->chain[31]->uuid);
  fx->chain[31]->uuid = g_strdup ("not-a-uuid");
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                31, VP_JOURNAL_ERROR_INVALID);

  g_free (fx->chain[12]->signature);
  fx->chain[12]->signature = g_strdup (fx->chain[11]->signature);
  assert_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH, fx->verifier, fx->public_key,
                12, VP_JOURNAL_ERROR_SIGNATURE);

  /* The same answer however often it is asked. */
  for (guint i = 0; i < 20; i++)
    {
      n_good = G_MAXUINT;
      g_assert_false (vp_journal_verify_chain (fx->chain, LONG_LEN, VP_JOURNAL_GENESIS_HASH,
                                               fx->verifier, 7, &n_good, &error));
      g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SIGNATURE);
      g_assert_cmpstr (error->message, ==, "entry 13: signature does not verify");
      g_assert_cmpuint (n_good, ==, 12);
      g_clear_error (&error);
    }
}

/* The base64 character with the same value but the unused low bit set:
 * decodes to the same bytes, so only a strict check refuses it. */
static char *
noncanonical_signature (const char *sig)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *copy = g_strdup (sig);
  g_autofree guint8 *a = NULL;
  g_autofree guint8 *b = NULL;
  gsize a_len = 0, b_len = 0;
  const char *pos;

  /* 64 bytes: 85 characters, then "==", the last one with 4 unused bits. */
  g_assert_cmpuint (strlen (sig), ==, 88);
  g_assert_cmpint (sig[86], ==, '=');
  pos = strchr (alphabet, sig[85]);
  g_assert_nonnull (pos);
  copy[85] = alphabet[(pos - alphabet) ^ 1];

  a = g_base64_decode (sig, &a_len);
  b = g_base64_decode (copy, &b_len);
  g_assert_cmpmem (a, a_len, b, b_len);
  return copy;
}

static void
test_verifier (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) wrapper_error = NULL;
  g_autoptr(VpSigner) signer = NULL;
  g_autoptr(VpSigner) other = NULL;
  g_autoptr(VpVerifier) verifier = NULL;
  g_autoptr(VpVerifier) other_verifier = NULL;
  g_autofree char *pub = NULL;
  g_autofree char *other_pub = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *loose = NULL;
  g_autofree char *spaced = NULL;
  g_autofree char *truncated = NULL;
  static const char garbage[] =
    "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PUBLIC KEY-----\n";
  /* An X25519 SubjectPublicKeyInfo: a real key of the wrong type. */
  static const char x25519[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VuAyEAVl6YxJpOP4Ow5ILhCA9CuEMzDpbtwqmn/EIjO2qAN0s=\n"
    "-----END PUBLIC KEY-----\n";
  guint8 data[32];
  const char *bad_keys[] = { "hello", garbage, x25519, NULL };
  struct { const char *name; const char *sig; const char *message; } bad_sigs[] = {
    { "empty", "", "The signature is not a base64 Ed25519 signature" },
    { "short", "AAAA", "The signature is not a base64 Ed25519 signature" },
    { "non-canonical", NULL, "The signature is not a base64 Ed25519 signature" },
    { "with a space", NULL, "The signature is not a base64 Ed25519 signature" },
    { "other data", NULL, "The signature does not verify" },
  };

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) (i * 11 + 3);
  signer = vp_signer_generate (&error);
  g_assert_no_error (error);
  pub = vp_signer_public_key_pem (signer);
  sig = vp_signer_sign (signer, data, sizeof data, &error);
  g_assert_no_error (error);

  /* Keys: the same refusals, word for word, as vp_signature_verify(). */
  truncated = g_strndup (pub, strlen (pub) / 2);
  bad_keys[3] = truncated;
  for (guint i = 0; i < G_N_ELEMENTS (bad_keys); i++)
    {
      g_autoptr(VpVerifier) v = vp_verifier_new (bad_keys[i], &error);

      g_assert_null (v);
      g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
      g_assert_false (vp_signature_verify (bad_keys[i], data, sizeof data, sig, &wrapper_error));
      g_assert_error (wrapper_error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_KEY);
      g_assert_cmpstr (error->message, ==, wrapper_error->message);
      g_clear_error (&error);
      g_clear_error (&wrapper_error);
    }
  {
    g_autoptr(VpVerifier) v = vp_verifier_new (x25519, &error);
    g_assert_cmpstr (error->message, ==, "The public key is not an Ed25519 key");
    g_clear_error (&error);
  }

  verifier = vp_verifier_new (pub, &error);
  g_assert_no_error (error);
  g_assert_nonnull (verifier);
  g_assert_true (vp_verifier_verify (verifier, data, sizeof data, sig, &error));
  g_assert_no_error (error);
  /* Used again: the key is parsed once, not consumed. */
  g_assert_true (vp_verifier_verify (verifier, data, sizeof data, sig, &error));
  g_assert_no_error (error);

  /* Signatures: only the canonical spelling of 64 bytes is accepted. */
  loose = noncanonical_signature (sig);
  bad_sigs[2].sig = loose;
  spaced = g_strdup_printf ("%.44s %s", sig, sig + 44);
  bad_sigs[3].sig = spaced;
  bad_sigs[4].sig = sig;
  data[0] ^= 1;
  for (guint i = 0; i < G_N_ELEMENTS (bad_sigs); i++)
    {
      g_test_message ("signature: %s", bad_sigs[i].name);
      if (i < 4)
        data[0] ^= 1;     /* the right data for the malformed ones */
      g_assert_false (vp_verifier_verify (verifier, data, sizeof data, bad_sigs[i].sig, &error));
      g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE);
      g_assert_cmpstr (error->message, ==, bad_sigs[i].message);
      g_assert_false (vp_signature_verify (pub, data, sizeof data, bad_sigs[i].sig,
                                           &wrapper_error));
      g_assert_error (wrapper_error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE);
      g_assert_cmpstr (wrapper_error->message, ==, bad_sigs[i].message);
      g_clear_error (&error);
      g_clear_error (&wrapper_error);
      if (i < 4)
        data[0] ^= 1;
    }
  data[0] ^= 1;

  /* Another van's key. */
  other = vp_signer_generate (&error);
  g_assert_no_error (error);
  other_pub = vp_signer_public_key_pem (other);
  other_verifier = vp_verifier_new (other_pub, &error);
  g_assert_no_error (error);
  g_assert_false (vp_verifier_verify (other_verifier, data, sizeof data, sig, &error));
  g_assert_error (error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_true (vp_verifier_verify (verifier, data, sizeof data, sig, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  /* Before any GLib time zone use, so "local" is the same on every host. */
  g_setenv ("TZ", "CST-8", TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/journal-entry/encoding", test_encoding);
  g_test_add_func ("/journal-entry/encoding-depends-on-every-field",
                   test_encoding_depends_on_every_field);
  g_test_add ("/journal-entry/chain-verifies", Chain, NULL,
              chain_set_up, test_chain_verifies, chain_tear_down);
  g_test_add ("/journal-entry/altered-payload", Chain, NULL,
              chain_set_up, test_altered_payload, chain_tear_down);
  g_test_add ("/journal-entry/altered-prev-hash", Chain, NULL,
              chain_set_up, test_altered_prev_hash, chain_tear_down);
  g_test_add ("/journal-entry/swapped-signature", Chain, NULL,
              chain_set_up, test_swapped_signature, chain_tear_down);
  g_test_add ("/journal-entry/invalid-fields", Chain, NULL,
              chain_set_up, test_invalid_fields, chain_tear_down);
  g_test_add_func ("/journal-entry/verifier", test_verifier);
  g_test_add ("/journal-entry/chain-parallel/intact", LongChain, NULL,
              long_chain_set_up, test_chain_parallel_intact, long_chain_tear_down);
  g_test_add ("/journal-entry/chain-parallel/altered-payload", LongChain, NULL,
              long_chain_set_up, test_chain_parallel_altered_payload, long_chain_tear_down);
  g_test_add ("/journal-entry/chain-parallel/bad-link", LongChain, NULL,
              long_chain_set_up, test_chain_parallel_bad_link, long_chain_tear_down);
  g_test_add ("/journal-entry/chain-parallel/bad-signature", LongChain, NULL,
              long_chain_set_up, test_chain_parallel_bad_signature, long_chain_tear_down);
  g_test_add ("/journal-entry/chain-parallel/several", LongChain, NULL,
              long_chain_set_up, test_chain_parallel_several, long_chain_tear_down);
  g_test_add_func ("/journal-entry/receipt-number", test_receipt_number);
  g_test_add_func ("/journal-entry/verify-code", test_verify_code);

  return g_test_run ();
}
