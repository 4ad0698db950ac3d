/* vp-receipt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-receipt"

#include "config.h"

#include "vp-money.h"
#include "vp-receipt.h"

struct _VpReceipt
{
  GArray  *lines;   /* VpReceiptLine */
  gboolean cash;
};

static void
line_clear (VpReceiptLine *line)
{
  g_clear_pointer (&line->left, g_free);
  g_clear_pointer (&line->right, g_free);
}

VpReceipt *
vp_receipt_new (void)
{
  VpReceipt *self = g_new0 (VpReceipt, 1);

  self->lines = g_array_new (FALSE, TRUE, sizeof (VpReceiptLine));
  g_array_set_clear_func (self->lines, (GDestroyNotify)line_clear);
  return self;
}

void
vp_receipt_free (VpReceipt *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->lines);
  g_free (self);
}

static void
add (VpReceipt         *self,
     VpReceiptLineKind  kind,
     const char        *left,
     const char        *right,
     gboolean           bold)
{
  VpReceiptLine line = { kind, g_strdup (left), g_strdup (right), bold };

  g_return_if_fail (self != NULL);
  g_array_append_val (self->lines, line);
}

void
vp_receipt_add_title (VpReceipt  *self,
                      const char *text)
{
  add (self, VP_RECEIPT_LINE_TITLE, text, NULL, TRUE);
}

void
vp_receipt_add_text (VpReceipt  *self,
                     const char *text)
{
  add (self, VP_RECEIPT_LINE_TEXT, text, NULL, FALSE);
}

void
vp_receipt_add_center (VpReceipt  *self,
                       const char *text)
{
  add (self, VP_RECEIPT_LINE_CENTER, text, NULL, FALSE);
}

void
vp_receipt_add_pair (VpReceipt  *self,
                     const char *label,
                     const char *value,
                     gboolean    bold)
{
  add (self, VP_RECEIPT_LINE_PAIR, label, value ? value : "", bold);
}

void
vp_receipt_add_money (VpReceipt  *self,
                      const char *label,
                      VpMoney     amount,
                      gboolean    bold)
{
  g_autofree char *text = vp_money_format (amount);

  vp_receipt_add_pair (self, label, text, bold);
}

void
vp_receipt_add_separator (VpReceipt *self)
{
  add (self, VP_RECEIPT_LINE_SEPARATOR, NULL, NULL, FALSE);
}

void
vp_receipt_add_feed (VpReceipt *self)
{
  add (self, VP_RECEIPT_LINE_FEED, NULL, NULL, FALSE);
}

void
vp_receipt_add_qr (VpReceipt  *self,
                   const char *data)
{
  add (self, VP_RECEIPT_LINE_QR, data, NULL, FALSE);
}

void
vp_receipt_set_cash (VpReceipt *self,
                     gboolean   cash)
{
  g_return_if_fail (self != NULL);
  self->cash = !!cash;
}

gboolean
vp_receipt_get_cash (const VpReceipt *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->cash;
}

guint
vp_receipt_get_n_lines (const VpReceipt *self)
{
  return self->lines->len;
}

const VpReceiptLine *
vp_receipt_get_line (const VpReceipt *self,
                     guint            index)
{
  g_return_val_if_fail (index < self->lines->len, NULL);
  return &g_array_index (self->lines, VpReceiptLine, index);
}

guint
vp_text_display_width (const char *utf8)
{
  guint width = 0;

  if (utf8 == NULL)
    return 0;
  for (const char *p = utf8; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}
