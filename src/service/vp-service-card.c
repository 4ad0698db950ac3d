/* vp-service-card.c: the IC-card operations of the service layer.
 *
 * Two-phase top-up (DESIGN §5): INTENT (money taken, next counter
 * reserved) → write the record to the card slot that does not hold the
 * current record → read back and verify → CONFIRM. Whenever a step after
 * INTENT fails, or the process died there, the card itself decides: a
 * valid record (MAC) with the intent's counter and amounts → CONFIRM,
 * a card that was read and whose counter is behind the purchase → VOID
 * (money kept as credit). No card, another card or a card that cannot be
 * read → the intent stays pending until the card is read: nothing may
 * void a purchase that might be on the card.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-service-card"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "vp-service-card.h"
#include "vp-sim-card.h"
#include "vp-pcsc-card.h"

G_DEFINE_QUARK (vp-topup-error-quark, vp_topup_error)

typedef struct
{
  GMutex        lock;
  VpCardReader *reader;
  gboolean      auto_insert;
  guint         timeout_ms;
} CardState;

static void
card_state_free (CardState *cs)
{
  g_clear_object (&cs->reader);
  g_mutex_clear (&cs->lock);
  g_free (cs);
}

static CardState *
get_state (VpService *self)
{
  static GMutex create_lock;
  CardState *cs;

  g_mutex_lock (&create_lock);
  cs = g_object_get_data (G_OBJECT (self), "vp-card-state");
  if (cs == NULL)
    {
      cs = g_new0 (CardState, 1);
      g_mutex_init (&cs->lock);
      g_object_set_data_full (G_OBJECT (self), "vp-card-state", cs,
                              (GDestroyNotify)card_state_free);
    }
  g_mutex_unlock (&create_lock);
  return cs;
}

/* Test hook for the crash tests: VP_CARD_CRASH=<point> kills the process
 * there, as a power cut would: "after-write" (card written, not read
 * back), "after-verify" (read back, CONFIRM not begun), "confirm-commit"
 * (inside the CONFIRM commit), "after-confirm-commit". The INTENT commit
 * is covered by VP_CRASH_BEFORE_COMMIT / VP_CRASH_AFTER_COMMIT and a
 * crash mid-write by VANPOS_SIM_FAULT=crash-after:N. */
static void
maybe_crash (const char *point)
{
  const char *v = g_getenv ("VP_CARD_CRASH");

  if (v != NULL && g_str_equal (v, point))
    {
      g_printerr ("vanpos: simulated crash (%s)\n", point);
      _exit (86);
    }
}

void
vp_service_set_card_reader (VpService    *self,
                            VpCardReader *reader)
{
  CardState *cs;

  g_return_if_fail (VP_IS_SERVICE (self));
  g_return_if_fail (reader == NULL || VP_IS_CARD_READER (reader));
  cs = get_state (self);
  g_mutex_lock (&cs->lock);
  g_set_object (&cs->reader, reader);
  cs->auto_insert = FALSE;
  g_mutex_unlock (&cs->lock);
}

void
vp_service_set_card_timeout (VpService *self,
                             guint      timeout_ms)
{
  g_return_if_fail (VP_IS_SERVICE (self));
  get_state (self)->timeout_ms = timeout_ms;
}

char *
vp_service_card_default_dir (VpService *self)
{
  const char *env = g_getenv ("VANPOS_CARD_DIR");

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_strconcat (vp_database_get_path (vp_service_get_database (self)), ".cards", NULL);
}

/* "<db>.cards" belongs to the database file next to it. A directory
 * left by an earlier database at the same path (deleted and made again,
 * as scripts do) holds cards under another key and counters: move it
 * aside rather than refuse every card in it as forged. */
static gboolean
claim_default_dir (VpService   *self,
                   const char  *dir,
                   GError     **error)
{
  VpDatabase *db = vp_service_get_database (self);
  g_autofree char *token = vp_database_get_meta (db, "sim_card_token");
  g_autofree char *marker = g_build_filename (dir, ".owner", NULL);
  g_autofree char *owner = NULL;

  if (token == NULL)
    {
      g_autofree char *uuid = g_uuid_string_random ();

      if (!vp_database_set_meta (db, "sim_card_token", uuid, error))
        return FALSE;
      token = g_steal_pointer (&uuid);
    }
  if (g_file_get_contents (marker, &owner, NULL, NULL))
    {
      g_strstrip (owner);
      if (g_str_equal (owner, token))
        return TRUE;
      {
        g_autofree char *aside = g_strdup_printf ("%s.old-%" G_GINT64_FORMAT, dir,
                                                  g_get_real_time () / G_USEC_PER_SEC);

        if (g_rename (dir, aside) != 0)
          {
            int errsv = errno;
            g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
                         _("Cannot move the old simulated cards %s aside: %s"), dir,
                         g_strerror (errsv));
            return FALSE;
          }
        g_printerr (_("vanpos: %s held simulated cards of an earlier database; moved to %s\n"),
                    dir, aside);
      }
    }
  if (g_mkdir_with_parents (dir, 0700) != 0 || !g_file_set_contents (marker, token, -1, NULL))
    {
      int errsv = errno;
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
                   _("Cannot set up the simulated cards directory %s: %s"), dir,
                   g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

VpSimCard *
vp_service_open_default_sim_card (VpService  *self,
                                  GError    **error)
{
  const char *env = g_getenv ("VANPOS_CARD_DIR");
  g_autofree char *dir = vp_service_card_default_dir (self);

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);
  if ((env == NULL || *env == '\0') && !claim_default_dir (self, dir, error))
    return NULL;
  return vp_sim_card_new (dir, error);
}

VpCardReader *
vp_service_get_card_reader (VpService  *self,
                            GError    **error)
{
  CardState *cs;
  VpCardReader *reader;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);
  cs = get_state (self);
  g_mutex_lock (&cs->lock);
  if (cs->reader == NULL)
    {
      const char *kind = g_getenv ("VANPOS_CARD_READER");
      const char *autoins = g_getenv ("VANPOS_CARD_AUTOINSERT");

      if (kind != NULL && g_str_has_prefix (kind, "pcsc"))
        {
          const char *match = kind[4] == ':' ? kind + 5 : NULL;
          cs->reader = (VpCardReader *)vp_pcsc_card_new (match, error);
        }
      else
        {
          cs->reader = (VpCardReader *)vp_service_open_default_sim_card (self, error);
          cs->auto_insert = autoins == NULL || !g_str_equal (autoins, "0");
        }
    }
  reader = cs->reader;
  g_mutex_unlock (&cs->lock);
  return reader;
}

gboolean
vp_service_card_key (VpService      *self,
                     VpCardKeyring  *ring,
                     GError        **error)
{
  VpDatabase *db = vp_service_get_database (self);
  g_autoptr(GError) local = NULL;
  g_autofree char *hq = NULL;
  g_autofree char *hex = NULL;
  guint8 key[VP_CARD_KEY_SIZE];

  if (vp_card_store_get_keyring (db, ring, &local))
    return TRUE;
  if (!g_error_matches (local, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /* A van provisioned for HQ must use the utility's key, never its own. */
  hq = vp_database_get_meta (db, "hq_url");
  if (hq != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (RAND_bytes (key, VP_CARD_KEY_SIZE) != 1)
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO, _("Cannot make a random card key"));
      return FALSE;
    }
  hex = vp_card_key_to_hex (key);
  vp_card_keyring_set_legacy (ring, key);
  OPENSSL_cleanse (key, sizeof key);
  if (!vp_card_store_set_key (db, hex, error))
    return FALSE;
  g_printerr (_("vanpos: this demo van had no card key; generated a random one and stored it "
                "(HQ provisioning replaces it with the utility's key)\n"));
  return TRUE;
}

/* --- reading and deciding --------------------------------------------------- */

/* Reads and parses the whole card. Malformed data → VP_CARD_ERROR_GARBAGE;
 * a MAC that does not verify keeps its VP_CARD_RECORD_ERROR. */
static gboolean
read_image (VpCardReader         *reader,
            const VpCardKeyring  *key,
            GBytes              **bytes_out,
            VpCardImage          *image,
            GError              **error)
{
  g_autoptr(GBytes) bytes = vp_card_reader_read (reader, error);
  g_autoptr(GError) local = NULL;

  memset (image, 0, sizeof *image);
  image->slot = -1;
  if (bytes == NULL)
    return FALSE;
  if (!vp_card_image_parse_ring (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), key, image,
                            &local))
    {
      if (local->domain == VP_CARD_RECORD_ERROR &&
          (local->code == VP_CARD_RECORD_ERROR_MAC || local->code == VP_CARD_RECORD_ERROR_FORGED ||
           local->code == VP_CARD_RECORD_ERROR_WRONG_CARD))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_GARBAGE, "%s", local->message);
      return FALSE;
    }
  if (bytes_out)
    *bytes_out = g_steal_pointer (&bytes);
  return TRUE;
}

static VpMoney
purchase_amount (const VpTopup *t)
{
  /* The card carries what the gas/water cost; leftover fen are credit. */
  return t->amount - t->leftover;
}

static gboolean
record_has_purchase (const VpCardRecord *r,
                     const VpTopup      *t)
{
  if (!g_str_equal (r->card_number, t->card_number) ||
      !g_str_equal (r->account_number, t->account_number))
    return FALSE;
  for (guint i = 0; i < r->n_history; i++)
    if (r->history[i].counter == t->counter && r->history[i].volume == t->volume &&
        r->history[i].amount == purchase_amount (t))
      return TRUE;
  return FALSE;
}

/* What the card in the reader says about pending top-up t. image_ok:
 * the card was read and parsed into image; card_id: the reader's own
 * idea of which card it is (simulated reader), may be NULL. VOIDED only
 * when the card was read and shown not to hold the purchase: a card that
 * could not be read (a reader fault, a torn or altered image) may hold
 * it, so the top-up waits. */
static VpRecoveryOutcome
decide (const VpTopup     *t,
        gboolean           image_ok,
        const VpCardImage *image,
        const char        *card_id,
        const char        *read_problem,
        char             **why)
{
  g_autofree char *money = vp_money_format (t->amount);

  if (image_ok && image->has_record)
    {
      const VpCardRecord *r = &image->record;

      if (!g_str_equal (r->card_number, t->card_number))
        {
          *why = g_strdup_printf (_("waiting for card %s (the reader holds card %s)"),
                                  t->card_number, r->card_number);
          return VP_RECOVERY_WAITING;
        }
      if (!g_str_equal (r->account_number, t->account_number))
        {
          *why = g_strdup_printf (_("card %s says account %s, not %s: forged or altered card; "
                                    "top-up left pending for a supervisor"),
                                  t->card_number, r->account_number, t->account_number);
          return VP_RECOVERY_WAITING;
        }
      if (record_has_purchase (r, t))
        {
          *why = g_strdup_printf (_("card %s holds purchase %lld (%s): confirmed"),
                                  t->card_number, (long long)t->counter, money);
          return VP_RECOVERY_CONFIRMED;
        }
      if ((gint64)r->counter < t->counter)
        {
          *why = g_strdup_printf (_("card %s shows purchase %u, not %lld: the top-up never reached "
                                    "it; %s kept as credit"),
                                  t->card_number, r->counter, (long long)t->counter, money);
          return VP_RECOVERY_VOIDED;
        }
      /* The counter is at or past the purchase but the history does not
       * show it: pushed out of the history by later purchases (it
       * reached the card), or another purchase under its counter. */
      if (r->n_history == 0 || (gint64)r->history[r->n_history - 1].counter > t->counter)
        {
          *why = g_strdup_printf (_("card %s is at purchase %u, past %lld (%s): confirmed"),
                                  t->card_number, r->counter, (long long)t->counter, money);
          return VP_RECOVERY_CONFIRMED;
        }
      *why = g_strdup_printf (_("card %s holds another purchase %lld than this van recorded; "
                                "top-up left pending for a supervisor"),
                              t->card_number, (long long)t->counter);
      return VP_RECOVERY_WAITING;
    }
  /* A blank card that was read cannot hold the purchase; void only when
   * the reader knows this is the account's card. */
  if (image_ok && card_id != NULL && g_str_equal (card_id, t->card_number))
    {
      *why = g_strdup_printf (_("card %s is blank, without purchase %lld: the top-up never "
                                "reached it; %s kept as credit"),
                              t->card_number, (long long)t->counter, money);
      return VP_RECOVERY_VOIDED;
    }
  if (card_id != NULL && !g_str_equal (card_id, t->card_number))
    *why = g_strdup_printf (_("waiting for card %s (the reader holds card %s)"), t->card_number,
                            card_id);
  else if (!image_ok)
    *why = g_strdup_printf (_("waiting for card %s to be read (it may hold the purchase, but "
                              "cannot be read: %s)"),
                            t->card_number, read_problem);
  else
    *why = g_strdup_printf (_("waiting for card %s (the reader holds a blank card)"),
                            t->card_number);
  return VP_RECOVERY_WAITING;
}

void
vp_recovery_item_free (VpRecoveryItem *item)
{
  if (item == NULL)
    return;
  g_free (item->account_number);
  g_free (item->card_number);
  g_free (item->message);
  g_free (item);
}

/* Crash tests (VP_CARD_CRASH): the next commit dies before or just after
 * it when the named point is asked for. */
static void
arm_commit_crash (const char *before,
                  const char *after)
{
  const char *v = g_getenv ("VP_CARD_CRASH");

  if (v != NULL && g_str_equal (v, before))
    g_setenv ("VP_CRASH_BEFORE_COMMIT", "1", TRUE);
  else if (v != NULL && g_str_equal (v, after))
    g_setenv ("VP_CRASH_AFTER_COMMIT", "1", TRUE);
}

/* Journals the outcome for t. Returns the CONFIRM/VOID entry, NULL for
 * WAITING (no error) or on failure (error set). */
static VpJournalEntry *
apply_outcome (VpService         *self,
               const VpStaff     *staff,
               const VpTopup     *t,
               VpRecoveryOutcome  outcome,
               const VpCardImage *image,
               const char        *why,
               GError           **error)
{
  VpDatabase *db = vp_service_get_database (self);

  if (outcome == VP_RECOVERY_CONFIRMED)
    {
      /* Crash tests: die inside the CONFIRM transaction's commit. */
      arm_commit_crash ("confirm-commit", "after-confirm-commit");
      return vp_topup_store_confirm (db, staff, t->intent_seq, error);
    }
  /* decide() voids only a card it read: blank, or its record's counter. */
  if (outcome == VP_RECOVERY_VOIDED)
    return vp_topup_store_void (db, staff, t->intent_seq,
                                image->has_record ? (gint64)image->record.counter : 0, why,
                                error);
  return NULL;
}

/* What the card in the reader says about pending reversal r: it shows
 * the reversal's counter (or a later one) → it was written, CONFIRMED;
 * it was read behind that counter → it never got it, VOIDED (abandon).
 * Anything unsure waits: never give money back for a purchase the card
 * may still hold, never keep it for one it may have lost. */
static VpRecoveryOutcome
decide_reversal (const VpTopupReversal *r,
                 gboolean               image_ok,
                 const VpCardImage     *image,
                 const char            *card_id,
                 const char            *read_problem,
                 char                 **why)
{
  if (image_ok && image->has_record)
    {
      const VpCardRecord *c = &image->record;

      if (!g_str_equal (c->card_number, r->card_number))
        {
          *why = g_strdup_printf (_("waiting for card %s (the reader holds card %s)"),
                                  r->card_number, c->card_number);
          return VP_RECOVERY_WAITING;
        }
      if ((gint64)c->counter == r->counter && (c->flags & VP_CARD_FLAG_REVERSAL) == 0)
        {
          *why = g_strdup_printf (_("card %s holds another record at counter %lld than this "
                                    "reversal; left pending for a supervisor"),
                                  r->card_number, (long long)r->counter);
          return VP_RECOVERY_WAITING;
        }
      if ((gint64)c->counter >= r->counter)
        {
          *why = g_strdup_printf (_("card %s no longer holds purchase %lld: reversed"),
                                  r->card_number, (long long)r->topup_counter);
          return VP_RECOVERY_CONFIRMED;
        }
      *why = g_strdup_printf (_("card %s still holds purchase %lld: the reversal never reached "
                                "it and is abandoned; the top-up stands"),
                              r->card_number, (long long)r->topup_counter);
      return VP_RECOVERY_VOIDED;
    }
  if (card_id != NULL && !g_str_equal (card_id, r->card_number))
    *why = g_strdup_printf (_("waiting for card %s (the reader holds card %s)"), r->card_number,
                            card_id);
  else if (!image_ok)
    *why = g_strdup_printf (_("waiting for card %s to be read (%s)"), r->card_number,
                            read_problem);
  else
    *why = g_strdup_printf (_("waiting for card %s (the reader holds a blank card)"),
                            r->card_number);
  return VP_RECOVERY_WAITING;
}

/* Journals the outcome for reversal r: its void (CONFIRMED) or its
 * abandon (VOIDED). NULL for WAITING or on failure (error set). */
static VpJournalEntry *
apply_reversal_outcome (VpService             *self,
                        const VpStaff         *staff,
                        const VpTopupReversal *r,
                        VpRecoveryOutcome      outcome,
                        const VpCardImage     *image,
                        const char            *why,
                        GError               **error)
{
  VpDatabase *db = vp_service_get_database (self);

  if (outcome == VP_RECOVERY_CONFIRMED)
    {
      /* Crash tests: die inside the void's commit. */
      arm_commit_crash ("reversal-confirm-commit", "reversal-after-confirm-commit");
      return vp_topup_store_reversal_confirm (db, staff, r->reversal_seq, error);
    }
  if (outcome == VP_RECOVERY_VOIDED)
    return vp_topup_store_reversal_abandon (db, staff, r->reversal_seq,
                                            image->has_record ? (gint64)image->record.counter : 0,
                                            why, error);
  return NULL;
}

/* The item for a pending top-up (or, with reversal, a pending top-up
 * reversal: seq is its reversal.intent). */
static VpRecoveryItem *
recovery_item_new (gboolean    reversal,
                   gint64      seq,
                   const char *account_number,
                   const char *card_number,
                   gint64      counter,
                   VpVolume    volume,
                   VpMoney     amount)
{
  VpRecoveryItem *item = g_new0 (VpRecoveryItem, 1);

  item->reversal = reversal;
  item->intent_seq = seq;
  item->account_number = g_strdup (account_number);
  item->card_number = g_strdup (card_number);
  item->counter = counter;
  item->volume = volume;
  item->amount = amount;
  return item;
}

/* No card in the reader: item waits; returns why. */
static char *
waiting_for_card (VpRecoveryItem *item)
{
  item->outcome = VP_RECOVERY_WAITING;
  return g_strdup_printf (_("waiting for card %s (no card in the reader)"), item->card_number);
}

/* Resolves the pending top-ups against the card in reader (which is
 * present). items gets a VpRecoveryItem per pending top-up. */
static gboolean
recover_with_card (VpService            *self,
                   VpCardReader         *reader,
                   const VpCardKeyring  *key,
                   GPtrArray            *items,
                   GError              **error)
{
  VpDatabase *db = vp_service_get_database (self);
  g_autoptr(GPtrArray) pending = vp_topup_store_list_pending (db, error);
  g_auto(VpCardImage) image = { 0 };
  g_autoptr(GError) read_error = NULL;
  g_autofree char *card_id = NULL;
  gboolean image_ok = FALSE;
  gboolean present;

  g_autoptr(GPtrArray) reversals = NULL;

  if (pending == NULL)
    return FALSE;
  reversals = vp_topup_store_list_pending_reversals (db, error);
  if (reversals == NULL)
    return FALSE;
  if (pending->len == 0 && reversals->len == 0)
    return TRUE;
  present = vp_card_reader_is_present (reader);
  if (present)
    {
      image_ok = read_image (reader, key, NULL, &image, &read_error);
      card_id = vp_card_reader_dup_card_id (reader);
    }
  for (guint i = 0; i < pending->len; i++)
    {
      const VpTopup *t = g_ptr_array_index (pending, i);
      g_autoptr(VpRecoveryItem) item = recovery_item_new (FALSE, t->intent_seq, t->account_number,
                                                          t->card_number, t->counter, t->volume,
                                                          t->amount);
      g_autoptr(VpJournalEntry) entry = NULL;
      g_autofree char *why = NULL;

      if (!present)
        why = waiting_for_card (item);
      else
        item->outcome = decide (t, image_ok, &image, card_id,
                                read_error ? read_error->message : NULL, &why);
      if (item->outcome != VP_RECOVERY_WAITING)
        {
          entry = apply_outcome (self, NULL, t, item->outcome, &image, why, error);
          if (entry == NULL)
            return FALSE;
          item->resolved_seq = entry->seq;
        }
      item->message = g_strdup_printf (_("Top-up #%lld for account %s: %s"),
                                       (long long)t->intent_seq, t->account_number, why);
      g_ptr_array_add (items, g_steal_pointer (&item));
    }
  for (guint i = 0; i < reversals->len; i++)
    {
      const VpTopupReversal *r = g_ptr_array_index (reversals, i);
      g_autoptr(VpRecoveryItem) item = recovery_item_new (TRUE, r->reversal_seq, r->account_number,
                                                          r->card_number, r->counter, r->volume,
                                                          r->amount);
      g_autoptr(VpJournalEntry) entry = NULL;
      g_autofree char *why = NULL;

      if (!present)
        why = waiting_for_card (item);
      else
        item->outcome = decide_reversal (r, image_ok, &image, card_id,
                                         read_error ? read_error->message : NULL, &why);
      if (item->outcome != VP_RECOVERY_WAITING)
        {
          entry = apply_reversal_outcome (self, NULL, r, item->outcome, &image, why, error);
          if (entry == NULL)
            return FALSE;
          item->resolved_seq = entry->seq;
        }
      item->message = g_strdup_printf (_("Reversal #%lld of top-up #%lld for account %s: %s"),
                                       (long long)r->reversal_seq, (long long)r->topup_seq,
                                       r->account_number, why);
      g_ptr_array_add (items, g_steal_pointer (&item));
    }
  return TRUE;
}

GPtrArray *
vp_service_recover_topups (VpService     *self,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_recovery_item_free);
  g_autoptr(GPtrArray) pending = NULL;
  VpCardReader *reader;
  g_auto(VpCardKeyring) keyring = { 0 };
  const VpCardKeyring *key = &keyring;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  g_autoptr(GPtrArray) reversals = NULL;

  pending = vp_topup_store_list_pending (vp_service_get_database (self), error);
  if (pending == NULL)
    return NULL;
  reversals = vp_topup_store_list_pending_reversals (vp_service_get_database (self), error);
  if (reversals == NULL)
    return NULL;
  if (pending->len == 0 && reversals->len == 0)
    return g_steal_pointer (&items);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  reader = vp_service_get_card_reader (self, error);
  if (reader == NULL || !vp_service_card_key (self, &keyring, error))
    return NULL;
  if (!recover_with_card (self, reader, key, items, error))
    return NULL;
  return g_steal_pointer (&items);
}

/* --- top-up ----------------------------------------------------------------- */

/* The default simulated reader hands the account's card in by itself,
 * issuing a simulated card that matches the van's records if the
 * resident never had one in this card directory. */
static gboolean
auto_insert (VpService            *self,
             VpCardReader         *reader,
             const VpAccount      *a,
             const VpCardKeyring  *key,
             GError              **error)
{
  VpSimCard *sim = VP_SIM_CARD (reader);

  if (!vp_sim_card_has_card (sim, a->card_number))
    {
      guint8 image[VP_CARD_IMAGE_SIZE] = { 0 };
      VpCardRecord r = { 0 };

      g_strlcpy (r.card_number, a->card_number, sizeof r.card_number);
      g_strlcpy (r.account_number, a->number, sizeof r.account_number);
      r.counter = a->card_counter;
      r.time = vp_database_now ();
      if (!vp_card_record_encode_ring (&r, key, image, error) ||
          !vp_sim_card_issue (sim, a->card_number, image, error))
        return FALSE;
    }
  return vp_sim_card_insert (sim, a->card_number, error);
}

/* After a failed write or verify: let the card decide. Always fails:
 * VP_TOPUP_ERROR_PENDING while the card may hold the purchase (no card,
 * unreadable, or the decision not saved), VP_TOPUP_ERROR_VOIDED once a
 * read showed it does not; returns the CONFIRM entry if it does. */
static VpJournalEntry *
resolve_after_failure (VpService            *self,
                       VpCardReader         *reader,
                       const VpCardKeyring  *key,
                       const VpStaff        *staff,
                       const VpTopup        *t,
                       GError               *cause,
                       GError              **error)
{
  g_autoptr(GError) owned_cause = cause;
  g_auto(VpCardImage) image = { 0 };
  g_autoptr(GError) read_error = NULL;
  g_autoptr(GError) save_error = NULL;
  g_autofree char *card_id = NULL;
  g_autofree char *why = NULL;
  g_autofree char *money = vp_money_format (t->amount);
  VpJournalEntry *entry;
  VpRecoveryOutcome outcome;
  gboolean image_ok;

  if (!vp_card_reader_is_present (reader))
    {
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("%s. Top-up #%lld (%s) is pending: put card %s back into the reader to "
                     "finish — it is confirmed if the card holds it, otherwise the money is kept "
                     "as credit (nothing to pay again)"),
                   cause->message, (long long)t->intent_seq, money, t->card_number);
      return NULL;
    }
  image_ok = read_image (reader, key, NULL, &image, &read_error);
  card_id = vp_card_reader_dup_card_id (reader);
  outcome = decide (t, image_ok, &image, card_id, read_error ? read_error->message : NULL, &why);
  if (outcome == VP_RECOVERY_WAITING)
    {
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("%s. Top-up #%lld (%s) is pending, %s; insert card %s again to finish "
                     "(nothing to pay again)"),
                   cause->message, (long long)t->intent_seq, money, why, t->card_number);
      return NULL;
    }
  entry = apply_outcome (self, staff, t, outcome, &image, why, &save_error);
  if (entry == NULL)
    {
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("%s. Top-up #%lld (%s) is pending: %s, but saving that failed (%s); insert "
                     "card %s again to finish (nothing to pay again)"),
                   cause->message, (long long)t->intent_seq, money, why, save_error->message,
                   t->card_number);
      return NULL;
    }
  if (outcome == VP_RECOVERY_CONFIRMED)
    {
      g_info ("card reported “%s” but holds the purchase; confirmed", cause->message);
      return entry;
    }
  g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_VOIDED,
               _("The card write failed (%s). Top-up #%lld was voided: %s is kept "
                 "as credit on account %s (void #%lld)"),
               cause->message, (long long)t->intent_seq, money, t->account_number,
               (long long)entry->seq);
  vp_journal_entry_free (entry);
  return NULL;
}

static void
report (VpTopupProgress  progress,
        gpointer         data,
        const char      *stage,
        double           fraction)
{
  if (progress)
    progress (stage, fraction, data);
}

/* vp_card_record_verify_for_account(), except that a card written while
 * the account had its provisional number (before HQ assigned the real
 * one at sync) is still the account's card. */
static gboolean
verify_for_account (VpDatabase         *db,
                    const VpCardRecord *r,
                    const VpAccount    *a,
                    GError            **error)
{
  VpCardRecord renamed;

  if (!g_str_equal (r->account_number, a->number) &&
      vp_account_number_is_provisional (r->account_number) &&
      vp_card_store_account_had_number (db, a->id, r->account_number))
    {
      renamed = *r;
      g_strlcpy (renamed.account_number, a->number, sizeof renamed.account_number);
      r = &renamed;
    }
  return vp_card_record_verify_for_account (r, a->number, a->card_number, a->card_counter, error);
}

/* Refuses a card that must not be topped up, before any money is taken. */
static gboolean
check_card_before (VpService         *self,
                   VpCardReader      *reader,
                   const VpAccount   *a,
                   const VpCardImage *image,
                   GError           **error)
{
  VpDatabase *db = vp_service_get_database (self);

  if (image->has_record)
    {
      const VpCardRecord *r = &image->record;

      if (vp_card_store_is_blocked (db, r->card_number))
        {
          g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_BLOCKED,
                       _("Card %s is blocked (reported lost or stolen) and cannot be topped up; "
                         "keep it and reissue a card"), r->card_number);
          return FALSE;
        }
      if (!verify_for_account (db, r, a, error))
        return FALSE;
      if ((gint64)r->counter > a->card_counter)
        {
          g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_MISMATCH,
                       _("Card %s shows purchase %u but this van knows only %lld; "
                         "sync master data from HQ before topping it up"),
                       r->card_number, r->counter, (long long)a->card_counter);
          return FALSE;
        }
    }
  else
    {
      g_autofree char *id = vp_card_reader_dup_card_id (reader);

      if (id != NULL && !g_str_equal (id, a->card_number))
        {
          g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_WRONG_CARD,
                       _("Wrong card: this is card %s, account %s holds card %s"), id, a->number,
                       a->card_number);
          return FALSE;
        }
    }
  return TRUE;
}

VpJournalEntry *
vp_service_card_topup (VpService       *self,
                       const VpStaff   *staff,
                       const char      *number,
                       VpMoney          amount,
                       VpVolume         volume,
                       VpPaymentMethod  method,
                       const char      *reference,
                       VpTopupProgress  progress,
                       gpointer         progress_data,
                       GCancellable    *cancellable,
                       GError         **error)
{
  return vp_service_card_topup_full (self, staff, number, amount, volume, 0, &method, reference, 0,
                                     progress, progress_data, cancellable, error);
}

VpJournalEntry *
vp_service_card_topup_full (VpService             *self,
                            const VpStaff         *staff,
                            const char            *number,
                            VpMoney                amount,
                            VpVolume               volume,
                            VpTopupFlags           flags,
                            const VpPaymentMethod *method,
                            const char            *reference,
                            VpMoney                tendered,
                            VpTopupProgress        progress,
                            gpointer               progress_data,
                            GCancellable          *cancellable,
                            GError               **error)
{
  VpDatabase *db = vp_service_get_database (self);
  CardState *cs = get_state (self);
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpJournalEntry) intent = NULL;
  g_autoptr(VpTopup) t = NULL;
  g_autoptr(GPtrArray) recovered = NULL;
  g_autoptr(GBytes) back = NULL;
  g_auto(VpCardImage) image = { 0 };
  g_auto(VpCardImage) after = { 0 };
  g_autoptr(GError) cause = NULL;
  g_auto(VpCardKeyring) keyring = { 0 };
  const VpCardKeyring *key = &keyring;
  guint8 rec[VP_CARD_RECORD_SIZE];
  VpCardReader *reader;
  VpCardRecord next;
  VpJournalEntry *confirm;
  int slot;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);
  g_return_val_if_fail (number != NULL, NULL);

  /* Validate what can be validated before touching the card. */
  if (!vp_staff_require_role (staff, VP_ROLE_OPERATOR, _("A top-up"), error))
    return NULL;
  a = vp_account_store_get (db, number, error);
  if (a == NULL)
    return NULL;
  /* Closing blocks the card too: say why, not "lost or stolen". */
  if (a->status == VP_ACCOUNT_CLOSED)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s is closed; it cannot be topped up"), a->number);
      return NULL;
    }
  if (a->card_number == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("Account %s has no IC card; issue one first"), a->number);
      return NULL;
    }
  if (vp_card_store_is_blocked (db, a->card_number))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_CARD_BLOCKED,
                   _("Card %s is blocked (reported lost or stolen); reissue a card"),
                   a->card_number);
      return NULL;
    }
  reader = vp_service_get_card_reader (self, error);
  if (reader == NULL || !vp_service_card_key (self, &keyring, error))
    return NULL;
  if (cs->auto_insert && VP_IS_SIM_CARD (reader) && !auto_insert (self, reader, a, key, error))
    return NULL;

  report (progress, progress_data, "card", 0.05);
  if (!vp_card_reader_wait_for_card (reader, cs->timeout_ms, cancellable, error))
    return NULL;

  /* Every insert resolves what an earlier crash or pulled card left. */
  recovered = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_recovery_item_free);
  if (!recover_with_card (self, reader, key, recovered, error))
    return NULL;
  for (guint i = 0; i < recovered->len; i++)
    {
      VpRecoveryItem *item = g_ptr_array_index (recovered, i);

      /* A note for the operator, never mixed into the error output. */
      report (progress, progress_data, item->message, 0.05);
    }
  if (recovered->len > 0)
    {
      /* The recovery may have moved the account's counter and credit. */
      g_clear_pointer (&a, vp_account_free);
      a = vp_account_store_get (db, number, error);
      if (a == NULL)
        return NULL;
    }

  if (!read_image (reader, key, NULL, &image, error) ||
      !check_card_before (self, reader, a, &image, error))
    return NULL;

  /* The record this top-up will write, built ahead, so a record this
   * van cannot encode is refused before any money is taken. It names the
   * account as it is now (a provisional number gives way to the real one). */
  if (image.has_record)
    {
      next = image.record;
      g_strlcpy (next.account_number, a->number, sizeof next.account_number);
    }
  else
    {
      memset (&next, 0, sizeof next);
      g_strlcpy (next.card_number, a->card_number, sizeof next.card_number);
      g_strlcpy (next.account_number, a->number, sizeof next.account_number);
      next.counter = a->card_counter;
    }
  {
    VpCardRecord probe = next;

    vp_card_record_add_purchase (&probe, a->card_counter + 1, 1, 0, 1, vp_database_now ());
    if (!vp_card_record_encode_ring (&probe, key, rec, error))
      return NULL;
  }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  /* Phase 1: the money and the reserved counter are on the journal. */
  report (progress, progress_data, "intent", 0.1);
  intent = vp_topup_store_intent_full (db, staff, number, amount, volume,
                                       (flags & VP_TOPUP_FROM_CREDIT) != 0, method, reference,
                                       tendered, error);
  if (intent == NULL)
    return NULL;
  t = vp_topup_store_get (db, intent->seq, &cause);
  if (t == NULL)
    {
      /* The money is on the journal; the card is untouched, so the
       * next read of it voids the intent into credit. */
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("Top-up #%lld is recorded but could not be loaded back (%s); the card was "
                     "not written: insert card %s again to settle it (nothing to pay again)"),
                   (long long)intent->seq, cause->message, a->card_number);
      return NULL;
    }

  vp_card_record_add_purchase (&next, t->counter, t->volume, purchase_amount (t),
                               t->tariff_version, vp_database_now ());
  if (!vp_card_record_encode_ring (&next, key, rec, &cause))
    return resolve_after_failure (self, reader, key, staff, t, g_steal_pointer (&cause), error);
  slot = vp_card_image_next_slot (&image);

  /* Phase 2: the card. */
  report (progress, progress_data, "write", 0.4);
  if (!vp_card_reader_write (reader, slot * VP_CARD_RECORD_SIZE, rec, sizeof rec, &cause))
    return resolve_after_failure (self, reader, key, staff, t, g_steal_pointer (&cause), error);
  maybe_crash ("after-write");

  report (progress, progress_data, "verify", 0.7);
  if (!read_image (reader, key, &back, &after, &cause))
    return resolve_after_failure (self, reader, key, staff, t, g_steal_pointer (&cause), error);
  if (memcmp ((const guint8 *)g_bytes_get_data (back, NULL) + slot * VP_CARD_RECORD_SIZE, rec,
              sizeof rec) != 0 ||
      !after.has_record || !record_has_purchase (&after.record, t))
    {
      g_set_error (&cause, VP_CARD_ERROR, VP_CARD_ERROR_MISMATCH,
                   _("The card reads back different data than was written"));
      return resolve_after_failure (self, reader, key, staff, t, g_steal_pointer (&cause), error);
    }
  maybe_crash ("after-verify");

  /* Phase 3: the card holds it; so does the journal. */
  report (progress, progress_data, "confirm", 0.9);
  confirm = apply_outcome (self, staff, t, VP_RECOVERY_CONFIRMED, &after, NULL, &cause);
  if (confirm == NULL)
    {
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("Card %s was written and holds purchase %lld, but saving its confirmation "
                     "failed (%s); the confirmation is pending: insert the card again to finish "
                     "(nothing to pay again)"),
                   t->card_number, (long long)t->counter, cause->message);
      return NULL;
    }
  report (progress, progress_data, "done", 1.0);
  return confirm;
}

/* --- top-up reversal ------------------------------------------------------------ */

/* After a failed write or read-back of a reversal: let the card decide.
 * Always fails: VP_TOPUP_ERROR_PENDING while the card may hold it,
 * VP_CARD_ERROR (the cause) once a read showed it does not (abandoned,
 * the top-up stands); returns the void if the card shows the reversal. */
static VpJournalEntry *
reversal_after_failure (VpService             *self,
                        VpCardReader          *reader,
                        const VpCardKeyring   *key,
                        const VpStaff         *staff,
                        const VpTopupReversal *r,
                        GError                *cause,
                        GError               **error)
{
  g_autoptr(GError) owned_cause = cause;
  g_auto(VpCardImage) image = { 0 };
  g_autoptr(GError) read_error = NULL;
  g_autoptr(GError) save_error = NULL;
  g_autofree char *card_id = NULL;
  g_autofree char *why = NULL;
  VpJournalEntry *entry;
  VpRecoveryOutcome outcome;
  gboolean image_ok;

  if (!vp_card_reader_is_present (reader))
    {
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("%s. Reversal #%lld of top-up #%lld is pending: put card %s back into the "
                     "reader to finish — it is done if the card no longer holds the purchase, "
                     "otherwise abandoned and the top-up stands"),
                   cause->message, (long long)r->reversal_seq, (long long)r->topup_seq,
                   r->card_number);
      return NULL;
    }
  image_ok = read_image (reader, key, NULL, &image, &read_error);
  card_id = vp_card_reader_dup_card_id (reader);
  outcome = decide_reversal (r, image_ok, &image, card_id,
                             read_error ? read_error->message : NULL, &why);
  if (outcome == VP_RECOVERY_WAITING)
    {
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("%s. Reversal #%lld of top-up #%lld is pending, %s; insert card %s again to "
                     "finish"),
                   cause->message, (long long)r->reversal_seq, (long long)r->topup_seq, why,
                   r->card_number);
      return NULL;
    }
  entry = apply_reversal_outcome (self, staff, r, outcome, &image, why, &save_error);
  if (entry == NULL)
    {
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("%s. Reversal #%lld of top-up #%lld is pending: %s, but saving that failed "
                     "(%s); insert card %s again to finish"),
                   cause->message, (long long)r->reversal_seq, (long long)r->topup_seq, why,
                   save_error->message, r->card_number);
      return NULL;
    }
  if (outcome == VP_RECOVERY_CONFIRMED)
    return entry;
  g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
               _("The card write failed (%s); reversal #%lld abandoned, nothing changed: "
                 "top-up #%lld stands"),
               cause->message, (long long)r->reversal_seq, (long long)r->topup_seq);
  vp_journal_entry_free (entry);
  return NULL;
}

VpJournalEntry *
vp_service_card_reverse_topup (VpService     *self,
                               const VpStaff *requester,
                               const VpStaff *supervisor,
                               gint64         seq,
                               const char    *reason,
                               VpTopupProgress progress,
                               gpointer       progress_data,
                               GCancellable  *cancellable,
                               GError       **error)
{
  VpDatabase *db = vp_service_get_database (self);
  CardState *cs = get_state (self);
  g_autoptr(VpTopup) t = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpJournalEntry) intent = NULL;
  g_autoptr(VpTopupReversal) r = NULL;
  g_autoptr(GPtrArray) recovered = NULL;
  g_autoptr(GBytes) back = NULL;
  g_autoptr(GError) cause = NULL;
  g_autoptr(GError) no_card = NULL;
  g_auto(VpCardImage) image = { 0 };
  g_auto(VpCardImage) after = { 0 };
  g_auto(VpCardKeyring) keyring = { 0 };
  const VpCardKeyring *key = &keyring;
  guint8 rec[VP_CARD_RECORD_SIZE];
  VpCardReader *reader;
  VpCardRecord next;
  VpCardRecord blank = { 0 };
  const VpCardRecord *card = NULL;
  VpJournalEntry *done;
  gint64 topup_seq;
  int slot;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  /* What can be refused without the card is refused first. */
  if (!vp_staff_require_role (requester, VP_ROLE_OPERATOR, _("Reversing a top-up"), error) ||
      !vp_staff_require_role (supervisor, VP_ROLE_SUPERVISOR, _("Reversing a top-up"), error))
    return NULL;
  if (reason == NULL || *reason == '\0')
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, _("A void needs a reason"));
      return NULL;
    }
  topup_seq = vp_topup_store_topup_of (db, seq, error);
  if (topup_seq == 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                     _("Entry %lld is not a card top-up"), (long long)seq);
      return NULL;
    }
  t = vp_topup_store_get (db, topup_seq, error);
  if (t == NULL)
    return NULL;
  a = vp_account_store_get (db, t->account_number, error);
  if (a == NULL)
    return NULL;
  reader = vp_service_get_card_reader (self, error);
  if (reader == NULL || !vp_service_card_key (self, &keyring, error))
    return NULL;
  /* The default simulated reader hands in the card the top-up went onto,
   * if there is one; it never makes one up. */
  if (cs->auto_insert && VP_IS_SIM_CARD (reader) &&
      vp_sim_card_has_card (VP_SIM_CARD (reader), t->card_number) &&
      !vp_sim_card_insert (VP_SIM_CARD (reader), t->card_number, error))
    return NULL;
  report (progress, progress_data, "card", 0.05);
  if (!vp_card_reader_wait_for_card (reader, cs->timeout_ms, cancellable, &no_card))
    {
      if (g_error_matches (no_card, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&no_card));
          return NULL;
        }
      /* The store says why not (no card, or something before that). */
      intent = vp_topup_store_reversal_intent (db, requester, supervisor, seq, reason, NULL, error);
      g_assert (intent == NULL);
      return NULL;
    }

  /* Every insert resolves what an earlier crash or pulled card left. */
  recovered = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_recovery_item_free);
  if (!recover_with_card (self, reader, key, recovered, error))
    return NULL;
  for (guint i = 0; i < recovered->len; i++)
    g_info ("%s", ((VpRecoveryItem *)g_ptr_array_index (recovered, i))->message);

  if (!read_image (reader, key, NULL, &image, error))
    return NULL;
  if (image.has_record)
    {
      card = &image.record;
      /* This account's card must also agree with the van's records
       * (account, counter not rolled back). */
      if (g_str_equal (card->card_number, t->card_number))
        {
          g_clear_pointer (&a, vp_account_free);
          a = vp_account_store_get (db, t->account_number, error);
          if (a == NULL || !verify_for_account (db, card, a, error))
            return NULL;
        }
    }
  else
    {
      /* A blank card holds no purchase: say which card it is. */
      g_autofree char *id = vp_card_reader_dup_card_id (reader);

      g_strlcpy (blank.card_number, id ? id : "", sizeof blank.card_number);
      card = &blank;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  /* Phase 1: the reversal and the counter it writes are on the journal. */
  report (progress, progress_data, "intent", 0.1);
  intent = vp_topup_store_reversal_intent (db, requester, supervisor, seq, reason, card, error);
  if (intent == NULL)
    return NULL;
  r = vp_topup_store_reversal_get (db, intent->seq, &cause);
  if (r == NULL)
    {
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("Reversal #%lld is recorded but could not be loaded back (%s); the card was "
                     "not written: insert card %s again to settle it"),
                   (long long)intent->seq, cause->message, t->card_number);
      return NULL;
    }
  next = image.record;
  if (!vp_card_record_take_off_purchase (&next, r->counter, vp_database_now (), &cause) ||
      !vp_card_record_encode_ring (&next, key, rec, &cause))
    return reversal_after_failure (self, reader, key, supervisor, r, g_steal_pointer (&cause),
                                   error);
  slot = vp_card_image_next_slot (&image);

  /* Phase 2: the card. */
  report (progress, progress_data, "write", 0.4);
  if (!vp_card_reader_write (reader, slot * VP_CARD_RECORD_SIZE, rec, sizeof rec, &cause))
    return reversal_after_failure (self, reader, key, supervisor, r, g_steal_pointer (&cause),
                                   error);
  maybe_crash ("reversal-after-write");
  report (progress, progress_data, "verify", 0.7);
  if (!read_image (reader, key, &back, &after, &cause))
    return reversal_after_failure (self, reader, key, supervisor, r, g_steal_pointer (&cause),
                                   error);
  if (memcmp ((const guint8 *)g_bytes_get_data (back, NULL) + slot * VP_CARD_RECORD_SIZE, rec,
              sizeof rec) != 0 ||
      !after.has_record || (gint64)after.record.counter != r->counter)
    {
      g_set_error (&cause, VP_CARD_ERROR, VP_CARD_ERROR_MISMATCH,
                   _("The card reads back different data than was written"));
      return reversal_after_failure (self, reader, key, supervisor, r, g_steal_pointer (&cause),
                                     error);
    }
  maybe_crash ("reversal-after-verify");

  /* Phase 3: the card no longer holds it; the money goes back. */
  report (progress, progress_data, "confirm", 0.9);
  done = apply_reversal_outcome (self, supervisor, r, VP_RECOVERY_CONFIRMED, &after, NULL, &cause);
  if (done == NULL)
    {
      g_set_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING,
                   _("Card %s was rewritten without purchase %lld, but saving the reversal "
                     "failed (%s); it is pending: insert the card again to finish"),
                   r->card_number, (long long)r->topup_counter, cause->message);
      return NULL;
    }
  report (progress, progress_data, "done", 1.0);
  return done;
}

/* --- card read ---------------------------------------------------------------- */

void
vp_card_readout_free (VpCardReadout *r)
{
  if (r == NULL)
    return;
  g_free (r->damage);
  g_clear_pointer (&r->account, vp_account_free);
  g_free (r->problem);
  g_clear_pointer (&r->recovered, g_ptr_array_unref);
  g_free (r);
}

VpCardReadout *
vp_service_card_read (VpService     *self,
                      GCancellable  *cancellable,
                      GError       **error)
{
  VpDatabase *db = vp_service_get_database (self);
  CardState *cs = get_state (self);
  g_autoptr(VpCardReadout) out = g_new0 (VpCardReadout, 1);
  g_auto(VpCardImage) image = { 0 };
  g_autoptr(GError) local = NULL;
  g_auto(VpCardKeyring) keyring = { 0 };
  const VpCardKeyring *key = &keyring;
  VpCardReader *reader;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  reader = vp_service_get_card_reader (self, error);
  if (reader == NULL || !vp_service_card_key (self, &keyring, error) ||
      !vp_card_reader_wait_for_card (reader, cs->timeout_ms, cancellable, error))
    return NULL;
  out->recovered = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_recovery_item_free);
  if (!recover_with_card (self, reader, key, out->recovered, error))
    return NULL;
  if (!read_image (reader, key, NULL, &image, error))
    return NULL;
  out->damaged = image.damaged;
  out->damage = g_strdup (image.damage);
  if (!image.has_record)
    {
      g_autofree char *id = vp_card_reader_dup_card_id (reader);

      out->blank = TRUE;
      if (id != NULL)
        out->account = vp_account_store_get_by_card (db, id, NULL);
      out->verified = FALSE;
      out->problem = g_strdup (_("Blank card: no purchase has been written to it yet"));
      return g_steal_pointer (&out);
    }
  out->record = image.record;
  if (vp_card_store_is_blocked (db, image.record.card_number))
    {
      out->account = vp_account_store_get (db, image.record.account_number, NULL);
      /* Closing an account blocks its card too: say which it was. */
      if (out->account != NULL && out->account->status == VP_ACCOUNT_CLOSED)
        out->problem = g_strdup_printf (_("Card %s belongs to closed account %s; keep it"),
                                        image.record.card_number, out->account->number);
      else
        out->problem = g_strdup_printf (_("Card %s is blocked (reported lost or stolen); keep it"),
                                        image.record.card_number);
      return g_steal_pointer (&out);
    }
  out->account = vp_account_store_get_by_card (db, image.record.card_number, NULL);
  if (out->account == NULL)
    {
      out->problem = g_strdup_printf (_("Card %s is not known to this van (account %s)"),
                                      image.record.card_number, image.record.account_number);
      return g_steal_pointer (&out);
    }
  if (!verify_for_account (db, &image.record, out->account, &local))
    {
      out->problem = g_strdup (local->message);
      return g_steal_pointer (&out);
    }
  if ((gint64)image.record.counter > out->account->card_counter)
    {
      out->problem = g_strdup_printf (_("The card shows purchase %u but this van knows only "
                                        "%lld; sync master data from HQ"),
                                      image.record.counter,
                                      (long long)out->account->card_counter);
      return g_steal_pointer (&out);
    }
  out->verified = TRUE;
  return g_steal_pointer (&out);
}

VpCardReadout *
vp_service_card_read_account (VpService     *self,
                              const char    *number,
                              GCancellable  *cancellable,
                              GError       **error)
{
  CardState *cs = get_state (self);
  g_autoptr(VpAccount) a = NULL;
  VpCardReader *reader;
  g_auto(VpCardKeyring) keyring = { 0 };
  const VpCardKeyring *key = &keyring;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);
  g_return_val_if_fail (number != NULL, NULL);

  a = vp_account_store_get (vp_service_get_database (self), number, error);
  if (a == NULL)
    return NULL;
  reader = vp_service_get_card_reader (self, error);
  if (reader == NULL || !vp_service_card_key (self, &keyring, error))
    return NULL;
  if (cs->auto_insert && VP_IS_SIM_CARD (reader) && a->card_number != NULL &&
      !auto_insert (self, reader, a, key, error))
    return NULL;
  return vp_service_card_read (self, cancellable, error);
}

/* --- reissue -------------------------------------------------------------------- */

VpJournalEntry *
vp_service_card_reissue (VpService       *self,
                         const VpStaff   *staff,
                         const char      *number,
                         VpMoney          fee,
                         VpPaymentMethod  method,
                         const char      *reference,
                         const char      *reason,
                         char           **card_note,
                         GCancellable    *cancellable,
                         GError         **error)
{
  VpDatabase *db = vp_service_get_database (self);
  CardState *cs = get_state (self);
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) back = NULL;
  g_auto(VpCardImage) image = { 0 };
  g_auto(VpCardKeyring) keyring = { 0 };
  const VpCardKeyring *key = &keyring;
  guint8 rec[VP_CARD_RECORD_SIZE];
  VpCardRecord r = { 0 };
  VpCardReader *reader;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  reader = vp_service_get_card_reader (self, error);
  if (reader == NULL || !vp_service_card_key (self, &keyring, error))
    return NULL;
  entry = vp_card_store_reissue (db, staff, number, fee, method, reference, reason, error);
  if (entry == NULL)
    return NULL;
  a = vp_account_store_get (db, number, error);
  if (a == NULL)
    return NULL;

  /* The reissue stands; now personalise the new card. */
  if (VP_IS_SIM_CARD (reader) && !vp_sim_card_insert (VP_SIM_CARD (reader), a->card_number, &local))
    goto note;
  if (!vp_card_reader_wait_for_card (reader, cs->timeout_ms, cancellable, &local) ||
      !read_image (reader, key, NULL, &image, &local))
    goto note;
  if (!image.blank)
    {
      g_set_error (&local, VP_CARD_ERROR, VP_CARD_ERROR_WRONG_CARD,
                   _("the card in the reader is not blank (card %s)"), image.record.card_number);
      goto note;
    }
  g_strlcpy (r.card_number, a->card_number, sizeof r.card_number);
  g_strlcpy (r.account_number, a->number, sizeof r.account_number);
  r.counter = a->card_counter;
  r.time = vp_database_now ();
  if (!vp_card_record_encode_ring (&r, key, rec, &local) ||
      !vp_card_reader_write (reader, 0, rec, sizeof rec, &local))
    goto note;
  back = vp_card_reader_read (reader, &local);
  if (back == NULL)
    goto note;
  if (memcmp (g_bytes_get_data (back, NULL), rec, sizeof rec) != 0)
    {
      g_set_error (&local, VP_CARD_ERROR, VP_CARD_ERROR_MISMATCH,
                   _("the card reads back different data than was written"));
      goto note;
    }
  if (card_note)
    *card_note = g_strdup_printf (_("New card %s written for account %s, purchase counter "
                                    "%lld carried"),
                                  a->card_number, a->number, (long long)a->card_counter);
  return g_steal_pointer (&entry);

note:
  if (card_note)
    *card_note = g_strdup_printf (_("Card %s is registered, but its first record was not written "
                                    "(%s); a blank card %s takes the next top-up as it is"),
                                  a->card_number, local->message, a->card_number);
  return g_steal_pointer (&entry);
}
