/* vp-report-render.c: the published statistics as CSV and PDF.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-report-render"

#include "config.h"

#include <cairo-pdf.h>
#include <glib/gi18n-lib.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "vp-core.h"
#include "vp-print.h"
#include "vp-report-render.h"

/* One line of the report: what the CSV prints as a row and the PDF as a
 * table line. The labels are the utility's published Chinese wording
 * with English beside it, whatever the van's locale: the report is a
 * document the utility files, like the receipt's 重印 / DUPLICATE. */
typedef struct
{
  const char *section;
  char       *key;
  char       *zh;
  const char *en;
  gboolean    has_count;
  gint64      count;
  gboolean    has_amount;
  VpMoney     amount;
} Row;

static void
row_free (Row *row)
{
  g_free (row->key);
  g_free (row->zh);
  g_free (row);
}

static gint64
get_int (JsonObject *o,
         const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (n);
}

static const char *
get_string (JsonObject *o,
            const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return "";
  return json_node_get_string (n);
}

static JsonArray *
get_array (JsonObject *o,
           const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static Row *
add_row (GPtrArray  *rows,
         const char *section,
         const char *key,
         const char *zh,
         const char *en)
{
  Row *row = g_new0 (Row, 1);

  row->section = section;
  row->key = g_strdup (key);
  row->zh = g_strdup (zh);
  row->en = en;
  g_ptr_array_add (rows, row);
  return row;
}

static void
add_count (GPtrArray  *rows,
           const char *section,
           const char *key,
           const char *zh,
           const char *en,
           gint64      count)
{
  Row *row = add_row (rows, section, key, zh, en);

  row->has_count = TRUE;
  row->count = count;
}

static void
add_money (GPtrArray  *rows,
           const char *section,
           const char *key,
           const char *zh,
           const char *en,
           gint64      count,
           VpMoney     amount)
{
  Row *row = add_row (rows, section, key, zh, en);

  row->has_count = TRUE;
  row->count = count;
  row->has_amount = TRUE;
  row->amount = amount;
}

static const char *
period_zh (const char *period)
{
  if (g_strcmp0 (period, "day") == 0)
    return "日报";
  if (g_strcmp0 (period, "month") == 0)
    return "月报";
  return "年报";
}

static const char *
period_en (const char *period)
{
  if (g_strcmp0 (period, "day") == 0)
    return "Daily report";
  if (g_strcmp0 (period, "month") == 0)
    return "Monthly report";
  return "Annual report";
}

/* The lines of the report, in the order both renderers show them. */
static GPtrArray *
build_rows (JsonObject *r)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)row_free);
  g_autofree char *range = g_strdup_printf ("%s/%s", get_string (r, "from"), get_string (r, "to"));
  const char *period = get_string (r, "period");
  const char *bar_section = g_strcmp0 (period, "year") == 0 ? "month" : "day";
  JsonArray *a;

  add_row (rows, "period", period, range, NULL);

  /* The counts a mobile business hall publishes (DESIGN §3, the seeds):
   * trips, consultations, fee transactions, business applications, home
   * visits; then what the van also logs. */
  add_count (rows, "activity", "trips", "出车次数", "Trips", get_int (r, "trips"));
  add_count (rows, "activity", "consultations", "解答咨询", "Consultations",
             get_int (r, "consultations"));
  add_count (rows, "activity", "fee_transactions", "收费交易笔数", "Fee transactions",
             get_int (r, "fee_transactions"));
  add_count (rows, "activity", "applications", "办理业务", "Business applications",
             get_int (r, "applications"));
  add_count (rows, "activity", "home_visits", "上门服务", "Home visits", get_int (r, "home_visits"));
  add_count (rows, "activity", "complaints", "投诉报修", "Complaints", get_int (r, "complaints"));
  add_count (rows, "activity", "voids", "作废", "Voids", get_int (r, "voids"));

  /* Sales by method less cash refunds is what was collected. */
  add_money (rows, "collections", "cash", "现金", "Cash", get_int (r, "cash_in_count"),
             get_int (r, "cash_in"));
  add_money (rows, "collections", "card", "银行卡", "Bank card", get_int (r, "card_in_count"),
             get_int (r, "card_in"));
  add_money (rows, "collections", "mobile", "移动支付", "Mobile pay",
             get_int (r, "mobile_in_count"), get_int (r, "mobile_in"));
  add_money (rows, "collections", "refunds", "现金退款", "Cash refunds", get_int (r, "refunds"),
             -get_int (r, "cash_refunds"));
  add_money (rows, "collections", "total", "收费合计", "Collected",
             get_int (r, "fee_transactions"), get_int (r, "collected"));

  a = get_array (r, "by_estate");
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    {
      JsonObject *e = json_array_get_object_element (a, i);
      const char *estate = get_string (e, "estate");

      if (*estate != '\0')
        add_money (rows, "estate", estate, estate, NULL, get_int (e, "transactions"),
                   get_int (e, "collected"));
      else
        add_money (rows, "estate", "", "未记录小区", "Estate not recorded",
                   get_int (e, "transactions"), get_int (e, "collected"));
    }

  a = get_array (r, "bars");
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    {
      JsonObject *b = json_array_get_object_element (a, i);

      add_money (rows, bar_section, get_string (b, "date"), "", NULL, get_int (b, "transactions"),
                 get_int (b, "collected"));
    }

  /* Voided entries count nowhere above; listed so the gap is explained. */
  a = get_array (r, "voided");
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    {
      JsonObject *v = json_array_get_object_element (a, i);
      Row *row = add_row (rows, "voided", get_string (v, "receipt"), get_string (v, "kind"), NULL);

      row->has_amount = TRUE;
      row->amount = get_int (v, "amount");
    }
  return g_steal_pointer (&rows);
}

/* --- CSV ----------------------------------------------------------------- */

static void
csv_field (GString    *out,
           const char *text,
           gboolean    last)
{
  if (strpbrk (text, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = text; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, text);
  g_string_append (out, last ? "\r\n" : ",");
}

/**
 * vp_report_render_csv:
 * @report: the report object of vp_report_to_json()
 *
 * Returns: (transfer full): the CSV text, UTF-8
 */
char *
vp_report_render_csv (JsonObject *report)
{
  g_autoptr(GPtrArray) rows = NULL;
  GString *out = g_string_new ("section,key,label,count,amount_yuan\r\n");

  g_return_val_if_fail (report != NULL, NULL);

  rows = build_rows (report);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];
      g_autofree char *count = row->has_count ? g_strdup_printf ("%" G_GINT64_FORMAT, row->count)
                                              : g_strdup ("");
      g_autofree char *amount = row->has_amount ? vp_money_format_plain (row->amount)
                                                : g_strdup ("");

      csv_field (out, row->section, FALSE);
      csv_field (out, row->key, FALSE);
      csv_field (out, row->zh, FALSE);
      csv_field (out, count, FALSE);
      csv_field (out, amount, TRUE);
    }
  return g_string_free (out, FALSE);
}

/* --- PDF ----------------------------------------------------------------- */

#define A4_WIDTH   595.0
#define A4_HEIGHT  842.0
#define MARGIN     42.0
#define INNER      (A4_WIDTH - 2 * MARGIN)
#define FONT       "Noto Sans CJK SC, Noto Sans, Sans"
#define CHART_H    180.0

typedef struct
{
  cairo_t *cr;
  double   y;
  int      page;
} Pdf;

static void
set_grey (cairo_t *cr,
          double   level)
{
  cairo_set_source_rgb (cr, level, level, level);
}

/* Draws text at (x, y) in a box of width w aligned left, right or
 * centred; returns its height. */
static double
text_at (Pdf            *pdf,
         const char     *text,
         double          x,
         double          y,
         double          w,
         double          size,
         gboolean        bold,
         PangoAlignment  align)
{
  g_autoptr(PangoLayout) pl = pango_cairo_create_layout (pdf->cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (FONT);
  int tw, th;

  pango_font_description_set_size (font, (int)(size * PANGO_SCALE));
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (pl, font);
  pango_layout_set_width (pl, (int)(w * PANGO_SCALE));
  pango_layout_set_alignment (pl, align);
  pango_layout_set_text (pl, text, -1);
  pango_layout_get_pixel_size (pl, &tw, &th);
  cairo_move_to (pdf->cr, x, y);
  pango_cairo_show_layout (pdf->cr, pl);
  return th;
}

static void
footer (Pdf *pdf)
{
  g_autofree char *page = g_strdup_printf ("第 %d 页 / Page %d", pdf->page, pdf->page);

  set_grey (pdf->cr, 0.4);
  text_at (pdf, page, MARGIN, A4_HEIGHT - MARGIN + 12, INNER, 8, FALSE, PANGO_ALIGN_CENTER);
  set_grey (pdf->cr, 0);
}

/* Starts a new page when less than need points are left. */
static void
need_space (Pdf    *pdf,
            double  need)
{
  if (pdf->y + need <= A4_HEIGHT - MARGIN)
    return;
  footer (pdf);
  cairo_show_page (pdf->cr);
  pdf->page++;
  pdf->y = MARGIN;
}

/* A heading is never the last thing on a page: it starts a new page
 * unless room for the heading and then need points is left. */
static void
heading (Pdf        *pdf,
         const char *zh,
         const char *en,
         double      need)
{
  g_autofree char *text = g_strdup_printf ("%s  %s", zh, en);

  need_space (pdf, 40 + need);
  pdf->y += 10;
  pdf->y += text_at (pdf, text, MARGIN, pdf->y, INNER, 13, TRUE, PANGO_ALIGN_LEFT) + 4;
  cairo_set_line_width (pdf->cr, 0.8);
  cairo_move_to (pdf->cr, MARGIN, pdf->y);
  cairo_line_to (pdf->cr, MARGIN + INNER, pdf->y);
  cairo_stroke (pdf->cr);
  pdf->y += 4;
}

static void
table_row (Pdf        *pdf,
           const Row  *row,
           gboolean    bold)
{
  g_autofree char *label = NULL;
  g_autofree char *count = NULL;
  g_autofree char *amount = row->has_amount ? vp_money_format (row->amount) : g_strdup ("");
  double h;

  if (g_str_equal (row->section, "voided"))
    label = g_strdup_printf ("%s  %s", row->key, row->zh);   /* receipt and kind */
  else if (row->en != NULL)
    label = g_strdup_printf ("%s  %s", row->zh, row->en);
  else
    label = g_strdup (row->zh);
  count = row->has_count ? g_strdup_printf ("%" G_GINT64_FORMAT, row->count) : g_strdup ("");

  need_space (pdf, 20);
  h = text_at (pdf, label, MARGIN, pdf->y, INNER * 0.55, 10.5, bold, PANGO_ALIGN_LEFT);
  text_at (pdf, count, MARGIN + INNER * 0.55, pdf->y, INNER * 0.17, 10.5, bold, PANGO_ALIGN_RIGHT);
  text_at (pdf, amount, MARGIN + INNER * 0.72, pdf->y, INNER * 0.28, 10.5, bold,
           PANGO_ALIGN_RIGHT);
  pdf->y += h + 3;
}

static void
table_header (Pdf        *pdf,
              const char *count,
              const char *amount)
{
  need_space (pdf, 20);
  set_grey (pdf->cr, 0.4);
  text_at (pdf, count, MARGIN + INNER * 0.55, pdf->y, INNER * 0.17, 8.5, FALSE, PANGO_ALIGN_RIGHT);
  pdf->y += text_at (pdf, amount, MARGIN + INNER * 0.72, pdf->y, INNER * 0.28, 8.5, FALSE,
                     PANGO_ALIGN_RIGHT) + 2;
  set_grey (pdf->cr, 0);
}

/* Bars of collected money, one per row, with the axis at zero; a negative
 * bar (more refunded than taken) hangs below it. */
static void
chart (Pdf        *pdf,
       GPtrArray  *bars,
       char     *(*label_for) (const Row *row))
{
  cairo_t *cr = pdf->cr;
  VpMoney top = 0, bottom = 0;
  double plot_x = MARGIN + 56, plot_w = INNER - 56;
  double plot_top, plot_h = CHART_H - 40, zero_y, slot;
  g_autofree char *top_label = NULL;

  if (bars->len == 0)
    return;
  for (guint i = 0; i < bars->len; i++)
    {
      const Row *row = bars->pdata[i];

      top = MAX (top, row->amount);
      bottom = MIN (bottom, row->amount);
    }
  if (top == bottom)
    top = bottom + 100;   /* an idle period: a flat axis, no division by zero */
  need_space (pdf, CHART_H + 10);
  plot_top = pdf->y + 16;
  zero_y = plot_top + plot_h * (double)top / (double)(top - bottom);
  slot = plot_w / bars->len;

  /* Scale: the top value and zero on the left, a faint grid line. */
  top_label = vp_money_format (top);
  set_grey (cr, 0.4);
  text_at (pdf, top_label, MARGIN, plot_top - 6, 52, 7.5, FALSE, PANGO_ALIGN_RIGHT);
  text_at (pdf, "0", MARGIN, zero_y - 6, 52, 7.5, FALSE, PANGO_ALIGN_RIGHT);
  set_grey (cr, 0.85);
  cairo_set_line_width (cr, 0.5);
  cairo_move_to (cr, plot_x, plot_top);
  cairo_line_to (cr, plot_x + plot_w, plot_top);
  cairo_stroke (cr);
  set_grey (cr, 0);
  cairo_set_line_width (cr, 0.8);
  cairo_move_to (cr, plot_x, zero_y);
  cairo_line_to (cr, plot_x + plot_w, zero_y);
  cairo_move_to (cr, plot_x, plot_top);
  cairo_line_to (cr, plot_x, plot_top + plot_h);
  cairo_stroke (cr);

  for (guint i = 0; i < bars->len; i++)
    {
      const Row *row = bars->pdata[i];
      g_autofree char *label = label_for (row);
      double h = plot_h * (double)row->amount / (double)(top - bottom);
      double x = plot_x + i * slot + slot * 0.15;

      cairo_set_source_rgb (cr, 0.13, 0.38, 0.67);
      cairo_rectangle (cr, x, zero_y - MAX (h, 0), slot * 0.7, ABS (h));
      cairo_fill (cr);
      set_grey (cr, 0);
      text_at (pdf, label, plot_x + i * slot, plot_top + plot_h + 4, slot,
               bars->len > 12 ? 7 : 8.5, FALSE, PANGO_ALIGN_CENTER);
      /* A value over a bar only where there is room to read it. */
      if (bars->len <= 12 && row->amount != 0)
        {
          g_autofree char *value = vp_money_format (row->amount);

          set_grey (cr, 0.25);
          text_at (pdf, value, plot_x + i * slot, zero_y - MAX (h, 0) - 12, slot, 7, FALSE,
                   PANGO_ALIGN_CENTER);
          set_grey (cr, 0);
        }
    }
  pdf->y = plot_top + plot_h + 24;
}

static char *
day_label (const Row *row)
{
  /* yyyy-mm-dd → the day of the month */
  return g_strdup_printf ("%d", (int)g_ascii_strtoll (row->key + MIN (strlen (row->key), 8), NULL, 10));
}

static char *
month_label (const Row *row)
{
  /* yyyy-mm → "11月" */
  return g_strdup_printf ("%d月", (int)g_ascii_strtoll (row->key + MIN (strlen (row->key), 5), NULL, 10));
}

static char *
method_label (const Row *row)
{
  return g_strdup_printf ("%s %s", row->zh, row->en);
}

static cairo_status_t
write_to_array (void                *closure,
                const unsigned char *data,
                unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* The chart: a month by day, a year by month, a day by payment method. */
static void
draw_chart (Pdf        *pdf,
            const char *period,
            GPtrArray  *bars,
            GPtrArray  *methods)
{
  if (g_strcmp0 (period, "month") == 0)
    {
      heading (pdf, "每日收费", "Collections per day", CHART_H + 10);
      chart (pdf, bars, day_label);
    }
  else if (g_strcmp0 (period, "year") == 0)
    {
      heading (pdf, "每月收费", "Collections per month", CHART_H + 10);
      chart (pdf, bars, month_label);
    }
  else
    {
      heading (pdf, "按支付方式收费", "Collections by payment method", CHART_H + 10);
      chart (pdf, methods, method_label);
    }
}

/* Draws every page: the tables in the order of build_rows(), the chart
 * after the collections by method, so that a report with a usual number
 * of estates has its figures and its chart on the first page. */
static void
draw_report (Pdf        *pdf,
             JsonObject *report,
             GPtrArray  *rows)
{
  const char *period = get_string (report, "period");
  g_autoptr(GPtrArray) bars = g_ptr_array_new ();
  g_autoptr(GPtrArray) methods = g_ptr_array_new ();
  g_autofree char *title = g_strdup_printf ("流动营业服务车 %s", period_zh (period));
  g_autofree char *subtitle = g_strdup_printf ("Mobile service van · %s · %s – %s",
                                               period_en (period), get_string (report, "from"),
                                               get_string (report, "to"));
  const char *section = NULL;
  gboolean charted = FALSE;

  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];

      if (g_str_equal (row->section, "day") || g_str_equal (row->section, "month"))
        g_ptr_array_add (bars, row);
      else if (g_str_equal (row->section, "collections") && !g_str_equal (row->key, "refunds") &&
               !g_str_equal (row->key, "total"))
        g_ptr_array_add (methods, row);
    }

  pdf->y += text_at (pdf, title, MARGIN, pdf->y, INNER, 20, TRUE, PANGO_ALIGN_LEFT) + 2;
  set_grey (pdf->cr, 0.3);
  pdf->y += text_at (pdf, subtitle, MARGIN, pdf->y, INNER, 10.5, FALSE, PANGO_ALIGN_LEFT) + 6;
  set_grey (pdf->cr, 0);

  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];

      if (g_str_equal (row->section, "period") || g_str_equal (row->section, "day") ||
          g_str_equal (row->section, "month"))
        continue;
      if (g_strcmp0 (section, row->section) != 0)
        {
          section = row->section;
          if (!charted && (g_str_equal (section, "estate") || g_str_equal (section, "voided")))
            {
              draw_chart (pdf, period, bars, methods);
              charted = TRUE;
            }
          if (g_str_equal (section, "activity"))
            {
              heading (pdf, "业务量", "Activity", 40);
              table_header (pdf, "次数 Count", "");
            }
          else if (g_str_equal (section, "collections"))
            {
              heading (pdf, "收费", "Collections by method", 40);
              table_header (pdf, "笔数 Count", "金额 Amount");
            }
          else if (g_str_equal (section, "estate"))
            {
              heading (pdf, "按小区收费", "Collections by estate", 40);
              table_header (pdf, "笔数 Count", "金额 Amount");
            }
          else if (g_str_equal (section, "voided"))
            {
              heading (pdf, "已作废", "Voided entries (counted nowhere above)", 40);
              table_header (pdf, "", "金额 Amount");
            }
        }
      table_row (pdf, row, g_str_equal (row->key, "total"));
    }
  if (!charted)
    draw_chart (pdf, period, bars, methods);
  footer (pdf);
}

/**
 * vp_report_render_pdf:
 * @report: the report object of vp_report_to_json()
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the PDF document, or %NULL with @error set
 */
GBytes *
vp_report_render_pdf (JsonObject *report,
                      GError    **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GPtrArray) rows = NULL;
  cairo_surface_t *surface;
  cairo_status_t status;
  Pdf pdf = { NULL, MARGIN, 1 };

  g_return_val_if_fail (report != NULL, NULL);

  rows = build_rows (report);
  surface = cairo_pdf_surface_create_for_stream (write_to_array, out, A4_WIDTH, A4_HEIGHT);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, "VanPOS statistics report");
  pdf.cr = cairo_create (surface);
  draw_report (&pdf, report, rows);
  cairo_show_page (pdf.cr);
  status = cairo_status (pdf.cr);
  cairo_destroy (pdf.cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_RENDER,
                   _("Cannot draw the report as a PDF: %s"), cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
