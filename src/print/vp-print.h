/* vp-print.h: receipts and report slips as plain text, ESC/POS bytes for
 * a thermal printer, or PDF.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cairo.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "vp-core.h"

G_BEGIN_DECLS

#define VP_PRINT_ERROR (vp_print_error_quark ())

typedef enum
{
  VP_PRINT_ERROR_PRINTER,   /* device missing or cannot be opened */
  VP_PRINT_ERROR_IO,        /* writing failed (paper out, disk full …) */
  VP_PRINT_ERROR_RENDER,
  VP_PRINT_ERROR_ENTRY,     /* the entry cannot be turned into a receipt */
  VP_PRINT_ERROR_SPEC,      /* the printer spec is wrong (unknown kind, profile,
                             * option) or names a printer of the app only */
} VpPrintError;

/* 58 mm paper: 32 columns; 80 mm paper: 48 columns. */
#define VP_PRINT_COLUMNS_58MM 32
#define VP_PRINT_COLUMNS_80MM 48

/**
 * VpPrintProfile:
 * @name: what a printer spec calls it ("gbk-58")
 * @columns: characters per line (32 on 58 mm paper, 48 on 80 mm)
 * @dots: printable width in dots (384 or 576 at 203 dpi)
 * @encoding: the character set the printer's font has: "GB18030", or
 *   "GBK" for the common printers that print only GBK (no m³, no ¥)
 * @native_qr: the printer draws a QR itself (`GS ( k`); else the QR is
 *   sent as a raster image (`GS v 0`)
 *
 * What one kind of ESC/POS printer can print.
 */
typedef struct
{
  const char *name;
  guint       columns;
  guint       dots;
  const char *encoding;
  gboolean    native_qr;
} VpPrintProfile;

GQuark     vp_print_error_quark          (void);

/* The built-in profiles by name, or NULL. */
const VpPrintProfile *vp_print_profile_lookup (const char *name);
/* Every built-in profile's name, NULL-terminated (static). */
const char *const    *vp_print_profile_names  (void);

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
/* ESC/POS for a GB18030 printer with columns per line (native QR). */
GBytes    *vp_receipt_render_escpos      (const VpReceipt *receipt,
                                          guint            columns,
                                          GError         **error);
/* ESC/POS for printer profile: initialise, drawer kick on a cash
 * receipt, text in the profile's encoding with glyphs it cannot print
 * replaced (m³ → m3, ¥ → ￥), bold/double size, the QR native or as a
 * raster image, cut. */
GBytes    *vp_receipt_render_escpos_profile (const VpReceipt      *receipt,
                                             const VpPrintProfile *profile,
                                             GError              **error);
/* An 80 mm wide PDF page as long as the receipt. */
gboolean   vp_receipt_render_pdf         (const VpReceipt *receipt,
                                          const char      *path,
                                          GError         **error);
/* Width of a receipt drawn with vp_receipt_draw_cairo(), in points (80 mm). */
#define VP_PRINT_PAGE_WIDTH_PT (80.0 / 25.4 * 72.0)
/* Draws the receipt with its top left corner at the current origin of
 * cr, VP_PRINT_PAGE_WIDTH_PT wide (the PDF and system printers share
 * it); only measures when draw is FALSE. Returns the height in points. */
double     vp_receipt_draw_cairo         (const VpReceipt *receipt,
                                          cairo_t         *cr,
                                          gboolean         draw);

/* Prints on the configured printer: "none", "pdf" (a file in pdf_dir,
 * path returned in out_path), "escpos:/dev/usb/lp0" (a device or file;
 * "escpos:/dev/usb/lp0?profile=gbk-58&qr=raster" chooses the printer
 * profile and how the QR is sent), "text:PATH" (plain text file).
 * "system" and "system:NAME" (a CUPS printer) print from the app only
 * and are refused here with VP_PRINT_ERROR_SPEC. */
/* Reads the part of an "escpos:" spec after the prefix, "DEVICE" or
 * "DEVICE?profile=NAME&qr=native|raster"; profile gb18030-58 unless
 * named. */
gboolean   vp_print_parse_escpos_spec    (const char      *spec,
                                          char           **out_device,
                                          VpPrintProfile  *out_profile,
                                          GError         **error);
/* "system" or "system:NAME": a printer of the desktop's print system. */
gboolean   vp_print_spec_is_system       (const char      *printer);

gboolean   vp_print_receipt              (const VpReceipt *receipt,
                                          const char      *printer,
                                          const char      *pdf_dir,
                                          const char      *name,
                                          char           **out_path,
                                          GError         **error);

G_END_DECLS
