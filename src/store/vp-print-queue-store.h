/* vp-print-queue-store.h: receipts that wait for a printer.
 *
 * A print failure never undoes a committed transaction (DESIGN §5): the
 * receipt of the entry waits here, across restarts, until it prints or a
 * person drops it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"

G_BEGIN_DECLS

typedef struct
{
  gint64  id;
  gint64  seq;        /* the journal entry whose receipt it is */
  char   *printer;    /* the printer spec that failed */
  char   *error;      /* why, as the person was told */
  gint64  attempts;
  gint64  queued_at;  /* µs wall time */
  gint64  tried_at;
} VpPrintJob;

void        vp_print_job_free          (VpPrintJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpPrintJob, vp_print_job_free)

/* Queues the receipt of entry seq, or counts one more failed attempt
 * when it waits already. Returns the job's id, or 0 with error. */
gint64      vp_print_queue_add         (VpDatabase  *db,
                                        gint64       seq,
                                        const char  *printer,
                                        const char  *message,
                                        GError     **error);
/* The waiting jobs, oldest first (VpPrintJob). */
GPtrArray  *vp_print_queue_list        (VpDatabase  *db,
                                        GError     **error);
/* One job; VP_STORE_ERROR_NOT_FOUND when there is none with id. */
VpPrintJob *vp_print_queue_get         (VpDatabase  *db,
                                        gint64       id,
                                        GError     **error);
/* The job waiting for the receipt of seq: its id, 0 when none, -1 with
 * error when the database cannot say. */
gint64      vp_print_queue_job_for     (VpDatabase  *db,
                                        gint64       seq,
                                        GError     **error);
/* The receipt of seq printed: its job (if any) is done. */
gboolean    vp_print_queue_done        (VpDatabase  *db,
                                        gint64       seq,
                                        GError     **error);
/* A person gave up on job id; VP_STORE_ERROR_NOT_FOUND when none. */
gboolean    vp_print_queue_drop        (VpDatabase  *db,
                                        gint64       id,
                                        GError     **error);
/* How many receipts wait, or -1 when the database cannot say. */
gint64      vp_print_queue_count       (VpDatabase  *db);

G_END_DECLS
