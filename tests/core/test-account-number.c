/* test-account-number.c: Luhn check digits and provisional numbers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-account-number.h"

static void
test_check_digit (void)
{
  /* The textbook Luhn example: 7992739871 → check digit 3. */
  g_assert_cmpint (vp_account_number_check_digit ("7992739871"), ==, '3');
  g_assert_cmpint (vp_account_number_check_digit ("0000000000"), ==, '0');
  /* 0000000001: the rightmost body digit is doubled → 2 → check 8. */
  g_assert_cmpint (vp_account_number_check_digit ("0000000001"), ==, '8');
  /* 0000000018: 8 doubled → 16 → 7, plus 1 → 8 → check 2. */
  g_assert_cmpint (vp_account_number_check_digit ("0000000018"), ==, '2');
  g_assert_cmpint (vp_account_number_check_digit ("1234567890"), ==, '3');
}

static void
test_make (void)
{
  g_autofree char *a = vp_account_number_make (7992739871);
  g_autofree char *b = vp_account_number_make (1);
  g_autofree char *c = vp_account_number_make (9999999999);

  g_assert_cmpstr (a, ==, "79927398713");
  g_assert_cmpstr (b, ==, "00000000018");
  g_assert_cmpstr (c, ==, "99999999990");
}

static void
test_validate (void)
{
  static const struct
  {
    const char *number;
    int         code;   /* -1: valid */
  } cases[] = {
    { "79927398713", -1 },
    { "00000000018", -1 },
    { "12345678903", -1 },
    { "79927398710", VP_ACCOUNT_NUMBER_ERROR_CHECK_DIGIT },
    { "79927398731", VP_ACCOUNT_NUMBER_ERROR_CHECK_DIGIT },  /* transposed digits */
    { "7992739871", VP_ACCOUNT_NUMBER_ERROR_LENGTH },
    { "799273987133", VP_ACCOUNT_NUMBER_ERROR_LENGTH },
    { "", VP_ACCOUNT_NUMBER_ERROR_LENGTH },
    { "7992739871X", VP_ACCOUNT_NUMBER_ERROR_SYNTAX },
    { "799 2739871", VP_ACCOUNT_NUMBER_ERROR_SYNTAX },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = vp_account_number_validate (cases[i].number, &error);

      g_test_message ("validate “%s”", cases[i].number);
      if (cases[i].code < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_error (error, VP_ACCOUNT_NUMBER_ERROR, cases[i].code);
          g_assert_false (ok);
        }
    }
}

static void
test_single_digit_errors_detected (void)
{
  /* Luhn catches every single-digit substitution. */
  for (guint i = 0; i < 200; i++)
    {
      guint64 base = ((guint64) g_test_rand_int () << 8 | g_test_rand_int_range (0, 256)) %
                     G_GUINT64_CONSTANT (10000000000);
      g_autofree char *number = vp_account_number_make (base);
      guint pos = (guint) g_test_rand_int_range (0, VP_ACCOUNT_NUMBER_LEN);
      char wrong = (char) ('0' + (number[pos] - '0' + g_test_rand_int_range (1, 10)) % 10);

      g_assert_true (vp_account_number_validate (number, NULL));
      number[pos] = wrong;
      g_assert_false (vp_account_number_validate (number, NULL));
    }
}

static void
test_provisional (void)
{
  g_autofree char *p = vp_account_number_make_provisional ("VAN01", 7);
  g_autofree char *q = vp_account_number_make_provisional ("A", 999999);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (p, ==, "P-VAN01-000007");
  g_assert_cmpstr (q, ==, "P-A-999999");

  g_assert_true (vp_account_number_is_provisional ("P-VAN01-000007"));
  g_assert_true (vp_account_number_is_provisional ("P-ABCDEFGHIJKLMNOP-000001"));
  g_assert_false (vp_account_number_is_provisional ("P-ABCDEFGHIJKLMNOPQ-000001"));
  g_assert_false (vp_account_number_is_provisional ("P--000007"));
  g_assert_false (vp_account_number_is_provisional ("P-van01-000007"));
  g_assert_false (vp_account_number_is_provisional ("P-VAN01-00007"));
  g_assert_false (vp_account_number_is_provisional ("P-VAN01-0000007"));
  g_assert_false (vp_account_number_is_provisional ("P-VAN01-00000a"));
  g_assert_false (vp_account_number_is_provisional ("P-VAN-01-000007"));
  g_assert_false (vp_account_number_is_provisional ("X-VAN01-000007"));
  g_assert_false (vp_account_number_is_provisional ("79927398713"));

  g_assert_true (vp_account_number_validate_any ("P-VAN01-000007", &error));
  g_assert_no_error (error);
  g_assert_true (vp_account_number_validate_any ("79927398713", &error));
  g_assert_no_error (error);

  g_assert_false (vp_account_number_validate_any ("P-VAN01-7", &error));
  g_assert_error (error, VP_ACCOUNT_NUMBER_ERROR, VP_ACCOUNT_NUMBER_ERROR_SYNTAX);
  g_clear_error (&error);

  g_assert_false (vp_account_number_validate_any ("79927398714", &error));
  g_assert_error (error, VP_ACCOUNT_NUMBER_ERROR, VP_ACCOUNT_NUMBER_ERROR_CHECK_DIGIT);
  g_clear_error (&error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/account-number/check-digit", test_check_digit);
  g_test_add_func ("/core/account-number/make", test_make);
  g_test_add_func ("/core/account-number/validate", test_validate);
  g_test_add_func ("/core/account-number/single-digit-errors", test_single_digit_errors_detected);
  g_test_add_func ("/core/account-number/provisional", test_provisional);

  return g_test_run ();
}
