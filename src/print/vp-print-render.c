/* vp-print-render.c: text, ESC/POS and PDF renderings of a VpReceipt.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-print"

#include "config.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <string.h>
#include <unistd.h>

#include "vp-print.h"

typedef struct
{
  char    *text;    /* already padded to the column width */
  gboolean bold;
  gboolean big;     /* double width and height (ESC/POS titles) */
  char    *qr;      /* ESC/POS only: a QR of this data instead of text */
} Row;

static void
row_free (Row *row)
{
  g_free (row->text);
  g_free (row->qr);
  g_free (row);
}

static void
add_row (GPtrArray  *rows,
         const char *text,
         gboolean    bold,
         gboolean    big)
{
  Row *row = g_new0 (Row, 1);

  row->text = g_strdup (text);
  row->bold = bold;
  row->big = big;
  g_ptr_array_add (rows, row);
}

/* Splits text into pieces of at most columns display width. */
static GPtrArray *
wrap (const char *text,
      guint       columns)
{
  GPtrArray *pieces = g_ptr_array_new_with_free_func (g_free);
  GString *cur = g_string_new (NULL);
  guint width = 0;

  for (const char *p = text ? text : ""; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint w = g_unichar_iszerowidth (c) ? 0 : g_unichar_iswide (c) ? 2 : 1;

      if (c == '\n' || width + w > columns)
        {
          g_ptr_array_add (pieces, g_strdup (cur->str));
          g_string_truncate (cur, 0);
          width = 0;
          if (c == '\n')
            continue;
        }
      g_string_append_unichar (cur, c);
      width += w;
    }
  if (cur->len > 0 || pieces->len == 0)
    g_ptr_array_add (pieces, g_strdup (cur->str));
  g_string_free (cur, TRUE);
  return pieces;
}

static char *
centered (const char *text,
          guint       columns)
{
  guint w = vp_text_display_width (text);
  guint pad = w < columns ? (columns - w) / 2 : 0;

  return g_strdup_printf ("%*s%s", (int)pad, "", text);
}

static const VpPrintProfile profiles[] = {
  /* Printers with a full GB18030 font and QR support (most built since
   * 2015); the default, as before profiles existed. */
  { "gb18030-58", VP_PRINT_COLUMNS_58MM, 384, "GB18030", TRUE },
  { "gb18030-80", VP_PRINT_COLUMNS_80MM, 576, "GB18030", TRUE },
  /* The cheap GBK-only printers common in vans: no m³, no ¥ (U+00A5),
   * and no QR command. */
  { "gbk-58", VP_PRINT_COLUMNS_58MM, 384, "GBK", FALSE },
  { "gbk-80", VP_PRINT_COLUMNS_80MM, 576, "GBK", FALSE },
};

const VpPrintProfile *
vp_print_profile_lookup (const char *name)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (profiles); i++)
    if (g_str_equal (profiles[i].name, name))
      return &profiles[i];
  return NULL;
}

const char *const *
vp_print_profile_names (void)
{
  static const char *const names[] = { "gb18030-58", "gb18030-80", "gbk-58", "gbk-80", NULL };

  G_STATIC_ASSERT (G_N_ELEMENTS (names) == G_N_ELEMENTS (profiles) + 1);
  return names;
}

/* What a printer prints for a character its font lacks: the same
 * meaning in characters it has, never a silent "?" where a known form
 * exists. */
static const struct { gunichar c; const char *safe; } glyph_substitutes[] = {
  { 0x00B3, "3" },        /* m³ → m3 */
  { 0x00B2, "2" },
  { 0x00A5, "\xef\xbf\xa5" }, /* ¥ → ￥ (full width, GBK A3A4) */
  { 0x2009, " " },
  { 0x00A0, " " },
  { 0x2212, "-" },
  { 0x2022, "\xc2\xb7" }, /* • → · */
};

/* Glyphs: maps text to what a printer with encoding can print (NULL:
 * anything). conv converts one character UTF-8 → encoding. */
typedef struct
{
  GIConv conv;
} Glyphs;

static char *
safe_text (Glyphs     *glyphs,
           const char *text)
{
  GString *out;

  if (text == NULL)
    return NULL;
  if (glyphs == NULL)
    return g_strdup (text);
  out = g_string_new (NULL);
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      const char *next = g_utf8_next_char (p);
      g_autofree char *encoded = g_convert_with_iconv (p, next - p, glyphs->conv, NULL, NULL, NULL);
      gunichar c = g_utf8_get_char (p);
      const char *safe = "?";

      if (encoded != NULL)
        {
          g_string_append_len (out, p, next - p);
          continue;
        }
      for (guint i = 0; i < G_N_ELEMENTS (glyph_substitutes); i++)
        if (glyph_substitutes[i].c == c)
          safe = glyph_substitutes[i].safe;
      g_string_append (out, safe);
    }
  return g_string_free (out, FALSE);
}

static GPtrArray *
layout (const VpReceipt *receipt,
        guint            columns,
        Glyphs          *glyphs)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)row_free);

  for (guint i = 0; i < vp_receipt_get_n_lines (receipt); i++)
    {
      const VpReceiptLine *orig = vp_receipt_get_line (receipt, i);
      g_autofree char *left = safe_text (glyphs, orig->left);
      g_autofree char *right = safe_text (glyphs, orig->right);
      const VpReceiptLine mapped = { orig->kind, left, right, orig->bold };
      const VpReceiptLine *line = &mapped;

      switch (line->kind)
        {
        case VP_RECEIPT_LINE_TITLE:
          {
            /* Printed double width: half the columns. */
            g_autoptr(GPtrArray) pieces = wrap (line->left, columns / 2);
            for (guint j = 0; j < pieces->len; j++)
              {
                g_autofree char *c = centered (pieces->pdata[j], columns / 2);
                add_row (rows, c, TRUE, TRUE);
              }
          }
          break;
        case VP_RECEIPT_LINE_CENTER:
        case VP_RECEIPT_LINE_TEXT:
          {
            g_autoptr(GPtrArray) pieces = wrap (line->left, columns);
            for (guint j = 0; j < pieces->len; j++)
              {
                g_autofree char *c = line->kind == VP_RECEIPT_LINE_CENTER
                                     ? centered (pieces->pdata[j], columns)
                                     : g_strdup (pieces->pdata[j]);
                add_row (rows, c, line->bold, FALSE);
              }
          }
          break;
        case VP_RECEIPT_LINE_PAIR:
          {
            guint lw = vp_text_display_width (line->left);
            guint rw = vp_text_display_width (line->right);

            if (lw + 1 + rw <= columns)
              {
                g_autofree char *t = g_strdup_printf ("%s%*s%s", line->left,
                                                      (int)(columns - lw - rw), "", line->right);
                add_row (rows, t, line->bold, FALSE);
              }
            else
              {
                /* Too long for one line: label, then the value right-aligned. */
                g_autoptr(GPtrArray) lp = wrap (line->left, columns);
                g_autoptr(GPtrArray) rp = wrap (line->right, columns);

                for (guint j = 0; j < lp->len; j++)
                  add_row (rows, lp->pdata[j], line->bold, FALSE);
                for (guint j = 0; j < rp->len; j++)
                  {
                    guint w = vp_text_display_width (rp->pdata[j]);
                    g_autofree char *t = g_strdup_printf ("%*s%s", (int)(columns - w), "",
                                                          (char *)rp->pdata[j]);
                    add_row (rows, t, line->bold, FALSE);
                  }
              }
          }
          break;
        case VP_RECEIPT_LINE_SEPARATOR:
          {
            g_autofree char *t = g_strnfill (columns, '-');
            add_row (rows, t, FALSE, FALSE);
          }
          break;
        case VP_RECEIPT_LINE_QR:
          /* Plain text has no image; the builder prints the QR's text as
           * lines of their own. ESC/POS draws it from a row of its own
           * (the original data, not mapped to the printer's glyphs). */
          if (glyphs != NULL)
            {
              add_row (rows, "", FALSE, FALSE);
              ((Row *)g_ptr_array_index (rows, rows->len - 1))->qr = g_strdup (orig->left);
            }
          break;
        case VP_RECEIPT_LINE_FEED:
        default:
          add_row (rows, "", FALSE, FALSE);
          break;
        }
    }
  return rows;
}

char *
vp_receipt_render_text (const VpReceipt *receipt,
                        guint            columns)
{
  g_autoptr(GPtrArray) rows = NULL;
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (receipt != NULL, NULL);
  g_return_val_if_fail (columns >= 16, NULL);

  rows = layout (receipt, columns, NULL);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];

      g_string_append (out, row->text);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* QR error correction M: survives a smudge or a crease on thermal paper
 * and still fits a receipt-check address on 58 mm. */
#define QR_LEVEL QR_ECLEVEL_M
#define QR_QUIET 4   /* modules of white around the code (ISO 18004) */

static QRcode *
qr_encode (const char  *data,
           GError     **error)
{
  QRcode *qr = QRcode_encodeData ((int)strlen (data), (const unsigned char *)data, 0, QR_LEVEL);

  if (qr == NULL)
    {
      int saved = errno;
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_RENDER,
                   _("Cannot make a QR code of “%s”: %s"), data, g_strerror (saved));
    }
  return qr;
}

/* GS ( k: the printer encodes and draws the QR itself (model 2). */
static void
escpos_qr_native (GByteArray           *out,
                  const VpPrintProfile *profile,
                  const char           *data)
{
  gsize len = strlen (data) + 3;
  const guint8 model[] = { 0x1d, '(', 'k', 4, 0, 49, 65, 50, 0 };
  const guint8 size[] = { 0x1d, '(', 'k', 3, 0, 49, 67, profile->dots >= 576 ? 8 : 6 };
  const guint8 level[] = { 0x1d, '(', 'k', 3, 0, 49, 69, 49 };   /* 49: level M */
  const guint8 store[] = { 0x1d, '(', 'k', len & 0xff, (len >> 8) & 0xff, 49, 80, 48 };
  const guint8 print[] = { 0x1d, '(', 'k', 3, 0, 49, 81, 48 };

  g_byte_array_append (out, model, sizeof model);
  g_byte_array_append (out, size, sizeof size);
  g_byte_array_append (out, level, sizeof level);
  g_byte_array_append (out, store, sizeof store);
  g_byte_array_append (out, (const guint8 *)data, len - 3);
  g_byte_array_append (out, print, sizeof print);
}

/* GS v 0: the QR as a bitmap, quiet zone included, each module a square
 * of whole dots (at most 6 on 58 mm, 8 on 80 mm) so it scans crisply. */
static gboolean
escpos_qr_raster (GByteArray           *out,
                  const VpPrintProfile *profile,
                  const char           *data,
                  GError              **error)
{
  QRcode *qr = qr_encode (data, error);
  guint modules, scale, px, bytes_per_row;
  guint8 header[8];

  if (qr == NULL)
    return FALSE;
  modules = qr->width + 2 * QR_QUIET;
  scale = MIN (profile->dots >= 576 ? 8u : 6u, profile->dots / modules);
  if (scale == 0)
    {
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_RENDER,
                   _("The QR code of “%s” is too wide for the paper"), data);
      QRcode_free (qr);
      return FALSE;
    }
  px = modules * scale;
  bytes_per_row = (px + 7) / 8;
  header[0] = 0x1d; header[1] = 'v'; header[2] = '0'; header[3] = 0;
  header[4] = bytes_per_row & 0xff; header[5] = (bytes_per_row >> 8) & 0xff;
  header[6] = px & 0xff; header[7] = (px >> 8) & 0xff;
  g_byte_array_append (out, header, sizeof header);
  for (guint y = 0; y < px; y++)
    {
      guint8 row[bytes_per_row];
      int my = (int)(y / scale) - QR_QUIET;

      memset (row, 0, bytes_per_row);
      for (guint x = 0; x < px; x++)
        {
          int mx = (int)(x / scale) - QR_QUIET;

          if (mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
              (qr->data[my * qr->width + mx] & 1))
            row[x / 8] |= 0x80 >> (x % 8);
        }
      g_byte_array_append (out, row, bytes_per_row);
    }
  QRcode_free (qr);
  return TRUE;
}

GBytes *
vp_receipt_render_escpos_profile (const VpReceipt      *receipt,
                                  const VpPrintProfile *profile,
                                  GError              **error)
{
  static const guint8 init[] = { 0x1b, '@',        /* ESC @: initialise */
                                 0x1c, '&' };      /* FS &: Chinese character mode */
  /* ESC p 0 25 250: pulse drawer pin 2 for 50 ms, then 500 ms off. */
  static const guint8 drawer[] = { 0x1b, 'p', 0, 25, 250 };
  static const guint8 center[] = { 0x1b, 'a', 1 };
  static const guint8 left[] = { 0x1b, 'a', 0 };
  static const guint8 cut[] = { 0x1b, 'd', 4,      /* feed 4 lines */
                                0x1d, 'V', 66, 0 }; /* GS V 66 0: partial cut */
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  Glyphs glyphs;

  g_return_val_if_fail (receipt != NULL, NULL);
  g_return_val_if_fail (profile != NULL, NULL);

  glyphs.conv = g_iconv_open (profile->encoding, "UTF-8");
  if (glyphs.conv == (GIConv)-1)
    {
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_RENDER,
                   _("This system cannot encode text as %s for the printer"), profile->encoding);
      return NULL;
    }
  rows = layout (receipt, profile->columns, &glyphs);
  g_iconv_close (glyphs.conv);

  g_byte_array_append (out, init, sizeof init);
  /* First, so the drawer opens while the receipt prints. */
  if (vp_receipt_get_cash (receipt))
    g_byte_array_append (out, drawer, sizeof drawer);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];
      g_autofree char *encoded = NULL;
      gsize len = 0;
      guint8 mode[] = { 0x1d, '!', row->big ? 0x11 : 0x00,   /* GS !: character size */
                        0x1b, 'E', row->bold ? 1 : 0 };      /* ESC E: bold */

      if (row->qr != NULL)
        {
          g_byte_array_append (out, center, sizeof center);
          if (profile->native_qr)
            escpos_qr_native (out, profile, row->qr);
          else if (!escpos_qr_raster (out, profile, row->qr, error))
            return NULL;
          g_byte_array_append (out, left, sizeof left);
          continue;
        }
      encoded = g_convert (row->text, -1, profile->encoding, "UTF-8", NULL, &len, error);
      if (encoded == NULL)
        {
          g_prefix_error (error, _("Cannot encode the receipt for the printer: "));
          return NULL;
        }
      g_byte_array_append (out, mode, sizeof mode);
      g_byte_array_append (out, (const guint8 *)encoded, len);
      g_byte_array_append (out, (const guint8 *)"\n", 1);
    }
  g_byte_array_append (out, cut, sizeof cut);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
vp_receipt_render_escpos (const VpReceipt *receipt,
                          guint            columns,
                          GError         **error)
{
  VpPrintProfile profile = *vp_print_profile_lookup (columns >= VP_PRINT_COLUMNS_80MM
                                                     ? "gb18030-80" : "gb18030-58");

  profile.columns = columns;
  return vp_receipt_render_escpos_profile (receipt, &profile, error);
}

#define PDF_WIDTH_PT  VP_PRINT_PAGE_WIDTH_PT   /* 80 mm roll */
#define PDF_MARGIN_PT 10.0
#define PDF_FONT      "Noto Sans CJK SC, Noto Sans, Sans"

static PangoLayout *
pdf_layout_for (cairo_t             *cr,
                const VpReceiptLine *line)
{
  PangoLayout *pl = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (PDF_FONT " 8");

  if (line->kind == VP_RECEIPT_LINE_TITLE)
    pango_font_description_set_size (font, 13 * PANGO_SCALE);
  if (line->bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (pl, font);
  pango_layout_set_width (pl, (int)((PDF_WIDTH_PT - 2 * PDF_MARGIN_PT) * PANGO_SCALE));
  pango_layout_set_wrap (pl, PANGO_WRAP_WORD_CHAR);
  if (line->kind == VP_RECEIPT_LINE_TITLE || line->kind == VP_RECEIPT_LINE_CENTER)
    pango_layout_set_alignment (pl, PANGO_ALIGN_CENTER);
  pango_layout_set_text (pl, line->left ? line->left : "", -1);
  return pl;
}

/* The QR as one filled path of whole-module runs, so no renderer draws
 * seams between modules; at most 3 pt (about 1 mm) a module, centred,
 * with its quiet zone left white. Returns the height it takes. */
static double
pdf_draw_qr (cairo_t    *cr,
             const char *data,
             double      y,
             gboolean    draw)
{
  double inner = PDF_WIDTH_PT - 2 * PDF_MARGIN_PT;
  QRcode *qr = QRcode_encodeData ((int)strlen (data), (const unsigned char *)data, 0, QR_LEVEL);
  guint modules;
  double module, x0, y0;

  if (qr == NULL)
    {
      /* Only when libqrencode runs out of memory or the data is too long
       * for any QR (the builder puts a short address here). */
      g_warning ("Cannot make a QR code of “%s”: %s", data, g_strerror (errno));
      return 0;
    }
  modules = qr->width + 2 * QR_QUIET;
  module = MIN (3.0, inner / modules);
  x0 = PDF_MARGIN_PT + (inner - modules * module) / 2 + QR_QUIET * module;
  y0 = y + QR_QUIET * module;
  if (draw)
    {
      cairo_save (cr);
      cairo_new_path (cr);
      for (int my = 0; my < qr->width; my++)
        for (int mx = 0; mx < qr->width; mx++)
          {
            int run = 0;

            while (mx + run < qr->width && (qr->data[my * qr->width + mx + run] & 1))
              run++;
            if (run > 0)
              {
                cairo_rectangle (cr, x0 + mx * module, y0 + my * module, run * module, module);
                mx += run - 1;
              }
          }
      cairo_set_fill_rule (cr, CAIRO_FILL_RULE_WINDING);
      cairo_fill (cr);
      cairo_restore (cr);
    }
  QRcode_free (qr);
  return modules * module;
}

double
vp_receipt_draw_cairo (const VpReceipt *receipt,
                       cairo_t         *cr,
                       gboolean         draw)
{
  double y = PDF_MARGIN_PT;
  double inner = PDF_WIDTH_PT - 2 * PDF_MARGIN_PT;

  g_return_val_if_fail (receipt != NULL, 0);
  g_return_val_if_fail (cr != NULL, 0);

  for (guint i = 0; i < vp_receipt_get_n_lines (receipt); i++)
    {
      const VpReceiptLine *line = vp_receipt_get_line (receipt, i);
      g_autoptr(PangoLayout) pl = pdf_layout_for (cr, line);
      int w, h;

      if (line->kind == VP_RECEIPT_LINE_SEPARATOR)
        {
          if (draw)
            {
              cairo_set_line_width (cr, 0.5);
              cairo_set_dash (cr, (double[]){ 2.0, 2.0 }, 2, 0);
              cairo_move_to (cr, PDF_MARGIN_PT, y + 4);
              cairo_line_to (cr, PDF_MARGIN_PT + inner, y + 4);
              cairo_stroke (cr);
            }
          y += 8;
          continue;
        }
      if (line->kind == VP_RECEIPT_LINE_QR)
        {
          if (line->left != NULL && *line->left != '\0')
            y += pdf_draw_qr (cr, line->left, y, draw);
          continue;
        }
      if (line->kind == VP_RECEIPT_LINE_FEED)
        {
          y += 8;
          continue;
        }
      if (line->kind == VP_RECEIPT_LINE_PAIR)
        {
          g_autoptr(PangoLayout) right = pdf_layout_for (cr, line);
          int rw, rh;

          pango_layout_set_width (pl, (int)(inner * 0.55 * PANGO_SCALE));
          pango_layout_set_text (right, line->right ? line->right : "", -1);
          pango_layout_set_alignment (right, PANGO_ALIGN_RIGHT);
          pango_layout_get_pixel_size (pl, &w, &h);
          pango_layout_get_pixel_size (right, &rw, &rh);
          if (draw)
            {
              cairo_move_to (cr, PDF_MARGIN_PT, y);
              pango_cairo_show_layout (cr, pl);
              cairo_move_to (cr, PDF_MARGIN_PT, y);
              pango_cairo_show_layout (cr, right);
            }
          y += MAX (h, rh) + 2;
          continue;
        }
      pango_layout_get_pixel_size (pl, &w, &h);
      if (draw)
        {
          cairo_move_to (cr, PDF_MARGIN_PT, y);
          pango_cairo_show_layout (cr, pl);
        }
      y += h + 2;
    }
  return y + PDF_MARGIN_PT;
}

gboolean
vp_receipt_render_pdf (const VpReceipt *receipt,
                       const char      *path,
                       GError         **error)
{
  cairo_surface_t *measure_surface;
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;
  double height;

  g_return_val_if_fail (receipt != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  /* Said before drawing: the drawing code has no error to give. */
  for (guint i = 0; i < vp_receipt_get_n_lines (receipt); i++)
    {
      const VpReceiptLine *line = vp_receipt_get_line (receipt, i);

      if (line->kind == VP_RECEIPT_LINE_QR && line->left != NULL && *line->left != '\0')
        {
          QRcode *qr = qr_encode (line->left, error);

          if (qr == NULL)
            return FALSE;
          QRcode_free (qr);
        }
    }

  measure_surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cr = cairo_create (measure_surface);
  height = vp_receipt_draw_cairo (receipt, cr, FALSE);
  cairo_destroy (cr);
  cairo_surface_destroy (measure_surface);

  surface = cairo_pdf_surface_create (path, PDF_WIDTH_PT, height);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 0, 0, 0);
  vp_receipt_draw_cairo (receipt, cr, TRUE);
  cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_IO,
                   _("Cannot write the PDF receipt %s: %s"), path, cairo_status_to_string (status));
      g_unlink (path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_all (const char   *path,
           const guint8 *data,
           gsize         len,
           gboolean      device,
           GError      **error)
{
  int fd = device ? g_open (path, O_WRONLY | O_CLOEXEC, 0)
                  : g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_PRINTER,
                   _("Cannot open the printer %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;
          g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_IO,
                       _("Printing to %s failed: %s"), path, g_strerror (saved));
          close (fd);
          return FALSE;
        }
      data += n;
      len -= n;
    }
  if (!device && fsync (fd) != 0)
    {
      int saved = errno;
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_IO,
                   _("Printing to %s failed: %s"), path, g_strerror (saved));
      close (fd);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

gboolean
vp_print_spec_is_system (const char *printer)
{
  return printer != NULL && (g_str_equal (printer, "system") || g_str_has_prefix (printer, "system:"));
}

gboolean
vp_print_parse_escpos_spec (const char      *spec,
                            char           **out_device,
                            VpPrintProfile  *out_profile,
                            GError         **error)
{
  const char *query = strchr (spec, '?');
  g_autofree char *device = query ? g_strndup (spec, query - spec) : g_strdup (spec);
  g_auto(GStrv) params = query ? g_strsplit (query + 1, "&", -1) : NULL;
  const char *qr = NULL;

  g_return_val_if_fail (spec != NULL, FALSE);

  *out_profile = *vp_print_profile_lookup ("gb18030-58");
  if (*device == '\0')
    {
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC,
                   _("The printer “escpos:%s” names no device"), spec);
      return FALSE;
    }
  for (guint i = 0; params != NULL && params[i] != NULL; i++)
    {
      const char *eq = strchr (params[i], '=');
      g_autofree char *key = eq ? g_strndup (params[i], eq - params[i]) : g_strdup (params[i]);
      const char *value = eq ? eq + 1 : "";

      if (g_str_equal (key, "profile"))
        {
          const VpPrintProfile *p = vp_print_profile_lookup (value);

          if (p == NULL)
            {
              g_autofree char *names = g_strjoinv (", ", (char **)vp_print_profile_names ());
              g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC,
                           _("Unknown printer profile “%s”; use one of %s"), value, names);
              return FALSE;
            }
          *out_profile = *p;
        }
      else if (g_str_equal (key, "qr") && (g_str_equal (value, "native") || g_str_equal (value, "raster")))
        qr = value;
      else
        {
          g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC,
                       _("Unknown printer option “%s” in “escpos:%s”; use profile=NAME or qr=native|raster"),
                       params[i], spec);
          return FALSE;
        }
    }
  /* After the loop: qr= overrides the profile wherever it is written. */
  if (qr != NULL)
    out_profile->native_qr = g_str_equal (qr, "native");
  *out_device = g_steal_pointer (&device);
  return TRUE;
}

gboolean
vp_print_receipt (const VpReceipt *receipt,
                  const char      *printer,
                  const char      *pdf_dir,
                  const char      *name,
                  char           **out_path,
                  GError         **error)
{
  g_return_val_if_fail (receipt != NULL, FALSE);

  if (out_path)
    *out_path = NULL;
  if (printer == NULL || g_str_equal (printer, "none"))
    return TRUE;

  if (g_str_equal (printer, "pdf"))
    {
      g_autofree char *file = g_strdup_printf ("%s.pdf", name ? name : "receipt");
      g_autofree char *path = NULL;

      if (pdf_dir == NULL)
        pdf_dir = g_get_user_special_dir (G_USER_DIRECTORY_DOCUMENTS);
      if (pdf_dir == NULL)
        pdf_dir = g_get_home_dir ();
      if (g_mkdir_with_parents (pdf_dir, 0755) != 0)
        {
          int saved = errno;
          g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_IO,
                       _("Cannot create the receipt folder %s: %s"), pdf_dir, g_strerror (saved));
          return FALSE;
        }
      path = g_build_filename (pdf_dir, file, NULL);
      if (!vp_receipt_render_pdf (receipt, path, error))
        return FALSE;
      if (out_path)
        *out_path = g_steal_pointer (&path);
      return TRUE;
    }

  if (g_str_has_prefix (printer, "escpos:"))
    {
      g_autofree char *dev = NULL;
      g_autoptr(GBytes) bytes = NULL;
      VpPrintProfile profile;
      gsize len;
      const guint8 *data;

      if (!vp_print_parse_escpos_spec (printer + strlen ("escpos:"), &dev, &profile, error))
        return FALSE;
      bytes = vp_receipt_render_escpos_profile (receipt, &profile, error);
      if (bytes == NULL)
        return FALSE;
      data = g_bytes_get_data (bytes, &len);
      if (!write_all (dev, data, len, g_str_has_prefix (dev, "/dev/"), error))
        return FALSE;
      if (out_path)
        *out_path = g_steal_pointer (&dev);
      return TRUE;
    }

  if (vp_print_spec_is_system (printer))
    {
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC,
                   _("The system printer “%s” prints from the VanPOS app only; "
                     "use pdf, escpos:DEVICE or text:FILE here"), printer);
      return FALSE;
    }

  if (g_str_has_prefix (printer, "text:"))
    {
      const char *path = printer + strlen ("text:");
      g_autofree char *text = vp_receipt_render_text (receipt, VP_PRINT_COLUMNS_80MM);

      if (!write_all (path, (const guint8 *)text, strlen (text), FALSE, error))
        return FALSE;
      if (out_path)
        *out_path = g_strdup (path);
      return TRUE;
    }

  g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC,
               _("Unknown printer “%s”; use none, pdf, system, escpos:DEVICE or text:FILE"), printer);
  return FALSE;
}
