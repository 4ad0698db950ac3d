/* vp-service-sync.h: the end-of-day sync as the supervisor runs it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-service.h"
#include "vp-sync.h"

G_BEGIN_DECLS

/* Checks the supervisor's PIN on the van (role supervisor), then runs
 * the sync with a client for the database's HQ settings: the session,
 * every outbox entry pushed (and what HQ lost sent again), master pages
 * written into the store (vp-service-sync.c). progress
 * is called on the calling thread. */
VpSyncResult *vp_service_sync             (VpService       *self,
                                           const char      *supervisor_id,
                                           const char      *pin,
                                           VpSyncProgress   progress,
                                           gpointer         progress_data,
                                           GCancellable    *cancellable,
                                           GError         **error);
/* The same with a given client and options (tests, benches). */
VpSyncResult *vp_service_sync_with_client (VpService           *self,
                                           VpSyncClient        *client,
                                           const char          *supervisor_id,
                                           const char          *pin,
                                           const VpSyncOptions *options,
                                           VpSyncProgress       progress,
                                           gpointer             progress_data,
                                           GCancellable        *cancellable,
                                           GError             **error);

/* Runs vp_service_sync() on the service's worker thread; progress is
 * delivered in the thread-default main context of the caller, so the
 * GUI may update widgets from it. */
void          vp_service_sync_async       (VpService           *self,
                                           const char          *supervisor_id,
                                           const char          *pin,
                                           VpSyncProgress       progress,
                                           gpointer             progress_data,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
VpSyncResult *vp_service_sync_finish      (VpService           *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* What `sync status` shows: settings, outbox, last sync, HQ totals. */
JsonNode     *vp_service_sync_status      (VpService           *self);

G_END_DECLS
