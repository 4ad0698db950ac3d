/* vp-hq-admin.c: provisioning, staff, CSV import, demo data, status and
 * the day export.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-hq-admin"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "vp-account-number.h"
#include "vp-pin.h"
#include "vp-signer.h"
#include "vp-tariff.h"
#include "vp-validate.h"
#include "vp-hq-admin.h"
#include "vp-hq-db.h"
#include "vp-hq-tls.h"

/* The van side's rule (vp_validate_van_id), so HQ never registers a van
 * id no van can have. */
static gboolean
valid_van_id (const char  *van,
              GError     **error)
{
  g_autoptr(GError) local = NULL;

  if (vp_validate_van_id (van, &local))
    return TRUE;
  g_set_error_literal (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, local->message);
  return FALSE;
}

static gboolean
write_file (const char *path,
            const char *text,
            mode_t      mode,
            GError    **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  gsize len = strlen (text);
  gboolean ok;

  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_IO, "Cannot write %s: %s", path, g_strerror (e));
      return FALSE;
    }
  fchmod (fd, mode);
  ok = write (fd, text, len) == (ssize_t) len && fsync (fd) == 0;
  ok = close (fd) == 0 && ok;
  if (!ok)
    g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_IO, "Cannot write %s", path);
  return ok;
}

static gboolean
copy_file (const char *from,
           const char *to,
           GError    **error)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (from, &text, NULL, error))
    return FALSE;
  return write_file (to, text, 0644, error);
}

/* The utility's card master keys as "VERSION HEX" lines, making version 1
 * on first use. Every van gets every version (it reads cards written under
 * any of them and writes with the newest). The master key, not per-card
 * keys, goes to the van: a van must read and top up any card offline, and
 * HQ cannot know in advance which cards a van will meet. The price: a
 * stolen laptop's master key forges any card of that version until HQ
 * makes a new version (card-key-new) and the vans are re-provisioned. */
static char *
card_keys_text (PGconn  *conn,
                GError **error)
{
  g_autoptr(PGresult) res = NULL;
  GString *s;

  res = vp_pg_query (conn, "SELECT version, key FROM card_master_keys ORDER BY version",
                     0, NULL, error);
  if (res == NULL)
    return NULL;
  if (PQntuples (res) == 0)
    {
      gint64 version;

      if (!vp_hq_card_key_new (conn, &version, error))
        return NULL;
      g_clear_pointer (&res, PQclear);
      res = vp_pg_query (conn, "SELECT version, key FROM card_master_keys ORDER BY version",
                         0, NULL, error);
      if (res == NULL)
        return NULL;
    }
  s = g_string_new (NULL);
  for (int i = 0; i < PQntuples (res); i++)
    g_string_append_printf (s, "%s %s\n", PQgetvalue (res, i, 0), PQgetvalue (res, i, 1));
  return g_string_free (s, FALSE);
}

gboolean
vp_hq_card_key_new (PGconn      *conn,
                    gint64      *version,
                    GError     **error)
{
  g_autoptr(PGresult) res = NULL;
  guint8 key[32];
  char hex[65];

  if (RAND_bytes (key, sizeof key) != 1)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_CRYPTO, "No random bytes for a card master key");
      return FALSE;
    }
  for (guint i = 0; i < sizeof key; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", key[i]);
  OPENSSL_cleanse (key, sizeof key);
  {
    const char *p[] = { hex };
    /* Two provisions at once both making version 1: the second gets no
     * row back and reads the first one's key. */
    res = vp_pg_query (conn, "INSERT INTO card_master_keys (version, key)"
                             " SELECT coalesce (max (version), 0) + 1, $1 FROM card_master_keys"
                             " ON CONFLICT DO NOTHING RETURNING version", 1, p, error);
  }
  OPENSSL_cleanse (hex, sizeof hex);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_EXISTS,
                   "Another command made a card master key at the same time; try again");
      return FALSE;
    }
  *version = vp_pg_get_int64 (res, 0, 0);
  return TRUE;
}

static gboolean
blank (const char *text)
{
  if (text == NULL)
    return TRUE;
  for (; *text; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

/* notAfter of a PEM certificate as an ISO 8601 UTC time. */
static char *
cert_expiry (const char  *cert_pem,
             GError     **error)
{
  BIO *bio = BIO_new_mem_buf (cert_pem, -1);
  X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  struct tm tm = { 0 };
  gboolean ok;

  BIO_free (bio);
  ok = cert != NULL && ASN1_TIME_to_tm (X509_get0_notAfter (cert), &tm) == 1;
  X509_free (cert);
  if (!ok)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_CRYPTO, "Unreadable van certificate");
      return NULL;
    }
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Registers or re-issues van. pem_in: the journal public key; source
 * names it in errors. replace_by/why: a laptop replacement (the key may
 * differ from the one HQ holds; recorded in van_keys). */
static gboolean
provision_pem (PGconn      *conn,
               const char  *van,
               const char  *pem_in,
               const char  *source,
               const char  *tls_dir,
               const char  *url,
               const char  *receipt_check_url,
               int          valid_days,
               const char  *out_dir,
               const char  *replace_by,
               const char  *replace_why,
               GError     **error)
{
  g_autofree char *pem = g_strdup (pem_in);
  g_autofree char *expires = NULL;
  g_autofree char *pins = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *key_path = g_build_filename (out_dir, "client.key", NULL);
  g_autofree char *crt_path = g_build_filename (out_dir, "client.crt", NULL);
  g_autofree char *ca_src = g_build_filename (tls_dir, "ca.crt", NULL);
  g_autofree char *ca_dst = g_build_filename (out_dir, "ca.crt", NULL);
  g_autofree char *card_path = g_build_filename (out_dir, "card-keys", NULL);
  g_autofree char *json_path = g_build_filename (out_dir, "hq.json", NULL);
  g_autofree char *cert_pem = NULL;
  g_autofree char *card_text = NULL;
  g_autofree char *hq_json = NULL;
  g_autoptr(PGresult) old = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(VpVerifier) verifier = NULL;
  g_autoptr(GError) key_error = NULL;

  if (!valid_van_id (van, error))
    return FALSE;
  if (valid_days < 1 || valid_days > 3650)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "--valid-days must be 1–3650");
      return FALSE;
    }
  if (!g_str_has_prefix (url, "https://"))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "--url must start with https://");
      return FALSE;
    }
  /* The core's own test of a journal key, the one ingest applies. */
  verifier = vp_verifier_new (pem, &key_error);
  if (verifier == NULL)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                   "%s is not a usable Ed25519 public key in PEM: %s (vanpos-cli export-key prints it)",
                   source, key_error->message);
      return FALSE;
    }
  pins = vp_hq_pins_for_dir (tls_dir, error);
  if (pins == NULL)
    return FALSE;

  {
    const char *p[] = { van };
    /* Whether it has any: one index probe, not its whole journal counted. */
    old = vp_pg_query (conn, "SELECT public_key, EXISTS (SELECT 1 FROM journal WHERE van = $1)::int"
                             " FROM vans WHERE id = $1", 1, p, error);
    if (old == NULL)
      return FALSE;
  }
  if (replace_by == NULL && PQntuples (old) > 0 && vp_pg_get_int64 (old, 0, 1) > 0 &&
      g_strcmp0 (g_strstrip (PQgetvalue (old, 0, 0)), g_strstrip (pem)) != 0)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_EXISTS,
                   "Van %s already has journal entries signed with another key; a new "
                   "journal key for the same van is “vanpos-hq replace-laptop”", van);
      return FALSE;
    }

  if (g_mkdir_with_parents (out_dir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_IO, "Cannot create %s: %s", out_dir, g_strerror (e));
      return FALSE;
    }
  if (!vp_hq_issue_client (tls_dir, van, valid_days, key_path, crt_path, &serial, error) ||
      !copy_file (ca_src, ca_dst, error))
    return FALSE;
  card_text = card_keys_text (conn, error);
  if (card_text == NULL || !write_file (card_path, card_text, 0600, error))
    return FALSE;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "van");
  json_builder_add_string_value (b, van);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, url);
  json_builder_set_member_name (b, "pins");
  json_builder_add_string_value (b, pins);
  /* The utility's public receipt check, printed as a QR code on every
   * receipt of the van (src/core/vp-receipt-check.h). Without it (renew,
   * replace-laptop) the van keeps the address it has. */
  if (receipt_check_url != NULL)
    {
      json_builder_set_member_name (b, "receipt_check_url");
      json_builder_add_string_value (b, receipt_check_url);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  hq_json = json_to_string (root, TRUE);
  if (!write_file (json_path, hq_json, 0644, error))
    return FALSE;

  if (!g_file_get_contents (crt_path, &cert_pem, NULL, error))
    return FALSE;
  expires = cert_expiry (cert_pem, error);
  if (expires == NULL)
    return FALSE;
  /* One transaction under the van's ingest lock: a batch signed with the
   * old key cannot land between the key change and its from_seq. */
  if (!vp_pg_exec (conn, "BEGIN", error))
    return FALSE;
  {
    const char *p[] = { van, pem, serial, cert_pem, expires };
    const char *k[] = { van, pem, replace_by, replace_why };
    g_autoptr(PGresult) lock = NULL, res = NULL, key = NULL, gone = NULL;

    /* vans.card_key keeps a van's legacy per-van key (cards it wrote
     * before utility keys); new provisions hand out card-keys instead. */
    if ((lock = vp_pg_query (conn, "SELECT pg_advisory_xact_lock (hashtext ('van:' || $1))",
                             1, p, error)) == NULL ||
        (res = vp_pg_query (conn, "INSERT INTO vans (id, public_key, cert_serial, cert_pem, cert_expires)"
                                  " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET"
                                  " public_key = excluded.public_key, cert_serial = excluded.cert_serial,"
                                  " cert_pem = excluded.cert_pem, cert_expires = excluded.cert_expires,"
                                  " revoked = false", 5, p, error)) == NULL ||
        (replace_by != NULL &&
         ((key = vp_pg_query (conn, "INSERT INTO van_keys (van, from_seq, public_key, reason, by_whom)"
                                    " SELECT $1, coalesce (max (seq), 0) + 1, $2, $4, $3"
                                    " FROM journal WHERE van = $1"
                                    " ON CONFLICT (van, from_seq) DO UPDATE SET"
                                    " public_key = excluded.public_key, reason = excluded.reason,"
                                    " by_whom = excluded.by_whom, created_at = now ()",
                              4, k, error)) == NULL ||
          (gone = vp_pg_query (conn, "DELETE FROM sessions WHERE van = $1", 1, p, error)) == NULL)) ||
        !vp_pg_exec (conn, "COMMIT", error))
      {
        vp_pg_exec (conn, "ROLLBACK", NULL);
        return FALSE;
      }
  }
  return TRUE;
}

gboolean
vp_hq_provision (PGconn      *conn,
                 const char  *van,
                 const char  *public_key_path,
                 const char  *tls_dir,
                 const char  *url,
                 const char  *receipt_check_url,
                 int          valid_days,
                 const char  *out_dir,
                 GError     **error)
{
  g_autofree char *pem = NULL;

  if (!valid_van_id (van, error) || !g_file_get_contents (public_key_path, &pem, NULL, error))
    return FALSE;
  return provision_pem (conn, van, pem, public_key_path, tls_dir, url, receipt_check_url,
                        valid_days, out_dir, NULL, NULL, error);
}

/* The van's registered journal key, or NOT_FOUND. */
static char *
van_public_key (PGconn      *conn,
                const char  *van,
                GError     **error)
{
  const char *p[] = { van };
  g_autoptr(PGresult) res = NULL;

  if (!valid_van_id (van, error))
    return NULL;
  res = vp_pg_query (conn, "SELECT public_key FROM vans WHERE id = $1", 1, p, error);
  if (res == NULL)
    return NULL;
  if (PQntuples (res) == 0)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_NOT_FOUND, "There is no van %s", van);
      return NULL;
    }
  return g_strdup (PQgetvalue (res, 0, 0));
}

gboolean
vp_hq_renew (PGconn      *conn,
             const char  *van,
             const char  *tls_dir,
             const char  *url,
             int          valid_days,
             const char  *out_dir,
             GError     **error)
{
  g_autofree char *pem = van_public_key (conn, van, error);

  if (pem == NULL)
    return FALSE;
  return provision_pem (conn, van, pem, "the registered key", tls_dir, url, NULL, valid_days,
                        out_dir, NULL, NULL, error);
}

gboolean
vp_hq_replace_laptop (PGconn      *conn,
                      const char  *van,
                      const char  *public_key_path,
                      const char  *tls_dir,
                      const char  *url,
                      int          valid_days,
                      const char  *out_dir,
                      const char  *by,
                      const char  *why,
                      GError     **error)
{
  g_autofree char *old = van_public_key (conn, van, error);
  g_autofree char *pem = NULL;

  if (old == NULL)
    return FALSE;
  if (blank (by) || blank (why))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                   "replace-laptop needs --by WHO and --why TEXT (they are recorded)");
      return FALSE;
    }
  if (public_key_path == NULL)
    pem = g_steal_pointer (&old);
  else if (!g_file_get_contents (public_key_path, &pem, NULL, error))
    return FALSE;
  return provision_pem (conn, van, pem, public_key_path ? public_key_path : "the registered key",
                        tls_dir, url, NULL, valid_days, out_dir, by, why, error);
}

gboolean
vp_hq_revoke (PGconn      *conn,
              const char  *van,
              GError     **error)
{
  const char *p[] = { van };
  g_autoptr(PGresult) res = vp_pg_query (conn, "UPDATE vans SET revoked = true WHERE id = $1",
                                         1, p, error);
  g_autoptr(PGresult) del = NULL;

  if (res == NULL)
    return FALSE;
  if (g_strcmp0 (PQcmdTuples (res), "1") != 0)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_NOT_FOUND, "There is no van %s", van);
      return FALSE;
    }
  del = vp_pg_query (conn, "DELETE FROM sessions WHERE van = $1", 1, p, error);
  return del != NULL;
}

gboolean
vp_hq_staff_add (PGconn      *conn,
                 const char  *id,
                 const char  *name,
                 const char  *role,
                 const char  *pin,
                 guint        iterations,
                 GError     **error)
{
  g_autofree char *hash = NULL;
  VpRole r;

  if (id == NULL || *id == '\0' || strlen (id) > 32)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "Give a staff id (1–32 characters)");
      return FALSE;
    }
  if (!vp_validate_name (name, error))
    return FALSE;
  if (role == NULL || !vp_role_from_string (role, &r))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "--role must be operator or supervisor");
      return FALSE;
    }
  if (!vp_pin_check_format (pin, error))
    return FALSE;
  hash = vp_pin_hash (pin, iterations, error);
  if (hash == NULL)
    return FALSE;
  {
    const char *p[] = { id, name, role, hash };
    g_autoptr(PGresult) res =
      vp_pg_query (conn, "INSERT INTO staff (id, name, role, pin_hash) VALUES ($1, $2, $3, $4)"
                         " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                         " role = excluded.role, pin_hash = excluded.pin_hash, active = true",
                   4, p, error);
    return res != NULL;
  }
}

/* --- CSV ------------------------------------------------------------------------ */

typedef struct
{
  const char *p;
  const char *end;
  guint       line;
} Csv;

/* Next record; NULL at the end. *line gets the record's first line. */
static GPtrArray *
csv_next (Csv     *csv,
          guint   *line,
          GError **error)
{
  g_autoptr(GPtrArray) row = NULL;
  g_autoptr(GString) field = g_string_new (NULL);

  while (csv->p < csv->end && (*csv->p == '\n' || *csv->p == '\r'))
    {
      if (*csv->p == '\n')
        csv->line++;
      csv->p++;
    }
  if (csv->p >= csv->end)
    return NULL;
  *line = csv->line;
  row = g_ptr_array_new_with_free_func (g_free);
  for (;;)
    {
      gboolean quoted = csv->p < csv->end && *csv->p == '"';

      g_string_truncate (field, 0);
      if (quoted)
        {
          csv->p++;
          for (;;)
            {
              if (csv->p >= csv->end)
                {
                  g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                               "line %u: a quoted field is not closed", *line);
                  return NULL;
                }
              if (*csv->p == '"')
                {
                  if (csv->p + 1 < csv->end && csv->p[1] == '"')
                    {
                      g_string_append_c (field, '"');
                      csv->p += 2;
                      continue;
                    }
                  csv->p++;
                  break;
                }
              if (*csv->p == '\n')
                csv->line++;
              g_string_append_c (field, *csv->p++);
            }
        }
      else
        while (csv->p < csv->end && *csv->p != ',' && *csv->p != '\n' && *csv->p != '\r')
          g_string_append_c (field, *csv->p++);
      g_ptr_array_add (row, g_strdup (field->str));
      if (csv->p < csv->end && *csv->p == ',')
        {
          csv->p++;
          continue;
        }
      if (csv->p < csv->end && *csv->p == '\r')
        csv->p++;
      if (csv->p < csv->end && *csv->p == '\n')
        {
          csv->p++;
          csv->line++;
        }
      else if (csv->p < csv->end)
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                       "line %u: unexpected text after a quoted field", *line);
          return NULL;
        }
      return g_steal_pointer (&row);
    }
}

typedef struct
{
  const char *name;
  gboolean    required;
  const char *fallback;
} Column;

static const Column account_columns[] = {
  { "number", TRUE, NULL }, { "holder", TRUE, NULL }, { "phone", FALSE, "" },
  { "id_number", FALSE, "" }, { "estate", FALSE, "" }, { "building", FALSE, "" },
  { "unit", FALSE, "" }, { "room", FALSE, "" }, { "service", TRUE, NULL },
  { "meter", TRUE, NULL }, { "tariff_class", TRUE, NULL }, { "concession_expiry", FALSE, "" },
  { "elderly_alone", FALSE, "false" }, { "needs_visit", FALSE, "false" },
  { "balance", FALSE, "0" }, { "card_number", FALSE, "" }, { "card_counter", FALSE, "0" },
  { "year_volume", FALSE, "0" }, { "tariff_year", FALSE, "0" }, { "last_reading", FALSE, "0" },
  { "status", FALSE, "active" },
};

static const Column bill_columns[] = {
  { "hq_id", TRUE, NULL }, { "account", TRUE, NULL }, { "period", TRUE, NULL },
  { "amount", TRUE, NULL }, { "paid", FALSE, "0" },
};

static const Column tariff_columns[] = {
  { "service", TRUE, NULL }, { "class", TRUE, NULL }, { "version", TRUE, NULL },
  { "tiers", TRUE, NULL }, { "free_allowance", FALSE, "0" },
  { "discount_permille", FALSE, "0" }, { "valid_from", TRUE, NULL },
};

static gboolean
check_int (const char *text,
           gint64      min,
           gint64      max,
           const char *name,
           GError    **error)
{
  gint64 v;

  if (!g_ascii_string_to_signed (text, 10, min, max, &v, NULL))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                   "%s “%s” is not a whole number in %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT,
                   name, text, min, max);
      return FALSE;
    }
  return TRUE;
}

static const char *
norm_bool (const char *text)
{
  if (g_strv_contains ((const char *[]) { "1", "t", "true", "yes", "y", NULL }, text))
    return "t";
  if (g_strv_contains ((const char *[]) { "0", "f", "false", "no", "n", "", NULL }, text))
    return "f";
  return NULL;
}

/* Checks one row's values (vals in column order, defaults filled) and
 * normalises booleans / empty dates in place. */
static gboolean
check_row (const char  *what,
           char       **vals,
           GError     **error)
{
  if (g_str_equal (what, "accounts"))
    {
      VpServiceKind s;
      VpMeterType m;
      VpTariffClass k;
      VpAccountStatus st;

      if (!vp_account_number_validate (vals[0], error))
        return FALSE;
      if (*vals[1] == '\0')
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "holder is empty");
          return FALSE;
        }
      if (!vp_service_kind_from_string (vals[8], &s) || !vp_meter_type_from_string (vals[9], &m) ||
          !vp_tariff_class_from_string (vals[10], &k) ||
          !vp_account_status_from_string (vals[20], &st))
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                       "service, meter, tariff_class or status is not a known value");
          return FALSE;
        }
      if (*vals[11] != '\0' && !vp_validate_date (vals[11], error))
        return FALSE;
      for (int i = 12; i <= 13; i++)
        {
          const char *b = norm_bool (vals[i]);
          if (b == NULL)
            {
              g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                           "%s “%s” is not true or false", account_columns[i].name, vals[i]);
              return FALSE;
            }
          g_free (vals[i]);
          vals[i] = g_strdup (b);
        }
      for (int i = 14; i <= 19; i++)
        if (i != 15 && !check_int (vals[i], 0, G_GINT64_CONSTANT (1000000000000000),
                                   account_columns[i].name, error))
          return FALSE;
      return TRUE;
    }
  if (g_str_equal (what, "bills"))
    {
      gint64 amount, paid;

      if (*vals[0] == '\0')
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "hq_id is empty");
          return FALSE;
        }
      if (!vp_account_number_validate (vals[1], error))
        return FALSE;
      if (strlen (vals[2]) != 7 || vals[2][4] != '-' ||
          !g_ascii_isdigit (vals[2][0]) || !g_ascii_isdigit (vals[2][5]))
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                       "period “%s” is not yyyy-mm", vals[2]);
          return FALSE;
        }
      if (!check_int (vals[3], 1, G_GINT64_CONSTANT (100000000000), "amount", error) ||
          !check_int (vals[4], 0, G_GINT64_CONSTANT (100000000000), "paid", error))
        return FALSE;
      amount = g_ascii_strtoll (vals[3], NULL, 10);
      paid = g_ascii_strtoll (vals[4], NULL, 10);
      if (paid > amount)
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "paid is more than amount");
          return FALSE;
        }
      return TRUE;
    }
  {
    VpTariff t = { 0 };
    VpServiceKind s;
    VpTariffClass k;

    if (!vp_service_kind_from_string (vals[0], &s) || !vp_tariff_class_from_string (vals[1], &k))
      {
        g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "service or class is not a known value");
        return FALSE;
      }
    if (!check_int (vals[2], 1, 1000000, "version", error) ||
        !check_int (vals[4], 0, G_GINT64_CONSTANT (1000000000000), "free_allowance", error) ||
        !check_int (vals[5], 0, 1000, "discount_permille", error) ||
        !vp_tariff_parse_tiers (&t, vals[3], error) ||
        !vp_validate_date (vals[6], error))
      return FALSE;
    return TRUE;
  }
}

gboolean
vp_hq_import_csv (PGconn      *conn,
                  const char  *what,
                  const char  *path,
                  gint64      *n_rows,
                  GError     **error)
{
  g_autofree char *text = NULL;
  gsize len;
  Csv csv;
  g_autoptr(GPtrArray) header = NULL;
  const Column *cols;
  guint n_cols;
  const char *sql;
  int map[32];
  guint line = 1;
  gint64 n = 0;
  g_autoptr(GError) local_error = NULL;

  if (g_strcmp0 (what, "accounts") == 0)
    {
      cols = account_columns;
      n_cols = G_N_ELEMENTS (account_columns);
      sql = "INSERT INTO accounts (number, holder, phone, id_number, estate, building, unit, room,"
            " service, meter, tariff_class, concession_expiry, elderly_alone, needs_visit, balance,"
            " card_number, card_counter, year_volume, tariff_year, last_reading, status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, nullif ($12, ''), $13, $14,"
            " $15, nullif ($16, ''), $17, $18, $19, $20, $21)"
            " ON CONFLICT (number) DO UPDATE SET holder = excluded.holder, phone = excluded.phone,"
            " id_number = excluded.id_number, estate = excluded.estate,"
            " building = excluded.building, unit = excluded.unit, room = excluded.room,"
            " service = excluded.service, meter = excluded.meter,"
            " tariff_class = excluded.tariff_class, concession_expiry = excluded.concession_expiry,"
            " elderly_alone = excluded.elderly_alone, needs_visit = excluded.needs_visit,"
            " balance = excluded.balance, card_number = excluded.card_number,"
            " card_counter = excluded.card_counter, year_volume = excluded.year_volume,"
            " tariff_year = excluded.tariff_year, last_reading = excluded.last_reading,"
            " status = excluded.status";
    }
  else if (g_strcmp0 (what, "bills") == 0)
    {
      cols = bill_columns;
      n_cols = G_N_ELEMENTS (bill_columns);
      sql = "INSERT INTO bills (hq_id, account, period, amount, paid) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (hq_id) DO UPDATE SET account = excluded.account,"
            " period = excluded.period, amount = excluded.amount, paid = excluded.paid";
    }
  else if (g_strcmp0 (what, "tariffs") == 0)
    {
      cols = tariff_columns;
      n_cols = G_N_ELEMENTS (tariff_columns);
      sql = "INSERT INTO tariffs (service, class, version, tiers, free_allowance,"
            " discount_permille, valid_from) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (service, class, version) DO UPDATE SET tiers = excluded.tiers,"
            " free_allowance = excluded.free_allowance,"
            " discount_permille = excluded.discount_permille, valid_from = excluded.valid_from";
    }
  else
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                   "import what? say accounts, bills or tariffs");
      return FALSE;
    }

  if (!g_file_get_contents (path, &text, &len, error))
    return FALSE;
  if (!g_utf8_validate (text, (gssize) len, NULL))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "%s: not UTF-8 text", path);
      return FALSE;
    }
  csv.p = text;
  csv.end = text + len;
  csv.line = 1;
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    csv.p += 3;
  header = csv_next (&csv, &line, &local_error);
  if (header == NULL)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "%s: %s", path,
                   local_error ? local_error->message : "empty file; a header row is needed");
      return FALSE;
    }
  for (guint c = 0; c < n_cols; c++)
    {
      map[c] = -1;
      for (guint h = 0; h < header->len; h++)
        if (g_str_equal (g_strstrip ((char *) header->pdata[h]), cols[c].name))
          map[c] = (int) h;
      if (map[c] < 0 && cols[c].required)
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                       "%s:%u: the header has no “%s” column", path, line, cols[c].name);
          return FALSE;
        }
    }
  for (guint h = 0; h < header->len; h++)
    {
      gboolean known = FALSE;
      for (guint c = 0; c < n_cols; c++)
        known |= map[c] == (int) h;
      if (!known)
        {
          g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "%s:%u: unknown column “%s”",
                       path, line, (char *) header->pdata[h]);
          return FALSE;
        }
    }

  if (!vp_pg_exec (conn, "BEGIN; SET LOCAL vanpos.admin = 'on';"
                         " SELECT pg_advisory_xact_lock_shared (7002)", error))
    return FALSE;
  for (;;)
    {
      g_autoptr(GPtrArray) row = csv_next (&csv, &line, &local_error);
      g_autoptr(GPtrArray) vals = NULL;
      g_autoptr(PGresult) res = NULL;
      g_autofree char *name = NULL;

      if (row == NULL)
        break;
      if (row->len != header->len)
        {
          g_set_error (&local_error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                       "line %u: %u fields, the header has %u", line, row->len, header->len);
          break;
        }
      vals = g_ptr_array_new_with_free_func (g_free);
      for (guint c = 0; c < n_cols; c++)
        g_ptr_array_add (vals, g_strdup (map[c] >= 0 ? g_strstrip ((char *) row->pdata[map[c]])
                                                     : cols[c].fallback));
      for (guint c = 0; c < n_cols; c++)
        if (cols[c].required && *(char *) vals->pdata[c] == '\0')
          {
            g_set_error (&local_error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                         "line %u: %s is empty", line, cols[c].name);
            break;
          }
      if (local_error != NULL)
        break;
      if (!check_row (what, (char **) vals->pdata, &local_error))
        {
          g_prefix_error (&local_error, "line %u: ", line);
          break;
        }
      name = g_strconcat ("import_", what, NULL);
      res = vp_pg_query_prepared (conn, name, sql, (int) n_cols,
                                  (const char * const *) vals->pdata, &local_error);
      if (res == NULL)
        {
          g_prefix_error (&local_error, "line %u: ", line);
          break;
        }
      n++;
    }
  if (local_error != NULL)
    {
      vp_pg_exec (conn, "ROLLBACK", NULL);
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "%s:%s%s; nothing imported", path,
                   g_str_has_prefix (local_error->message, "line ") ? "" : " ",
                   g_str_has_prefix (local_error->message, "line ") ? local_error->message + 5
                                                                     : local_error->message);
      return FALSE;
    }
  if (!vp_pg_exec (conn, "COMMIT", error))
    return FALSE;
  if (n_rows != NULL)
    *n_rows = n;
  return TRUE;
}

/* --- demo data ------------------------------------------------------------------ */

static gboolean
copy_end (PGconn  *conn,
          GError **error)
{
  g_autoptr(PGresult) res = NULL;

  if (PQputCopyEnd (conn, NULL) != 1)
    return vp_pg_set_error (conn, NULL, error);
  while ((res = PQgetResult (conn)) != NULL)
    {
      if (PQresultStatus (res) != PGRES_COMMAND_OK)
        return vp_pg_set_error (conn, res, error);
      g_clear_pointer (&res, PQclear);
    }
  return TRUE;
}

static gboolean
copy_begin (PGconn     *conn,
            const char *sql,
            GError    **error)
{
  g_autoptr(PGresult) res = PQexec (conn, sql);

  if (PQresultStatus (res) != PGRES_COPY_IN)
    return vp_pg_set_error (conn, res, error);
  return TRUE;
}

static gboolean
copy_put (PGconn   *conn,
          GString  *buf,
          gboolean  force,
          GError  **error)
{
  if (buf->len == 0 || (!force && buf->len < 1 << 20))
    return TRUE;
  if (PQputCopyData (conn, buf->str, (int) buf->len) != 1)
    return vp_pg_set_error (conn, NULL, error);
  g_string_truncate (buf, 0);
  return TRUE;
}

gboolean
vp_hq_demo (PGconn   *conn,
            gint64    n_accounts,
            GError  **error)
{
  static const char *surnames[] = { "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                                    "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗" };
  static const char *given[] = { "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军",
                                 "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
                                 "建国", "建华", "国强", "志强", "桂英" };
  static const char *estates[] = { "幸福小区", "阳光花园", "锦绣家园", "和平里", "翠湖苑",
                                   "东方新城", "金桥公寓", "绿洲小区" };
  g_autoptr(GString) buf = g_string_sized_new (2 << 20);
  g_autoptr(GString) bills = g_string_sized_new (2 << 20);
  g_autoptr(PGresult) start = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261123);
  guint64 base;

  if (n_accounts < 1 || n_accounts > 10000000)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "--accounts must be 1–10000000");
      return FALSE;
    }
  if (!vp_pg_exec (conn, "BEGIN; SET LOCAL vanpos.admin = 'on';"
                         " SELECT pg_advisory_xact_lock_shared (7002)", error))
    return FALSE;
  start = vp_pg_query (conn, "SELECT coalesce (max (substr (number, 1, 10)::bigint), 3401000000)"
                             " FROM accounts WHERE number < '5'", 0, NULL, error);
  if (start == NULL)
    goto fail;
  base = (guint64) vp_pg_get_int64 (start, 0, 0) + 1;
  if (base + (guint64) n_accounts >= G_GUINT64_CONSTANT (5000000000))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "The demo number range is full");
      goto fail;
    }

  if (!copy_begin (conn, "COPY accounts (number, holder, phone, id_number, estate, building,"
                         " unit, room, service, meter, tariff_class, balance, card_number,"
                         " card_counter, tariff_year) FROM STDIN", error))
    goto fail;
  for (gint64 i = 0; i < n_accounts; i++)
    {
      g_autofree char *number = vp_account_number_make (base + (guint64) i);
      gboolean prepaid = g_rand_int_range (rand, 0, 100) < 60;
      gboolean water = g_rand_int_range (rand, 0, 100) < 30;

      g_string_append_printf (buf, "%s\t%s%s\t1%02d%08d\t\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t",
                              number, surnames[g_rand_int_range (rand, 0, G_N_ELEMENTS (surnames))],
                              given[g_rand_int_range (rand, 0, G_N_ELEMENTS (given))],
                              g_rand_int_range (rand, 30, 99), g_rand_int_range (rand, 0, 99999999),
                              estates[g_rand_int_range (rand, 0, G_N_ELEMENTS (estates))],
                              g_rand_int_range (rand, 1, 30), g_rand_int_range (rand, 1, 6),
                              g_rand_int_range (rand, 101, 2899),
                              water ? "water" : "gas", prepaid ? "prepaid" : "postpaid",
                              g_rand_int_range (rand, 0, 100) < 5 ? "low_income" : "residential",
                              g_rand_int_range (rand, 0, 100) < 20 ? g_rand_int_range (rand, 1, 20000) : 0);
      if (prepaid)
        g_string_append_printf (buf, "89%010" G_GINT64_FORMAT "\t%d\t2026\n",
                                (gint64) (base + (guint64) i) % G_GINT64_CONSTANT (10000000000),
                                g_rand_int_range (rand, 0, 40));
      else
        {
          g_string_append (buf, "\\N\t0\t2026\n");
          g_string_append_printf (bills, "D%s-2026-10\t%s\t2026-10\t%d\n", number, number,
                                  g_rand_int_range (rand, 1500, 30000));
        }
      if (!copy_put (conn, buf, FALSE, error))
        goto fail;
    }
  if (!copy_put (conn, buf, TRUE, error) || !copy_end (conn, error))
    goto fail;
  if (!copy_begin (conn, "COPY bills (hq_id, account, period, amount) FROM STDIN", error) ||
      !copy_put (conn, bills, TRUE, error) || !copy_end (conn, error))
    goto fail;
  return vp_pg_exec (conn, "COMMIT", error);

fail:
  vp_pg_exec (conn, "ROLLBACK", NULL);
  return FALSE;
}

/* --- status and export ---------------------------------------------------------- */

char *
vp_hq_status (PGconn   *conn,
              gboolean  json,
              GError  **error)
{
  g_autoptr(PGresult) res =
    vp_pg_query (conn, "SELECT v.id, v.revoked, coalesce (to_char (v.last_sync,"
                       " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
                       " count (j.seq), coalesce (max (j.seq), 0), coalesce (sum (j.amount), 0),"
                       " count (*) FILTER (WHERE j.outcome = 'conflict'),"
                       " (SELECT count (*) FROM review_flags r WHERE r.van = v.id AND NOT resolved),"
                       " (SELECT count (*) FROM provisional_accounts p WHERE p.van = v.id)"
                       " FROM vans v LEFT JOIN journal j ON j.van = v.id"
                       " GROUP BY v.id ORDER BY v.id", 0, NULL, error);
  g_autoptr(GString) out = g_string_new (NULL);

  if (res == NULL)
    return NULL;
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "vans");
      json_builder_begin_array (b);
      for (int i = 0; i < PQntuples (res); i++)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "van");
          json_builder_add_string_value (b, PQgetvalue (res, i, 0));
          json_builder_set_member_name (b, "revoked");
          json_builder_add_boolean_value (b, g_str_equal (PQgetvalue (res, i, 1), "t"));
          json_builder_set_member_name (b, "last_sync");
          json_builder_add_string_value (b, PQgetvalue (res, i, 2));
          json_builder_set_member_name (b, "entries");
          json_builder_add_int_value (b, vp_pg_get_int64 (res, i, 3));
          json_builder_set_member_name (b, "highest_seq");
          json_builder_add_int_value (b, vp_pg_get_int64 (res, i, 4));
          json_builder_set_member_name (b, "amount");
          json_builder_add_int_value (b, vp_pg_get_int64 (res, i, 5));
          json_builder_set_member_name (b, "conflicts");
          json_builder_add_int_value (b, vp_pg_get_int64 (res, i, 6));
          json_builder_set_member_name (b, "review_flags");
          json_builder_add_int_value (b, vp_pg_get_int64 (res, i, 7));
          json_builder_set_member_name (b, "accounts_opened");
          json_builder_add_int_value (b, vp_pg_get_int64 (res, i, 8));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      return json_to_string (root, TRUE);
    }
  g_string_append_printf (out, "%-10s %-8s %-20s %8s %8s %14s %9s %7s %6s\n", "VAN", "STATE",
                          "LAST SYNC", "ENTRIES", "HIGHEST", "AMOUNT (FEN)", "CONFLICTS",
                          "REVIEW", "OPENED");
  for (int i = 0; i < PQntuples (res); i++)
    g_string_append_printf (out, "%-10s %-8s %-20s %8s %8s %14s %9s %7s %6s\n",
                            PQgetvalue (res, i, 0),
                            g_str_equal (PQgetvalue (res, i, 1), "t") ? "revoked" : "active",
                            *PQgetvalue (res, i, 2) ? PQgetvalue (res, i, 2) : "never",
                            PQgetvalue (res, i, 3), PQgetvalue (res, i, 4), PQgetvalue (res, i, 5),
                            PQgetvalue (res, i, 6), PQgetvalue (res, i, 7), PQgetvalue (res, i, 8));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
csv_field (GString    *s,
           const char *v)
{
  if (v == NULL)
    v = "";
  if (strpbrk (v, ",\"\r\n") == NULL)
    g_string_append (s, v);
  else
    {
      g_string_append_c (s, '"');
      for (const char *p = v; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (s, '"');
          g_string_append_c (s, *p);
        }
      g_string_append_c (s, '"');
    }
}

gboolean
vp_hq_export_day (PGconn      *conn,
                  const char  *date,
                  const char  *out_path,
                  gint64      *n_rows,
                  GError     **error)
{
  g_autoptr(GDateTime) day = NULL;
  g_autoptr(GDateTime) next = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GString) out = g_string_new ("van,seq,uuid,kind,device_time,account,amount,outcome,"
                                         "credit,detail,hash\n");
  int y, m, d;
  char a[32], b[32];

  if (!vp_validate_date (date, error))
    return FALSE;
  if (sscanf (date, "%d-%d-%d", &y, &m, &d) != 3 ||
      (day = g_date_time_new_local (y, m, d, 0, 0, 0)) == NULL)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID, "“%s” is not a date (yyyy-mm-dd)", date);
      return FALSE;
    }
  next = g_date_time_add_days (day, 1);
  g_snprintf (a, sizeof a, "%" G_GINT64_FORMAT, g_date_time_to_unix (day) * G_USEC_PER_SEC);
  g_snprintf (b, sizeof b, "%" G_GINT64_FORMAT, g_date_time_to_unix (next) * G_USEC_PER_SEC);
  {
    const char *p[] = { a, b };
    res = vp_pg_query (conn, "SELECT van, seq, uuid, kind, device_time, account, amount, outcome,"
                             " credit, detail, hash FROM journal"
                             " WHERE device_time >= $1 AND device_time < $2"
                             " ORDER BY van, seq", 2, p, error);
  }
  if (res == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (res); i++)
    {
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (vp_pg_get_int64 (res, i, 4) /
                                                                G_USEC_PER_SEC);
      g_autofree char *iso = t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S") : g_strdup ("");

      for (int c = 0; c < 11; c++)
        {
          if (c > 0)
            g_string_append_c (out, ',');
          csv_field (out, c == 4 ? iso : vp_pg_get_string (res, i, c));
        }
      g_string_append_c (out, '\n');
    }
  if (!g_file_set_contents (out_path, out->str, (gssize) out->len, error))
    return FALSE;
  if (n_rows != NULL)
    *n_rows = PQntuples (res);
  return TRUE;
}

/* --- operator lists and resolutions ---------------------------------------- */

#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT4 23

/* A result as text (a header row, then tab-separated rows; NULL shown
 * as "-") or as JSON {"<what>": [{column: value}…]} with numbers and
 * booleans typed and NULL as null. */
static char *
render (PGresult   *res,
        const char *what,
        gboolean    json)
{
  int rows = PQntuples (res), cols = PQnfields (res);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, what);
      json_builder_begin_array (b);
      for (int i = 0; i < rows; i++)
        {
          json_builder_begin_object (b);
          for (int c = 0; c < cols; c++)
            {
              json_builder_set_member_name (b, PQfname (res, c));
              if (PQgetisnull (res, i, c))
                json_builder_add_null_value (b);
              else if (PQftype (res, c) == OID_BOOL)
                json_builder_add_boolean_value (b, g_str_equal (PQgetvalue (res, i, c), "t"));
              else if (PQftype (res, c) == OID_INT8 || PQftype (res, c) == OID_INT4)
                json_builder_add_int_value (b, vp_pg_get_int64 (res, i, c));
              else
                json_builder_add_string_value (b, PQgetvalue (res, i, c));
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      return json_to_string (root, TRUE);
    }
  {
    GString *out = g_string_new (NULL);

    for (int c = 0; c < cols; c++)
      {
        g_autofree char *up = g_ascii_strup (PQfname (res, c), -1);
        g_string_append_printf (out, "%s%s", c ? "\t" : "", up);
      }
    g_string_append_c (out, '\n');
    for (int i = 0; i < rows; i++)
      {
        for (int c = 0; c < cols; c++)
          {
            const char *v = PQgetisnull (res, i, c) ? "-" : PQgetvalue (res, i, c);

            if (PQftype (res, c) == OID_BOOL && !PQgetisnull (res, i, c))
              v = g_str_equal (v, "t") ? "yes" : "no";
            g_string_append_printf (out, "%s%s", c ? "\t" : "", v);
          }
        g_string_append_c (out, '\n');
      }
    return g_string_free (out, FALSE);
  }
}

#define ISO(col) "to_char (" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Vans provisioned before HQ kept cert_expires: read it from their
 * certificate once. */
static gboolean
backfill_cert_expiry (PGconn  *conn,
                      GError **error)
{
  g_autoptr(PGresult) res =
    vp_pg_query (conn, "SELECT id, cert_pem FROM vans WHERE cert_expires IS NULL"
                       " AND cert_pem IS NOT NULL", 0, NULL, error);

  if (res == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (res); i++)
    {
      g_autofree char *expires = cert_expiry (PQgetvalue (res, i, 1), error);
      const char *p[] = { PQgetvalue (res, i, 0), expires };
      g_autoptr(PGresult) up = NULL;

      if (expires == NULL)
        {
          g_prefix_error (error, "Van %s: ", PQgetvalue (res, i, 0));
          return FALSE;
        }
      up = vp_pg_query (conn, "UPDATE vans SET cert_expires = $2 WHERE id = $1", 2, p, error);
      if (up == NULL)
        return FALSE;
    }
  return TRUE;
}

char *
vp_hq_list (PGconn      *conn,
            const char  *what,
            gboolean     all,
            gboolean     json,
            GError     **error)
{
  g_autoptr(PGresult) res = NULL;
  const char *p[] = { all ? "t" : "f" };

  if (g_strcmp0 (what, "vans") == 0)
    {
      /* Soonest expiry first: vans provisioned on one day expire together. */
      if (!backfill_cert_expiry (conn, error))
        return NULL;
      res = vp_pg_query (conn, "SELECT v.id AS van,"
                               " CASE WHEN v.revoked THEN 'revoked' ELSE 'active' END AS state,"
                               " " ISO ("v.cert_expires") " AS cert_expires,"
                               " floor (extract (epoch FROM v.cert_expires - now ()) / 86400)::int8"
                               "   AS days_left,"
                               " " ISO ("v.last_sync") " AS last_sync,"
                               " (SELECT coalesce (max (seq), 0) FROM journal j WHERE j.van = v.id)"
                               "   AS highest_seq,"
                               " (SELECT count (*) FROM van_keys k WHERE k.van = v.id) AS replacements"
                               " FROM vans v ORDER BY v.cert_expires NULLS LAST, v.id", 0, NULL, error);
    }
  else if (g_strcmp0 (what, "staff") == 0)
    res = vp_pg_query (conn, "SELECT s.id, s.name, s.role, s.active,"
                             " (SELECT string_agg (a.van, ',' ORDER BY a.van) FROM pin_attempts a"
                             "  WHERE a.staff = s.id AND a.locked) AS locked_at,"
                             " (SELECT coalesce (max (a.failures), 0) FROM pin_attempts a"
                             "  WHERE a.staff = s.id)::int8 AS wrong_pins"
                             " FROM staff s WHERE $1::boolean OR s.active ORDER BY s.id",
                       1, p, error);
  else if (g_strcmp0 (what, "flags") == 0)
    res = vp_pg_query (conn, "SELECT id, van, seq, account, reason, " ISO ("created_at") " AS created,"
                             " resolved, resolved_by, resolution, " ISO ("resolved_at") " AS resolved_at"
                             " FROM review_flags WHERE $1::boolean OR NOT resolved ORDER BY id",
                       1, p, error);
  else if (g_strcmp0 (what, "conflicts") == 0)
    res = vp_pg_query (conn, "SELECT j.van, j.seq, j.kind, j.account, j.detail, j.credit,"
                             " r.resolution IS NOT NULL AS resolved, r.resolved_by, r.resolution,"
                             " " ISO ("r.resolved_at") " AS resolved_at"
                             " FROM journal j LEFT JOIN conflict_resolutions r"
                             "   ON r.van = j.van AND r.seq = j.seq"
                             " WHERE j.outcome = 'conflict' AND ($1::boolean OR r.seq IS NULL)"
                             " ORDER BY j.van, j.seq", 1, p, error);
  else
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                   "Nothing to list as “%s”: vans, staff, flags or conflicts", what ? what : "");
      return NULL;
    }
  if (res == NULL)
    return NULL;
  return render (res, what, json);
}

static gboolean
check_resolution (const char  *by,
                  const char  *why,
                  GError     **error)
{
  if (blank (by) || blank (why))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                   "A resolution needs --by WHO and --why TEXT (both are recorded)");
      return FALSE;
    }
  if (strlen (by) > 64 || strlen (why) > 1000)
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_INVALID,
                   "--by is at most 64 bytes and --why at most 1000");
      return FALSE;
    }
  return TRUE;
}

gboolean
vp_hq_flag_resolve (PGconn      *conn,
                    gint64       id,
                    const char  *by,
                    const char  *why,
                    GError     **error)
{
  g_autofree char *id_s = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  const char *p[] = { id_s, by, why };
  g_autoptr(PGresult) res = NULL;
  g_autoptr(PGresult) was = NULL;

  if (!check_resolution (by, why, error))
    return FALSE;
  res = vp_pg_query (conn, "UPDATE review_flags SET resolved = true, resolved_by = $2,"
                           " resolution = $3, resolved_at = now ()"
                           " WHERE id = $1::int8 AND NOT resolved", 3, p, error);
  if (res == NULL)
    return FALSE;
  if (g_str_equal (PQcmdTuples (res), "1"))
    return TRUE;
  was = vp_pg_query (conn, "SELECT coalesce (resolved_by, '?') FROM review_flags WHERE id = $1::int8",
                     1, p, error);
  if (was == NULL)
    return FALSE;
  if (PQntuples (was) == 0)
    g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_NOT_FOUND, "There is no review flag %s", id_s);
  else
    g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_EXISTS,
                 "Review flag %s was already resolved by %s; nothing changed", id_s,
                 PQgetvalue (was, 0, 0));
  return FALSE;
}

gboolean
vp_hq_conflict_resolve (PGconn      *conn,
                        const char  *van,
                        gint64       seq,
                        const char  *by,
                        const char  *why,
                        GError     **error)
{
  g_autofree char *seq_s = g_strdup_printf ("%" G_GINT64_FORMAT, seq);
  const char *p[] = { van, seq_s, by, why };
  g_autoptr(PGresult) res = NULL;
  g_autoptr(PGresult) was = NULL;

  if (!valid_van_id (van, error) || !check_resolution (by, why, error))
    return FALSE;
  res = vp_pg_query (conn, "INSERT INTO conflict_resolutions (van, seq, resolved_by, resolution)"
                           " SELECT van, seq, $3, $4 FROM journal"
                           " WHERE van = $1 AND seq = $2::int8 AND outcome = 'conflict'"
                           " ON CONFLICT DO NOTHING", 4, p, error);
  if (res == NULL)
    return FALSE;
  if (g_str_equal (PQcmdTuples (res), "1"))
    return TRUE;
  was = vp_pg_query (conn, "SELECT j.outcome, r.resolved_by FROM journal j"
                           " LEFT JOIN conflict_resolutions r ON r.van = j.van AND r.seq = j.seq"
                           " WHERE j.van = $1 AND j.seq = $2::int8", 2, p, error);
  if (was == NULL)
    return FALSE;
  if (PQntuples (was) == 0 || !g_str_equal (PQgetvalue (was, 0, 0), "conflict"))
    g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_NOT_FOUND,
                 "Entry %s of van %s is not a conflict%s", seq_s, van,
                 PQntuples (was) == 0 ? " (HQ does not hold it)" : "");
  else
    g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_EXISTS,
                 "The conflict of van %s entry %s was already resolved by %s; nothing changed",
                 van, seq_s, PQgetvalue (was, 0, 1));
  return FALSE;
}

gboolean
vp_hq_staff_deactivate (PGconn      *conn,
                        const char  *id,
                        GError     **error)
{
  const char *p[] = { id };
  g_autoptr(PGresult) res = NULL;
  g_autoptr(PGresult) gone = NULL;

  if (!vp_pg_exec (conn, "BEGIN; SET LOCAL vanpos.admin = 'on'", error))
    return FALSE;
  /* The trigger moves change_seq: vans drop the staff at their next pull. */
  if ((res = vp_pg_query (conn, "UPDATE staff SET active = false WHERE id = $1", 1, p, error)) == NULL ||
      (gone = vp_pg_query (conn, "DELETE FROM sessions WHERE staff = $1", 1, p, error)) == NULL ||
      !vp_pg_exec (conn, "COMMIT", error))
    {
      vp_pg_exec (conn, "ROLLBACK", NULL);
      return FALSE;
    }
  if (!g_str_equal (PQcmdTuples (res), "1"))
    {
      g_set_error (error, VP_HQ_ERROR, VP_HQ_ERROR_NOT_FOUND, "There is no staff %s", id);
      return FALSE;
    }
  return TRUE;
}
