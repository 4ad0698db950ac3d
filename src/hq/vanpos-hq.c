/* vanpos-hq: the HQ reference server and its admin commands.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vanpos-hq"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "vp-pin.h"
#include "vp-receipt-check.h"
#include "vp-hq-admin.h"
#include "vp-hq-db.h"
#include "vp-hq-pin.h"
#include "vp-hq-server.h"
#include "vp-hq-tls.h"

static const char usage[] =
  "Usage: vanpos-hq [--pg CONNINFO] COMMAND [OPTIONS]\n"
  "\n"
  "  --pg CONNINFO   libpq connection string (default: $VANPOS_HQ_PG, else libpq defaults)\n"
  "\n"
  "Commands:\n"
  "  init-db                                   create the schema (idempotent)\n"
  "  ca-init --dir D [--host H]...             create the HQ CA and server certificate\n"
  "  provision VAN --public-key FILE --out DIR [--tls-dir D] [--url URL] [--valid-days N]\n"
  "            [--receipt-check-url URL]      the public receipt check printed as a QR\n"
  "  renew VAN --out DIR [--tls-dir D] [--url URL] [--valid-days N]\n"
  "                                            new certificate, same journal and card keys\n"
  "  replace-laptop VAN --out DIR --by WHO --why TEXT [--public-key FILE] [--tls-dir D]\n"
  "                 [--url URL] [--valid-days N] new laptop: new certificate (+ journal key)\n"
  "  revoke VAN\n"
  "  vans [--json]                             certificate expiry (soonest first), last sync\n"
  "  staff-add ID --name N --role operator|supervisor --pin PIN\n"
  "  staff list [--all] [--json]               active staff (--all: also deactivated), PIN locks\n"
  "  staff deactivate ID                       no more logins, at HQ and on every van\n"
  "  staff unlock ID [--van VAN]               clear wrong-PIN locks (all vans by default)\n"
  "  flags [--all] [--json]                    open review flags (--all: resolved too)\n"
  "  flags resolve ID --by WHO --why TEXT\n"
  "  conflicts [--all] [--json]                entries answered “conflict”, unresolved\n"
  "  conflicts resolve VAN SEQ --by WHO --why TEXT\n"
  "  card-key-new                              a new card master key version (then renew vans)\n"
  "  import accounts|bills|tariffs FILE.csv\n"
  "  demo --accounts N                         generate N accounts (COPY)\n"
  "  status [--json]                           what each van has synced\n"
  "  export-day DATE --out FILE.csv            one day's transactions\n"
  "  serve [--listen HOST:PORT] [--tls-dir D] [--port-file F] [--workers N] [--db-pool N]\n"
  "        [--backlog N] [--max-connections N] [--handshake-timeout S] [--header-timeout S]\n"
  "        [--body-timeout S] [--idle-timeout S]\n"
  "        [--public-listen HOST:PORT [--public-port-file F] [--public-rate N/MIN]\n"
  "         [--missing-after HOURS]]   + the public receipt check, no client certificate\n"
  "\n"
  "--tls-dir defaults to $VANPOS_HQ_TLS_DIR.\n";

typedef struct
{
  const char *name;
  const char *value;
} Opt;

/* Splits argv into options (--name value | --name=value | --flag) and
 * positional arguments. flags lists the options without a value. */
static gboolean
parse_args (int           argc,
            char        **argv,
            const char  **known,
            const char  **flags,
            GHashTable   *opts,
            GPtrArray    *args,
            GError      **error)
{
  for (int i = 0; i < argc; i++)
    {
      const char *a = argv[i];
      g_autofree char *name = NULL;
      const char *value = NULL;

      if (!g_str_has_prefix (a, "--"))
        {
          g_ptr_array_add (args, (gpointer) a);
          continue;
        }
      name = g_strdup (a + 2);
      if (strchr (name, '=') != NULL)
        {
          char *eq = strchr (name, '=');
          *eq = '\0';
          value = a + 2 + (eq - name) + 1;
        }
      if (!g_strv_contains (known, name) && !g_strv_contains (flags, name))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                       "unknown option --%s", name);
          return FALSE;
        }
      if (g_strv_contains (flags, name))
        value = "1";
      else if (value == NULL)
        {
          if (i + 1 >= argc)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--%s needs a value", name);
              return FALSE;
            }
          value = argv[++i];
        }
      if (g_str_equal (name, "host"))
        {
          /* repeatable */
          GPtrArray *hosts = g_hash_table_lookup (opts, "host");
          if (hosts == NULL)
            {
              hosts = g_ptr_array_new ();
              g_hash_table_insert (opts, g_strdup ("host"), hosts);
            }
          g_ptr_array_add (hosts, (gpointer) value);
          continue;
        }
      g_hash_table_insert (opts, g_steal_pointer (&name), (gpointer) value);
    }
  return TRUE;
}

/* The server's log lines carry the full date and time (UTC), so a log
 * kept for days can be read and matched against the access lines. */
static GLogWriterOutput
dated_log_writer (GLogLevelFlags   level,
                  const GLogField *fields,
                  gsize            n_fields,
                  gpointer         user_data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  const char *domain = "-", *message = "";
  const char *name;

  /* Debug lines only with G_MESSAGES_DEBUG, as GLib's own writer does. */
  if ((level & G_LOG_LEVEL_DEBUG) && g_log_writer_default_would_drop (level, NULL))
    return G_LOG_WRITER_HANDLED;
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0)
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
        message = fields[i].value;
    }
  if (level & G_LOG_LEVEL_ERROR)
    name = "ERROR";
  else if (level & G_LOG_LEVEL_CRITICAL)
    name = "CRITICAL";
  else if (level & G_LOG_LEVEL_WARNING)
    name = "WARNING";
  else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    name = "INFO";
  else
    name = "DEBUG";
  fprintf (stderr, "%s %s %s: %s\n", stamp, name, domain, message);
  return G_LOG_WRITER_HANDLED;
}


/* 1: refused or failed, 3: the van, staff, flag or entry named does not exist. */
static int
fail (GError *error)
{
  int code = g_error_matches (error, VP_HQ_ERROR, VP_HQ_ERROR_NOT_FOUND) ? 3 : 1;

  g_printerr ("vanpos-hq: %s\n", error->message);
  g_error_free (error);
  return code;
}

static int
usage_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format,
             ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("vanpos-hq: %s\nTry “vanpos-hq --help”.\n", msg);
  return 2;
}

static gboolean
parse_int (const char *text,
           gint64      min,
           gint64      max,
           gint64     *out)
{
  return text != NULL && g_ascii_string_to_signed (text, 10, min, max, out, NULL);
}

int
main (int    argc,
      char **argv)
{
  static const char *known[] = { "pg", "dir", "host", "public-key", "out", "tls-dir", "url",
                                 "valid-days", "name", "role", "pin", "pin-iterations",
                                 "accounts", "listen", "port-file", "by", "why", "van", "receipt-check-url",
                                 "workers", "db-pool", "backlog", "max-connections",
                                 "handshake-timeout", "header-timeout", "body-timeout",
                                 "idle-timeout", "public-listen", "public-port-file",
                                 "public-rate", "missing-after", NULL };
  static const char *flags[] = { "json", "help", "all", NULL };
  g_autoptr(GHashTable) opts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(PGconn) conn = NULL;
  GPtrArray *hosts;
  GError *error = NULL;
  const char *cmd;
  const char *conninfo;
  const char *tls_dir;

  setlocale (LC_ALL, "");
  if (!parse_args (argc - 1, argv + 1, known, flags, opts, args, &error))
    return usage_error ("%s", error->message);
  if (g_hash_table_contains (opts, "help") || args->len == 0)
    {
      fputs (usage, args->len == 0 && !g_hash_table_contains (opts, "help") ? stderr : stdout);
      return args->len == 0 && !g_hash_table_contains (opts, "help") ? 2 : 0;
    }
  cmd = args->pdata[0];
  conninfo = g_hash_table_lookup (opts, "pg");
  if (conninfo == NULL)
    conninfo = g_getenv ("VANPOS_HQ_PG");
  if (conninfo == NULL)
    conninfo = "";
  tls_dir = g_hash_table_lookup (opts, "tls-dir");
  if (tls_dir == NULL)
    tls_dir = g_getenv ("VANPOS_HQ_TLS_DIR");
  hosts = g_hash_table_lookup (opts, "host");

  if (g_str_equal (cmd, "ca-init"))
    {
      const char *dir = g_hash_table_lookup (opts, "dir");
      g_autofree char *pins = NULL;
      g_auto(GStrv) pin_list = NULL;

      if (dir == NULL || args->len != 1)
        return usage_error ("ca-init needs --dir D");
      if (hosts != NULL)
        g_ptr_array_add (hosts, NULL);
      if (!vp_hq_ca_init (dir, hosts ? (const char * const *) hosts->pdata : NULL, &pins, &error))
        return fail (error);
      pin_list = g_strsplit (pins, ";", 2);
      g_print ("HQ CA created in %s\n", dir);
      g_print ("server pin:  %s\n", pin_list[0]);
      g_print ("backup pin:  %s  (key %s/backup-server.key: keep it offline)\n", pin_list[1], dir);
      g_print ("pins:        %s\n", pins);
      return 0;
    }

  /* Everything else needs the database. */
  conn = vp_pg_connect (conninfo, &error);
  if (conn == NULL)
    return fail (error);

  if (g_str_equal (cmd, "init-db"))
    {
      if (args->len != 1)
        return usage_error ("init-db takes no arguments");
      if (!vp_hq_db_init (conn, &error))
        return fail (error);
      g_print ("HQ database ready (schema version %d)\n", VP_HQ_SCHEMA_VERSION);
      return 0;
    }

  if (!vp_hq_db_check (conn, &error))
    return fail (error);

  if (g_str_equal (cmd, "provision"))
    {
      const char *key = g_hash_table_lookup (opts, "public-key");
      const char *out = g_hash_table_lookup (opts, "out");
      const char *url = g_hash_table_lookup (opts, "url");
      const char *days_s = g_hash_table_lookup (opts, "valid-days");
      const char *check_url = g_hash_table_lookup (opts, "receipt-check-url");
      gint64 days = 365;

      if (args->len != 2 || key == NULL || out == NULL)
        return usage_error ("provision VAN --public-key FILE --out DIR");
      if (tls_dir == NULL)
        return usage_error ("provision needs --tls-dir D (the ca-init dir)");
      if (days_s != NULL && !parse_int (days_s, 1, 3650, &days))
        return usage_error ("--valid-days must be 1–3650");
      if (url == NULL)
        url = "https://127.0.0.1:8443";
      if (check_url != NULL && !vp_receipt_check_base_validate (check_url, &error))
        return usage_error ("--receipt-check-url: %s", error->message);
      if (!vp_hq_provision (conn, args->pdata[1], key, tls_dir, url, check_url, (int) days, out,
                            &error))
        return fail (error);
      g_print ("Van %s registered; bundle written to %s\n"
               "On the van: vanpos-cli --db DB sync setup --bundle %s\n",
               (char *) args->pdata[1], out, out);
      return 0;
    }
  if (g_str_equal (cmd, "renew") || g_str_equal (cmd, "replace-laptop"))
    {
      gboolean replace = g_str_equal (cmd, "replace-laptop");
      const char *out = g_hash_table_lookup (opts, "out");
      const char *url = g_hash_table_lookup (opts, "url");
      const char *days_s = g_hash_table_lookup (opts, "valid-days");
      gint64 days = 365;
      gboolean ok;

      if (args->len != 2 || out == NULL)
        return usage_error (replace ? "replace-laptop VAN --out DIR --by WHO --why TEXT"
                                      " [--public-key FILE]" : "renew VAN --out DIR");
      if (!replace && g_hash_table_contains (opts, "public-key"))
        return usage_error ("renew keeps the van's journal key; a new key is replace-laptop");
      if (tls_dir == NULL)
        return usage_error ("%s needs --tls-dir D (the ca-init dir)", cmd);
      if (days_s != NULL && !parse_int (days_s, 1, 3650, &days))
        return usage_error ("--valid-days must be 1–3650");
      if (url == NULL)
        url = "https://127.0.0.1:8443";
      if (replace)
        ok = vp_hq_replace_laptop (conn, args->pdata[1], g_hash_table_lookup (opts, "public-key"),
                                   tls_dir, url, (int) days, out, g_hash_table_lookup (opts, "by"),
                                   g_hash_table_lookup (opts, "why"), &error);
      else
        ok = vp_hq_renew (conn, args->pdata[1], tls_dir, url, (int) days, out, &error);
      if (!ok)
        return fail (error);
      g_print ("Van %s: new certificate, valid %" G_GINT64_FORMAT " days; bundle written to %s\n"
               "The old certificate is refused from now on. On the van:"
               " vanpos-cli --db DB sync setup --bundle %s\n",
               (char *) args->pdata[1], days, out, out);
      return 0;
    }
  if (g_str_equal (cmd, "vans") || g_str_equal (cmd, "flags") || g_str_equal (cmd, "conflicts") ||
      (g_str_equal (cmd, "staff") && args->len == 2 && g_str_equal (args->pdata[1], "list")))
    {
      g_autofree char *text = NULL;
      const char *what = cmd;

      if (g_str_equal (cmd, "flags") && args->len >= 2 && g_str_equal (args->pdata[1], "resolve"))
        {
          gint64 id;

          if (args->len != 3 || !parse_int (args->pdata[2], 1, G_MAXINT64, &id))
            return usage_error ("flags resolve ID --by WHO --why TEXT");
          if (!vp_hq_flag_resolve (conn, id, g_hash_table_lookup (opts, "by"),
                                   g_hash_table_lookup (opts, "why"), &error))
            return fail (error);
          g_print ("Review flag %" G_GINT64_FORMAT " resolved\n", id);
          return 0;
        }
      if (g_str_equal (cmd, "conflicts") && args->len >= 2 &&
          g_str_equal (args->pdata[1], "resolve"))
        {
          gint64 seq;

          if (args->len != 4 || !parse_int (args->pdata[3], 1, G_MAXINT64, &seq))
            return usage_error ("conflicts resolve VAN SEQ --by WHO --why TEXT");
          if (!vp_hq_conflict_resolve (conn, args->pdata[2], seq, g_hash_table_lookup (opts, "by"),
                                       g_hash_table_lookup (opts, "why"), &error))
            return fail (error);
          g_print ("Conflict of van %s entry %" G_GINT64_FORMAT " resolved\n",
                   (char *) args->pdata[2], seq);
          return 0;
        }
      if (!g_str_equal (cmd, "staff") && args->len != 1)
        return usage_error ("%s [--all] [--json] takes no arguments", cmd);
      text = vp_hq_list (conn, what, g_hash_table_contains (opts, "all"),
                         g_hash_table_contains (opts, "json"), &error);
      if (text == NULL)
        return fail (error);
      g_print ("%s%s", text, g_str_has_suffix (text, "\n") ? "" : "\n");
      return 0;
    }
  if (g_str_equal (cmd, "staff"))
    {
      const char *sub = args->len >= 2 ? args->pdata[1] : "";

      if (g_str_equal (sub, "deactivate") && args->len == 3)
        {
          if (!vp_hq_staff_deactivate (conn, args->pdata[2], &error))
            return fail (error);
          g_print ("Staff %s deactivated; vans drop them at their next sync\n",
                   (char *) args->pdata[2]);
          return 0;
        }
      if (g_str_equal (sub, "unlock") && args->len == 3)
        {
          const char *van = g_hash_table_lookup (opts, "van");
          gint64 n = 0;

          if (!vp_hq_pin_unlock (conn, args->pdata[2], van, &n, &error))
            return fail (error);
          if (n == 0)
            {
              g_printerr ("vanpos-hq: staff %s has no wrong PINs on record%s%s; nothing changed\n",
                          (char *) args->pdata[2], van ? " at van " : "", van ? van : "");
              return 1;
            }
          g_print ("Staff %s unlocked at %" G_GINT64_FORMAT " van%s\n", (char *) args->pdata[2], n,
                   n == 1 ? "" : "s");
          return 0;
        }
      return usage_error ("staff list [--all] [--json] | staff deactivate ID |"
                          " staff unlock ID [--van VAN]");
    }
  if (g_str_equal (cmd, "card-key-new"))
    {
      gint64 version;

      if (args->len != 1)
        return usage_error ("card-key-new takes no arguments");
      if (!vp_hq_card_key_new (conn, &version, &error))
        return fail (error);
      g_print ("Card master key version %" G_GINT64_FORMAT " created; vans write with it once"
               " renewed (vanpos-hq renew VAN) and keep reading older versions\n", version);
      return 0;
    }
  if (g_str_equal (cmd, "revoke"))
    {
      if (args->len != 2)
        return usage_error ("revoke VAN");
      if (!vp_hq_revoke (conn, args->pdata[1], &error))
        return fail (error);
      g_print ("Van %s revoked; its certificate is refused from now on\n", (char *) args->pdata[1]);
      return 0;
    }
  if (g_str_equal (cmd, "staff-add"))
    {
      const char *it_s = g_hash_table_lookup (opts, "pin-iterations");
      gint64 iterations = VP_PIN_ITERATIONS;

      if (args->len != 2)
        return usage_error ("staff-add ID --name N --role operator|supervisor --pin PIN");
      if (it_s != NULL && !parse_int (it_s, 1000, 10000000, &iterations))
        return usage_error ("--pin-iterations must be at least 1000");
      if (!vp_hq_staff_add (conn, args->pdata[1], g_hash_table_lookup (opts, "name"),
                            g_hash_table_lookup (opts, "role"), g_hash_table_lookup (opts, "pin"),
                            (guint) iterations, &error))
        return fail (error);
      g_print ("Staff %s saved\n", (char *) args->pdata[1]);
      return 0;
    }
  if (g_str_equal (cmd, "import"))
    {
      gint64 n = 0;

      if (args->len != 3)
        return usage_error ("import accounts|bills|tariffs FILE.csv");
      if (!vp_hq_import_csv (conn, args->pdata[1], args->pdata[2], &n, &error))
        return fail (error);
      g_print ("%" G_GINT64_FORMAT " %s imported\n", n, (char *) args->pdata[1]);
      return 0;
    }
  if (g_str_equal (cmd, "demo"))
    {
      gint64 n;
      gint64 t0 = g_get_monotonic_time ();

      if (!parse_int (g_hash_table_lookup (opts, "accounts"), 1, 10000000, &n))
        return usage_error ("demo --accounts N (1–10000000)");
      if (!vp_hq_demo (conn, n, &error))
        return fail (error);
      g_print ("%" G_GINT64_FORMAT " demo accounts created in %.1f s\n", n,
               (g_get_monotonic_time () - t0) / 1e6);
      return 0;
    }
  if (g_str_equal (cmd, "status"))
    {
      g_autofree char *text = vp_hq_status (conn, g_hash_table_contains (opts, "json"), &error);

      if (text == NULL)
        return fail (error);
      g_print ("%s%s", text, g_str_has_suffix (text, "\n") ? "" : "\n");
      return 0;
    }
  if (g_str_equal (cmd, "export-day"))
    {
      const char *out = g_hash_table_lookup (opts, "out");
      gint64 n = 0;

      if (args->len != 2 || out == NULL)
        return usage_error ("export-day DATE --out FILE.csv");
      if (!vp_hq_export_day (conn, args->pdata[1], out, &n, &error))
        return fail (error);
      g_print ("%" G_GINT64_FORMAT " entries written to %s\n", n, out);
      return 0;
    }
  if (g_str_equal (cmd, "serve"))
    {
      const char *listen = g_hash_table_lookup (opts, "listen");
      VpHqServeOptions so;
      static const struct { const char *name; gsize offset; gint64 min, max; } knobs[] = {
        { "workers", G_STRUCT_OFFSET (VpHqServeOptions, workers), 1, 256 },
        { "db-pool", G_STRUCT_OFFSET (VpHqServeOptions, db_pool), 1, 256 },
        { "backlog", G_STRUCT_OFFSET (VpHqServeOptions, backlog), 16, 65535 },
        { "max-connections", G_STRUCT_OFFSET (VpHqServeOptions, max_connections), 16, 100000 },
        { "handshake-timeout", G_STRUCT_OFFSET (VpHqServeOptions, handshake_timeout), 1, 3600 },
        { "header-timeout", G_STRUCT_OFFSET (VpHqServeOptions, header_timeout), 1, 3600 },
        { "body-timeout", G_STRUCT_OFFSET (VpHqServeOptions, body_timeout), 1, 3600 },
        { "idle-timeout", G_STRUCT_OFFSET (VpHqServeOptions, idle_timeout), 1, 3600 },
        { "public-rate", G_STRUCT_OFFSET (VpHqServeOptions, public_rate), 1, 100000 },
        { "missing-after", G_STRUCT_OFFSET (VpHqServeOptions, missing_after), 0, 24 * 366 },
      };

      if (args->len != 1)
        return usage_error ("serve takes no arguments");
      if (tls_dir == NULL)
        return usage_error ("serve needs --tls-dir D (the ca-init dir)");
      vp_hq_serve_options_init (&so);
      so.conninfo = conninfo;
      so.public_listen = g_hash_table_lookup (opts, "public-listen");
      so.public_port_file = g_hash_table_lookup (opts, "public-port-file");
      if (so.public_listen == NULL &&
          (g_hash_table_contains (opts, "public-port-file") || g_hash_table_contains (opts, "public-rate") ||
           g_hash_table_contains (opts, "missing-after")))
        return usage_error ("--public-port-file, --public-rate and --missing-after need --public-listen");
      for (guint i = 0; i < G_N_ELEMENTS (knobs); i++)
        {
          const char *text = g_hash_table_lookup (opts, knobs[i].name);
          gint64 v;

          if (text == NULL)
            continue;
          if (!parse_int (text, knobs[i].min, knobs[i].max, &v))
            return usage_error ("--%s must be %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT,
                                knobs[i].name, knobs[i].min, knobs[i].max);
          G_STRUCT_MEMBER (guint, &so, knobs[i].offset) = (guint) v;
        }
      /* The server opens its own pool of connections. */
      g_clear_pointer (&conn, PQfinish);
      g_log_set_writer_func (dated_log_writer, NULL, NULL);
      if (!vp_hq_serve (&so, listen ? listen : "127.0.0.1:8443", tls_dir,
                        g_hash_table_lookup (opts, "port-file"), &error))
        return fail (error);
      return 0;
    }
  return usage_error ("unknown command “%s”", cmd);
}
