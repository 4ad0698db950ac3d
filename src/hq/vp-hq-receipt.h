/* vp-hq-receipt.h: HQ's public receipt check (issue 12).
 *
 * GET /v1/receipts/RECEIPT?code=CODE on the public listener: what HQ
 * holds for one receipt, as status, amount and date only — never a name,
 * an address or an account. Receipt numbers, codes and statuses are the
 * ones of src/core/vp-receipt-check.h, shared with the van.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

/* Hours after the end of a receipt's day (local time) from which a check
 * of a receipt HQ does not hold, for a van HQ knows, records a review
 * flag. */
#define VP_HQ_MISSING_AFTER_DEFAULT 48
/* Receipt checks per minute per source address (token bucket, that many
 * at once at most). */
#define VP_HQ_PUBLIC_RATE_DEFAULT   30

typedef struct
{
  guint  status;        /* HTTP status */
  char  *content_type;
  char  *body;
} VpHqReceiptAnswer;

void vp_hq_receipt_answer_clear (VpHqReceiptAnswer *answer);

/* Answers one check. receipt and code are the client's text (code may be
 * NULL); html: the phone page instead of JSON. A PostgreSQL failure gives
 * 503. */
void vp_hq_receipt_check (PGconn            *conn,
                          const char        *receipt,
                          const char        *code,
                          gboolean           html,
                          guint              missing_after_hours,
                          VpHqReceiptAnswer *answer);

G_END_DECLS
