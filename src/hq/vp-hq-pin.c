/* vp-hq-pin.c: staff PIN check for /session with a throttle and lock per
 * (van, staff), kept in PostgreSQL so it survives restarts and holds for
 * every HQ instance on the database.
 *
 * A try first claims the pair with one conditional UPDATE that also moves
 * next_allowed ahead by the delay the next failure would bring: of two
 * tries at once (two HQ instances, two connections) only one runs PBKDF2,
 * the other is told to wait. The outcome then settles the row. An unknown
 * staff id counts against one bucket per van ("?"), so rotating made-up
 * ids buys a guesser nothing and cannot grow the table without bound.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-hq-pin"

#include "config.h"

#include <string.h>

#include "vp-pin.h"
#include "vp-hq-db.h"
#include "vp-hq-pin.h"

#define UNKNOWN_BUCKET "?"

int
vp_hq_pin_delay (int n)
{
  return n <= 1 ? 1 : 1 << MIN (n - 1, 12);
}

static gboolean
settle (PGconn      *conn,
        const char  *van,
        const char  *bucket,
        gboolean     right,
        int         *failures,
        gboolean    *locked,
        GError     **error)
{
  const char *p[] = { van, bucket, G_STRINGIFY (VP_HQ_PIN_MAX_FAILURES) };
  g_autoptr(PGresult) res = NULL;

  if (right)
    {
      res = vp_pg_query (conn, "UPDATE pin_attempts SET failures = 0, next_allowed = now ()"
                               " WHERE van = $1 AND staff = $2", 2, p, error);
      *failures = 0;
      *locked = FALSE;
      return res != NULL;
    }
  res = vp_pg_query (conn, "UPDATE pin_attempts SET failures = failures + 1, last_failure = now (),"
                           " locked = failures + 1 >= $3::int,"
                           " next_allowed = now () + make_interval (secs => least (power (2, failures), 4096))"
                           " WHERE van = $1 AND staff = $2 RETURNING failures, locked", 3, p, error);
  if (res == NULL)
    return FALSE;
  *failures = PQntuples (res) ? (int) vp_pg_get_int64 (res, 0, 0) : 1;
  *locked = PQntuples (res) && g_str_equal (PQgetvalue (res, 0, 1), "t");
  return TRUE;
}

gboolean
vp_hq_pin_check (PGconn          *conn,
                 const char      *van,
                 const char      *staff,
                 const char      *pin,
                 VpHqPinOutcome  *outcome,
                 char           **role,
                 int             *retry_after,
                 int             *failures,
                 GError         **error)
{
  g_autoptr(PGresult) who = NULL;
  g_autoptr(PGresult) ins = NULL;
  g_autoptr(PGresult) claim = NULL;
  const char *bucket;
  gboolean known, right, locked = FALSE;

  *outcome = VP_HQ_PIN_WRONG;
  *retry_after = 0;
  *failures = 0;
  {
    const char *p[] = { staff };
    who = vp_pg_query (conn, "SELECT pin_hash, role FROM staff WHERE id = $1 AND active",
                       1, p, error);
    if (who == NULL)
      return FALSE;
  }
  known = PQntuples (who) == 1;
  bucket = known ? staff : UNKNOWN_BUCKET;
  {
    const char *p[] = { van, bucket };
    ins = vp_pg_query (conn, "INSERT INTO pin_attempts (van, staff) VALUES ($1, $2)"
                             " ON CONFLICT DO NOTHING", 2, p, error);
    if (ins == NULL)
      return FALSE;
    claim = vp_pg_query (conn, "UPDATE pin_attempts"
                               " SET next_allowed = now () + make_interval (secs => least (power (2, failures), 4096))"
                               " WHERE van = $1 AND staff = $2 AND NOT locked AND next_allowed <= now ()"
                               " RETURNING failures", 2, p, error);
    if (claim == NULL)
      return FALSE;
    if (PQntuples (claim) == 0)
      {
        g_autoptr(PGresult) state =
          vp_pg_query (conn, "SELECT locked, failures,"
                             " greatest (1, ceil (extract (epoch FROM next_allowed - now ())))::int"
                             " FROM pin_attempts WHERE van = $1 AND staff = $2", 2, p, error);
        if (state == NULL)
          return FALSE;
        *outcome = PQntuples (state) && g_str_equal (PQgetvalue (state, 0, 0), "t") ?
                   VP_HQ_PIN_LOCKED : VP_HQ_PIN_WAIT;
        *failures = PQntuples (state) ? (int) vp_pg_get_int64 (state, 0, 1) : 0;
        *retry_after = PQntuples (state) ? (int) vp_pg_get_int64 (state, 0, 2) : 1;
        return TRUE;
      }
  }
  /* An unknown id costs the same PBKDF2 time as a wrong PIN. */
  if (!known)
    vp_pin_verify (pin, "pbkdf2-sha256$" G_STRINGIFY (VP_PIN_ITERATIONS)
                        "$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL);
  right = known && vp_pin_verify (pin, PQgetvalue (who, 0, 0), NULL);
  if (!settle (conn, van, bucket, right, failures, &locked, error))
    return FALSE;
  if (right)
    {
      *outcome = VP_HQ_PIN_OK;
      *role = g_strdup (PQgetvalue (who, 0, 1));
      return TRUE;
    }
  *outcome = locked ? VP_HQ_PIN_LOCKED : VP_HQ_PIN_WRONG;
  *retry_after = locked ? 0 : vp_hq_pin_delay (*failures);
  g_message ("wrong PIN for staff %s at van %s (%d in a row%s)", bucket, van, *failures,
             locked ? ", now locked" : "");
  return TRUE;
}

gboolean
vp_hq_pin_unlock (PGconn      *conn,
                  const char  *staff,
                  const char  *van,
                  gint64      *n,
                  GError     **error)
{
  const char *p[] = { staff, van };
  g_autoptr(PGresult) res =
    vp_pg_query (conn, "UPDATE pin_attempts SET failures = 0, locked = false, next_allowed = now ()"
                       " WHERE staff = $1 AND ($2::text IS NULL OR van = $2)"
                       " AND (failures > 0 OR locked)", 2, p, error);

  if (res == NULL)
    return FALSE;
  *n = g_ascii_strtoll (PQcmdTuples (res), NULL, 10);
  return TRUE;
}
