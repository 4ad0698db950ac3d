/* test-crash.c: power cuts around the commit, SIGKILL at random points,
 * and a full disk: the database always opens, passes its integrity check,
 * the journal verifies, and a payment is either wholly there or wholly
 * absent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>

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
  g_assert_cmpint (a->arrears, ==, BILLS_TOTAL - 12345);
  g_assert_cmpint (a->balance, ==, 500);
}

static void
test_sigkill_loop (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  guint killed = 0, finished = 0;
  gint64 n;

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *amount = g_strdup_printf ("%u.%02u", g_rand_int_range (rand, 1, 200),
                                                 g_rand_int_range (rand, 0, 100));
      g_autoptr(GSubprocess) p = spawn_pay (f, amount, NULL);

      /* The whole command takes ~100–200 ms (start, open, PIN, commit with
       * fsync); kill it somewhere in it, or just after. */
      g_usleep (g_rand_int_range (rand, 0, 200000));
      g_subprocess_force_exit (p);
      g_assert_true (g_subprocess_wait (p, NULL, &error));
      if (g_subprocess_get_if_signaled (p))
        killed++;
      else
        finished++;
    }
  g_test_message ("50 payments: %u killed, %u finished first", killed, finished);

  n = check_consistent (f);
  g_test_message ("%" G_GINT64_FORMAT " of them were committed", n - 1);
  g_assert_cmpint (killed, >=, 1);
  g_assert_cmpint (n, >=, 1 + finished);
  g_assert_cmpint (n, <=, 51);
  /* A kill never left a half entry: every pay entry is a whole, verified
   * payment with its bills updated, and the next write goes on the chain. */
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
