/* vanpos-cli.c: every van operation, headless.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vanpos-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdarg.h>
#include <string.h>

#include "vp-cli.h"

static const VpCliCommand *tables[] = {
  vp_cli_core_commands,
  vp_cli_card_commands,
  vp_cli_sync_commands,
  vp_cli_print_commands,
  vp_cli_receipt_commands,
};

gboolean
vp_cli_parse (VpCli         *cli,
              const char    *command,
              const char    *params,
              GOptionEntry  *entries,
              int           *argc,
              char        ***argv)
{
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = g_strdup_printf ("%s %s", command, params ? params : "");

  ctx = g_option_context_new (title);
  g_option_context_set_help_enabled (ctx, TRUE);
  g_option_context_set_strict_posix (ctx, FALSE);
  if (entries)
    g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("%s %s: %s\n", cli->prog, command, error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
vp_cli_open (VpCli    *cli,
             gboolean  need_van,
             GError  **error)
{
  if (cli->db == NULL)
    {
      if (cli->db_path == NULL)
        {
          g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                       "No database given; use --db PATH (or set VANPOS_DB)");
          return FALSE;
        }
      cli->db = vp_database_open (cli->db_path, VP_DATABASE_OPEN_DEFAULT, error);
      if (cli->db == NULL)
        return FALSE;
      cli->service = vp_service_new (cli->db);
    }
  if (need_van && !vp_database_is_initialized (cli->db))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_INITIALIZED,
                   "%s is not set up for a van; run “%s --db %s init --van VAN01” first",
                   cli->db_path, cli->prog, cli->db_path);
      return FALSE;
    }
  return TRUE;
}

VpStaff *
vp_cli_login (VpCli       *cli,
              const char  *staff_id,
              const char  *pin,
              GError     **error)
{
  /* Every command that signs in writes: a broken journal refuses before
   * the PIN is even checked. */
  if (!vp_database_check_writable (cli->db, error))
    return NULL;
  /* The app checks the file when it starts; the CLI before it writes
   * (about 80 ms at 20,000 accounts). Damage found is remembered beside
   * the key, so later commands refuse at once. */
  if (!cli->integrity_checked)
    {
      if (!vp_database_check_integrity (cli->db, error))
        {
          vp_database_set_break (cli->db, *error, 0);
          return NULL;
        }
      cli->integrity_checked = TRUE;
    }
  if (staff_id == NULL || pin == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH,
                   "This needs --staff ID and --pin PIN");
      return NULL;
    }
  return vp_service_login (cli->service, staff_id, pin, error);
}

gboolean
vp_cli_login_approver (VpCli       *cli,
                       const char  *staff_id,
                       const char  *pin,
                       VpStaff    **out,
                       GError     **error)
{
  *out = NULL;
  if (staff_id == NULL && pin == NULL)
    return TRUE;
  if (staff_id == NULL || pin == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH,
                   "An approval needs both --approve-staff ID and --approve-pin PIN");
      return FALSE;
    }
  /* The role is the store's to check: it names what needed approving. */
  *out = vp_service_login (cli->service, staff_id, pin, error);
  return *out != NULL;
}

int
vp_cli_fail (VpCli        *cli,
             const GError *error)
{
  /* Over an offline cap: the store says which, the figure and what to do;
   * the CLI adds how a supervisor approves here. */
  if (g_error_matches (error, VP_STORE_ERROR, VP_STORE_ERROR_LIMIT))
    {
      g_printerr ("%s: %s (--approve-staff SUP --approve-pin PIN)\n", cli->prog, error->message);
      return VP_CLI_EXIT_FAILED;
    }
  g_printerr ("%s: %s\n", cli->prog, error->message);
  if (error->domain == VP_STORE_ERROR)
    switch (error->code)
      {
      case VP_STORE_ERROR_NOT_FOUND:
        return VP_CLI_EXIT_NOT_FOUND;
      case VP_STORE_ERROR_AUTH:
      case VP_STORE_ERROR_LOCKED_OUT:
      case VP_STORE_ERROR_PERMISSION:
        return VP_CLI_EXIT_AUTH;
      case VP_STORE_ERROR_DAMAGED:
      case VP_STORE_ERROR_CORRUPT:
        return VP_CLI_EXIT_DAMAGED;
      default:
        break;
      }
  if (error->domain == VP_JOURNAL_ERROR)
    return VP_CLI_EXIT_VERIFY;
  /* The top-up took the money: kept as credit, or pending on the card. */
  if (error->domain == VP_TOPUP_ERROR)
    return VP_CLI_EXIT_PARTIAL;
  return VP_CLI_EXIT_FAILED;
}

int
vp_cli_usage_error (VpCli      *cli,
                    const char *command,
                    const char *format,
                    ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s %s: %s (see “%s %s --help”)\n", cli->prog, command, msg, cli->prog, command);
  return VP_CLI_EXIT_USAGE;
}

void
vp_cli_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

static void
print_money_member (JsonObject *o,
                    const char *member,
                    const char *label)
{
  if (json_object_has_member (o, member) && !json_object_get_null_member (o, member))
    {
      g_autofree char *m = vp_money_format (json_object_get_int_member (o, member));
      g_print ("  %-16s %s\n", label, m);
    }
}

void
vp_cli_print_entry (const VpJournalEntry *entry,
                    gboolean              json)
{
  g_autoptr(JsonNode) node = vp_journal_entry_to_json_node (entry);
  JsonObject *o = json_node_get_object (node);

  if (json)
    {
      vp_cli_print_json (node);
      return;
    }
  g_print ("%s  %s  #%" G_GINT64_FORMAT "  %s\n",
           json_object_get_string_member (o, "receipt"), entry->kind, entry->seq,
           json_object_get_string_member (o, "verify_code"));
  if (json_object_has_member (o, "account") && !json_object_get_null_member (o, "account"))
    g_print ("  %-16s %s %s\n", "account", json_object_get_string_member (o, "account"),
             json_object_get_string_member_with_default (o, "holder", ""));
  print_money_member (o, "credit_applied", "credit applied");
  print_money_member (o, "credit_used", "credit used");
  print_money_member (o, "amount", "amount");
  print_money_member (o, "charged", "charged");
  if (json_object_has_member (o, "volume"))
    {
      g_autofree char *v = vp_volume_format (json_object_get_int_member (o, "volume"));
      g_print ("  %-16s %s\n", "volume", v);
    }
  print_money_member (o, "to_credit", "to credit");
  print_money_member (o, "arrears_after", "arrears left");
  print_money_member (o, "credit_after", "credit now");
  print_money_member (o, "balance_after", "balance now");
  print_money_member (o, "to_balance_after", "other balance");
  print_money_member (o, "expected_cash", "expected cash");
  print_money_member (o, "counted", "counted");
  print_money_member (o, "difference", "difference");
}

gboolean
vp_cli_parse_method (const char       *text,
                     VpPaymentMethod  *out,
                     GError          **error)
{
  if (text == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   "Give the payment method: --method cash|card|mobile");
      return FALSE;
    }
  if (!vp_payment_method_from_string (text, out))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                   "Unknown payment method “%s”; use cash, card or mobile", text);
      return FALSE;
    }
  return TRUE;
}

static void
usage (const char *prog)
{
  g_printerr ("Usage: %s --db PATH COMMAND [ARGS…]\n\nCommands:\n", prog);
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const VpCliCommand *c = tables[t]; c->name; c++)
      g_printerr ("  %-14s %s\n", c->name, c->summary);
  g_printerr ("\nRun “%s COMMAND --help” for a command's options.\n", prog);
}

int
main (int    argc,
      char **argv)
{
  VpCli cli = { 0 };
  int i = 1;
  int ret;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  cli.prog = "vanpos-cli";
  cli.db_path = g_getenv ("VANPOS_DB");

  while (i < argc && argv[i][0] == '-')
    {
      if (g_str_equal (argv[i], "--db") && i + 1 < argc)
        {
          cli.db_path = argv[i + 1];
          i += 2;
        }
      else if (g_str_has_prefix (argv[i], "--db="))
        cli.db_path = argv[i++] + 5;
      else if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        {
          usage (cli.prog);
          return VP_CLI_EXIT_OK;
        }
      else if (g_str_equal (argv[i], "--version"))
        {
          g_print ("vanpos-cli %s\n", PACKAGE_VERSION);
          return VP_CLI_EXIT_OK;
        }
      else
        {
          /* One line, as for every other error; --help lists the commands. */
          g_printerr ("%s: unknown option %s (see “%s --help”)\n", cli.prog, argv[i], cli.prog);
          return VP_CLI_EXIT_USAGE;
        }
    }
  if (i >= argc)
    {
      usage (cli.prog);
      return VP_CLI_EXIT_USAGE;
    }

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const VpCliCommand *c = tables[t]; c->name; c++)
      if (g_str_equal (c->name, argv[i]))
        {
          ret = c->func (&cli, argc - i, argv + i);
          if (cli.db != NULL)
            {
              g_auto(GStrv) warnings = vp_database_take_warnings (cli.db);

              for (guint w = 0; warnings != NULL && warnings[w] != NULL; w++)
                g_printerr ("%s: warning: %s\n", cli.prog, warnings[w]);
            }
          g_clear_object (&cli.service);
          g_clear_object (&cli.db);
          return ret;
        }

  g_printerr ("%s: unknown command “%s” (see “%s --help”)\n", cli.prog, argv[i], cli.prog);
  return VP_CLI_EXIT_USAGE;
}
