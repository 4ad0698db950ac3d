/* vp-account-number.c: 10 digits + 1 Luhn check digit, and provisional numbers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "vp-account-number.h"

#define BODY_LEN            10
#define PROVISIONAL_VAN_MAX 16
#define PROVISIONAL_SEQ_LEN 6
#define PROVISIONAL_SEQ_MAX 999999

G_DEFINE_QUARK (vp-account-number-error-quark, vp_account_number_error)

static gboolean
all_digits (const char *s,
            gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

static char
luhn_digit (const char *body10)
{
  guint sum = 0;

  /* Double every second digit counting from the right, starting with
   * the rightmost digit of the body (the check digit will follow it). */
  for (int i = BODY_LEN - 1, pos = 0; i >= 0; i--, pos++)
    {
      guint d = (guint) (body10[i] - '0');

      if (pos % 2 == 0)
        {
          d *= 2;
          if (d > 9)
            d -= 9;
        }
      sum += d;
    }

  return (char) ('0' + (10 - sum % 10) % 10);
}

char
vp_account_number_check_digit (const char *body10)
{
  g_return_val_if_fail (body10 != NULL, '\0');
  g_return_val_if_fail (strlen (body10) == BODY_LEN, '\0');
  g_return_val_if_fail (all_digits (body10, BODY_LEN), '\0');

  return luhn_digit (body10);
}

char *
vp_account_number_make (guint64 base)
{
  char buf[VP_ACCOUNT_NUMBER_LEN + 1];

  g_return_val_if_fail (base < G_GUINT64_CONSTANT (10000000000), NULL);

  g_snprintf (buf, sizeof buf, "%010" G_GUINT64_FORMAT, base);
  buf[BODY_LEN] = luhn_digit (buf);
  buf[BODY_LEN + 1] = '\0';

  return g_strdup (buf);
}

gboolean
vp_account_number_validate (const char  *number,
                            GError     **error)
{
  g_return_val_if_fail (number != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (strlen (number) != VP_ACCOUNT_NUMBER_LEN)
    {
      g_set_error (error, VP_ACCOUNT_NUMBER_ERROR, VP_ACCOUNT_NUMBER_ERROR_LENGTH,
                   _("An account number has %d digits"), VP_ACCOUNT_NUMBER_LEN);
      return FALSE;
    }

  if (!all_digits (number, VP_ACCOUNT_NUMBER_LEN))
    {
      g_set_error (error, VP_ACCOUNT_NUMBER_ERROR, VP_ACCOUNT_NUMBER_ERROR_SYNTAX,
                   _("An account number has only digits"));
      return FALSE;
    }

  if (luhn_digit (number) != number[BODY_LEN])
    {
      g_set_error (error, VP_ACCOUNT_NUMBER_ERROR, VP_ACCOUNT_NUMBER_ERROR_CHECK_DIGIT,
                   _("The account number “%s” is mistyped (wrong check digit)"), number);
      return FALSE;
    }

  return TRUE;
}

static gboolean
van_id_is_valid (const char *van_id,
                 gsize       len)
{
  if (len < 1 || len > PROVISIONAL_VAN_MAX)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isupper (van_id[i]) && !g_ascii_isdigit (van_id[i]))
      return FALSE;

  return TRUE;
}

char *
vp_account_number_make_provisional (const char *van_id,
                                    guint       seq)
{
  g_return_val_if_fail (van_id != NULL, NULL);
  g_return_val_if_fail (van_id_is_valid (van_id, strlen (van_id)), NULL);
  g_return_val_if_fail (seq <= PROVISIONAL_SEQ_MAX, NULL);

  return g_strdup_printf ("P-%s-%06u", van_id, seq);
}

gboolean
vp_account_number_is_provisional (const char *number)
{
  const char *dash;
  gsize len;

  g_return_val_if_fail (number != NULL, FALSE);

  if (!g_str_has_prefix (number, "P-"))
    return FALSE;

  number += 2;
  dash = strchr (number, '-');
  if (dash == NULL || !van_id_is_valid (number, (gsize) (dash - number)))
    return FALSE;

  len = strlen (dash + 1);
  return len == PROVISIONAL_SEQ_LEN && all_digits (dash + 1, len);
}

gboolean
vp_account_number_validate_any (const char  *number,
                                GError     **error)
{
  g_return_val_if_fail (number != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (number[0] == 'P')
    {
      if (vp_account_number_is_provisional (number))
        return TRUE;

      g_set_error (error, VP_ACCOUNT_NUMBER_ERROR, VP_ACCOUNT_NUMBER_ERROR_SYNTAX,
                   _("“%s” is not a valid provisional account number"), number);
      return FALSE;
    }

  return vp_account_number_validate (number, error);
}
