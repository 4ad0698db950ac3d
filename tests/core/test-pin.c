/* test-pin.c: PBKDF2 staff PINs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include <glib.h>

#include "vp-pin.h"

/* The lowest count vp_pin_hash() accepts; keeps the tests fast. */
#define FAST_ITERATIONS 1000

static void
test_hash_verify (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree guint8 *salt = NULL;
  g_autofree guint8 *hash = NULL;
  gsize salt_len = 0;
  gsize hash_len = 0;

  stored = vp_pin_hash ("4821", FAST_ITERATIONS, &error);
  g_assert_no_error (error);
  g_assert_nonnull (stored);

  parts = g_strsplit (stored, "$", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 4);
  g_assert_cmpstr (parts[0], ==, "pbkdf2-sha256");
  g_assert_cmpstr (parts[1], ==, "1000");
  salt = g_base64_decode (parts[2], &salt_len);
  hash = g_base64_decode (parts[3], &hash_len);
  g_assert_cmpuint (salt_len, ==, 16);
  g_assert_cmpuint (hash_len, ==, 32);
  /* The PIN itself is nowhere in the stored form. */
  g_assert_null (strstr (stored, "4821"));

  g_assert_true (vp_pin_verify ("4821", stored, &error));
  g_assert_no_error (error);

  g_assert_false (vp_pin_verify ("4822", stored, &error));
  g_assert_error (error, VP_PIN_ERROR, VP_PIN_ERROR_MISMATCH);
  g_clear_error (&error);

  g_assert_false (vp_pin_verify ("48210", stored, &error));
  g_assert_error (error, VP_PIN_ERROR, VP_PIN_ERROR_MISMATCH);
  g_clear_error (&error);

  /* 8 digits is the longest PIN. */
  g_clear_pointer (&stored, g_free);
  stored = vp_pin_hash ("12345678", FAST_ITERATIONS, &error);
  g_assert_no_error (error);
  g_assert_true (vp_pin_verify ("12345678", stored, &error));
  g_assert_no_error (error);
  g_assert_false (vp_pin_verify ("12345677", stored, &error));
  g_assert_error (error, VP_PIN_ERROR, VP_PIN_ERROR_MISMATCH);
}

/* A known answer: PBKDF2-HMAC-SHA256("1234", salt = 0x00..0x0f, 1000, 32),
 * computed with Python's hashlib.pbkdf2_hmac. */
static void
test_known_answer (void)
{
  g_autoptr(GError) error = NULL;
  static const char stored[] =
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$IkDqKiJ1SjxGEDVu+OTXrPJa8qw9LRGGbel6i3gSxSw=";

  g_assert_true (vp_pin_verify ("1234", stored, &error));
  g_assert_no_error (error);
  g_assert_false (vp_pin_verify ("1235", stored, &error));
  g_assert_error (error, VP_PIN_ERROR, VP_PIN_ERROR_MISMATCH);
}

static void
test_production_iterations (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;

  stored = vp_pin_hash ("907311", VP_PIN_ITERATIONS, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (stored, "pbkdf2-sha256$600000$"));
  g_assert_true (vp_pin_verify ("907311", stored, &error));
  g_assert_no_error (error);
}

static void
test_formats (void)
{
  static const char *const bad[] = { "123", "123456789", "12a4", "", " 1234", "1234 ",
                                     "１２３４", "-123", "12.4" };
  static const char *const good[] = { "0000", "1234", "12345678", "000000" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *stored = NULL;

      g_test_message ("bad PIN “%s”", bad[i]);
      g_assert_false (vp_pin_check_format (bad[i], &error));
      g_assert_error (error, VP_PIN_ERROR, VP_PIN_ERROR_FORMAT);
      g_clear_error (&error);

      stored = vp_pin_hash (bad[i], FAST_ITERATIONS, &error);
      g_assert_null (stored);
      g_assert_error (error, VP_PIN_ERROR, VP_PIN_ERROR_FORMAT);
    }

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      g_test_message ("good PIN “%s”", good[i]);
      g_assert_true (vp_pin_check_format (good[i], &error));
      g_assert_no_error (error);
    }
}

static void
test_salted (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a = vp_pin_hash ("5555", FAST_ITERATIONS, &error);
  g_autofree char *b = NULL;
  g_auto(GStrv) pa = NULL;
  g_auto(GStrv) pb = NULL;

  g_assert_no_error (error);
  b = vp_pin_hash ("5555", FAST_ITERATIONS, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (a, !=, b);
  pa = g_strsplit (a, "$", -1);
  pb = g_strsplit (b, "$", -1);
  g_assert_cmpstr (pa[2], !=, pb[2]);
  g_assert_cmpstr (pa[3], !=, pb[3]);

  g_assert_true (vp_pin_verify ("5555", a, &error));
  g_assert_no_error (error);
  g_assert_true (vp_pin_verify ("5555", b, &error));
  g_assert_no_error (error);
}

static void
test_corrupt_stored (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *good = vp_pin_hash ("2468", FAST_ITERATIONS, &error);
  g_auto(GStrv) p = NULL;
  g_autoptr(GPtrArray) corrupt = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  p = g_strsplit (good, "$", -1);
  g_assert_cmpuint (g_strv_length (p), ==, 4);

  g_ptr_array_add (corrupt, g_strdup (""));
  g_ptr_array_add (corrupt, g_strdup ("2468"));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha1$1000$%s$%s", p[2], p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$1000$%s", p[2]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$1000$%s$%s$", p[2], p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$$%s$%s", p[2], p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$abc$%s$%s", p[2], p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$-1000$%s$%s", p[2], p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$01000$%s$%s", p[2], p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$999$%s$%s", p[2], p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$0$%s$%s", p[2], p[3]));
  g_ptr_array_add (corrupt,
                   g_strdup_printf ("pbkdf2-sha256$99999999999999999999$%s$%s", p[2], p[3]));
  /* Salt and hash: wrong lengths, bad characters, swapped. */
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$1000$$%s", p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$1000$%s$", p[2]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$1000$AAAA$%s", p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$1000$%s$%s", p[3], p[2]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$1000$%s$%.40s!!!!", p[2], p[3]));
  g_ptr_array_add (corrupt, g_strdup_printf ("pbkdf2-sha256$1000$%s$%s==", p[2], p[3]));

  for (guint i = 0; i < corrupt->len; i++)
    {
      const char *stored = g_ptr_array_index (corrupt, i);

      g_test_message ("stored “%s”", stored);
      g_assert_false (vp_pin_verify ("2468", stored, &error));
      g_assert_error (error, VP_PIN_ERROR, VP_PIN_ERROR_STORED);
      g_clear_error (&error);
    }

  /* The untouched string still works. */
  g_assert_true (vp_pin_verify ("2468", good, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pin/hash-verify", test_hash_verify);
  g_test_add_func ("/pin/known-answer", test_known_answer);
  g_test_add_func ("/pin/production-iterations", test_production_iterations);
  g_test_add_func ("/pin/formats", test_formats);
  g_test_add_func ("/pin/salted", test_salted);
  g_test_add_func ("/pin/corrupt-stored", test_corrupt_stored);

  return g_test_run ();
}
