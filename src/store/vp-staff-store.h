/* vp-staff-store.h: staff, PINs and roles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"
#include "vp-journal-store.h"

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

/* A staff member as a supervisor sees them: disabled ones too, and how
 * close they are to (or how long they stay in) a PIN lockout. */
typedef struct
{
  VpStaff staff;
  gboolean active;
  int      failed_pins;
  gint64   locked_until;   /* unix seconds; 0 or past: not locked */
} VpStaffStatus;

void       vp_staff_status_free        (VpStaffStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpStaffStatus, vp_staff_status_free)

/* Everyone, active or not, by id (VpStaffStatus). */
GPtrArray *vp_staff_store_list_status  (VpDatabase  *db,
                                        GError     **error);
/* TRUE when status is locked out at now (unix seconds). */
gboolean   vp_staff_status_is_locked   (const VpStaffStatus *status,
                                        gint64               now);

/* A supervisor's changes to the staff, each one signed journal entry
 * (staff.add, staff.disable, staff.pin_reset, staff.unlock) naming the
 * supervisor and the target; a PIN or its hash never enters the journal.
 * VP_STORE_ERROR_PERMISSION for an operator, NOT_FOUND for an unknown id,
 * STATE when there is nothing to change (already disabled, not locked);
 * nothing is written on any refusal. */
VpJournalEntry *vp_staff_store_add_by  (VpDatabase    *db,
                                        const VpStaff *supervisor,
                                        const char    *id,
                                        const char    *name,
                                        VpRole         role,
                                        const char    *pin,
                                        guint          iterations,
                                        GError       **error);
/* Never oneself, never the last active supervisor. */
VpJournalEntry *vp_staff_store_disable (VpDatabase    *db,
                                        const VpStaff *supervisor,
                                        const char    *id,
                                        GError       **error);
/* A new PIN also lifts a lockout and clears the wrong-PIN count. */
VpJournalEntry *vp_staff_store_reset_pin (VpDatabase    *db,
                                          const VpStaff *supervisor,
                                          const char    *id,
                                          const char    *pin,
                                          guint          iterations,
                                          GError       **error);
/* Lifts a lockout (or a count of wrong PINs short of one). */
VpJournalEntry *vp_staff_store_unlock  (VpDatabase    *db,
                                        const VpStaff *supervisor,
                                        const char    *id,
                                        GError       **error);

G_END_DECLS
