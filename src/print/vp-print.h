/* vp-print.h: receipts and report slips as plain text, ESC/POS bytes for
 * a thermal printer, or PDF.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "vp-core.h"

G_BEGIN_DECLS

#define VP_PRINT_ERROR (vp_print_error_quark ())

typedef enum
{
  VP_PRINT_ERROR_PRINTER,   /* printer spec unknown, device missing */
  VP_PRINT_ERROR_IO,        /* writing failed (paper out, disk full …) */
  VP_PRINT_ERROR_RENDER,
  VP_PRINT_ERROR_ENTRY,     /* the entry cannot be turned into a receipt */
} VpPrintError;

/* 58 mm paper: 32 columns; 80 mm paper: 48 columns. */
#define VP_PRINT_COLUMNS_58MM 32
#define VP_PRINT_COLUMNS_80MM 48

GQuark     vp_print_error_quark          (void);

/* Receipt for one journal entry (every kind), with the receipt number
 * VAN-yyyymmdd-seq and the verification code from the entry's hash. */
VpReceipt *vp_receipt_build_for_entry    (const VpJournalEntry *entry,
                                          GError              **error);
/* X (running) or Z (closing) shift report from the totals object printed
 * by `vanpos-cli shift x --json` or the payload of a shift.close entry. */
VpReceipt *vp_receipt_build_shift_report (JsonObject *totals,
                                          gboolean    closing);

char      *vp_receipt_render_text        (const VpReceipt *receipt,
                                          guint            columns);
/* ESC/POS: initialise, Chinese GB18030 text, bold/double size, cut. */
GBytes    *vp_receipt_render_escpos      (const VpReceipt *receipt,
                                          guint            columns,
                                          GError         **error);
/* An 80 mm wide PDF page as long as the receipt. */
gboolean   vp_receipt_render_pdf         (const VpReceipt *receipt,
                                          const char      *path,
                                          GError         **error);

/* Prints on the configured printer: "none", "pdf" (a file in pdf_dir,
 * path returned in out_path), "escpos:/dev/usb/lp0" (a device or file),
 * "text:PATH" (plain text file). */
gboolean   vp_print_receipt              (const VpReceipt *receipt,
                                          const char      *printer,
                                          const char      *pdf_dir,
                                          const char      *name,
                                          char           **out_path,
                                          GError         **error);

G_END_DECLS
