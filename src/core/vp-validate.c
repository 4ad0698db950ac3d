/* vp-validate.c: field validation for people, addresses and free text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "vp-validate.h"

#define NAME_MAX_CHARS 30
#define ID_NUMBER_LEN  18

G_DEFINE_QUARK (vp-validate-error-quark, vp_validate_error)

static gboolean
is_blank (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/* Checks UTF-8 validity, length and control characters shared by all
 * text fields.  @label names the field in messages. */
static gboolean
check_text (const char  *text,
            guint        min_chars,
            guint        max_chars,
            gboolean     allow_newline,
            const char  *label,
            GError     **error)
{
  glong n_chars;

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID,
                   _("%s contains invalid characters"), label);
      return FALSE;
    }

  if (min_chars > 0 && is_blank (text))
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_EMPTY,
                   _("%s must not be empty"), label);
      return FALSE;
    }

  n_chars = g_utf8_strlen (text, -1);
  if (n_chars > (glong) max_chars)
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_TOO_LONG,
                   ngettext ("%s is longer than %u character",
                             "%s is longer than %u characters", max_chars),
                   label, max_chars);
      return FALSE;
    }

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' && allow_newline)
        continue;

      /* Cc plus the line and paragraph separators: they break receipts
       * and CSV exports just as much as ASCII controls do. */
      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        {
          g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID,
                       _("%s contains a control character"), label);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
vp_validate_name (const char  *name,
                  GError     **error)
{
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_text (name, 1, NAME_MAX_CHARS, FALSE, _("The name"), error))
    return FALSE;

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      /* Also catches full-width digits from Chinese input methods. */
      if (g_unichar_isdigit (g_utf8_get_char (p)))
        {
          g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID,
                       _("A name must not contain digits"));
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
ascii_digits (const char *s,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_mobile (const char *phone,
           gsize       len)
{
  return len == 11 && phone[0] == '1' && phone[1] >= '3' && phone[1] <= '9' &&
         ascii_digits (phone, len);
}

static gboolean
is_landline (const char *phone,
             gsize       len)
{
  const char *dash = strchr (phone, '-');

  if (phone[0] != '0')
    return FALSE;

  if (dash != NULL)
    {
      gsize area = (gsize) (dash - phone);
      gsize local = len - area - 1;

      /* The area code includes the leading 0: "010", "0571". */
      return area >= 3 && area <= 4 && local >= 7 && local <= 8 &&
             ascii_digits (phone, area) && ascii_digits (dash + 1, local);
    }

  /* Without a dash "0" + 2–3 + 7–8 digits gives 10 to 12 digits; every
   * split is plausible, so only the total length can be checked. */
  return len >= 10 && len <= 12 && ascii_digits (phone, len);
}

gboolean
vp_validate_phone (const char  *phone,
                   GError     **error)
{
  gsize len;

  g_return_val_if_fail (phone != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  len = strlen (phone);
  if (len == 0)
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_EMPTY,
                   _("The phone number must not be empty"));
      return FALSE;
    }

  if (is_mobile (phone, len) || is_landline (phone, len))
    return TRUE;

  g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID,
               _("“%s” is neither a mobile number (11 digits) nor a landline number "
                 "with area code"),
               phone);
  return FALSE;
}

static gboolean
parse_fixed_uint (const char *s,
                  gsize       len,
                  guint      *out)
{
  guint v = 0;

  if (!ascii_digits (s, len))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    v = v * 10 + (guint) (s[i] - '0');
  *out = v;
  return TRUE;
}

char
vp_id_number_check_char (const char *first17)
{
  static const guint weights[ID_NUMBER_LEN - 1] = {
    7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
  };
  static const char check_chars[] = "10X98765432";
  guint sum = 0;

  g_return_val_if_fail (first17 != NULL, '\0');

  for (guint i = 0; i < ID_NUMBER_LEN - 1; i++)
    {
      g_return_val_if_fail (g_ascii_isdigit (first17[i]), '\0');
      sum += (guint) (first17[i] - '0') * weights[i];
    }
  return check_chars[sum % 11];
}

gboolean
vp_validate_id_number (const char  *id_number,
                       GError     **error)
{
  guint year, month, day;
  g_autoptr(GDateTime) now = NULL;

  g_return_val_if_fail (id_number != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (id_number[0] == '\0')
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_EMPTY,
                   _("The ID number must not be empty"));
      return FALSE;
    }

  /* A lowercase x is the same check character (residents type it so);
   * vp_id_number_normalize() gives the stored form. */
  if (strlen (id_number) != ID_NUMBER_LEN ||
      !ascii_digits (id_number, ID_NUMBER_LEN - 1) ||
      !(g_ascii_isdigit (id_number[ID_NUMBER_LEN - 1]) ||
        g_ascii_toupper (id_number[ID_NUMBER_LEN - 1]) == 'X'))
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID,
                   _("A resident ID number has 17 digits followed by a digit or X"));
      return FALSE;
    }

  /* Positions 7–14 are the date of birth, yyyymmdd. */
  parse_fixed_uint (id_number + 6, 4, &year);
  parse_fixed_uint (id_number + 10, 2, &month);
  parse_fixed_uint (id_number + 12, 2, &day);
  now = g_date_time_new_now_local ();
  if (year < 1900 || month < 1 || month > 12 ||
      !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year) ||
      (gint) (year * 10000 + month * 100 + day) >
        g_date_time_get_year (now) * 10000 + g_date_time_get_month (now) * 100 +
        g_date_time_get_day_of_month (now))
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID,
                   _("The ID number “%s” does not contain a valid date of birth"), id_number);
      return FALSE;
    }

  if (vp_id_number_check_char (id_number) != g_ascii_toupper (id_number[ID_NUMBER_LEN - 1]))
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID,
                   _("The ID number “%s” is mistyped (wrong check digit)"), id_number);
      return FALSE;
    }

  return TRUE;
}

char *
vp_id_number_normalize (const char *id_number)
{
  char *out;
  gsize len;

  g_return_val_if_fail (id_number != NULL, NULL);

  out = g_strdup (id_number);
  len = strlen (out);
  if (len == ID_NUMBER_LEN && out[len - 1] == 'x')
    out[len - 1] = 'X';
  return out;
}

char *
vp_mask_id_number (const char *id_number)
{
  glong n_chars;
  GString *out;
  const char *p;
  glong i;

  g_return_val_if_fail (id_number != NULL, NULL);

  if (!g_utf8_validate (id_number, -1, NULL))
    return g_strdup ("");

  n_chars = g_utf8_strlen (id_number, -1);
  out = g_string_sized_new (strlen (id_number));

  /* Something too short to keep 6 + 4 and still hide anything is
   * masked completely rather than shown. */
  for (p = id_number, i = 0; *p != '\0'; p = g_utf8_next_char (p), i++)
    {
      if (n_chars > 10 && (i < 6 || i >= n_chars - 4))
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      else
        g_string_append_c (out, '*');
    }

  return g_string_free (out, FALSE);
}

gboolean
vp_validate_text_field (const char  *text,
                        guint        max_chars,
                        const char  *field_label,
                        GError     **error)
{
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (max_chars > 0, FALSE);
  g_return_val_if_fail (field_label != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return check_text (text, 1, max_chars, FALSE, field_label, error);
}

gboolean
vp_validate_note (const char  *text,
                  guint        max_chars,
                  GError     **error)
{
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return check_text (text, 0, max_chars, TRUE, _("The note"), error);
}

gboolean
vp_validate_date (const char  *date,
                  GError     **error)
{
  guint year, month, day;

  g_return_val_if_fail (date != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (date[0] == '\0')
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_EMPTY,
                   _("The date must not be empty"));
      return FALSE;
    }

  if (strlen (date) != 10 || date[4] != '-' || date[7] != '-' ||
      !parse_fixed_uint (date, 4, &year) ||
      !parse_fixed_uint (date + 5, 2, &month) ||
      !parse_fixed_uint (date + 8, 2, &day) ||
      year < 1 || month < 1 || month > 12 ||
      !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    {
      g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID,
                   _("“%s” is not a valid date (yyyy-mm-dd)"), date);
      return FALSE;
    }

  return TRUE;
}

gboolean
vp_validate_van_id (const char  *van_id,
                    GError     **error)
{
  gsize len = van_id ? strlen (van_id) : 0;
  gboolean ok = len >= 1 && len <= VP_VAN_ID_MAX;

  for (gsize i = 0; ok && i < len; i++)
    ok = g_ascii_isupper (van_id[i]) || g_ascii_isdigit (van_id[i]);
  if (!ok)
    g_set_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID,
                 _("Van id “%s” must be 1–%d upper-case letters or digits"),
                 van_id ? van_id : "", VP_VAN_ID_MAX);
  return ok;
}
