/* vp-receipt-check.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdarg.h>
#include <string.h>

#include "vp-journal-entry.h"
#include "vp-journal-ledger.h"
#include "vp-receipt-check.h"

G_DEFINE_QUARK (vp-receipt-check-error-quark, vp_receipt_check_error)

static gboolean invalid (GError    **error,
                         const char *format,
                         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError    **error,
         const char *format,
         ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, VP_RECEIPT_CHECK_ERROR, VP_RECEIPT_CHECK_ERROR_INVALID, message);
  return FALSE;
}

static gboolean
all_digits (const char *s,
            gsize       len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

/**
 * vp_receipt_number_parse:
 * @text: a receipt number as printed, e.g. "VAN01-20261123-000042"
 * @out_van: (out) (optional) (transfer full): the van id
 * @out_date: (out) (optional): the date as yyyymmdd
 * @out_seq: (out) (optional): the entry's seq
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @text is a well-formed receipt number
 */
gboolean
vp_receipt_number_parse (const char  *text,
                         char       **out_van,
                         gint        *out_date,
                         gint64      *out_seq,
                         GError     **error)
{
  g_auto(GStrv) parts = NULL;
  gint date, month, day;
  gint64 seq;
  gsize van_len, seq_len;

  if (text == NULL || (parts = g_strsplit (text, "-", -1)) == NULL || g_strv_length (parts) != 3)
    return invalid (error, _("“%s” is not a receipt number (VAN-yyyymmdd-seq)"), text ? text : "");
  van_len = strlen (parts[0]);
  seq_len = strlen (parts[2]);
  if (van_len < 1 || van_len > 16)
    return invalid (error, _("“%s” is not a receipt number (VAN-yyyymmdd-seq)"), text);
  for (gsize i = 0; i < van_len; i++)
    if (!g_ascii_isupper (parts[0][i]) && !g_ascii_isdigit (parts[0][i]))
      return invalid (error, _("“%s” is not a receipt number (VAN-yyyymmdd-seq)"), text);
  if (strlen (parts[1]) != 8 || !all_digits (parts[1], 8) ||
      seq_len < 6 || seq_len > 18 || !all_digits (parts[2], seq_len))
    return invalid (error, _("“%s” is not a receipt number (VAN-yyyymmdd-seq)"), text);
  date = (gint)g_ascii_strtoll (parts[1], NULL, 10);
  month = date / 100 % 100;
  day = date % 100;
  if (!g_date_valid_dmy (day, month, date / 10000))
    return invalid (error, _("“%s” has no valid date"), text);
  seq = g_ascii_strtoll (parts[2], NULL, 10);
  if (seq <= 0)
    return invalid (error, _("“%s” has no valid entry number"), text);
  if (out_van)
    *out_van = g_strdup (parts[0]);
  if (out_date)
    *out_date = date;
  if (out_seq)
    *out_seq = seq;
  return TRUE;
}

/**
 * vp_receipt_code_normalize:
 * @text: a verification code as a person types it
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the code as printed, "3FA9-0C1D"
 */
char *
vp_receipt_code_normalize (const char  *text,
                           GError     **error)
{
  char hex[9];
  guint n = 0;
  const char *p;

  if (text == NULL)
    {
      invalid (error, _("“%s” is not a verification code (XXXX-XXXX)"), "");
      return NULL;
    }
  p = text;
  while (g_ascii_isspace (*p))
    p++;
  for (; *p != '\0' && !g_ascii_isspace (*p); p++)
    {
      /* The dash only where it is printed. */
      if (*p == '-' && n == 4 && p[-1] != '-')
        continue;
      if (!g_ascii_isxdigit (*p) || n == 8)
        {
          invalid (error, _("“%s” is not a verification code (XXXX-XXXX)"), text);
          return NULL;
        }
      hex[n++] = g_ascii_toupper (*p);
    }
  while (g_ascii_isspace (*p))
    p++;
  if (n != 8 || *p != '\0')
    {
      invalid (error, _("“%s” is not a verification code (XXXX-XXXX)"), text);
      return NULL;
    }
  hex[8] = '\0';
  return g_strdup_printf ("%.4s-%.4s", hex, hex + 4);
}

gboolean
vp_receipt_check_base_validate (const char  *base,
                                GError     **error)
{
  const char *host;

  if (base == NULL)
    return invalid (error, _("“%s” is not an https:// address"), "");
  /* Residents trust what the page says: never over plain http. */
  if (!g_str_has_prefix (base, "https://"))
    return invalid (error, _("“%s” is not an https:// address"), base);
  host = base + 8;
  if (*host == '\0' || *host == '/' || *host == ':')
    return invalid (error, _("“%s” names no host"), base);
  for (const char *p = base; *p; p++)
    if ((guchar)*p <= ' ' || (guchar)*p >= 0x7f || *p == '?' || *p == '#' || *p == '"' ||
        *p == '<' || *p == '>' || *p == '\\')
      return invalid (error, _("“%s” must be a plain address without a query, spaces or "
                               "non-ASCII characters"), base);
  if (strlen (base) > 200)
    return invalid (error, _("“%s” is longer than 200 characters"), base);
  return TRUE;
}

char *
vp_receipt_check_url (const char *base,
                      const char *receipt,
                      const char *code)
{
  gsize len;

  g_return_val_if_fail (base != NULL && receipt != NULL && code != NULL, NULL);

  len = strlen (base);
  while (len > 0 && base[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s" VP_RECEIPT_CHECK_PATH "%s?code=%s", (int)len, base, receipt, code);
}

gboolean
vp_receipt_kind_is_checkable (const char *kind)
{
  static const char *kinds[] = {
    VP_KIND_PAY, VP_KIND_TOPUP_INTENT, VP_KIND_TOPUP_CONFIRM, VP_KIND_TOPUP_VOID,
    VP_KIND_ACCOUNT_OPEN, VP_KIND_ACCOUNT_TRANSFER, VP_KIND_ACCOUNT_CLOSE,
    VP_KIND_CREDIT_MOVE, VP_KIND_CREDIT_SETTLE, VP_KIND_CREDIT_REFUND, VP_KIND_CARD_REISSUE,
    VP_KIND_LOG_CONSULTATION, VP_KIND_LOG_VISIT, VP_KIND_LOG_COMPLAINT, VP_KIND_VOID,
  };

  for (guint i = 0; kind != NULL && i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kind, kinds[i]) == 0)
      return TRUE;
  return FALSE;
}

VpMoney
vp_receipt_amount (const char *kind,
                   JsonObject *payload)
{
  VpJournalLedger l;
  JsonNode *n;

  g_return_val_if_fail (kind != NULL && payload != NULL, 0);

  /* The confirmation or void of a top-up moves no money itself: the
   * intent took it, and both repeat it as amount. */
  if (strcmp (kind, VP_KIND_TOPUP_CONFIRM) == 0 || strcmp (kind, VP_KIND_TOPUP_VOID) == 0)
    {
      n = json_object_get_member (payload, "amount");
      if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
        return 0;
      return MAX (json_node_get_int (n), 0);
    }
  if (!vp_journal_ledger_from_payload (kind, payload, &l, NULL))
    return 0;
  return l.amount < 0 ? -l.amount : l.amount;
}
