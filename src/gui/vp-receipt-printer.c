/* vp-receipt-printer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-receipt-printer.h"
#include "vp-service-print.h"

typedef struct
{
  VpContext *context;
  GtkWidget *widget;
  gint64     seq;
  char      *printer;
  VpReceipt *receipt;
  GtkPrintOperation *op;   /* kept until the task is done */
  guint      timeout_id;
  gboolean   finished;
} PrintOne;

/* A print system that never answers (CUPS not running: GTK waits for its
 * printer list for ever) must not leave "Printing…" on screen: after
 * this long the receipt goes to the queue. */
#define SYSTEM_PRINT_TIMEOUT_S 60

static void
print_one_free (PrintOne *d)
{
  g_clear_object (&d->context);
  g_clear_object (&d->widget);
  g_free (d->printer);
  g_clear_pointer (&d->receipt, vp_receipt_free);
  g_clear_handle_id (&d->timeout_id, g_source_remove);
  g_clear_object (&d->op);
  g_free (d);
}

static void
service_printed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PrintOne *d = g_task_get_task_data (task);
  GError *error = NULL;
  char *path = vp_context_print_receipt_finish (d->context, result, &error);

  if (path == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, path, g_free);
}

static gpointer
build_job (VpService     *service,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  return vp_service_build_receipt (service, *(gint64 *)data, error);
}

typedef struct
{
  gint64  seq;
  char   *printer;
  GError *failure;   /* NULL: printed */
} AfterData;

static void
after_data_free (AfterData *a)
{
  g_free (a->printer);
  g_clear_error (&a->failure);
  g_free (a);
}

/* On the worker, after the system printer answered: a printed receipt's
 * job is done, a failed one waits in the queue. */
static gpointer
after_job (VpService     *service,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  AfterData *a = data;

  if (a->failure == NULL)
    return vp_service_print_queue_done (service, a->seq, error) ? g_strdup ("") : NULL;
  vp_service_queue_receipt (service, a->seq, a->printer, a->failure, error);
  return NULL;
}

static void
after_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PrintOne *d = g_task_get_task_data (task);
  GError *error = NULL;
  char *done = vp_context_run_finish (d->context, result, &error);

  if (done == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, done, g_free);
}

static void
draw_page (GtkPrintOperation *op,
           GtkPrintContext   *print_context,
           int                page_nr,
           PrintOne          *d)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (print_context);
  double width = gtk_print_context_get_width (print_context);
  double height = gtk_print_context_get_height (print_context);
  double needed = vp_receipt_draw_cairo (d->receipt, cr, FALSE);
  /* One page: an 80 mm receipt at its size on A4 or a roll, shrunk only
   * when the page is narrower or shorter. */
  double scale = MIN (1.0, MIN (width / VP_PRINT_PAGE_WIDTH_PT, height / MAX (needed, 1.0)));

  cairo_save (cr);
  cairo_scale (cr, scale, scale);
  cairo_set_source_rgb (cr, 0, 0, 0);
  vp_receipt_draw_cairo (d->receipt, cr, TRUE);
  cairo_restore (cr);
}

static void
op_finished (GtkPrintOperation       *op,
             GtkPrintOperationResult  res,
             const char              *reason,
             GTask                   *task)
{
  PrintOne *d = g_task_get_task_data (task);
  AfterData *a;

  if (d->finished)
    return;
  d->finished = TRUE;
  g_clear_handle_id (&d->timeout_id, g_source_remove);
  /* No more calls into d from the operation, whatever it emits later. */
  g_signal_handlers_disconnect_by_data (op, d);
  g_signal_handlers_disconnect_by_data (op, task);
  a = g_new0 (AfterData, 1);
  a->seq = d->seq;
  a->printer = g_strdup (d->printer);
  /* Not gtk_print_operation_get_error(): GTK 4.8 finishes some errors
   * (printer not found) without a GError, and asking then is a critical.
   * Its status string always says what happened. */
  if (res == GTK_PRINT_OPERATION_RESULT_ERROR)
    a->failure = g_error_new (VP_PRINT_ERROR, VP_PRINT_ERROR_PRINTER, _("Printing on %s failed: %s"),
                              d->printer, reason);
  /* No dialog is shown, so no person cancelled: GTK 4.8 cancels when it
   * finds no printer of that name. */
  else if (res == GTK_PRINT_OPERATION_RESULT_CANCEL)
    a->failure = g_error_new (VP_PRINT_ERROR, VP_PRINT_ERROR_PRINTER, _("Printing on %s failed: %s"),
                              d->printer, _("the print system has no such printer or refused the job"));
  /* The task's reference goes on to after_done. */
  vp_context_run (d->context, after_job, a, (GDestroyNotify)after_data_free, g_free, NULL,
                  after_done, task);
}

static gboolean
op_timed_out (gpointer user_data)
{
  GTask *task = user_data;
  PrintOne *d = g_task_get_task_data (task);
  g_autofree char *reason = g_strdup_printf (_("no answer from the print system in %d s"),
                                             SYSTEM_PRINT_TIMEOUT_S);

  d->timeout_id = 0;
  /* Finished first: the cancel's own "done" then finds nothing to do. */
  op_finished (d->op, GTK_PRINT_OPERATION_RESULT_ERROR, reason, task);
  gtk_print_operation_cancel (d->op);
  return G_SOURCE_REMOVE;
}

static void
op_done (GtkPrintOperation       *op,
         GtkPrintOperationResult  res,
         gpointer                 user_data)
{
  op_finished (op, res, gtk_print_operation_get_status_string (op), user_data);
}

static void
built (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  GTask *task = user_data;
  PrintOne *d = g_task_get_task_data (task);
  GtkPrintOperation *op;
  g_autofree char *job_name = NULL;
  GtkRoot *root;
  GError *error = NULL;
  GtkPrintOperationResult res;

  d->receipt = vp_context_run_finish (d->context, result, &error);
  if (d->receipt == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  op = d->op = gtk_print_operation_new ();
  job_name = g_strdup_printf ("VanPOS %" G_GINT64_FORMAT, d->seq);
  gtk_print_operation_set_job_name (op, job_name);
  gtk_print_operation_set_n_pages (op, 1);
  gtk_print_operation_set_unit (op, GTK_UNIT_POINTS);
  /* The UI never waits on the print system (DESIGN §7). */
  gtk_print_operation_set_allow_async (op, TRUE);
  if (g_str_has_prefix (d->printer, "system:"))
    {
      g_autoptr(GtkPrintSettings) settings = gtk_print_settings_new ();

      gtk_print_settings_set_printer (settings, d->printer + strlen ("system:"));
      gtk_print_operation_set_print_settings (op, settings);
    }
  g_signal_connect (op, "draw-page", G_CALLBACK (draw_page), d);
  /* The task's reference waits for the operation to finish. */
  g_signal_connect (op, "done", G_CALLBACK (op_done), task);
  root = d->widget ? gtk_widget_get_root (d->widget) : NULL;
  res = gtk_print_operation_run (op, GTK_PRINT_OPERATION_ACTION_PRINT,
                                 GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, &error);
  if (error != NULL)
    {
      /* Failed before it started: the message is the one GTK gave. */
      op_finished (op, GTK_PRINT_OPERATION_RESULT_ERROR, error->message, task);
      g_clear_error (&error);
      return;
    }
  if (res != GTK_PRINT_OPERATION_RESULT_IN_PROGRESS)
    op_finished (op, res, gtk_print_operation_get_status_string (op), task);
  else if (!d->finished)
    d->timeout_id = g_timeout_add_seconds (SYSTEM_PRINT_TIMEOUT_S, op_timed_out, task);
}

void
vp_receipt_printer_print_async (VpContext           *context,
                                GtkWidget           *widget,
                                gint64               seq,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  PrintOne *d = g_new0 (PrintOne, 1);
  gint64 *seq_copy;

  g_return_if_fail (VP_IS_CONTEXT (context));
  d->context = g_object_ref (context);
  d->widget = widget ? g_object_ref (widget) : NULL;
  d->seq = seq;
  d->printer = vp_context_dup_string (context, "printer");
  g_task_set_task_data (task, d, (GDestroyNotify)print_one_free);
  g_task_set_source_tag (task, vp_receipt_printer_print_async);
  /* "none" would print nothing and count as printed. */
  if (d->printer == NULL || g_str_equal (d->printer, "none"))
    {
      g_task_return_new_error (task, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC, "%s",
                               _("No printer is set up (Settings → Printer)"));
      g_object_unref (task);
      return;
    }
  if (!vp_print_spec_is_system (d->printer))
    {
      vp_context_print_receipt_async (context, seq, service_printed, task);
      return;
    }
  seq_copy = g_new (gint64, 1);
  *seq_copy = seq;
  vp_context_run (context, build_job, seq_copy, g_free, (GDestroyNotify)vp_receipt_free, NULL,
                  built, task);
}

char *
vp_receipt_printer_print_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  VpContext *context;
  GtkWidget *widget;
  GArray    *seqs;
  guint      next;
  guint      printed;
  GError    *first_failure;
} QueueRun;

static void
queue_run_free (QueueRun *q)
{
  g_clear_object (&q->context);
  g_clear_object (&q->widget);
  g_clear_pointer (&q->seqs, g_array_unref);
  g_clear_error (&q->first_failure);
  g_free (q);
}

static void queue_next (GTask *task);

static void
queue_printed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  QueueRun *q = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *path = vp_receipt_printer_print_finish (result, &error);

  if (path != NULL)
    q->printed++;
  else if (q->first_failure == NULL)
    q->first_failure = error;
  else
    g_error_free (error);
  queue_next (task);
}

static void
queue_next (GTask *task)
{
  QueueRun *q = g_task_get_task_data (task);

  if (q->next < q->seqs->len)
    {
      gint64 seq = g_array_index (q->seqs, gint64, q->next++);

      vp_receipt_printer_print_async (q->context, q->widget, seq, queue_printed, task);
      return;
    }
  if (q->first_failure != NULL)
    g_task_return_error (task, g_steal_pointer (&q->first_failure));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gpointer
list_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  return vp_service_print_queue_list (service, error);
}

static void
listed (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  GTask *task = user_data;
  QueueRun *q = g_task_get_task_data (task);
  GError *error = NULL;
  GPtrArray *jobs = vp_context_run_finish (q->context, result, &error);

  if (jobs == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  for (guint i = 0; i < jobs->len; i++)
    g_array_append_val (q->seqs, ((VpPrintJob *)jobs->pdata[i])->seq);
  g_ptr_array_unref (jobs);
  queue_next (task);
}

void
vp_receipt_printer_print_queue_async (VpContext           *context,
                                      GtkWidget           *widget,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  QueueRun *q = g_new0 (QueueRun, 1);

  g_return_if_fail (VP_IS_CONTEXT (context));
  q->context = g_object_ref (context);
  q->widget = widget ? g_object_ref (widget) : NULL;
  q->seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_task_set_task_data (task, q, (GDestroyNotify)queue_run_free);
  vp_context_run (context, list_job, NULL, NULL, (GDestroyNotify)g_ptr_array_unref, NULL,
                  listed, task);
}

gboolean
vp_receipt_printer_print_queue_finish (GAsyncResult  *result,
                                       guint         *printed,
                                       guint         *waiting,
                                       GError       **error)
{
  QueueRun *q = g_task_get_task_data (G_TASK (result));

  if (printed)
    *printed = q->printed;
  if (waiting)
    *waiting = q->seqs->len - q->printed;
  return g_task_propagate_boolean (G_TASK (result), error);
}
