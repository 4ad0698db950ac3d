/* vp-anchor.c: the journal head, anchored outside the database.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-anchor"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "vp-anchor.h"
#include "vp-database.h"

#define MAGIC "vanpos-anchor-v1\n"

VpAnchor *
vp_anchor_new (const char *van_id)
{
  VpAnchor *a = g_new0 (VpAnchor, 1);

  a->van_id = g_strdup (van_id);
  a->head_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);
  a->verified_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);
  a->hq_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);
  a->broken_code = -1;
  return a;
}

void
vp_anchor_free (VpAnchor *a)
{
  if (a == NULL)
    return;
  g_free (a->van_id);
  g_free (a->head_hash);
  g_free (a->verified_hash);
  g_free (a->hq_hash);
  g_free (a->broken);
  g_free (a);
}

char *
vp_anchor_path_for (const char *db_path)
{
  return g_strconcat (db_path, ".anchor", NULL);
}

/* The file holds two fixed-size slots written in turn, each a complete
 * signed anchor with a generation number, like the IC card's two records:
 * an update overwrites the older slot in place and syncs only its data
 * (no rename, no metadata), and a torn write can only cost the slot being
 * written, leaving the previous head, which is harmless. */
#define SLOT_SIZE 2048
#define N_SLOTS   2
#define MAX_BROKEN_TEXT 1200

static char *
serialize (const VpAnchor *a,
           guint64         gen)
{
  GString *s = g_string_new (MAGIC);

  g_string_append_printf (s, "gen=%" G_GUINT64_FORMAT "\n", gen);
  g_string_append_printf (s, "van=%s\n", a->van_id);
  g_string_append_printf (s, "head=%" PRId64 " %s %" PRId64 "\n", a->head_seq, a->head_hash,
                          a->head_time);
  g_string_append_printf (s, "verified=%" PRId64 " %s\n", a->verified_seq, a->verified_hash);
  g_string_append_printf (s, "hq=%" PRId64 " %s\n", a->hq_seq, a->hq_hash);
  if (a->broken != NULL)
    {
      g_autofree char *one_line = g_strdelimit (g_strdup (a->broken), "\n\r", ' ');

      if (strlen (one_line) > MAX_BROKEN_TEXT)
        {
          const char *end = one_line + MAX_BROKEN_TEXT;

          /* Cut on a UTF-8 boundary. */
          while (end > one_line && ((guchar)*end & 0xc0) == 0x80)
            end--;
          one_line[end - one_line] = '\0';
        }
      g_string_append_printf (s, "broken=%d %" PRId64 " %s\n", a->broken_code, a->broken_seq,
                              one_line);
    }
  return g_string_free (s, FALSE);
}

static gboolean
anchor_error (GError    **error,
              const char *path,
              const char *why)
{
  g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_ANCHOR,
               _("The journal anchor %s %s"), path, why);
  return FALSE;
}

static gboolean
parse_seq_hash (const char *value,
                gint64     *seq,
                char      **hash,
                gint64     *time)
{
  g_auto(GStrv) parts = g_strsplit (value, " ", 3);
  char *end = NULL;

  if (g_strv_length (parts) < 2 || (time != NULL) != (g_strv_length (parts) == 3))
    return FALSE;
  *seq = g_ascii_strtoll (parts[0], &end, 10);
  if (end == parts[0] || *end != '\0' || *seq < 0)
    return FALSE;
  if (strlen (parts[1]) != 64 || strspn (parts[1], "0123456789abcdef") != 64)
    return FALSE;
  g_free (*hash);
  *hash = g_strdup (parts[1]);
  if (time != NULL)
    {
      *time = g_ascii_strtoll (parts[2], &end, 10);
      if (end == parts[2] || *end != '\0')
        return FALSE;
    }
  return TRUE;
}

/* One slot: its text ends at the first NUL. The signature is checked
 * only when public_key_pem is given. */
static VpAnchor *
parse_slot (const char *path,
            const char *slot,
            const char *public_key_pem,
            guint64    *gen,
            GError    **error)
{
  g_autoptr(VpAnchor) a = vp_anchor_new (NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  const char *sig_line;
  const char *nul = memchr (slot, '\0', SLOT_SIZE);
  gboolean have_head = FALSE, have_verified = FALSE, have_hq = FALSE, have_gen = FALSE;

  if (nul == NULL || !g_str_has_prefix (slot, MAGIC) || !g_utf8_validate (slot, nul - slot, NULL))
    {
      anchor_error (error, path, _("is not an anchor file"));
      return NULL;
    }
  text = g_strndup (slot, nul - slot);
  sig_line = g_strrstr (text, "\nsig=");
  if (sig_line == NULL)
    {
      anchor_error (error, path, _("has no signature"));
      return NULL;
    }
  {
    g_autofree char *sig = g_strstrip (g_strdup (sig_line + 5));
    gsize signed_len = (gsize)(sig_line - text) + 1;

    if (public_key_pem != NULL &&
        !vp_signature_verify (public_key_pem, (const guint8 *)text, signed_len, sig, NULL))
      {
        anchor_error (error, path, _("is not signed by this van's key"));
        return NULL;
      }
    text[signed_len] = '\0';
  }

  lines = g_strsplit (text + strlen (MAGIC), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = lines[i];

      if (*l == '\0')
        continue;
      if (g_str_has_prefix (l, "gen="))
        {
          char *end = NULL;

          *gen = g_ascii_strtoull (l + 4, &end, 10);
          have_gen = end != l + 4 && *end == '\0';
        }
      else if (g_str_has_prefix (l, "van="))
        {
          g_free (a->van_id);
          a->van_id = g_strdup (l + 4);
        }
      else if (g_str_has_prefix (l, "head="))
        have_head = parse_seq_hash (l + 5, &a->head_seq, &a->head_hash, &a->head_time);
      else if (g_str_has_prefix (l, "verified="))
        have_verified = parse_seq_hash (l + 9, &a->verified_seq, &a->verified_hash, NULL);
      else if (g_str_has_prefix (l, "hq="))
        have_hq = parse_seq_hash (l + 3, &a->hq_seq, &a->hq_hash, NULL);
      else if (g_str_has_prefix (l, "broken="))
        {
          g_auto(GStrv) parts = g_strsplit (l + 7, " ", 3);

          if (g_strv_length (parts) != 3)
            {
              anchor_error (error, path, _("is malformed"));
              return NULL;
            }
          a->broken_code = (int)g_ascii_strtoll (parts[0], NULL, 10);
          a->broken_seq = g_ascii_strtoll (parts[1], NULL, 10);
          a->broken = g_strdup (parts[2]);
        }
    }
  if (a->van_id == NULL || !have_gen || !have_head || !have_verified || !have_hq)
    {
      anchor_error (error, path, _("is malformed"));
      return NULL;
    }
  return g_steal_pointer (&a);
}

/* What this process last wrote to each anchor file: a slot whose bytes
 * are still exactly those needs no signature check on the next update. */
typedef struct
{
  guint  slot;
  char  *bytes;   /* SLOT_SIZE */
} LastWrite;

static GMutex last_lock;
static GHashTable *last_writes;

static void
last_write_free (LastWrite *w)
{
  g_free (w->bytes);
  g_free (w);
}

/* The newest valid slot of buf (N_SLOTS * SLOT_SIZE bytes). */
static VpAnchor *
newest_slot (const char *path,
             const char *buf,
             const char *public_key_pem,
             const char *trusted,      /* nullable: bytes known good */
             guint       trusted_slot,
             guint      *slot_out,
             guint64    *gen_out,
             GError    **error)
{
  VpAnchor *slots[N_SLOTS] = { NULL };
  guint64 gens[N_SLOTS] = { 0 };
  GError *first_error = NULL;
  VpAnchor *ret = NULL;

  /* Parse both unverified, then verify from the newest down. */
  for (guint i = 0; i < N_SLOTS; i++)
    slots[i] = parse_slot (path, buf + i * SLOT_SIZE, NULL, &gens[i],
                           first_error == NULL ? &first_error : NULL);
  for (guint tries = 0; tries < N_SLOTS && ret == NULL; tries++)
    {
      int best = -1;

      for (guint i = 0; i < N_SLOTS; i++)
        if (slots[i] != NULL && (best < 0 || gens[i] > gens[best]))
          best = (int)i;
      if (best < 0)
        break;
      if (trusted != NULL && (guint)best == trusted_slot &&
          memcmp (trusted, buf + best * SLOT_SIZE, SLOT_SIZE) == 0)
        ret = g_steal_pointer (&slots[best]);
      else
        {
          guint64 g = 0;
          g_autoptr(VpAnchor) checked = parse_slot (path, buf + best * SLOT_SIZE, public_key_pem,
                                                    &g, NULL);

          if (checked != NULL)
            ret = g_steal_pointer (&checked);
          else if (first_error == NULL)
            anchor_error (&first_error, path, _("is not signed by this van's key"));
          else if (!g_error_matches (first_error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_ANCHOR) ||
                   strstr (first_error->message, "signed") == NULL)
            {
              g_clear_error (&first_error);
              anchor_error (&first_error, path, _("is not signed by this van's key"));
            }
        }
      if (ret != NULL)
        {
          *slot_out = (guint)best;
          *gen_out = gens[best];
        }
      g_clear_pointer (&slots[best], vp_anchor_free);
    }
  for (guint i = 0; i < N_SLOTS; i++)
    vp_anchor_free (slots[i]);
  if (ret == NULL)
    {
      if (first_error == NULL)
        anchor_error (&first_error, path, _("is not an anchor file"));
      g_propagate_error (error, first_error);
    }
  else
    g_clear_error (&first_error);
  return ret;
}

/* Reads the file; trusted (nullable) is a slot this process wrote. */
static VpAnchor *
load_file (const char *path,
           const char *public_key_pem,
           const char *trusted,
           guint       trusted_slot,
           GError    **error)
{
  g_autofree char *buf = NULL;
  gsize len = 0;
  guint slot = 0;
  guint64 gen = 0;

  if (!g_file_get_contents (path, &buf, &len, error))
    return NULL;
  if (len != N_SLOTS * SLOT_SIZE)
    {
      anchor_error (error, path, _("is not an anchor file"));
      return NULL;
    }
  return newest_slot (path, buf, public_key_pem, trusted, trusted_slot, &slot, &gen, error);
}

VpAnchor *
vp_anchor_load (const char *path,
                const char *public_key_pem,
                GError    **error)
{
  return load_file (path, public_key_pem, NULL, 0, error);
}

int
vp_anchor_break_code (const GError *why)
{
  return why->domain == VP_JOURNAL_ERROR ? why->code : VP_ANCHOR_BREAK_DAMAGED;
}

GError *
vp_anchor_break_error (const VpAnchor *anchor)
{
  g_return_val_if_fail (anchor->broken != NULL, NULL);

  if (anchor->broken_code == VP_ANCHOR_BREAK_DAMAGED)
    return g_error_new_literal (VP_STORE_ERROR, VP_STORE_ERROR_DAMAGED, anchor->broken);
  return g_error_new_literal (VP_JOURNAL_ERROR, anchor->broken_code, anchor->broken);
}

static gboolean
io_error (GError    **error,
          const char *path,
          int         saved_errno)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               _("Cannot write the journal anchor %s: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

static void
set_pair (gint64     *seq,
          char      **hash,
          gint64      new_seq,
          const char *new_hash)
{
  *seq = new_seq;
  g_free (*hash);
  *hash = g_strdup (new_hash);
}

gboolean
vp_anchor_update (const char     *path,
                  const char     *lock_path,
                  VpSigner       *signer,
                  const char     *public_key_pem,
                  const VpAnchor *update,
                  VpAnchorUpdate  what,
                  GError        **error)
{
  g_autoptr(VpAnchor) cur = NULL;
  g_autofree char *buf = g_malloc0 (N_SLOTS * SLOT_SIZE);
  g_autofree char *slot_bytes = g_malloc0 (SLOT_SIZE);
  g_autofree char *text = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *signed_text = NULL;
  g_autofree char *trusted = NULL;
  guint trusted_slot = 0, cur_slot = N_SLOTS - 1, target;
  guint64 gen = 0;
  gboolean fresh;
  GStatBuf st;
  ssize_t n;
  int fd;

  /* Only a reset (init, acknowledge, restore) makes a new anchor: an
   * anchor that went missing or bad under a running van is a break. */
  fd = g_open (path, O_RDWR | O_CLOEXEC | ((what & VP_ANCHOR_RESET) ? O_CREAT : 0), 0600);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return anchor_error (error, path, _("is missing"));
      return io_error (error, path, errno);
    }
  /* Processes sharing the database (the app and the CLI) take turns. */
  while (flock (fd, LOCK_EX) != 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return io_error (error, path, e);
      }
  if (fstat (fd, &st) != 0)
    goto fail;
  fresh = st.st_size != N_SLOTS * SLOT_SIZE;
  if (!fresh)
    {
      n = pread (fd, buf, N_SLOTS * SLOT_SIZE, 0);
      if (n != N_SLOTS * SLOT_SIZE)
        fresh = TRUE;
    }

  g_mutex_lock (&last_lock);
  if (last_writes != NULL)
    {
      LastWrite *w = g_hash_table_lookup (last_writes, path);

      if (w != NULL)
        {
          trusted = g_memdup2 (w->bytes, SLOT_SIZE);
          trusted_slot = w->slot;
        }
    }
  g_mutex_unlock (&last_lock);

  if (!fresh)
    cur = newest_slot (path, buf, public_key_pem, trusted, trusted_slot, &cur_slot, &gen, NULL);
  if (cur == NULL && !(what & VP_ANCHOR_RESET))
    {
      close (fd);
      return anchor_error (error, path, _("is not signed by this van's key"));
    }
  if (cur == NULL || (what & VP_ANCHOR_RESET))
    {
      g_clear_pointer (&cur, vp_anchor_free);
      cur = vp_anchor_new (update->van_id);
      what |= VP_ANCHOR_RESET | VP_ANCHOR_HEAD | VP_ANCHOR_VERIFIED | VP_ANCHOR_HQ |
              VP_ANCHOR_BREAK;
    }

  if ((what & VP_ANCHOR_HEAD) &&
      ((what & VP_ANCHOR_RESET) || update->head_seq >= cur->head_seq))
    {
      set_pair (&cur->head_seq, &cur->head_hash, update->head_seq, update->head_hash);
      cur->head_time = update->head_time;
    }
  if ((what & VP_ANCHOR_VERIFIED) &&
      ((what & VP_ANCHOR_RESET) || update->verified_seq >= cur->verified_seq))
    set_pair (&cur->verified_seq, &cur->verified_hash, update->verified_seq, update->verified_hash);
  if ((what & VP_ANCHOR_HQ) && ((what & VP_ANCHOR_RESET) || update->hq_seq >= cur->hq_seq))
    set_pair (&cur->hq_seq, &cur->hq_hash, update->hq_seq, update->hq_hash);
  /* The first break stands until it is acknowledged or restored: a later
   * one must not replace it (a damaged file is not a truncation). */
  if ((what & VP_ANCHOR_BREAK) &&
      ((what & VP_ANCHOR_RESET) || (update->broken != NULL && cur->broken == NULL)))
    {
      g_free (cur->broken);
      cur->broken = g_strdup (update->broken);
      cur->broken_code = update->broken_code;
      cur->broken_seq = update->broken_seq;
    }
  if (cur->van_id == NULL)
    cur->van_id = g_strdup (update->van_id);

  text = serialize (cur, gen + 1);
  sig = vp_signer_sign (signer, (const guint8 *)text, strlen (text), error);
  if (sig == NULL)
    {
      close (fd);
      return FALSE;
    }
  signed_text = g_strconcat (text, "sig=", sig, "\n", NULL);
  g_assert (strlen (signed_text) < SLOT_SIZE);
  memcpy (slot_bytes, signed_text, strlen (signed_text));
  target = (cur_slot + 1) % N_SLOTS;

  if (fresh)
    {
      /* A new file: both slots in place, size and all, synced once. */
      memset (buf, 0, N_SLOTS * SLOT_SIZE);
      memcpy (buf + target * SLOT_SIZE, slot_bytes, SLOT_SIZE);
      if (ftruncate (fd, 0) != 0 || pwrite (fd, buf, N_SLOTS * SLOT_SIZE, 0) != N_SLOTS * SLOT_SIZE ||
          fsync (fd) != 0)
        goto fail;
    }
  else if (pwrite (fd, slot_bytes, SLOT_SIZE, (off_t)target * SLOT_SIZE) != SLOT_SIZE)
    goto fail;
  /* A head update follows a COMMIT that SQLite already made durable, so
   * the anchor can only ever lag the journal: after a power cut the
   * previous record (or the other slot, if this one tore) stands, which
   * the next open verifies forward. Syncing it would double the cost of
   * every payment (bench-commit). Breaks, resets and HQ's head are rare
   * and must survive a power cut: those are synced. */
  else if ((what & (VP_ANCHOR_BREAK | VP_ANCHOR_RESET | VP_ANCHOR_HQ)) && fdatasync (fd) != 0)
    goto fail;

  g_mutex_lock (&last_lock);
  if (last_writes == NULL)
    last_writes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)last_write_free);
  {
    LastWrite *w = g_new0 (LastWrite, 1);

    w->slot = target;
    w->bytes = g_steal_pointer (&slot_bytes);
    g_hash_table_replace (last_writes, g_strdup (path), w);
  }
  g_mutex_unlock (&last_lock);
  flock (fd, LOCK_UN);
  close (fd);
  (void)lock_path;
  return TRUE;

fail:
  {
    int e = errno;

    if (e == 0)
      e = EIO;
    close (fd);
    return io_error (error, path, e);
  }
}

/* As vp_anchor_load, but a slot this process wrote itself and that is
 * unchanged is not verified again: cheap enough for every write. */
VpAnchor *
vp_anchor_load_cached (const char *path,
                       const char *public_key_pem,
                       GError    **error)
{
  g_autofree char *trusted = NULL;
  guint trusted_slot = 0;

  g_mutex_lock (&last_lock);
  if (last_writes != NULL)
    {
      LastWrite *w = g_hash_table_lookup (last_writes, path);

      if (w != NULL)
        {
          trusted = g_memdup2 (w->bytes, SLOT_SIZE);
          trusted_slot = w->slot;
        }
    }
  g_mutex_unlock (&last_lock);
  return load_file (path, public_key_pem, trusted, trusted_slot, error);
}
