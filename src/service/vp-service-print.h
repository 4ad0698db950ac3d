/* vp-service-print.h: receipts for journal entries, and the print queue
 * of receipts that wait for a printer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-print.h"
#include "vp-receipt-builder.h"
#include "vp-service.h"

G_BEGIN_DECLS

/* The receipt of journal entry seq as the journal stands now: marked
 * 已作废 / VOID with the reversal's number if it was voided, a void with
 * the receipt number it reverses, and the QR code of HQ's receipt check
 * when one is configured (vp-receipt-store.h). */
VpReceipt *vp_service_build_receipt (VpService   *self,
                                     gint64       seq,
                                     GError     **error);
/* Builds and prints it on printer (see vp_print_receipt()); a receipt is
 * only ever printed for a committed entry. When the printer fails
 * (VP_PRINT_ERROR), the receipt waits in the print queue and error says
 * so (the entry stays committed); when it prints, its queued job is done.
 * A cash receipt kicks the drawer only when it is not in the queue. */
gboolean   vp_service_print_receipt (VpService   *self,
                                     gint64       seq,
                                     const char  *printer,
                                     const char  *pdf_dir,
                                     char       **out_path,
                                     GError     **error);
/* Queues the receipt of seq after failure on printer (the app's system
 * printers fail outside this layer); sets error to failure plus where the
 * receipt waits. Returns whether it was queued. */
gboolean   vp_service_queue_receipt (VpService     *self,
                                     gint64         seq,
                                     const char    *printer,
                                     const GError  *failure,
                                     GError       **error);
/* The waiting receipts (VpPrintJob), oldest first. */
GPtrArray *vp_service_print_queue_list  (VpService   *self,
                                         GError     **error);
/* Prints job id again, on printer or (NULL) on the printer that failed;
 * as vp_service_print_receipt(). */
gboolean   vp_service_print_queue_retry (VpService   *self,
                                         gint64       id,
                                         const char  *printer,
                                         const char  *pdf_dir,
                                         char       **out_path,
                                         GError     **error);
/* The receipt of seq printed elsewhere (the app's system printers): its
 * job, if any, is done. */
gboolean   vp_service_print_queue_done  (VpService   *self,
                                         gint64       seq,
                                         GError     **error);
/* The job of seq's receipt waiting in the queue (it never printed), 0 if
 * none, -1 on error. */
gint64     vp_service_print_queue_job_for (VpService  *self,
                                           gint64      seq,
                                           GError    **error);
gboolean   vp_service_print_queue_drop  (VpService   *self,
                                         gint64       id,
                                         GError     **error);

/* A duplicate of entry seq for staff: journals it first (receipt.reprint,
 * no money; committed before anything is printed), then returns the
 * receipt marked 重印 / DUPLICATE with its copy number. out_entry
 * (optional) receives the reprint entry. */
VpReceipt *vp_service_reprint_receipt (VpService       *self,
                                       const VpStaff   *staff,
                                       gint64           seq,
                                       VpJournalEntry **out_entry,
                                       GError         **error);
/* vp_service_reprint_receipt(), then prints the duplicate on printer as
 * vp_service_print_receipt() does (a PDF is named RECEIPT-copyN). A
 * failed print leaves the reprint journaled: the next copy counts on. */
gboolean   vp_service_print_reprint   (VpService       *self,
                                       const VpStaff   *staff,
                                       gint64           seq,
                                       const char      *printer,
                                       const char      *pdf_dir,
                                       char           **out_path,
                                       GError         **error);

G_END_DECLS
