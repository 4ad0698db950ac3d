/* test-money.c: fen arithmetic, parsing and formatting.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vp-money.h"

static void
test_parse_accept (void)
{
  static const struct
  {
    const char *text;
    VpMoney     expected;
  } cases[] = {
    { "0", 0 },
    { "0.00", 0 },
    { "123", 12300 },
    { "123.4", 12340 },
    { "123.45", 12345 },
    { "0.5", 50 },
    { "0.05", 5 },
    { "1,234", 123400 },
    { "1,234.50", 123450 },
    { "¥1,234.50", 123450 },
    { "￥1,234.50", 123450 },
    { "¥0.01", 1 },
    { "12,345,678.90", 1234567890 },
    { "1234567.89", 123456789 },
    { "92233720368547758.07", G_MAXINT64 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      VpMoney value = -1;

      g_test_message ("parse “%s”", cases[i].text);
      g_assert_true (vp_money_parse (cases[i].text, &value, &error));
      g_assert_no_error (error);
      g_assert_cmpint (value, ==, cases[i].expected);
    }
}

static void
test_parse_reject (void)
{
  static const struct
  {
    const char *text;
    int         code;
  } cases[] = {
    { "1.234", VP_MONEY_ERROR_PRECISION },
    { "0.001", VP_MONEY_ERROR_PRECISION },
    { "-5", VP_MONEY_ERROR_NEGATIVE },
    { "-¥5", VP_MONEY_ERROR_NEGATIVE },
    { "+5", VP_MONEY_ERROR_SYNTAX },
    { "abc", VP_MONEY_ERROR_SYNTAX },
    { "", VP_MONEY_ERROR_SYNTAX },
    { " 1", VP_MONEY_ERROR_SYNTAX },
    { "1 ", VP_MONEY_ERROR_SYNTAX },
    { "1 000", VP_MONEY_ERROR_SYNTAX },
    { "1,23", VP_MONEY_ERROR_SYNTAX },
    { "12,34.5", VP_MONEY_ERROR_SYNTAX },
    { "1234,567", VP_MONEY_ERROR_SYNTAX },
    { ",123", VP_MONEY_ERROR_SYNTAX },
    { "1,,234", VP_MONEY_ERROR_SYNTAX },
    { "1,234,", VP_MONEY_ERROR_SYNTAX },
    { "0,123", VP_MONEY_ERROR_SYNTAX },
    { "¥", VP_MONEY_ERROR_SYNTAX },
    { "¥ 5", VP_MONEY_ERROR_SYNTAX },
    { "5¥", VP_MONEY_ERROR_SYNTAX },
    { "12.", VP_MONEY_ERROR_SYNTAX },
    { ".5", VP_MONEY_ERROR_SYNTAX },
    { "1.2.3", VP_MONEY_ERROR_SYNTAX },
    { "1e3", VP_MONEY_ERROR_SYNTAX },
    { "0x10", VP_MONEY_ERROR_SYNTAX },
    { "１２", VP_MONEY_ERROR_SYNTAX },
    { "99999999999999999999", VP_MONEY_ERROR_OVERFLOW },
    { "92233720368547758.08", VP_MONEY_ERROR_OVERFLOW },
    { "92233720368547759", VP_MONEY_ERROR_OVERFLOW },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      VpMoney value = 4242;

      g_test_message ("reject “%s”", cases[i].text);
      g_assert_false (vp_money_parse (cases[i].text, &value, &error));
      g_assert_error (error, VP_MONEY_ERROR, cases[i].code);
      g_assert_cmpint (value, ==, 4242);
    }
}

static void
test_parse_positive (void)
{
  g_autoptr(GError) error = NULL;
  VpMoney value = 0;

  g_assert_true (vp_money_parse_positive ("0.01", &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, 1);

  g_assert_true (vp_money_parse_positive ("¥1,000,000.00", &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, VP_MONEY_MAX_TRANSACTION);

  g_assert_false (vp_money_parse_positive ("0", &value, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_RANGE);
  g_clear_error (&error);

  g_assert_false (vp_money_parse_positive ("1,000,000.01", &value, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_RANGE);
  g_clear_error (&error);

  g_assert_false (vp_money_parse_positive ("1.001", &value, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_PRECISION);
  g_clear_error (&error);

  g_assert_cmpint (value, ==, VP_MONEY_MAX_TRANSACTION);
}

static void
test_arithmetic (void)
{
  g_autoptr(GError) error = NULL;
  VpMoney r = 0;

  g_assert_true (vp_money_add (150, 275, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r, ==, 425);

  g_assert_true (vp_money_sub (150, 275, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r, ==, -125);

  g_assert_true (vp_money_mul (298, 3, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r, ==, 894);

  g_assert_true (vp_money_add (G_MAXINT64 - 1, 1, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r, ==, G_MAXINT64);

  r = 77;
  g_assert_false (vp_money_add (G_MAXINT64, 1, &r, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);
  g_assert_cmpint (r, ==, 77);

  g_assert_false (vp_money_add (G_MININT64, -1, &r, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  g_assert_false (vp_money_sub (G_MININT64, 1, &r, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  g_assert_false (vp_money_sub (0, G_MININT64, &r, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  g_assert_false (vp_money_mul (G_MAXINT64 / 2 + 1, 2, &r, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  g_assert_false (vp_money_mul (G_MININT64, -1, &r, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  g_assert_false (vp_money_mul (4611686018427387904, 4, &r, &error));
  g_assert_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  g_assert_cmpint (r, ==, 77);
}

static void
test_format (void)
{
  static const struct
  {
    VpMoney     amount;
    const char *formatted;
    const char *plain;
  } cases[] = {
    { 0, "¥0.00", "0.00" },
    { 5, "¥0.05", "0.05" },
    { 50, "¥0.50", "0.50" },
    { 100, "¥1.00", "1.00" },
    { 99999, "¥999.99", "999.99" },
    { 100000, "¥1,000.00", "1000.00" },
    { 123450, "¥1,234.50", "1234.50" },
    { 123456789, "¥1,234,567.89", "1234567.89" },
    { -5, "-¥0.05", "-0.05" },
    { -123450, "-¥1,234.50", "-1234.50" },
    { G_MAXINT64, "¥92,233,720,368,547,758.07", "92233720368547758.07" },
    { G_MININT64, "-¥92,233,720,368,547,758.08", "-92233720368547758.08" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *formatted = vp_money_format (cases[i].amount);
      g_autofree char *plain = vp_money_format_plain (cases[i].amount);

      g_assert_cmpstr (formatted, ==, cases[i].formatted);
      g_assert_cmpstr (plain, ==, cases[i].plain);
    }
}

static void
test_format_parse_round_trip (void)
{
  for (guint i = 0; i < 5000; i++)
    {
      g_autoptr(GError) error = NULL;
      VpMoney amount = (VpMoney) g_test_rand_int_range (0, G_MAXINT32) *
                       g_test_rand_int_range (1, 100000);
      g_autofree char *formatted = vp_money_format (amount);
      g_autofree char *plain = vp_money_format_plain (amount);
      VpMoney back = -1;

      g_assert_true (vp_money_parse (formatted, &back, &error));
      g_assert_no_error (error);
      g_assert_cmpint (back, ==, amount);

      back = -1;
      g_assert_true (vp_money_parse (plain, &back, &error));
      g_assert_no_error (error);
      g_assert_cmpint (back, ==, amount);
    }
}

static void
test_volume (void)
{
  static const struct
  {
    const char *text;
    VpVolume    litres;
  } accept[] = {
    { "0", 0 },
    { "12", 12000 },
    { "12.5", 12500 },
    { "12.345", 12345 },
    { "0.001", 1 },
    { "100000", 100000000 },
  };
  static const struct
  {
    const char *text;
    int         code;
  } reject[] = {
    { "", VP_MONEY_ERROR_SYNTAX },
    { "-1", VP_MONEY_ERROR_NEGATIVE },
    { "1.2345", VP_MONEY_ERROR_PRECISION },
    { "1,000", VP_MONEY_ERROR_SYNTAX },
    { "12 m³", VP_MONEY_ERROR_SYNTAX },
    { "100000.001", VP_MONEY_ERROR_RANGE },
    { "99999999999999999999", VP_MONEY_ERROR_OVERFLOW },
  };
  static const struct
  {
    VpVolume    litres;
    const char *formatted;
    const char *plain;
  } format[] = {
    { 0, "0.00 m³", "0.000" },
    { 12000, "12.00 m³", "12.000" },
    { 12500, "12.50 m³", "12.500" },
    { 12340, "12.34 m³", "12.340" },
    { 12345, "12.345 m³", "12.345" },
    { 1, "0.001 m³", "0.001" },
    { -1500, "-1.50 m³", "-1.500" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (accept); i++)
    {
      g_autoptr(GError) error = NULL;
      VpVolume litres = -1;

      g_assert_true (vp_volume_parse (accept[i].text, &litres, &error));
      g_assert_no_error (error);
      g_assert_cmpint (litres, ==, accept[i].litres);
    }

  for (guint i = 0; i < G_N_ELEMENTS (reject); i++)
    {
      g_autoptr(GError) error = NULL;
      VpVolume litres = -1;

      g_test_message ("reject volume “%s”", reject[i].text);
      g_assert_false (vp_volume_parse (reject[i].text, &litres, &error));
      g_assert_error (error, VP_MONEY_ERROR, reject[i].code);
      g_assert_cmpint (litres, ==, -1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (format); i++)
    {
      g_autofree char *formatted = vp_volume_format (format[i].litres);
      g_autofree char *plain = vp_volume_format_plain (format[i].litres);

      g_assert_cmpstr (formatted, ==, format[i].formatted);
      g_assert_cmpstr (plain, ==, format[i].plain);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/money/parse/accept", test_parse_accept);
  g_test_add_func ("/core/money/parse/reject", test_parse_reject);
  g_test_add_func ("/core/money/parse/positive", test_parse_positive);
  g_test_add_func ("/core/money/arithmetic", test_arithmetic);
  g_test_add_func ("/core/money/format", test_format);
  g_test_add_func ("/core/money/format-parse-round-trip", test_format_parse_round_trip);
  g_test_add_func ("/core/money/volume", test_volume);

  return g_test_run ();
}
