/* vp-pin.h: staff PINs, stored as PBKDF2-HMAC-SHA256.
 *
 * Stored form: "pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>"
 * with a 16 byte random salt per staff member and a 32 byte hash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"

G_BEGIN_DECLS

#define VP_PIN_ERROR (vp_pin_error_quark ())

typedef enum
{
  VP_PIN_ERROR_FORMAT,     /* not 4–8 digits */
  VP_PIN_ERROR_MISMATCH,   /* wrong PIN */
  VP_PIN_ERROR_STORED,     /* stored hash unreadable */
  VP_PIN_ERROR_CRYPTO,
} VpPinError;

#define VP_PIN_ITERATIONS 600000

GQuark   vp_pin_error_quark   (void);
gboolean vp_pin_check_format  (const char *pin,
                               GError    **error);
/* iterations: VP_PIN_ITERATIONS in production. */
char    *vp_pin_hash          (const char *pin,
                               guint       iterations,
                               GError    **error);
/* Constant-time comparison. FALSE with VP_PIN_ERROR_MISMATCH on a wrong PIN. */
gboolean vp_pin_verify        (const char *pin,
                               const char *stored,
                               GError    **error);

G_END_DECLS
