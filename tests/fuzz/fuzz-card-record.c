/* fuzz-card-record.c: libFuzzer harness for the IC-card record parser.
 *
 * Each input is parsed three ways: as a record exactly as given; as a
 * record whose MAC is recomputed under the test key, so mutations get
 * past the MAC into every field check; and as a two-slot card image.
 * Whatever parses must encode back to the very same bytes; whatever does
 * not must come with an error message. ASan catches any overread.
 *
 * Build: clang -fsanitize=fuzzer,address (tests/fuzz/meson.build does it
 * when clang can). Run: fuzz-card-record -max_total_time=20 CORPUS_DIR
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "vp-card-record.h"

static const guint8 key[VP_CARD_KEY_SIZE] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
  0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check (const guint8 *rec,
       gsize         len)
{
  VpCardRecord r;
  GError *error = NULL;

  if (vp_card_record_parse (rec, len, key, &r, &error))
    {
      guint8 again[VP_CARD_RECORD_SIZE];

      if (!vp_card_record_encode (&r, key, again, NULL) || memcmp (again, rec, sizeof again) != 0)
        abort ();
      if (vp_card_record_verify_for_account (&r, r.account_number, r.card_number, r.counter, NULL) != TRUE)
        abort ();
    }
  else
    {
      if (error == NULL || error->message == NULL || error->message[0] == '\0')
        abort ();
      g_error_free (error);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint8 rec[VP_CARD_RECORD_SIZE];
  guint8 full[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  VpCardImage image;
  GError *error = NULL;

  check (data, size);

  /* Re-signed: reaches the field checks. */
  memset (rec, 0, sizeof rec);
  memcpy (rec, data, MIN (size, sizeof rec));
  HMAC (EVP_sha256 (), key, sizeof key, rec, VP_CARD_RECORD_SIZE - VP_CARD_MAC_SIZE, full, &n);
  memcpy (rec + VP_CARD_RECORD_SIZE - VP_CARD_MAC_SIZE, full, VP_CARD_MAC_SIZE);
  check (rec, sizeof rec);

  if (vp_card_image_parse (data, size, key, &image, &error))
    {
      if (!image.blank && !image.has_record)
        abort ();
      vp_card_image_clear (&image);
    }
  else
    {
      if (error == NULL)
        abort ();
      g_error_free (error);
    }
  return 0;
}
