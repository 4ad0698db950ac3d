/* vp-cli-commands.c: the foundation commands of vanpos-cli.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vanpos-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vp-cli.h"
#include "vp-report-render.h"
#include "vp-service-print.h"

#define FAIL_IF(cond) G_STMT_START { if (cond) return vp_cli_fail (cli, error); } G_STMT_END

static char *opt_staff;
static char *opt_pin;
static char *opt_approve_staff;
static char *opt_approve_pin;
static gboolean opt_json;

#define STAFF_ENTRIES \
  { "staff", 0, 0, G_OPTION_ARG_STRING, &opt_staff, "Staff id", "ID" }, \
  { "pin", 0, 0, G_OPTION_ARG_STRING, &opt_pin, "Staff PIN", "PIN" }
/* Every supervisor approval: the supervisor signs in beside the operator. */
#define APPROVE_ENTRIES \
  { "approve-staff", 0, 0, G_OPTION_ARG_STRING, &opt_approve_staff, \
    "Approving supervisor's staff id", "SUP" }, \
  { "approve-pin", 0, 0, G_OPTION_ARG_STRING, &opt_approve_pin, "Approving supervisor's PIN", "PIN" }
#define JSON_ENTRY \
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print one JSON object", NULL }

/* positive: also require 0 < amount <= VP_MONEY_MAX_TRANSACTION (a
 * payment); otherwise zero is fine (a float, a counted drawer). */
static gboolean
parse_amount_arg (const char *text,
                  const char *what,
                  gboolean    positive,
                  VpMoney    *out,
                  GError    **error)
{
  if (text == NULL)
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID, "Give %s", what);
      return FALSE;
    }
  if (!(positive ? vp_money_parse_positive (text, out, error) : vp_money_parse (text, out, error)))
    {
      g_prefix_error (error, "%s: ", what);
      return FALSE;
    }
  return TRUE;
}

/* NULL when the approval options are well formed, else the usage text. */
static const char *
approve_usage (void)
{
  if ((opt_approve_staff == NULL) != (opt_approve_pin == NULL))
    return "give both --approve-staff SUP and --approve-pin PIN";
  return NULL;
}

/* error is passed by address: the operation call in the same argument
 * list must be evaluated before the error is read. */
static int
finish_entry (VpCli           *cli,
              VpJournalEntry  *entry,
              GError         **error)
{
  if (entry == NULL)
    return vp_cli_fail (cli, *error);
  vp_cli_print_entry (entry, opt_json);
  vp_journal_entry_free (entry);
  return VP_CLI_EXIT_OK;
}

/* Signs in the supervisor of --approve-staff/--approve-pin (if given) as
 * the approver of a sale over an offline cap (vp-limits.h) for the one
 * operation this command runs. */
static gboolean
approve_limits (VpCli     *cli,
                VpStaff  **approver,
                GError   **error)
{
  if (!vp_cli_login_approver (cli, opt_approve_staff, opt_approve_pin, approver, error))
    return FALSE;
  vp_limits_set_approver (cli->db, *approver);
  return TRUE;
}

/* --- init / demo / staff ----------------------------------------------- */

static int
cmd_init (VpCli *cli, int argc, char **argv)
{
  g_autofree char *van = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "van", 0, 0, G_OPTION_ARG_STRING, &van, "Van id, e.g. VAN01", "VAN" },
    { NULL }
  };

  if (!vp_cli_parse (cli, "init", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (van == NULL)
    return vp_cli_usage_error (cli, "init", "--van VAN is required");
  if (argc != 1)
    return vp_cli_usage_error (cli, "init", "unexpected argument “%s”", argv[1]);
  FAIL_IF (!vp_cli_open (cli, FALSE, &error));
  FAIL_IF (!vp_database_init_van (cli->db, van, &error));
  g_print ("Van %s initialised in %s (journal key %s.vankey)\n", van, cli->db_path, cli->db_path);
  return VP_CLI_EXIT_OK;
}

static void
demo_progress (gint64 done, gint64 total, gpointer user_data)
{
  if (done == total || done % 100000 == 0)
    g_printerr ("\r%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT " accounts", done, total);
  if (done == total)
    g_printerr ("\n");
}

static int
cmd_demo (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  gint64 n = 0;
  gint seed = 1;
  gint iterations = VP_PIN_ITERATIONS;
  g_autoptr(GTimer) timer = g_timer_new ();
  GOptionEntry entries[] = {
    { "accounts", 0, 0, G_OPTION_ARG_INT64, &n, "Number of accounts", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (same seed, same data)", "S" },
    { "pin-iterations", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &iterations, NULL, NULL },
    { NULL }
  };

  if (!vp_cli_parse (cli, "demo", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (n <= 0 || n > 10000000)
    return vp_cli_usage_error (cli, "demo", "--accounts N must be 1–10000000");
  if (iterations < 1000)
    return vp_cli_usage_error (cli, "demo", "--pin-iterations must be at least 1000");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  FAIL_IF (!vp_demo_populate (cli->db, n, seed, iterations, n >= 100000 ? demo_progress : NULL,
                              NULL, &error));
  g_print ("Added %" G_GINT64_FORMAT " demo accounts in %.1f s. Operator %s PIN %s, supervisor %s PIN %s\n",
           n, g_timer_elapsed (timer, NULL), VP_DEMO_OPERATOR_ID, VP_DEMO_OPERATOR_PIN,
           VP_DEMO_SUPERVISOR_ID, VP_DEMO_SUPERVISOR_PIN);
  return VP_CLI_EXIT_OK;
}

static gboolean
has_supervisor (VpCli *cli)
{
  g_autoptr(GPtrArray) staff = vp_staff_store_list (cli->db, NULL);

  for (guint i = 0; staff && i < staff->len; i++)
    if (((VpStaff *)staff->pdata[i])->role == VP_ROLE_SUPERVISOR)
      return TRUE;
  return FALSE;
}

#define STAFF_USAGE "list | add ID | disable ID | reset-pin ID | unlock ID"
#define STAFF_SAY "say “list”, “add ID”, “disable ID”, “reset-pin ID” or “unlock ID”"

static void
print_staff_list (GPtrArray *staff,
                  gboolean   json)
{
  gint64 now = vp_database_now () / G_USEC_PER_SEC;

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < staff->len; i++)
        {
          VpStaffStatus *s = staff->pdata[i];

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, s->staff.id);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, s->staff.name);
          json_builder_set_member_name (b, "role");
          json_builder_add_string_value (b, vp_role_to_string (s->staff.role));
          json_builder_set_member_name (b, "active");
          json_builder_add_boolean_value (b, s->active);
          json_builder_set_member_name (b, "locked");
          json_builder_add_boolean_value (b, vp_staff_status_is_locked (s, now));
          json_builder_set_member_name (b, "failed_pins");
          json_builder_add_int_value (b, s->failed_pins);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, FALSE);
      g_print ("%s\n", text);
      return;
    }
  /* The first three columns as before; the state only when not plain. */
  for (guint i = 0; i < staff->len; i++)
    {
      VpStaffStatus *s = staff->pdata[i];
      const char *state = !s->active ? "disabled"
                          : vp_staff_status_is_locked (s, now) ? "locked" : "";

      if (*state != '\0')
        g_print ("%-12s %-12s %s  [%s]\n", s->staff.id, vp_role_to_string (s->staff.role),
                 s->staff.name, state);
      else
        g_print ("%-12s %-12s %s\n", s->staff.id, vp_role_to_string (s->staff.role),
                 s->staff.name);
    }
}

static int
cmd_staff (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *role = NULL;
  g_autofree char *new_pin = NULL;
  g_autoptr(VpStaff) sup = NULL;
  const char *verb;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Full name", "NAME" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, "operator or supervisor", "ROLE" },
    { "new-pin", 0, 0, G_OPTION_ARG_STRING, &new_pin, "PIN of the new staff member", "PIN" },
    STAFF_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "staff", STAFF_USAGE, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc < 2)
    return vp_cli_usage_error (cli, "staff", STAFF_SAY);
  verb = argv[1];

  if (g_str_equal (verb, "list") && argc == 2)
    {
      g_autoptr(GPtrArray) staff = NULL;

      FAIL_IF (!vp_cli_open (cli, TRUE, &error));
      staff = vp_staff_store_list_status (cli->db, &error);
      FAIL_IF (staff == NULL);
      print_staff_list (staff, opt_json);
      return VP_CLI_EXIT_OK;
    }
  if (argc != 3 || !(g_str_equal (verb, "add") || g_str_equal (verb, "disable") ||
                     g_str_equal (verb, "reset-pin") || g_str_equal (verb, "unlock")))
    return vp_cli_usage_error (cli, "staff", STAFF_SAY);

  if (g_str_equal (verb, "add"))
    {
      VpRole r;

      if (role == NULL || !vp_role_from_string (role, &r))
        return vp_cli_usage_error (cli, "staff", "--role must be operator or supervisor");
      if (name == NULL || new_pin == NULL)
        return vp_cli_usage_error (cli, "staff", "--name and --new-pin are required");
      FAIL_IF (!vp_cli_open (cli, TRUE, &error));
      /* The first supervisor bootstraps the van (no one is there to
       * approve it, so it is not journaled); after that a supervisor adds
       * staff, journaled as staff.add. */
      if (!has_supervisor (cli))
        {
          if (r != VP_ROLE_SUPERVISOR)
            return vp_cli_usage_error (cli, "staff", "add a supervisor first");
          FAIL_IF (!vp_staff_store_add (cli->db, argv[2], name, r, new_pin, VP_PIN_ITERATIONS,
                                        &error));
          g_print ("Added %s %s (%s)\n", role, argv[2], name);
          return VP_CLI_EXIT_OK;
        }
      sup = vp_cli_login (cli, opt_staff, opt_pin, &error);
      FAIL_IF (sup == NULL);
      return finish_entry (cli, vp_staff_store_add_by (cli->db, sup, argv[2], name, r, new_pin,
                                                       VP_PIN_ITERATIONS, &error), &error);
    }

  if (g_str_equal (verb, "reset-pin") && new_pin == NULL)
    return vp_cli_usage_error (cli, "staff", "reset-pin needs --new-pin PIN");
  if (!g_str_equal (verb, "reset-pin") && (new_pin != NULL || name != NULL || role != NULL))
    return vp_cli_usage_error (cli, "staff", "--name, --role and --new-pin go with add or reset-pin only");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  sup = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (sup == NULL);
  if (g_str_equal (verb, "disable"))
    return finish_entry (cli, vp_staff_store_disable (cli->db, sup, argv[2], &error), &error);
  if (g_str_equal (verb, "reset-pin"))
    return finish_entry (cli, vp_staff_store_reset_pin (cli->db, sup, argv[2], new_pin,
                                                        VP_PIN_ITERATIONS, &error), &error);
  return finish_entry (cli, vp_staff_store_unlock (cli->db, sup, argv[2], &error), &error);
}

/* --- accounts ------------------------------------------------------------ */

static JsonNode *
account_to_json (VpCli *cli, const VpAccount *a, gboolean full)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *masked = vp_mask_id_number (a->id_number);

  json_builder_begin_object (b);
#define S(k, v) G_STMT_START { json_builder_set_member_name (b, k); \
    if (v) json_builder_add_string_value (b, v); else json_builder_add_null_value (b); } G_STMT_END
#define I(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
#define B(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_boolean_value (b, v); } G_STMT_END
  S ("number", a->number);
  S ("holder", a->holder);
  S ("phone", a->phone);
  S ("id_masked", masked);
  S ("address", a->address);
  S ("estate", a->estate);
  S ("service", vp_service_kind_to_string (a->service));
  S ("meter", vp_meter_type_to_string (a->meter));
  S ("tariff_class", vp_tariff_class_to_string (a->tariff_class));
  S ("concession_expiry", a->concession_expiry);
  B ("elderly_alone", a->elderly_alone);
  B ("needs_visit", a->needs_visit);
  I ("balance", a->balance);
  I ("arrears", a->arrears);
  S ("card_number", a->card_number);
  I ("card_counter", a->card_counter);
  I ("year_volume", a->tariff_year ? a->year_volume : 0);
  I ("last_reading", a->last_reading);
  S ("status", vp_account_status_to_string (a->status));
  B ("closed", a->status == VP_ACCOUNT_CLOSED);
  if (full)
    {
      g_autoptr(GPtrArray) bills = vp_account_store_list_bills (cli->db, a->id, TRUE, NULL);

      json_builder_set_member_name (b, "open_bills");
      json_builder_begin_array (b);
      for (guint i = 0; bills && i < bills->len; i++)
        {
          VpBill *bill = bills->pdata[i];

          json_builder_begin_object (b);
          I ("id", bill->id);
          S ("period", bill->period);
          I ("amount", bill->amount);
          I ("paid", bill->paid);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
#undef S
#undef I
#undef B
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
print_account_line (const VpAccount *a)
{
  g_autofree char *bal = vp_money_format (a->balance);
  g_autofree char *arr = vp_money_format (a->arrears);

  /* "CLOSED" at the end, so the columns scripts read stay where they were. */
  g_print ("%-16s %-6s %-24s %-11s %-8s credit %s arrears %s%s\n", a->number, a->holder, a->address,
           a->phone, vp_meter_type_to_string (a->meter), bal, arr,
           a->status == VP_ACCOUNT_CLOSED ? "  CLOSED" : "");
}

static int
cmd_search (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  gint limit = 20;
  GOptionEntry entries[] = {
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "At most N results (1–500)", "N" },
    JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "search", "QUERY", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "search", "give one QUERY (quote it if it has spaces)");
  if (limit < 1 || limit > VP_SEARCH_MAX_LIMIT)
    return vp_cli_usage_error (cli, "search", "--limit must be 1–%d", VP_SEARCH_MAX_LIMIT);
  FAIL_IF (!vp_cli_open (cli, FALSE, &error));
  results = vp_account_store_search (cli->db, argv[1], 0, limit, &error);
  FAIL_IF (results == NULL);

  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "query");
      json_builder_add_string_value (b, argv[1]);
      json_builder_set_member_name (b, "count");
      json_builder_add_int_value (b, results->len);
      json_builder_set_member_name (b, "results");
      json_builder_begin_array (b);
      for (guint i = 0; i < results->len; i++)
        json_builder_add_value (b, account_to_json (cli, results->pdata[i], FALSE));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      vp_cli_print_json (root);
    }
  else
    for (guint i = 0; i < results->len; i++)
      print_account_line (results->pdata[i]);

  if (results->len == 0)
    {
      g_printerr ("%s: no account matches “%s” (searched numbers, cards, phones, names, "
                  "pinyin initials and addresses)\n", cli->prog, argv[1]);
      return VP_CLI_EXIT_NOT_FOUND;
    }
  return VP_CLI_EXIT_OK;
}

static int
cmd_account (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(JsonNode) node = NULL;
  GOptionEntry entries[] = { JSON_ENTRY, { NULL } };

  if (!vp_cli_parse (cli, "account", "ACCOUNT_NO", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "account", "give one ACCOUNT_NO");
  FAIL_IF (!vp_cli_open (cli, FALSE, &error));
  a = vp_account_store_get (cli->db, argv[1], &error);
  FAIL_IF (a == NULL);
  node = account_to_json (cli, a, TRUE);
  if (opt_json)
    vp_cli_print_json (node);
  else
    {
      JsonArray *bills = json_object_get_array_member (json_node_get_object (node), "open_bills");

      print_account_line (a);
      if (a->card_number)
        g_print ("  card %s, %" G_GINT64_FORMAT " purchases\n", a->card_number, a->card_counter);
      for (guint i = 0; i < json_array_get_length (bills); i++)
        {
          JsonObject *bill = json_array_get_object_element (bills, i);
          g_autofree char *due = vp_money_format (json_object_get_int_member (bill, "amount") -
                                                  json_object_get_int_member (bill, "paid"));
          g_print ("  bill %s due %s\n", json_object_get_string_member (bill, "period"), due);
        }
    }
  return VP_CLI_EXIT_OK;
}

/* --- money ----------------------------------------------------------------- */

static int
cmd_pay (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *method = NULL;
  g_autofree char *ref = NULL;
  g_autofree char *tendered_text = NULL;
  g_autoptr(VpStaff) approver = NULL;
  VpPaymentMethod m;
  VpMoney amount, tendered;
  GOptionEntry entries[] = {
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "cash, card or mobile", "METHOD" },
    { "ref", 0, 0, G_OPTION_ARG_STRING, &ref, "Terminal reference (card, mobile)", "REF" },
    { "tendered", 0, 0, G_OPTION_ARG_STRING, &tendered_text, "Cash handed over (cash only; change is recorded)", "AMOUNT" },
    STAFF_ENTRIES, APPROVE_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "pay", "ACCOUNT_NO AMOUNT", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 3)
    return vp_cli_usage_error (cli, "pay", "give ACCOUNT_NO and AMOUNT");
  if (approve_usage ())
    return vp_cli_usage_error (cli, "pay", "%s", approve_usage ());
  FAIL_IF (!parse_amount_arg (argv[2], "the amount", TRUE, &amount, &error));
  FAIL_IF (!vp_cli_parse_method (method, &m, &error));
  if (tendered_text != NULL)
    {
      if (m != VP_PAYMENT_CASH)
        return vp_cli_usage_error (cli, "pay", "--tendered is for cash payments only");
      FAIL_IF (!parse_amount_arg (tendered_text, "the cash tendered", TRUE, &tendered, &error));
      if (tendered < amount)
        {
          g_autofree char *t = vp_money_format (tendered);
          g_autofree char *a = vp_money_format (amount);

          g_set_error (&error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID,
                       "The cash tendered (%s) is less than the payment (%s)", t, a);
          return vp_cli_fail (cli, error);
        }
    }
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  FAIL_IF (!approve_limits (cli, &approver, &error));
  if (tendered_text != NULL)
    return finish_entry (cli, vp_service_pay_tendered (cli->service, staff, argv[1], amount, tendered,
                                                       &error), &error);
  return finish_entry (cli, vp_service_pay (cli->service, staff, argv[1], amount, m, ref, &error),
                       &error);
}

static int
cmd_settle_credit (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  GOptionEntry entries[] = { STAFF_ENTRIES, JSON_ENTRY, { NULL } };

  if (!vp_cli_parse (cli, "settle-credit", "ACCOUNT_NO", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "settle-credit", "give one ACCOUNT_NO");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  return finish_entry (cli, vp_service_settle_from_credit (cli->service, staff, argv[1], &error),
                       &error);
}

static int
cmd_refund_credit (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *reason = NULL;
  VpMoney amount;
  GOptionEntry entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why the credit is refunded", "TEXT" },
    STAFF_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "refund-credit", "ACCOUNT_NO AMOUNT", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 3)
    return vp_cli_usage_error (cli, "refund-credit", "give ACCOUNT_NO and AMOUNT");
  FAIL_IF (!parse_amount_arg (argv[2], "the amount", TRUE, &amount, &error));
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  return finish_entry (cli, vp_service_refund_credit (cli->service, staff, argv[1], amount, reason,
                                                      &error),
                       &error);
}

static int
cmd_topup (VpCli *cli, int argc, char **argv)
{
  VpCliTopupProgress progress = { FALSE, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autoptr(VpStaff) approver = NULL;
  g_autofree char *method = NULL;
  g_autofree char *ref = NULL;
  g_autofree char *amount_text = NULL;
  g_autofree char *volume_text = NULL;
  g_autofree char *tendered_text = NULL;
  VpPaymentMethod m;
  VpMoney amount = 0, tendered = 0;
  VpVolume volume = 0;
  gboolean from_credit = FALSE;
  GOptionEntry entries[] = {
    { "amount", 0, 0, G_OPTION_ARG_STRING, &amount_text, "Money to spend", "AMOUNT" },
    { "tendered", 0, 0, G_OPTION_ARG_STRING, &tendered_text,
      "Cash handed over (cash only; change is recorded)", "AMOUNT" },
    { "from-credit", 0, 0, G_OPTION_ARG_NONE, &from_credit,
      "Pay with the account's credit first (--method only for the rest)", NULL },
    { "volume", 0, 0, G_OPTION_ARG_STRING, &volume_text, "Volume to buy in m³", "M3" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "cash, card or mobile", "METHOD" },
    { "ref", 0, 0, G_OPTION_ARG_STRING, &ref, "Terminal reference (card, mobile)", "REF" },
    { "progress", 0, 0, G_OPTION_ARG_NONE, &progress.progress,
      "Print each step (card, intent, write, verify, confirm) on stdout", NULL },
    STAFF_ENTRIES, APPROVE_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "topup", "ACCOUNT_NO", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "topup", "give one ACCOUNT_NO");
  if (approve_usage ())
    return vp_cli_usage_error (cli, "topup", "%s", approve_usage ());
  if ((amount_text == NULL) == (volume_text == NULL))
    return vp_cli_usage_error (cli, "topup", "give exactly one of --amount and --volume");
  if (amount_text)
    FAIL_IF (!parse_amount_arg (amount_text, "the amount", TRUE, &amount, &error));
  else
    {
      FAIL_IF (!vp_volume_parse (volume_text, &volume, &error));
      if (volume <= 0)
        return vp_cli_usage_error (cli, "topup", "the volume must be more than 0 m³");
    }
  if (method != NULL || !from_credit)
    FAIL_IF (!vp_cli_parse_method (method, &m, &error));
  if (tendered_text != NULL)
    FAIL_IF (!parse_amount_arg (tendered_text, "the cash tendered", TRUE, &tendered, &error));
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  FAIL_IF (!approve_limits (cli, &approver, &error));
  progress.json = opt_json;
  return finish_entry (cli, vp_service_card_topup_full (cli->service, staff, argv[1], amount, volume,
                                                        from_credit ? VP_TOPUP_FROM_CREDIT : 0,
                                                        method != NULL ? &m : NULL, ref, tendered,
                                                        vp_cli_topup_progress, &progress, NULL,
                                                        &error),
                       &error);
}

static int
cmd_open_account (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *name = NULL, *id_number = NULL, *phone = NULL, *estate = NULL;
  g_autofree char *building = NULL, *unit = NULL, *room = NULL, *service = NULL, *meter = NULL;
  g_autofree char *klass = NULL, *expiry = NULL, *fee = NULL, *method = NULL, *ref = NULL;
  gboolean elderly = FALSE, visit = FALSE, card = FALSE, override = FALSE;
  g_autoptr(VpStaff) approver = NULL;
  VpOpenAccountRequest r = { 0 };
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Holder's name", "N" },
    { "id-number", 0, 0, G_OPTION_ARG_STRING, &id_number, "Resident ID number", "X" },
    { "phone", 0, 0, G_OPTION_ARG_STRING, &phone, "Phone", "P" },
    { "estate", 0, 0, G_OPTION_ARG_STRING, &estate, "Estate (小区)", "E" },
    { "building", 0, 0, G_OPTION_ARG_STRING, &building, "Building", "B" },
    { "unit", 0, 0, G_OPTION_ARG_STRING, &unit, "Unit", "U" },
    { "room", 0, 0, G_OPTION_ARG_STRING, &room, "Room", "R" },
    { "service", 0, 0, G_OPTION_ARG_STRING, &service, "gas or water", "S" },
    { "meter", 0, 0, G_OPTION_ARG_STRING, &meter, "prepaid or postpaid", "M" },
    { "tariff", 0, 0, G_OPTION_ARG_STRING, &klass, "residential (default), commercial, low_income", "T" },
    { "concession-expiry", 0, 0, G_OPTION_ARG_STRING, &expiry, "Low-income certificate expiry", "YYYY-MM-DD" },
    { "elderly-alone", 0, 0, G_OPTION_ARG_NONE, &elderly, "Elderly resident living alone", NULL },
    { "needs-visit", 0, 0, G_OPTION_ARG_NONE, &visit, "Needs home visits", NULL },
    { "issue-card", 0, 0, G_OPTION_ARG_NONE, &card, "Issue a new IC card (prepaid)", NULL },
    { "fee", 0, 0, G_OPTION_ARG_STRING, &fee, "Opening fee and deposit (default 0)", "AMOUNT" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "How the fee is paid", "METHOD" },
    { "ref", 0, 0, G_OPTION_ARG_STRING, &ref, "Terminal reference", "REF" },
    { "override-duplicate", 0, 0, G_OPTION_ARG_NONE, &override,
      "Open a second account for the service at this address (supervisor approves)", NULL },
    STAFF_ENTRIES, APPROVE_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "open-account", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 1)
    return vp_cli_usage_error (cli, "open-account", "unexpected argument “%s”", argv[1]);
  if (!name || !id_number || !phone || !estate || !building || !room || !service || !meter)
    return vp_cli_usage_error (cli, "open-account",
                               "--name, --id-number, --phone, --estate, --building, --room, "
                               "--service and --meter are required");
  r.holder = name;
  r.id_number = id_number;
  r.phone = phone;
  r.estate = estate;
  r.building = building;
  r.unit = unit;
  r.room = room;
  if (!vp_service_kind_from_string (service, &r.service))
    return vp_cli_usage_error (cli, "open-account", "--service must be gas or water");
  if (!vp_meter_type_from_string (meter, &r.meter))
    return vp_cli_usage_error (cli, "open-account", "--meter must be prepaid or postpaid");
  r.tariff_class = VP_TARIFF_CLASS_RESIDENTIAL;
  if (klass && !vp_tariff_class_from_string (klass, &r.tariff_class))
    return vp_cli_usage_error (cli, "open-account",
                               "--tariff must be residential, commercial or low_income");
  r.concession_expiry = expiry;
  r.elderly_alone = elderly;
  r.needs_visit = visit;
  r.issue_card = card;
  if (fee)
    FAIL_IF (!parse_amount_arg (fee, "the fee", FALSE, &r.fee, &error));
  if (r.fee > 0)
    FAIL_IF (!vp_cli_parse_method (method, &r.method, &error));
  r.reference = ref;
  if (approve_usage ())
    return vp_cli_usage_error (cli, "open-account", "%s", approve_usage ());
  r.override_duplicate = override;
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  /* The approval covers a second account at one address when asked for,
   * and an opening fee over an offline cap. */
  FAIL_IF (!approve_limits (cli, &approver, &error));
  r.approver = override ? approver : NULL;
  return finish_entry (cli, vp_service_open_account (cli->service, staff, &r, &error), &error);
}

static int
cmd_transfer (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autoptr(VpStaff) approver = NULL;
  g_autofree char *name = NULL, *id_number = NULL, *phone = NULL, *reading = NULL;
  g_autofree char *method = NULL, *ref = NULL, *tendered = NULL, *klass = NULL, *expiry = NULL;
  gboolean settle = FALSE, carry = FALSE, refund = FALSE, consent = FALSE;
  gboolean elderly = FALSE, visit = FALSE;
  VpChangeHolderRequest r = { 0 };
  GOptionEntry entries[] = {
    { "new-name", 0, 0, G_OPTION_ARG_STRING, &name, "New holder's name", "N" },
    { "new-id-number", 0, 0, G_OPTION_ARG_STRING, &id_number, "New holder's ID number", "X" },
    { "new-phone", 0, 0, G_OPTION_ARG_STRING, &phone, "New holder's phone", "P" },
    { "reading", 0, 0, G_OPTION_ARG_STRING, &reading, "Final meter reading", "M3" },
    { "settle", 0, 0, G_OPTION_ARG_NONE, &settle, "Pay what is due after credit now", NULL },
    { "carry-arrears", 0, 0, G_OPTION_ARG_NONE, &carry, "Carry what is due to the new holder", NULL },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "How arrears are paid", "METHOD" },
    { "ref", 0, 0, G_OPTION_ARG_STRING, &ref, "Terminal reference", "REF" },
    { "tendered", 0, 0, G_OPTION_ARG_STRING, &tendered, "Cash handed over (change is recorded)", "AMOUNT" },
    { "refund-credit", 0, 0, G_OPTION_ARG_NONE, &refund, "Refund the credit left to the old holder in cash (supervisor)", NULL },
    { "carry-credit-consent", 0, 0, G_OPTION_ARG_NONE, &consent, "Carry the credit left to the new holder, with the old holder's consent", NULL },
    { "new-tariff", 0, 0, G_OPTION_ARG_STRING, &klass, "New holder's class (default residential)", "CLASS" },
    { "concession-expiry", 0, 0, G_OPTION_ARG_STRING, &expiry, "New holder's low-income certificate expiry", "YYYY-MM-DD" },
    { "new-elderly-alone", 0, 0, G_OPTION_ARG_NONE, &elderly, "The new holder is elderly and lives alone", NULL },
    { "new-needs-visit", 0, 0, G_OPTION_ARG_NONE, &visit, "The new holder needs home visits", NULL },
    STAFF_ENTRIES, APPROVE_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "transfer", "ACCOUNT_NO", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "transfer", "give one ACCOUNT_NO");
  if (!name || !id_number || !phone || !reading)
    return vp_cli_usage_error (cli, "transfer",
                               "--new-name, --new-id-number, --new-phone and --reading are required");
  if (settle && carry)
    return vp_cli_usage_error (cli, "transfer", "give --settle or --carry-arrears, not both");
  if (refund && consent)
    return vp_cli_usage_error (cli, "transfer",
                               "give --refund-credit or --carry-credit-consent, not both");
  if (approve_usage ())
    return vp_cli_usage_error (cli, "transfer", "%s", approve_usage ());
  if (opt_approve_staff && !refund)
    return vp_cli_usage_error (cli, "transfer", "--approve-staff approves only --refund-credit");
  if (!settle && (method || ref || tendered))
    return vp_cli_usage_error (cli, "transfer", "--method, --ref and --tendered go with --settle");
  if (expiry && !klass)
    return vp_cli_usage_error (cli, "transfer", "--concession-expiry goes with --new-tariff low_income");
  r.number = argv[1];
  r.new_holder = name;
  r.new_id_number = id_number;
  r.new_phone = phone;
  FAIL_IF (!vp_volume_parse (reading, &r.final_reading, &error));
  r.settle_arrears = settle;
  r.carry_arrears = carry;
  if (settle)
    FAIL_IF (!vp_cli_parse_method (method, &r.method, &error));
  r.reference = ref;
  if (tendered != NULL)
    {
      if (r.method != VP_PAYMENT_CASH)
        return vp_cli_usage_error (cli, "transfer", "--tendered is for cash only");
      FAIL_IF (!parse_amount_arg (tendered, "the cash tendered", TRUE, &r.tendered, &error));
    }
  r.refund_credit = refund;
  r.carry_credit_consent = consent;
  if (klass != NULL)
    {
      if (!vp_tariff_class_from_string (klass, &r.new_tariff_class))
        return vp_cli_usage_error (cli, "transfer",
                                   "--new-tariff must be residential, commercial or low_income");
      r.set_tariff_class = TRUE;
    }
  r.new_concession_expiry = expiry;
  r.new_elderly_alone = elderly;
  r.new_needs_visit = visit;
  if (approve_usage ())
    return vp_cli_usage_error (cli, "transfer", "%s", approve_usage ());
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  /* One supervisor approves the refund and any offline cap. */
  FAIL_IF (!approve_limits (cli, &approver, &error));
  r.approver = approver;
  return finish_entry (cli, vp_service_change_holder (cli->service, staff, &r, &error), &error);
}

static int
cmd_move_credit (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autoptr(VpStaff) approver = NULL;
  VpMoney amount;
  GOptionEntry entries[] = { STAFF_ENTRIES, APPROVE_ENTRIES, JSON_ENTRY, { NULL } };

  if (!vp_cli_parse (cli, "move-credit", "FROM_NO TO_NO AMOUNT", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 4)
    return vp_cli_usage_error (cli, "move-credit", "give FROM_NO, TO_NO and AMOUNT");
  if (approve_usage ())
    return vp_cli_usage_error (cli, "move-credit", "%s", approve_usage ());
  FAIL_IF (!parse_amount_arg (argv[3], "the amount", TRUE, &amount, &error));
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  FAIL_IF (!vp_cli_login_approver (cli, opt_approve_staff, opt_approve_pin, &approver, &error));
  return finish_entry (cli, vp_service_move_credit (cli->service, staff, approver, argv[1], argv[2],
                                                    amount, &error),
                       &error);
}

static int
cmd_close_account (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *refund = NULL;
  g_autofree char *to = NULL;
  g_autoptr(VpStaff) approver = NULL;
  GOptionEntry entries[] = {
    { "refund", 0, 0, G_OPTION_ARG_STRING, &refund, "Refund the credit: cash", "cash" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Move the credit to this account", "NO" },
    STAFF_ENTRIES, APPROVE_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "close-account", "ACCOUNT_NO", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "close-account", "give one ACCOUNT_NO");
  if ((refund == NULL) == (to == NULL))
    return vp_cli_usage_error (cli, "close-account", "give exactly one of --refund cash and --to NO");
  if (refund != NULL && !g_str_equal (refund, "cash"))
    return vp_cli_usage_error (cli, "close-account", "--refund takes only “cash”");
  if (approve_usage ())
    return vp_cli_usage_error (cli, "close-account", "%s", approve_usage ());
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  FAIL_IF (!vp_cli_login_approver (cli, opt_approve_staff, opt_approve_pin, &approver, &error));
  return finish_entry (cli, vp_service_close_account (cli->service, staff, approver, argv[1], to,
                                                      &error),
                       &error);
}

/* --- logs, trips, shifts ---------------------------------------------------- */

static int
cmd_log (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *note = NULL;
  g_autofree char *topic = NULL;
  VpLogKind kind;
  GOptionEntry entries[] = {
    { "note", 0, 0, G_OPTION_ARG_STRING, &note, "What happened", "TEXT" },
    { "topic", 0, 0, G_OPTION_ARG_STRING, &topic, "Topic (billing, safety, meter…)", "TEXT" },
    STAFF_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "log", "consultation|visit|complaint [ACCOUNT_NO]", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc < 2 || argc > 3 || !vp_log_kind_from_string (argv[1], &kind))
    return vp_cli_usage_error (cli, "log", "say consultation, visit or complaint, then the account");
  if (note == NULL)
    return vp_cli_usage_error (cli, "log", "--note TEXT is required");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  return finish_entry (cli, vp_service_log (cli->service, staff, kind, argc == 3 ? argv[2] : NULL,
                                            topic, note, &error),
                       &error);
}

static int
cmd_trip (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *estate = NULL;
  GOptionEntry entries[] = {
    { "estate", 0, 0, G_OPTION_ARG_STRING, &estate, "Estate served", "E" },
    STAFF_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "trip", "start|end", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2 || (!g_str_equal (argv[1], "start") && !g_str_equal (argv[1], "end")))
    return vp_cli_usage_error (cli, "trip", "say start or end");
  if (g_str_equal (argv[1], "start") && estate == NULL)
    return vp_cli_usage_error (cli, "trip", "--estate E is required");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  if (g_str_equal (argv[1], "start"))
    return finish_entry (cli, vp_service_trip_start (cli->service, staff, estate, &error), &error);
  return finish_entry (cli, vp_service_trip_end (cli->service, staff, estate, &error), &error);
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) secs = NULL;

  if (usec == 0)
    return g_strdup ("-");
  secs = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);
  return g_date_time_format (secs, "%Y-%m-%d %H:%M:%S");
}

static void
print_totals (const VpShiftTotals *t)
{
  g_autofree char *f = vp_money_format (t->float_amount);
  g_autofree char *ci = vp_money_format (t->cash_in);
  g_autofree char *co = vp_money_format (t->cash_out);
  g_autofree char *ca = vp_money_format (t->card_in);
  g_autofree char *mo = vp_money_format (t->mobile_in);
  g_autofree char *ex = vp_money_format (t->expected_cash);
  g_autofree char *dr = vp_money_format (t->drops);
  g_autofree char *pi = vp_money_format (t->paid_in);
  g_autofree char *po = vp_money_format (t->paid_out);
  g_autofree char *opened = format_time (t->opened_at);
  const VpFigures *fg = t->figures;

  g_print ("X report — shift %" G_GINT64_FORMAT " opened by %s\n", t->shift_id, t->opened_by);
  g_print ("  float %s  cash in %s  cash out %s  card %s  mobile %s\n", f, ci, co, ca, mo);
  g_print ("  cash drops %s  paid in %s  paid out %s\n", dr, pi, po);
  g_print ("  expected cash in drawer %s  transactions %" G_GINT64_FORMAT "  voids %" G_GINT64_FORMAT "\n",
           ex, t->transactions, t->voids);
  g_print ("  opened %s", opened);
  if (fg != NULL && fg->first_seq != 0)
    g_print ("  receipts %s – %s", fg->first_receipt, fg->last_receipt);
  g_print ("\n");
  for (guint i = 0; fg != NULL && i < fg->voided->len; i++)
    {
      VpVoided *v = fg->voided->pdata[i];
      g_autofree char *a = vp_money_format (v->amount);

      g_print ("  voided #%" G_GINT64_FORMAT " %s %s %s by void #%" G_GINT64_FORMAT " (%s)\n",
               v->seq, v->kind, a, v->method ? v->method : "", v->void_seq,
               v->reason ? v->reason : "");
    }
}

/* shift list: every shift, newest first, with its Z. */
static int
shift_list (VpCli *cli)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) shifts = NULL;

  FAIL_IF (!vp_cli_open (cli, FALSE, &error));
  shifts = vp_shift_store_list (cli->db, &error);
  FAIL_IF (shifts == NULL);
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "shifts");
      json_builder_begin_array (b);
      for (guint i = 0; i < shifts->len; i++)
        {
          VpShiftInfo *s = shifts->pdata[i];

          json_builder_begin_object (b);
#define I(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
#define S(k, v) G_STMT_START { json_builder_set_member_name (b, k); \
                               if (v) json_builder_add_string_value (b, v); \
                               else json_builder_add_null_value (b); } G_STMT_END
          I ("shift", s->id);
          S ("opened_by", s->opened_by);
          I ("opened_at", s->opened_at);
          I ("open_seq", s->open_seq);
          json_builder_set_member_name (b, "open");
          json_builder_add_boolean_value (b, s->close_seq == 0);
          if (s->close_seq != 0)
            {
              I ("z_number", s->z_number);
              S ("closed_by", s->closed_by);
              I ("closed_at", s->closed_at);
              I ("close_seq", s->close_seq);
              I ("float", s->float_amount);
              I ("expected_cash", s->expected);
              I ("counted", s->counted);
              I ("difference", s->counted - s->expected);
            }
#undef I
#undef S
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      vp_cli_print_json (root);
      return VP_CLI_EXIT_OK;
    }
  for (guint i = 0; i < shifts->len; i++)
    {
      VpShiftInfo *s = shifts->pdata[i];
      g_autofree char *opened = format_time (s->opened_at);

      if (s->close_seq == 0)
        {
          g_print ("shift %" G_GINT64_FORMAT "  open   by %s since %s\n", s->id, s->opened_by, opened);
          continue;
        }
      {
        g_autofree char *closed = format_time (s->closed_at);
        g_autofree char *ex = vp_money_format (s->expected);
        g_autofree char *co = vp_money_format (s->counted);
        g_autofree char *di = vp_money_format (s->counted - s->expected);

        g_print ("shift %" G_GINT64_FORMAT "  Z %" G_GINT64_FORMAT "  %s – %s  by %s/%s"
                 "  expected %s  counted %s  difference %s  (receipt %" G_GINT64_FORMAT ")\n",
                 s->id, s->z_number, opened, closed, s->opened_by,
                 s->closed_by ? s->closed_by : "", ex, co, di, s->close_seq);
      }
    }
  return VP_CLI_EXIT_OK;
}

/* shift z N: reprints Z report number N (its signed entry). */
static int
shift_z (VpCli      *cli,
         const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = NULL;
  char *end = NULL;
  gint64 z = g_ascii_strtoll (text, &end, 10);
  gint64 seq;

  if (end == text || *end != '\0' || z <= 0)
    return vp_cli_usage_error (cli, "shift", "the Z number must be a positive whole number");
  FAIL_IF (!vp_cli_open (cli, FALSE, &error));
  seq = vp_shift_store_z_seq (cli->db, z, &error);
  FAIL_IF (seq == 0);
  if (opt_json)
    {
      entry = vp_journal_store_get (cli->db, seq, &error);
      FAIL_IF (entry == NULL);
      vp_cli_print_entry (entry, TRUE);
    }
  else
    {
      g_autoptr(VpReceipt) r = vp_service_build_receipt (cli->service, seq, &error);
      g_autofree char *out = NULL;

      FAIL_IF (r == NULL);
      out = vp_receipt_render_text (r, VP_PRINT_COLUMNS_58MM);
      g_print ("%s", out);
    }
  return VP_CLI_EXIT_OK;
}

static int
cmd_shift (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *float_text = NULL;
  g_autofree char *counted_text = NULL;
  VpMoney amount;
  GOptionEntry entries[] = {
    { "float", 0, 0, G_OPTION_ARG_STRING, &float_text, "Cash float at opening", "AMOUNT" },
    { "counted", 0, 0, G_OPTION_ARG_STRING, &counted_text, "Cash counted at closing", "AMOUNT" },
    STAFF_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "shift", "open|close|x|list|z N", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc == 2 && g_str_equal (argv[1], "list"))
    return shift_list (cli);
  if (argc >= 2 && g_str_equal (argv[1], "z"))
    {
      if (argc != 3)
        return vp_cli_usage_error (cli, "shift", "give the Z number: shift z N");
      return shift_z (cli, argv[2]);
    }
  if (argc != 2)
    return vp_cli_usage_error (cli, "shift", "say open, close, x, list or z N");

  if (g_str_equal (argv[1], "x"))
    {
      g_auto(VpShiftTotals) t = { 0 };

      FAIL_IF (!vp_cli_open (cli, TRUE, &error));
      staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
      FAIL_IF (staff == NULL);
      FAIL_IF (!vp_shift_store_totals (cli->db, 0, &t, &error));
      if (opt_json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) root = NULL;

          json_builder_begin_object (b);
          vp_shift_totals_add_json (&t, b);
          json_builder_end_object (b);
          root = json_builder_get_root (b);
          vp_cli_print_json (root);
        }
      else
        print_totals (&t);
      return VP_CLI_EXIT_OK;
    }
  if (g_str_equal (argv[1], "open"))
    {
      if (float_text == NULL)
        return vp_cli_usage_error (cli, "shift", "--float AMOUNT is required");
      FAIL_IF (!parse_amount_arg (float_text, "the float", FALSE, &amount, &error));
      FAIL_IF (!vp_cli_open (cli, TRUE, &error));
      staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
      FAIL_IF (staff == NULL);
      return finish_entry (cli, vp_service_shift_open (cli->service, staff, amount, &error), &error);
    }
  if (g_str_equal (argv[1], "close"))
    {
      if (counted_text == NULL)
        return vp_cli_usage_error (cli, "shift", "--counted AMOUNT is required");
      FAIL_IF (!parse_amount_arg (counted_text, "the counted cash", FALSE, &amount, &error));
      FAIL_IF (!vp_cli_open (cli, TRUE, &error));
      staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
      FAIL_IF (staff == NULL);
      return finish_entry (cli, vp_service_shift_close (cli->service, staff, amount, &error), &error);
    }
  return vp_cli_usage_error (cli, "shift", "say open, close, x, list or z N");
}

/* cash drop|paid-in|paid-out AMOUNT --reason T: a supervisor's cash
 * movement in the open shift. */
static int
cmd_cash (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *reason = NULL;
  VpCashMovement movement;
  VpMoney amount;
  GOptionEntry entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why the cash moves", "TEXT" },
    STAFF_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "cash", "drop|paid-in|paid-out AMOUNT", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 3 || !vp_cash_movement_from_string (argv[1], &movement))
    return vp_cli_usage_error (cli, "cash", "say drop, paid-in or paid-out, then AMOUNT");
  if (reason == NULL)
    return vp_cli_usage_error (cli, "cash", "--reason TEXT is required");
  FAIL_IF (!parse_amount_arg (argv[2], "the amount", TRUE, &amount, &error));
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  return finish_entry (cli, vp_service_cash_move (cli->service, staff, movement, amount, reason, &error),
                       &error);
}

/* limits [show] | limits set NAME VALUE: the offline exposure caps. */
static int
cmd_limits (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  GOptionEntry entries[] = { STAFF_ENTRIES, JSON_ENTRY, { NULL } };
  VpLimit limit;
  gint64 value;

  if (!vp_cli_parse (cli, "limits", "show | set NAME VALUE", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc == 1 || (argc == 2 && g_strcmp0 (argv[1], "show") == 0))
    {
      FAIL_IF (!vp_cli_open (cli, FALSE, &error));
      if (opt_json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) root = NULL;

          json_builder_begin_object (b);
          for (limit = 0; limit < VP_N_LIMITS; limit++)
            {
              json_builder_set_member_name (b, vp_limit_name (limit));
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "value");
              json_builder_add_int_value (b, vp_limits_get (cli->db, limit));
              json_builder_set_member_name (b, "default");
              json_builder_add_int_value (b, vp_limit_default (limit));
              json_builder_set_member_name (b, "unit");
              json_builder_add_string_value (b, vp_limit_is_money (limit) ? "fen" : "hours");
              json_builder_end_object (b);
            }
          json_builder_end_object (b);
          root = json_builder_get_root (b);
          vp_cli_print_json (root);
          return VP_CLI_EXIT_OK;
        }
      for (limit = 0; limit < VP_N_LIMITS; limit++)
        {
          gint64 v = vp_limits_get (cli->db, limit), d = vp_limit_default (limit);
          g_autofree char *vt = vp_limit_is_money (limit) ? vp_money_format (v)
                                : g_strdup_printf ("%" G_GINT64_FORMAT " h", v);
          g_autofree char *dt = vp_limit_is_money (limit) ? vp_money_format (d)
                                : g_strdup_printf ("%" G_GINT64_FORMAT " h", d);

          g_print ("%-24s %14s  (default %s)\n", vp_limit_name (limit), vt, dt);
        }
      return VP_CLI_EXIT_OK;
    }
  if (argc != 4 || g_strcmp0 (argv[1], "set") != 0)
    return vp_cli_usage_error (cli, "limits", "say show, or set NAME VALUE");
  if (!vp_limit_from_name (argv[2], &limit))
    return vp_cli_usage_error (cli, "limits", "unknown limit “%s”", argv[2]);
  if (vp_limit_is_money (limit))
    FAIL_IF (!parse_amount_arg (argv[3], "the limit", FALSE, &value, &error));
  else if (!g_ascii_string_to_signed (argv[3], 10, 1, G_MAXINT32, &value, NULL))
    return vp_cli_usage_error (cli, "limits", "%s is a whole number of hours", argv[2]);
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  return finish_entry (cli, vp_limits_set (cli->db, staff, limit, value, &error), &error);
}

static int
cmd_void (VpCli *cli, int argc, char **argv)
{
  VpCliTopupProgress progress = { FALSE, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(VpStaff) approver = NULL;
  gint64 seq;
  char *end = NULL;
  GOptionEntry entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why it is voided", "TEXT" },
    { "progress", 0, 0, G_OPTION_ARG_NONE, &progress.progress,
      "A top-up: print each step (card, intent, write, verify, confirm) on stdout", NULL },
    STAFF_ENTRIES, APPROVE_ENTRIES, JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "void", "SEQ", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "void", "give the SEQ of the entry to void");
  seq = g_ascii_strtoll (argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || seq <= 0)
    return vp_cli_usage_error (cli, "void", "SEQ must be a positive whole number");
  if (reason == NULL)
    return vp_cli_usage_error (cli, "void", "--reason TEXT is required");
  if (approve_usage ())
    return vp_cli_usage_error (cli, "void", "%s", approve_usage ());
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  staff = vp_cli_login (cli, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  FAIL_IF (!vp_cli_login_approver (cli, opt_approve_staff, opt_approve_pin, &approver, &error));
  /* A top-up is reversed with its card: the card is rewritten without
   * the purchase, then the void gives the money back (exit 6 when the
   * card may hold the reversal but it is not finished). */
  progress.json = opt_json;
  if (vp_topup_store_topup_of (cli->db, seq, NULL) > 0)
    return finish_entry (cli, vp_service_card_reverse_topup (cli->service, staff,
                                                             approver ? approver : staff, seq,
                                                             reason, vp_cli_topup_progress,
                                                             &progress, NULL, &error),
                         &error);
  /* --staff alone: that supervisor asks and approves (the old form). */
  if (approver == NULL)
    return finish_entry (cli, vp_service_void (cli->service, staff, seq, reason, &error), &error);
  return finish_entry (cli, vp_service_void_requested (cli->service, staff, approver, seq, reason,
                                                       &error),
                       &error);
}

/* --- reports and checks ------------------------------------------------------ */

/* The published report (issue 12) as one whole document: rendered in
 * memory first, then written in one go, so a failure leaves nothing (an
 * output file appears complete or not at all). */
static int
write_published_report (VpCli          *cli,
                        const VpReport *r,
                        const char     *format,
                        const char     *output)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = vp_report_to_json (r);
  g_autoptr(GBytes) doc = NULL;
  gconstpointer data;
  gsize len;

  if (g_str_equal (format, "csv"))
    {
      char *csv = vp_report_render_csv (json_node_get_object (node));

      doc = g_bytes_new_take (csv, strlen (csv));
    }
  else
    {
      doc = vp_report_render_pdf (json_node_get_object (node), &error);
      FAIL_IF (doc == NULL);
    }
  data = g_bytes_get_data (doc, &len);
  if (output == NULL)
    {
      if (fwrite (data, 1, len, stdout) != len || fflush (stdout) != 0)
        {
          g_printerr ("%s: report: cannot write the %s to standard output: %s\n", cli->prog,
                      format, g_strerror (errno));
          return VP_CLI_EXIT_FAILED;
        }
      return VP_CLI_EXIT_OK;
    }
  if (g_file_test (output, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("%s: report: cannot write %s: it is a directory\n", cli->prog, output);
      return VP_CLI_EXIT_FAILED;
    }
  /* Said plainly before the temporary file's name can get into the message. */
  {
    g_autofree char *dir = g_path_get_dirname (output);
    struct stat st;
    int err = 0;

    if (stat (dir, &st) != 0)
      err = errno;
    else if (!S_ISDIR (st.st_mode))
      err = ENOTDIR;
    else if (access (dir, W_OK | X_OK) != 0)
      err = errno;
    if (err != 0)
      {
        g_printerr ("%s: report: cannot write %s: %s\n", cli->prog, output, g_strerror (err));
        return VP_CLI_EXIT_FAILED;
      }
  }
  /* A temporary file renamed over the target: never half a report. */
  if (!g_file_set_contents_full (output, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    {
      g_printerr ("%s: report: cannot write %s: %s\n", cli->prog, output, error->message);
      return VP_CLI_EXIT_FAILED;
    }
  return VP_CLI_EXIT_OK;
}

static int
cmd_report (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpReport) r = NULL;
  g_autofree char *date = NULL;
  g_autofree char *format = NULL;
  g_autofree char *output = NULL;
  VpReportPeriod period;
  GOptionEntry entries[] = {
    { "date", 0, 0, G_OPTION_ARG_STRING, &date, "A day in the period (default today)", "YYYY-MM-DD" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "The published report as PDF or CSV", "pdf|csv" },
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &output,
      "Write the PDF or CSV to PATH (default standard output)", "PATH" },
    JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "report", "day|month|year", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2 || !vp_report_period_from_string (argv[1], &period))
    return vp_cli_usage_error (cli, "report", "say day, month or year");
  if (format != NULL && g_strcmp0 (format, "pdf") != 0 && g_strcmp0 (format, "csv") != 0)
    return vp_cli_usage_error (cli, "report", "--format is pdf or csv, not “%s”", format);
  if (format != NULL && opt_json)
    return vp_cli_usage_error (cli, "report", "say --format or --json, not both");
  if (output != NULL && format == NULL)
    return vp_cli_usage_error (cli, "report", "--output goes with --format pdf or csv");
  if (output != NULL && *output == '\0')
    return vp_cli_usage_error (cli, "report", "--output needs a file name");
  /* Checked before anything is read, so a typo costs nothing. */
  if (date != NULL && !vp_validate_date (date, &error))
    return vp_cli_usage_error (cli, "report", "%s", error->message);
  if (g_strcmp0 (format, "pdf") == 0 && output == NULL && isatty (STDOUT_FILENO))
    return vp_cli_usage_error (cli, "report", "a PDF goes to --output PATH or a redirect, not a terminal");
  FAIL_IF (!vp_cli_open (cli, FALSE, &error));
  r = vp_report_store_build (cli->db, period, date, &error);
  FAIL_IF (r == NULL);
  if (format != NULL)
    return write_published_report (cli, r, format, output);
  if (opt_json)
    {
      g_autoptr(JsonNode) node = vp_report_to_json (r);
      vp_cli_print_json (node);
    }
  else
    {
      g_autofree char *c = vp_money_format (r->collected);
      g_autofree char *cc = vp_money_format (r->collected_cash);
      g_autofree char *ck = vp_money_format (r->collected_card);
      g_autofree char *cm = vp_money_format (r->collected_mobile);

      g_print ("Report %s – %s\n", r->from, r->to);
      g_print ("  trips %" G_GINT64_FORMAT ", consultations %" G_GINT64_FORMAT
               ", fee transactions %" G_GINT64_FORMAT ", business applications %" G_GINT64_FORMAT
               ", home visits %" G_GINT64_FORMAT "\n",
               r->trips, r->consultations, r->fee_transactions, r->applications, r->home_visits);
      g_print ("  collected %s (cash %s, card %s, mobile %s)\n", c, cc, ck, cm);
      {
        g_autofree char *dr = vp_money_format (r->figures->total.drops);
        g_autofree char *pi = vp_money_format (r->figures->total.paid_in);
        g_autofree char *po = vp_money_format (r->figures->total.paid_out);

        g_print ("  cash drops %s, paid in %s, paid out %s, voids %" G_GINT64_FORMAT "\n",
                 dr, pi, po, r->voids);
        for (guint i = 0; i < r->figures->voided->len; i++)
          {
            VpVoided *v = r->figures->voided->pdata[i];
            g_autofree char *a = vp_money_format (v->amount);

            g_print ("  voided %s %s %s by void #%" G_GINT64_FORMAT "\n", v->receipt, v->kind, a,
                     v->void_seq);
          }
      }
      for (guint i = 0; i < r->days->len; i++)
        {
          VpReportDay *d = r->days->pdata[i];
          g_autofree char *dc = vp_money_format (d->collected);
          g_print ("  %s  %s  %" G_GINT64_FORMAT " transactions\n", d->date, dc, d->transactions);
        }
    }
  return VP_CLI_EXIT_OK;
}

static int
cmd_verify (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  gint64 checked = 0, bad = 0;
  GOptionEntry entries[] = { JSON_ENTRY, { NULL } };

  if (!vp_cli_parse (cli, "verify", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  if (!vp_journal_store_verify (cli->db, &checked, &bad, &error))
    {
      if (opt_json)
        g_print ("{\"ok\":false,\"checked\":%" G_GINT64_FORMAT ",\"bad_seq\":%" G_GINT64_FORMAT "}\n",
                 checked, bad);
      /* One line: where it broke and why. */
      if (bad > 0)
        g_prefix_error (&error, "journal broken at entry %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT
                        " entries checked): ", bad, checked);
      vp_cli_fail (cli, error);
      return VP_CLI_EXIT_VERIFY;
    }
  if (opt_json)
    g_print ("{\"ok\":true,\"checked\":%" G_GINT64_FORMAT "}\n", checked);
  else
    g_print ("Journal intact: %" G_GINT64_FORMAT " entries, chain and signatures verified\n", checked);
  return VP_CLI_EXIT_OK;
}

static int
cmd_journal (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries_list = NULL;
  gint64 after = 0;
  gint limit = 0;
  GOptionEntry entries[] = {
    { "after", 0, 0, G_OPTION_ARG_INT64, &after, "Only entries after SEQ", "SEQ" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "At most N entries", "N" },
    JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "journal", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (after < 0 || limit < 0)
    return vp_cli_usage_error (cli, "journal", "--after and --limit must not be negative");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  entries_list = vp_journal_store_list (cli->db, after, limit, &error);
  FAIL_IF (entries_list == NULL);
  for (guint i = 0; i < entries_list->len; i++)
    vp_cli_print_entry (entries_list->pdata[i], opt_json);
  return VP_CLI_EXIT_OK;
}

static int
cmd_receipt (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *printer = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *out = NULL;
  gint columns = VP_PRINT_COLUMNS_58MM;
  gint64 seq = 0;
  int rc;
  GOptionEntry entries[] = {
    { "printer", 0, 0, G_OPTION_ARG_STRING, &printer, "pdf, escpos:DEVICE or text:FILE (default: show it)", "SPEC" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Folder for PDF receipts", "DIR" },
    { "columns", 0, 0, G_OPTION_ARG_INT, &columns, "Paper width in columns (32 or 48)", "N" },
    { NULL }
  };

  if (!vp_cli_parse (cli, "receipt", "SEQ|RECEIPT", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "receipt", "give the SEQ of the entry or its RECEIPT number");
  if (columns < 24 || columns > 64)
    return vp_cli_usage_error (cli, "receipt", "--columns must be 24–64");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  if ((rc = vp_cli_resolve_receipt (cli, "receipt", argv[1], &seq)) != VP_CLI_EXIT_OK)
    return rc;
  if (printer == NULL)
    {
      g_autoptr(VpReceipt) r = vp_service_build_receipt (cli->service, seq, &error);
      g_autofree char *text = NULL;

      FAIL_IF (r == NULL);
      text = vp_receipt_render_text (r, columns);
      g_print ("%s", text);
      return VP_CLI_EXIT_OK;
    }
  FAIL_IF (!vp_service_print_receipt (cli->service, seq, printer, dir, &out, &error));
  if (out != NULL)
    g_print ("Printed to %s\n", out);
  return VP_CLI_EXIT_OK;
}

static int
cmd_backup (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  if (!vp_cli_parse (cli, "backup", "DEST", NULL, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "backup", "give the DEST file");
  FAIL_IF (!vp_cli_open (cli, FALSE, &error));
  FAIL_IF (!vp_database_backup (cli->db, argv[1], &error));
  g_print ("Backed up to %s (with %s.vankey and %s.anchor; keep them together, private)\n",
           argv[1], argv[1], argv[1]);
  if (vp_database_get_break (cli->db) != NULL)
    g_printerr ("%s: warning: the backed-up journal has a break: %s\n", cli->prog,
                vp_database_get_break (cli->db)->message);
  return VP_CLI_EXIT_OK;
}

static int
cmd_restore (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  gboolean force = FALSE;
  gint64 restored = 0;
  GOptionEntry entries[] = {
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace even an intact database", NULL },
    { NULL }
  };

  if (!vp_cli_parse (cli, "restore", "BACKUP", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "restore", "give the BACKUP file (from “backup DEST”)");
  if (cli->db_path == NULL)
    return vp_cli_usage_error (cli, "restore", "give the database to restore: --db PATH");
  FAIL_IF (!vp_database_restore (cli->db_path, argv[1], force, &restored, &error));
  g_print ("Restored %s from %s (journal up to entry %" G_GINT64_FORMAT ")\n", cli->db_path,
           argv[1], restored);
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  if (vp_database_get_break (cli->db) != NULL)
    {
      g_printerr ("%s: restored, but nothing can be saved yet: %s; a supervisor must "
                  "acknowledge it (acknowledge-break)\n", cli->prog,
                  vp_database_get_break (cli->db)->message);
      return VP_CLI_EXIT_PARTIAL;
    }
  return VP_CLI_EXIT_OK;
}

static int
cmd_acknowledge_break (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autofree char *reason = NULL;
  GOptionEntry entries[] = {
    STAFF_ENTRIES,
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "What happened", "TEXT" },
    JSON_ENTRY,
    { NULL }
  };

  if (!vp_cli_parse (cli, "acknowledge-break", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (reason == NULL)
    return vp_cli_usage_error (cli, "acknowledge-break", "say what happened: --reason TEXT");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  if (vp_database_get_break (cli->db) == NULL)
    {
      g_print ("The journal has no break; nothing to acknowledge\n");
      return VP_CLI_EXIT_OK;
    }
  if (opt_staff == NULL || opt_pin == NULL)
    return vp_cli_usage_error (cli, "acknowledge-break", "a supervisor's --staff and --pin");
  staff = vp_service_login (cli->service, opt_staff, opt_pin, &error);
  FAIL_IF (staff == NULL);
  return finish_entry (cli, vp_service_acknowledge_break (cli->service, staff, reason, &error),
                       &error);
}

static int
cmd_check (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  if (!vp_cli_parse (cli, "check", NULL, NULL, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  FAIL_IF (!vp_cli_open (cli, FALSE, &error));
  if (!vp_database_check_integrity (cli->db, &error))
    {
      /* Remembered beside the key: nothing is written to it any more. */
      vp_database_set_break (cli->db, error, 0);
      return vp_cli_fail (cli, error);
    }
  if (vp_database_is_initialized (cli->db) && !vp_journal_store_verify (cli->db, NULL, NULL, &error))
    return vp_cli_fail (cli, error);
  if (vp_database_get_break (cli->db) != NULL)
    {
      g_printerr ("%s: %s\n", cli->prog, vp_database_get_break (cli->db)->message);
      return VP_CLI_EXIT_DAMAGED;
    }
  g_print ("Database integrity ok; %" G_GINT64_FORMAT " accounts, %" G_GINT64_FORMAT
           " journal entries, %" G_GINT64_FORMAT " waiting to sync; journal chain and anchor"
           " intact\n",
           vp_account_store_count (cli->db), vp_journal_store_last_seq (cli->db),
           vp_outbox_store_count_pending (cli->db));
  return VP_CLI_EXIT_OK;
}

const VpCliCommand vp_cli_core_commands[] = {
  { "init", cmd_init, "Set up a new van database and its journal key" },
  { "demo", cmd_demo, "Add deterministic demo accounts, tariffs and staff" },
  { "staff", cmd_staff, "List, add, disable staff; reset a PIN; unlock after wrong PINs" },
  { "search", cmd_search, "Find accounts by number, card, phone, name, initials, address" },
  { "account", cmd_account, "Show one account with its open bills" },
  { "pay", cmd_pay, "Pay post-paid bills (oldest first; surplus becomes credit)" },
  { "topup", cmd_topup, "Top up a prepaid IC card by amount or volume" },
  { "settle-credit", cmd_settle_credit, "Pay open bills from the account's credit (no money)" },
  { "refund-credit", cmd_refund_credit, "Refund credit in cash, account stays open (supervisor)" },
  { "open-account", cmd_open_account, "Open a new (provisional) account" },
  { "transfer", cmd_transfer, "Change the account holder (过户)" },
  { "move-credit", cmd_move_credit, "Move credit from one account to another" },
  { "close-account", cmd_close_account, "Close an account, refunding or moving its credit" },
  { "log", cmd_log, "Log a consultation, home visit or complaint" },
  { "trip", cmd_trip, "Start or end a trip to an estate" },
  { "shift", cmd_shift, "Open or close a shift, print the X report, list shifts or reprint a Z" },
  { "cash", cmd_cash, "Cash drop to the safe, paid-in or paid-out (supervisor)" },
  { "limits", cmd_limits, "Show or set the offline limits (supervisor sets)" },
  { "void", cmd_void, "Void a transaction of the open shift; a top-up with its card (supervisor)" },
  { "report", cmd_report, "Day, month or year activity report" },
  { "verify", cmd_verify, "Verify the journal's hash chain and signatures" },
  { "journal", cmd_journal, "List journal entries" },
  { "receipt", cmd_receipt, "Show or print the receipt of a journal entry" },
  { "backup", cmd_backup, "Online backup of the database" },
  { "check", cmd_check, "Database integrity, journal chain and anchor check" },
  { "restore", cmd_restore, "Restore the database from a backup set" },
  { "acknowledge-break", cmd_acknowledge_break, "Acknowledge a journal break (supervisor)" },
  { NULL, NULL, NULL }
};
