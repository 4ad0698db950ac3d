/* hq-load-bench.c: many vans syncing with vanpos-hq at once (issue 10).
 * For K = 1, 20, 50, 100 vans × 2,000 entries (1-fen bill payments,
 * signed directly, prepared before the clock starts), every van opens a
 * session and pushes its batches on its own thread, all released at
 * once. Prints wall time, per-van p50/p95, entries/s, failures and
 * retries, and this machine's Ed25519 verify rate (openssl speed) × cores
 * measured in the same run, with the ratio; also the rate of HQ's own
 * verifier (libsodium, about twice openssl's) and the ratio against it. Targets: no van fails or
 * retries more than once at K = 100; entries/s ≥ 0.5 × all-core verify.
 * Run through tests/hq/run-with-hq.sh (meson benchmark 'hq-load-bench').
 *
 * Environment: HQ_LOAD_K ("1,20,50,100"), HQ_LOAD_ENTRIES (2000).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <curl/curl.h>

#include "hq-fleet.h"
#include "hq-test-util.h"
#include "vp-signer.h"

static int
cmp_i64 (const void *a,
         const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

/* verify/s of one core, from `openssl speed -seconds 1 ed25519`. */
static double
ed25519_verify_rate (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  int status = 0;

  if (!g_spawn_command_line_sync ("openssl speed -seconds 1 ed25519", &out, &err, &status, NULL) ||
      status != 0)
    return 0;
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "Ed25519") != NULL && strstr (lines[i], "bits") != NULL)
      {
        const char *last = strrchr (g_strstrip (lines[i]), ' ');
        return last ? g_ascii_strtod (last + 1, NULL) : 0;
      }
  return 0;
}

/* verify/s of one core with HQ's own verifier (vp_verifier_verify, the
 * check HQ runs on every entry), over one second: the openssl figure is
 * the target's yardstick, this one is what HQ really pays per entry. */
static double
own_verify_rate (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpSigner) signer = vp_signer_generate (&error);
  g_autofree char *pem = signer ? vp_signer_public_key_pem (signer) : NULL;
  g_autoptr(VpVerifier) verifier = pem ? vp_verifier_new (pem, &error) : NULL;
  g_autofree char *sig = NULL;
  guint8 hash[32];
  gint64 start, now;
  guint n = 0;

  if (verifier == NULL)
    return 0;
  for (guint i = 0; i < sizeof hash; i++)
    hash[i] = (guint8) (i * 31 + 7);
  sig = vp_signer_sign (signer, hash, sizeof hash, &error);
  if (sig == NULL)
    return 0;
  start = now = g_get_monotonic_time ();
  while (now - start < G_USEC_PER_SEC)
    {
      for (guint i = 0; i < 100; i++)
        n += vp_verifier_verify (verifier, hash, sizeof hash, sig, NULL);
      now = g_get_monotonic_time ();
    }
  return n / ((now - start) / 1e6);
}

/* CPU seconds this process (the vans' threads) has used. */
static double
self_cpu (void)
{
  struct rusage ru;

  if (getrusage (RUSAGE_SELF, &ru) != 0)
    return 0;
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The machine is shared: the 1, 5, 15 minute load averages. */
static char *
loadavg (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) f = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  f = g_strsplit (text, " ", 4);
  return g_strv_length (f) >= 3 ? g_strjoin (" ", f[0], f[1], f[2], NULL) : g_strdup ("?");
}

/* CPU seconds (user + system) a process and its reaped children used. */
static double
proc_cpu (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) f = NULL;
  const char *rp;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (rp = strrchr (text, ')')) == NULL)
    return 0;
  f = g_strsplit (rp + 2, " ", -1);
  /* after "pid (comm) ": state=0 … utime=11 stime=12 cutime=13 cstime=14 */
  if (g_strv_length (f) < 15)
    return 0;
  return (g_ascii_strtod (f[11], NULL) + g_ascii_strtod (f[12], NULL) +
          g_ascii_strtod (f[13], NULL) + g_ascii_strtod (f[14], NULL)) / sysconf (_SC_CLK_TCK);
}

static int
pid_from (const char *path)
{
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) ? atoi (text) : 0;
}

/* PostgreSQL: the postmaster (with its reaped backends) and live backends. */
static double
pg_cpu (int postmaster)
{
  g_autoptr(GDir) d = g_dir_open ("/proc", 0, NULL);
  const char *name;
  double sum = proc_cpu (postmaster);

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/stat", name);
      g_autofree char *text = NULL;
      const char *rp;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &text, NULL, NULL) ||
          (rp = strrchr (text, ')')) == NULL)
        continue;
      if (atoi (strchr (rp + 3, ' ') + 1) == postmaster)
        {
          g_auto(GStrv) f = g_strsplit (rp + 2, " ", -1);
          if (g_strv_length (f) >= 13)
            sum += (g_ascii_strtod (f[11], NULL) + g_ascii_strtod (f[12], NULL)) / sysconf (_SC_CLK_TCK);
        }
    }
  return sum;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "load", NULL);
  const char *k_env = g_getenv ("HQ_LOAD_K");
  g_auto(GStrv) ks = g_strsplit (k_env ? k_env : "1,20,50,100", ",", -1);
  guint n_entries = g_getenv ("HQ_LOAD_ENTRIES") ? (guint) atoi (g_getenv ("HQ_LOAD_ENTRIES")) : 2000;
  guint cores = g_get_num_processors ();
  g_autofree char *load0 = loadavg ();
  double verify1 = ed25519_verify_rate ();
  double own1 = own_verify_rate ();
  double last_rate = 0;
  guint last_failed = 0, last_max_retries = 0;
  g_autofree char *hq_pid_file = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "hq.pid", NULL);
  g_autofree char *pm_file = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "data", "postmaster.pid", NULL);
  int hq_pid = pid_from (hq_pid_file);
  int pm_pid = pid_from (pm_file);

  curl_global_init (CURL_GLOBAL_DEFAULT);
  g_print ("# machine: %u cores, load average %s before the run\n", cores, load0);
  g_print ("# openssl speed -seconds 1 ed25519: %.0f verify/s per core, x %u cores = %.0f/s\n",
           verify1, cores, verify1 * cores);
  g_print ("# HQ's own verifier (libsodium): %.0f verify/s per core (%.2fx openssl's), x %u cores = %.0f/s\n",
           own1, verify1 > 0 ? own1 / verify1 : 0, cores, own1 * cores);
  g_print ("%5s %8s %9s %9s %10s %7s %8s %11s %7s  %s\n", "K", "entries", "wall s", "p50 s",
           "p95 s", "failed", "retries", "entries/s", "ratio", "load");
  for (guint r = 0; ks[r] != NULL; r++)
    {
      guint k = (guint) atoi (ks[r]);
      g_autofree char *prefix = g_strdup_printf ("L%uV", k);   /* a van id is letters and digits */
      g_autofree char *round_dir = g_strdup_printf ("%s/k%u", dir, k);
      g_autoptr(GPtrArray) vans = NULL;
      g_autofree gint64 *times = NULL;
      g_autofree char *load = NULL;
      guint failed = 0, retries = 0, max_retries = 0;
      guint64 accepted = 0;
      gint64 wall;
      double rate, hq0, pg0, van0, hq_cpu, pgc, van_cpu, per;

      if (k == 0)
        continue;
      /* Prepared beforehand, not timed: keys, certificates, signed batches. */
      vans = hq_fleet_make (round_dir, prefix, k, n_entries, MAX (20u, n_entries / 100));
      hq0 = proc_cpu (hq_pid);
      pg0 = pg_cpu (pm_pid);
      van0 = self_cpu ();
      wall = hq_fleet_sync (vans, 5);
      hq_cpu = proc_cpu (hq_pid) - hq0;
      pgc = pg_cpu (pm_pid) - pg0;
      van_cpu = self_cpu () - van0;
      load = loadavg ();
      times = g_new (gint64, k);
      for (guint i = 0; i < k; i++)
        {
          HqFleetVan *v = vans->pdata[i];

          times[i] = v->usec;
          accepted += v->accepted;
          retries += v->retries;
          max_retries = MAX (max_retries, v->retries);
          if (!v->ok)
            {
              failed++;
              g_printerr ("# van %s failed: %s\n", v->id, v->error);
            }
          if (v->retries > 0)
            g_print ("#       van %s sent %u request(s) again; the last because of %s\n",
                     v->id, v->retries, v->retry_why ? v->retry_why : "?");
        }
      qsort (times, k, sizeof *times, cmp_i64);
      rate = accepted / (wall / 1e6);
      g_print ("%5u %8" G_GUINT64_FORMAT " %9.2f %9.2f %10.2f %7u %4u/%-3u %11.0f %7.2f  %s\n", k,
               accepted, wall / 1e6, times[(k - 1) / 2] / 1e6, times[MIN (k - 1, (k * 95 + 99) / 100 - 1)] / 1e6,
               failed, retries, max_retries, rate, verify1 > 0 ? rate / (verify1 * cores) : 0, load);
      per = 1e6 / MAX (accepted, 1);   /* seconds of CPU -> us per entry */
      g_print ("#       CPU: vanpos-hq %.1f s (%.0f us/entry), PostgreSQL %.1f s (%.0f us/entry);"
               " %.0f entries/s if those two had every core\n", hq_cpu, hq_cpu * per,
               pgc, pgc * per, accepted / MAX ((hq_cpu + pgc) / cores, 1e-3));
      /* The target's arithmetic: at 0.5x, all three together may spend
       * 2 Ed25519 verifies' worth of CPU per entry, and HQ spends one
       * of them on the entry's signature. */
      g_print ("#       per entry: HQ %.0f + PostgreSQL %.0f + the vans %.0f = %.0f us of CPU;"
               " the 0.5x target allows %.0f us; one Ed25519 verify is %.0f (openssl), %.0f (HQ's)\n",
               hq_cpu * per, pgc * per, van_cpu * per, (hq_cpu + pgc + van_cpu) * per,
               verify1 > 0 ? 2e6 / verify1 : 0, verify1 > 0 ? 1e6 / verify1 : 0,
               own1 > 0 ? 1e6 / own1 : 0);
      last_rate = rate;
      last_failed = failed;
      last_max_retries = max_retries;
    }
  g_print ("# retries: total/most for one van. ratio: entries/s / all-core Ed25519 verify/s (openssl).\n");
  g_print ("# at the largest K, entries/s / all-core verify/s of HQ's own verifier: %.2f\n",
           own1 > 0 ? last_rate / (own1 * cores) : 0);
  g_print ("# targets at the largest K: no van failed (%s), none retried more than once (%s),"
           " ratio >= 0.5 (%s)\n", last_failed == 0 ? "met" : "MISSED",
           last_max_retries <= 1 ? "met" : "MISSED",
           verify1 > 0 && last_rate >= 0.5 * verify1 * cores ? "met" : "MISSED");
  return last_failed == 0 && last_max_retries <= 1 ? 0 : 1;
}
