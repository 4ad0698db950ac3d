/* vp-pcsc-card.c: PC/SC driver, ISO 7816-4 transparent file access.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-pcsc-card"

#include "config.h"

#include <string.h>

#include <winscard.h>

#include "vp-pcsc-card.h"

struct _VpPcscCard
{
  GObject      parent_instance;
  SCARDCONTEXT ctx;
  gboolean     have_ctx;
  char        *reader;
};

static void reader_iface_init (VpCardReaderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VpPcscCard, vp_pcsc_card, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (VP_TYPE_CARD_READER, reader_iface_init))

static gboolean
set_pcsc_error (GError    **error,
                LONG        rv,
                const char *what)
{
  int code = VP_CARD_ERROR_IO;

  switch (rv)
    {
    case SCARD_E_NO_SMARTCARD:
      code = VP_CARD_ERROR_NO_CARD;
      break;
    case SCARD_W_REMOVED_CARD:
    case SCARD_W_RESET_CARD:
      code = VP_CARD_ERROR_REMOVED;
      break;
    case SCARD_E_TIMEOUT:
      code = VP_CARD_ERROR_TIMEOUT;
      break;
    case SCARD_W_UNRESPONSIVE_CARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_E_NOT_TRANSACTED:
    case SCARD_E_READER_UNAVAILABLE:
    case SCARD_E_NO_READERS_AVAILABLE:
      /* vpcd reports a vanished card this way. */
      code = VP_CARD_ERROR_REMOVED;
      break;
    default:
      break;
    }
  g_set_error (error, VP_CARD_ERROR, code, "%s: %s (0x%08lx)", what,
               pcsc_stringify_error (rv), (unsigned long)rv);
  return FALSE;
}

static void
vp_pcsc_card_finalize (GObject *object)
{
  VpPcscCard *self = (VpPcscCard *)object;

  if (self->have_ctx)
    SCardReleaseContext (self->ctx);
  g_free (self->reader);
  G_OBJECT_CLASS (vp_pcsc_card_parent_class)->finalize (object);
}

static void
vp_pcsc_card_class_init (VpPcscCardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vp_pcsc_card_finalize;
}

static void
vp_pcsc_card_init (VpPcscCard *self)
{
}

VpPcscCard *
vp_pcsc_card_new (const char  *reader_match,
                  GError     **error)
{
  g_autoptr(VpPcscCard) self = g_object_new (VP_TYPE_PCSC_CARD, NULL);
  g_autofree char *readers = NULL;
  DWORD len = 0;
  LONG rv;

  rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &self->ctx);
  if (rv != SCARD_S_SUCCESS)
    return set_pcsc_error (error, rv, "Cannot reach the PC/SC service (is pcscd running?)"), NULL;
  self->have_ctx = TRUE;
  rv = SCardListReaders (self->ctx, NULL, NULL, &len);
  if (rv != SCARD_S_SUCCESS)
    return set_pcsc_error (error, rv, "No PC/SC card reader"), NULL;
  readers = g_malloc0 (len + 1);
  rv = SCardListReaders (self->ctx, NULL, readers, &len);
  if (rv != SCARD_S_SUCCESS)
    return set_pcsc_error (error, rv, "No PC/SC card reader"), NULL;
  for (const char *r = readers; *r; r += strlen (r) + 1)
    if (reader_match == NULL || strstr (r, reader_match) != NULL)
      {
        self->reader = g_strdup (r);
        break;
      }
  if (self->reader == NULL)
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
                   "No PC/SC reader name contains “%s”", reader_match);
      return NULL;
    }
  g_debug ("using PC/SC reader %s", self->reader);
  return g_steal_pointer (&self);
}

static const char *
pcsc_get_name (VpCardReader *reader)
{
  return VP_PCSC_CARD (reader)->reader;
}

static gboolean
card_state (VpPcscCard *self,
            DWORD       timeout_ms,
            gboolean   *present,
            GError    **error)
{
  SCARD_READERSTATE rs = { 0 };
  LONG rv;

  rs.szReader = self->reader;
  rs.dwCurrentState = SCARD_STATE_UNAWARE;
  rv = SCardGetStatusChange (self->ctx, 0, &rs, 1);
  if (rv != SCARD_S_SUCCESS)
    return set_pcsc_error (error, rv, "Cannot query the card reader");
  if (!(rs.dwEventState & SCARD_STATE_PRESENT) && timeout_ms > 0)
    {
      rs.dwCurrentState = rs.dwEventState;
      rv = SCardGetStatusChange (self->ctx, timeout_ms, &rs, 1);
      if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
        return set_pcsc_error (error, rv, "Cannot query the card reader");
    }
  *present = (rs.dwEventState & SCARD_STATE_PRESENT) != 0 &&
             (rs.dwEventState & SCARD_STATE_MUTE) == 0;
  return TRUE;
}

static gboolean
pcsc_is_present (VpCardReader *reader)
{
  gboolean present = FALSE;

  return card_state (VP_PCSC_CARD (reader), 0, &present, NULL) && present;
}

static gboolean
pcsc_wait_for_card (VpCardReader  *reader,
                    guint          timeout_ms,
                    GCancellable  *cancellable,
                    GError       **error)
{
  VpPcscCard *self = VP_PCSC_CARD (reader);
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  gboolean present = FALSE;

  for (;;)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      /* Short slices so a cancel is seen within 200 ms. */
      if (!card_state (self, CLAMP (left, 0, 200), &present, error))
        return FALSE;
      if (present)
        return TRUE;
      if (left <= 0)
        break;
    }
  if (timeout_ms == 0)
    g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_NO_CARD,
                 "No card in the reader (%s); insert the resident's card", self->reader);
  else
    g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_TIMEOUT,
                 "No card was inserted into %s within %u s", self->reader,
                 (timeout_ms + 999) / 1000);
  return FALSE;
}

typedef struct
{
  VpPcscCard  *self;
  SCARDHANDLE  card;
  DWORD        protocol;
} Session;

static gboolean
transmit (Session      *s,
          const guint8 *apdu,
          gsize         apdu_len,
          guint8       *resp,
          gsize        *resp_len,   /* in: capacity incl. SW; out: data length */
          const char   *what,
          GError      **error)
{
  const SCARD_IO_REQUEST *pci = s->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
  DWORD len = *resp_len;
  guint sw;
  LONG rv;

  rv = SCardTransmit (s->card, pci, apdu, apdu_len, NULL, resp, &len);
  if (rv != SCARD_S_SUCCESS)
    return set_pcsc_error (error, rv, what);
  if (len < 2)
    {
      /* vpcd's answer when the card went away mid-command. */
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_REMOVED,
                   "%s: the card stopped answering (pulled out?)", what);
      return FALSE;
    }
  sw = (resp[len - 2] << 8) | resp[len - 1];
  if (sw == 0x6A82)
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_WRONG_CARD,
                   "%s: this card has no utility meter file (SW 6A82); not a utility card", what);
      return FALSE;
    }
  if (sw != 0x9000)
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO, "%s: the card answered SW %04X", what, sw);
      return FALSE;
    }
  *resp_len = len - 2;
  return TRUE;
}

static gboolean
session_open (VpPcscCard *self,
              Session    *s,
              GError    **error)
{
  guint8 select[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, VP_PCSC_EF_ID >> 8, VP_PCSC_EF_ID & 0xff };
  guint8 resp[258];
  gsize rlen = sizeof resp;
  LONG rv;

  s->self = self;
  rv = SCardConnect (self->ctx, self->reader, SCARD_SHARE_EXCLUSIVE,
                     SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &s->card, &s->protocol);
  if (rv != SCARD_S_SUCCESS)
    return set_pcsc_error (error, rv, "Cannot connect to the card");
  if (!transmit (s, select, sizeof select, resp, &rlen, "SELECT of the meter file", error))
    {
      SCardDisconnect (s->card, SCARD_LEAVE_CARD);
      return FALSE;
    }
  return TRUE;
}

static void
session_close (Session *s)
{
  SCardDisconnect (s->card, SCARD_LEAVE_CARD);
}

static GBytes *
pcsc_read (VpCardReader  *reader,
           GError       **error)
{
  VpPcscCard *self = VP_PCSC_CARD (reader);
  g_autofree guint8 *image = g_malloc (VP_CARD_IMAGE_SIZE);
  Session s;

  if (!session_open (self, &s, error))
    return NULL;
  for (gsize off = 0; off < VP_CARD_IMAGE_SIZE; off += VP_PCSC_CHUNK)
    {
      gsize want = MIN (VP_PCSC_CHUNK, VP_CARD_IMAGE_SIZE - off);
      guint8 apdu[] = { 0x00, 0xB0, off >> 8, off & 0xff, want };
      guint8 resp[258];
      gsize rlen = sizeof resp;

      if (!transmit (&s, apdu, sizeof apdu, resp, &rlen, "READ BINARY", error))
        {
          session_close (&s);
          return NULL;
        }
      if (rlen != want)
        {
          g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_GARBAGE,
                       "READ BINARY at %" G_GSIZE_FORMAT " gave %" G_GSIZE_FORMAT " bytes, not %"
                       G_GSIZE_FORMAT "; not a utility card", off, rlen, want);
          session_close (&s);
          return NULL;
        }
      memcpy (image + off, resp, want);
    }
  session_close (&s);
  return g_bytes_new_take (g_steal_pointer (&image), VP_CARD_IMAGE_SIZE);
}

static gboolean
pcsc_write (VpCardReader  *reader,
            gsize          offset,
            const guint8  *data,
            gsize          len,
            GError       **error)
{
  VpPcscCard *self = VP_PCSC_CARD (reader);
  Session s;

  if (!session_open (self, &s, error))
    return FALSE;
  for (gsize done = 0; done < len; )
    {
      gsize off = offset + done;
      gsize n = MIN (VP_PCSC_CHUNK, len - done);
      guint8 apdu[5 + VP_PCSC_CHUNK] = { 0x00, 0xD6, off >> 8, off & 0xff, n };
      guint8 resp[16];
      gsize rlen = sizeof resp;

      memcpy (apdu + 5, data + done, n);
      if (!transmit (&s, apdu, 5 + n, resp, &rlen, "UPDATE BINARY", error))
        {
          g_prefix_error (error, "Card write stopped after %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                          " bytes: ", done, len);
          session_close (&s);
          return FALSE;
        }
      done += n;
    }
  session_close (&s);
  return TRUE;
}

static void
reader_iface_init (VpCardReaderInterface *iface)
{
  iface->get_name = pcsc_get_name;
  iface->is_present = pcsc_is_present;
  iface->wait_for_card = pcsc_wait_for_card;
  iface->read = pcsc_read;
  iface->write = pcsc_write;
}
