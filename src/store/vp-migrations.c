/* vp-migrations.c: numbered schema migrations.
 *
 * Append new migrations at the end; never edit one that has shipped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-migrations"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "vp-migrations.h"

static const char *migrations[] = {
  /* 1: the initial schema. */
  "CREATE TABLE meta ("
  "  key   TEXT PRIMARY KEY,"
  "  value TEXT NOT NULL"
  ") WITHOUT ROWID;"

  "CREATE TABLE staff ("
  "  id           TEXT PRIMARY KEY,"
  "  name         TEXT NOT NULL,"
  "  role         TEXT NOT NULL CHECK (role IN ('operator', 'supervisor')),"
  "  pin_hash     TEXT NOT NULL,"
  "  failed_pins  INTEGER NOT NULL DEFAULT 0,"
  "  locked_until INTEGER NOT NULL DEFAULT 0,"
  "  active       INTEGER NOT NULL DEFAULT 1"
  ");"

  "CREATE TABLE tariffs ("
  "  service           TEXT NOT NULL CHECK (service IN ('gas', 'water')),"
  "  class             TEXT NOT NULL CHECK (class IN ('residential', 'commercial', 'low_income')),"
  "  version           INTEGER NOT NULL CHECK (version > 0),"
  "  tiers             TEXT NOT NULL,"
  "  free_allowance    INTEGER NOT NULL DEFAULT 0 CHECK (free_allowance >= 0),"
  "  discount_permille INTEGER NOT NULL DEFAULT 0 CHECK (discount_permille BETWEEN 0 AND 1000),"
  "  valid_from        TEXT NOT NULL,"
  "  PRIMARY KEY (service, class, version)"
  ");"

  "CREATE TABLE accounts ("
  "  id                INTEGER PRIMARY KEY,"
  "  number            TEXT NOT NULL UNIQUE,"
  "  holder            TEXT NOT NULL,"
  "  holder_initials   TEXT NOT NULL DEFAULT '',"
  "  phone             TEXT NOT NULL DEFAULT '',"
  "  id_number         TEXT NOT NULL DEFAULT '',"
  "  estate            TEXT NOT NULL,"
  "  building          TEXT NOT NULL DEFAULT '',"
  "  unit              TEXT NOT NULL DEFAULT '',"
  "  room              TEXT NOT NULL DEFAULT '',"
  "  address           TEXT GENERATED ALWAYS AS ("
  "    estate || CASE WHEN building <> '' THEN building || '栋' ELSE '' END"
  "           || CASE WHEN unit <> '' THEN unit || '单元' ELSE '' END"
  "           || CASE WHEN room <> '' THEN room || '室' ELSE '' END) VIRTUAL,"
  "  service           TEXT NOT NULL CHECK (service IN ('gas', 'water')),"
  "  meter             TEXT NOT NULL CHECK (meter IN ('prepaid', 'postpaid')),"
  "  tariff_class      TEXT NOT NULL CHECK (tariff_class IN ('residential', 'commercial', 'low_income')),"
  "  concession_expiry TEXT,"
  "  elderly_alone     INTEGER NOT NULL DEFAULT 0,"
  "  needs_visit       INTEGER NOT NULL DEFAULT 0,"
  "  balance           INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),"
  "  card_number       TEXT UNIQUE,"
  "  card_counter      INTEGER NOT NULL DEFAULT 0 CHECK (card_counter >= 0),"
  "  tariff_year       INTEGER NOT NULL DEFAULT 0,"
  "  year_volume       INTEGER NOT NULL DEFAULT 0 CHECK (year_volume >= 0),"
  "  free_used         INTEGER NOT NULL DEFAULT 0 CHECK (free_used >= 0),"
  "  last_reading      INTEGER NOT NULL DEFAULT 0,"
  "  status            TEXT NOT NULL CHECK (status IN ('active', 'provisional', 'closed')),"
  "  opened_seq        INTEGER,"
  "  updated_at        INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX accounts_holder ON accounts (holder);"
  "CREATE INDEX accounts_initials ON accounts (holder_initials);"
  "CREATE INDEX accounts_phone ON accounts (phone);"
  "CREATE INDEX accounts_estate ON accounts (estate, building, unit, room);"

  /* Substring search: FTS5 trigram over names, addresses and phones. */
  "CREATE VIRTUAL TABLE accounts_fts USING fts5 ("
  "  holder, address, phone, content = 'accounts', content_rowid = 'id',"
  "  tokenize = 'trigram');"
  /* Trigrams cannot match 1–2 character queries; name suffixes can:
   * 张建国 → 建国, 国, so 建 / 建国 / 国 are prefix look-ups. */
  "CREATE TABLE name_suffixes ("
  "  suffix     TEXT NOT NULL,"
  "  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  PRIMARY KEY (suffix, account_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX name_suffixes_account ON name_suffixes (account_id);"

  "CREATE TRIGGER accounts_ai AFTER INSERT ON accounts BEGIN"
  "  INSERT INTO accounts_fts (rowid, holder, address, phone)"
  "    VALUES (new.id, new.holder, new.address, new.phone);"
  "  INSERT INTO name_suffixes (suffix, account_id)"
  "    SELECT substr (new.holder, n), new.id FROM"
  "      (SELECT 2 AS n UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5)"
  "    WHERE n <= length (new.holder);"
  "END;"
  "CREATE TRIGGER accounts_au AFTER UPDATE OF holder, estate, building, unit, room, phone"
  "  ON accounts BEGIN"
  "  INSERT INTO accounts_fts (accounts_fts, rowid, holder, address, phone)"
  "    VALUES ('delete', old.id, old.holder, old.address, old.phone);"
  "  INSERT INTO accounts_fts (rowid, holder, address, phone)"
  "    VALUES (new.id, new.holder, new.address, new.phone);"
  "  DELETE FROM name_suffixes WHERE account_id = old.id;"
  "  INSERT INTO name_suffixes (suffix, account_id)"
  "    SELECT substr (new.holder, n), new.id FROM"
  "      (SELECT 2 AS n UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5)"
  "    WHERE n <= length (new.holder);"
  "END;"
  "CREATE TRIGGER accounts_ad AFTER DELETE ON accounts BEGIN"
  "  INSERT INTO accounts_fts (accounts_fts, rowid, holder, address, phone)"
  "    VALUES ('delete', old.id, old.holder, old.address, old.phone);"
  "END;"

  "CREATE TABLE bills ("
  "  id          INTEGER PRIMARY KEY,"
  "  account_id  INTEGER NOT NULL REFERENCES accounts (id),"
  "  period      TEXT NOT NULL,"          /* yyyy-mm */
  "  amount      INTEGER NOT NULL CHECK (amount > 0),"
  "  paid        INTEGER NOT NULL DEFAULT 0 CHECK (paid >= 0 AND paid <= amount),"
  "  hq_id       TEXT UNIQUE,"
  "  UNIQUE (account_id, period)"
  ");"
  "CREATE INDEX bills_open ON bills (account_id, period) WHERE paid < amount;"

  "CREATE TABLE shifts ("
  "  id          INTEGER PRIMARY KEY,"
  "  opened_by   TEXT NOT NULL REFERENCES staff (id),"
  "  opened_at   INTEGER NOT NULL,"
  "  float       INTEGER NOT NULL CHECK (float >= 0),"
  "  open_seq    INTEGER NOT NULL,"
  "  closed_by   TEXT REFERENCES staff (id),"
  "  closed_at   INTEGER,"
  "  counted     INTEGER,"
  "  expected    INTEGER,"
  "  z_number    INTEGER UNIQUE,"
  "  close_seq   INTEGER"
  ");"
  /* At most one open shift. */
  "CREATE UNIQUE INDEX shifts_one_open ON shifts ((closed_at IS NULL)) WHERE closed_at IS NULL;"

  "CREATE TABLE journal ("
  "  seq          INTEGER PRIMARY KEY,"
  "  uuid         TEXT NOT NULL UNIQUE,"
  "  van_id       TEXT NOT NULL,"
  "  kind         TEXT NOT NULL,"
  "  payload      TEXT NOT NULL,"
  "  device_time  INTEGER NOT NULL,"
  "  monotonic_ms INTEGER NOT NULL,"
  "  prev_hash    TEXT NOT NULL,"
  "  hash         TEXT NOT NULL UNIQUE,"
  "  signature    TEXT NOT NULL,"
  /* Columns below are derived from the payload for reports and history. */
  "  staff_id     TEXT,"
  "  shift_id     INTEGER,"
  "  account_id   INTEGER,"
  "  method       TEXT,"
  "  amount       INTEGER NOT NULL DEFAULT 0,"
  "  voided_by    INTEGER,"
  "  UNIQUE (van_id, seq)"
  ");"
  "CREATE INDEX journal_account ON journal (account_id, seq);"
  "CREATE INDEX journal_time ON journal (device_time);"
  "CREATE INDEX journal_shift ON journal (shift_id, kind);"
  /* Nothing is ever deleted or rewritten; a void is a new entry. */
  "CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal BEGIN"
  "  SELECT RAISE (ABORT, 'journal entries are never deleted');"
  "END;"
  "CREATE TRIGGER journal_no_update BEFORE UPDATE OF seq, uuid, van_id, kind, payload,"
  "  device_time, monotonic_ms, prev_hash, hash, signature ON journal BEGIN"
  "  SELECT RAISE (ABORT, 'journal entries are never rewritten');"
  "END;"

  "CREATE TABLE outbox ("
  "  seq        INTEGER PRIMARY KEY REFERENCES journal (seq),"
  "  state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'acked')),"
  "  outcome    TEXT,"
  "  acked_at   INTEGER"
  ");"
  "CREATE INDEX outbox_pending ON outbox (seq) WHERE state = 'pending';"

  "CREATE TABLE topups ("
  "  intent_seq  INTEGER PRIMARY KEY REFERENCES journal (seq),"
  "  account_id  INTEGER NOT NULL REFERENCES accounts (id),"
  "  card_number TEXT NOT NULL,"
  "  counter     INTEGER NOT NULL,"
  "  volume      INTEGER NOT NULL CHECK (volume > 0),"
  "  amount      INTEGER NOT NULL CHECK (amount >= 0),"
  "  leftover    INTEGER NOT NULL DEFAULT 0,"
  "  tariff_version INTEGER NOT NULL,"
  "  state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed', 'voided')),"
  "  resolved_seq INTEGER"
  ");"
  "CREATE INDEX topups_pending ON topups (intent_seq) WHERE state = 'pending';"

  "CREATE TABLE blocked_cards ("
  "  card_number TEXT PRIMARY KEY,"
  "  reason      TEXT NOT NULL,"
  "  blocked_at  INTEGER NOT NULL"
  ") WITHOUT ROWID;"

  "CREATE TABLE service_log ("
  "  id          INTEGER PRIMARY KEY,"
  "  seq         INTEGER NOT NULL REFERENCES journal (seq),"
  "  kind        TEXT NOT NULL CHECK (kind IN ('consultation', 'visit', 'complaint')),"
  "  account_id  INTEGER REFERENCES accounts (id),"
  "  topic       TEXT NOT NULL DEFAULT '',"
  "  note        TEXT NOT NULL,"
  "  follow_up   INTEGER NOT NULL DEFAULT 0,"
  "  staff_id    TEXT NOT NULL,"
  "  created_at  INTEGER NOT NULL"
  ");"

  "CREATE TABLE trips ("
  "  id          INTEGER PRIMARY KEY,"
  "  estate      TEXT NOT NULL,"
  "  started_at  INTEGER NOT NULL,"
  "  ended_at    INTEGER,"
  "  start_seq   INTEGER NOT NULL,"
  "  end_seq     INTEGER,"
  "  staff_id    TEXT NOT NULL"
  ");"
  "CREATE UNIQUE INDEX trips_one_open ON trips ((ended_at IS NULL)) WHERE ended_at IS NULL;",

  /* 2: only signed data counts (DESIGN §4). The helper columns are
   * derived from the signed payload when an entry is appended and never
   * change: a void no longer marks its target (voided_by, an UPDATE that
   * left every total open to a plain UPDATE of the helper columns) but
   * names it in its own row, once. Entries before ledger_strict_from were
   * written before every payload carried its shift and account. */
  "DROP TRIGGER journal_no_update;"
  "ALTER TABLE journal ADD COLUMN voids INTEGER;"
  "UPDATE journal SET voids = json_extract (payload, '$.voided_seq') WHERE kind = 'void';"
  "ALTER TABLE journal DROP COLUMN voided_by;"
  "CREATE UNIQUE INDEX journal_voids ON journal (voids) WHERE voids IS NOT NULL;"
  "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal BEGIN"
  "  SELECT RAISE (ABORT, 'journal entries are never rewritten');"
  "END;"
  /* INSERT OR REPLACE deletes the old row without firing the delete
   * trigger: an entry is only ever added after the last one. */
  "CREATE TRIGGER journal_append_only BEFORE INSERT ON journal"
  "  WHEN new.seq <= (SELECT coalesce (max (seq), 0) FROM journal)"
  "    OR EXISTS (SELECT 1 FROM journal WHERE uuid = new.uuid OR hash = new.hash) BEGIN"
  "  SELECT RAISE (ABORT, 'journal entries are never rewritten');"
  "END;"
  "INSERT INTO meta (key, value)"
  "  SELECT 'ledger_strict_from', coalesce (max (seq), 0) + 1 FROM journal;",

  /* 3: receipts that could not be printed wait here (not in the journal:
   * a print job is no business event and changes as it is retried). One
   * job per entry; a later failure for the same entry updates it. Job
   * numbers are never reused: a person may have noted one. */
  "CREATE TABLE print_queue ("
  "  id        INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  seq       INTEGER NOT NULL UNIQUE CHECK (seq > 0),"
  "  printer   TEXT NOT NULL,"
  "  error     TEXT NOT NULL,"
  "  attempts  INTEGER NOT NULL DEFAULT 1 CHECK (attempts > 0),"
  "  queued_at INTEGER NOT NULL,"
  "  tried_at  INTEGER NOT NULL"
  ");",
};

guint
vp_migrations_latest (void)
{
  return G_N_ELEMENTS (migrations);
}

gboolean
vp_migrations_run (VpDatabase  *db,
                   GError     **error)
{
  sqlite3 *handle = vp_database_get_handle (db);
  sqlite3_stmt *stmt = NULL;
  gint64 version = 0;
  int rc;

  rc = sqlite3_prepare_v2 (handle, "PRAGMA user_version", -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return vp_database_set_error (db, rc, error);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    return vp_database_set_error (db, rc, error);

  if (version > (gint64)G_N_ELEMENTS (migrations))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                   _("The database schema (version %" PRId64 ") is newer than "
                     "this program understands (%u); update VanPOS"),
                   version, (guint)G_N_ELEMENTS (migrations));
      return FALSE;
    }

  for (guint i = version; i < G_N_ELEMENTS (migrations); i++)
    {
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %u", i + 1);

      vp_database_lock (db);
      if (!vp_database_begin (db, error))
        {
          vp_database_unlock (db);
          return FALSE;
        }
      if (!vp_database_exec (db, migrations[i], error) ||
          !vp_database_exec (db, set_version, error) ||
          !vp_database_commit (db, error))
        {
          g_prefix_error (error, _("Migration %u failed: "), i + 1);
          vp_database_rollback (db);
          vp_database_unlock (db);
          return FALSE;
        }
      vp_database_unlock (db);
      g_debug ("migrated database to version %u", i + 1);
    }
  return TRUE;
}
