/* sync-bench.c: the van's end-of-day sync against the real vanpos-hq on
 * PostgreSQL over loopback HTTPS (scripts/hq-local.sh):
 *   - push of N journal entries (default 10,000; target < 5 s),
 *   - replay of the same N entries (a no-op at HQ),
 *   - pull of M accounts of master data (default 1,000,000).
 * VP_BENCH_ENTRIES / VP_BENCH_ACCOUNTS override N / M.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>

#include "sync-test-util.h"

static gint64
env_int (const char *name,
         gint64      fallback)
{
  const char *v = g_getenv (name);

  return v ? g_ascii_strtoll (v, NULL, 10) : fallback;
}

int
main (int    argc,
      char **argv)
{
  gint64 n_entries = env_int ("VP_BENCH_ENTRIES", 10000);
  gint64 n_accounts = env_int ("VP_BENCH_ACCOUNTS", 1000000);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, n_accounts);
  g_autofree char *out = NULL, *err = NULL;
  VpSyncOptions push_only = { 0, TRUE };
  VpSyncOptions pull = { 50000, FALSE };
  SyncEnv *env;
  double t_setup, t_push, t_replay, t_hq_demo, t_pull;
  gint64 entries, highest, amount, local_accounts;

  env = sync_env_new ("VAN01", 200);
  if (env == NULL)
    {
      g_print ("sync-bench: skipped (no PostgreSQL)\n");
      return 77;
    }

  /* Set-up only: the journal is written without fsync per entry. */
  sqlite3_exec (vp_database_get_handle (env->db), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
  g_timer_start (timer);
  sync_env_add_logs (env, n_entries);
  sqlite3_exec (vp_database_get_handle (env->db), "PRAGMA synchronous = FULL", NULL, NULL, NULL);
  t_setup = g_timer_elapsed (timer, NULL);

  {
    g_autoptr(VpSyncClient) client = sync_env_client (env, 3);
    g_autoptr(VpSyncResult) r = NULL;

    g_timer_start (timer);
    r = vp_service_sync_with_client (env->service, client, "sup01", "9876", &push_only,
                                     NULL, NULL, NULL, &error);
    t_push = g_timer_elapsed (timer, NULL);
    if (r == NULL)
      g_error ("push: %s", error->message);
    g_assert_cmpint (r->accepted, ==, n_entries);
    sync_env_hq_counts (env, &entries, &highest, &amount);
    g_assert_cmpint (entries, ==, n_entries);
  }

  /* Replay: every batch sent again (as after lost acknowledgements).
   * A sync would resume from HQ's acked_seq after the first batch, so
   * the batches are pushed directly here. */
  {
    g_autoptr(VpSyncClient) client = sync_env_client (env, 3);
    gint64 dups = 0;

    g_timer_start (timer);
    if (!vp_sync_client_open_session (client, "sup01", "9876", NULL, NULL, &error))
      g_error ("session: %s", error->message);
    for (gint64 after = 0; after < n_entries; after += VP_SYNC_MAX_BATCH)
      {
        g_autoptr(GPtrArray) batch = vp_journal_store_list (env->db, after, VP_SYNC_MAX_BATCH, &error);
        g_autoptr(VpPushAck) ack = vp_sync_client_push (client, batch, NULL, &error);

        if (ack == NULL)
          g_error ("replay: %s", error->message);
        for (guint i = 0; i < ack->results->len; i++)
          dups += g_str_equal (((VpPushOutcome *)g_ptr_array_index (ack->results, i))->outcome, "duplicate");
      }
    t_replay = g_timer_elapsed (timer, NULL);
    g_assert_cmpint (dups, ==, n_entries);
    sync_env_hq_counts (env, &entries, &highest, &amount);
    g_assert_cmpint (entries, ==, n_entries);
  }

  /* Master data: M accounts generated at HQ, pulled in 50,000-row pages. */
  g_timer_start (timer);
  if (sync_env_hq (env, &out, &err, "demo", "--accounts", n, NULL) != 0)
    g_error ("vanpos-hq demo: %s %s", out, err);
  t_hq_demo = g_timer_elapsed (timer, NULL);
  {
    g_autoptr(VpSyncClient) client = sync_env_client (env, 3);
    g_autoptr(VpSyncResult) r = NULL;

    g_timer_start (timer);
    r = vp_service_sync_with_client (env->service, client, "sup01", "9876", &pull,
                                     NULL, NULL, NULL, &error);
    t_pull = g_timer_elapsed (timer, NULL);
    if (r == NULL)
      g_error ("pull: %s", error->message);
    local_accounts = vp_account_store_count (env->db);
    g_print ("sync-bench: pulled %" G_GINT64_FORMAT " accounts, %" G_GINT64_FORMAT " bills in %"
             G_GINT64_FORMAT " pages; the van now has %" G_GINT64_FORMAT " accounts\n",
             r->master.accounts, r->master.bills, r->master_pages, local_accounts);
    g_assert_cmpint (r->master.accounts, >=, n_accounts);
  }

  g_print ("sync-bench: set-up: %" G_GINT64_FORMAT " journal entries written in %.2f s\n",
           n_entries, t_setup);
  g_print ("sync-bench: push of %" G_GINT64_FORMAT " entries over loopback HTTPS into PostgreSQL: "
           "%.2f s (%.0f entries/s; target < 5 s: %s)\n",
           n_entries, t_push, n_entries / t_push, t_push < 5.0 ? "met" : "MISSED");
  g_print ("sync-bench: replay of the same %" G_GINT64_FORMAT " entries (all duplicates): %.2f s "
           "(%.0f entries/s)\n", n_entries, t_replay, n_entries / t_replay);
  g_print ("sync-bench: HQ generated %" G_GINT64_FORMAT " accounts in %.2f s (vanpos-hq demo)\n",
           n_accounts, t_hq_demo);
  g_print ("sync-bench: master pull of %" G_GINT64_FORMAT " accounts: %.2f s (%.0f accounts/s)\n",
           n_accounts, t_pull, n_accounts / t_pull);
  sync_env_free (env);
  return 0;
}
