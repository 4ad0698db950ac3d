/* vp-hq-pin.h: the staff PIN check behind /session, throttled and locked
 * per (van, staff) in PostgreSQL.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

/* Wrong PINs before a (van, staff) pair is locked until an operator runs
 * `vanpos-hq staff unlock`. */
#define VP_HQ_PIN_MAX_FAILURES 5

typedef enum
{
  VP_HQ_PIN_OK,        /* right PIN, active staff: *role set */
  VP_HQ_PIN_WRONG,     /* wrong PIN or unknown staff: answer 401 */
  VP_HQ_PIN_WAIT,      /* too soon after a wrong PIN: answer 429 + Retry-After */
  VP_HQ_PIN_LOCKED,    /* VP_HQ_PIN_MAX_FAILURES wrong PINs: 401 until unlocked */
} VpHqPinOutcome;

/* Checks pin for staff at van. No PBKDF2 runs while the pair must wait
 * or is locked, so a guessing van costs HQ nothing and never sleeps on a
 * worker. *retry_after: seconds until the next try is heard (WRONG,
 * WAIT); *failures: wrong PINs in a row. FALSE only on a database error. */
gboolean vp_hq_pin_check    (PGconn          *conn,
                             const char      *van,
                             const char      *staff,
                             const char      *pin,
                             VpHqPinOutcome  *outcome,
                             char           **role,
                             int             *retry_after,
                             int             *failures,
                             GError         **error);

/* Seconds to wait after n wrong PINs in a row (n >= 1): 1, 2, 4, 8. */
int      vp_hq_pin_delay    (int              n);

/* Clears the count and lock of staff at van (NULL: at every van). *n:
 * pairs that were throttled or locked. */
gboolean vp_hq_pin_unlock   (PGconn          *conn,
                             const char      *staff,
                             const char      *van,
                             gint64          *n,
                             GError         **error);

G_END_DECLS
