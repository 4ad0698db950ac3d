/* vp-card-reader.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-card"

#include "config.h"

#include "vp-card-reader.h"

G_DEFINE_QUARK (vp-card-error-quark, vp_card_error)

G_DEFINE_INTERFACE (VpCardReader, vp_card_reader, G_TYPE_OBJECT)

enum { CARD_INSERTED, CARD_REMOVED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gboolean
default_wait_for_card (VpCardReader  *self,
                       guint          timeout_ms,
                       GCancellable  *cancellable,
                       GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  for (;;)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (vp_card_reader_is_present (self))
        return TRUE;
      if (g_get_monotonic_time () >= deadline)
        {
          if (timeout_ms == 0)
            g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_NO_CARD,
                         "No card in the reader (%s); insert the resident's card",
                         vp_card_reader_get_name (self));
          else
            g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_TIMEOUT,
                         "No card was inserted into %s within %u s",
                         vp_card_reader_get_name (self), (timeout_ms + 999) / 1000);
          return FALSE;
        }
      g_usleep (50 * 1000);
    }
}

static void
vp_card_reader_default_init (VpCardReaderInterface *iface)
{
  iface->wait_for_card = default_wait_for_card;

  /**
   * VpCardReader::card-inserted:
   *
   * A card appeared in the reader (seen by vp_card_reader_poll()).
   */
  signals[CARD_INSERTED] = g_signal_new ("card-inserted", G_TYPE_FROM_INTERFACE (iface),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  /**
   * VpCardReader::card-removed:
   *
   * The card left the reader (seen by vp_card_reader_poll()).
   */
  signals[CARD_REMOVED] = g_signal_new ("card-removed", G_TYPE_FROM_INTERFACE (iface),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 0);
}

const char *
vp_card_reader_get_name (VpCardReader *self)
{
  g_return_val_if_fail (VP_IS_CARD_READER (self), NULL);
  return VP_CARD_READER_GET_IFACE (self)->get_name (self);
}

gboolean
vp_card_reader_is_present (VpCardReader *self)
{
  g_return_val_if_fail (VP_IS_CARD_READER (self), FALSE);
  return VP_CARD_READER_GET_IFACE (self)->is_present (self);
}

gboolean
vp_card_reader_wait_for_card (VpCardReader  *self,
                              guint          timeout_ms,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_return_val_if_fail (VP_IS_CARD_READER (self), FALSE);
  return VP_CARD_READER_GET_IFACE (self)->wait_for_card (self, timeout_ms, cancellable, error);
}

GBytes *
vp_card_reader_read (VpCardReader  *self,
                     GError       **error)
{
  GBytes *bytes;

  g_return_val_if_fail (VP_IS_CARD_READER (self), NULL);
  bytes = VP_CARD_READER_GET_IFACE (self)->read (self, error);
  if (bytes != NULL && g_bytes_get_size (bytes) != VP_CARD_IMAGE_SIZE)
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_GARBAGE,
                   "The card returned %" G_GSIZE_FORMAT " bytes instead of %d; not a utility card",
                   g_bytes_get_size (bytes), VP_CARD_IMAGE_SIZE);
      g_bytes_unref (bytes);
      return NULL;
    }
  return bytes;
}

gboolean
vp_card_reader_write (VpCardReader  *self,
                      gsize          offset,
                      const guint8  *data,
                      gsize          len,
                      GError       **error)
{
  g_return_val_if_fail (VP_IS_CARD_READER (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  if (offset > VP_CARD_IMAGE_SIZE || len > VP_CARD_IMAGE_SIZE - offset)
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
                   "Write of %" G_GSIZE_FORMAT " bytes at %" G_GSIZE_FORMAT
                   " is outside the card's %d bytes", len, offset, VP_CARD_IMAGE_SIZE);
      return FALSE;
    }
  return VP_CARD_READER_GET_IFACE (self)->write (self, offset, data, len, error);
}

char *
vp_card_reader_dup_card_id (VpCardReader *self)
{
  VpCardReaderInterface *iface;

  g_return_val_if_fail (VP_IS_CARD_READER (self), NULL);
  iface = VP_CARD_READER_GET_IFACE (self);
  return iface->dup_card_id ? iface->dup_card_id (self) : NULL;
}

gboolean
vp_card_reader_poll (VpCardReader *self)
{
  static GQuark was_present_quark;
  gboolean present, was;

  g_return_val_if_fail (VP_IS_CARD_READER (self), FALSE);
  if (was_present_quark == 0)
    was_present_quark = g_quark_from_static_string ("vp-card-reader-was-present");
  present = vp_card_reader_is_present (self);
  was = GPOINTER_TO_INT (g_object_get_qdata (G_OBJECT (self), was_present_quark)) == 2;
  g_object_set_qdata (G_OBJECT (self), was_present_quark, GINT_TO_POINTER (present ? 2 : 1));
  if (present && !was)
    g_signal_emit (self, signals[CARD_INSERTED], 0);
  else if (!present && was)
    g_signal_emit (self, signals[CARD_REMOVED], 0);
  return present;
}
