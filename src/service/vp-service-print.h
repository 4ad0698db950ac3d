/* vp-service-print.h: receipts for journal entries.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-print.h"
#include "vp-service.h"

G_BEGIN_DECLS

/* The receipt of journal entry seq. */
VpReceipt *vp_service_build_receipt (VpService   *self,
                                     gint64       seq,
                                     GError     **error);
/* Builds and prints it on printer (see vp_print_receipt()); a receipt is
 * only ever printed for a committed entry. */
gboolean   vp_service_print_receipt (VpService   *self,
                                     gint64       seq,
                                     const char  *printer,
                                     const char  *pdf_dir,
                                     char       **out_path,
                                     GError     **error);

G_END_DECLS
