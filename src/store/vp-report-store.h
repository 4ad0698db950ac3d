/* vp-report-store.h: day / month / year activity reports.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "vp-database.h"
#include "vp-figures.h"

G_BEGIN_DECLS

typedef enum
{
  VP_REPORT_DAY,
  VP_REPORT_MONTH,
  VP_REPORT_YEAR,
} VpReportPeriod;

typedef struct
{
  char   *date;     /* yyyy-mm-dd */
  VpMoney collected;
  gint64  transactions;   /* fee transactions, voided ones left out */
  VpTally tally;
} VpReportDay;

typedef struct
{
  VpReportPeriod period;
  char   *from;              /* yyyy-mm-dd, inclusive */
  char   *to;                /* yyyy-mm-dd, inclusive */
  gint64  trips;
  gint64  consultations;
  gint64  fee_transactions;  /* payments, top-ups, opening and reissue fees, settlements; not voided */
  gint64  applications;      /* new accounts, changes of holder, closures, reissues */
  gint64  home_visits;
  gint64  complaints;
  gint64  voids;
  VpMoney collected;         /* net of voids and refunds */
  VpMoney collected_cash;
  VpMoney collected_card;
  VpMoney collected_mobile;
  GPtrArray *days;           /* VpReportDay*, one per day with activity */
  GPtrArray *bars;           /* VpReportDay*, the chart's bars: every day of a day or
                              * month report (date yyyy-mm-dd), every month of a year
                              * report (date yyyy-mm), idle ones too */
  VpFigures *figures;        /* the fold all of the above come from */
} VpReport;

void      vp_report_free          (VpReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpReport, vp_report_free)

const char *vp_report_period_to_string   (VpReportPeriod period);
gboolean    vp_report_period_from_string (const char     *str,
                                          VpReportPeriod *out);

/* date: yyyy-mm-dd inside the period; NULL for today. */
VpReport *vp_report_store_build   (VpDatabase     *db,
                                   VpReportPeriod  period,
                                   const char     *date,
                                   GError        **error);
JsonNode *vp_report_to_json       (const VpReport *report);

G_END_DECLS
