/* vp-service-log-store.h: consultations, home visits, complaints, trips.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

typedef enum
{
  VP_LOG_CONSULTATION,
  VP_LOG_VISIT,
  VP_LOG_COMPLAINT,
} VpLogKind;

const char     *vp_log_kind_to_string   (VpLogKind    kind);
gboolean        vp_log_kind_from_string (const char  *str,
                                         VpLogKind   *out);

/* number may be NULL for a walk-in consultation. A home visit needs an
 * account. */
VpJournalEntry *vp_service_log_store_add (VpDatabase    *db,
                                          const VpStaff *staff,
                                          VpLogKind      kind,
                                          const char    *number,
                                          const char    *topic,
                                          const char    *note,
                                          gboolean       follow_up,
                                          GError       **error);

VpJournalEntry *vp_trip_store_start      (VpDatabase    *db,
                                          const VpStaff *staff,
                                          const char    *estate,
                                          GError       **error);
/* estate, if not NULL, must name the trip in progress. */
VpJournalEntry *vp_trip_store_end        (VpDatabase    *db,
                                          const VpStaff *staff,
                                          const char    *estate,
                                          GError       **error);
/* The estate of the trip in progress, or NULL. */
char           *vp_trip_store_current    (VpDatabase    *db);

G_END_DECLS
