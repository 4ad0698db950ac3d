/* vp-card-reader.h: one interface for IC-card readers.
 *
 * A reader gives access to the card's data area (VP_CARD_IMAGE_SIZE bytes,
 * see vp-card-record.h): read it whole, write a byte range. Drivers:
 * VpSimCard (a file per card, with fault injection; demo and tests) and
 * VpPcscCard (PC/SC, ISO 7816-4 APDUs). All calls block; the service runs
 * them on its worker thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vp-card-record.h"

G_BEGIN_DECLS

#define VP_CARD_ERROR (vp_card_error_quark ())

typedef enum
{
  VP_CARD_ERROR_NO_CARD,     /* no card in the reader */
  VP_CARD_ERROR_REMOVED,     /* the card was pulled during an operation */
  VP_CARD_ERROR_IO,          /* reader or card failure */
  VP_CARD_ERROR_MISMATCH,    /* read-back differs from what was written */
  VP_CARD_ERROR_GARBAGE,     /* the card's data cannot be read as a record */
  VP_CARD_ERROR_WRONG_CARD,  /* not the account's card, or not a utility card */
  VP_CARD_ERROR_BLOCKED,     /* reported lost or stolen */
  VP_CARD_ERROR_TIMEOUT,     /* no card inserted in time */
} VpCardError;

GQuark vp_card_error_quark (void);

#define VP_TYPE_CARD_READER (vp_card_reader_get_type ())
G_DECLARE_INTERFACE (VpCardReader, vp_card_reader, VP, CARD_READER, GObject)

struct _VpCardReaderInterface
{
  GTypeInterface parent_iface;

  const char *(*get_name)      (VpCardReader  *self);
  /* Non-blocking: is a card in the reader now? */
  gboolean    (*is_present)    (VpCardReader  *self);
  /* Optional; the default polls is_present every 50 ms. */
  gboolean    (*wait_for_card) (VpCardReader  *self,
                                guint          timeout_ms,
                                GCancellable  *cancellable,
                                GError       **error);
  /* The whole data area, VP_CARD_IMAGE_SIZE bytes. */
  GBytes     *(*read)          (VpCardReader  *self,
                                GError       **error);
  gboolean    (*write)         (VpCardReader  *self,
                                gsize          offset,
                                const guint8  *data,
                                gsize          len,
                                GError       **error);
  /* Optional: an identity the reader knows without reading the data
   * (the simulated card's number); NULL when unknown. */
  char       *(*dup_card_id)   (VpCardReader  *self);
};

const char *vp_card_reader_get_name      (VpCardReader  *self);
gboolean    vp_card_reader_is_present    (VpCardReader  *self);
/* Waits until a card is present; VP_CARD_ERROR_TIMEOUT after timeout_ms
 * (0: do not wait), G_IO_ERROR_CANCELLED when cancelled. */
gboolean    vp_card_reader_wait_for_card (VpCardReader  *self,
                                          guint          timeout_ms,
                                          GCancellable  *cancellable,
                                          GError       **error);
GBytes     *vp_card_reader_read          (VpCardReader  *self,
                                          GError       **error);
gboolean    vp_card_reader_write         (VpCardReader  *self,
                                          gsize          offset,
                                          const guint8  *data,
                                          gsize          len,
                                          GError       **error);
/* The card's identity when the reader knows it without the data, else NULL. */
char       *vp_card_reader_dup_card_id   (VpCardReader  *self);
/* Checks presence and emits "card-inserted" / "card-removed" when it
 * changed since the last poll. Returns whether a card is present. Call it
 * from a timer in the thread that owns the reader's signal handlers. */
gboolean    vp_card_reader_poll          (VpCardReader  *self);

G_END_DECLS
