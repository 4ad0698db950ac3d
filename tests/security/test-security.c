/* test-security.c: PIN storage, the van key file, SQL injection, no card
 * PANs, masked ID numbers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "vp-test-util.h"

static char *
run_cli (const char  *db,
         int         *status,
         char       **err,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, vp_test_cli_path ());
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_strdup (db));
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, err, status, &error));
  g_assert_no_error (error);
  return out;
}

static void
test_pin_hash_via_cli (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *h1 = NULL;
  g_autofree char *h2 = NULL;
  g_auto(GStrv) parts1 = NULL;
  g_auto(GStrv) parts2 = NULL;
  g_autofree guint8 *salt = NULL;
  gsize salt_len = 0;
  int status = -1;

  g_clear_object (&env->db);
  /* A supervisor adds two operators with the same PIN. */
  out = run_cli (env->path, &status, &err, "staff", "add", "op07", "--name", "韩梅", "--role", "operator",
                 "--new-pin", "482913", "--staff", "sup01", "--pin", "9876", NULL);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  out = run_cli (env->path, &status, &err, "staff", "add", "op08", "--name", "韩雪", "--role", "operator",
                 "--new-pin", "482913", "--staff", "sup01", "--pin", "9876", NULL);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* An operator may not add staff; nothing is added. */
  out = run_cli (env->path, &status, &err, "staff", "add", "op09", "--name", "韩冰", "--role", "supervisor",
                 "--new-pin", "482913", "--staff", "op01", "--pin", "1234", NULL);
  g_assert_false (g_spawn_check_wait_status (status, NULL));

  vp_test_env_reopen (env);
  g_assert_cmpint (vp_test_query_int (env->db, "SELECT count (*) FROM staff WHERE id = 'op09'"), ==, 0);
  h1 = vp_test_query_text (env->db, "SELECT pin_hash FROM staff WHERE id = 'op07'");
  h2 = vp_test_query_text (env->db, "SELECT pin_hash FROM staff WHERE id = 'op08'");
  parts1 = g_strsplit (h1, "$", -1);
  parts2 = g_strsplit (h2, "$", -1);
  g_assert_cmpuint (g_strv_length (parts1), ==, 4);
  g_assert_cmpstr (parts1[0], ==, "pbkdf2-sha256");
  g_assert_cmpint (g_ascii_strtoll (parts1[1], NULL, 10), >=, 600000);
  salt = g_base64_decode (parts1[2], &salt_len);
  g_assert_cmpuint (salt_len, >=, 16);
  /* Per-staff salt: the same PIN hashes differently. */
  g_assert_cmpstr (parts1[2], !=, parts2[2]);
  g_assert_cmpstr (parts1[3], !=, parts2[3]);
  g_assert_null (strstr (h1, "482913"));
  /* And it verifies. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VpStaff) s = vp_staff_store_authenticate (env->db, "op07", "482913", &error);
    g_assert_no_error (error);
    g_assert_nonnull (s);
  }
}

static void
test_van_key_mode (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *key = g_strconcat (env->path, ".vankey", NULL);
  g_autoptr(VpDatabase) db = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  g_clear_object (&env->db);
  g_assert_cmpint (g_chmod (key, 0644), ==, 0);
  db = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_null (db);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "0644"));
  g_clear_error (&error);

  /* The CLI refuses too, with one line. */
  {
    g_autofree char *err = NULL;
    g_autofree char *out = NULL;
    int status = -1;

    out = run_cli (env->path, &status, &err, "verify", NULL);
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (err, "0644"));
    g_assert_cmpint (strchr (err, '\n') - err, ==, (int)strlen (err) - 1);
  }

  g_assert_cmpint (g_chmod (key, 0600), ==, 0);
  db = vp_database_open (env->path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (vp_database_is_initialized (db));
}

/* What an injection would change: every table's rows and the schema. */
static char *
db_fingerprint (VpDatabase *db)
{
  g_autofree char *schema = vp_test_query_text (db, "SELECT group_concat (name || ':' || coalesce (sql, ''), ';')"
                                                    " FROM (SELECT * FROM sqlite_schema ORDER BY name)");
  g_autofree char *accounts = vp_test_query_text (db, "SELECT group_concat (number || holder || estate"
                                                      " || balance || status || card_counter, ';')"
                                                      " FROM (SELECT * FROM accounts ORDER BY id)");
  g_autofree char *staff = vp_test_query_text (db, "SELECT group_concat (id || role || pin_hash || failed_pins,"
                                                   " ';') FROM (SELECT * FROM staff ORDER BY id)");

  g_autofree char *all = g_strconcat (schema, "\n", accounts, "\n", staff, NULL);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, all, -1);

  /* Counts to read in a failure, a digest for the rest. */
  return g_strdup_printf ("journal %" G_GINT64_FORMAT " outbox %" G_GINT64_FORMAT " bills %" G_GINT64_FORMAT
                          " accounts %" G_GINT64_FORMAT " staff failed PINs %" G_GINT64_FORMAT " sha256 %s",
                          vp_test_query_int (db, "SELECT count (*) FROM journal"),
                          vp_test_query_int (db, "SELECT count (*) FROM outbox"),
                          vp_test_query_int (db, "SELECT count (*) FROM bills"),
                          vp_test_query_int (db, "SELECT count (*) FROM accounts"),
                          vp_test_query_int (db, "SELECT sum (failed_pins) FROM staff"),
                          digest);
}

/* Runs the CLI on env's database and asserts its exact exit code, stderr
 * and (unless NULL) stdout; the database must be left as it was. */
static void
expect_cli (VpTestEnv  *env,
            int         exit_code,
            const char *expected_err,
            const char *expected_out,
            ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  int status = -1;
  va_list ap;

  before = db_fingerprint (env->db);
  g_clear_object (&env->db);
  g_ptr_array_add (argv, vp_test_cli_path ());
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_strdup (env->path));
  va_start (ap, expected_out);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, exit_code);
  g_assert_cmpstr (err, ==, expected_err);
  if (expected_out != NULL)
    g_assert_cmpstr (out, ==, expected_out);

  vp_test_env_reopen (env);
  after = db_fingerprint (env->db);
  g_assert_cmpstr (after, ==, before);
}

static void
test_sql_injection_inert (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (50);
  const char *queries[] = {
    "'; DROP TABLE accounts; --",
    "\" OR 1=1 --",
    "王' OR '1'='1",
    "1 OR 1=1",
    "光明社区 ') OR 1=1 --",
    "x\"; DELETE FROM journal; --",
    "a) UNION SELECT * FROM staff --",
    "*",
    "%",
    "\"a\" NEAR \"b\"",
  };
  g_autoptr(VpJournalEntry) shift = vp_shift_store_open (env->db, env->op, 10000, NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_nonnull (shift);
  g_assert_cmpint (vp_account_store_count (env->db), ==, 50);
  before = db_fingerprint (env->db);
  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) r = vp_account_store_search (env->db, queries[i], 0, 100, &error);

      g_assert_no_error (error);
      g_assert_nonnull (r);
      /* Nothing matches literally, so nothing comes back. */
      g_assert_cmpuint (r->len, ==, 0);
    }
  after = db_fingerprint (env->db);
  g_assert_cmpstr (after, ==, before);

  /* A name with SQL in it is stored literally, as typed. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VpJournalEntry) e = NULL;
    g_autoptr(VpAccount) a = NULL;
    VpOpenAccountRequest r = { 0 };

    r.holder = "张三'); DROP TABLE accounts;--";
    r.id_number = "11010519491231002X";
    r.phone = "13512345678";
    r.estate = "光明社区'--";
    r.building = "1";
    r.room = "101";
    r.service = VP_SERVICE_GAS;
    r.meter = VP_METER_POSTPAID;
    e = vp_account_store_open (env->db, env->op, &r, &error);
    g_assert_no_error (error);
    g_assert_nonnull (e);
    g_assert_cmpint (e->seq, ==, 2);
    a = vp_test_get_account (env->db, "P-VAN01-000001");
    g_assert_cmpstr (a->holder, ==, r.holder);
    g_assert_cmpstr (a->estate, ==, r.estate);
    g_assert_cmpint (vp_account_store_count (env->db), ==, 51);
    g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, 2);
  }
  /* And found literally, as the only match. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) r = vp_account_store_search (env->db, "张三'); DROP TABLE accounts;--", 0, 100,
                                                      &error);

    g_assert_no_error (error);
    g_assert_cmpuint (r->len, ==, 1);
    g_assert_cmpstr (((VpAccount *)r->pdata[0])->number, ==, "P-VAN01-000001");
  }

  /* Through the CLI: the exact refusal, and nothing changed. */
  expect_cli (env, 3,
              "vanpos-cli: no account matches “'; DROP TABLE accounts; --” (searched numbers,"
              " cards, phones, names, pinyin initials and addresses)\n",
              "{\"query\":\"'; DROP TABLE accounts; --\",\"count\":0,\"results\":[]}\n",
              "search", "'; DROP TABLE accounts; --", "--json", NULL);
  expect_cli (env, 1, "vanpos-cli: An account number has 11 digits\n", "", "account", "1' OR '1'='1",
              NULL);
  expect_cli (env, 1, "vanpos-cli: An account number has 11 digits\n", "", "pay", "x'; DELETE FROM journal; --", "1.00", "--method", "cash",
              "--staff", "op01", "--pin", "1234", NULL);
  expect_cli (env, 4, "vanpos-cli: Wrong staff id or PIN\n", "", "pay", "P-VAN01-000001", "1.00",
              "--method", "cash", "--staff", "op01' OR '1'='1", "--pin", "1234", NULL);
  expect_cli (env, 4, "vanpos-cli: Wrong staff id or PIN (a PIN is 4–8 digits)\n", "", "pay",
              "P-VAN01-000001", "1.00",
              "--method", "cash", "--staff", "op01", "--pin", "1' OR '1'='1", NULL);
  expect_cli (env, 2, "vanpos-cli receipt: SEQ must be a positive whole number"
              " (see “vanpos-cli receipt --help”)\n", "", "receipt", "1 OR 1=1", NULL);
  g_assert_cmpint (vp_account_store_count (env->db), ==, 51);
}

static void
test_no_card_pan_column (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  sqlite3 *h = vp_database_get_handle (env->db);
  sqlite3_stmt *tables = NULL;
  guint n_columns = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (h, "SELECT name FROM sqlite_schema WHERE type = 'table'",
                                       -1, &tables, NULL), ==, SQLITE_OK);
  while (sqlite3_step (tables) == SQLITE_ROW)
    {
      g_autofree char *sql = g_strdup_printf ("PRAGMA table_xinfo (\"%s\")", sqlite3_column_text (tables, 0));
      sqlite3_stmt *cols = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &cols, NULL), ==, SQLITE_OK);
      while (sqlite3_step (cols) == SQLITE_ROW)
        {
          g_autofree char *name = g_ascii_strdown ((const char *)sqlite3_column_text (cols, 1), -1);

          n_columns++;
          g_assert_null (strstr (name, "pan"));
          g_assert_null (strstr (name, "cvv"));
          g_assert_null (strstr (name, "expiry_card"));
          g_assert_null (strstr (name, "bank_card"));
          g_assert_null (strstr (name, "track"));
        }
      sqlite3_finalize (cols);
    }
  sqlite3_finalize (tables);
  g_assert_cmpuint (n_columns, >, 50);
}

static void
test_card_number_reference_refused (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *number = vp_test_add_account (env->db, 77, "林芳", "13912345678", "光明社区",
                                                 "3", "1", "501", VP_SERVICE_GAS,
                                                 VP_METER_POSTPAID,
                                                 VP_TARIFF_CLASS_RESIDENTIAL, 0);
  g_autoptr(VpJournalEntry) shift = vp_shift_store_open (env->db, env->op, 10000, NULL);
  g_autoptr(VpJournalEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  gint64 seq_before = vp_journal_store_last_seq (env->db);

  g_assert_nonnull (shift);
  /* A Visa test PAN typed where the terminal's reference belongs. */
  entry = vp_bill_store_pay (env->db, env->op, number, 5000, VP_PAYMENT_CARD,
                             "4111111111111111", &error);
  g_assert_null (entry);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "card number"));
  g_clear_error (&error);
  /* Also for cash, where a reference is optional. */
  entry = vp_bill_store_pay (env->db, env->op, number, 5000, VP_PAYMENT_CASH,
                             "6222020200112233446", &error);
  g_assert_null (entry);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (vp_journal_store_last_seq (env->db), ==, seq_before);

  /* A real terminal reference (12-digit RRN, or a 28-digit mobile id) passes. */
  entry = vp_bill_store_pay (env->db, env->op, number, 5000, VP_PAYMENT_CARD,
                             "411111111111", &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
  g_clear_pointer (&entry, vp_journal_entry_free);
  entry = vp_bill_store_pay (env->db, env->op, number, 5000, VP_PAYMENT_MOBILE,
                             "4200001234202611231234567890", &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
}

static void
test_id_numbers_masked (void)
{
  g_autoptr(VpTestEnv) env = vp_test_env_new (0);
  g_autofree char *acct = vp_test_add_account (env->db, 3409300001, "蒋文", "13600002222", "长江花园",
                                               "3", "1", "301", VP_SERVICE_GAS, VP_METER_POSTPAID,
                                               VP_TARIFF_CLASS_RESIDENTIAL, 0);
  const char *commands[][4] = {
    { "account", NULL, "--json", NULL },
    { "search", "蒋文", "--json", NULL },
  };

  g_clear_object (&env->db);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      int status = -1;

      out = run_cli (env->path, &status, &err, commands[i][0], commands[i][1] ? commands[i][1] : acct,
                     commands[i][2], NULL);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
      /* The full number is nowhere; the masked form is there. */
      g_assert_null (strstr (out, "11010519491231002X"));
      g_assert_null (strstr (out, "\"id_number\""));
      g_assert_nonnull (strstr (out, "110105********002X"));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/security/pin-hash", test_pin_hash_via_cli);
  g_test_add_func ("/security/van-key-mode", test_van_key_mode);
  g_test_add_func ("/security/sql-injection", test_sql_injection_inert);
  g_test_add_func ("/security/no-card-pan", test_no_card_pan_column);
  g_test_add_func ("/security/id-masked", test_id_numbers_masked);
  g_test_add_func ("/security/card-number-reference", test_card_number_reference_refused);
  return g_test_run ();
}
