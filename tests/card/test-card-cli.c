/* test-card-cli.c: what vanpos-cli says when a top-up took the money but
 * could not finish — exit 6 ("done in part") with exactly one stderr
 * line saying what was kept or what is pending — and that `card insert`
 * settles a pending top-up by reading the card.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-service.h"

#define TEST_KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define EXIT_PARTIAL 6

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

/* Runs vanpos-cli --db van->db ARGS… with VANPOS_CARD_DIR set and
 * VANPOS_SIM_FAULT=fault (or none); returns the exit status. */
static int
run_cli (Van         *van,
         const char  *fault,
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
  g_subprocess_launcher_unsetenv (l, "VP_FAKE_NOW");
  if (fault != NULL)
    g_subprocess_launcher_setenv (l, "VANPOS_SIM_FAULT", fault, TRUE);
  else
    g_subprocess_launcher_unsetenv (l, "VANPOS_SIM_FAULT");
  p = g_subprocess_launcher_spawnv (l, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  return g_subprocess_get_exit_status (p);
}

#define CLI(van, fault, out, err, ...) run_cli (van, fault, out, err, __VA_ARGS__, NULL)

static void
cli_ok (Van        *van,
        const char *what,
        int         rc,
        const char *out,
        const char *err)
{
  if (rc != 0)
    g_error ("vanpos-cli %s failed (%d): %s%s", what, rc, out, err);
}

static gint64
db_int (Van        *van,
        const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpDatabase) db = vp_database_open (van->db, VP_DATABASE_OPEN_DEFAULT, &error);
  sqlite3_stmt *stmt = NULL;
  gint64 v = -1;

  g_assert_no_error (error);
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
db_exec (Van        *van,
         const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpDatabase) db = vp_database_open (van->db, VP_DATABASE_OPEN_DEFAULT, &error);
  char *msg = NULL;

  g_assert_no_error (error);
  vp_database_lock (db);
  if (sqlite3_exec (vp_database_get_handle (db), sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  vp_database_unlock (db);
}

static VpAccount *
account (Van *van)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpDatabase) db = vp_database_open (van->db, VP_DATABASE_OPEN_DEFAULT, &error);
  VpAccount *a;

  g_assert_no_error (error);
  a = vp_account_store_get (db, van->number, &error);
  g_assert_no_error (error);
  return a;
}

static void
van_setup (Van *van)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpDatabase) db = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  van->dir = g_dir_make_tmp ("vp-card-cli-XXXXXX", &error);
  g_assert_no_error (error);
  van->db = g_build_filename (van->dir, "van.db", NULL);
  van->cards = g_build_filename (van->dir, "cards", NULL);
#define OK(...) G_STMT_START { g_autofree char *o_ = NULL, *e_ = NULL; \
    rc = CLI (van, NULL, &o_, &e_, __VA_ARGS__); cli_ok (van, #__VA_ARGS__, rc, o_, e_); } G_STMT_END
  OK ("init", "--van", "VAN01");
  OK ("demo", "--accounts", "20", "--pin-iterations", "1000");
  OK ("card", "set-key", TEST_KEY_HEX);
  OK ("shift", "open", "--float", "100", "--staff", "op01", "--pin", "1234");

  db = vp_database_open (van->db, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  vp_database_lock (db);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (db),
                                       "SELECT number FROM accounts WHERE meter = 'prepaid'"
                                       " AND card_number IS NOT NULL ORDER BY id LIMIT 1",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  van->number = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  vp_database_unlock (db);
  g_clear_object (&db);

  /* The plain topup puts the account's simulated card in by itself. */
  OK ("topup", van->number, "--amount", "25", "--method", "cash", "--staff", "op01", "--pin", "1234");
  a = account (van);
  van->card = g_strdup (a->card_number);
  van->counter0 = a->card_counter;
  van->balance0 = a->balance;
  OK ("card", "insert", van->card);
#undef OK
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

/* stderr is exactly one line: "vanpos-cli: …\n", mentioning part. */
static void
assert_one_line (const char *err,
                 const char *part)
{
  const char *nl = strchr (err, '\n');

  if (nl == NULL || nl[1] != '\0' || !g_str_has_prefix (err, "vanpos-cli: "))
    g_error ("stderr is not exactly one line: “%s”", err);
  if (strstr (err, part) == NULL)
    g_error ("stderr “%s” does not say “%s”", err, part);
}

static gint64
count_state (Van        *van,
             const char *state)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM topups WHERE state = '%s'"
                                          " AND intent_seq > (SELECT min (intent_seq) FROM topups)",
                                          state);

  return db_int (van, sql);
}

/* The card write failed outright: the money is kept as credit (VOID). */
static void
test_kept_as_credit (void)
{
  Van van = { 0 };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(VpAccount) a = NULL;
  int rc;

  van_setup (&van);
  rc = CLI (&van, "write-error", &out, &err, "card", "topup", van.number, "--amount", "50",
            "--method", "cash", "--staff", "op01", "--pin", "1234");
  g_assert_cmpint (rc, ==, EXIT_PARTIAL);
  assert_one_line (err, "¥50.00 is kept as credit on account");
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpint (count_state (&van, "voided"), ==, 1);
  a = account (&van);
  g_assert_cmpint (a->balance, ==, van.balance0 + 5000);
  g_assert_cmpint (a->card_counter, ==, van.counter0);
  van_free (&van);
}

/* The same through the plain topup, with --progress: the steps go to
 * stdout, the error line alone to stderr. */
static void
test_plain_topup_progress (void)
{
  Van van = { 0 };
  g_autofree char *out = NULL, *err = NULL;
  int rc;

  van_setup (&van);
  rc = CLI (&van, "write-error", &out, &err, "topup", van.number, "--amount", "50", "--method",
            "cash", "--staff", "op01", "--pin", "1234", "--progress");
  g_assert_cmpint (rc, ==, EXIT_PARTIAL);
  assert_one_line (err, "kept as credit");
  g_assert_cmpstr (out, ==, "card… 5%\nintent… 10%\nwrite… 40%\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "topup", van.number, "--amount", "10", "--method", "cash",
            "--staff", "op01", "--pin", "1234");
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_null (strstr (out, "%"));
  van_free (&van);
}

/* The card was pulled during the write: pending until it is back. */
static void
test_pulled (void)
{
  Van van = { 0 };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(VpAccount) a = NULL;
  int rc;

  van_setup (&van);
  rc = CLI (&van, "pull-after:100", &out, &err, "card", "topup", van.number, "--amount", "50",
            "--method", "cash", "--staff", "op01", "--pin", "1234");
  g_assert_cmpint (rc, ==, EXIT_PARTIAL);
  assert_one_line (err, "is pending: put card");
  g_assert_nonnull (strstr (err, "nothing to pay again"));
  g_assert_cmpint (count_state (&van, "pending"), ==, 1);
  a = account (&van);
  g_assert_cmpint (a->balance, ==, van.balance0);
  van_free (&van);
}

/* The card holds the purchase but saving the CONFIRM failed: pending;
 * `card insert` confirms it, once. */
static void
test_confirmation_failed (void)
{
  Van van = { 0 };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(VpAccount) a = NULL;
  int rc;

  van_setup (&van);
  db_exec (&van, "CREATE TRIGGER test_fail_confirm BEFORE UPDATE OF state ON topups"
                 " WHEN NEW.state = 'confirmed'"
                 " BEGIN SELECT RAISE (ABORT, 'simulated failure saving the confirmation'); END");
  rc = CLI (&van, NULL, &out, &err, "card", "topup", van.number, "--amount", "50", "--method",
            "cash", "--staff", "op01", "--pin", "1234");
  g_assert_cmpint (rc, ==, EXIT_PARTIAL);
  assert_one_line (err, "the confirmation is pending: insert the card again to finish "
                        "(nothing to pay again)");
  g_assert_cmpint (count_state (&van, "pending"), ==, 1);
  db_exec (&van, "DROP TRIGGER test_fail_confirm");

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "insert", van.card);
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_nonnull (strstr (out, "confirmed"));
  g_assert_cmpint (count_state (&van, "pending"), ==, 0);
  g_assert_cmpint (count_state (&van, "confirmed"), ==, 1);
  a = account (&van);
  g_assert_cmpint (a->card_counter, ==, van.counter0 + 1);
  van_free (&van);
}

/* The write completed, the read-back failed (twice, transiently): the
 * top-up is pending, not voided, no money credited. `card insert` reads
 * the card and confirms it — a `card insert` that skipped the recovery
 * leaves it pending and fails here. */
static void
test_readback_failed_then_insert (void)
{
  Van van = { 0 };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpAccount) b = NULL;
  int rc;

  van_setup (&van);
  rc = CLI (&van, "read-fail:2", &out, &err, "card", "topup", van.number, "--amount", "50",
            "--method", "cash", "--staff", "op01", "--pin", "1234");
  g_assert_cmpint (rc, ==, EXIT_PARTIAL);
  assert_one_line (err, "is pending");
  g_assert_null (strstr (err, "voided"));
  g_assert_cmpint (count_state (&van, "pending"), ==, 1);
  g_assert_cmpint (count_state (&van, "voided"), ==, 0);
  a = account (&van);
  g_assert_cmpint (a->balance, ==, van.balance0);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "insert", van.card, "--json");
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_nonnull (strstr (out, "\"outcome\":\"confirmed\""));
  g_assert_cmpint (count_state (&van, "pending"), ==, 0);
  g_assert_cmpint (count_state (&van, "confirmed"), ==, 1);
  g_assert_cmpint (count_state (&van, "voided"), ==, 0);
  g_assert_cmpint (db_int (&van, "SELECT count (*) FROM journal WHERE kind = 'topup.void'"), ==, 0);
  b = account (&van);
  g_assert_cmpint (b->card_counter, ==, van.counter0 + 1);
  g_assert_cmpint (b->balance, ==,
                   van.balance0 + db_int (&van, "SELECT leftover FROM topups"
                                                " ORDER BY intent_seq DESC LIMIT 1"));

  /* Nothing left to settle; the card takes the next top-up. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "recover");
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI (&van, NULL, &out, &err, "card", "topup", van.number, "--amount", "10", "--method",
            "cash", "--staff", "op01", "--pin", "1234");
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpint (count_state (&van, "confirmed"), ==, 2);
  van_free (&van);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/card/cli/kept-as-credit", test_kept_as_credit);
  g_test_add_func ("/card/cli/plain-topup-progress", test_plain_topup_progress);
  g_test_add_func ("/card/cli/pulled", test_pulled);
  g_test_add_func ("/card/cli/confirmation-failed", test_confirmation_failed);
  g_test_add_func ("/card/cli/readback-failed-then-insert", test_readback_failed_then_insert);
  return g_test_run ();
}
