/* vp-payload-private.h: reading a signed payload's members, one way for
 * the ledger (vp-journal-ledger.c) and the kind rules (vp-entry-rules.c).
 * Private to src/core.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Sets "KIND payload: “MEMBER” WHAT" (VP_JOURNAL_ERROR_INVALID); FALSE. */
gboolean vp_payload_bad (GError    **error,
                         const char *kind,
                         const char *member,
                         const char *what);
/* An integer member within [min, max]; absent (or null) is 0 unless
 * required. JSON reals and strings are refused: money is integer fen. */
gboolean vp_payload_int (JsonObject *o,
                         const char *kind,
                         const char *member,
                         gboolean    required,
                         gint64      min,
                         gint64      max,
                         gint64     *out,
                         GError    **error);
/* A string member; NULL when absent. FALSE when required and missing or
 * there and not a string. */
gboolean vp_payload_str (JsonObject  *o,
                         const char  *kind,
                         const char  *member,
                         gboolean     required,
                         const char **out,
                         GError     **error);

G_END_DECLS
