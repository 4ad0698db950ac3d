/* vp-money.h: fen arithmetic, strict parsing and formatting.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"

G_BEGIN_DECLS

#define VP_MONEY_ERROR (vp_money_error_quark ())

typedef enum
{
  VP_MONEY_ERROR_OVERFLOW,
  VP_MONEY_ERROR_SYNTAX,
  VP_MONEY_ERROR_NEGATIVE,
  VP_MONEY_ERROR_PRECISION,
  VP_MONEY_ERROR_RANGE,
} VpMoneyError;

/* Largest amount any single transaction may carry: ¥1,000,000.00.
 * Anything larger typed at a van counter is a slip of the finger. */
#define VP_MONEY_MAX_TRANSACTION ((VpMoney) 100000000)

GQuark   vp_money_error_quark (void);

gboolean vp_money_add         (VpMoney      a,
                               VpMoney      b,
                               VpMoney     *out,
                               GError     **error);
gboolean vp_money_sub         (VpMoney      a,
                               VpMoney      b,
                               VpMoney     *out,
                               GError     **error);
gboolean vp_money_mul         (VpMoney      a,
                               gint64       factor,
                               VpMoney     *out,
                               GError     **error);

/* Parses "123", "123.4", "123.45", "¥1,234.50", "1,234.50".
 * Rejects a sign, more than two decimals, misplaced commas, spaces
 * inside the number, empty input and overflow. Zero parses as 0. */
gboolean vp_money_parse       (const char  *text,
                               VpMoney     *out,
                               GError     **error);
/* As vp_money_parse() but also requires 0 < amount <= VP_MONEY_MAX_TRANSACTION. */
gboolean vp_money_parse_positive (const char  *text,
                                  VpMoney     *out,
                                  GError     **error);

/* "¥1,234.50"; negative amounts as "-¥1,234.50". */
char    *vp_money_format      (VpMoney      amount);
/* "1234.50" (no symbol, no grouping), for CSV and entry fields. */
char    *vp_money_format_plain (VpMoney     amount);

/* Volumes: "12", "12.5", "12.345" m³ → litres; at most 3 decimals,
 * no sign, at most 100000 m³. */
gboolean vp_volume_parse      (const char  *text,
                               VpVolume    *out,
                               GError     **error);
/* "12.345 m³" with trailing zeros trimmed to at least 2 decimals: "12.50 m³". */
char    *vp_volume_format     (VpVolume     litres);
/* "12.500" plain, 3 decimals. */
char    *vp_volume_format_plain (VpVolume   litres);

G_END_DECLS
