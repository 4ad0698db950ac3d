/* vp-migrations.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"

G_BEGIN_DECLS

/* Applies every numbered migration above PRAGMA user_version, each in
 * its own transaction. */
gboolean vp_migrations_run     (VpDatabase  *db,
                                GError     **error);
guint    vp_migrations_latest  (void);

G_END_DECLS
