/* vp-money.c: fen arithmetic, strict parsing and formatting.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "vp-money.h"

/* Largest volume vp_volume_parse() accepts, in litres. */
#define VP_VOLUME_MAX_PARSE ((VpVolume) 100000 * VP_LITRES_PER_M3)

G_DEFINE_QUARK (vp-money-error-quark, vp_money_error)

gboolean
vp_money_add (VpMoney   a,
              VpMoney   b,
              VpMoney  *out,
              GError  **error)
{
  VpMoney r;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (__builtin_add_overflow (a, b, &r))
    {
      g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW,
                   _("Amount overflow adding %" PRId64 " and %" PRId64 " fen"),
                   a, b);
      return FALSE;
    }

  *out = r;
  return TRUE;
}

gboolean
vp_money_sub (VpMoney   a,
              VpMoney   b,
              VpMoney  *out,
              GError  **error)
{
  VpMoney r;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (__builtin_sub_overflow (a, b, &r))
    {
      g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW,
                   _("Amount overflow subtracting %" PRId64 " from %" PRId64 " fen"),
                   b, a);
      return FALSE;
    }

  *out = r;
  return TRUE;
}

gboolean
vp_money_mul (VpMoney   a,
              gint64    factor,
              VpMoney  *out,
              GError  **error)
{
  VpMoney r;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (__builtin_mul_overflow (a, factor, &r))
    {
      g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW,
                   _("Amount overflow multiplying %" PRId64 " fen by %" PRId64),
                   a, factor);
      return FALSE;
    }

  *out = r;
  return TRUE;
}

/* Parses an unsigned decimal with at most @max_decimals fraction digits
 * into an integer of 10^-max_decimals units.  With @allow_grouping the
 * integer part may use thousands separators, but then every group after
 * the first must have exactly three digits ("1,234", not "1,23" or
 * "12,34").  Only ASCII digits: full-width digits, exponents, spaces and
 * signs are all errors, because a lenient parser at a till turns typos
 * into money. */
static gboolean
parse_decimal (const char  *text,
               guint        max_decimals,
               gboolean     allow_grouping,
               const char  *what,
               gint64      *out,
               GError     **error)
{
  const char *p = text;
  gint64 value = 0;
  guint n_int_digits = 0;
  guint group_digits = 0;
  gboolean grouped = FALSE;
  guint n_dec = 0;

  if (*p == '\0')
    {
      g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_SYNTAX,
                   _("No %s was entered"), what);
      return FALSE;
    }

  if (*p == '-')
    {
      g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_NEGATIVE,
                   _("The %s “%s” must not be negative"), what, text);
      return FALSE;
    }

  for (; *p != '\0' && *p != '.'; p++)
    {
      if (*p == ',' && allow_grouping)
        {
          /* The first group has 1–3 digits and does not start with a
           * zero; each later group has exactly three. */
          if (n_int_digits == 0 ||
              (grouped ? group_digits != 3 : group_digits > 3) ||
              (!grouped && text[0] == '0'))
            goto syntax;
          grouped = TRUE;
          group_digits = 0;
          continue;
        }

      if (!g_ascii_isdigit (*p))
        goto syntax;

      if (__builtin_mul_overflow (value, 10, &value) ||
          __builtin_add_overflow (value, *p - '0', &value))
        goto overflow;

      n_int_digits++;
      group_digits++;
    }

  if (n_int_digits == 0 || (grouped && group_digits != 3))
    goto syntax;

  if (*p == '.')
    {
      p++;
      for (; *p != '\0'; p++)
        {
          if (!g_ascii_isdigit (*p))
            goto syntax;
          if (n_dec == max_decimals)
            {
              /* Report precision only when the rest is well-formed,
               * so "1.2x3" stays a syntax error. */
              for (const char *q = p; *q != '\0'; q++)
                if (!g_ascii_isdigit (*q))
                  goto syntax;
              g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_PRECISION,
                           ngettext ("The %s “%s” has more than %u decimal place",
                                     "The %s “%s” has more than %u decimal places",
                                     max_decimals),
                           what, text, max_decimals);
              return FALSE;
            }
          if (__builtin_mul_overflow (value, 10, &value) ||
              __builtin_add_overflow (value, *p - '0', &value))
            goto overflow;
          n_dec++;
        }

      /* "12." is a half-typed number, not 12. */
      if (n_dec == 0)
        goto syntax;
    }

  for (; n_dec < max_decimals; n_dec++)
    if (__builtin_mul_overflow (value, 10, &value))
      goto overflow;

  *out = value;
  return TRUE;

syntax:
  g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_SYNTAX,
               _("“%s” is not a valid %s"), text, what);
  return FALSE;

overflow:
  g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_OVERFLOW,
               _("The %s “%s” is too large"), what, text);
  return FALSE;
}

/* "¥" (U+00A5) and the full-width "￥" (U+FFE5) that Chinese input
 * methods produce are both accepted as the currency symbol. */
static const char *
skip_currency_symbol (const char *text)
{
  if (g_str_has_prefix (text, "\xc2\xa5"))
    return text + 2;
  if (g_str_has_prefix (text, "\xef\xbf\xa5"))
    return text + 3;
  return text;
}

gboolean
vp_money_parse (const char  *text,
                VpMoney     *out,
                GError     **error)
{
  const char *number;
  VpMoney value;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Accept "-¥5" only far enough to say it is negative. */
  if (text[0] == '-' && skip_currency_symbol (text + 1) != text + 1)
    {
      g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_NEGATIVE,
                   _("The amount “%s” must not be negative"), text);
      return FALSE;
    }

  number = skip_currency_symbol (text);
  if (number != text && *number == '\0')
    {
      g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_SYNTAX,
                   _("“%s” is not a valid amount"), text);
      return FALSE;
    }

  if (!parse_decimal (number, 2, TRUE, _("amount"), &value, error))
    return FALSE;

  *out = value;
  return TRUE;
}

gboolean
vp_money_parse_positive (const char  *text,
                         VpMoney     *out,
                         GError     **error)
{
  VpMoney value;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!vp_money_parse (text, &value, error))
    return FALSE;

  if (value <= 0 || value > VP_MONEY_MAX_TRANSACTION)
    {
      g_autofree char *max = vp_money_format (VP_MONEY_MAX_TRANSACTION);

      g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_RANGE,
                   _("The amount must be more than ¥0.00 and at most %s"), max);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

/* Magnitude as unsigned so that G_MININT64 formats correctly. */
static guint64
magnitude (gint64 v)
{
  return v < 0 ? (guint64) 0 - (guint64) v : (guint64) v;
}

char *
vp_money_format (VpMoney amount)
{
  guint64 mag = magnitude (amount);
  guint64 yuan = mag / 100;
  guint fen = (guint) (mag % 100);
  char digits[32];
  GString *out;
  gsize len;

  g_snprintf (digits, sizeof digits, "%" G_GUINT64_FORMAT, yuan);
  len = strlen (digits);

  out = g_string_sized_new (40);
  if (amount < 0)
    g_string_append_c (out, '-');
  g_string_append (out, "\xc2\xa5");
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  g_string_append_printf (out, ".%02u", fen);

  return g_string_free (out, FALSE);
}

char *
vp_money_format_plain (VpMoney amount)
{
  guint64 mag = magnitude (amount);

  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%02u",
                          amount < 0 ? "-" : "",
                          mag / 100, (guint) (mag % 100));
}

gboolean
vp_volume_parse (const char  *text,
                 VpVolume    *out,
                 GError     **error)
{
  VpVolume litres;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!parse_decimal (text, 3, FALSE, _("volume"), &litres, error))
    return FALSE;

  if (litres > VP_VOLUME_MAX_PARSE)
    {
      g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_RANGE,
                   _("The volume “%s” is more than %d m³"),
                   text, (int) (VP_VOLUME_MAX_PARSE / VP_LITRES_PER_M3));
      return FALSE;
    }

  *out = litres;
  return TRUE;
}

char *
vp_volume_format (VpVolume litres)
{
  guint64 mag = magnitude (litres);
  guint frac = (guint) (mag % VP_LITRES_PER_M3);

  if (frac % 10 == 0)
    return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%02u m³",
                            litres < 0 ? "-" : "",
                            mag / VP_LITRES_PER_M3, frac / 10);

  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%03u m³",
                          litres < 0 ? "-" : "",
                          mag / VP_LITRES_PER_M3, frac);
}

char *
vp_volume_format_plain (VpVolume litres)
{
  guint64 mag = magnitude (litres);

  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%03u",
                          litres < 0 ? "-" : "",
                          mag / VP_LITRES_PER_M3,
                          (guint) (mag % VP_LITRES_PER_M3));
}
