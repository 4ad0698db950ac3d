/* empty-window.c: the yardsticks of bench/start-bench — a bare GTK 4
 * window, nothing in it, and (built with VP_EMPTY_ADWAITA) the same
 * window from an AdwApplication, which loads libadwaita's style sheet as
 * vanpos does. Prints the monotonic time of its first painted frame, as
 * vanpos does for its sign-in page (VANPOS_PRINT_STARTUP_TIME).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef VP_EMPTY_ADWAITA
#include <adwaita.h>
#else
#include <gtk/gtk.h>
#endif
#include <stdio.h>

static void
painted (GdkFrameClock *clock,
         gpointer       user_data)
{
  printf ("empty-window: painted at %" G_GINT64_FORMAT " us (monotonic)\n",
          g_get_monotonic_time ());
  fflush (stdout);
  g_signal_handlers_disconnect_by_func (clock, painted, user_data);
}

static void
mapped (GtkWidget *window,
        gpointer   user_data)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (painted),
                    NULL);
  gtk_widget_queue_draw (window);
}

static void
activate (GtkApplication *app,
          gpointer        user_data)
{
  GtkWidget *window = gtk_application_window_new (app);

  gtk_window_set_title (GTK_WINDOW (window), "empty");
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);  /* as vanpos */
  g_signal_connect (window, "map", G_CALLBACK (mapped), NULL);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
#ifdef VP_EMPTY_ADWAITA
  g_autoptr(GtkApplication) app = GTK_APPLICATION (adw_application_new ("org.vanpos.EmptyAdwWindow",
                                                                        G_APPLICATION_NON_UNIQUE));
#else
  g_autoptr(GtkApplication) app = gtk_application_new ("org.vanpos.EmptyWindow",
                                                       G_APPLICATION_NON_UNIQUE);
#endif

  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
