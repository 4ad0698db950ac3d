/* test-card-crash.c: the process dies at every step of the two-phase
 * top-up — before and after the INTENT commit, in the middle of the card
 * write, after the write, after the read-back, in and after the CONFIRM
 * commit, and SIGKILL while the card is being written — then recovery
 * (`card recover`, as at start or card insert) runs. In every case the
 * card and the journal agree: card counter == van counter == confirmed
 * top-ups, voided money is credit, nothing is credited twice, no payment
 * is lost, the journal verifies and the card takes the next top-up.
 *
 * Drives vanpos-cli (VANPOS_CLI) as separate processes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "card-test-util.h"

typedef struct
{
  const char *name;
  const char *env;          /* NAME=VALUE set for the crashing run */
  gboolean    sigkill;      /* kill -9 during the write instead */
  int         expect_exit;  /* 86: simulated power cut */
  const char *expect;       /* recovery outcome: confirmed, voided, none (nothing pending), any */
  gboolean    intent_kept;  /* the INTENT survived */
} Case;

static const Case cases[] = {
  { "before-intent-commit", "VP_CRASH_BEFORE_COMMIT=1", FALSE, 86, "none", FALSE },
  { "after-intent-commit", "VP_CRASH_AFTER_COMMIT=1", FALSE, 86, "voided", TRUE },
  { "mid-write", "VANPOS_SIM_FAULT=crash-after:100", FALSE, 86, "voided", TRUE },
  { "mid-write-last-byte", "VANPOS_SIM_FAULT=crash-after:247", FALSE, 86, "voided", TRUE },
  { "after-write", "VP_CARD_CRASH=after-write", FALSE, 86, "confirmed", TRUE },
  { "after-verify", "VP_CARD_CRASH=after-verify", FALSE, 86, "confirmed", TRUE },
  { "in-confirm-commit", "VP_CARD_CRASH=confirm-commit", FALSE, 86, "confirmed", TRUE },
  { "after-confirm-commit", "VP_CARD_CRASH=after-confirm-commit", FALSE, 86, "none", TRUE },
  { "sigkill-during-write", "VANPOS_SIM_WRITE_DELAY_MS=50", TRUE, -SIGKILL, "any", TRUE },
};

typedef struct
{
  char   *dir;
  char   *db;
  char   *cards;
  char   *number;
  char   *card;
  gint64  counter0;
  VpMoney balance0;
} Van;

static int
run_cli (Van         *van,
         const char  *extra_env,
         gboolean     sigkill,
         char       **out,
         char       **err,
         ...)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("VANPOS_CLI");
  const char *a;
  va_list ap;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (char *)cli);
  g_ptr_array_add (argv, "--db");
  g_ptr_array_add (argv, van->db);
  va_start (ap, err);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *)a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (l, "VANPOS_CARD_DIR", van->cards, TRUE);
  g_subprocess_launcher_unsetenv (l, "VANPOS_SIM_FAULT");
  if (extra_env)
    {
      g_auto(GStrv) kv = g_strsplit (extra_env, "=", 2);
      g_subprocess_launcher_setenv (l, kv[0], kv[1], TRUE);
    }
  p = g_subprocess_launcher_spawnv (l, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);

  if (sigkill)
    {
      /* The steps come on stdout with --progress. */
      GInputStream *es = g_subprocess_get_stdout_pipe (p);
      g_autoptr(GDataInputStream) ds = g_data_input_stream_new (es);
      g_autofree char *line = NULL;

      /* Kill once the card write has begun (each 16 bytes take 50 ms). */
      while ((line = g_data_input_stream_read_line (ds, NULL, NULL, NULL)) != NULL)
        {
          gboolean writing = g_str_has_prefix (line, "write");

          g_clear_pointer (&line, g_free);
          if (writing)
            break;
        }
      g_usleep (150 * 1000);
      g_subprocess_send_signal (p, SIGKILL);
      g_subprocess_wait (p, NULL, &error);
      g_assert_no_error (error);
      g_assert_false (g_subprocess_get_if_exited (p));
      if (out)
        *out = g_strdup ("");
      if (err)
        *err = g_strdup ("");
      return -g_subprocess_get_term_sig (p);
    }
  g_subprocess_communicate_utf8 (p, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (p))
    return -g_subprocess_get_term_sig (p);
  return g_subprocess_get_exit_status (p);
}

#define CLI(van, env, out, err, ...) run_cli (van, env, FALSE, out, err, __VA_ARGS__, NULL)

static void
cli_ok (Van *van, ...)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GSubprocessLauncher) dummy = NULL;
  const char *args[16];
  va_list ap;
  int n = 0, rc;

  va_start (ap, van);
  while ((args[n] = va_arg (ap, const char *)) != NULL && n < 15)
    n++;
  va_end (ap);
  args[n] = NULL;
  rc = run_cli (van, NULL, FALSE, &out, &err, args[0], args[1], args[2], args[3], args[4], args[5],
                args[6], args[7], args[8], args[9], args[10], args[11], args[12], args[13], NULL);
  if (rc != 0)
    g_error ("vanpos-cli %s failed (%d): %s%s", args[0], rc, out, err);
}

/* Opens the van database for a look, and closes it again. */
static VpDatabase *
open_db (Van *van)
{
  g_autoptr(GError) error = NULL;
  VpDatabase *db = vp_database_open (van->db, VP_DATABASE_OPEN_DEFAULT, &error);

  g_assert_no_error (error);
  return db;
}

static gint64
db_int (VpDatabase *db,
        const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 v = -1;

  vp_database_lock (db);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (db), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  vp_database_unlock (db);
  return v;
}

static void
van_setup (Van *van)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpDatabase) db = NULL;
  g_autoptr(VpAccount) a = NULL;
  sqlite3_stmt *stmt = NULL;

  van->dir = g_dir_make_tmp ("vp-card-crash-XXXXXX", &error);
  g_assert_no_error (error);
  van->db = g_build_filename (van->dir, "van.db", NULL);
  van->cards = g_build_filename (van->dir, "cards", NULL);
  cli_ok (van, "init", "--van", "VAN01", NULL);
  cli_ok (van, "demo", "--accounts", "20", "--pin-iterations", "1000", NULL);
  cli_ok (van, "card", "set-key", TEST_KEY_HEX, NULL);
  cli_ok (van, "shift", "open", "--float", "100", "--staff", "op01", "--pin", "1234", NULL);

  db = open_db (van);
  vp_database_lock (db);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (db),
                                       "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                       " AND card_number IS NOT NULL ORDER BY id LIMIT 1",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  van->number = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  vp_database_unlock (db);

  /* The plain topup puts the account's simulated card in by itself. */
  cli_ok (van, "topup", van->number, "--amount", "25", "--method", "cash", "--staff", "op01",
          "--pin", "1234", NULL);
  a = vp_account_store_get (db, van->number, &error);
  g_assert_no_error (error);
  van->card = g_strdup (a->card_number);
  van->counter0 = a->card_counter;
  van->balance0 = a->balance;
  cli_ok (van, "card", "insert", van->card, NULL);
}

static void
van_free (Van *van)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", van->dir);

  g_assert_cmpint (system (cmd), ==, 0);
  g_free (van->dir);
  g_free (van->db);
  g_free (van->cards);
  g_free (van->number);
  g_free (van->card);
}

/* The invariants after recovery; returns the number of confirmed and
 * voided top-ups beyond the setup's. */
static void
assert_agree (Van    *van,
              gint64 *confirmed_out,
              gint64 *voided_out)
{
  g_autoptr(VpDatabase) db = open_db (van);
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = vp_account_store_get (db, van->number, &error);
  g_auto(VpCardImage) image = { 0 };
  g_autofree char *path = g_strdup_printf ("%s/%s.card", van->cards, van->card);
  g_autofree char *data = NULL;
  g_autofree char *sql = NULL;
  guint8 key[VP_CARD_KEY_SIZE];
  gsize len;
  gint64 confirmed, voided, voided_money, leftover, intents, intent_money, topup_money;

  g_assert_no_error (error);
  g_assert_true (vp_card_key_from_hex (TEST_KEY_HEX, key, NULL));
  g_assert_cmpint (db_int (db, "SELECT count (*) FROM topups WHERE state = 'pending'"), ==, 0);

#define Q(var, fmt) G_STMT_START { g_free (sql); sql = g_strdup_printf (fmt, a->id); \
    var = db_int (db, sql); } G_STMT_END
  Q (confirmed, "SELECT count (*) FROM topups WHERE account_id = %" G_GINT64_FORMAT " AND state = 'confirmed'");
  Q (voided, "SELECT count (*) FROM topups WHERE account_id = %" G_GINT64_FORMAT " AND state = 'voided'");
  Q (voided_money, "SELECT coalesce (sum (amount), 0) FROM topups WHERE account_id = %" G_GINT64_FORMAT " AND state = 'voided'");
  Q (leftover, "SELECT coalesce (sum (leftover), 0) FROM topups WHERE account_id = %" G_GINT64_FORMAT " AND state = 'confirmed'");
  Q (intents, "SELECT count (*) FROM journal WHERE account_id = %" G_GINT64_FORMAT " AND kind = 'topup.intent'");
  Q (intent_money, "SELECT coalesce (sum (amount), 0) FROM journal WHERE account_id = %" G_GINT64_FORMAT " AND kind = 'topup.intent'");
  Q (topup_money, "SELECT coalesce (sum (amount), 0) FROM topups WHERE account_id = %" G_GINT64_FORMAT);
#undef Q
  /* Every payment is exactly one top-up, resolved exactly once. */
  g_assert_cmpint (intents, ==, confirmed + voided);
  g_assert_cmpint (intent_money, ==, topup_money);
  g_assert_cmpint (db_int (db, "SELECT count (*) FROM journal WHERE kind = 'topup.confirm'"), ==,
                   db_int (db, "SELECT count (*) FROM topups WHERE state = 'confirmed'"));
  g_assert_cmpint (db_int (db, "SELECT count (*) FROM journal WHERE kind = 'topup.void'"), ==,
                   db_int (db, "SELECT count (*) FROM topups WHERE state = 'voided'"));

  /* The card: what the meter will credit. */
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_true (vp_card_image_parse ((const guint8 *)data, len, key, &image, &error));
  g_assert_no_error (error);
  g_assert_true (image.has_record);
  g_assert_cmpint (image.record.counter, ==, a->card_counter);
  /* counter0 came from one confirmed setup top-up. */
  g_assert_cmpint (a->card_counter, ==, van->counter0 + confirmed - 1);
  g_assert_cmpint (a->balance, ==, van->balance0 + voided_money + leftover -
                   db_int (db, "SELECT leftover FROM topups ORDER BY intent_seq LIMIT 1"));
  *confirmed_out = confirmed - 1;
  *voided_out = voided;
}

static void
test_crash (gconstpointer data)
{
  const Case *c = data;
  Van van = { 0 };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *rec;
  gint64 confirmed, voided;
  int rc;

  van_setup (&van);

  rc = run_cli (&van, c->env, c->sigkill, &out, &err, "card", "topup", van.number, "--amount", "40",
                "--method", "cash", "--staff", "op01", "--pin", "1234", "--progress", NULL);
  g_test_message ("%s: exit %d, %s", c->name, rc, err);
  g_assert_cmpint (rc, ==, c->expect_exit);
  if (!c->sigkill)
    g_assert_nonnull (strstr (err, "simulated crash"));
  {
    g_autoptr(VpDatabase) db = open_db (&van);
    g_assert_cmpint (db_int (db, "SELECT count (*) FROM topups"), ==, c->intent_kept ? 2 : 1);
  }

  /* The app starts again; the card is in the reader. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "recover", "--json");
  g_assert_cmpint (rc, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  rec = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                      "recovered");
  if (g_str_equal (c->expect, "none"))
    g_assert_cmpuint (json_array_get_length (rec), ==, 0);
  else
    {
      const char *outcome;

      g_assert_cmpuint (json_array_get_length (rec), ==, 1);
      outcome = json_object_get_string_member (json_array_get_object_element (rec, 0), "outcome");
      g_test_message ("%s: recovery %s: %s", c->name, outcome,
                      json_object_get_string_member (json_array_get_object_element (rec, 0), "message"));
      if (g_str_equal (c->expect, "any"))
        g_assert_true (g_str_equal (outcome, "confirmed") || g_str_equal (outcome, "voided"));
      else
        g_assert_cmpstr (outcome, ==, c->expect);
    }

  assert_agree (&van, &confirmed, &voided);
  if (g_str_equal (c->expect, "confirmed") ||
      (g_str_equal (c->expect, "none") && c->intent_kept))
    g_assert_cmpint (confirmed, ==, 1);
  else if (g_str_equal (c->expect, "voided"))
    g_assert_cmpint (voided, ==, 1);
  else if (g_str_equal (c->expect, "none"))
    g_assert_cmpint (confirmed + voided, ==, 0);
  else
    g_assert_cmpint (confirmed + voided, ==, 1);

  /* Recovering again changes nothing; the journal verifies; the card
   * takes the next top-up. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (CLI (&van, NULL, &out, &err, "card", "recover"), ==, 0);
  g_assert_cmpstr (out, ==, "");
  cli_ok (&van, "verify", NULL);
  cli_ok (&van, "card", "topup", van.number, "--amount", "15", "--method", "cash", "--staff", "op01",
          "--pin", "1234", NULL);
  {
    gint64 c2, v2;

    assert_agree (&van, &c2, &v2);
    g_assert_cmpint (c2, ==, confirmed + 1);
    g_assert_cmpint (v2, ==, voided);
  }
  van_free (&van);
}

static JsonObject *
parse_json (const char *text)
{
  g_autoptr(JsonParser) p = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (p, text, -1, &error))
    g_error ("not JSON (%s): %s", error->message, text);
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

/* The card commands of the CLI contract. */
static void
test_cli_card_commands (void)
{
  Van van = { 0 };
  g_autofree char *out = NULL, *err = NULL, *path = NULL, *saved = NULL, *old_card = NULL;
  g_autoptr(JsonObject) o = NULL;
  gsize len;
  int rc;

  van_setup (&van);
  old_card = g_strdup (van.card);

  rc = CLI (&van, NULL, &out, &err, "card", "read", "--json");
  g_assert_cmpint (rc, ==, 0);
  o = parse_json (out);
  g_assert_true (json_object_get_boolean_member (o, "verified"));
  g_assert_cmpstr (json_object_get_string_member (o, "card_number"), ==, van.card);
  g_assert_cmpstr (json_object_get_string_member (o, "account"), ==, van.number);
  g_assert_cmpint (json_object_get_int_member (o, "counter"), ==, van.counter0);
  g_assert_cmpint (json_object_get_int_member (o, "store_counter"), ==, van.counter0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "purchases")), ==, 1);
  g_clear_pointer (&o, json_object_unref);

  /* An altered card: refused with the reason, exit 1. */
  path = g_strdup_printf ("%s/%s.card", van.cards, van.card);
  g_assert_true (g_file_get_contents (path, &saved, &len, NULL));
  {
    g_autofree char *bad = g_memdup2 (saved, len);

    for (gsize i = 0; i < len; i++)
      bad[i] ^= (i % 248 == 60) ? 0x01 : 0;   /* last volume, both slots */
    g_assert_true (g_file_set_contents (path, bad, len, NULL));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "read");
  g_assert_cmpint (rc, ==, 1);
  g_assert_nonnull (strstr (err, "Forged or altered card"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "topup", van.number, "--amount", "10", "--method",
            "cash", "--staff", "op01", "--pin", "1234");
  g_assert_cmpint (rc, ==, 1);
  g_assert_nonnull (strstr (err, "Forged or altered card"));
  g_assert_true (g_file_set_contents (path, saved, len, NULL));

  /* Lost card: reissue with a fee. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "reissue", van.number, "--fee", "20", "--method", "cash",
            "--staff", "op01", "--pin", "1234", "--json");
  g_assert_cmpint (rc, ==, 0);
  o = parse_json (out);
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "card.reissue");
  g_assert_cmpstr (json_object_get_string_member (o, "old_card"), ==, old_card);
  g_assert_cmpint (json_object_get_int_member (o, "fee"), ==, 2000);
  g_assert_cmpint (json_object_get_int_member (o, "counter"), ==, van.counter0);
  g_free (van.card);
  van.card = g_strdup (json_object_get_string_member (o, "new_card"));
  g_assert_nonnull (strstr (err, "New card"));
  g_clear_pointer (&o, json_object_unref);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "read", "--json");
  g_assert_cmpint (rc, ==, 0);
  o = parse_json (out);
  g_assert_cmpstr (json_object_get_string_member (o, "card_number"), ==, van.card);
  g_assert_cmpint (json_object_get_int_member (o, "counter"), ==, van.counter0);
  g_assert_true (json_object_get_boolean_member (o, "verified"));
  g_clear_pointer (&o, json_object_unref);
  cli_ok (&van, "card", "topup", van.number, "--volume", "2.5", "--method", "cash", "--staff",
          "op01", "--pin", "1234", NULL);

  /* The old card turns up again: blocked. */
  cli_ok (&van, "card", "insert", old_card, NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "read");
  g_assert_cmpint (rc, ==, 1);
  g_assert_nonnull (strstr (err, "blocked"));

  /* No card: exit 3. */
  cli_ok (&van, "card", "remove", NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "read");
  g_assert_cmpint (rc, ==, 3);
  g_assert_nonnull (strstr (err, "No card"));

  /* Bad input changes nothing: usage errors. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (CLI (&van, NULL, &out, &err, "card", "set-key", "xyz"), ==, 1);
  g_assert_nonnull (strstr (err, "64 hex digits"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (CLI (&van, NULL, &out, &err, "card", "insert", "12AB"), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (CLI (&van, NULL, &out, &err, "card", "bogus"), ==, 2);
  van_free (&van);
}

/* The same for a top-up reversal (issue 9): the process dies before and
 * after the reversal's intent commit, mid-write, after the write, after
 * the read-back, in and after the void's commit, or is killed while the
 * card is written; recovery then either finishes it (the card no longer
 * holds the purchase: the drawer gives the ¥25.00 back once) or abandons
 * it (the card still holds it: the top-up stands, and can be reversed
 * again). Card and journal agree in every case. */
typedef struct
{
  const char *name;
  const char *env;
  gboolean    sigkill;
  int         expect_exit;
  const char *expect;       /* recovery: reversed, abandoned, none (nothing pending) */
  gboolean    reversed;     /* the top-up is reversed in the end (for "none") */
} RevCase;

static const RevCase rev_cases[] = {
  { "before-intent-commit", "VP_CRASH_BEFORE_COMMIT=1", FALSE, 86, "none", FALSE },
  { "after-intent-commit", "VP_CRASH_AFTER_COMMIT=1", FALSE, 86, "abandoned", FALSE },
  { "mid-write", "VANPOS_SIM_FAULT=crash-after:100", FALSE, 86, "abandoned", FALSE },
  { "mid-write-last-byte", "VANPOS_SIM_FAULT=crash-after:247", FALSE, 86, "abandoned", FALSE },
  { "after-write", "VP_CARD_CRASH=reversal-after-write", FALSE, 86, "reversed", TRUE },
  { "after-verify", "VP_CARD_CRASH=reversal-after-verify", FALSE, 86, "reversed", TRUE },
  { "in-void-commit", "VP_CARD_CRASH=reversal-confirm-commit", FALSE, 86, "reversed", TRUE },
  { "after-void-commit", "VP_CARD_CRASH=reversal-after-confirm-commit", FALSE, 86, "none", TRUE },
  { "sigkill-during-write", "VANPOS_SIM_WRITE_DELAY_MS=50", TRUE, -SIGKILL, "any", FALSE },
};

static VpMoney
drawer (Van *van)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonObject) o = NULL;
  int rc = CLI (van, NULL, &out, &err, "shift", "x", "--json", "--staff", "sup01", "--pin", "9876");
  JsonParser *p = json_parser_new ();

  g_assert_cmpint (rc, ==, 0);
  g_assert_true (json_parser_load_from_data (p, out, -1, NULL));
  o = json_object_ref (json_node_get_object (json_parser_get_root (p)));
  g_object_unref (p);
  return json_object_get_int_member (o, "expected_cash");
}

/* Card and journal agree about the reversal; returns whether it is done. */
static gboolean
assert_reversal_agrees (Van *van)
{
  g_autoptr(VpDatabase) db = open_db (van);
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = vp_account_store_get (db, van->number, &error);
  g_auto(VpCardImage) image = { 0 };
  g_autofree char *path = g_strdup_printf ("%s/%s.card", van->cards, van->card);
  g_autofree char *data = NULL;
  guint8 key[VP_CARD_KEY_SIZE];
  gsize len;
  gint64 voids, intents, abandons;
  gboolean done;

  g_assert_no_error (error);
  g_assert_true (vp_card_key_from_hex (TEST_KEY_HEX, key, NULL));
  voids = db_int (db, "SELECT count (*) FROM journal WHERE kind = 'void'");
  intents = db_int (db, "SELECT count (*) FROM journal WHERE kind = 'reversal.intent'");
  abandons = db_int (db, "SELECT count (*) FROM journal WHERE kind = 'reversal.abandon'");
  /* Every reversal begun is finished or abandoned, once. */
  g_assert_cmpint (intents, ==, voids + abandons);
  g_assert_cmpint (voids, <=, 1);
  done = voids == 1;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_true (vp_card_image_parse ((const guint8 *)data, len, key, &image, &error));
  g_assert_no_error (error);
  g_assert_cmpint (image.record.counter, ==, a->card_counter);
  if (done)
    {
      g_assert_cmpint (a->card_counter, ==, van->counter0 + 1);
      g_assert_cmpuint (image.record.flags, ==, VP_CARD_FLAG_REVERSAL);
      g_assert_cmpint (image.record.last_volume, ==, 0);
      g_assert_cmpint (drawer (van), ==, 10000);
    }
  else
    {
      g_assert_cmpint (a->card_counter, ==, van->counter0);
      g_assert_cmpuint (image.record.flags, ==, 0);
      g_assert_cmpint (image.record.history[0].counter, ==, van->counter0);
      g_assert_cmpint (drawer (van), ==, 10000 + 2500);
    }
  return done;
}

static void
test_reversal_crash (gconstpointer data)
{
  const RevCase *c = data;
  Van van = { 0 };
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *seq = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *rec;
  gboolean done;
  int rc;

  van_setup (&van);
  {
    g_autoptr(VpDatabase) db = open_db (&van);
    seq = g_strdup_printf ("%" G_GINT64_FORMAT,
                           db_int (db, "SELECT max (seq) FROM journal WHERE kind = 'topup.confirm'"));
  }
  g_assert_cmpint (drawer (&van), ==, 10000 + 2500);

  rc = run_cli (&van, c->env, c->sigkill, &out, &err, "void", seq, "--reason", "wrong account",
                "--staff", "op01", "--pin", "1234", "--approve-staff", "sup01", "--approve-pin",
                "9876", "--progress", NULL);
  g_test_message ("%s: exit %d, %s", c->name, rc, err);
  if (c->sigkill)
    g_assert_cmpint (rc, ==, -SIGKILL);
  else
    {
      g_assert_cmpint (rc, ==, c->expect_exit);
      g_assert_nonnull (strstr (err, "simulated crash"));
    }

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "recover", "--json");
  g_assert_cmpint (rc, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  rec = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                      "recovered");
  if (g_str_equal (c->expect, "none"))
    g_assert_cmpuint (json_array_get_length (rec), ==, 0);
  else
    {
      JsonObject *item;
      const char *outcome;

      g_assert_cmpuint (json_array_get_length (rec), ==, 1);
      item = json_array_get_object_element (rec, 0);
      outcome = json_object_get_string_member (item, "outcome");
      g_test_message ("%s: recovery %s: %s", c->name, outcome,
                      json_object_get_string_member (item, "message"));
      g_assert_true (json_object_get_boolean_member (item, "reversal"));
      if (g_str_equal (c->expect, "any"))
        g_assert_true (g_str_equal (outcome, "reversed") || g_str_equal (outcome, "abandoned"));
      else
        g_assert_cmpstr (outcome, ==, c->expect);
    }
  done = assert_reversal_agrees (&van);
  if (!g_str_equal (c->expect, "any"))
    g_assert_cmpint (done, ==, c->reversed || g_str_equal (c->expect, "reversed"));

  /* Recovering again changes nothing; the journal verifies; an abandoned
   * reversal can be done again, a done one not twice. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (CLI (&van, NULL, &out, &err, "card", "recover"), ==, 0);
  g_assert_cmpstr (out, ==, "");
  cli_ok (&van, "verify", NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "void", seq, "--reason", "wrong account", "--staff", "op01",
            "--pin", "1234", "--approve-staff", "sup01", "--approve-pin", "9876");
  if (done)
    {
      g_assert_cmpint (rc, ==, 1);
      g_assert_nonnull (strstr (err, "already reversed"));
    }
  else
    g_assert_cmpint (rc, ==, 0);
  g_assert_true (assert_reversal_agrees (&van));
  van_free (&van);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/card/cli/commands", test_cli_card_commands);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/card/crash/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_crash);
    }
  for (guint i = 0; i < G_N_ELEMENTS (rev_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/card/crash/reversal/%s", rev_cases[i].name);
      g_test_add_data_func (path, &rev_cases[i], test_reversal_crash);
    }
  return g_test_run ();
}
