/* vp-pcsc-card.h: an IC-card reader over PC/SC (libpcsclite).
 *
 * The card data area is a transparent elementary file (file id
 * VP_PCSC_EF_ID, VP_CARD_IMAGE_SIZE bytes) selected with ISO 7816-4
 * SELECT (by file id), read with READ BINARY and written with UPDATE
 * BINARY in chunks of VP_PCSC_CHUNK bytes. Every status word is checked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-card-reader.h"

G_BEGIN_DECLS

#define VP_PCSC_EF_ID 0xA001
#define VP_PCSC_CHUNK 124

#define VP_TYPE_PCSC_CARD (vp_pcsc_card_get_type ())
G_DECLARE_FINAL_TYPE (VpPcscCard, vp_pcsc_card, VP, PCSC_CARD, GObject)

/* Connects to pcscd and picks the first reader whose name contains
 * reader_match (NULL: the first reader). */
VpPcscCard *vp_pcsc_card_new (const char  *reader_match,
                              GError     **error);

G_END_DECLS
