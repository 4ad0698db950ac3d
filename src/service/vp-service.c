/* vp-service.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-service"

#include "config.h"

#include "vp-service.h"
#include "vp-service-card.h"

struct _VpService
{
  GObject      parent_instance;
  VpDatabase  *db;
  GThreadPool *worker;   /* one thread: the store is used from one thread */
};

G_DEFINE_TYPE (VpService, vp_service, G_TYPE_OBJECT)

typedef struct
{
  VpServiceFunc  func;
  gpointer       data;
  GDestroyNotify data_free;
  GDestroyNotify result_free;
} Job;

static void
job_free (Job *job)
{
  if (job->data_free && job->data)
    job->data_free (job->data);
  g_free (job);
}

static void
worker_func (gpointer task_data,
             gpointer pool_data)
{
  g_autoptr(GTask) task = task_data;
  VpService *self = g_task_get_source_object (task);
  Job *job = g_task_get_task_data (task);
  GError *error = NULL;
  gpointer result;

  if (g_task_return_error_if_cancelled (task))
    return;
  result = job->func (self, job->data, g_task_get_cancellable (task), &error);
  if (error != NULL)
    {
      if (result && job->result_free)
        job->result_free (result);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, result, job->result_free);
}

static void
vp_service_finalize (GObject *object)
{
  VpService *self = (VpService *)object;

  if (self->worker)
    g_thread_pool_free (self->worker, FALSE, TRUE);
  g_clear_object (&self->db);
  G_OBJECT_CLASS (vp_service_parent_class)->finalize (object);
}

static void
vp_service_class_init (VpServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vp_service_finalize;
}

static void
vp_service_init (VpService *self)
{
  self->worker = g_thread_pool_new (worker_func, self, 1, FALSE, NULL);
}

VpService *
vp_service_new (VpDatabase *db)
{
  VpService *self;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);
  self = g_object_new (VP_TYPE_SERVICE, NULL);
  self->db = g_object_ref (db);
  return self;
}

VpDatabase *
vp_service_get_database (VpService *self)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);
  return self->db;
}

void
vp_service_run_async (VpService           *self,
                      VpServiceFunc        func,
                      gpointer             data,
                      GDestroyNotify       data_free,
                      GDestroyNotify       result_free,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;
  Job *job;

  g_return_if_fail (VP_IS_SERVICE (self));
  g_return_if_fail (func != NULL);

  job = g_new0 (Job, 1);
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vp_service_run_async);
  g_task_set_task_data (task, job, (GDestroyNotify)job_free);
  g_thread_pool_push (self->worker, task, NULL);
}

gpointer
vp_service_run_finish (VpService     *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

VpStaff *
vp_service_login (VpService   *self,
                  const char  *staff_id,
                  const char  *pin,
                  GError     **error)
{
  return vp_staff_store_authenticate (self->db, staff_id, pin, error);
}

VpJournalEntry *
vp_service_pay (VpService       *self,
                const VpStaff   *staff,
                const char      *number,
                VpMoney          amount,
                VpPaymentMethod  method,
                const char      *reference,
                GError         **error)
{
  return vp_bill_store_pay (self->db, staff, number, amount, method, reference, error);
}

VpJournalEntry *
vp_service_settle_from_credit (VpService     *self,
                               const VpStaff *staff,
                               const char    *number,
                               GError       **error)
{
  return vp_bill_store_settle_from_credit (self->db, staff, number, error);
}

VpJournalEntry *
vp_service_refund_credit (VpService     *self,
                          const VpStaff *supervisor,
                          const char    *number,
                          VpMoney        amount,
                          const char    *reason,
                          GError       **error)
{
  return vp_bill_store_refund_credit (self->db, supervisor, number, amount, reason, error);
}

VpJournalEntry *
vp_service_pay_tendered (VpService     *self,
                         const VpStaff *staff,
                         const char    *number,
                         VpMoney        amount,
                         VpMoney        tendered,
                         GError       **error)
{
  return vp_bill_store_pay_tendered (self->db, staff, number, amount, tendered, error);
}

VpJournalEntry *
vp_service_cash_move (VpService      *self,
                      const VpStaff  *supervisor,
                      VpCashMovement  movement,
                      VpMoney         amount,
                      const char     *reason,
                      GError        **error)
{
  return vp_cash_store_move (self->db, supervisor, movement, amount, reason, error);
}

VpJournalEntry *
vp_service_topup (VpService       *self,
                  const VpStaff   *staff,
                  const char      *number,
                  VpMoney          amount,
                  VpVolume         volume,
                  VpPaymentMethod  method,
                  const char      *reference,
                  VpTopupProgress  progress,
                  gpointer         progress_data,
                  GCancellable    *cancellable,
                  GError         **error)
{
  /* INTENT → card write → read back → CONFIRM; see vp-service-card.c. */
  return vp_service_card_topup (self, staff, number, amount, volume, method, reference,
                                progress, progress_data, cancellable, error);
}

VpJournalEntry *
vp_service_open_account (VpService                  *self,
                         const VpStaff              *staff,
                         const VpOpenAccountRequest *request,
                         GError                    **error)
{
  return vp_account_store_open (self->db, staff, request, error);
}

VpJournalEntry *
vp_service_change_holder (VpService                   *self,
                          const VpStaff               *staff,
                          const VpChangeHolderRequest *request,
                          GError                     **error)
{
  return vp_account_store_change_holder (self->db, staff, request, error);
}

VpJournalEntry *
vp_service_move_credit (VpService     *self,
                        const VpStaff *staff,
                        const VpStaff *approver,
                        const char    *from_number,
                        const char    *to_number,
                        VpMoney        amount,
                        GError       **error)
{
  return vp_account_store_move_credit (self->db, staff, approver, from_number, to_number, amount,
                                       error);
}

VpJournalEntry *
vp_service_close_account (VpService     *self,
                          const VpStaff *staff,
                          const VpStaff *approver,
                          const char    *number,
                          const char    *to_number,
                          GError       **error)
{
  return vp_account_store_close (self->db, staff, approver, number, to_number, error);
}

VpJournalEntry *
vp_service_log (VpService     *self,
                const VpStaff *staff,
                VpLogKind      kind,
                const char    *number,
                const char    *topic,
                const char    *note,
                GError       **error)
{
  return vp_service_log_store_add (self->db, staff, kind, number, topic, note, FALSE, error);
}

VpJournalEntry *
vp_service_trip_start (VpService     *self,
                       const VpStaff *staff,
                       const char    *estate,
                       GError       **error)
{
  return vp_trip_store_start (self->db, staff, estate, error);
}

VpJournalEntry *
vp_service_trip_end (VpService     *self,
                     const VpStaff *staff,
                     const char    *estate,
                     GError       **error)
{
  return vp_trip_store_end (self->db, staff, estate, error);
}

VpJournalEntry *
vp_service_shift_open (VpService     *self,
                       const VpStaff *staff,
                       VpMoney        float_amount,
                       GError       **error)
{
  return vp_shift_store_open (self->db, staff, float_amount, error);
}

VpJournalEntry *
vp_service_shift_close (VpService     *self,
                        const VpStaff *supervisor,
                        VpMoney        counted,
                        GError       **error)
{
  return vp_shift_store_close (self->db, supervisor, counted, error);
}

VpJournalEntry *
vp_service_void (VpService     *self,
                 const VpStaff *supervisor,
                 gint64         seq,
                 const char    *reason,
                 GError       **error)
{
  return vp_shift_store_void (self->db, supervisor, seq, reason, error);
}

VpJournalEntry *
vp_service_void_requested (VpService     *self,
                           const VpStaff *requester,
                           const VpStaff *supervisor,
                           gint64         seq,
                           const char    *reason,
                           GError       **error)
{
  return vp_shift_store_void_requested (self->db, requester, supervisor, seq, reason, error);
}

VpJournalEntry *
vp_service_acknowledge_break (VpService     *self,
                              const VpStaff *supervisor,
                              const char    *reason,
                              GError       **error)
{
  return vp_journal_store_acknowledge_break (self->db, supervisor, reason, error);
}

void
vp_service_set_limit_approver (VpService     *self,
                               const VpStaff *approver)
{
  g_return_if_fail (VP_IS_SERVICE (self));

  vp_limits_set_approver (self->db, approver);
}

gint64
vp_service_get_limit (VpService *self,
                      VpLimit    limit)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), 0);

  return vp_limits_get (self->db, limit);
}

VpJournalEntry *
vp_service_set_limit (VpService     *self,
                      const VpStaff *supervisor,
                      VpLimit        limit,
                      gint64         value,
                      GError       **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  return vp_limits_set (self->db, supervisor, limit, value, error);
}

GPtrArray *
vp_service_list_staff (VpService  *self,
                       GError    **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  return vp_staff_store_list_status (self->db, error);
}

VpJournalEntry *
vp_service_add_staff (VpService     *self,
                      const VpStaff *supervisor,
                      const char    *id,
                      const char    *name,
                      VpRole         role,
                      const char    *pin,
                      GError       **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  return vp_staff_store_add_by (self->db, supervisor, id, name, role, pin, VP_PIN_ITERATIONS,
                                error);
}

VpJournalEntry *
vp_service_disable_staff (VpService     *self,
                          const VpStaff *supervisor,
                          const char    *id,
                          GError       **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  return vp_staff_store_disable (self->db, supervisor, id, error);
}

VpJournalEntry *
vp_service_reset_staff_pin (VpService     *self,
                            const VpStaff *supervisor,
                            const char    *id,
                            const char    *pin,
                            GError       **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  return vp_staff_store_reset_pin (self->db, supervisor, id, pin, VP_PIN_ITERATIONS, error);
}

VpJournalEntry *
vp_service_unlock_staff (VpService     *self,
                         const VpStaff *supervisor,
                         const char    *id,
                         GError       **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  return vp_staff_store_unlock (self->db, supervisor, id, error);
}

GPtrArray *
vp_service_list_day (VpService   *self,
                     const char  *date,
                     const char  *kind,
                     const char  *staff_id,
                     const char  *account_number,
                     GError     **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  return vp_journal_store_list_day (self->db, date, kind, staff_id, account_number, error);
}

GPtrArray *
vp_service_list_shifts (VpService  *self,
                        GError    **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  return vp_shift_store_list (self->db, error);
}
