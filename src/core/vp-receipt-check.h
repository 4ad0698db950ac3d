/* vp-receipt-check.h: how a resident (or HQ) checks a receipt.
 *
 * One definition, shared by the van (the QR it prints, `vanpos-cli
 * verify-receipt`) and HQ's public check endpoint, so both read the same
 * receipt numbers, codes and addresses:
 *
 *   receipt number   VAN-yyyymmdd-seq   "VAN01-20261123-000042"
 *                    (van: 1–16 of A–Z 0–9; local date of the entry;
 *                    seq zero-padded to at least 6 digits)
 *   code             XXXX-XXXX          "3FA9-0C1D", the first 8 hex digits
 *                    of the entry hash (vp_journal_verify_code())
 *   QR payload       BASE/v1/receipts/RECEIPT?code=CODE
 *                    "https://check.example.cn/v1/receipts/VAN01-20261123-000042?code=3FA9-0C1D"
 *                    BASE is the utility's public check address (https,
 *                    no query), configured per utility.
 *   answer status    paid | voided | unknown | mismatch (and, at HQ only,
 *                    not_synced)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "vp-types.h"

G_BEGIN_DECLS

#define VP_RECEIPT_CHECK_ERROR (vp_receipt_check_error_quark ())

typedef enum
{
  VP_RECEIPT_CHECK_ERROR_INVALID,   /* malformed receipt number, code or address */
} VpReceiptCheckError;

/* The path HQ's check endpoint answers under: PATH RECEIPT ?code=CODE. */
#define VP_RECEIPT_CHECK_PATH "/v1/receipts/"

/* Answers of a receipt check. */
#define VP_RECEIPT_STATUS_PAID       "paid"
#define VP_RECEIPT_STATUS_VOIDED     "voided"
#define VP_RECEIPT_STATUS_UNKNOWN    "unknown"
#define VP_RECEIPT_STATUS_MISMATCH   "mismatch"
#define VP_RECEIPT_STATUS_NOT_SYNCED "not_synced"   /* HQ only */

GQuark    vp_receipt_check_error_quark  (void);

/* Splits "VAN01-20261123-000042"; out_date is yyyymmdd as a number. */
gboolean  vp_receipt_number_parse       (const char  *text,
                                         char       **out_van,
                                         gint        *out_date,
                                         gint64      *out_seq,
                                         GError     **error);
/* "3fa90c1d", "3FA9-0C1D", " 3fa9-0c1d " → "3FA9-0C1D". */
char     *vp_receipt_code_normalize     (const char  *text,
                                         GError     **error);
/* An https:// address with a host and no query or fragment; a trailing
 * '/' is allowed. */
gboolean  vp_receipt_check_base_validate (const char  *base,
                                          GError     **error);
/* The QR payload: base (trailing '/' dropped) + VP_RECEIPT_CHECK_PATH +
 * receipt + "?code=" + code. */
char     *vp_receipt_check_url          (const char  *base,
                                         const char  *receipt,
                                         const char  *code);
/* Kinds whose receipt a resident takes home and can check: money taken
 * or paid out for an account, account changes and services given. Cash
 * desk movements, shifts, trips and reprints are the van's own slips. */
gboolean  vp_receipt_kind_is_checkable  (const char  *kind);
/* The money a receipt stands for, from the signed payload: the drawer
 * amount of the one ledger rule (vp-journal-ledger.h) as a positive
 * figure, or for a top-up's confirmation/void the money its intent took.
 * 0 when no money moved or the payload is malformed. */
VpMoney   vp_receipt_amount             (const char  *kind,
                                         JsonObject  *payload);

G_END_DECLS
