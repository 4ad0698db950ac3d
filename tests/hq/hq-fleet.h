/* hq-fleet.h: many vans at once against vanpos-hq, for the load tests
 * and bench/hq-load-bench: vans whose entries are signed directly (no
 * van database), each paying its own HQ demo accounts' bills, and a
 * sync of all of them released at the same instant.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char      *id;
  char      *bundle;     /* provisioned: client.crt, client.key */
  GPtrArray *batches;    /* GBytes: gzip JSON batches of ≤ 1000 entries */
  guint      n_entries;
  /* filled by hq_fleet_sync */
  gboolean   ok;
  guint      retries;    /* requests sent again (transport error or 503) */
  guint      accepted;   /* entries answered accepted or conflict */
  gint64     usec;       /* session + every batch, from the common start */
  char      *error;
  char      *retry_why;  /* why the last request was sent again, or NULL */
} HqFleetVan;

void       hq_fleet_van_free (HqFleetVan *van);

/* n_vans vans named prefix0001…, each with n_entries 1-fen bill payments
 * (seq 1 a shift.open) against accounts_per_van HQ accounts of its own
 * (made with vanpos-hq demo), provisioned at HQ. dir holds the bundles. */
GPtrArray *hq_fleet_make     (const char *dir,
                              const char *prefix,
                              guint       n_vans,
                              guint       n_entries,
                              guint       accounts_per_van);

/* Syncs every van on its own thread, all started at once: a session,
 * then every batch on one kept-alive connection. A request that gets no
 * answer or 503 is sent again after a short backoff, at most max_retries
 * times per van. Returns the wall time in µs. */
gint64     hq_fleet_sync     (GPtrArray  *vans,
                              guint       max_retries);

G_END_DECLS
