/* vp-validate.h: field validation for people, addresses and free text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"

G_BEGIN_DECLS

#define VP_VALIDATE_ERROR (vp_validate_error_quark ())

typedef enum
{
  VP_VALIDATE_ERROR_EMPTY,
  VP_VALIDATE_ERROR_TOO_LONG,
  VP_VALIDATE_ERROR_INVALID,
} VpValidateError;

GQuark   vp_validate_error_quark (void);

/* The one van id rule, checked by the van (vanpos-cli init) and by HQ
 * (vanpos-hq provision and every command naming a van): 1 to
 * VP_VAN_ID_MAX upper-case ASCII letters or digits, e.g. "VAN01". It is
 * part of receipts, provisional account numbers (P-<van>-<seq>), the
 * certificate CN and URLs, so nothing else is allowed. */
#define VP_VAN_ID_MAX 16
gboolean vp_validate_van_id     (const char *van_id,
                                 GError    **error);

/* Person name: 1..30 characters, valid UTF-8, no control characters,
 * no digits. Chinese or Latin. */
gboolean vp_validate_name       (const char *name,
                                 GError    **error);
/* Mainland mobile (11 digits starting with 1[3-9]) or landline
 * (0 + 2–3 digit area code, optional '-', 7–8 digits). */
gboolean vp_validate_phone      (const char *phone,
                                 GError    **error);
/* 18 character resident ID (GB 11643, ISO 7064 MOD 11-2 check, 'X' or 'x'
 * allowed as the check character). */
gboolean vp_validate_id_number  (const char *id_number,
                                 GError    **error);
/* The stored form of an ID number: a final lowercase 'x' becomes 'X'.
 * Anything else is copied as it is. */
char    *vp_id_number_normalize (const char *id_number);
/* The check character ('0'–'9' or 'X') for the first 17 digits. */
char     vp_id_number_check_char (const char *first17);
/* "110101********1234": keeps the first 6 and last 4. */
char    *vp_mask_id_number      (const char *id_number);
/* A short address part (estate, building, unit, room): 1..max_chars characters,
 * no control characters. field_label names it in the error. */
gboolean vp_validate_text_field (const char *text,
                                 guint       max_chars,
                                 const char *field_label,
                                 GError    **error);
/* Free text notes: 0..max_chars, no control characters except newline. */
gboolean vp_validate_note       (const char *text,
                                 guint       max_chars,
                                 GError    **error);
/* "yyyy-mm-dd" that is a real date. */
gboolean vp_validate_date       (const char *date,
                                 GError    **error);

G_END_DECLS
