/* vp-cli-print.c: receipts that wait for a printer.
 *
 *   vanpos-cli print-queue list [--json]
 *   vanpos-cli print-queue retry [ID] [--printer SPEC] [--dir DIR]
 *   vanpos-cli print-queue drop ID
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vanpos-cli"

#include "config.h"

#include "vp-cli.h"
#include "vp-service-print.h"

#define FAIL_IF(cond) G_STMT_START { if (cond) return vp_cli_fail (cli, error); } G_STMT_END

static char *
when (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  return g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
}

static void
print_jobs (GPtrArray *jobs,
            gboolean   json)
{
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "jobs");
      json_builder_begin_array (b);
      for (guint i = 0; i < jobs->len; i++)
        {
          VpPrintJob *j = jobs->pdata[i];

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_int_value (b, j->id);
          json_builder_set_member_name (b, "seq");
          json_builder_add_int_value (b, j->seq);
          json_builder_set_member_name (b, "printer");
          json_builder_add_string_value (b, j->printer);
          json_builder_set_member_name (b, "error");
          json_builder_add_string_value (b, j->error);
          json_builder_set_member_name (b, "attempts");
          json_builder_add_int_value (b, j->attempts);
          json_builder_set_member_name (b, "queued_at");
          json_builder_add_int_value (b, j->queued_at);
          json_builder_set_member_name (b, "tried_at");
          json_builder_add_int_value (b, j->tried_at);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      vp_cli_print_json (root);
      return;
    }
  if (jobs->len == 0)
    {
      g_print ("No receipts wait for a printer\n");
      return;
    }
  for (guint i = 0; i < jobs->len; i++)
    {
      VpPrintJob *j = jobs->pdata[i];
      g_autofree char *t = when (j->tried_at);

      g_print ("job %" G_GINT64_FORMAT "  entry %" G_GINT64_FORMAT "  %s  tried %" G_GINT64_FORMAT
               "× (last %s): %s\n", j->id, j->seq, j->printer, j->attempts, t, j->error);
    }
}

static gboolean
parse_id (const char *text,
          gint64     *out)
{
  char *end = NULL;

  *out = g_ascii_strtoll (text, &end, 10);
  return end != text && *end == '\0' && *out > 0;
}

static int
cmd_print_queue (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *printer = NULL;
  g_autofree char *dir = NULL;
  gboolean json = FALSE;
  gint64 id = 0;
  GOptionEntry entries[] = {
    { "printer", 0, 0, G_OPTION_ARG_STRING, &printer,
      "retry: print on this printer instead of the one that failed", "SPEC" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "retry: folder for PDF receipts", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "list: print one JSON object", NULL },
    { NULL }
  };

  if (!vp_cli_parse (cli, "print-queue", "list|retry [ID]|drop ID", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc < 2)
    return vp_cli_usage_error (cli, "print-queue", "say list, retry or drop");

  if (g_str_equal (argv[1], "list"))
    {
      g_autoptr(GPtrArray) jobs = NULL;

      if (argc != 2)
        return vp_cli_usage_error (cli, "print-queue", "list takes no arguments");
      FAIL_IF (!vp_cli_open (cli, TRUE, &error));
      jobs = vp_service_print_queue_list (cli->service, &error);
      FAIL_IF (jobs == NULL);
      print_jobs (jobs, json);
      return VP_CLI_EXIT_OK;
    }

  if (g_str_equal (argv[1], "drop"))
    {
      if (argc != 3 || !parse_id (argv[2], &id))
        return vp_cli_usage_error (cli, "print-queue", "drop takes the ID of a job (print-queue list)");
      FAIL_IF (!vp_cli_open (cli, TRUE, &error));
      FAIL_IF (!vp_service_print_queue_drop (cli->service, id, &error));
      g_print ("Dropped job %" G_GINT64_FORMAT "; its entry is unchanged "
               "(vanpos-cli receipt SEQ prints it any time)\n", id);
      return VP_CLI_EXIT_OK;
    }

  if (g_str_equal (argv[1], "retry"))
    {
      g_autoptr(GPtrArray) jobs = NULL;
      guint printed = 0, failed = 0;

      if (argc > 3 || (argc == 3 && !parse_id (argv[2], &id)))
        return vp_cli_usage_error (cli, "print-queue", "retry takes the ID of a job, or none for all");
      FAIL_IF (!vp_cli_open (cli, TRUE, &error));
      if (id > 0)
        {
          g_autofree char *out = NULL;

          FAIL_IF (!vp_service_print_queue_retry (cli->service, id, printer, dir, &out, &error));
          g_print ("Printed job %" G_GINT64_FORMAT "%s%s\n", id, out ? " to " : "", out ? out : "");
          return VP_CLI_EXIT_OK;
        }
      jobs = vp_service_print_queue_list (cli->service, &error);
      FAIL_IF (jobs == NULL);
      for (guint i = 0; i < jobs->len; i++)
        {
          VpPrintJob *j = jobs->pdata[i];
          g_autoptr(GError) job_error = NULL;
          g_autofree char *out = NULL;

          if (vp_service_print_queue_retry (cli->service, j->id, printer, dir, &out, &job_error))
            {
              g_print ("Printed job %" G_GINT64_FORMAT "%s%s\n", j->id, out ? " to " : "", out ? out : "");
              printed++;
            }
          else
            {
              g_printerr ("%s: job %" G_GINT64_FORMAT ": %s\n", cli->prog, j->id, job_error->message);
              failed++;
            }
        }
      if (failed == 0)
        {
          if (printed == 0)
            g_print ("No receipts wait for a printer\n");
          return VP_CLI_EXIT_OK;
        }
      /* Some printed and left the queue, the others still wait. */
      return printed > 0 ? VP_CLI_EXIT_PARTIAL : VP_CLI_EXIT_FAILED;
    }

  return vp_cli_usage_error (cli, "print-queue", "say list, retry or drop, not “%s”", argv[1]);
}

const VpCliCommand vp_cli_print_commands[] = {
  { "print-queue", cmd_print_queue, "Receipts that wait for a printer: list, retry or drop" },
  { NULL, NULL, NULL }
};
