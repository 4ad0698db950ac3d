/* test-card-record.c: the card record format — round trip, every class
 * of malformed record, account checks, the two-slot image, and thousands
 * of random mutations (so gcc builds exercise the parser too).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "vp-core.h"
#include "vp-card-record.h"

static guint8 key[VP_CARD_KEY_SIZE];

static void
sample (VpCardRecord *r)
{
  memset (r, 0, sizeof *r);
  g_strlcpy (r->card_number, "880001000123", sizeof r->card_number);
  g_strlcpy (r->account_number, "34010000007", sizeof r->account_number);
  r->counter = 3;
  r->time = G_GINT64_CONSTANT (1795434039000000);
  vp_card_record_add_purchase (r, 4, 16780, 5000, 2, G_GINT64_CONSTANT (1795434040000000));
  vp_card_record_add_purchase (r, 5, 6713, 2000, 2, G_GINT64_CONSTANT (1795434041000000));
}

/* Recomputes the MAC so a mutation reaches the field checks. */
static void
resign (guint8 *rec)
{
  guint8 full[EVP_MAX_MD_SIZE];
  unsigned int n = 0;

  HMAC (EVP_sha256 (), key, sizeof key, rec, 232, full, &n);
  memcpy (rec + 232, full, VP_CARD_MAC_SIZE);
}

static void
test_round_trip (void)
{
  VpCardRecord r, back;
  guint8 buf[VP_CARD_RECORD_SIZE], buf2[VP_CARD_RECORD_SIZE];
  g_autoptr(GError) error = NULL;

  sample (&r);
  g_assert_true (vp_card_record_encode (&r, key, buf, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (buf, 4, "VPIC", 4);
  g_assert_cmpint (buf[4], ==, 1);
  /* Counter 5, big-endian at offset 52. */
  g_assert_cmpint (buf[52], ==, 0);
  g_assert_cmpint (buf[55], ==, 5);
  g_assert_true (vp_card_record_parse (buf, sizeof buf, key, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (back.card_number, ==, "880001000123");
  g_assert_cmpstr (back.account_number, ==, "34010000007");
  g_assert_cmpuint (back.counter, ==, 5);
  g_assert_cmpuint (back.n_history, ==, 2);
  g_assert_cmpint (back.history[0].counter, ==, 5);
  g_assert_cmpint (back.history[1].volume, ==, 16780);
  g_assert_cmpint (back.total_volume, ==, 16780 + 6713);
  g_assert_cmpint (back.last_amount, ==, 2000);
  g_assert_cmpuint (back.tariff_version, ==, 2);
  g_assert_true (vp_card_record_encode (&back, key, buf2, &error));
  g_assert_cmpmem (buf, sizeof buf, buf2, sizeof buf2);
}

/* A top-up reversal and the meter (issue 9), worked by hand on the
 * sample card: purchases 4 (16,780 L, ¥50.00) and 5 (6,713 L, ¥20.00),
 * 23,493 L in total. Taking purchase 5 off at counter 6 leaves purchase 4
 * alone, 16,780 L in total, nothing to load, flag REVERSAL; the bytes
 * round-trip; purchase 5 once loaded cannot be taken off. */
static void
test_take_off (void)
{
  VpCardRecord r, back, loaded;
  guint8 buf[VP_CARD_RECORD_SIZE];
  g_autoptr(GError) error = NULL;

  sample (&r);
  loaded = r;
  g_assert_cmpint (r.total_volume, ==, 23493);
  g_assert_true (vp_card_record_take_off_purchase (&r, 6, G_GINT64_CONSTANT (1795434042000000),
                                                   &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.counter, ==, 6);
  g_assert_cmpuint (r.n_history, ==, 1);
  g_assert_cmpuint (r.history[0].counter, ==, 4);
  g_assert_cmpint (r.history[0].volume, ==, 16780);
  g_assert_cmpint (r.history[1].counter, ==, 0);
  g_assert_cmpint (r.total_volume, ==, 16780);
  g_assert_cmpint (r.last_volume, ==, 0);
  g_assert_cmpint (r.last_amount, ==, 0);
  g_assert_cmpuint (r.flags, ==, VP_CARD_FLAG_REVERSAL);
  g_assert_true (vp_card_record_encode (&r, key, buf, &error));
  g_assert_no_error (error);
  g_assert_cmpint (buf[6], ==, 0x02);
  g_assert_cmpint (buf[7], ==, 0);
  g_assert_true (vp_card_record_parse (buf, sizeof buf, key, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (back.flags, ==, VP_CARD_FLAG_REVERSAL);
  g_assert_cmpint (back.total_volume, ==, 16780);
  /* Nothing left to take off or to load on a reversal record. */
  g_assert_false (vp_card_record_take_off_purchase (&back, 7, back.time, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FIELD);
  g_clear_error (&error);
  g_assert_false (vp_card_record_mark_loaded (&back, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FIELD);
  g_clear_error (&error);
  /* The next purchase on it is an ordinary one again: counter 7. */
  vp_card_record_add_purchase (&back, 7, 1000, 298, 2, G_GINT64_CONSTANT (1795434043000000));
  g_assert_cmpuint (back.flags, ==, 0);
  g_assert_cmpint (back.total_volume, ==, 17780);
  g_assert_true (vp_card_record_encode (&back, key, buf, &error));
  g_assert_no_error (error);

  /* The meter loads purchase 5: it stays, marked, and cannot come off. */
  g_assert_true (vp_card_record_mark_loaded (&loaded, &error));
  g_assert_no_error (error);
  g_assert_true (vp_card_record_encode (&loaded, key, buf, &error));
  g_assert_cmpint (buf[6], ==, 0x01);
  g_assert_true (vp_card_record_parse (buf, sizeof buf, key, &back, &error));
  g_assert_cmpuint (back.flags, ==, VP_CARD_FLAG_LOADED);
  g_assert_false (vp_card_record_take_off_purchase (&back, 6, back.time, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "already loaded into the meter"));
  g_clear_error (&error);
  /* A counter not past the card's is refused. */
  sample (&r);
  g_assert_false (vp_card_record_take_off_purchase (&r, 5, r.time, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FIELD);
}

static void
expect_parse_error (const guint8 *buf,
                    gsize         len,
                    int           code,
                    const char   *part)
{
  g_autoptr(GError) error = NULL;
  VpCardRecord out;

  g_assert_false (vp_card_record_parse (buf, len, key, &out, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, code);
  if (part && !strstr (error->message, part))
    g_error ("“%s” does not mention “%s”", error->message, part);
}

static void
test_malformed (void)
{
  VpCardRecord r;
  guint8 good[VP_CARD_RECORD_SIZE], b[VP_CARD_RECORD_SIZE + 1];

  sample (&r);
  g_assert_true (vp_card_record_encode (&r, key, good, NULL));

  expect_parse_error (good, 100, VP_CARD_RECORD_ERROR_LENGTH, "248 bytes");
  expect_parse_error (NULL, 0, VP_CARD_RECORD_ERROR_LENGTH, NULL);
  memset (b, 0, sizeof b);
  expect_parse_error (b, VP_CARD_RECORD_SIZE, VP_CARD_RECORD_ERROR_BLANK, "blank");
  memset (b, 0xff, sizeof b);
  expect_parse_error (b, VP_CARD_RECORD_SIZE, VP_CARD_RECORD_ERROR_BLANK, "blank");

#define MUTATE(stmt, code, part, mac) G_STMT_START { \
    memcpy (b, good, VP_CARD_RECORD_SIZE); stmt; if (mac) resign (b); \
    expect_parse_error (b, VP_CARD_RECORD_SIZE, code, part); } G_STMT_END

  MUTATE (b[0] = 'X', VP_CARD_RECORD_ERROR_MAGIC, "no VanPOS record", FALSE);
  MUTATE (b[4] = 2, VP_CARD_RECORD_ERROR_VERSION, "version 2", TRUE);
  MUTATE (b[100] ^= 1, VP_CARD_RECORD_ERROR_MAC, "Forged or altered", FALSE);
  MUTATE (b[240] ^= 0x80, VP_CARD_RECORD_ERROR_MAC, "MAC", FALSE);
  /* Field checks behind a valid MAC (a leaked key must not crash or fool us). */
  /* Byte 7 names the key version; a legacy-key van holds no version 1. */
  MUTATE (b[7] = 1, VP_CARD_RECORD_ERROR_MAC, "key version 1", TRUE);
  /* Byte 6 holds the flags: unknown bits, and LOADED with REVERSAL. */
  MUTATE (b[6] = 0x04, VP_CARD_RECORD_ERROR_FIELD, "unknown flags", TRUE);
  MUTATE (b[6] = 0x03, VP_CARD_RECORD_ERROR_FIELD, "marked loaded", TRUE);
  /* REVERSAL on a record whose last purchase is still to load. */
  MUTATE (b[6] = 0x02, VP_CARD_RECORD_ERROR_FIELD, "carries a purchase", TRUE);
  MUTATE (b[5] = 6, VP_CARD_RECORD_ERROR_FIELD, "history entries", TRUE);
  MUTATE (b[8 + 3] = 'A', VP_CARD_RECORD_ERROR_FIELD, "non-digit", TRUE);
  MUTATE (memset (b + 8 + 4, 0, 16), VP_CARD_RECORD_ERROR_FIELD, "8 to 20 digits", TRUE);
  MUTATE (b[8 + 15] = '1', VP_CARD_RECORD_ERROR_FIELD, "after its end", TRUE);
  MUTATE (b[8 + 2] = 0x07, VP_CARD_RECORD_ERROR_FIELD, "non-printable", TRUE);
  MUTATE (b[28 + 10] ^= 1, VP_CARD_RECORD_ERROR_FIELD, "account number", TRUE);
  MUTATE (b[55] = 9, VP_CARD_RECORD_ERROR_FIELD, "does not match history", TRUE);
  MUTATE (b[60] = 0x80, VP_CARD_RECORD_ERROR_FIELD, "out of range", TRUE);
  MUTATE (memset (b + 84, 0, 8), VP_CARD_RECORD_ERROR_FIELD, "write time", TRUE);
  MUTATE (b[76 + 7] = 0, VP_CARD_RECORD_ERROR_FIELD, "total volume", TRUE);
  MUTATE (b[92 + 28 + 3] = 7, VP_CARD_RECORD_ERROR_FIELD, "not decreasing", TRUE);
  MUTATE (b[92 + 2 * 28 + 3] = 1, VP_CARD_RECORD_ERROR_FIELD, "not empty", TRUE);
  MUTATE ((b[56 + 3] = 0, b[5] = 2), VP_CARD_RECORD_ERROR_FIELD, "tariff", TRUE);
  MUTATE ((b[52 + 3] = 0, b[5] = 0, memset (b + 92, 0, 140)), VP_CARD_RECORD_ERROR_FIELD,
          "no purchases", TRUE);
#undef MUTATE
}

static void
test_encode_refuses_bad (void)
{
  VpCardRecord r;
  guint8 buf[VP_CARD_RECORD_SIZE];
  g_autoptr(GError) error = NULL;

  sample (&r);
  g_strlcpy (r.card_number, "12AB5678", sizeof r.card_number);
  g_assert_false (vp_card_record_encode (&r, key, buf, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FIELD);
  g_clear_error (&error);
  sample (&r);
  g_strlcpy (r.account_number, "34010000008", sizeof r.account_number);
  g_assert_false (vp_card_record_encode (&r, key, buf, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FIELD);
  g_clear_error (&error);
  sample (&r);
  r.history[0].volume = 0;
  r.last_volume = 0;
  g_assert_false (vp_card_record_encode (&r, key, buf, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FIELD);
}

static void
test_other_key (void)
{
  VpCardRecord r, out;
  guint8 buf[VP_CARD_RECORD_SIZE];
  guint8 other[VP_CARD_KEY_SIZE];
  g_autoptr(GError) error = NULL;

  sample (&r);
  memcpy (other, key, sizeof other);
  other[0] ^= 1;
  g_assert_true (vp_card_record_encode (&r, other, buf, NULL));
  g_assert_false (vp_card_record_parse (buf, sizeof buf, key, &out, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC);
}

/* The per-card key is HKDF-SHA256 (master, salt "VanPOS card key",
 * info card number || 00 || version u16). Expected value from
 *   openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:0001…1f
 *     -kdfopt salt:"VanPOS card key" -kdfopt hexinfo:<"880001000123">000001 HKDF */
static void
test_derive_vector (void)
{
  guint8 master[VP_CARD_KEY_SIZE], out[VP_CARD_KEY_SIZE];
  g_autofree char *hex = NULL;

  for (guint i = 0; i < sizeof master; i++)
    master[i] = i;
  vp_card_key_derive (master, 1, "880001000123", out);
  hex = vp_card_key_to_hex (out);
  g_assert_cmpstr (hex, ==, "562ec109eb09215c635df46142312c3e22aed98ba18be3e6c88b12a40f37f0b5");
  /* Another card or another version: another key. */
  vp_card_key_derive (master, 2, "880001000123", out);
  g_clear_pointer (&hex, g_free);
  hex = vp_card_key_to_hex (out);
  g_assert_cmpstr (hex, !=, "562ec109eb09215c635df46142312c3e22aed98ba18be3e6c88b12a40f37f0b5");
}

static void
ring_with_master (VpCardKeyring *ring,
                  guint8         first_byte,
                  guint          version)
{
  guint8 master[VP_CARD_KEY_SIZE];

  memset (master, 0x5a, sizeof master);
  master[0] = first_byte;
  g_assert_true (vp_card_keyring_add_master (ring, version, master, NULL));
}

/* Two vans with the utility's master key read each other's cards; a
 * card under another master key, or claiming a version the van lacks,
 * is refused; legacy cards stay readable by the van holding their key. */
static void
test_keyring (void)
{
  g_auto(VpCardKeyring) van_a = { 0 }, van_b = { 0 }, thief = { 0 }, legacy_only = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  VpCardRecord r, out;
  guint8 buf[VP_CARD_RECORD_SIZE];
  guint8 other[VP_CARD_KEY_SIZE];

  sample (&r);
  vp_card_keyring_init (&van_a);
  vp_card_keyring_init (&van_b);
  vp_card_keyring_init (&thief);
  vp_card_keyring_init (&legacy_only);
  memcpy (other, key, sizeof other);
  other[1] ^= 0x40;
  vp_card_keyring_set_legacy (&van_a, key);     /* A's own old key */
  vp_card_keyring_set_legacy (&van_b, other);   /* B's own old key */
  ring_with_master (&van_a, 1, 1);
  ring_with_master (&van_b, 1, 1);
  ring_with_master (&thief, 2, 1);
  vp_card_keyring_set_legacy (&legacy_only, key);
  g_assert_cmpuint (van_a.write_version, ==, 1);

  g_assert_true (vp_card_record_encode_ring (&r, &van_a, buf, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (buf[6], ==, 0);
  g_assert_cmpuint (buf[7], ==, 1);
  g_assert_true (vp_card_record_parse_ring (buf, sizeof buf, &van_b, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.key_version, ==, 1);
  g_assert_cmpuint (out.counter, ==, 5);
  g_assert_false (vp_card_record_parse_ring (buf, sizeof buf, &thief, &out, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC);
  g_assert_nonnull (strstr (error->message, "Forged or altered"));
  g_clear_error (&error);
  g_assert_false (vp_card_record_parse_ring (buf, sizeof buf, &legacy_only, &out, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC);
  g_assert_nonnull (strstr (error->message, "key version 1"));
  g_clear_error (&error);

  /* A legacy card (version 0 under A's own key): A reads it, B cannot. */
  g_assert_true (vp_card_record_encode (&r, key, buf, NULL));
  g_assert_true (vp_card_record_parse_ring (buf, sizeof buf, &van_a, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.key_version, ==, 0);
  g_assert_false (vp_card_record_parse_ring (buf, sizeof buf, &van_b, &out, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC);
  g_clear_error (&error);

  /* A new master version: written under the newest, older still read. */
  ring_with_master (&van_b, 3, 2);
  g_assert_cmpuint (van_b.write_version, ==, 2);
  g_assert_true (vp_card_record_encode_ring (&r, &van_a, buf, NULL));
  g_assert_true (vp_card_record_parse_ring (buf, sizeof buf, &van_b, &out, NULL));
  g_assert_true (vp_card_record_encode_ring (&r, &van_b, buf, NULL));
  g_assert_cmpuint (buf[7], ==, 2);
  g_assert_true (vp_card_record_parse_ring (buf, sizeof buf, &van_b, &out, NULL));
  g_assert_cmpuint (out.key_version, ==, 2);
  g_assert_false (vp_card_record_parse_ring (buf, sizeof buf, &van_a, &out, &error));
  g_assert_nonnull (strstr (error->message, "key version 2"));
  g_clear_error (&error);

  /* The text form round-trips; garbage is refused with a reason. */
  text = vp_card_keyring_masters_to_text (&van_b);
  vp_card_keyring_init (&thief);
  g_assert_true (vp_card_keyring_add_masters_text (&thief, text, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (thief.n_masters, ==, 2);
  g_assert_cmpuint (thief.write_version, ==, 2);
  g_assert_true (vp_card_record_parse_ring (buf, sizeof buf, &thief, &out, NULL));
  g_assert_false (vp_card_keyring_add_masters_text (&thief, "1 abc\n", &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY);
  g_clear_error (&error);
  g_assert_false (vp_card_keyring_add_masters_text (&thief, "\n", &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY);
  g_clear_error (&error);
  g_assert_false (vp_card_keyring_add_masters_text (
                    &thief, "0 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                    &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY);
}

static void
test_verify_for_account (void)
{
  VpCardRecord r;
  g_autoptr(GError) error = NULL;

  sample (&r);
  g_assert_true (vp_card_record_verify_for_account (&r, "34010000007", "880001000123", 5, &error));
  g_assert_no_error (error);
  g_assert_false (vp_card_record_verify_for_account (&r, "34010000007", "880001000999", 5, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_WRONG_CARD);
  g_assert_nonnull (strstr (error->message, "Wrong card: this is card 880001000123"));
  g_clear_error (&error);
  g_assert_false (vp_card_record_verify_for_account (&r, "34010000015", "880001000123", 5, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FORGED);
  g_assert_nonnull (strstr (error->message, "Forged or altered card"));
  g_assert_nonnull (strstr (error->message, "says account 34010000007"));
  g_clear_error (&error);
  g_assert_false (vp_card_record_verify_for_account (&r, "34010000007", "880001000123", 6, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FORGED);
  g_assert_nonnull (strstr (error->message, "counter rolled back"));
}

static void
test_image (void)
{
  guint8 img[VP_CARD_IMAGE_SIZE] = { 0 };
  VpCardRecord r;
  g_auto(VpCardImage) im = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (vp_card_image_parse (img, sizeof img, key, &im, &error));
  g_assert_true (im.blank);
  g_assert_cmpint (vp_card_image_next_slot (&im), ==, 0);
  vp_card_image_clear (&im);

  sample (&r);
  g_assert_true (vp_card_record_encode (&r, key, img, NULL));
  vp_card_record_add_purchase (&r, 6, 1000, 300, 2, G_GINT64_CONSTANT (1795434042000000));
  g_assert_true (vp_card_record_encode (&r, key, img + VP_CARD_RECORD_SIZE, NULL));
  g_assert_true (vp_card_image_parse (img, sizeof img, key, &im, &error));
  g_assert_cmpint (im.slot, ==, 1);
  g_assert_cmpuint (im.record.counter, ==, 6);
  g_assert_cmpint (vp_card_image_next_slot (&im), ==, 0);
  g_assert_false (im.damaged);
  vp_card_image_clear (&im);

  /* Torn write into slot 0: slot 1 still stands, damage reported. */
  memset (img + 100, 0xAB, 50);
  g_assert_true (vp_card_image_parse (img, sizeof img, key, &im, &error));
  g_assert_cmpuint (im.record.counter, ==, 6);
  g_assert_true (im.damaged);
  g_assert_nonnull (im.damage);
  vp_card_image_clear (&im);

  /* Both slots bad: refused with the reason. */
  memset (img + VP_CARD_RECORD_SIZE + 10, 0xAB, 5);
  g_assert_false (vp_card_image_parse (img, sizeof img, key, &im, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC);
  g_clear_error (&error);

  g_assert_false (vp_card_image_parse (img, 300, key, &im, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_LENGTH);
}

static void
test_key_hex (void)
{
  guint8 k[VP_CARD_KEY_SIZE];
  g_autoptr(GError) error = NULL;
  g_autofree char *hex = NULL;

  g_assert_false (vp_card_key_from_hex ("abcd", k, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY);
  g_clear_error (&error);
  g_assert_false (vp_card_key_from_hex ("zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                                        k, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY);
  g_clear_error (&error);
  g_assert_true (vp_card_key_from_hex ("000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f",
                                       k, &error));
  g_assert_cmpint (k[10], ==, 10);
  hex = vp_card_key_to_hex (k);
  g_assert_cmpstr (hex, ==, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
}

/* A van whose clock ran a year ahead wrote purchase 4; the next van (or
 * the same one, clock fixed) wrote purchase 5 with an earlier time. The
 * order is the counters': the record is valid, encodes and parses, and
 * only counters out of order are refused. */
static void
test_time_back_not_forged (void)
{
  const gint64 now = G_GINT64_CONSTANT (1795434040000000);
  const gint64 year = G_GINT64_CONSTANT (366) * 24 * 3600 * G_USEC_PER_SEC;
  g_autoptr(GError) error = NULL;
  guint8 buf[VP_CARD_RECORD_SIZE];
  VpCardRecord r = { 0 };
  VpCardRecord back;

  g_strlcpy (r.card_number, "880001000123", sizeof r.card_number);
  g_strlcpy (r.account_number, "34010000007", sizeof r.account_number);
  r.counter = 3;
  r.time = now;
  vp_card_record_add_purchase (&r, 4, 16780, 5000, 2, now + year);
  vp_card_record_add_purchase (&r, 5, 6713, 2000, 2, now + 60 * G_USEC_PER_SEC);
  vp_card_record_add_purchase (&r, 6, 3000, 1000, 2, now - year);
  g_assert_true (vp_card_record_encode (&r, key, buf, &error));
  g_assert_no_error (error);
  g_assert_true (vp_card_record_parse (buf, sizeof buf, key, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (back.counter, ==, 6);
  g_assert_cmpuint (back.n_history, ==, 3);
  g_assert_cmpint (back.history[0].counter, ==, 6);
  g_assert_cmpint (back.history[0].time, ==, now - year);
  g_assert_cmpint (back.history[1].time, ==, now + 60 * G_USEC_PER_SEC);
  g_assert_cmpint (back.history[2].time, ==, now + year);

  /* The counters still decide: a repeated counter is refused. */
  r.history[1].counter = 6;
  g_assert_false (vp_card_record_encode (&r, key, buf, &error));
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "not decreasing"));
}

/* Random mutations, with and without a recomputed MAC: the parser never
 * crashes, every rejection says why, and whatever it accepts encodes
 * back to exactly the same bytes. Without a recomputed MAC every record
 * that differs from the original is refused, each one (a single altered
 * record let through is a forgery accepted). */
static void
test_mutations (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261123);
  VpCardRecord r;
  guint8 good[VP_CARD_RECORD_SIZE];
  guint accepted = 0, rejected = 0, altered_unsigned = 0, refused_unsigned = 0;
  guint n = g_test_slow () ? 200000 : 20000;

  sample (&r);
  g_assert_true (vp_card_record_encode (&r, key, good, NULL));
  for (guint i = 0; i < n; i++)
    {
      guint8 b[VP_CARD_RECORD_SIZE];
      guint flips = g_rand_int_range (rand, 1, 6);
      gboolean resigned = i % 2 == 0;
      gboolean altered;
      VpCardRecord out;
      GError *error = NULL;

      memcpy (b, good, sizeof b);
      for (guint f = 0; f < flips; f++)
        {
          guint pos = g_rand_int_range (rand, 0, 232);

          switch (g_rand_int_range (rand, 0, 4))
            {
            case 0: b[pos] ^= 1 << g_rand_int_range (rand, 0, 8); break;
            case 1: b[pos] = g_rand_int_range (rand, 0, 256); break;
            case 2: b[pos] = 0; break;
            default: b[pos] = 0xff; break;
            }
        }
      /* A byte set to the value it had alters nothing. */
      altered = memcmp (b, good, sizeof b) != 0;
      if (resigned)
        resign (b);
      else if (altered)
        altered_unsigned++;
      if (vp_card_record_parse (b, sizeof b, key, &out, &error))
        {
          guint8 again[VP_CARD_RECORD_SIZE];

          if (!resigned && altered)
            g_error ("mutation %u: an altered record without a valid MAC was accepted", i);
          g_assert_true (vp_card_record_encode (&out, key, again, NULL));
          g_assert_cmpmem (again, sizeof again, b, sizeof b);
          accepted++;
        }
      else
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == VP_CARD_RECORD_ERROR);
          g_assert_cmpuint (strlen (error->message), >, 10);
          g_error_free (error);
          if (!resigned && altered)
            refused_unsigned++;
          /* The original bytes (nothing altered) are the valid record. */
          g_assert_true (resigned || altered);
          rejected++;
        }
    }
  g_test_message ("%u mutations: %u accepted (re-encoded identically), %u rejected; "
                  "%u altered without a MAC, %u of them refused",
                  n, accepted, rejected, altered_unsigned, refused_unsigned);
  /* Without the MAC nothing altered can pass: all of them, exactly. */
  g_assert_cmpuint (refused_unsigned, ==, altered_unsigned);
  g_assert_cmpuint (altered_unsigned, >, n / 2 - n / 20);
  g_assert_cmpuint (accepted + rejected, ==, n);
  g_assert_cmpuint (accepted, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_true (vp_card_key_from_hex ("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                                       key, NULL));
  g_test_add_func ("/card/record/round-trip", test_round_trip);
  g_test_add_func ("/card/record/malformed", test_malformed);
  g_test_add_func ("/card/record/take-off", test_take_off);
  g_test_add_func ("/card/record/encode-refuses-bad", test_encode_refuses_bad);
  g_test_add_func ("/card/record/other-key", test_other_key);
  g_test_add_func ("/card/record/verify-for-account", test_verify_for_account);
  g_test_add_func ("/card/record/derive-vector", test_derive_vector);
  g_test_add_func ("/card/record/keyring", test_keyring);
  g_test_add_func ("/card/record/image", test_image);
  g_test_add_func ("/card/record/key-hex", test_key_hex);
  g_test_add_func ("/card/record/mutations", test_mutations);
  g_test_add_func ("/card/record/time-back-not-forged", test_time_back_not_forged);
  return g_test_run ();
}
