/* main.c: the touchscreen app.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vanpos"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "vp-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(VpApplication) app = NULL;
  const char *localedir = g_getenv ("VANPOS_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* Uninstalled runs (tests) point VANPOS_LOCALEDIR at build/po. */
  bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = vp_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
