/* vp-receipt-printer.h: prints receipts on the printer setting, system
 * printers (GtkPrintOperation, CUPS) included, and the print queue.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-context.h"

G_BEGIN_DECLS

/* Prints the receipt of entry seq on the printer setting. "system" and
 * "system:NAME" draw it through GtkPrintOperation with the same cairo
 * drawing as the PDF; the others go through the service. A failure
 * leaves the receipt in the print queue (error says so). finish returns
 * where it went (a path, or "" for a printer) or NULL with error. */
void     vp_receipt_printer_print_async        (VpContext           *context,
                                                GtkWidget           *widget,
                                                gint64               seq,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
char    *vp_receipt_printer_print_finish       (GAsyncResult        *result,
                                                GError             **error);

/* Prints every receipt of the print queue, oldest first, on the printer
 * setting. finish: how many printed and how many still wait; error is the
 * first failure (FALSE when any failed, or the queue could not be read). */
void     vp_receipt_printer_print_queue_async  (VpContext           *context,
                                                GtkWidget           *widget,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean vp_receipt_printer_print_queue_finish (GAsyncResult        *result,
                                                guint               *printed,
                                                guint               *waiting,
                                                GError             **error);

G_END_DECLS
