/* vp-account-number.h: 10 digits + 1 Luhn check digit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"

G_BEGIN_DECLS

#define VP_ACCOUNT_NUMBER_ERROR (vp_account_number_error_quark ())

typedef enum
{
  VP_ACCOUNT_NUMBER_ERROR_LENGTH,
  VP_ACCOUNT_NUMBER_ERROR_SYNTAX,
  VP_ACCOUNT_NUMBER_ERROR_CHECK_DIGIT,
} VpAccountNumberError;

#define VP_ACCOUNT_NUMBER_LEN 11

GQuark   vp_account_number_error_quark (void);

/* Luhn check digit ('0'..'9') for a 10 digit body. */
char     vp_account_number_check_digit (const char *body10);
/* Builds the 11 character number for base (0 <= base < 10^10). */
char    *vp_account_number_make        (guint64     base);
gboolean vp_account_number_validate    (const char *number,
                                        GError    **error);

/* Provisional numbers given on the van until HQ assigns a real one:
 * "P-<VAN>-<6 digit seq>". */
char    *vp_account_number_make_provisional (const char *van_id,
                                             guint       seq);
gboolean vp_account_number_is_provisional   (const char *number);

/* Either a valid real number or a well-formed provisional one. */
gboolean vp_account_number_validate_any (const char *number,
                                         GError    **error);

G_END_DECLS
