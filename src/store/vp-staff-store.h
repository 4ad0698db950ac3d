/* vp-staff-store.h: staff, PINs and roles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

/* Wrong PINs in a row before a staff id is locked out, and for how long. */
#define VP_STAFF_MAX_FAILED_PINS 5
#define VP_STAFF_LOCKOUT_SECONDS 300

/* iterations: VP_PIN_ITERATIONS except in tests. */
gboolean   vp_staff_store_add          (VpDatabase  *db,
                                        const char  *id,
                                        const char  *name,
                                        VpRole       role,
                                        const char  *pin,
                                        guint        iterations,
                                        GError     **error);
/* Checks the PIN (PBKDF2, constant time). A wrong PIN counts towards the
 * lockout; the error never says whether the id or the PIN was wrong. */
VpStaff   *vp_staff_store_authenticate (VpDatabase  *db,
                                        const char  *id,
                                        const char  *pin,
                                        GError     **error);
GPtrArray *vp_staff_store_list         (VpDatabase  *db,
                                        GError     **error);
/* VP_STORE_ERROR_PERMISSION unless staff has role (a supervisor may do
 * everything an operator may). */
gboolean   vp_staff_require_role       (const VpStaff *staff,
                                        VpRole         role,
                                        const char    *what,
                                        GError       **error);
/* The supervisor who approves what staff asks for (a cash refund, credit
 * moved to another holder, a void, a second account at one address):
 * approver when given, else staff itself when staff is a supervisor.
 * VP_STORE_ERROR_PERMISSION when the approver is not a supervisor or no
 * supervisor is at hand: an operator's PIN alone never approves. */
const VpStaff *vp_staff_approver       (const VpStaff *staff,
                                        const VpStaff *approver,
                                        const char    *what,
                                        GError       **error);

G_END_DECLS
