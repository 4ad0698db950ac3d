/* vp-receipt.h: the layout model of a receipt or report slip, rendered by
 * src/print as plain text, ESC/POS bytes or PDF.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"

G_BEGIN_DECLS

typedef enum
{
  VP_RECEIPT_LINE_TITLE,     /* centred, double size */
  VP_RECEIPT_LINE_TEXT,      /* left aligned, wraps */
  VP_RECEIPT_LINE_CENTER,    /* centred */
  VP_RECEIPT_LINE_PAIR,      /* label left, value right */
  VP_RECEIPT_LINE_SEPARATOR, /* a rule */
  VP_RECEIPT_LINE_FEED,      /* an empty line */
  VP_RECEIPT_LINE_QR,        /* a QR code of left (the text itself is not
                              * printed: add it as a line of its own) */
} VpReceiptLineKind;

typedef struct
{
  VpReceiptLineKind kind;
  char             *left;
  char             *right;
  gboolean          bold;
} VpReceiptLine;

typedef struct _VpReceipt VpReceipt;

VpReceipt  *vp_receipt_new           (void);
void        vp_receipt_free          (VpReceipt  *receipt);
void        vp_receipt_add_title     (VpReceipt  *receipt,
                                      const char *text);
void        vp_receipt_add_text      (VpReceipt  *receipt,
                                      const char *text);
void        vp_receipt_add_center    (VpReceipt  *receipt,
                                      const char *text);
void        vp_receipt_add_pair      (VpReceipt  *receipt,
                                      const char *label,
                                      const char *value,
                                      gboolean    bold);
void        vp_receipt_add_money     (VpReceipt  *receipt,
                                      const char *label,
                                      VpMoney     amount,
                                      gboolean    bold);
void        vp_receipt_add_separator (VpReceipt  *receipt);
void        vp_receipt_add_feed      (VpReceipt  *receipt);
void        vp_receipt_add_qr        (VpReceipt  *receipt,
                                      const char *data);
/* A cash receipt: money went into or out of the drawer, so a printer
 * with a cash drawer kicks it open. A reprint is not a cash receipt. */
void        vp_receipt_set_cash      (VpReceipt  *receipt,
                                      gboolean    cash);
gboolean    vp_receipt_get_cash      (const VpReceipt *receipt);
guint       vp_receipt_get_n_lines   (const VpReceipt *receipt);
const VpReceiptLine *vp_receipt_get_line (const VpReceipt *receipt,
                                          guint            index);

/* Display width in terminal/printer columns: East Asian wide characters
 * count 2, combining marks 0. */
guint       vp_text_display_width    (const char *utf8);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpReceipt, vp_receipt_free)

G_END_DECLS
