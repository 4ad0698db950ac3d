/* vp-service-print.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-service"

#include "config.h"

#include "vp-service-print.h"

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
  return vp_receipt_build_for_entry (entry, error);
}

gboolean
vp_service_print_receipt (VpService   *self,
                          gint64       seq,
                          const char  *printer,
                          const char  *pdf_dir,
                          char       **out_path,
                          GError     **error)
{
  g_autoptr(VpReceipt) receipt = vp_service_build_receipt (self, seq, error);
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autofree char *name = NULL;

  if (receipt == NULL)
    return FALSE;
  entry = vp_journal_store_get (vp_service_get_database (self), seq, error);
  if (entry == NULL)
    return FALSE;
  name = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
  return vp_print_receipt (receipt, printer, pdf_dir, name, out_path, error);
}
