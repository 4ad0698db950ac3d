/* vp-sim-card.c: the file-backed simulated card reader.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-sim-card"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vp-sim-card.h"

struct _VpSimCard
{
  GObject    parent_instance;
  char      *dir;
  VpSimFault fault;
  gsize      fault_bytes;
  guint      write_delay_ms;
  gsize      failing_reads;  /* reads still to fail (read-fail:N) */
};

static void reader_iface_init (VpCardReaderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VpSimCard, vp_sim_card, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (VP_TYPE_CARD_READER, reader_iface_init))

static gboolean
valid_card_number (const char *s)
{
  gsize len = s ? strlen (s) : 0;

  if (len < 8 || len > VP_CARD_NUMBER_MAX)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

static gboolean
check_card_number (const char *s,
                   GError    **error)
{
  if (!valid_card_number (s))
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_WRONG_CARD,
                   "“%s” is not a card number (8 to %d digits)", s ? s : "", VP_CARD_NUMBER_MAX);
      return FALSE;
    }
  return TRUE;
}

char *
vp_sim_card_default_dir (void)
{
  const char *env = g_getenv ("VANPOS_CARD_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "vanpos", "cards", NULL);
}

gboolean
vp_sim_fault_parse (const char  *text,
                    VpSimFault  *fault,
                    gsize       *after_bytes,
                    GError     **error)
{
  const char *arg = NULL;
  guint64 n = 0;

  *after_bytes = 0;
  if (text == NULL || *text == '\0' || g_str_equal (text, "none"))
    {
      *fault = VP_SIM_FAULT_NONE;
      return TRUE;
    }
  if (g_str_has_prefix (text, "pull-after:"))
    {
      *fault = VP_SIM_FAULT_PULL_AFTER;
      arg = text + strlen ("pull-after:");
    }
  else if (g_str_has_prefix (text, "crash-after:"))
    {
      *fault = VP_SIM_FAULT_CRASH_AFTER;
      arg = text + strlen ("crash-after:");
    }
  else if (g_str_has_prefix (text, "read-fail:"))
    {
      *fault = VP_SIM_FAULT_READ_FAIL;
      arg = text + strlen ("read-fail:");
    }
  else if (g_str_equal (text, "write-error"))
    *fault = VP_SIM_FAULT_WRITE_ERROR;
  else if (g_str_equal (text, "mismatch"))
    *fault = VP_SIM_FAULT_MISMATCH;
  else if (g_str_equal (text, "garbage"))
    *fault = VP_SIM_FAULT_GARBAGE;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Unknown simulated card fault “%s” (use pull-after:N, crash-after:N, "
                   "read-fail:N, write-error, mismatch, garbage or none)", text);
      return FALSE;
    }
  if (arg != NULL)
    {
      if (!g_ascii_string_to_unsigned (arg, 10, 0, VP_CARD_IMAGE_SIZE, &n, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s”: N must be a byte count 0..%d", text, VP_CARD_IMAGE_SIZE);
          return FALSE;
        }
      *after_bytes = n;
    }
  return TRUE;
}

static void
vp_sim_card_finalize (GObject *object)
{
  VpSimCard *self = (VpSimCard *)object;

  g_free (self->dir);
  G_OBJECT_CLASS (vp_sim_card_parent_class)->finalize (object);
}

static void
vp_sim_card_class_init (VpSimCardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vp_sim_card_finalize;
}

static void
vp_sim_card_init (VpSimCard *self)
{
}

VpSimCard *
vp_sim_card_new (const char  *dir,
                 GError     **error)
{
  g_autoptr(VpSimCard) self = NULL;
  const char *fault_env = g_getenv ("VANPOS_SIM_FAULT");

  g_return_val_if_fail (dir != NULL, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
                   "Cannot create the simulated card directory %s: %s", dir, g_strerror (errsv));
      return NULL;
    }
  self = g_object_new (VP_TYPE_SIM_CARD, NULL);
  self->dir = g_strdup (dir);
  if (g_getenv ("VANPOS_SIM_WRITE_DELAY_MS"))
    self->write_delay_ms = MIN (g_ascii_strtoull (g_getenv ("VANPOS_SIM_WRITE_DELAY_MS"), NULL, 10),
                                1000);
  if (!vp_sim_fault_parse (fault_env, &self->fault, &self->fault_bytes, error))
    {
      g_prefix_error (error, "VANPOS_SIM_FAULT: ");
      return NULL;
    }
  return g_steal_pointer (&self);
}

const char *
vp_sim_card_get_dir (VpSimCard *self)
{
  g_return_val_if_fail (VP_IS_SIM_CARD (self), NULL);
  return self->dir;
}

char *
vp_sim_card_get_card_path (VpSimCard  *self,
                           const char *card_number)
{
  g_autofree char *name = g_strconcat (card_number, ".card", NULL);

  return g_build_filename (self->dir, name, NULL);
}

gboolean
vp_sim_card_has_card (VpSimCard  *self,
                      const char *card_number)
{
  g_autofree char *path = NULL;

  if (!valid_card_number (card_number))
    return FALSE;
  path = vp_sim_card_get_card_path (self, card_number);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static char *
inserted_path (VpSimCard *self)
{
  return g_build_filename (self->dir, "inserted", NULL);
}

char *
vp_sim_card_dup_inserted (VpSimCard *self)
{
  g_autofree char *path = inserted_path (self);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  if (!valid_card_number (text))
    return NULL;
  return g_steal_pointer (&text);
}

/* Writes a whole file durably: temp file, fsync, rename. */
static gboolean
write_file_durably (const char   *path,
                    const guint8 *data,
                    gsize         len,
                    GError      **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  int fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gsize done = 0;

  if (fd < 0)
    goto fail;
  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int errsv = errno;
          close (fd);
          errno = errsv;
          goto fail;
        }
      done += n;
    }
  if (fsync (fd) != 0)
    {
      int errsv = errno;
      close (fd);
      errno = errsv;
      goto fail;
    }
  close (fd);
  if (g_rename (tmp, path) != 0)
    goto fail;
  return TRUE;

fail:
  {
    int errsv = errno;
    g_unlink (tmp);
    g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO, "Cannot write %s: %s", path,
                 g_strerror (errsv));
  }
  return FALSE;
}

gboolean
vp_sim_card_issue (VpSimCard    *self,
                   const char   *card_number,
                   const guint8 *image,
                   GError      **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (VP_IS_SIM_CARD (self), FALSE);
  if (!check_card_number (card_number, error))
    return FALSE;
  path = vp_sim_card_get_card_path (self, card_number);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
                   "Simulated card %s already exists (%s)", card_number, path);
      return FALSE;
    }
  return write_file_durably (path, image, VP_CARD_IMAGE_SIZE, error);
}

gboolean
vp_sim_card_insert (VpSimCard   *self,
                    const char  *card_number,
                    GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *ins = NULL;
  g_autofree char *line = NULL;

  g_return_val_if_fail (VP_IS_SIM_CARD (self), FALSE);
  if (!check_card_number (card_number, error))
    return FALSE;
  path = vp_sim_card_get_card_path (self, card_number);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      guint8 blank[VP_CARD_IMAGE_SIZE] = { 0 };

      if (!write_file_durably (path, blank, sizeof blank, error))
        return FALSE;
    }
  ins = inserted_path (self);
  line = g_strconcat (card_number, "\n", NULL);
  return write_file_durably (ins, (const guint8 *)line, strlen (line), error);
}

gboolean
vp_sim_card_remove (VpSimCard  *self,
                    GError    **error)
{
  g_autofree char *ins = NULL;

  g_return_val_if_fail (VP_IS_SIM_CARD (self), FALSE);
  ins = inserted_path (self);
  if (g_unlink (ins) != 0 && errno != ENOENT)
    {
      int errsv = errno;
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO, "Cannot remove %s: %s", ins,
                   g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

void
vp_sim_card_set_fault (VpSimCard *self,
                       VpSimFault fault,
                       gsize      after_bytes)
{
  g_return_if_fail (VP_IS_SIM_CARD (self));
  self->fault = fault;
  self->fault_bytes = after_bytes;
  self->failing_reads = 0;
}

/* --- VpCardReader ----------------------------------------------------------- */

static const char *
sim_get_name (VpCardReader *reader)
{
  return "simulated card reader";
}

static gboolean
sim_is_present (VpCardReader *reader)
{
  g_autofree char *n = vp_sim_card_dup_inserted (VP_SIM_CARD (reader));

  return n != NULL;
}

static char *
inserted_card_path (VpSimCard *self,
                    GError   **error)
{
  g_autofree char *n = vp_sim_card_dup_inserted (self);

  if (n == NULL)
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_NO_CARD,
                   "No card in the simulated reader (%s); insert one with “card insert CARD_NO”",
                   self->dir);
      return NULL;
    }
  return vp_sim_card_get_card_path (self, n);
}

static GBytes *
sim_read (VpCardReader  *reader,
          GError       **error)
{
  VpSimCard *self = VP_SIM_CARD (reader);
  g_autofree char *path = inserted_card_path (self, error);
  g_autoptr(GError) local = NULL;
  char *data = NULL;
  gsize len = 0;

  if (path == NULL)
    return NULL;
  if (self->failing_reads > 0)
    {
      self->failing_reads--;
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
                   "Cannot read the card (simulated transient read error)");
      return NULL;
    }
  if (self->fault == VP_SIM_FAULT_GARBAGE)
    {
      guint8 *noise = g_malloc (VP_CARD_IMAGE_SIZE);

      for (guint i = 0; i < VP_CARD_IMAGE_SIZE; i++)
        noise[i] = g_random_int_range (0, 256);
      return g_bytes_new_take (noise, VP_CARD_IMAGE_SIZE);
    }
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO, "Cannot read the card: %s",
                   local->message);
      return NULL;
    }
  return g_bytes_new_take (data, len);
}

static gboolean
sim_write (VpCardReader  *reader,
           gsize          offset,
           const guint8  *data,
           gsize          len,
           GError       **error)
{
  VpSimCard *self = VP_SIM_CARD (reader);
  g_autofree char *path = inserted_card_path (self, error);
  g_autofree guint8 *copy = NULL;
  VpSimFault fault = self->fault;
  gsize n = len;
  gsize done = 0;
  int fd;

  if (path == NULL)
    return FALSE;
  /* Write faults fire once. */
  if (fault != VP_SIM_FAULT_GARBAGE)
    self->fault = VP_SIM_FAULT_NONE;
  if (fault == VP_SIM_FAULT_WRITE_ERROR)
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
                   "The card refused the write (simulated write error)");
      return FALSE;
    }
  if (fault == VP_SIM_FAULT_PULL_AFTER || fault == VP_SIM_FAULT_CRASH_AFTER)
    n = MIN (len, self->fault_bytes);
  copy = g_memdup2 (data, len);
  if (fault == VP_SIM_FAULT_MISMATCH && len > 0)
    copy[len / 2] ^= 0x5a;

  fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO, "Cannot write the card %s: %s", path,
                   g_strerror (errsv));
      return FALSE;
    }
  while (done < n)
    {
      /* A slow card (VANPOS_SIM_WRITE_DELAY_MS per 16 bytes) lets a test
       * kill the process while the write is under way. */
      gsize step = self->write_delay_ms ? MIN (16, n - done) : n - done;
      ssize_t w;

      if (self->write_delay_ms)
        {
          g_usleep (self->write_delay_ms * 1000);
          w = pwrite (fd, copy + done, step, offset + done);
          if (w > 0)
            fdatasync (fd);
        }
      else
        w = pwrite (fd, copy + done, step, offset + done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          int errsv = errno;
          close (fd);
          g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO, "Card write failed: %s",
                       g_strerror (errsv));
          return FALSE;
        }
      done += w;
    }
  /* The card's EEPROM keeps what reached it, even when the van dies next. */
  if (fsync (fd) != 0)
    {
      int errsv = errno;
      close (fd);
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO, "Card write failed: %s",
                   g_strerror (errsv));
      return FALSE;
    }
  close (fd);

  if (fault == VP_SIM_FAULT_READ_FAIL)
    self->failing_reads = self->fault_bytes;
  if (fault == VP_SIM_FAULT_CRASH_AFTER)
    {
      g_printerr ("vanpos: simulated crash mid card write (%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                  " bytes written)\n", n, len);
      _exit (86);
    }
  /* N >= len: all of it reached the card, but it left before the
   * reader could acknowledge. */
  if (fault == VP_SIM_FAULT_PULL_AFTER)
    {
      vp_sim_card_remove (self, NULL);
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_REMOVED,
                   "The card was pulled out during the write (%" G_GSIZE_FORMAT " of %"
                   G_GSIZE_FORMAT " bytes written)", n, len);
      return FALSE;
    }
  return TRUE;
}

static char *
sim_dup_card_id (VpCardReader *reader)
{
  return vp_sim_card_dup_inserted (VP_SIM_CARD (reader));
}

static void
reader_iface_init (VpCardReaderInterface *iface)
{
  iface->dup_card_id = sim_dup_card_id;
  iface->get_name = sim_get_name;
  iface->is_present = sim_is_present;
  iface->read = sim_read;
  iface->write = sim_write;
}
