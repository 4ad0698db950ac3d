/* vp-tariff.h: tiered annual tariff (阶梯价) with concessions.
 *
 * Rounding rule (documented contract, used by HQ too):
 *   - a quote is split into segments: first the remaining free allowance
 *     (concession only), then each tier the volume passes through,
 *     starting at the account's cumulative volume in the tariff year;
 *   - each segment's amount = round-half-up (litres × price × (1000 −
 *     discount‰) / 1 000 000) fen, where price is fen per m³; the quote's
 *     amount is the sum of its segments, so a tier split is exact;
 *   - amount → volume gives the largest whole number of litres whose
 *     volume → amount quote is ≤ the amount paid; the fen left over
 *     (always less than the price of one more litre) is returned in
 *     quote->leftover and becomes account credit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"

G_BEGIN_DECLS

#define VP_TARIFF_ERROR (vp_tariff_error_quark ())

typedef enum
{
  VP_TARIFF_ERROR_INVALID,
  VP_TARIFF_ERROR_OVERFLOW,
  VP_TARIFF_ERROR_TOO_SMALL,
  VP_TARIFF_ERROR_TOO_LARGE,
} VpTariffError;

#define VP_TARIFF_MAX_TIERS 6
/* No single purchase may exceed this volume (100 000 m³). */
#define VP_TARIFF_MAX_VOLUME ((VpVolume) 100000 * VP_LITRES_PER_M3)

typedef struct
{
  /* Cumulative litres in the tariff year at which this tier ends;
   * G_MAXINT64 for the last (open-ended) tier. */
  VpVolume upto;
  /* Fen per m³. */
  VpMoney  price;
} VpTariffTier;

struct _VpTariff
{
  int           version;
  VpServiceKind service;
  VpTariffClass klass;
  guint         n_tiers;
  VpTariffTier  tiers[VP_TARIFF_MAX_TIERS];
  /* Concession (low-income class, only while the certificate is valid). */
  VpVolume      free_allowance;     /* litres free of charge per tariff year */
  guint         discount_permille;  /* 0..1000, share of the price waived */
};

typedef struct
{
  gint     tier;        /* 0-based tier index, -1 for the free allowance */
  VpVolume litres;
  VpMoney  price;       /* fen per m³ before discount */
  VpMoney  amount;      /* fen charged for this segment */
  VpMoney  discount;    /* fen waived by the concession discount */
} VpQuoteSegment;

struct _VpQuote
{
  int            tariff_version;
  VpVolume       volume;        /* litres credited */
  VpMoney        amount;        /* fen charged */
  VpMoney        leftover;      /* amount → volume: fen not spent */
  VpVolume       free_litres;   /* litres from the free allowance */
  VpMoney        discount;      /* total fen waived */
  gboolean       concession;    /* concession applied */
  guint          n_segments;
  VpQuoteSegment segments[VP_TARIFF_MAX_TIERS + 1];
};

GQuark   vp_tariff_error_quark  (void);

/* Tier spec in m³ and fen per m³: "300:298,600:357,*:447" means
 * 0–300 m³ at ¥2.98, 300–600 m³ at ¥3.57, above at ¥4.47. */
gboolean vp_tariff_parse_tiers  (VpTariff    *tariff,
                                 const char  *spec,
                                 GError     **error);
char    *vp_tariff_format_tiers (const VpTariff *tariff);
gboolean vp_tariff_validate     (const VpTariff *tariff,
                                 GError        **error);

/* year_used: litres the account already bought this tariff year.
 * free_used: litres of the free allowance already used this year.
 * concession: whether the concession certificate is valid today. */
gboolean vp_tariff_quote_volume (const VpTariff *tariff,
                                 VpVolume        year_used,
                                 VpVolume        free_used,
                                 gboolean        concession,
                                 VpVolume        volume,
                                 VpQuote        *out,
                                 GError        **error);
gboolean vp_tariff_quote_amount (const VpTariff *tariff,
                                 VpVolume        year_used,
                                 VpVolume        free_used,
                                 gboolean        concession,
                                 VpMoney         amount,
                                 VpQuote        *out,
                                 GError        **error);

G_END_DECLS
