/* vp-hq-db.h: the HQ PostgreSQL database (libpq): connection helpers and
 * the schema.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

#define VP_HQ_ERROR (vp_hq_error_quark ())

typedef enum
{
  VP_HQ_ERROR_DB,          /* PostgreSQL failed */
  VP_HQ_ERROR_INVALID,     /* bad input */
  VP_HQ_ERROR_NOT_FOUND,   /* unknown van, staff … */
  VP_HQ_ERROR_EXISTS,
  VP_HQ_ERROR_CRYPTO,      /* key or certificate operation failed */
  VP_HQ_ERROR_IO,
} VpHqError;

#define VP_HQ_SCHEMA_VERSION 1

GQuark    vp_hq_error_quark   (void);

PGconn   *vp_pg_connect       (const char  *conninfo,
                               GError     **error);
/* Runs a command (or several, without parameters). */
gboolean  vp_pg_exec          (PGconn      *conn,
                               const char  *sql,
                               GError     **error);
/* Runs one parameterised statement (text parameters, NULL = SQL NULL).
 * Returns the result if it is COMMAND_OK or TUPLES_OK, else NULL. */
PGresult *vp_pg_query         (PGconn             *conn,
                               const char         *sql,
                               int                 n_params,
                               const char * const *params,
                               GError            **error);
/* Same, with a statement prepared once per connection under name. */
PGresult *vp_pg_query_prepared (PGconn             *conn,
                                const char         *name,
                                const char         *sql,
                                int                 n_params,
                                const char * const *params,
                                GError            **error);
/* After PQreset: the server forgot the connection's prepared statements. */
void      vp_pg_forget_prepared (PGconn *conn);
/* Sets error from a failed result (or the connection) and returns FALSE. */
gboolean  vp_pg_set_error     (PGconn      *conn,
                               PGresult    *res,
                               GError     **error);
/* The SQLSTATE of the last failed statement on this thread, or "". */
const char *vp_pg_last_sqlstate (void);
gint64    vp_pg_get_int64     (PGresult    *res,
                               int          row,
                               int          col);
/* NULL for SQL NULL. */
const char *vp_pg_get_string  (PGresult    *res,
                               int          row,
                               int          col);

/* Creates every table, sequence, trigger and index if missing. */
gboolean  vp_hq_db_init       (PGconn      *conn,
                               GError     **error);
/* Checks that init-db has been run. */
gboolean  vp_hq_db_check      (PGconn      *conn,
                               GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)

G_END_DECLS
