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
#include <string.h>
#include <unistd.h>

#include "vp-print.h"

typedef struct
{
  char    *text;    /* already padded to the column width */
  gboolean bold;
  gboolean big;     /* double width and height (ESC/POS titles) */
} Row;

static void
row_free (Row *row)
{
  g_free (row->text);
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

static GPtrArray *
layout (const VpReceipt *receipt,
        guint            columns)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)row_free);

  for (guint i = 0; i < vp_receipt_get_n_lines (receipt); i++)
    {
      const VpReceiptLine *line = vp_receipt_get_line (receipt, i);

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
           * lines of their own. */
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

  rows = layout (receipt, columns);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];

      g_string_append (out, row->text);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

GBytes *
vp_receipt_render_escpos (const VpReceipt *receipt,
                          guint            columns,
                          GError         **error)
{
  static const guint8 init[] = { 0x1b, '@',        /* ESC @: initialise */
                                 0x1c, '&' };      /* FS &: Chinese character mode */
  static const guint8 cut[] = { 0x1b, 'd', 4,      /* feed 4 lines */
                                0x1d, 'V', 66, 0 }; /* GS V 66 0: partial cut */
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();

  g_return_val_if_fail (receipt != NULL, NULL);

  rows = layout (receipt, columns);
  g_byte_array_append (out, init, sizeof init);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];
      g_autofree char *encoded = NULL;
      gsize len = 0;
      guint8 mode[] = { 0x1d, '!', row->big ? 0x11 : 0x00,   /* GS !: character size */
                        0x1b, 'E', row->bold ? 1 : 0 };      /* ESC E: bold */

      encoded = g_convert (row->text, -1, "GB18030", "UTF-8", NULL, &len, error);
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

#define PDF_WIDTH_PT  (80.0 / 25.4 * 72.0)   /* 80 mm roll */
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

/* Draws (or only measures, when draw is FALSE) the receipt; returns its height. */
static double
pdf_draw (cairo_t         *cr,
          const VpReceipt *receipt,
          gboolean         draw)
{
  double y = PDF_MARGIN_PT;
  double inner = PDF_WIDTH_PT - 2 * PDF_MARGIN_PT;

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
        continue;
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

  measure_surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cr = cairo_create (measure_surface);
  height = pdf_draw (cr, receipt, FALSE);
  cairo_destroy (cr);
  cairo_surface_destroy (measure_surface);

  surface = cairo_pdf_surface_create (path, PDF_WIDTH_PT, height);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 0, 0, 0);
  pdf_draw (cr, receipt, TRUE);
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
      const char *dev = printer + strlen ("escpos:");
      g_autoptr(GBytes) bytes = vp_receipt_render_escpos (receipt, VP_PRINT_COLUMNS_58MM, error);
      gsize len;
      const guint8 *data;

      if (bytes == NULL)
        return FALSE;
      data = g_bytes_get_data (bytes, &len);
      if (!write_all (dev, data, len, g_str_has_prefix (dev, "/dev/"), error))
        return FALSE;
      if (out_path)
        *out_path = g_strdup (dev);
      return TRUE;
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

  g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_PRINTER,
               _("Unknown printer “%s”; use none, pdf, escpos:DEVICE or text:FILE"), printer);
  return FALSE;
}
