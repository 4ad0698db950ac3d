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
  g_test_add_func ("/journal-entry/receipt-number", test_receipt_number);
  g_test_add_func ("/journal-entry/verify-code", test_verify_code);

  return g_test_run ();
}
