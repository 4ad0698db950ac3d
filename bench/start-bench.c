/* start-bench.c: start to a usable sign-in page at 1,000,000 accounts vs
 * an empty GTK 4 window, on one Xvfb display and one GSK renderer
 * (issue 11; target ratio <= 1.3).
 *
 *   start-bench VANPOS VANPOS-CLI EMPTY-WINDOW CACHE-DIR [EMPTY-ADW-WINDOW [RUNS]]
 *
 * The demo database (VP_BENCH_ACCOUNTS accounts, default 1,000,000) is
 * built once with `vanpos-cli demo` under CACHE-DIR and reused. Each run
 * spawns the program and waits for the line it prints with the monotonic
 * time of the frame that showed it (vanpos: VANPOS_PRINT_STARTUP_TIME,
 * when the sign-in page's staff buttons are painted after the database
 * opened); the time from spawn to that frame is the figure. One warm-up
 * run of each comes first (page cache), then RUNS (default 7) of each,
 * interleaved. GSK_RENDERER is taken from the environment (default cairo:
 * Xvfb has no GPU) and set for all.
 *
 * All run in one session, as on the van's desktop: an Xvfb display and a
 * session bus of their own (with no session bus, GIO autolaunches a
 * dbus-daemon for each program, and every second one finds only the
 * address the previous one left on the display: a start that differs
 * from run to run by tens of ms, and from any desktop).
 *
 * EMPTY-ADW-WINDOW is the second yardstick: the same empty window from an
 * AdwApplication. Loading libadwaita's style sheet alone costs an empty
 * window 1.2–1.35× here, so the bench prints vanpos against it too: that
 * ratio is what the app's own start costs beyond its toolkit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_TIMEOUT_S 120

typedef struct
{
  GMainLoop  *loop;
  const char *prefix;
  gint64      at;       /* the printed monotonic µs, 0: not seen */
  gboolean    done;
} Run;

static void read_next (GDataInputStream *in,
                       Run              *run);

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                                                result, NULL, NULL);

  if (line != NULL && g_str_has_prefix (line, run->prefix))
    run->at = g_ascii_strtoll (line + strlen (run->prefix), NULL, 10);
  if (line == NULL || run->at != 0)
    {
      run->done = TRUE;
      g_main_loop_quit (run->loop);
      return;
    }
  read_next (G_DATA_INPUT_STREAM (source), run);
}

static void
read_next (GDataInputStream *in,
           Run              *run)
{
  g_data_input_stream_read_line_async (in, G_PRIORITY_DEFAULT, NULL, line_read, run);
}

static gboolean
run_timeout (gpointer user_data)
{
  Run *run = user_data;

  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

/* Seconds from spawn to the time the program printed after prefix. */
static double
time_one (GSubprocessLauncher *launcher,
          const char * const  *argv,
          const char          *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Run run = { loop, prefix, 0, FALSE };
  gint64 start = g_get_monotonic_time ();
  guint timeout;

  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (proc == NULL)
    {
      fprintf (stderr, "start-bench: %s: %s\n", argv[0], error->message);
      exit (1);
    }
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  read_next (in, &run);
  timeout = g_timeout_add_seconds (RUN_TIMEOUT_S, run_timeout, &run);
  g_main_loop_run (loop);
  if (run.done)
    g_source_remove (timeout);
  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait (proc, NULL, NULL);
  /* A pending read on the closed pipe finishes now. */
  while (!run.done && g_main_context_iteration (NULL, FALSE))
    ;
  if (run.at == 0)
    {
      fprintf (stderr, "start-bench: %s never printed “%s” (within %d s)\n", argv[0], prefix,
               RUN_TIMEOUT_S);
      exit (1);
    }
  return (run.at - start) / 1e6;
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *a)
{
  g_array_sort (a, cmp_double);
  if (a->len % 2)
    return g_array_index (a, double, a->len / 2);
  return (g_array_index (a, double, a->len / 2 - 1) + g_array_index (a, double, a->len / 2)) / 2;
}

static void
run_cli (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                                                   &error);

  if (proc == NULL || !g_subprocess_wait_check (proc, NULL, &error))
    {
      fprintf (stderr, "start-bench: %s %s: %s\n", argv[0], argv[3], error->message);
      exit (1);
    }
}

/* CACHE/start-N.db, built once; a marker says it was finished. */
static char *
demo_database (const char *cli,
               const char *cache,
               gint64      accounts)
{
  g_autofree char *name = g_strdup_printf ("start-%" G_GINT64_FORMAT ".db", accounts);
  g_autofree char *marker_name = g_strconcat (name, ".done", NULL);
  char *path = g_build_filename (cache, name, NULL);
  g_autofree char *marker = g_build_filename (cache, marker_name, NULL);
  g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, accounts);
  const char *suffixes[] = { "", "-wal", "-shm", ".vankey", ".anchor" };
  g_autoptr(GTimer) timer = NULL;

  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    return path;
  g_mkdir_with_parents (cache, 0755);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *p = g_strconcat (path, suffixes[i], NULL);
      g_unlink (p);
    }
  printf ("Building the %s-account demo database %s (once)…\n", n, path);
  fflush (stdout);
  timer = g_timer_new ();
  run_cli ((const char *[]){ cli, "--db", path, "init", "--van", "VAN01", NULL });
  run_cli ((const char *[]){ cli, "--db", path, "demo", "--accounts", n, NULL });
  if (!g_file_set_contents (marker, "", 0, NULL))
    fprintf (stderr, "start-bench: cannot write %s; the database is rebuilt next time\n", marker);
  printf ("Built in %.0f s\n", g_timer_elapsed (timer, NULL));
  return path;
}

/* Spawns argv with fd 3 the write end of a pipe on which it says where
 * it listens (Xvfb -displayfd 3, dbus-daemon --print-address=3); returns
 * it, what it said (its first line) in *said. The read end stays open:
 * Xvfb dies of a closed pipe. */
static GSubprocess *
start_server (const char * const *argv,
              char              **said)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) server = NULL;
  char buf[512] = { 0 };
  int fds[2];
  ssize_t n = 0;

  if (pipe (fds) != 0)
    return NULL;
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  server = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (server == NULL)
    {
      fprintf (stderr, "start-bench: cannot start %s: %s\n", argv[0], error->message);
      close (fds[0]);
      return NULL;
    }
  g_clear_object (&launcher);  /* closes our copy of the write end */
  /* Xvfb writes the number and the newline separately: read up to the
   * newline. */
  for (gsize got = 0; got < sizeof buf - 1 && strchr (buf, '\n') == NULL; got += (gsize)n)
    {
      n = read (fds[0], buf + got, sizeof buf - 1 - got);
      if (n <= 0)
        break;
    }
  if (strchr (buf, '\n') == NULL)
    {
      fprintf (stderr, "start-bench: %s did not say where it listens\n", argv[0]);
      g_subprocess_force_exit (server);
      g_subprocess_wait (server, NULL, NULL);
      close (fds[0]);
      return NULL;
    }
  *strchr (buf, '\n') = '\0';
  *said = g_strdup (buf);
  return g_steal_pointer (&server);
}

static void
stop_server (GSubprocess *server)
{
  if (server == NULL)
    return;
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
}

/* The display and the bus, stopped at any exit (a run that fails exits
 * from time_one()). */
static GSubprocess *xvfb, *bus;

static void
stop_servers (void)
{
  stop_server (bus);
  stop_server (xvfb);
  g_clear_object (&bus);
  g_clear_object (&xvfb);
}

int
main (int    argc,
      char **argv)
{
  const char *accounts_env = g_getenv ("VP_BENCH_ACCOUNTS");
  gint64 accounts = accounts_env ? g_ascii_strtoll (accounts_env, NULL, 10) : 1000000;
  const char *renderer = g_getenv ("GSK_RENDERER");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GArray) empty = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) app = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) adw = g_array_new (FALSE, FALSE, sizeof (double));
  const char *adw_window = NULL;
  g_autofree char *display = NULL;
  g_autofree char *bus_address = NULL;
  g_autofree char *db = NULL;
  int runs;
  double m_empty, m_app, m_adw = 0;

  if (argc < 5)
    {
      fprintf (stderr, "usage: %s VANPOS VANPOS-CLI EMPTY-WINDOW CACHE-DIR [EMPTY-ADW-WINDOW [RUNS]]\n",
               argv[0]);
      return 2;
    }
  if (argc > 5 && *argv[5])
    adw_window = argv[5];
  runs = argc > 6 ? atoi (argv[6]) : 11;
  if (runs < 1 || accounts < 1)
    {
      fprintf (stderr, "start-bench: RUNS and VP_BENCH_ACCOUNTS must be at least 1\n");
      return 2;
    }
  if (renderer == NULL || *renderer == '\0')
    renderer = "cairo";

  db = demo_database (argv[2], argv[4], accounts);
  atexit (stop_servers);
  xvfb = start_server ((const char *[]){ "Xvfb", "-displayfd", "3", "-screen", "0", "1366x768x24",
                                        "-nolisten", "tcp", NULL }, &display);
  if (xvfb == NULL)
    return 77;
  {
    g_autofree char *number = display;

    display = g_strconcat (":", number, NULL);
  }
  bus = start_server ((const char *[]){ "dbus-daemon", "--session", "--nofork",
                                       "--print-address=3", NULL }, &bus_address);
  if (bus == NULL)
    return 77;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "DISPLAY", display, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "x11", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSK_RENDERER", renderer, TRUE);
  g_subprocess_launcher_setenv (launcher, "VANPOS_PRINT_STARTUP_TIME", "1", TRUE);

  {
    const char *empty_argv[] = { argv[3], NULL };
    const char *adw_argv[] = { adw_window, NULL };
    const char *app_argv[] = { argv[1], "--db", db, NULL };

    /* Warm-up: fonts, shaders, the database pages in the page cache, and
     * the session's accessibility bus, started by the first program. */
    time_one (launcher, empty_argv, "empty-window: painted at ");
    if (adw_window)
      time_one (launcher, adw_argv, "empty-window: painted at ");
    time_one (launcher, app_argv, "vanpos: sign-in usable at ");
    for (int i = 0; i < runs; i++)
      {
        double e = time_one (launcher, empty_argv, "empty-window: painted at ");
        double w = adw_window ? time_one (launcher, adw_argv, "empty-window: painted at ") : 0;
        double a = time_one (launcher, app_argv, "vanpos: sign-in usable at ");

        g_array_append_val (empty, e);
        g_array_append_val (adw, w);
        g_array_append_val (app, a);
        printf ("run %d: empty window %.3f s, empty libadwaita window %.3f s, sign-in usable %.3f s\n",
                i + 1, e, w, a);
        fflush (stdout);
      }
  }
  stop_servers ();

  m_empty = median (empty);
  m_app = median (app);
  if (adw_window)
    m_adw = median (adw);
  printf ("Start (GSK_RENDERER=%s, Xvfb and a session bus, %" G_GINT64_FORMAT " accounts, median of %d):\n"
          "  empty GTK 4 window painted   %.3f s\n"
          "  vanpos sign-in usable        %.3f s\n"
          "  ratio                        %.2f (target <= 1.3: %s)\n",
          renderer, accounts, runs, m_empty, m_app, m_app / m_empty,
          m_app / m_empty <= 1.3 ? "ok" : "OVER");
  if (adw_window)
    printf ("  empty libadwaita window      %.3f s (%.2f× the GTK one)\n"
            "  vanpos / libadwaita window   %.2f\n",
            m_adw, m_adw / m_empty, m_app / m_adw);
  return 0;
}
