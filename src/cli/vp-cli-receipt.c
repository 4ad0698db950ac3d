/* vp-cli-receipt.c: receipts a resident can check.
 *
 *   vanpos-cli reprint RECEIPT --staff ID --pin PIN [--printer SPEC] [--json]
 *   vanpos-cli verify-receipt RECEIPT CODE [--json]
 *   vanpos-cli receipt-check-url [URL | --clear] [--staff SUP --pin PIN]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vanpos-cli"

#include "config.h"

#include <string.h>

#include "vp-cli.h"
#include "vp-service-print.h"

#define FAIL_IF(cond) G_STMT_START { if (cond) return vp_cli_fail (cli, error); } G_STMT_END

int
vp_cli_resolve_receipt (VpCli      *cli,
                        const char *command,
                        const char *arg,
                        gint64     *out_seq)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = NULL;
  gsize n = strspn (arg, "0123456789");

  /* A plain number is the entry's seq, as `journal` lists it; a receipt
   * number always has its dashes. */
  if ((n > 0 && arg[n] == '\0') || strchr (arg, '-') == NULL)
    {
      char *end = NULL;

      *out_seq = g_ascii_strtoll (arg, &end, 10);
      if (end == arg || *out_seq <= 0 || *end != '\0')
        return vp_cli_usage_error (cli, command, "SEQ must be a positive whole number");
      return VP_CLI_EXIT_OK;
    }
  if (!vp_receipt_number_parse (arg, NULL, NULL, NULL, &error))
    return vp_cli_usage_error (cli, command, "%s", error->message);
  entry = vp_receipt_store_find (cli->db, arg, &error);
  FAIL_IF (entry == NULL);
  *out_seq = entry->seq;
  return VP_CLI_EXIT_OK;
}

/* --- reprint ---------------------------------------------------------------- */

static int
cmd_reprint (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *staff_id = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *printer = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *out = NULL;
  gboolean json = FALSE;
  gint columns = VP_PRINT_COLUMNS_58MM;
  gint64 seq = 0;
  int rc;
  GOptionEntry entries[] = {
    { "staff", 0, 0, G_OPTION_ARG_STRING, &staff_id, "Staff id", "ID" },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &pin, "Staff PIN", "PIN" },
    { "printer", 0, 0, G_OPTION_ARG_STRING, &printer, "pdf, escpos:DEVICE or text:FILE (default: show it)", "SPEC" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Folder for PDF receipts", "DIR" },
    { "columns", 0, 0, G_OPTION_ARG_INT, &columns, "Paper width in columns (32 or 48)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reprint entry as one JSON object", NULL },
    { NULL }
  };

  if (!vp_cli_parse (cli, "reprint", "RECEIPT|SEQ", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "reprint", "give the RECEIPT number (or SEQ) to reprint");
  if (columns < 24 || columns > 64)
    return vp_cli_usage_error (cli, "reprint", "--columns must be 24–64");
  if (staff_id == NULL || pin == NULL)
    return vp_cli_usage_error (cli, "reprint", "--staff ID and --pin PIN are required: a reprint is journaled");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  if ((rc = vp_cli_resolve_receipt (cli, "reprint", argv[1], &seq)) != VP_CLI_EXIT_OK)
    return rc;
  staff = vp_cli_login (cli, staff_id, pin, &error);
  FAIL_IF (staff == NULL);

  if (printer == NULL || json)
    {
      g_autoptr(VpJournalEntry) reprint = NULL;
      g_autoptr(VpReceipt) r = vp_service_reprint_receipt (cli->service, staff, seq, &reprint, &error);
      g_autofree char *text = NULL;

      FAIL_IF (r == NULL);
      if (json)
        vp_cli_print_entry (reprint, TRUE);
      if (printer != NULL)
        {
          g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (reprint);
          g_autofree char *name = g_strdup_printf ("%s-copy%" G_GINT64_FORMAT,
                                                   json_object_get_string_member (p, "reprinted_receipt"),
                                                   json_object_get_int_member (p, "copy"));

          if (!vp_print_receipt (r, printer, dir, name, &out, &error))
            {
              g_printerr ("%s: the reprint is journaled as entry %" G_GINT64_FORMAT
                          ", but printing failed: %s\n", cli->prog, reprint->seq, error->message);
              return VP_CLI_EXIT_PARTIAL;
            }
          return VP_CLI_EXIT_OK;
        }
      if (!json)
        {
          text = vp_receipt_render_text (r, columns);
          g_print ("%s", text);
        }
      return VP_CLI_EXIT_OK;
    }
  if (!vp_service_print_reprint (cli->service, staff, seq, printer, dir, &out, &error))
    {
      /* Journaled first: say so when only the printing failed. */
      if (error->domain == VP_PRINT_ERROR)
        {
          g_printerr ("%s: the reprint is journaled, but printing failed: %s\n", cli->prog,
                      error->message);
          return VP_CLI_EXIT_PARTIAL;
        }
      return vp_cli_fail (cli, error);
    }
  if (out != NULL)
    g_print ("Printed to %s\n", out);
  return VP_CLI_EXIT_OK;
}

/* --- verify-receipt ----------------------------------------------------------- */

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

static int
verify_answer (const char           *receipt,
               const char           *status,
               const VpJournalEntry *entry,
               VpMoney               amount,
               const VpJournalEntry *voided_by,
               gboolean              json,
               int                   rc)
{
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "receipt");
      json_builder_add_string_value (b, receipt);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, status);
      /* Amount and date only for a receipt the code proves. */
      if (entry != NULL)
        {
          g_autofree char *when = format_time (entry->device_time);

          json_builder_set_member_name (b, "kind");
          json_builder_add_string_value (b, entry->kind);
          json_builder_set_member_name (b, "amount");
          json_builder_add_int_value (b, amount);
          json_builder_set_member_name (b, "device_time");
          json_builder_add_int_value (b, entry->device_time);
          json_builder_set_member_name (b, "date");
          json_builder_add_string_value (b, when);
        }
      if (voided_by != NULL)
        {
          g_autofree char *by = vp_journal_receipt_number (voided_by->van_id, voided_by->device_time,
                                                           voided_by->seq);
          g_autofree char *when = format_time (voided_by->device_time);

          json_builder_set_member_name (b, "voided_by");
          json_builder_add_string_value (b, by);
          json_builder_set_member_name (b, "voided_at");
          json_builder_add_string_value (b, when);
        }
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      vp_cli_print_json (node);
      return rc;
    }
  if (entry == NULL)
    {
      if (g_str_equal (status, VP_RECEIPT_STATUS_MISMATCH))
        g_print ("%s: code mismatch (the code does not match this van's journal)\n", receipt);
      else
        g_print ("%s: unknown (this van's journal holds no such receipt)\n", receipt);
      return rc;
    }
  {
    g_autofree char *m = vp_money_format (amount);
    g_autofree char *when = format_time (entry->device_time);

    if (voided_by != NULL)
      {
        g_autofree char *by = vp_journal_receipt_number (voided_by->van_id, voided_by->device_time,
                                                         voided_by->seq);
        g_autofree char *at = format_time (voided_by->device_time);

        g_print ("%s: voided by %s at %s (was %s %s, %s)\n", receipt, by, at, entry->kind, m, when);
      }
    else
      g_print ("%s: paid %s %s (%s)\n", receipt, m, when, entry->kind);
  }
  return rc;
}

static int
cmd_verify_receipt (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autoptr(VpJournalEntry) voided_by = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autofree char *code = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *pem = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { NULL }
  };

  if (!vp_cli_parse (cli, "verify-receipt", "RECEIPT CODE", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 3)
    return vp_cli_usage_error (cli, "verify-receipt",
                               "give the RECEIPT number and its verification CODE");
  if (!vp_receipt_number_parse (argv[1], NULL, NULL, NULL, &error))
    return vp_cli_usage_error (cli, "verify-receipt", "%s", error->message);
  code = vp_receipt_code_normalize (argv[2], &error);
  if (code == NULL)
    return vp_cli_usage_error (cli, "verify-receipt", "%s", error->message);
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));

  entry = vp_receipt_store_find (cli->db, argv[1], &error);
  if (entry == NULL)
    {
      if (!g_error_matches (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND))
        return vp_cli_fail (cli, error);
      /* A journal that was cut cannot say a receipt never existed: the
       * missing one may be what was cut (DESIGN §4). */
      if (vp_database_get_break (cli->db) != NULL)
        {
          g_printerr ("%s: %s is not in this van's journal, but the journal has a break (%s): "
                      "it may have been cut from it; report the receipt to HQ\n", cli->prog,
                      argv[1], vp_database_get_break (cli->db)->message);
          return VP_CLI_EXIT_DAMAGED;
        }
      return verify_answer (argv[1], VP_RECEIPT_STATUS_UNKNOWN, NULL, 0, NULL, json,
                            VP_CLI_EXIT_NOT_FOUND);
    }
  /* The journal's own word must hold before it vouches for a receipt: the
   * entry's hash over its content and the van's signature over the hash. */
  pem = vp_database_dup_public_key_pem (cli->db);
  if (!vp_journal_entry_verify (entry, NULL, pem, &error))
    {
      g_prefix_error (&error, "entry %" G_GINT64_FORMAT " of the journal does not verify: ",
                      entry->seq);
      return vp_cli_fail (cli, error);
    }
  expected = vp_journal_verify_code (entry->hash);
  if (g_strcmp0 (expected, code) != 0)
    return verify_answer (argv[1], VP_RECEIPT_STATUS_MISMATCH, NULL, 0, NULL, json,
                          VP_CLI_EXIT_FAILED);
  voided_by = vp_receipt_store_voided_by (cli->db, entry->seq, &error);
  FAIL_IF (voided_by == NULL && error != NULL);
  payload = vp_journal_entry_parse_payload (entry);
  return verify_answer (argv[1], voided_by ? VP_RECEIPT_STATUS_VOIDED : VP_RECEIPT_STATUS_PAID,
                        entry, payload ? vp_receipt_amount (entry->kind, payload) : 0, voided_by,
                        json, voided_by ? VP_CLI_EXIT_FAILED : VP_CLI_EXIT_OK);
}

/* --- receipt-check-url ------------------------------------------------------------ */

static int
cmd_receipt_check_url (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *staff_id = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *url = NULL;
  gboolean clear = FALSE;
  GOptionEntry entries[] = {
    { "clear", 0, 0, G_OPTION_ARG_NONE, &clear, "Remove it: receipts carry no QR code", NULL },
    { "staff", 0, 0, G_OPTION_ARG_STRING, &staff_id, "Supervisor's staff id (to change it)", "SUP" },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &pin, "Supervisor's PIN", "PIN" },
    { NULL }
  };

  if (!vp_cli_parse (cli, "receipt-check-url", "[URL]", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc > 2 || (argc == 2 && clear))
    return vp_cli_usage_error (cli, "receipt-check-url", "give one URL, or --clear");
  if (argc == 2 && !vp_receipt_check_base_validate (argv[1], &error))
    return vp_cli_usage_error (cli, "receipt-check-url", "%s", error->message);
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  if (argc == 1 && !clear)
    {
      url = vp_receipt_store_get_check_url (cli->db);
      if (url == NULL)
        g_print ("not set: receipts carry no QR code\n");
      else
        g_print ("%s\n", url);
      return VP_CLI_EXIT_OK;
    }
  /* Where residents are sent to check their receipts: a supervisor's
   * decision, never an operator's. */
  if (staff_id == NULL || pin == NULL)
    return vp_cli_usage_error (cli, "receipt-check-url", "a supervisor's --staff and --pin are required");
  staff = vp_cli_login (cli, staff_id, pin, &error);
  FAIL_IF (staff == NULL);
  if (staff->role != VP_ROLE_SUPERVISOR)
    {
      g_printerr ("%s: only a supervisor may change the receipt check address\n", cli->prog);
      return VP_CLI_EXIT_AUTH;
    }
  FAIL_IF (!vp_receipt_store_set_check_url (cli->db, clear ? NULL : argv[1], &error));
  if (clear)
    g_print ("Receipt check address removed: receipts carry no QR code\n");
  else
    g_print ("Receipts now carry a QR code for %s\n", argv[1]);
  return VP_CLI_EXIT_OK;
}

const VpCliCommand vp_cli_receipt_commands[] = {
  { "reprint", cmd_reprint, "Reprint a receipt as a journaled duplicate (重印)" },
  { "verify-receipt", cmd_verify_receipt, "Check a receipt number and code against the journal" },
  { "receipt-check-url", cmd_receipt_check_url, "Show or set HQ's public receipt check address" },
  { NULL, NULL, NULL }
};
