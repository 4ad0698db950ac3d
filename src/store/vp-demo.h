/* vp-demo.h: deterministic, realistic demo data.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"

G_BEGIN_DECLS

#define VP_DEMO_OPERATOR_ID    "op01"
#define VP_DEMO_OPERATOR_PIN   "1234"
#define VP_DEMO_SUPERVISOR_ID  "sup01"
#define VP_DEMO_SUPERVISOR_PIN "9876"

typedef void (*VpDemoProgress) (gint64 done, gint64 total, gpointer user_data);

/* Tariffs, the demo staff (unless they exist), n_accounts accounts in the
 * estates the van serves, open bills for post-paid accounts, cards for
 * prepaid ones. The same seed gives the same data. pin_iterations:
 * VP_PIN_ITERATIONS except in tests. */
gboolean vp_demo_populate (VpDatabase     *db,
                           guint64         n_accounts,
                           guint32         seed,
                           guint           pin_iterations,
                           VpDemoProgress  progress,
                           gpointer        user_data,
                           GError        **error);

/* The estates the van serves (NULL-terminated). */
const char * const *vp_demo_estates (void);

G_END_DECLS
