/* vp-card-record.h: the purchase record written to a resident's IC card.
 *
 * A card holds VP_CARD_IMAGE_SIZE bytes: two record slots of
 * VP_CARD_RECORD_SIZE bytes each. A top-up always writes the slot that
 * does NOT hold the newest valid record, so a card pulled mid-write keeps
 * its previous record intact in the other slot (the torn slot fails its
 * MAC and is ignored). The newest valid slot is the card's state.
 *
 * Record layout, version 1, all integers big-endian, 248 bytes:
 *
 *   off  size  field
 *     0     4  magic "VPIC"
 *     4     1  version (1)
 *     5     1  number of history entries used (0..5)
 *     6     2  card key version: 0 = the writing van's own key (cards written
 *              before utility keys; only that van reads them), N >= 1 = the
 *              key derived from the utility's master key version N
 *     8    20  card number: 8..20 ASCII digits, NUL padded
 *    28    24  account number: 11 digit number or "P-<VAN>-<seq>", NUL padded
 *    52     4  purchase counter (0 = never topped up)
 *    56     4  tariff version of the last purchase
 *    60     8  volume credited by the last purchase, litres
 *    68     8  amount paid for the last purchase, fen
 *    76     8  cumulative volume credited to this card, litres
 *    84     8  time the record was written, µs since the Unix epoch
 *    92   140  history: 5 × { counter u32, volume u64, amount u64, time i64 },
 *              newest first; entry 0 is the last purchase; unused entries zero
 *   232    16  MAC: HMAC-SHA256 under the card's 32 byte key over
 *              bytes 0..231, truncated to its first 16 bytes (128 bits, as
 *              the meter's secure element verifies; NIST SP 800-107 allows
 *              truncation to >= 64 bits for HMAC authentication)
 *
 * The card's key (DESIGN §6): for key version N >= 1,
 *   HKDF-SHA256 (IKM = the utility's master key N,
 *                salt = "VanPOS card key",
 *                info = card number (ASCII digits) || 0x00 || N as u16 big-endian,
 *                L = 32)
 * so every van holding master key N reads and writes every card, a
 * certificate renewal never changes a card key, and a key taken from one
 * card opens no other. Version 0 is the legacy per-van key used as is.
 * A van writes with the highest version it holds, so a legacy card moves
 * to the utility key at its next top-up on its own van.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"

G_BEGIN_DECLS

#define VP_CARD_RECORD_ERROR (vp_card_record_error_quark ())

typedef enum
{
  VP_CARD_RECORD_ERROR_LENGTH,    /* wrong number of bytes */
  VP_CARD_RECORD_ERROR_BLANK,     /* an unwritten slot or card (all 00 or all FF) */
  VP_CARD_RECORD_ERROR_MAGIC,     /* not a VanPOS record: garbage or a torn write */
  VP_CARD_RECORD_ERROR_VERSION,   /* unknown record version */
  VP_CARD_RECORD_ERROR_FIELD,     /* a field is out of range or malformed */
  VP_CARD_RECORD_ERROR_MAC,       /* MAC does not verify: forged, altered or torn */
  VP_CARD_RECORD_ERROR_FORGED,    /* valid MAC but contradicts the van's records */
  VP_CARD_RECORD_ERROR_WRONG_CARD,/* a different card than the account's */
  VP_CARD_RECORD_ERROR_KEY,       /* bad card key */
} VpCardRecordError;

#define VP_CARD_RECORD_VERSION   1
#define VP_CARD_RECORD_SIZE      248
#define VP_CARD_IMAGE_SLOTS      2
#define VP_CARD_IMAGE_SIZE       (VP_CARD_RECORD_SIZE * VP_CARD_IMAGE_SLOTS)
#define VP_CARD_KEY_SIZE         32
#define VP_CARD_MAC_SIZE         16
#define VP_CARD_HISTORY          5
#define VP_CARD_NUMBER_MAX       20
#define VP_CARD_ACCOUNT_MAX      24
#define VP_CARD_KEYRING_MAX      8

/* Record flags (byte 6). Records written before the flags existed have
 * the byte zero: their last purchase is not loaded yet. */
#define VP_CARD_FLAG_LOADED      0x01
#define VP_CARD_FLAG_REVERSAL    0x02
#define VP_CARD_FLAGS_KNOWN      (VP_CARD_FLAG_LOADED | VP_CARD_FLAG_REVERSAL)

typedef struct
{
  guint32  counter;
  VpVolume volume;
  VpMoney  amount;
  gint64   time;      /* µs since the epoch */
} VpCardPurchase;

typedef struct
{
  char           card_number[VP_CARD_NUMBER_MAX + 1];
  char           account_number[VP_CARD_ACCOUNT_MAX + 1];
  guint32        counter;
  guint32        tariff_version;
  VpVolume       last_volume;
  VpMoney        last_amount;
  VpVolume       total_volume;
  gint64         time;
  guint8         flags;     /* VP_CARD_FLAG_* */
  guint          n_history;
  VpCardPurchase history[VP_CARD_HISTORY];
  guint16        key_version;  /* set by parse; encode writes the keyring's */
} VpCardRecord;

/* The keys a van holds: its legacy key (version 0, optional) and the
 * utility's master keys by version; it writes with write_version. */
typedef struct
{
  gboolean has_legacy;
  guint8   legacy[VP_CARD_KEY_SIZE];
  guint    n_masters;
  struct
  {
    guint16 version;
    guint8  key[VP_CARD_KEY_SIZE];
  } masters[VP_CARD_KEYRING_MAX];
  guint16  write_version;
} VpCardKeyring;

/* What a whole card image holds. */
typedef struct
{
  gboolean     blank;       /* no valid record in any slot, all slots blank */
  gboolean     has_record;
  int          slot;        /* slot of record, -1 when blank */
  VpCardRecord record;      /* the newest valid record */
  gboolean     damaged;     /* the other slot is neither blank nor valid (torn write) */
  char        *damage;      /* why the other slot was rejected, or NULL */
} VpCardImage;

GQuark   vp_card_record_error_quark (void);

/* Checks a key given as 64 hex digits; fills key. */
gboolean vp_card_key_from_hex       (const char   *hex,
                                     guint8        key[VP_CARD_KEY_SIZE],
                                     GError      **error);
char    *vp_card_key_to_hex         (const guint8  key[VP_CARD_KEY_SIZE]);

/* The per-card key of key version (>= 1) derived from master (see above). */
void     vp_card_key_derive         (const guint8  master[VP_CARD_KEY_SIZE],
                                     guint16       version,
                                     const char   *card_number,
                                     guint8        out[VP_CARD_KEY_SIZE]);
void     vp_card_keyring_init       (VpCardKeyring *ring);
void     vp_card_keyring_set_legacy (VpCardKeyring *ring,
                                     const guint8   key[VP_CARD_KEY_SIZE]);
/* Adds (or replaces) master key version >= 1; write_version becomes the
 * highest version held. */
gboolean vp_card_keyring_add_master (VpCardKeyring *ring,
                                     guint          version,
                                     const guint8   key[VP_CARD_KEY_SIZE],
                                     GError       **error);
/* Master keys as text, one "VERSION HEX" line each (the bundle's
 * card-keys file and the van's meta "card_keys"). */
gboolean vp_card_keyring_add_masters_text (VpCardKeyring *ring,
                                           const char    *text,
                                           GError       **error);
char    *vp_card_keyring_masters_to_text  (const VpCardKeyring *ring);
/* The MAC key for a card: the legacy key for version 0, else derived. */
gboolean vp_card_keyring_card_key   (const VpCardKeyring *ring,
                                     guint16              version,
                                     const char          *card_number,
                                     guint8               out[VP_CARD_KEY_SIZE],
                                     GError             **error);
void     vp_card_keyring_clear      (VpCardKeyring *ring);

/* With a keyring: encode writes ring->write_version, parse picks the key
 * by the record's key version. */
gboolean vp_card_record_encode_ring (const VpCardRecord  *record,
                                     const VpCardKeyring *ring,
                                     guint8               out[VP_CARD_RECORD_SIZE],
                                     GError             **error);
gboolean vp_card_record_parse_ring  (const guint8        *data,
                                     gsize                len,
                                     const VpCardKeyring *ring,
                                     VpCardRecord        *out,
                                     GError             **error);
gboolean vp_card_image_parse_ring   (const guint8        *data,
                                     gsize                len,
                                     const VpCardKeyring *ring,
                                     VpCardImage         *out,
                                     GError             **error);

/* Validates fields and encodes with the MAC into out, as key version 0
 * under key (a keyring holding only that legacy key). */
gboolean vp_card_record_encode      (const VpCardRecord *record,
                                     const guint8        key[VP_CARD_KEY_SIZE],
                                     guint8              out[VP_CARD_RECORD_SIZE],
                                     GError            **error);
/* Rejects every malformed record: length, blank, magic, version, every
 * field's range and syntax, then the MAC. key is a legacy (version 0) key. */
gboolean vp_card_record_parse       (const guint8       *data,
                                     gsize               len,
                                     const guint8        key[VP_CARD_KEY_SIZE],
                                     VpCardRecord       *out,
                                     GError            **error);
/* The record as the van should find it for this account: the card's
 * number must be card_number (else WRONG_CARD), it must be written for
 * account_number and its counter must not be behind store_counter
 * (else FORGED: "forged or altered card"). */
gboolean vp_card_record_verify_for_account (const VpCardRecord *record,
                                            const char         *account_number,
                                            const char         *card_number,
                                            gint64              store_counter,
                                            GError            **error);
/* Next record: counter+1 style purchase appended to history. */
void     vp_card_record_add_purchase (VpCardRecord *record,
                                      guint32       counter,
                                      VpVolume      volume,
                                      VpMoney       amount,
                                      guint32       tariff_version,
                                      gint64        time);
/* The record a top-up reversal writes: the last purchase (history entry
 * 1, not loaded into the meter) comes off the history and the total, the
 * counter moves on to counter (so the meter, which loads by counter,
 * never loads it) and the record is marked REVERSAL with nothing to
 * load. Fails (VP_CARD_RECORD_ERROR_FIELD) when there is no purchase to
 * take off, it was loaded, or counter is not past the card's. */
gboolean vp_card_record_take_off_purchase (VpCardRecord *record,
                                           guint32       counter,
                                           gint64        time,
                                           GError      **error);
/* What a meter does when the card is put in: takes the last purchase in
 * and marks the record LOADED. Fails when there is nothing to load. */
gboolean vp_card_record_mark_loaded  (VpCardRecord *record,
                                      GError      **error);

/* Parses a whole card image (VP_CARD_IMAGE_SIZE bytes). A card with no
 * valid slot that is not blank fails with the first slot's error. */
gboolean vp_card_image_parse        (const guint8 *data,
                                     gsize         len,
                                     const guint8  key[VP_CARD_KEY_SIZE],
                                     VpCardImage  *out,
                                     GError      **error);
void     vp_card_image_clear        (VpCardImage  *image);
/* The slot the next record goes to (never the one holding the current record). */
int      vp_card_image_next_slot    (const VpCardImage *image);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VpCardImage, vp_card_image_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VpCardKeyring, vp_card_keyring_clear)

G_END_DECLS
