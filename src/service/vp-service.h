/* vp-service.h: the operations a person performs, composed once.
 *
 * The GUI and the CLI both call these; neither touches the store, the
 * card reader or the sync client directly. Every operation has a
 * synchronous form (used by the CLI, tests and benches) and runs
 * asynchronously through vp_service_run_async(), which executes it on the
 * service's single worker thread so the UI never blocks on SQLite, card
 * I/O or the network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vp-store.h"

G_BEGIN_DECLS

#define VP_TYPE_SERVICE (vp_service_get_type ())
G_DECLARE_FINAL_TYPE (VpService, vp_service, VP, SERVICE, GObject)

typedef gpointer (*VpServiceFunc) (VpService     *self,
                                   gpointer       data,
                                   GCancellable  *cancellable,
                                   GError       **error);

VpService  *vp_service_new            (VpDatabase *db);
VpDatabase *vp_service_get_database   (VpService  *self);

/* Runs func (self, data, cancellable, error) on the worker thread.
 * data is freed with data_free after func returns; the result pointer is
 * handed to the finish side, which owns it (result_free frees it if no
 * one calls finish). */
void        vp_service_run_async      (VpService           *self,
                                       VpServiceFunc        func,
                                       gpointer             data,
                                       GDestroyNotify       data_free,
                                       GDestroyNotify       result_free,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gpointer    vp_service_run_finish     (VpService     *self,
                                       GAsyncResult  *result,
                                       GError       **error);

/* --- operations (synchronous) ---------------------------------------- */

VpStaff        *vp_service_login         (VpService   *self,
                                          const char  *staff_id,
                                          const char  *pin,
                                          GError     **error);
VpJournalEntry *vp_service_pay           (VpService       *self,
                                          const VpStaff   *staff,
                                          const char      *number,
                                          VpMoney          amount,
                                          VpPaymentMethod  method,
                                          const char      *reference,
                                          GError         **error);
/* Cash payment with the cash tendered and the change recorded. */
VpJournalEntry *vp_service_pay_tendered  (VpService     *self,
                                          const VpStaff *staff,
                                          const char    *number,
                                          VpMoney        amount,
                                          VpMoney        tendered,
                                          GError       **error);
/* Cash drop, paid-in or paid-out approved by a supervisor. */
VpJournalEntry *vp_service_cash_move     (VpService      *self,
                                          const VpStaff  *supervisor,
                                          VpCashMovement  movement,
                                          VpMoney         amount,
                                          const char     *reason,
                                          GError        **error);

/* Pays open bills from the account's credit alone (kind credit.settle,
 * no money taken). */
VpJournalEntry *vp_service_settle_from_credit (VpService     *self,
                                               const VpStaff *staff,
                                               const char    *number,
                                               GError       **error);
/* Pays out credit in cash without closing the account (supervisor). */
VpJournalEntry *vp_service_refund_credit (VpService     *self,
                                          const VpStaff *supervisor,
                                          const char    *number,
                                          VpMoney        amount,
                                          const char    *reason,
                                          GError       **error);

typedef enum
{
  VP_TOPUP_FROM_CREDIT = 1 << 0,   /* the account's credit pays first */
} VpTopupFlags;

/* stage is "card", "intent", "write", "verify", "confirm" or "done";
 * any other text is a one-line note for the operator (an earlier top-up
 * settled when this card came in). */
typedef void (*VpTopupProgress) (const char *stage,
                                 double      fraction,
                                 gpointer    user_data);

/* Two-phase top-up: INTENT → card write → read back → CONFIRM
 * (or VOID with the money kept as credit). Returns the CONFIRM entry.
 * An error in VP_TOPUP_ERROR means the money was taken: VOIDED (the
 * card was read without the purchase; kept as credit) or PENDING (the
 * card may hold it; settled when the card is read again). Any other
 * error: refused, nothing of this top-up written. */
VpJournalEntry *vp_service_topup         (VpService       *self,
                                          const VpStaff   *staff,
                                          const char      *number,
                                          VpMoney          amount,
                                          VpVolume         volume,
                                          VpPaymentMethod  method,
                                          const char      *reference,
                                          VpTopupProgress  progress,
                                          gpointer         progress_data,
                                          GCancellable    *cancellable,
                                          GError         **error);
VpJournalEntry *vp_service_open_account  (VpService                  *self,
                                          const VpStaff              *staff,
                                          const VpOpenAccountRequest *request,
                                          GError                    **error);
VpJournalEntry *vp_service_change_holder (VpService                   *self,
                                          const VpStaff               *staff,
                                          const VpChangeHolderRequest *request,
                                          GError                     **error);
/* approver: the supervisor who approves (NULL: none given); see
 * vp_account_store_move_credit() and vp_account_store_close(). */
VpJournalEntry *vp_service_move_credit   (VpService     *self,
                                          const VpStaff *staff,
                                          const VpStaff *approver,
                                          const char    *from_number,
                                          const char    *to_number,
                                          VpMoney        amount,
                                          GError       **error);
VpJournalEntry *vp_service_close_account (VpService     *self,
                                          const VpStaff *staff,
                                          const VpStaff *approver,
                                          const char    *number,
                                          const char    *to_number,
                                          GError       **error);
VpJournalEntry *vp_service_log           (VpService     *self,
                                          const VpStaff *staff,
                                          VpLogKind      kind,
                                          const char    *number,
                                          const char    *topic,
                                          const char    *note,
                                          GError       **error);
VpJournalEntry *vp_service_trip_start    (VpService     *self,
                                          const VpStaff *staff,
                                          const char    *estate,
                                          GError       **error);
VpJournalEntry *vp_service_trip_end      (VpService     *self,
                                          const VpStaff *staff,
                                          const char    *estate,
                                          GError       **error);
VpJournalEntry *vp_service_shift_open    (VpService     *self,
                                          const VpStaff *staff,
                                          VpMoney        float_amount,
                                          GError       **error);
VpJournalEntry *vp_service_shift_close   (VpService     *self,
                                          const VpStaff *supervisor,
                                          VpMoney        counted,
                                          GError       **error);
/* The next operations this thread runs (until called again with NULL)
 * are approved by @approver where they exceed an offline exposure cap
 * (vp-limits.h); the store still checks the approver's role. */
void            vp_service_set_limit_approver (VpService     *self,
                                               const VpStaff *approver);
/* The offline exposure caps in force (defaults until a supervisor sets
 * one); setting one is journaled and needs a supervisor. */
gint64          vp_service_get_limit     (VpService     *self,
                                          VpLimit        limit);
VpJournalEntry *vp_service_set_limit     (VpService     *self,
                                          const VpStaff *supervisor,
                                          VpLimit        limit,
                                          gint64         value,
                                          GError       **error);
/* A supervisor acknowledges the journal break that blocks the van. */
VpJournalEntry *vp_service_acknowledge_break (VpService     *self,
                                              const VpStaff *supervisor,
                                              const char    *reason,
                                              GError       **error);
VpJournalEntry *vp_service_void          (VpService     *self,
                                          const VpStaff *supervisor,
                                          gint64         seq,
                                          const char    *reason,
                                          GError       **error);
/* A void asked for by requester (any staff) and approved by supervisor. */
VpJournalEntry *vp_service_void_requested (VpService     *self,
                                           const VpStaff *requester,
                                           const VpStaff *supervisor,
                                           gint64         seq,
                                           const char    *reason,
                                           GError       **error);

/* The supervisor area (issue 11): staff as a supervisor sees them
 * (VpStaffStatus), their journaled changes, the day's transactions and
 * every shift (VpShiftInfo, newest first; a closed one has its Z entry). */
GPtrArray      *vp_service_list_staff    (VpService     *self,
                                          GError       **error);
VpJournalEntry *vp_service_add_staff     (VpService     *self,
                                          const VpStaff *supervisor,
                                          const char    *id,
                                          const char    *name,
                                          VpRole         role,
                                          const char    *pin,
                                          GError       **error);
VpJournalEntry *vp_service_disable_staff (VpService     *self,
                                          const VpStaff *supervisor,
                                          const char    *id,
                                          GError       **error);
VpJournalEntry *vp_service_reset_staff_pin (VpService     *self,
                                            const VpStaff *supervisor,
                                            const char    *id,
                                            const char    *pin,
                                            GError       **error);
VpJournalEntry *vp_service_unlock_staff  (VpService     *self,
                                          const VpStaff *supervisor,
                                          const char    *id,
                                          GError       **error);
GPtrArray      *vp_service_list_day      (VpService     *self,
                                          const char    *date,
                                          const char    *kind,
                                          const char    *staff_id,
                                          const char    *account_number,
                                          GError       **error);
GPtrArray      *vp_service_list_shifts   (VpService     *self,
                                          GError       **error);

G_END_DECLS

/* Card reader, recovery, card read and reissue. */
#include "vp-service-card.h"
