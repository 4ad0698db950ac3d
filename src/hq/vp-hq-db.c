/* vp-hq-db.c: libpq helpers and the HQ schema.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-hq-db"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vp-hq-db.h"

G_DEFINE_QUARK (vp-hq-error-quark, vp_hq_error)

static GPrivate last_sqlstate = G_PRIVATE_INIT (g_free);

/* Every master-data table carries change_seq from one global sequence,
 * set by a trigger on every insert and update, so the pull cursor is just
 * the highest change_seq the van has. An admin change (import, staff-add)
 * also records admin_seq, which tells a change of holder made on the van
 * that HQ changed the account since the van's last pull. */
static const char *schema_sql =
  "CREATE TABLE IF NOT EXISTS schema_version ("
  "  version    integer PRIMARY KEY,"
  "  applied_at timestamptz NOT NULL DEFAULT now ());"
  "CREATE SEQUENCE IF NOT EXISTS change_seq;"
  /* Bases for real account numbers assigned to provisional ones: the
   * 10 digit body, Luhn digit added by vp_account_number_make. */
  "CREATE SEQUENCE IF NOT EXISTS account_number_seq START 9000000001;"
  /* Before its first change_seq, a writing transaction holds a shared
   * advisory lock keyed 2^48 + the sequence's last value: a floor under
   * every change_seq it can commit. A master page stops below the lowest
   * floor in pg_locks, so a lower change_seq can never commit behind a
   * van's cursor — without an exclusive lock that would stall writers. */
  "CREATE OR REPLACE FUNCTION vp_touch () RETURNS trigger LANGUAGE plpgsql AS $$"
  "BEGIN"
  "  IF coalesce (current_setting ('vanpos.seq_floor', true), '') = '' THEN"
  "    PERFORM pg_advisory_xact_lock_shared ((1::bigint << 48) + (SELECT last_value FROM change_seq));"
  "    PERFORM set_config ('vanpos.seq_floor', 'on', true);"
  "  END IF;"
  "  NEW.change_seq := nextval ('change_seq');"
  "  IF TG_TABLE_NAME = 'accounts' AND current_setting ('vanpos.admin', true) = 'on' THEN"
  "    NEW.admin_seq := NEW.change_seq;"
  "  END IF;"
  "  RETURN NEW;"
  "END $$;"
  "CREATE TABLE IF NOT EXISTS vans ("
  "  id          text PRIMARY KEY,"
  "  public_key  text NOT NULL,"
  "  cert_serial text,"
  "  cert_pem    text,"
  "  card_key    text,"
  "  revoked     boolean NOT NULL DEFAULT false,"
  "  pulled_seq  bigint NOT NULL DEFAULT 0,"
  "  last_sync   timestamptz,"
  "  created_at  timestamptz NOT NULL DEFAULT now ());"
  "CREATE TABLE IF NOT EXISTS staff ("
  "  id         text PRIMARY KEY,"
  "  name       text NOT NULL,"
  "  role       text NOT NULL CHECK (role IN ('operator', 'supervisor')),"
  "  pin_hash   text NOT NULL,"
  "  active     boolean NOT NULL DEFAULT true,"
  "  change_seq bigint NOT NULL DEFAULT 0);"
  "CREATE TABLE IF NOT EXISTS accounts ("
  "  number            text PRIMARY KEY,"
  "  holder            text NOT NULL,"
  "  phone             text NOT NULL DEFAULT '',"
  "  id_number         text NOT NULL DEFAULT '',"
  "  estate            text NOT NULL DEFAULT '',"
  "  building          text NOT NULL DEFAULT '',"
  "  unit              text NOT NULL DEFAULT '',"
  "  room              text NOT NULL DEFAULT '',"
  "  service           text NOT NULL CHECK (service IN ('gas', 'water')),"
  "  meter             text NOT NULL CHECK (meter IN ('prepaid', 'postpaid')),"
  "  tariff_class      text NOT NULL CHECK (tariff_class IN ('residential', 'commercial', 'low_income')),"
  "  concession_expiry text,"
  "  elderly_alone     boolean NOT NULL DEFAULT false,"
  "  needs_visit       boolean NOT NULL DEFAULT false,"
  "  balance           bigint NOT NULL DEFAULT 0,"
  "  card_number       text,"
  "  card_counter      bigint NOT NULL DEFAULT 0,"
  "  year_volume       bigint NOT NULL DEFAULT 0,"
  "  tariff_year       integer NOT NULL DEFAULT 0,"
  "  last_reading      bigint NOT NULL DEFAULT 0,"
  "  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'provisional', 'closed')),"
  "  opened_by_van     text,"
  "  admin_seq         bigint NOT NULL DEFAULT 0,"
  "  change_seq        bigint NOT NULL DEFAULT 0);"
  "CREATE TABLE IF NOT EXISTS bills ("
  "  hq_id      text PRIMARY KEY,"
  "  account    text NOT NULL REFERENCES accounts (number),"
  "  period     text NOT NULL,"
  "  amount     bigint NOT NULL CHECK (amount > 0),"
  "  paid       bigint NOT NULL DEFAULT 0 CHECK (paid >= 0 AND paid <= amount),"
  "  change_seq bigint NOT NULL DEFAULT 0,"
  "  UNIQUE (account, period));"
  "CREATE TABLE IF NOT EXISTS tariffs ("
  "  service           text NOT NULL CHECK (service IN ('gas', 'water')),"
  "  class             text NOT NULL CHECK (class IN ('residential', 'commercial', 'low_income')),"
  "  version           integer NOT NULL CHECK (version > 0),"
  "  tiers             text NOT NULL,"
  "  free_allowance    bigint NOT NULL DEFAULT 0,"
  "  discount_permille integer NOT NULL DEFAULT 0 CHECK (discount_permille BETWEEN 0 AND 1000),"
  "  valid_from        text NOT NULL,"
  "  change_seq        bigint NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (service, class, version));"
  "CREATE TABLE IF NOT EXISTS blocked_cards ("
  "  card_number text PRIMARY KEY,"
  "  reason      text NOT NULL,"
  "  change_seq  bigint NOT NULL DEFAULT 0);"
  "CREATE TABLE IF NOT EXISTS journal ("
  "  van          text NOT NULL REFERENCES vans (id),"
  "  seq          bigint NOT NULL CHECK (seq > 0),"
  "  uuid         uuid NOT NULL UNIQUE,"
  "  kind         text NOT NULL,"
  "  payload      jsonb NOT NULL,"
  "  payload_text text NOT NULL,"
  "  device_time  bigint NOT NULL,"
  "  monotonic_ms bigint NOT NULL,"
  "  prev_hash    text NOT NULL,"
  "  hash         text NOT NULL,"
  "  signature    text NOT NULL,"
  "  amount       bigint NOT NULL DEFAULT 0,"
  "  account      text,"
  "  outcome      text NOT NULL,"
  "  detail       text,"
  "  credit       bigint NOT NULL DEFAULT 0,"
  "  applied      jsonb,"
  "  received_at  timestamptz NOT NULL DEFAULT now (),"
  "  PRIMARY KEY (van, seq));"
  "CREATE INDEX IF NOT EXISTS journal_time ON journal (device_time);"
  /* A quarantined entry whose payload is no JSON object keeps only its
   * payload_text (issue 10). */
  "ALTER TABLE journal ALTER COLUMN payload DROP NOT NULL;"
  /* A void at most once per voided entry (vp-hq-ingest.c, apply_void). */
  "CREATE INDEX IF NOT EXISTS journal_voids ON journal (van, (payload->>'voided_seq'))"
  "  WHERE kind = 'void';"
  "CREATE TABLE IF NOT EXISTS provisional_accounts ("
  "  van         text NOT NULL REFERENCES vans (id),"
  "  provisional text NOT NULL,"
  "  number      text NOT NULL UNIQUE REFERENCES accounts (number),"
  "  seq         bigint NOT NULL,"
  "  change_seq  bigint NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (van, provisional));"
  /* A push answer maps the numbers opened after the van's acknowledged
   * seq (vp-hq-ingest.c, add_summary). */
  "CREATE INDEX IF NOT EXISTS provisional_accounts_seq ON provisional_accounts (van, seq);"
  "CREATE TABLE IF NOT EXISTS review_flags ("
  "  id         bigserial PRIMARY KEY,"
  "  van        text NOT NULL,"
  "  seq        bigint NOT NULL,"
  "  account    text,"
  "  reason     text NOT NULL,"
  "  resolved   boolean NOT NULL DEFAULT false,"
  "  created_at timestamptz NOT NULL DEFAULT now ());"
  "CREATE TABLE IF NOT EXISTS sessions ("
  "  token      text PRIMARY KEY,"
  "  van        text NOT NULL REFERENCES vans (id),"
  "  staff      text NOT NULL REFERENCES staff (id),"
  "  expires_at timestamptz NOT NULL);"
  "DO $$ DECLARE t text; BEGIN"
  "  FOREACH t IN ARRAY ARRAY['staff', 'accounts', 'bills', 'tariffs', 'blocked_cards',"
  "                           'provisional_accounts'] LOOP"
  "    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = t || '_touch') THEN"
  "      EXECUTE format ('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I"
  "                       FOR EACH ROW EXECUTE FUNCTION vp_touch ()', t || '_touch', t);"
  "    END IF;"
  "    EXECUTE format ('CREATE INDEX IF NOT EXISTS %I ON %I (change_seq)', t || '_change', t);"
  "  END LOOP;"
  "END $$;"
  "INSERT INTO schema_version (version) VALUES (1) ON CONFLICT DO NOTHING;";

/* Card master keys, PIN throttling and operator records (issue 10).
 * Kept apart from schema_sql so each part reads on its own; idempotent too.
 *
 * card_master_keys: the utility's IC-card master keys by version (DESIGN
 * §6); vans get them in the provisioning bundle's card-keys file.
 * pin_attempts: wrong PINs per (van, staff) for /session, in PostgreSQL so
 * a lock survives a restart and holds across HQ instances.
 * van_keys: every journal key a van id has had, from which seq (laptop
 * replacement). */
static const char *schema_ops_sql =
  "CREATE TABLE IF NOT EXISTS card_master_keys ("
  "  version    integer PRIMARY KEY CHECK (version BETWEEN 1 AND 255),"
  "  key        text NOT NULL CHECK (key ~ '^[0-9a-f]{64}$'),"
  "  created_at timestamptz NOT NULL DEFAULT now ());"
  "CREATE TABLE IF NOT EXISTS pin_attempts ("
  "  van          text NOT NULL,"
  "  staff        text NOT NULL,"
  "  failures     integer NOT NULL DEFAULT 0,"
  "  locked       boolean NOT NULL DEFAULT false,"
  "  next_allowed timestamptz NOT NULL DEFAULT now (),"
  "  last_failure timestamptz,"
  "  PRIMARY KEY (van, staff));"
  "CREATE TABLE IF NOT EXISTS van_keys ("
  "  van        text NOT NULL REFERENCES vans (id),"
  "  from_seq   bigint NOT NULL,"
  "  public_key text NOT NULL,"
  "  reason     text NOT NULL,"
  "  by_whom    text NOT NULL,"
  "  created_at timestamptz NOT NULL DEFAULT now (),"
  "  PRIMARY KEY (van, from_seq));"
  "ALTER TABLE vans ADD COLUMN IF NOT EXISTS cert_expires timestamptz;"
  "ALTER TABLE review_flags ADD COLUMN IF NOT EXISTS resolved_by text;"
  "ALTER TABLE review_flags ADD COLUMN IF NOT EXISTS resolution text;"
  "ALTER TABLE review_flags ADD COLUMN IF NOT EXISTS resolved_at timestamptz;"
  "CREATE TABLE IF NOT EXISTS conflict_resolutions ("
  "  van         text NOT NULL,"
  "  seq         bigint NOT NULL,"
  "  resolved_by text NOT NULL,"
  "  resolution  text NOT NULL,"
  "  resolved_at timestamptz NOT NULL DEFAULT now (),"
  "  PRIMARY KEY (van, seq),"
  "  FOREIGN KEY (van, seq) REFERENCES journal (van, seq));"
  /* A receipt a resident checked that HQ does not hold long after its
   * day is flagged once per (van, seq) (vp-hq-receipt.c). */
  "CREATE UNIQUE INDEX IF NOT EXISTS review_flags_missing_receipt ON review_flags (van, seq)"
  "  WHERE reason LIKE 'missing receipt:%';";

/* Each van's entry count and amount total, kept by triggers on journal
 * so that a push's answer reads two numbers instead of summing the van's
 * whole journal: that sum read every row of the van on every push (on a
 * 300,000-row journal, 110 ms warm and 440 ms cold for one van of
 * 150,000 entries, and growing with each day the van works). Triggers,
 * not HQ's own arithmetic, so that whatever changes journal rows (a
 * restore, an operator's DELETE, a test's simulated loss) keeps them
 * true. A trigger with transition tables takes one event, hence four
 * triggers for one function. */
static const char *schema_totals_sql =
  "CREATE TABLE IF NOT EXISTS van_totals ("
  "  van     text PRIMARY KEY,"
  "  entries bigint NOT NULL DEFAULT 0,"
  "  amount  bigint NOT NULL DEFAULT 0);"
  "CREATE OR REPLACE FUNCTION vp_van_totals () RETURNS trigger LANGUAGE plpgsql AS $$"
  "BEGIN"
  "  IF TG_OP = 'TRUNCATE' THEN"
  "    DELETE FROM van_totals;"
  "    RETURN NULL;"
  "  END IF;"
  "  IF TG_OP IN ('DELETE', 'UPDATE') THEN"
  "    UPDATE van_totals t SET entries = t.entries - o.entries, amount = t.amount - o.amount"
  "      FROM (SELECT van, count (*) AS entries, coalesce (sum (amount), 0) AS amount"
  "            FROM old_rows GROUP BY van) o"
  "      WHERE t.van = o.van;"
  "  END IF;"
  "  IF TG_OP IN ('INSERT', 'UPDATE') THEN"
  "    INSERT INTO van_totals AS t (van, entries, amount)"
  "      SELECT van, count (*), coalesce (sum (amount), 0) FROM new_rows GROUP BY van"
  "      ON CONFLICT (van) DO UPDATE SET entries = t.entries + excluded.entries,"
  "                                      amount = t.amount + excluded.amount;"
  "  END IF;"
  "  RETURN NULL;"
  "END $$;"
  /* Unless all four triggers are there and enabled (a new table, an
   * older HQ's database, a trigger an operator dropped or disabled), the
   * journal is locked against writers (another HQ's push included) until
   * this transaction commits, the triggers are made anew and the totals
   * counted again from the journal. */
  "DO $$ BEGIN"
  "  IF (SELECT count (*) FROM pg_trigger WHERE tgrelid = 'journal'::regclass AND tgenabled <> 'D'"
  "      AND tgname IN ('journal_totals_insert', 'journal_totals_update',"
  "                     'journal_totals_delete', 'journal_totals_truncate')) < 4 THEN"
  "    LOCK TABLE journal IN SHARE ROW EXCLUSIVE MODE;"
  "    DROP TRIGGER IF EXISTS journal_totals_insert ON journal;"
  "    DROP TRIGGER IF EXISTS journal_totals_update ON journal;"
  "    DROP TRIGGER IF EXISTS journal_totals_delete ON journal;"
  "    DROP TRIGGER IF EXISTS journal_totals_truncate ON journal;"
  "    CREATE TRIGGER journal_totals_insert AFTER INSERT ON journal"
  "      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION vp_van_totals ();"
  "    CREATE TRIGGER journal_totals_update AFTER UPDATE ON journal"
  "      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
  "      FOR EACH STATEMENT EXECUTE FUNCTION vp_van_totals ();"
  "    CREATE TRIGGER journal_totals_delete AFTER DELETE ON journal"
  "      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION vp_van_totals ();"
  "    CREATE TRIGGER journal_totals_truncate AFTER TRUNCATE ON journal"
  "      FOR EACH STATEMENT EXECUTE FUNCTION vp_van_totals ();"
  "    DELETE FROM van_totals;"
  "    INSERT INTO van_totals (van, entries, amount)"
  "      SELECT van, count (*), coalesce (sum (amount), 0) FROM journal GROUP BY van;"
  "  END IF;"
  "END $$;";

PGconn *
vp_pg_connect (const char  *conninfo,
               GError     **error)
{
  g_autoptr(PGconn) conn = PQconnectdb (conninfo ? conninfo : "");

  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_autofree char *msg = g_strstrip (g_strdup (PQerrorMessage (conn)));
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_DB,
                   "Cannot connect to PostgreSQL (%s): %s", conninfo, msg);
      return NULL;
    }
  if (!vp_pg_exec (conn, "SET client_min_messages = warning; SET TIME ZONE 'UTC'", error))
    return NULL;
  return g_steal_pointer (&conn);
}

gboolean
vp_pg_set_error (PGconn    *conn,
                 PGresult  *res,
                 GError   **error)
{
  const char *msg = res ? PQresultErrorMessage (res) : NULL;
  const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  g_autofree char *text = NULL;

  if (msg == NULL || *msg == '\0')
    msg = PQerrorMessage (conn);
  g_private_replace (&last_sqlstate, g_strdup (state ? state : ""));
  text = g_strstrip (g_strdup (msg));
  g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_DB, "PostgreSQL: %s", text);
  return FALSE;
}

const char *
vp_pg_last_sqlstate (void)
{
  const char *s = g_private_get (&last_sqlstate);
  return s ? s : "";
}

gboolean
vp_pg_exec (PGconn      *conn,
            const char  *sql,
            GError     **error)
{
  g_autoptr(PGresult) res = PQexec (conn, sql);
  ExecStatusType st = PQresultStatus (res);

  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return vp_pg_set_error (conn, res, error);
  return TRUE;
}

static PGresult *
check_result (PGconn    *conn,
              PGresult  *res,
              GError   **error)
{
  ExecStatusType st = PQresultStatus (res);

  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    {
      vp_pg_set_error (conn, res, error);
      PQclear (res);
      return NULL;
    }
  return res;
}

PGresult *
vp_pg_query (PGconn             *conn,
             const char         *sql,
             int                 n_params,
             const char * const *params,
             GError            **error)
{
  return check_result (conn, PQexecParams (conn, sql, n_params, NULL, params, NULL, NULL, 0),
                       error);
}

/* Prepared statement names are remembered per connection. */
static GHashTable *prepared = NULL;
static GMutex prepared_lock;

void
vp_pg_forget_prepared (PGconn *conn)
{
  g_autofree char *prefix = g_strdup_printf ("%p/", (void *) conn);
  GHashTableIter iter;
  gpointer key;

  g_mutex_lock (&prepared_lock);
  if (prepared != NULL)
    {
      g_hash_table_iter_init (&iter, prepared);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (g_str_has_prefix (key, prefix))
          g_hash_table_iter_remove (&iter);
    }
  g_mutex_unlock (&prepared_lock);
}

PGresult *
vp_pg_query_prepared (PGconn             *conn,
                      const char         *name,
                      const char         *sql,
                      int                 n_params,
                      const char * const *params,
                      GError            **error)
{
  GMutex *lock = &prepared_lock;
  g_autofree char *key = g_strdup_printf ("%p/%s", (void *) conn, name);
  gboolean known;

  g_mutex_lock (lock);
  if (prepared == NULL)
    prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  known = g_hash_table_contains (prepared, key);
  g_mutex_unlock (lock);

  if (!known)
    {
      g_autoptr(PGresult) res = PQprepare (conn, name, sql, n_params, NULL);

      if (PQresultStatus (res) != PGRES_COMMAND_OK)
        {
          vp_pg_set_error (conn, res, error);
          return NULL;
        }
      g_mutex_lock (lock);
      g_hash_table_add (prepared, g_steal_pointer (&key));
      g_mutex_unlock (lock);
    }
  return check_result (conn, PQexecPrepared (conn, name, n_params, params, NULL, NULL, 0), error);
}

gint64
vp_pg_get_int64 (PGresult *res,
                 int       row,
                 int       col)
{
  if (PQgetisnull (res, row, col))
    return 0;
  return g_ascii_strtoll (PQgetvalue (res, row, col), NULL, 10);
}

const char *
vp_pg_get_string (PGresult *res,
                  int       row,
                  int       col)
{
  if (PQgetisnull (res, row, col))
    return NULL;
  return PQgetvalue (res, row, col);
}

gboolean
vp_hq_db_init (PGconn  *conn,
               GError **error)
{
  if (!vp_pg_exec (conn, "BEGIN; SELECT pg_advisory_xact_lock (7001)", error))
    return FALSE;
  if (!vp_pg_exec (conn, schema_sql, error) || !vp_pg_exec (conn, schema_ops_sql, error) ||
      !vp_pg_exec (conn, schema_totals_sql, error))
    {
      vp_pg_exec (conn, "ROLLBACK", NULL);
      g_prefix_error (error, "Creating the HQ schema: ");
      return FALSE;
    }
  return vp_pg_exec (conn, "COMMIT", error);
}

gboolean
vp_hq_db_check (PGconn  *conn,
                GError **error)
{
  g_autoptr(PGresult) res = vp_pg_query (conn, "SELECT to_regclass ('schema_version') IS NOT NULL",
                                         0, NULL, error);
  g_autoptr(PGresult) version = NULL;

  if (res == NULL)
    return FALSE;
  if (strcmp (PQgetvalue (res, 0, 0), "t") == 0)
    version = vp_pg_query (conn, "SELECT max (version) FROM schema_version", 0, NULL, error);
  if (version == NULL && strcmp (PQgetvalue (res, 0, 0), "t") == 0)
    return FALSE;
  if (version == NULL || vp_pg_get_int64 (version, 0, 0) < VP_HQ_SCHEMA_VERSION)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_NOT_FOUND,
                   "The HQ database has no schema; run “vanpos-hq --pg … init-db” first");
      return FALSE;
    }
  return TRUE;
}
