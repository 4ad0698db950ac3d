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

static char *
serialize (const VpAnchor *a)
{
  GString *s = g_string_new (MAGIC);

  g_string_append_printf (s, "van=%s\n", a->van_id);
  g_string_append_printf (s, "head=%" PRId64 " %s %" PRId64 "\n", a->head_seq, a->head_hash,
                          a->head_time);
  g_string_append_printf (s, "verified=%" PRId64 " %s\n", a->verified_seq, a->verified_hash);
  g_string_append_printf (s, "hq=%" PRId64 " %s\n", a->hq_seq, a->hq_hash);
  if (a->broken != NULL)
    {
      g_autofree char *one_line = g_strdelimit (g_strdup (a->broken), "\n\r", ' ');

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

VpAnchor *
vp_anchor_load (const char *path,
                const char *public_key_pem,
                GError    **error)
{
  g_autofree char *text = NULL;
  g_autoptr(VpAnchor) a = vp_anchor_new (NULL);
  g_auto(GStrv) lines = NULL;
  const char *sig_line;
  gsize len = 0;
  gboolean have_head = FALSE, have_verified = FALSE, have_hq = FALSE;

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  if (len > 64 * 1024 || strlen (text) != len || !g_str_has_prefix (text, MAGIC))
    {
      anchor_error (error, path, _("is not an anchor file"));
      return NULL;
    }
  sig_line = g_strrstr (text, "\nsig=");
  if (sig_line == NULL)
    {
      anchor_error (error, path, _("has no signature"));
      return NULL;
    }
  {
    g_autofree char *sig = g_strstrip (g_strdup (sig_line + 5));
    gsize signed_len = (gsize)(sig_line - text) + 1;

    if (!vp_signature_verify (public_key_pem, (const guint8 *)text, signed_len, sig, NULL))
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
      if (g_str_has_prefix (l, "van="))
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
  if (a->van_id == NULL || !have_head || !have_verified || !have_hq)
    {
      anchor_error (error, path, _("is malformed"));
      return NULL;
    }
  return g_steal_pointer (&a);
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

static gboolean
write_atomically (const char *path,
                  const char *text,
                  GError    **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  gsize len = strlen (text);
  const char *p = text;
  int fd;

  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return io_error (error, path, errno);
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          close (fd);
          g_unlink (tmp);
          return io_error (error, path, e);
        }
      p += n;
      len -= (gsize)n;
    }
  /* Synced before the rename: a power cut leaves the old anchor or the
   * new one, never an empty file that would read as a lost anchor. The
   * directory is not synced: an anchor that falls back to the previous
   * head is behind the journal, which is harmless. */
  if (fsync (fd) != 0)
    {
      int e = errno;
      close (fd);
      g_unlink (tmp);
      return io_error (error, path, e);
    }
  close (fd);
  if (g_rename (tmp, path) != 0)
    {
      int e = errno;
      g_unlink (tmp);
      return io_error (error, path, e);
    }
  return TRUE;
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
  g_autoptr(GError) load_error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *signed_text = NULL;
  gboolean ok;
  int lock_fd;

  lock_fd = g_open (lock_path, O_RDONLY | O_CLOEXEC, 0);
  if (lock_fd < 0)
    return io_error (error, path, errno);
  while (flock (lock_fd, LOCK_EX) != 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (lock_fd);
        return io_error (error, path, e);
      }

  if (!(what & VP_ANCHOR_RESET))
    cur = vp_anchor_load (path, public_key_pem, &load_error);
  if (cur == NULL)
    {
      /* A missing or unreadable anchor is only ever replaced whole: the
       * open-time check reports it before anything else writes one. */
      cur = vp_anchor_new (update->van_id);
      what |= VP_ANCHOR_HEAD | VP_ANCHOR_VERIFIED | VP_ANCHOR_HQ | VP_ANCHOR_BREAK;
      if (!(what & VP_ANCHOR_RESET))
        what |= VP_ANCHOR_RESET;
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
  if ((what & VP_ANCHOR_BREAK) && ((what & VP_ANCHOR_RESET) || update->broken != NULL))
    {
      g_free (cur->broken);
      cur->broken = g_strdup (update->broken);
      cur->broken_code = update->broken_code;
      cur->broken_seq = update->broken_seq;
    }

  text = serialize (cur);
  sig = vp_signer_sign (signer, (const guint8 *)text, strlen (text), error);
  ok = sig != NULL;
  if (ok)
    {
      signed_text = g_strconcat (text, "sig=", sig, "\n", NULL);
      ok = write_atomically (path, signed_text, error);
    }
  flock (lock_fd, LOCK_UN);
  close (lock_fd);
  return ok;
}
