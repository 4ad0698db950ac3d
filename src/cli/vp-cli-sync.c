/* vp-cli-sync.c: end-of-day sync with headquarters.
 *
 *   vanpos-cli sync --staff SUP --pin PIN [--json]
 *   vanpos-cli sync setup --bundle DIR
 *   vanpos-cli sync status [--json]
 *   vanpos-cli sync export-master --out DIR
 *   vanpos-cli export-key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vanpos-cli"

#include "config.h"

#include <string.h>

#include "vp-cli.h"
#include "vp-service-sync.h"

static int
sync_fail (VpCli        *cli,
           const GError *error)
{
  if (error->domain != VP_SYNC_ERROR && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return vp_cli_fail (cli, error);
  g_printerr ("%s: sync failed: %s\n", cli->prog, error->message);
  if (cli->db != NULL && vp_database_is_initialized (cli->db))
    g_printerr ("%s: the outbox keeps %" G_GINT64_FORMAT " entries for the next sync\n",
                cli->prog, vp_outbox_store_count_pending (cli->db));
  if (error->domain == VP_SYNC_ERROR && error->code == VP_SYNC_ERROR_AUTH)
    return VP_CLI_EXIT_AUTH;
  return VP_CLI_EXIT_FAILED;
}

static void
progress_cb (const char *stage,
             gint64      done,
             gint64      total,
             gpointer    user_data)
{
  if (g_str_equal (stage, "session"))
    g_printerr ("%s\n", done == 0 ? "Logging in to HQ…" : "Logged in to HQ");
  else if (g_str_equal (stage, "push"))
    g_printerr ("push: %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT " entries\n", done, total);
  else if (g_str_equal (stage, "pull"))
    g_printerr ("pull: %" G_GINT64_FORMAT " master rows%s\n", done, total < 0 ? "…" : "");
}

static void
print_summary (const VpSyncResult *r)
{
  g_autofree char *amount = vp_money_format (r->hq_amount);

  for (guint i = 0; i < r->conflict_details->len; i++)
    {
      VpPushOutcome *o = g_ptr_array_index (r->conflict_details, i);

      g_printerr ("%s: entry %" G_GINT64_FORMAT ": %s\n",
                  g_strcmp0 (o->outcome, "rejected") == 0 ? "rejected by HQ" : "conflict",
                  o->seq, o->detail ? o->detail : "");
    }
  if (r->drift_warning)
    g_printerr ("warning: %s\n", r->drift_warning);
  if (r->resent > 0)
    g_printerr ("warning: HQ had lost entries it acknowledged; %" G_GINT64_FORMAT
                " entries from #%" G_GINT64_FORMAT " were sent again\n", r->resent, r->resent_from);
  g_print ("Synced: pushed %" G_GINT64_FORMAT " (accepted %" G_GINT64_FORMAT ", duplicate %"
           G_GINT64_FORMAT ", conflict %" G_GINT64_FORMAT "); HQ acknowledged %" G_GINT64_FORMAT
           " entries, %s (up to #%" G_GINT64_FORMAT "); %" G_GINT64_FORMAT " account(s) renamed;"
           " master: %" G_GINT64_FORMAT " accounts, %" G_GINT64_FORMAT " bills, %" G_GINT64_FORMAT
           " tariffs, %" G_GINT64_FORMAT " staff, %" G_GINT64_FORMAT " blocked cards in %"
           G_GINT64_FORMAT " page(s); %.1f s\n",
           r->pushed, r->accepted, r->duplicates, r->conflicts, r->hq_entries, amount,
           r->acked_seq, r->accounts_renamed + r->master.renamed, r->master.accounts,
           r->master.bills, r->master.tariffs, r->master.staff, r->master.blocked_cards,
           r->master_pages, r->seconds);
}

static int
sync_run (VpCli      *cli,
          const char *staff,
          const char *pin,
          gboolean    json,
          gint        retries,
          gint        retry_delay,
          gint        timeout,
          gint        master_limit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSyncClient) client = NULL;
  g_autoptr(VpSyncResult) result = NULL;
  VpSyncOptions options = { 0 };

  if (staff == NULL || pin == NULL)
    return vp_cli_usage_error (cli, "sync", "--staff ID and --pin PIN of a supervisor are required");
  if (retries < 0 || retry_delay < 0 || timeout < 0 || master_limit < 0)
    return vp_cli_usage_error (cli, "sync", "--retries, --retry-delay, --timeout and "
                                            "--master-limit must not be negative");
  if (!vp_cli_open (cli, TRUE, &error))
    return vp_cli_fail (cli, error);
  client = vp_sync_client_new_for_database (cli->db, &error);
  if (client == NULL)
    return sync_fail (cli, error);
  if (retries > 0)
    vp_sync_client_set_retry (client, retries, retry_delay > 0 ? retry_delay : 500,
                              MAX (30000, retry_delay));
  else if (retry_delay > 0)
    vp_sync_client_set_retry (client, 5, retry_delay, MAX (30000, retry_delay));
  if (timeout > 0)
    vp_sync_client_set_timeouts (client, timeout, timeout, timeout * 4);
  options.master_limit = master_limit;

  result = vp_service_sync_with_client (cli->service, client, staff, pin, &options,
                                        progress_cb, NULL, NULL, &error);
  if (result == NULL)
    return sync_fail (cli, error);
  if (json)
    {
      g_autoptr(JsonNode) node = vp_sync_result_to_json (result);

      vp_cli_print_json (node);
      if (result->drift_warning)
        g_printerr ("warning: %s\n", result->drift_warning);
    }
  else
    print_summary (result);
  return VP_CLI_EXIT_OK;
}

static int
sync_status (VpCli    *cli,
             gboolean  json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  if (!vp_cli_open (cli, TRUE, &error))
    return vp_cli_fail (cli, error);
  node = vp_service_sync_status (cli->service);
  if (json)
    {
      vp_cli_print_json (node);
      return VP_CLI_EXIT_OK;
    }
  o = json_node_get_object (node);
  if (!json_object_get_boolean_member (o, "configured"))
    g_print ("HQ:            not set up (run “sync setup --bundle DIR”)\n");
  else
    g_print ("HQ:            %s\n", json_object_get_string_member (o, "url"));
  g_print ("van:           %s\n", json_object_get_string_member (o, "van"));
  g_print ("journal:       %" G_GINT64_FORMAT " entries, %" G_GINT64_FORMAT " waiting in the outbox\n",
           json_object_get_int_member (o, "last_seq"), json_object_get_int_member (o, "pending"));
  {
    g_autofree char *amount = vp_money_format (json_object_get_int_member (o, "hq_acked_amount"));
    gint64 last = json_object_get_int_member (o, "last_sync_time");
    g_autofree char *when = NULL;

    if (last > 0)
      {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (last / G_USEC_PER_SEC);
        when = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
      }
    g_print ("HQ holds:      %" G_GINT64_FORMAT " entries (up to #%" G_GINT64_FORMAT "), %s\n",
             json_object_get_int_member (o, "hq_acked_entries"),
             json_object_get_int_member (o, "acked_seq"), amount);
    g_print ("last sync:     %s\n", when ? when : "never");
  }
  return VP_CLI_EXIT_OK;
}

static int
cmd_sync (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *staff = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *bundle = NULL;
  g_autofree char *out = NULL;
  gboolean json = FALSE;
  gint retries = 0, retry_delay = 0, timeout = 0, master_limit = 0;
  GOptionEntry entries[] = {
    { "staff", 0, 0, G_OPTION_ARG_STRING, &staff, "Supervisor's staff id", "ID" },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &pin, "Supervisor's PIN", "PIN" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { "bundle", 0, 0, G_OPTION_ARG_FILENAME, &bundle, "setup: the provisioning bundle from HQ", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "export-master: where to write the CSV files", "DIR" },
    { "retries", 0, 0, G_OPTION_ARG_INT, &retries, "Attempts per request (default 5)", "N" },
    { "retry-delay", 0, 0, G_OPTION_ARG_INT, &retry_delay, "First retry delay (default 500)", "MS" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Connect / stall timeout (default 10 / 30)", "S" },
    { "master-limit", 0, 0, G_OPTION_ARG_INT, &master_limit, "Master rows per page", "N" },
    { NULL }
  };

  if (!vp_cli_parse (cli, "sync", "[setup|status|export-master]", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc > 2)
    return vp_cli_usage_error (cli, "sync", "unexpected argument “%s”", argv[2]);

  if (argc == 1)
    return sync_run (cli, staff, pin, json, retries, retry_delay, timeout, master_limit);

  if (g_str_equal (argv[1], "setup"))
    {
      if (bundle == NULL)
        return vp_cli_usage_error (cli, "sync", "setup needs --bundle DIR");
      g_autofree char *url = NULL;

      if (!vp_cli_open (cli, TRUE, &error))
        return vp_cli_fail (cli, error);
      if (!vp_sync_setup_from_bundle (cli->db, bundle, &error))
        {
          g_printerr ("%s: sync setup failed: %s\n", cli->prog, error->message);
          return VP_CLI_EXIT_FAILED;
        }
      url = vp_database_get_meta (cli->db, VP_META_HQ_URL);
      g_print ("Van %s set up for HQ %s\n", vp_database_get_van_id (cli->db), url);
      return VP_CLI_EXIT_OK;
    }
  if (g_str_equal (argv[1], "status"))
    return sync_status (cli, json);
  if (g_str_equal (argv[1], "export-master"))
    {
      gint64 n = 0;

      if (out == NULL)
        return vp_cli_usage_error (cli, "sync", "export-master needs --out DIR");
      if (!vp_cli_open (cli, TRUE, &error) ||
          !vp_sync_store_export_csv (cli->db, out, &n, &error))
        return vp_cli_fail (cli, error);
      g_print ("Wrote %s/accounts.csv (%" G_GINT64_FORMAT " accounts), bills.csv, tariffs.csv\n",
               out, n);
      return VP_CLI_EXIT_OK;
    }
  return vp_cli_usage_error (cli, "sync", "unknown sub-command “%s”; say setup, status or "
                                          "export-master, or nothing to sync", argv[1]);
}

static int
cmd_export_key (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;

  if (!vp_cli_parse (cli, "export-key", NULL, NULL, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 1)
    return vp_cli_usage_error (cli, "export-key", "unexpected argument “%s”", argv[1]);
  if (!vp_cli_open (cli, TRUE, &error))
    return vp_cli_fail (cli, error);
  pem = vp_database_dup_public_key_pem (cli->db);
  if (pem == NULL)
    {
      g_set_error (&error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_INITIALIZED,
                   "This van has no journal key");
      return vp_cli_fail (cli, error);
    }
  g_print ("%s", pem);
  return VP_CLI_EXIT_OK;
}

const VpCliCommand vp_cli_sync_commands[] = {
  { "sync", cmd_sync, "End-of-day sync with HQ; sync setup|status|export-master" },
  { "export-key", cmd_export_key, "Print the van's journal public key (PEM) for HQ" },
  { NULL, NULL, NULL }
};
