/* vp-service-print.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-service"

#include "config.h"

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
vp_service_print_receipt (VpService   *self,
                          gint64       seq,
                          const char  *printer,
                          const char  *pdf_dir,
                          char       **out_path,
                          GError     **error)
{
  g_autoptr(VpReceipt) receipt = NULL;
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (VP_IS_SERVICE (self), FALSE);

  entry = vp_journal_store_get (vp_service_get_database (self), seq, error);
  if (entry == NULL)
    return FALSE;
  receipt = build (self, entry, 0, NULL, error);
  if (receipt == NULL)
    return FALSE;
  name = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
  return vp_print_receipt (receipt, printer, pdf_dir, name, out_path, error);
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
  p = vp_journal_entry_parse_payload (reprint);
  name = g_strdup_printf ("%s-copy%" G_GINT64_FORMAT,
                          json_object_get_string_member_with_default (p, "reprinted_receipt", "receipt"),
                          json_object_get_int_member_with_default (p, "copy", 1));
  return vp_print_receipt (receipt, printer, pdf_dir, name, out_path, error);
}
