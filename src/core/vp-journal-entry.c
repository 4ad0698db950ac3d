/* vp-journal-entry.c: canonical encoding, SHA-256 chain link and
 * Ed25519 signature of one journal entry.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "vp-journal-entry.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#define ENCODING_MAGIC "vanpos-journal-v1\n"
#define HASH_HEX_LEN   64
#define HASH_RAW_LEN   32

G_DEFINE_QUARK (vp-journal-error-quark, vp_journal_error)

/**
 * vp_journal_entry_new:
 *
 * Returns: (transfer full): an empty entry; every string field is %NULL
 */
VpJournalEntry *
vp_journal_entry_new (void)
{
  return g_new0 (VpJournalEntry, 1);
}

/**
 * vp_journal_entry_copy:
 * @entry: a #VpJournalEntry
 *
 * Returns: (transfer full): a deep copy of @entry
 */
VpJournalEntry *
vp_journal_entry_copy (const VpJournalEntry *entry)
{
  VpJournalEntry *copy;

  g_return_val_if_fail (entry != NULL, NULL);

  copy = vp_journal_entry_new ();
  copy->uuid = g_strdup (entry->uuid);
  copy->van_id = g_strdup (entry->van_id);
  copy->seq = entry->seq;
  copy->kind = g_strdup (entry->kind);
  copy->payload = g_strdup (entry->payload);
  copy->device_time = entry->device_time;
  copy->monotonic_ms = entry->monotonic_ms;
  copy->prev_hash = g_strdup (entry->prev_hash);
  copy->hash = g_strdup (entry->hash);
  copy->signature = g_strdup (entry->signature);

  return copy;
}

/**
 * vp_journal_entry_free:
 * @entry: (nullable): a #VpJournalEntry
 */
void
vp_journal_entry_free (VpJournalEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->uuid);
  g_free (entry->van_id);
  g_free (entry->kind);
  g_free (entry->payload);
  g_free (entry->prev_hash);
  g_free (entry->hash);
  g_free (entry->signature);
  g_free (entry);
}

static gboolean
is_hash_hex (const char *str)
{
  if (str == NULL || strlen (str) != HASH_HEX_LEN)
    return FALSE;

  for (const char *p = str; *p != '\0'; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return FALSE;

  return TRUE;
}

/* Kinds are short dotted ASCII tokens ("topup.intent"); printable and free
 * of whitespace so no kind can smuggle a field separator into the encoding. */
static gboolean
is_valid_kind (const char *kind)
{
  if (kind == NULL || *kind == '\0')
    return FALSE;

  for (const char *p = kind; *p != '\0'; p++)
    if (!g_ascii_isgraph (*p))
      return FALSE;

  return TRUE;
}

/* The van id ends up both in the encoding and on the receipt; a newline
 * would make the encoding ambiguous. */
static gboolean
is_valid_van_id (const char *van_id)
{
  if (van_id == NULL || *van_id == '\0' || !g_utf8_validate (van_id, -1, NULL))
    return FALSE;

  for (const char *p = van_id; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      return FALSE;

  return TRUE;
}

static gboolean
invalid (GError   **error,
         gint64     seq,
         const char *what)
{
  g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID,
               _("entry %lld: %s"), (long long) seq, what);
  return FALSE;
}

/* Checks everything the encoding depends on; @check_hash also requires a
 * well-formed hash (for verification, not for sealing). */
static gboolean
validate_fields (const VpJournalEntry *entry,
                 gboolean              check_hash,
                 GError              **error)
{
  if (entry->seq < 1)
    return invalid (error, entry->seq, _("sequence number must be 1 or more"));

  if (entry->uuid == NULL || !g_uuid_string_is_valid (entry->uuid))
    return invalid (error, entry->seq, _("uuid is missing or not a valid UUID"));

  if (!is_valid_van_id (entry->van_id))
    return invalid (error, entry->seq,
                    _("van id is missing or contains control characters"));

  if (!is_valid_kind (entry->kind))
    return invalid (error, entry->seq,
                    _("kind is missing or not printable ASCII without spaces"));

  if (entry->payload == NULL || !g_utf8_validate (entry->payload, -1, NULL))
    return invalid (error, entry->seq, _("payload is missing or not valid UTF-8"));

  if (!is_hash_hex (entry->prev_hash))
    return invalid (error, entry->seq,
                    _("previous hash is missing or not 64 lower-case hex digits"));

  if (check_hash && !is_hash_hex (entry->hash))
    return invalid (error, entry->seq, _("hash is missing or not 64 lower-case hex digits"));

  return TRUE;
}

/**
 * vp_journal_entry_encode:
 * @entry: a #VpJournalEntry with uuid, van_id, kind, payload and prev_hash set
 *
 * Builds the canonical version 1 encoding described in vp-journal-entry.h.
 * The hash and signature are not part of it.
 *
 * Returns: (transfer full): the encoding
 */
GBytes *
vp_journal_entry_encode (const VpJournalEntry *entry)
{
  GString *str;
  gsize payload_len;

  g_return_val_if_fail (entry != NULL, NULL);
  g_return_val_if_fail (entry->uuid != NULL, NULL);
  g_return_val_if_fail (entry->van_id != NULL, NULL);
  g_return_val_if_fail (entry->kind != NULL, NULL);
  g_return_val_if_fail (entry->payload != NULL, NULL);
  g_return_val_if_fail (entry->prev_hash != NULL, NULL);

  payload_len = strlen (entry->payload);
  str = g_string_sized_new (256 + payload_len);

  g_string_append (str, ENCODING_MAGIC);
  g_string_append (str, entry->uuid);
  g_string_append_c (str, '\n');
  g_string_append (str, entry->van_id);
  g_string_append_c (str, '\n');
  g_string_append_printf (str, "%" G_GINT64_FORMAT "\n", entry->seq);
  g_string_append (str, entry->kind);
  g_string_append_c (str, '\n');
  g_string_append_printf (str, "%" G_GINT64_FORMAT "\n", entry->device_time);
  g_string_append_printf (str, "%" G_GINT64_FORMAT "\n", entry->monotonic_ms);
  g_string_append (str, entry->prev_hash);
  g_string_append_c (str, '\n');
  g_string_append_printf (str, "%" G_GSIZE_FORMAT ":", payload_len);
  g_string_append_len (str, entry->payload, (gssize) payload_len);

  return g_string_free_to_bytes (str);
}

/**
 * vp_journal_entry_compute_hash:
 * @entry: a #VpJournalEntry
 *
 * Returns: (transfer full): the lower-case hex SHA-256 of the canonical
 *   encoding; entry->hash is not consulted or changed
 */
char *
vp_journal_entry_compute_hash (const VpJournalEntry *entry)
{
  g_autoptr(GBytes) bytes = NULL;
  gconstpointer data;
  gsize len;

  g_return_val_if_fail (entry != NULL, NULL);

  bytes = vp_journal_entry_encode (entry);
  if (bytes == NULL)
    return NULL;

  data = g_bytes_get_data (bytes, &len);
  return vp_sha256_hex (data, len);
}

/**
 * vp_journal_entry_seal:
 * @entry: a #VpJournalEntry with every field but hash and signature set
 * @signer: the van's key
 * @error: return location for a #GError
 *
 * Fills entry->hash and entry->signature (Ed25519 over the 32 raw hash
 * bytes). On error @entry is unchanged.
 *
 * Returns: %TRUE on success
 */
gboolean
vp_journal_entry_seal (VpJournalEntry *entry,
                       VpSigner       *signer,
                       GError        **error)
{
  g_autofree char *hash = NULL;
  g_autofree char *signature = NULL;
  guint8 raw[HASH_RAW_LEN];

  g_return_val_if_fail (entry != NULL, FALSE);
  g_return_val_if_fail (signer != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!validate_fields (entry, FALSE, error))
    return FALSE;

  hash = vp_journal_entry_compute_hash (entry);
  if (hash == NULL)
    {
      g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH,
                   _("entry %lld: could not compute the hash"), (long long) entry->seq);
      return FALSE;
    }

  if (!vp_hex_decode (hash, raw, sizeof raw))
    g_assert_not_reached ();

  signature = vp_signer_sign (signer, raw, sizeof raw, error);
  if (signature == NULL)
    {
      g_prefix_error (error, _("entry %lld: "), (long long) entry->seq);
      return FALSE;
    }

  g_free (entry->hash);
  entry->hash = g_steal_pointer (&hash);
  g_free (entry->signature);
  entry->signature = g_steal_pointer (&signature);

  return TRUE;
}

/* The one definition of an entry check, for vp_journal_entry_verify()
 * (key as PEM, parsed only when the signature is reached, so that a broken
 * entry is named before a broken key) and vp_journal_verify_chain() (key
 * parsed once). With neither key the signature is not checked. */
static gboolean
entry_verify (const VpJournalEntry *entry,
              const char           *expected_prev_hash,
              const char           *public_key_pem,
              VpVerifier           *verifier,
              GError              **error)
{
  g_autofree char *hash = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean check_signature = public_key_pem != NULL || verifier != NULL;
  guint8 raw[HASH_RAW_LEN];
  gboolean sig_ok;

  if (!validate_fields (entry, TRUE, error))
    return FALSE;

  if (check_signature && (entry->signature == NULL || *entry->signature == '\0'))
    return invalid (error, entry->seq, _("signature is missing"));

  if (expected_prev_hash != NULL && strcmp (entry->prev_hash, expected_prev_hash) != 0)
    {
      g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_PREV_HASH,
                   _("entry %lld: does not link to the previous entry "
                     "(previous hash %.12s…, expected %.12s…)"),
                   (long long) entry->seq, entry->prev_hash, expected_prev_hash);
      return FALSE;
    }

  hash = vp_journal_entry_compute_hash (entry);
  if (hash == NULL || strcmp (hash, entry->hash) != 0)
    {
      g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_HASH,
                   _("entry %lld: hash does not match its content"), (long long) entry->seq);
      return FALSE;
    }

  if (!check_signature)
    return TRUE;

  if (!vp_hex_decode (entry->hash, raw, sizeof raw))
    g_assert_not_reached ();

  if (verifier != NULL)
    sig_ok = vp_verifier_verify (verifier, raw, sizeof raw, entry->signature, &local_error);
  else
    sig_ok = vp_signature_verify (public_key_pem, raw, sizeof raw, entry->signature, &local_error);

  if (!sig_ok)
    {
      if (g_error_matches (local_error, VP_SIGNER_ERROR, VP_SIGNER_ERROR_BAD_SIGNATURE))
        {
          g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_SIGNATURE,
                       _("entry %lld: signature does not verify"), (long long) entry->seq);
          return FALSE;
        }

      g_prefix_error (&local_error, _("entry %lld: "), (long long) entry->seq);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

/**
 * vp_journal_entry_verify:
 * @entry: a sealed #VpJournalEntry
 * @expected_prev_hash: (nullable): the previous entry's hash, or
 *   %VP_JOURNAL_GENESIS_HASH for the first entry; %NULL skips the link check
 * @public_key_pem: (nullable): the van's public key; %NULL skips the
 *   signature check
 * @error: return location for a #GError
 *
 * Checks, in order: field syntax (%VP_JOURNAL_ERROR_INVALID), the link
 * (%VP_JOURNAL_ERROR_PREV_HASH), the hash (%VP_JOURNAL_ERROR_HASH) and the
 * signature (%VP_JOURNAL_ERROR_SIGNATURE). Every message starts with
 * "entry <seq>:". A @public_key_pem that is not an Ed25519 key is reported
 * as %VP_SIGNER_ERROR_KEY, since it is no fault of the entry.
 *
 * Returns: %TRUE if every requested check passes
 */
gboolean
vp_journal_entry_verify (const VpJournalEntry *entry,
                         const char           *expected_prev_hash,
                         const char           *public_key_pem,
                         GError              **error)
{
  g_return_val_if_fail (entry != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return entry_verify (entry, expected_prev_hash, public_key_pem, NULL, error);
}

/* One thread's share of vp_journal_verify_chain(): a contiguous run of
 * entries, checked in order up to the first bad one. */
typedef struct
{
  VpJournalEntry **entries;
  const char      *prev_hash;
  VpVerifier      *verifier;
  guint            from;
  guint            to;
  gint            *lowest_bad;   /* shared, atomic; G_MAXINT while none */
  guint            bad;          /* index of this run's first bad entry, or to */
  GError          *error;
} ChainJob;

static gpointer
chain_worker (gpointer data)
{
  ChainJob *job = data;

  job->bad = job->to;
  for (guint i = job->from; i < job->to; i++)
    {
      /* An entry after a known bad one cannot change the answer. */
      if ((gint) i > g_atomic_int_get (job->lowest_bad))
        break;

      /* The link is to the stored hash of the entry before, exactly as a
       * sequential walk would compare it; if that entry is itself bad it
       * is the lower index and wins. */
      if (!entry_verify (job->entries[i],
                         i == 0 ? job->prev_hash : job->entries[i - 1]->hash,
                         NULL, job->verifier, &job->error))
        {
          gint seen = g_atomic_int_get (job->lowest_bad);

          job->bad = i;
          while ((gint) i < seen &&
                 !g_atomic_int_compare_and_exchange_full (job->lowest_bad, seen, (gint) i, &seen))
            ;
          break;
        }
    }

  return NULL;
}

/**
 * vp_journal_verify_chain:
 * @entries: (array length=n_entries): consecutive entries, oldest first
 * @n_entries: number of @entries
 * @prev_hash: (nullable): the hash the first entry must link to
 *   (%VP_JOURNAL_GENESIS_HASH for seq 1); %NULL skips that one link check
 * @verifier: (nullable): the van's key; %NULL skips the signature checks
 * @n_threads: threads to spread the work over; 0 for one per processor
 * @n_good: (out) (optional): number of entries before the first bad one
 *   (@n_entries if all are good)
 * @error: return location for a #GError
 *
 * Checks every entry exactly as vp_journal_entry_verify() does, each one
 * linked to the stored hash of the one before it, but spreads the hashes
 * and signatures, most of the cost, over @n_threads threads. The answer
 * does not depend on the threads: on failure the error is the one
 * vp_journal_entry_verify() gives for the lowest bad index, and *@n_good is
 * that index. Sequence numbers are not checked here; the caller knows
 * where they must start.
 *
 * Returns: %TRUE if every entry passes
 */
gboolean
vp_journal_verify_chain (VpJournalEntry **entries,
                         guint            n_entries,
                         const char      *prev_hash,
                         VpVerifier      *verifier,
                         guint            n_threads,
                         guint           *n_good,
                         GError         **error)
{
  g_autofree ChainJob *jobs = NULL;
  g_autofree GThread **threads = NULL;
  gint lowest_bad = G_MAXINT;
  guint bad = n_entries;
  GError *bad_error = NULL;

  g_return_val_if_fail (entries != NULL || n_entries == 0, FALSE);
  g_return_val_if_fail (n_entries < G_MAXINT, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_good != NULL)
    *n_good = 0;
  if (n_entries == 0)
    return TRUE;

  if (n_threads == 0)
    n_threads = g_get_num_processors ();
  n_threads = CLAMP (n_threads, 1, n_entries);

  jobs = g_new0 (ChainJob, n_threads);
  threads = g_new0 (GThread *, n_threads);
  for (guint t = 0; t < n_threads; t++)
    {
      jobs[t] = (ChainJob) {
        .entries = entries,
        .prev_hash = prev_hash,
        .verifier = verifier,
        /* 64-bit arithmetic: n_entries × n_threads may not fit a guint. */
        .from = (guint) ((guint64) n_entries * t / n_threads),
        .to = (guint) ((guint64) n_entries * (t + 1) / n_threads),
        .lowest_bad = &lowest_bad,
      };
    }

  /* The calling thread takes the first run. A thread that cannot be
   * started only costs time: its run is done here afterwards. */
  for (guint t = 1; t < n_threads; t++)
    threads[t] = g_thread_try_new ("vp-verify", chain_worker, &jobs[t], NULL);
  chain_worker (&jobs[0]);
  for (guint t = 1; t < n_threads; t++)
    {
      if (threads[t] != NULL)
        g_thread_join (threads[t]);
      else
        chain_worker (&jobs[t]);
    }

  /* Runs are in index order, so the first run with a bad entry has the
   * lowest one. */
  for (guint t = 0; t < n_threads; t++)
    {
      if (jobs[t].bad < jobs[t].to && bad_error == NULL)
        {
          bad = jobs[t].bad;
          bad_error = g_steal_pointer (&jobs[t].error);
        }
      g_clear_error (&jobs[t].error);
    }

  if (n_good != NULL)
    *n_good = bad;
  if (bad_error != NULL)
    {
      g_propagate_error (error, bad_error);
      return FALSE;
    }

  return TRUE;
}

/**
 * vp_journal_receipt_number:
 * @van_id: the van id, e.g. "VAN01"
 * @device_time: µs since the Unix epoch
 * @seq: the entry's sequence number
 *
 * Returns: (transfer full): "<van>-<yyyymmdd>-<seq>" with the local date of
 *   @device_time and @seq zero-padded to at least 6 digits, e.g.
 *   "VAN01-20261123-000042"; %NULL if @device_time is out of range
 */
char *
vp_journal_receipt_number (const char *van_id,
                           gint64      device_time,
                           gint64      seq)
{
  g_autoptr(GDateTime) dt = NULL;
  gint64 secs;

  g_return_val_if_fail (van_id != NULL, NULL);
  g_return_val_if_fail (seq >= 0, NULL);

  /* Floor division, so a time just before the epoch lands on the right day. */
  secs = device_time / G_USEC_PER_SEC;
  if (device_time % G_USEC_PER_SEC < 0)
    secs--;

  dt = g_date_time_new_from_unix_local (secs);
  if (dt == NULL)
    return NULL;

  return g_strdup_printf ("%s-%04d%02d%02d-%06" G_GINT64_FORMAT,
                          van_id,
                          g_date_time_get_year (dt),
                          g_date_time_get_month (dt),
                          g_date_time_get_day_of_month (dt),
                          seq);
}

/**
 * vp_journal_verify_code:
 * @hash: an entry hash (at least 8 hex digits)
 *
 * Returns: (transfer full): the short code printed on receipts, the first
 *   8 hex digits of @hash in upper case as "3FA9-0C1D"
 */
char *
vp_journal_verify_code (const char *hash)
{
  char code[10];

  g_return_val_if_fail (hash != NULL, NULL);

  for (guint i = 0; i < 8; i++)
    {
      g_return_val_if_fail (g_ascii_isxdigit (hash[i]), NULL);
      code[i < 4 ? i : i + 1] = g_ascii_toupper (hash[i]);
    }
  code[4] = '-';
  code[9] = '\0';

  return g_strdup (code);
}
