/* vp-report-render.h: the published day / month / year statistics as CSV
 * and as a PDF page with a chart.
 *
 * Both render the JSON object of `vanpos-cli report --json`
 * (vp_report_to_json()), so the figures are the one fold of the signed
 * journal (src/store/vp-figures.c) and this layer needs no database.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* RFC 4180: a header row "section,key,label,count,amount_yuan", then one
 * row per line of the report; CRLF line ends, UTF-8, amounts in yuan with
 * 2 decimals ("1234.50", "-12.00"), fields quoted when they hold a comma,
 * a quote or a line break. */
char   *vp_report_render_csv (JsonObject *report);

/* A4 pages: headings and figures in Chinese with English beside them, and
 * a bar chart of collections (per day of a month, per month of a year, per
 * payment method of a day). */
GBytes *vp_report_render_pdf (JsonObject *report,
                              GError    **error);

G_END_DECLS
