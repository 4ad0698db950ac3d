/* test-crash.c: power cuts around the commit, SIGKILL at exact points
 * inside and around the transaction, and a full disk: the database always
 * opens, passes its integrity check, the journal verifies, and a payment
 * is either wholly there or wholly absent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vp-test-util.h"

#define BILLS_TOTAL (30000 + 20000 + 15000)

typedef struct
{
  VpTestEnv *env;
  char      *acct;
} Fixture;

/* A van with an open shift and one post-paid account owing ¥650.00. */
static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpJournalEntry) e = NULL;

  f->env = vp_test_env_new (200);
  f->acct = vp_test_add_account (f->env->db, 3409400001, "杜甫", "13800138000", "西园小区",
                                 "2", "1", "201", VP_SERVICE_WATER, VP_METER_POSTPAID,
                                 VP_TARIFF_CLASS_RESIDENTIAL, 500);
  a = vp_test_get_account (f->env->db, f->acct);
  g_assert_true (vp_account_store_add_bill (f->env->db, a->id, "2026-08", 30000, &error));
  g_assert_true (vp_account_store_add_bill (f->env->db, a->id, "2026-09", 20000, &error));
  g_assert_true (vp_account_store_add_bill (f->env->db, a->id, "2026-10", 15000, &error));
  g_assert_no_error (error);
  e = vp_shift_store_open (f->env->db, f->env->op, 10000, &error);
  g_assert_no_error (error);
  /* The CLI children get the database to themselves. */
  g_clear_object (&f->env->db);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  g_free (f->acct);
  vp_test_env_free (f->env);
}

static GSubprocess *
spawn_pay (Fixture    *f,
           const char *amount,
           const char *crash_var)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *cli = vp_test_cli_path ();
  GSubprocess *p;

  g_subprocess_launcher_unsetenv (l, "VP_CRASH_BEFORE_COMMIT");
  g_subprocess_launcher_unsetenv (l, "VP_CRASH_AFTER_COMMIT");
  if (crash_var != NULL)
    g_subprocess_launcher_setenv (l, crash_var, "1", TRUE);
  p = g_subprocess_launcher_spawn (l, &error, cli, "--db", f->env->path, "pay", f->acct, amount,
                                   "--method", "cash", "--staff", "op01", "--pin", "1234", NULL);
  g_assert_no_error (error);
  return p;
}

/* Re-opens with the integrity check and verifies the journal; returns the
 * number of entries. */
static gint64
check_consistent (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  gint64 checked = 0, bad = 0;
  gint64 paid_journal, paid_bills, credit, n;
  g_autoptr(VpAccount) a = NULL;

  f->env->db = vp_database_open (f->env->path, VP_DATABASE_OPEN_CHECK_INTEGRITY, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->env->db);
  g_assert_true (vp_database_check_integrity (f->env->db, &error));
  g_assert_true (vp_journal_store_verify (f->env->db, &checked, &bad, &error));
  g_assert_no_error (error);
  n = vp_journal_store_last_seq (f->env->db);
  g_assert_cmpint (checked, ==, n);
  g_assert_cmpint (vp_test_query_int (f->env->db, "SELECT count (*) FROM outbox"), ==, n);

  /* Money: every journaled payment is in the bills and credit, nothing
   * else is. */
  paid_journal = vp_test_query_int (f->env->db, "SELECT coalesce (sum (amount), 0) FROM journal"
                                                " WHERE kind = 'pay'");
  a = vp_test_get_account (f->env->db, f->acct);
  paid_bills = BILLS_TOTAL - a->arrears;
  credit = a->balance - 500;
  g_assert_cmpint (paid_bills + credit, ==, paid_journal);
  return n;
}

static void
test_crash_before_commit (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = spawn_pay (f, "123.45", "VP_CRASH_BEFORE_COMMIT");
  g_autoptr(VpAccount) a = NULL;

  g_assert_true (g_subprocess_wait (p, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 86);

  g_assert_cmpint (check_consistent (f), ==, 1);   /* only the shift opening */
  a = vp_test_get_account (f->env->db, f->acct);
  g_assert_cmpint (a->arrears, ==, BILLS_TOTAL);
  g_assert_cmpint (a->balance, ==, 500);
}

static void
test_crash_after_commit (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = spawn_pay (f, "123.45", "VP_CRASH_AFTER_COMMIT");
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(VpJournalEntry) e = NULL;

  g_assert_true (g_subprocess_wait (p, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 86);

  g_assert_cmpint (check_consistent (f), ==, 2);
  e = vp_journal_store_get (f->env->db, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->kind, ==, VP_KIND_PAY);
  a = vp_test_get_account (f->env->db, f->acct);
  /* The account's ¥5.00 credit paid the oldest bill first (issue 9). */
  g_assert_cmpint (a->arrears, ==, BILLS_TOTAL - 500 - 12345);
  g_assert_cmpint (a->balance, ==, 0);
}

/* Where a kill lands.  Each is reached through the VP_STOP_AT hook of
 * vp-database.c, which stops the child with SIGSTOP at that point so the
 * kill lands there and nowhere else. */
typedef enum
{
  KILL_AT_BEGIN,        /* inside BEGIN…COMMIT, nothing written yet */
  KILL_BEFORE_COMMIT,   /* inside the transaction, every row written */
  KILL_IN_COMMIT,       /* COMMIT running (WAL frames, fsync): either way */
  KILL_AFTER_COMMIT,    /* committed, not yet acknowledged */
  FINISH,               /* runs to the end and acknowledges its receipt */
  N_OUTCOMES
} Outcome;

static const char *const outcome_names[N_OUTCOMES] = {
  "begin", "before-commit", "in-commit", "after-commit", "finished"
};

typedef struct
{
  gint64   amount;     /* fen, unique per attempt */
  Outcome  outcome;
  char    *receipt;    /* acknowledged receipt (FINISH only) */
  gint64   seq;        /* acknowledged seq (FINISH only) */
} Attempt;

static void
attempt_clear (gpointer data)
{
  Attempt *a = data;

  g_free (a->receipt);
}

static char *
read_all (int fd)
{
  g_autoptr(GString) s = g_string_new (NULL);
  char buf[4096];
  gssize n;

  while ((n = read (fd, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      g_string_append_len (s, buf, n);
    }
  close (fd);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static int
waitpid_eintr (GPid pid,
               int  flags)
{
  int status = 0;

  while (waitpid (pid, &status, flags) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  return status;
}

/* Runs `vanpos-cli pay` for `amount` fen in cash and ends it as `outcome`
 * says; for FINISH returns its --json output. `delay_us` is how long the
 * COMMIT runs before KILL_IN_COMMIT's kill. */
static char *
run_pay (Fixture *f,
         gint64   amount,
         Outcome  outcome,
         guint    delay_us)
{
  static const char *const stop_at[N_OUTCOMES] = {
    "begin", "before-commit", "before-commit,after-commit", "after-commit", NULL
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *cli = vp_test_cli_path ();
  g_autofree char *amount_text = g_strdup_printf ("%" G_GINT64_FORMAT ".%02" G_GINT64_FORMAT,
                                                  amount / 100, amount % 100);
  const char *argv[] = { cli, "--db", f->env->path, "pay", f->acct, amount_text, "--method", "cash",
                         "--staff", "op01", "--pin", "1234", "--json", NULL };
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  GPid pid;
  int out_fd, err_fd, status;

  envp = g_environ_unsetenv (envp, "VP_CRASH_BEFORE_COMMIT");
  envp = g_environ_unsetenv (envp, "VP_CRASH_AFTER_COMMIT");
  if (stop_at[outcome] != NULL)
    envp = g_environ_setenv (envp, "VP_STOP_AT", stop_at[outcome], TRUE);
  else
    envp = g_environ_unsetenv (envp, "VP_STOP_AT");
  g_assert_true (g_spawn_async_with_pipes (NULL, (char **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, NULL, &out_fd, &err_fd, &error));
  g_assert_no_error (error);

  if (outcome != FINISH)
    {
      /* Stopped at its point, inside or right after the transaction. */
      status = waitpid_eintr (pid, WUNTRACED);
      if (!WIFSTOPPED (status))
        g_error ("pay %s exited (status %d) instead of stopping at %s", amount_text, status,
                 stop_at[outcome]);
      if (outcome == KILL_IN_COMMIT)
        {
          /* Let COMMIT run for a moment; it stops again at after-commit,
           * so the kill lands whatever the timing. */
          g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
          if (delay_us > 0)
            g_usleep (delay_us);
        }
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
    }
  status = waitpid_eintr (pid, 0);
  g_spawn_close_pid (pid);
  out = read_all (out_fd);
  err = read_all (err_fd);
  if (outcome == FINISH)
    {
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        g_error ("pay %s failed (status %d): %s", amount_text, status, err);
      g_assert_cmpstr (err, ==, "");
      return g_steal_pointer (&out);
    }
  /* The kill landed: the child died of it, having acknowledged nothing. */
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
  g_assert_cmpstr (out, ==, "");
  return NULL;
}

/* Runs a CLI command to its end; returns stdout, asserting the exit code
 * and an empty stderr. */
static char *
run_cli_ok (Fixture *f,
            ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  const char *arg;
  int status = -1;
  va_list ap;

  g_ptr_array_add (argv, vp_test_cli_path ());
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_strdup (f->env->path));
  va_start (ap, f);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("vanpos-cli %s: %s: %s", (char *)argv->pdata[3], error->message, err);
  g_assert_cmpstr (err, ==, "");
  return out;
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* After a restart: the journal verifies, each acknowledged receipt is in
 * it exactly once, no attempt's payment is there twice, the kills before
 * COMMIT left nothing and those after it left the whole payment, and the
 * drawer expects the float plus exactly the cash the journal holds.
 * Returns how many KILL_IN_COMMIT payments made it. */
static guint
check_after_restart (Fixture *f,
                     GArray  *attempts)
{
  g_autofree char *verify = run_cli_ok (f, "verify", NULL);
  g_autofree char *journal = run_cli_ok (f, "journal", "--json", NULL);
  g_autofree char *x = run_cli_ok (f, "shift", "x", "--json", "--staff", "op01", "--pin", "1234", NULL);
  g_auto(GStrv) lines = g_strsplit (journal, "\n", -1);
  g_autoptr(GHashTable) by_amount = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                           g_free, (GDestroyNotify)json_object_unref);
  g_autoptr(JsonObject) totals = parse_object (x);
  gint64 cash = 0, seq_expected = 1;
  guint in_commit_landed = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonObject) e = NULL;
      gint64 amount;

      if (*lines[i] == '\0')
        continue;
      e = parse_object (lines[i]);
      /* No seq reused or skipped. */
      g_assert_cmpint (json_object_get_int_member (e, "seq"), ==, seq_expected++);
      if (!g_str_equal (json_object_get_string_member (e, "kind"), VP_KIND_PAY))
        continue;
      amount = json_object_get_int_member (e, "amount");
      g_assert_cmpstr (json_object_get_string_member (e, "method"), ==, "cash");
      if (g_hash_table_contains (by_amount, &amount))
        g_error ("the payment of %" G_GINT64_FORMAT " fen is in the journal twice", amount);
      g_hash_table_insert (by_amount, g_memdup2 (&amount, sizeof amount), json_object_ref (e));
      cash += amount;
    }
  g_assert_cmpint (g_hash_table_size (by_amount), <=, attempts->len);

  for (guint i = 0; i < attempts->len; i++)
    {
      Attempt *a = &g_array_index (attempts, Attempt, i);
      JsonObject *e = g_hash_table_lookup (by_amount, &a->amount);

      switch (a->outcome)
        {
        case KILL_AT_BEGIN:
        case KILL_BEFORE_COMMIT:
          if (e != NULL)
            g_error ("a kill at %s left the payment of %" G_GINT64_FORMAT " fen in the journal",
                     outcome_names[a->outcome], a->amount);
          break;
        case KILL_IN_COMMIT:
          in_commit_landed += e != NULL;
          break;
        case KILL_AFTER_COMMIT:
          if (e == NULL)
            g_error ("a kill after COMMIT lost the committed payment of %" G_GINT64_FORMAT " fen",
                     a->amount);
          break;
        case FINISH:
          if (e == NULL)
            g_error ("the acknowledged receipt %s (%" G_GINT64_FORMAT " fen) is not in the journal",
                     a->receipt, a->amount);
          g_assert_cmpstr (json_object_get_string_member (e, "receipt"), ==, a->receipt);
          g_assert_cmpint (json_object_get_int_member (e, "seq"), ==, a->seq);
          break;
        case N_OUTCOMES:
        default:
          g_assert_not_reached ();
        }
      g_hash_table_remove (by_amount, &a->amount);
    }
  /* Nothing in the journal that no attempt made. */
  g_assert_cmpuint (g_hash_table_size (by_amount), ==, 0);

  g_assert_nonnull (strstr (verify, "intact"));
  g_assert_cmpint (json_object_get_int_member (totals, "cash_in"), ==, cash);
  g_assert_cmpint (json_object_get_int_member (totals, "expected_cash"), ==, 10000 + cash);
  return in_commit_landed;
}

static void
test_sigkill_loop (Fixture      *f,
                   gconstpointer data)
{
  /* 200 kills, four in every five attempts; a fifth of them in CI. */
  gboolean quick = g_getenv ("VP_TEST_QUICK") != NULL || g_strcmp0 (g_getenv ("CI"), "true") == 0;
  guint planned = quick ? 40 : 200;
  guint n_attempts = planned / 4 * 5;
  guint killed[N_OUTCOMES] = { 0 };
  guint in_commit_landed = 0;
  g_autoptr(GArray) attempts = g_array_new (FALSE, TRUE, sizeof (Attempt));
  gint64 n;

  g_array_set_clear_func (attempts, attempt_clear);
  for (guint i = 0; i < n_attempts; i++)
    {
      Attempt a = { 0 };
      g_autofree char *out = NULL;

      /* Unique amounts, so each payment in the journal names its attempt. */
      a.amount = 100 + i;
      a.outcome = (Outcome)(i % N_OUTCOMES);
      /* KILL_IN_COMMIT's delays step through 0–5.7 ms, about twice as long as
       * a COMMIT with its fsync takes. */
      out = run_pay (f, a.amount, a.outcome, (i / N_OUTCOMES) % 20 * 300);
      if (a.outcome == FINISH)
        {
          g_autoptr(JsonObject) ack = parse_object (out);

          a.receipt = g_strdup (json_object_get_string_member (ack, "receipt"));
          a.seq = json_object_get_int_member (ack, "seq");
          g_assert_cmpint (json_object_get_int_member (ack, "amount"), ==, a.amount);
        }
      else
        killed[a.outcome]++;
      g_array_append_val (attempts, a);
      in_commit_landed = check_after_restart (f, attempts);
    }

  g_test_message ("%u attempts: killed %u at begin, %u before COMMIT, %u in COMMIT (%u of them"
                  " committed), %u after COMMIT; %u finished", n_attempts,
                  killed[KILL_AT_BEGIN], killed[KILL_BEFORE_COMMIT], killed[KILL_IN_COMMIT],
                  in_commit_landed, killed[KILL_AFTER_COMMIT], n_attempts / N_OUTCOMES);
  for (Outcome o = KILL_AT_BEGIN; o < FINISH; o++)
    g_assert_cmpuint (killed[o], ==, planned / 4);

  n = check_consistent (f);
  g_assert_cmpint (n, ==, 1 + 2 * n_attempts / N_OUTCOMES + in_commit_landed);
  /* The next write goes on the chain. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VpJournalEntry) e = vp_bill_store_pay (f->env->db, f->env->op, f->acct, 1, VP_PAYMENT_CASH,
                                                     NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (e->seq, ==, n + 1);
  }
  g_clear_object (&f->env->db);
  g_assert_cmpint (check_consistent (f), ==, n + 1);
}

static void
test_disk_full (Fixture      *f,
                gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *limit = NULL;
  gint64 before, pages, ok = 0;
  g_autoptr(VpAccount) a_before = NULL;
  g_autoptr(VpAccount) a_after = NULL;

  check_consistent (f);
  pages = vp_test_query_int (f->env->db, "PRAGMA page_count");
  /* Room for a handful of pages more, as if the disk were nearly full. */
  limit = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT, pages + 3);
  vp_database_lock (f->env->db);
  g_assert_true (vp_database_exec (f->env->db, limit, &error));
  vp_database_unlock (f->env->db);

  for (guint i = 0; i < 5000; i++)
    {
      g_autoptr(VpJournalEntry) e = NULL;

      g_clear_pointer (&a_before, vp_account_free);
      a_before = vp_test_get_account (f->env->db, f->acct);
      before = vp_journal_store_last_seq (f->env->db);
      e = vp_bill_store_pay (f->env->db, f->env->op, f->acct, 100 + i, VP_PAYMENT_CASH, NULL, &error);
      if (e == NULL)
        break;
      ok++;
    }
  g_test_message ("%" G_GINT64_FORMAT " payments fitted before the disk was full", ok);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_FULL);
  g_assert_nonnull (strstr (error->message, "disk is full"));

  /* The failed payment left nothing behind. */
  g_assert_cmpint (vp_journal_store_last_seq (f->env->db), ==, before);
  a_after = vp_test_get_account (f->env->db, f->acct);
  g_assert_cmpint (a_after->arrears, ==, a_before->arrears);
  g_assert_cmpint (a_after->balance, ==, a_before->balance);

  /* Space freed (the limit lifted): the van carries on, chain intact. */
  g_clear_object (&f->env->db);
  g_assert_cmpint (check_consistent (f), ==, before);
  {
    g_autoptr(VpJournalEntry) e = NULL;

    g_clear_error (&error);
    e = vp_bill_store_pay (f->env->db, f->env->op, f->acct, 100, VP_PAYMENT_CASH, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (e->seq, ==, before + 1);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/reliability/crash-before-commit", Fixture, NULL, fixture_setup,
              test_crash_before_commit, fixture_teardown);
  g_test_add ("/reliability/crash-after-commit", Fixture, NULL, fixture_setup,
              test_crash_after_commit, fixture_teardown);
  g_test_add ("/reliability/sigkill-loop", Fixture, NULL, fixture_setup,
              test_sigkill_loop, fixture_teardown);
  g_test_add ("/reliability/disk-full", Fixture, NULL, fixture_setup,
              test_disk_full, fixture_teardown);
  return g_test_run ();
}
