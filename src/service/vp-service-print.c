/* vp-service-print.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-service"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "vp-service-print.h"

/* The receipt of entry with what the journal says about it since. */
static VpReceipt *
build (VpService            *self,
       const VpJournalEntry *entry,
       gint64                copy,
       const VpJournalEntry *copy_entry,
       GError              **error)
{
  VpDatabase *db = vp_service_get_database (self);
  g_autoptr(VpJournalEntry) voided_by = NULL;
  g_autoptr(VpJournalEntry) voided = NULL;
  g_autofree char *check_url = vp_receipt_store_get_check_url (db);
  g_autoptr(GError) local = NULL;
  VpReceiptContext context = { 0 };

  voided_by = vp_receipt_store_voided_by (db, entry->seq, &local);
  if (voided_by == NULL && local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (g_str_equal (entry->kind, VP_KIND_VOID))
    {
      g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (entry);
      gint64 target = p ? json_object_get_int_member_with_default (p, "voided_seq", 0) : 0;

      if (target > 0)
        {
          voided = vp_journal_store_get (db, target, error);
          if (voided == NULL)
            return NULL;
        }
    }
  context.check_url = check_url;
  context.copy = copy;
  context.copy_entry = copy_entry;
  context.voided_by = voided_by;
  context.voided = voided;
  return vp_receipt_build_for_entry_in (entry, &context, error);
}

VpReceipt *
vp_service_build_receipt (VpService  *self,
                          gint64      seq,
                          GError    **error)
{
  g_autoptr(VpJournalEntry) entry = NULL;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);

  entry = vp_journal_store_get (vp_service_get_database (self), seq, error);
  if (entry == NULL)
    return NULL;
  return build (self, entry, 0, NULL, error);
}

gboolean
vp_service_queue_receipt (VpService     *self,
                          gint64         seq,
                          const char    *printer,
                          const GError  *failure,
                          GError       **error)
{
  g_autoptr(GError) local = NULL;
  gint64 id;

  g_return_val_if_fail (VP_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (failure != NULL && error != NULL && *error == NULL, FALSE);

  id = vp_print_queue_add (vp_service_get_database (self), seq, printer, failure->message, &local);
  if (id > 0)
    g_set_error (error, failure->domain, failure->code,
                 _("%s — the receipt waits in the print queue (job %" PRId64 ")"),
                 failure->message, id);
  else
    g_set_error (error, failure->domain, failure->code,
                 _("%s — and the receipt could not be queued either: %s"),
                 failure->message, local->message);
  return id > 0;
}

gboolean
vp_service_print_receipt (VpService   *self,
                          gint64       seq,
                          const char  *printer,
                          const char  *pdf_dir,
                          char       **out_path,
                          GError     **error)
{
  VpDatabase *db;
  g_autoptr(VpReceipt) receipt = NULL;
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autoptr(GError) failure = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (VP_IS_SERVICE (self), FALSE);

  db = vp_service_get_database (self);
  entry = vp_journal_store_get (db, seq, error);
  if (entry == NULL)
    return FALSE;
  receipt = build (self, entry, 0, NULL, error);
  if (receipt == NULL)
    return FALSE;
  /* The drawer opens for the print that follows the sale, not for a
   * receipt that waited in the queue: by then the drawer was closed and
   * the cash counted, and an unattended open drawer is what it guards. */
  if (vp_receipt_get_cash (receipt))
    {
      gint64 job = vp_print_queue_job_for (db, seq, error);

      if (job < 0)
        return FALSE;
      if (job > 0)
        vp_receipt_set_cash (receipt, FALSE);
    }
  name = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
  if (!vp_print_receipt (receipt, printer, pdf_dir, name, out_path, &failure))
    {
      /* The entry is committed and stays so (DESIGN §5): only the paper is
       * owed, and waits in the queue (a table, so it survives a restart).
       * A wrong spec is the person's to correct, not a job to keep. */
      if (failure->domain == VP_PRINT_ERROR &&
          (failure->code == VP_PRINT_ERROR_PRINTER || failure->code == VP_PRINT_ERROR_IO ||
           failure->code == VP_PRINT_ERROR_RENDER))
        vp_service_queue_receipt (self, seq, printer, failure, error);
      else
        g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }
  /* "none" prints nothing: a receipt waiting for paper still waits. */
  if (printer == NULL || g_str_equal (printer, "none"))
    return TRUE;
  /* Printed: a job waiting for it is done. Failing to clear it only
   * leaves a duplicate to drop; the receipt did print, so this call must
   * not say otherwise (a caller would print it again). */
  if (!vp_print_queue_done (db, seq, &local))
    g_warning ("The receipt of entry %" PRId64 " printed but stays in the print queue: %s",
               seq, local->message);
  return TRUE;
}

GPtrArray *
vp_service_print_queue_list (VpService  *self,
                             GError    **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);
  return vp_print_queue_list (vp_service_get_database (self), error);
}

gboolean
vp_service_print_queue_retry (VpService   *self,
                              gint64       id,
                              const char  *printer,
                              const char  *pdf_dir,
                              char       **out_path,
                              GError     **error)
{
  g_autoptr(VpPrintJob) job = NULL;

  g_return_val_if_fail (VP_IS_SERVICE (self), FALSE);

  job = vp_print_queue_get (vp_service_get_database (self), id, error);
  if (job == NULL)
    return FALSE;
  if (printer == NULL)
    printer = job->printer;
  if (g_str_equal (printer, "none"))
    {
      g_set_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC,
                   _("No printer is set up (none); the receipt still waits in the print queue (job %" PRId64 ")"),
                   id);
      return FALSE;
    }
  return vp_service_print_receipt (self, job->seq, printer, pdf_dir, out_path, error);
}

gboolean
vp_service_print_queue_drop (VpService  *self,
                             gint64      id,
                             GError    **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), FALSE);
  return vp_print_queue_drop (vp_service_get_database (self), id, error);
}

gboolean
vp_service_print_queue_done (VpService  *self,
                             gint64      seq,
                             GError    **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), FALSE);
  return vp_print_queue_done (vp_service_get_database (self), seq, error);
}

gint64
vp_service_print_queue_job_for (VpService  *self,
                                gint64      seq,
                                GError    **error)
{
  g_return_val_if_fail (VP_IS_SERVICE (self), -1);
  return vp_print_queue_job_for (vp_service_get_database (self), seq, error);
}

VpReceipt *
vp_service_reprint_receipt (VpService       *self,
                            const VpStaff   *staff,
                            gint64           seq,
                            VpJournalEntry **out_entry,
                            GError         **error)
{
  VpDatabase *db;
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autoptr(VpJournalEntry) reprint = NULL;
  g_autoptr(JsonObject) p = NULL;
  VpReceipt *receipt;

  g_return_val_if_fail (VP_IS_SERVICE (self), NULL);
  g_return_val_if_fail (staff != NULL, NULL);

  db = vp_service_get_database (self);
  reprint = vp_receipt_store_reprint (db, staff, seq, error);
  if (reprint == NULL)
    return NULL;
  entry = vp_journal_store_get (db, seq, error);
  if (entry == NULL)
    return NULL;
  /* The copy number as signed in the reprint entry. */
  p = vp_journal_entry_parse_payload (reprint);
  receipt = build (self, entry, p ? json_object_get_int_member_with_default (p, "copy", 1) : 1,
                   reprint, error);
  if (receipt != NULL && out_entry != NULL)
    *out_entry = g_steal_pointer (&reprint);
  return receipt;
}

gboolean
vp_service_print_reprint (VpService       *self,
                          const VpStaff   *staff,
                          gint64           seq,
                          const char      *printer,
                          const char      *pdf_dir,
                          char           **out_path,
                          GError         **error)
{
  g_autoptr(VpReceipt) receipt = NULL;
  g_autoptr(VpJournalEntry) reprint = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *name = NULL;

  receipt = vp_service_reprint_receipt (self, staff, seq, &reprint, error);
  if (receipt == NULL)
    return FALSE;
  /* A duplicate opens no cash drawer: no money changes hands. */
  vp_receipt_set_cash (receipt, FALSE);
  p = vp_journal_entry_parse_payload (reprint);
  name = g_strdup_printf ("%s-copy%" G_GINT64_FORMAT,
                          json_object_get_string_member_with_default (p, "reprinted_receipt", "receipt"),
                          json_object_get_int_member_with_default (p, "copy", 1));
  return vp_print_receipt (receipt, printer, pdf_dir, name, out_path, error);
}
