/* vp-cli-card.c: IC-card commands.
 *
 *   card read [--json]                  read and verify the card in the reader
 *   card topup ACCOUNT_NO (--amount A | --volume M3) --method M [--ref R] [--from-credit]
 *              --staff ID --pin PIN [--progress] [--json]
 *   card reissue ACCOUNT_NO --fee A --method M [--ref R] [--reason TEXT]
 *              --staff ID --pin PIN [--json]
 *   card insert CARD_NO | card remove   (simulated reader)
 *   card set-key HEX                    the utility card key (64 hex digits)
 *   card recover [--json]               resolve unfinished top-ups
 *
 * The reader: simulated cards in VANPOS_CARD_DIR (default
 * "<db path>.cards/", or --card-dir), or PC/SC with
 * VANPOS_CARD_READER=pcsc[:NAME]. Unlike the plain “topup”, these
 * commands never put a card into the simulated reader by themselves.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vanpos-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "vp-cli.h"
#include "vp-sim-card.h"
#include "vp-pcsc-card.h"

static char *card_staff;
static char *card_pin;
static gboolean card_json;
static char *card_dir;
static gint card_timeout;

#define CARD_COMMON_ENTRIES \
  { "card-dir", 0, 0, G_OPTION_ARG_FILENAME, &card_dir, "Simulated cards directory", "DIR" }, \
  { "timeout", 0, 0, G_OPTION_ARG_INT, &card_timeout, "Seconds to wait for a card (default 0)", "S" }, \
  { "json", 0, 0, G_OPTION_ARG_NONE, &card_json, "Print one JSON object", NULL }
#define CARD_STAFF_ENTRIES \
  { "staff", 0, 0, G_OPTION_ARG_STRING, &card_staff, "Staff id", "ID" }, \
  { "pin", 0, 0, G_OPTION_ARG_STRING, &card_pin, "Staff PIN", "PIN" }

#define FAIL_IF(cond) G_STMT_START { if (cond) return vp_cli_fail (cli, error); } G_STMT_END

static int
card_fail (VpCli        *cli,
           const GError *error)
{
  if (error->domain == VP_CARD_ERROR && error->code == VP_CARD_ERROR_NO_CARD)
    {
      g_printerr ("%s: %s\n", cli->prog, error->message);
      return VP_CLI_EXIT_NOT_FOUND;
    }
  return vp_cli_fail (cli, error);
}

/* Opens the database and installs the reader the card commands use. */
static gboolean
open_card (VpCli   *cli,
           GError **error)
{
  const char *kind = g_getenv ("VANPOS_CARD_READER");
  g_autoptr(GObject) reader = NULL;

  if (!vp_cli_open (cli, TRUE, error))
    return FALSE;
  if (kind != NULL && g_str_has_prefix (kind, "pcsc"))
    reader = (GObject *)vp_pcsc_card_new (kind[4] == ':' ? kind + 5 : NULL, error);
  else
    {
      if (card_dir != NULL)
        reader = (GObject *)vp_sim_card_new (card_dir, error);
      else
        reader = (GObject *)vp_service_open_default_sim_card (cli->service, error);
    }
  if (reader == NULL)
    return FALSE;
  vp_service_set_card_reader (cli->service, VP_CARD_READER (reader));
  vp_service_set_card_timeout (cli->service, CLAMP (card_timeout, 0, 600) * 1000);
  return TRUE;
}

static VpSimCard *
sim_reader (VpCli   *cli,
            GError **error)
{
  VpCardReader *reader = vp_service_get_card_reader (cli->service, error);

  if (reader == NULL)
    return NULL;
  if (!VP_IS_SIM_CARD (reader))
    {
      g_set_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO,
                   "Only the simulated reader takes cards by command; put a real card in the reader");
      return NULL;
    }
  return VP_SIM_CARD (reader);
}

static const char *
outcome_name (VpRecoveryOutcome o)
{
  switch (o)
    {
    case VP_RECOVERY_CONFIRMED:
      return "confirmed";
    case VP_RECOVERY_VOIDED:
      return "voided";
    case VP_RECOVERY_WAITING:
    default:
      return "waiting";
    }
}

static void
add_recovery_json (JsonBuilder *b,
                   GPtrArray   *items)
{
  json_builder_set_member_name (b, "recovered");
  json_builder_begin_array (b);
  for (guint i = 0; items && i < items->len; i++)
    {
      VpRecoveryItem *it = g_ptr_array_index (items, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "intent_seq");
      json_builder_add_int_value (b, it->intent_seq);
      json_builder_set_member_name (b, "resolved_seq");
      json_builder_add_int_value (b, it->resolved_seq);
      json_builder_set_member_name (b, "account");
      json_builder_add_string_value (b, it->account_number);
      json_builder_set_member_name (b, "card_number");
      json_builder_add_string_value (b, it->card_number);
      json_builder_set_member_name (b, "counter");
      json_builder_add_int_value (b, it->counter);
      json_builder_set_member_name (b, "amount");
      json_builder_add_int_value (b, it->amount);
      json_builder_set_member_name (b, "outcome");
      /* A reversal is done or abandoned, never "confirmed" or "voided". */
      if (it->reversal && it->outcome != VP_RECOVERY_WAITING)
        json_builder_add_string_value (b, it->outcome == VP_RECOVERY_CONFIRMED ? "reversed"
                                                                              : "abandoned");
      else
        json_builder_add_string_value (b, outcome_name (it->outcome));
      json_builder_set_member_name (b, "reversal");
      json_builder_add_boolean_value (b, it->reversal);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, it->message);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
print_recovery_text (GPtrArray *items)
{
  for (guint i = 0; items && i < items->len; i++)
    {
      VpRecoveryItem *it = g_ptr_array_index (items, i);
      g_print ("%s\n", it->message);
    }
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

static int
card_read (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpCardReadout) r = NULL;
  const VpCardRecord *rec;
  GOptionEntry entries[] = { CARD_COMMON_ENTRIES, { NULL } };

  if (!vp_cli_parse (cli, "card read", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 1)
    return vp_cli_usage_error (cli, "card read", "unexpected argument “%s”", argv[1]);
  FAIL_IF (!open_card (cli, &error));
  r = vp_service_card_read (cli->service, NULL, &error);
  if (r == NULL)
    return card_fail (cli, error);
  rec = &r->record;

  if (card_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
#define S(k, v) G_STMT_START { json_builder_set_member_name (b, k); \
    if (v) json_builder_add_string_value (b, v); else json_builder_add_null_value (b); } G_STMT_END
#define I(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
#define B(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_boolean_value (b, v); } G_STMT_END
      B ("blank", r->blank);
      S ("card_number", r->blank ? (r->account ? r->account->card_number : NULL) : rec->card_number);
      S ("account", r->blank ? (r->account ? r->account->number : NULL) : rec->account_number);
      S ("holder", r->account ? r->account->holder : NULL);
      I ("counter", rec->counter);
      I ("tariff_version", rec->tariff_version);
      I ("last_volume", rec->last_volume);
      I ("last_amount", rec->last_amount);
      I ("total_volume", rec->total_volume);
      I ("written_at", rec->time / G_USEC_PER_SEC);
      B ("loaded", (rec->flags & VP_CARD_FLAG_LOADED) != 0);
      B ("reversal", (rec->flags & VP_CARD_FLAG_REVERSAL) != 0);
      B ("verified", r->verified);
      S ("problem", r->problem);
      B ("damaged", r->damaged);
      S ("damage", r->damage);
      if (r->account)
        {
          I ("store_counter", r->account->card_counter);
          I ("credit", r->account->balance);
        }
      json_builder_set_member_name (b, "purchases");
      json_builder_begin_array (b);
      for (guint i = 0; i < rec->n_history; i++)
        {
          json_builder_begin_object (b);
          I ("counter", rec->history[i].counter);
          I ("volume", rec->history[i].volume);
          I ("amount", rec->history[i].amount);
          I ("time", rec->history[i].time / G_USEC_PER_SEC);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      add_recovery_json (b, r->recovered);
#undef S
#undef I
#undef B
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      vp_cli_print_json (root);
    }
  else
    {
      print_recovery_text (r->recovered);
      if (r->blank)
        g_print ("Blank card%s%s\n", r->account ? " for account " : "",
                 r->account ? r->account->number : "");
      else
        {
          g_autofree char *total = vp_volume_format (rec->total_volume);
          g_autofree char *when = format_time (rec->time);

          g_print ("Card %s  account %s %s  %s\n", rec->card_number, rec->account_number,
                   r->account ? r->account->holder : "",
                   r->verified ? "verified" : "NOT VERIFIED");
          g_print ("  purchases %u, total %s, tariff v%u, written %s\n", rec->counter, total,
                   rec->tariff_version, when);
          for (guint i = 0; i < rec->n_history; i++)
            {
              g_autofree char *v = vp_volume_format (rec->history[i].volume);
              g_autofree char *m = vp_money_format (rec->history[i].amount);
              g_autofree char *t = format_time (rec->history[i].time);

              g_print ("  #%-5u %s  %12s  %10s\n", rec->history[i].counter, t, v, m);
            }
          if (r->account)
            {
              g_autofree char *c = vp_money_format (r->account->balance);
              g_print ("  van records: %" G_GINT64_FORMAT " purchases, credit %s\n",
                       r->account->card_counter, c);
            }
        }
      if (r->damaged)
        g_print ("  note: one record slot is damaged (%s); the intact record was used\n", r->damage);
    }
  if (!r->blank && !r->verified)
    {
      g_printerr ("%s: %s\n", cli->prog, r->problem);
      return VP_CLI_EXIT_FAILED;
    }
  return VP_CLI_EXIT_OK;
}


void
vp_cli_topup_progress (const char *stage,
                       double      fraction,
                       gpointer    user_data)
{
  static const char *const steps[] = { "card", "intent", "write", "verify", "confirm", "done" };
  const VpCliTopupProgress *p = user_data;

  if (p->json)
    return;
  if (g_strv_contains (steps, stage))
    {
      if (p->progress)
        g_print ("%s… %d%%\n", stage, (int)(fraction * 100));
    }
  else
    g_print ("%s\n", stage);
  fflush (stdout);
}

static int
card_topup (VpCli *cli, int argc, char **argv)
{
  VpCliTopupProgress progress = { FALSE, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autofree char *method = NULL, *ref = NULL, *amount_text = NULL, *volume_text = NULL;
  VpPaymentMethod m;
  VpMoney amount = 0;
  VpVolume volume = 0;
  gboolean from_credit = FALSE;
  GOptionEntry entries[] = {
    { "amount", 0, 0, G_OPTION_ARG_STRING, &amount_text, "Money to spend", "AMOUNT" },
    { "from-credit", 0, 0, G_OPTION_ARG_NONE, &from_credit,
      "Pay with the account's credit first (--method only for the rest)", NULL },
    { "volume", 0, 0, G_OPTION_ARG_STRING, &volume_text, "Volume to buy in m³", "M3" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "cash, card or mobile", "METHOD" },
    { "ref", 0, 0, G_OPTION_ARG_STRING, &ref, "Terminal reference (card, mobile)", "REF" },
    { "progress", 0, 0, G_OPTION_ARG_NONE, &progress.progress,
      "Print each step (card, intent, write, verify, confirm) on stdout", NULL },
    CARD_STAFF_ENTRIES, CARD_COMMON_ENTRIES,
    { NULL }
  };

  if (!vp_cli_parse (cli, "card topup", "ACCOUNT_NO", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "card topup", "give one ACCOUNT_NO");
  if ((amount_text == NULL) == (volume_text == NULL))
    return vp_cli_usage_error (cli, "card topup", "give exactly one of --amount and --volume");
  if (amount_text)
    {
      FAIL_IF (!vp_money_parse_positive (amount_text, &amount, &error));
    }
  else
    {
      FAIL_IF (!vp_volume_parse (volume_text, &volume, &error));
      if (volume <= 0)
        return vp_cli_usage_error (cli, "card topup", "the volume must be more than 0 m³");
    }
  if (method != NULL || !from_credit)
    FAIL_IF (!vp_cli_parse_method (method, &m, &error));
  FAIL_IF (!open_card (cli, &error));
  staff = vp_cli_login (cli, card_staff, card_pin, &error);
  FAIL_IF (staff == NULL);
  progress.json = card_json;
  entry = vp_service_card_topup_full (cli->service, staff, argv[1], amount, volume,
                                      from_credit ? VP_TOPUP_FROM_CREDIT : 0,
                                      method != NULL ? &m : NULL, ref, 0,
                                      vp_cli_topup_progress, &progress, NULL, &error);
  if (entry == NULL)
    return card_fail (cli, error);
  vp_cli_print_entry (entry, card_json);
  return VP_CLI_EXIT_OK;
}

static int
card_reissue (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) staff = NULL;
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autofree char *method = NULL, *ref = NULL, *fee_text = NULL, *reason = NULL, *note = NULL;
  VpPaymentMethod m = VP_PAYMENT_CASH;
  VpMoney fee = 0;
  GOptionEntry entries[] = {
    { "fee", 0, 0, G_OPTION_ARG_STRING, &fee_text, "Reissue fee (0 for none)", "AMOUNT" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "cash, card or mobile", "METHOD" },
    { "ref", 0, 0, G_OPTION_ARG_STRING, &ref, "Terminal reference (card, mobile)", "REF" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why (default: lost)", "TEXT" },
    CARD_STAFF_ENTRIES, CARD_COMMON_ENTRIES,
    { NULL }
  };

  if (!vp_cli_parse (cli, "card reissue", "ACCOUNT_NO", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "card reissue", "give one ACCOUNT_NO");
  if (fee_text == NULL)
    return vp_cli_usage_error (cli, "card reissue", "give the fee with --fee AMOUNT (0 for none)");
  FAIL_IF (!vp_money_parse (fee_text, &fee, &error));
  if (fee > 0 || method != NULL)
    FAIL_IF (!vp_cli_parse_method (method, &m, &error));
  if (reason != NULL && (*reason == '\0' || strlen (reason) > 200))
    return vp_cli_usage_error (cli, "card reissue", "the reason must be 1–200 characters");
  FAIL_IF (!open_card (cli, &error));
  staff = vp_cli_login (cli, card_staff, card_pin, &error);
  FAIL_IF (staff == NULL);
  entry = vp_service_card_reissue (cli->service, staff, argv[1], fee, m, ref, reason, &note,
                                   NULL, &error);
  if (entry == NULL)
    return card_fail (cli, error);
  vp_cli_print_entry (entry, card_json);
  if (note != NULL)
    g_printerr ("%s\n", note);
  return VP_CLI_EXIT_OK;
}

static int
run_recovery (VpCli *cli)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = vp_service_recover_topups (cli->service, NULL, &error);

  if (items == NULL)
    return card_fail (cli, error);
  if (card_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      add_recovery_json (b, items);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      vp_cli_print_json (root);
    }
  else
    print_recovery_text (items);
  return VP_CLI_EXIT_OK;
}

static int
card_insert (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  VpSimCard *sim;
  GOptionEntry entries[] = { CARD_COMMON_ENTRIES, { NULL } };

  if (!vp_cli_parse (cli, "card insert", "CARD_NO", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "card insert", "give one CARD_NO");
  FAIL_IF (!open_card (cli, &error));
  sim = sim_reader (cli, &error);
  FAIL_IF (sim == NULL);
  FAIL_IF (!vp_sim_card_insert (sim, argv[1], &error));
  if (!card_json)
    g_print ("Card %s is in the simulated reader (%s)\n", argv[1], vp_sim_card_get_dir (sim));
  /* Every insert resolves unfinished top-ups. */
  return run_recovery (cli);
}

static int
card_remove (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  VpSimCard *sim;
  GOptionEntry entries[] = { CARD_COMMON_ENTRIES, { NULL } };

  if (!vp_cli_parse (cli, "card remove", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 1)
    return vp_cli_usage_error (cli, "card remove", "unexpected argument “%s”", argv[1]);
  FAIL_IF (!open_card (cli, &error));
  sim = sim_reader (cli, &error);
  FAIL_IF (sim == NULL);
  FAIL_IF (!vp_sim_card_remove (sim, &error));
  if (!card_json)
    g_print ("The simulated reader is empty\n");
  return VP_CLI_EXIT_OK;
}

static int
card_set_key (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = { { NULL } };

  if (!vp_cli_parse (cli, "card set-key", "HEX", entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 2)
    return vp_cli_usage_error (cli, "card set-key", "give the key as 64 hex digits");
  FAIL_IF (!vp_cli_open (cli, TRUE, &error));
  FAIL_IF (!vp_card_store_set_key (cli->db, argv[1], &error));
  g_print ("Card key set\n");
  return VP_CLI_EXIT_OK;
}

static int
card_recover (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = { CARD_COMMON_ENTRIES, { NULL } };

  if (!vp_cli_parse (cli, "card recover", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 1)
    return vp_cli_usage_error (cli, "card recover", "unexpected argument “%s”", argv[1]);
  FAIL_IF (!open_card (cli, &error));
  return run_recovery (cli);
}

/* The simulated gas meter: the card put into it gives up its last
 * purchase, and the meter marks the record loaded (in place, under the
 * utility key it shares), as a real meter does. For demos and tests. */
static int
card_meter (VpCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_auto(VpCardImage) image = { 0 };
  g_auto(VpCardKeyring) keyring = { 0 };
  guint8 rec[VP_CARD_RECORD_SIZE];
  VpCardReader *reader;
  VpCardRecord r;
  GOptionEntry entries[] = { CARD_COMMON_ENTRIES, { NULL } };

  if (!vp_cli_parse (cli, "card meter", NULL, entries, &argc, &argv))
    return VP_CLI_EXIT_USAGE;
  if (argc != 1)
    return vp_cli_usage_error (cli, "card meter", "unexpected argument “%s”", argv[1]);
  FAIL_IF (!open_card (cli, &error));
  FAIL_IF (sim_reader (cli, &error) == NULL);
  reader = vp_service_get_card_reader (cli->service, &error);
  FAIL_IF (reader == NULL);
  FAIL_IF (!vp_service_card_key (cli->service, &keyring, &error));
  if (!vp_card_reader_is_present (reader))
    {
      g_set_error (&error, VP_CARD_ERROR, VP_CARD_ERROR_NO_CARD, "No card in the reader");
      return card_fail (cli, error);
    }
  bytes = vp_card_reader_read (reader, &error);
  FAIL_IF (bytes == NULL);
  FAIL_IF (!vp_card_image_parse_ring (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                      &keyring, &image, &error));
  if (!image.has_record)
    {
      g_printerr ("%s: the card is blank; there is nothing to load\n", cli->prog);
      return VP_CLI_EXIT_FAILED;
    }
  r = image.record;
  if ((r.flags & VP_CARD_FLAG_LOADED) != 0)
    {
      g_printerr ("%s: purchase %u on card %s is already loaded into the meter\n", cli->prog,
                  r.counter, r.card_number);
      return VP_CLI_EXIT_FAILED;
    }
  FAIL_IF (!vp_card_record_mark_loaded (&r, &error));
  FAIL_IF (!vp_card_record_encode_ring (&r, &keyring, rec, &error));
  FAIL_IF (!vp_card_reader_write (reader, image.slot * VP_CARD_RECORD_SIZE, rec, sizeof rec,
                                  &error));
  if (!card_json)
    g_print ("Card %s: purchase %u (%" G_GINT64_FORMAT " L) loaded into the meter\n",
             r.card_number, r.counter, r.last_volume);
  return VP_CLI_EXIT_OK;
}

static const VpCliCommand card_subcommands[] = {
  { "read", card_read, "Read and verify the card in the reader, with its last purchases" },
  { "topup", card_topup, "Top up the card in the reader (two-phase, crash-safe)" },
  { "reissue", card_reissue, "Replace a lost card: new number, old one blocked, counter carried" },
  { "insert", card_insert, "Put a card into the simulated reader (then resolve unfinished top-ups)" },
  { "remove", card_remove, "Take the card out of the simulated reader" },
  { "set-key", card_set_key, "Set the utility card key (64 hex digits)" },
  { "recover", card_recover, "Resolve unfinished top-ups with the card in the reader" },
  { "meter", card_meter, "Simulated meter: load the card's last purchase (marks it loaded)" },
  { NULL, NULL, NULL }
};

static int
cmd_card (VpCli *cli, int argc, char **argv)
{
  if (argc >= 2)
    for (const VpCliCommand *c = card_subcommands; c->name; c++)
      if (g_str_equal (c->name, argv[1]))
        return c->func (cli, argc - 1, argv + 1);
  g_printerr ("Usage: %s card SUBCOMMAND …\n", cli->prog);
  for (const VpCliCommand *c = card_subcommands; c->name; c++)
    g_printerr ("  card %-9s %s\n", c->name, c->summary);
  return VP_CLI_EXIT_USAGE;
}

const VpCliCommand vp_cli_card_commands[] = {
  { "card", cmd_card, "IC card: read, topup, reissue, insert, remove, set-key, recover, meter" },
  { NULL, NULL, NULL }
};
