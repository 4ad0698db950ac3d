/* demo-rate.c: how fast vp_demo_populate writes 1,000,000 accounts into a
 * fresh database (target < 30 s).
 *
 *   bench-demo-rate [N]      (default 1000000; file under $TMPDIR)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "vp-store.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  guint64 n = argc > 1 ? g_ascii_strtoull (argv[1], NULL, 10) : 1000000;
  g_autofree char *dir = g_dir_make_tmp ("vanpos-bench-demo-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(VpDatabase) db = NULL;
  g_autoptr(GTimer) timer = NULL;
  double secs;
  const char *suffixes[] = { "", "-wal", "-shm", ".vankey", ".anchor" };

  if (dir == NULL || n == 0)
    {
      fprintf (stderr, "bench-demo-rate: %s\n", error ? error->message : "N must be > 0");
      return 1;
    }
  path = g_build_filename (dir, "demo.db", NULL);
  db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, &error);
  if (db == NULL || !vp_database_init_van (db, "VAN01", &error))
    {
      fprintf (stderr, "bench-demo-rate: %s\n", error->message);
      return 1;
    }
  timer = g_timer_new ();
  if (!vp_demo_populate (db, n, 1, 1000, NULL, NULL, &error))
    {
      fprintf (stderr, "bench-demo-rate: %s\n", error->message);
      return 1;
    }
  secs = g_timer_elapsed (timer, NULL);
  printf ("Demo data: %" G_GUINT64_FORMAT " accounts in %.1f s = %.0f accounts/s (target < 30 s "
          "for 1,000,000: %s)\n", n, secs, n / secs,
          n >= 1000000 ? (secs < 30.0 ? "ok" : "OVER") : "n/a");

  g_clear_object (&db);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *p = g_strconcat (path, suffixes[i], NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
  return 0;
}
