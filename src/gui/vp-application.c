/* vp-application.c: command line, settings and the one window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-application"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "vp-application.h"
#include "vp-context.h"
#include "vp-gl-preload.h"
#include "vp-service-card.h"
#include "vp-window.h"

struct _VpApplication
{
  AdwApplication parent_instance;
  char          *db_path;
  VpContext     *context;

  /* The database opens beside GTK's own start (handle_local_options);
   * its result waits here if it comes before the window. */
  gboolean       opening;
  GAsyncResult  *opened;

  /* Reaches the session bus while GTK starts (handle_local_options). */
  GThread       *bus_thread;

  /* Loads the GL driver while GTK starts, until the first frame. */
  VpGlPreload   *gl_preload;

  /* GTK_THEME was set by vp_application_new(), for GTK's first
   * GtkSettings only (handle_local_options). */
  gboolean       empty_gtk_theme;

  /* VANPOS_MEASURE_STALLS=1: how long the main loop was ever blocked. */
  guint          stall_source;
  gint64         stall_last;
  gint64         stall_max;
};

#define STALL_TICK_MS 10

static gboolean
stall_tick (gpointer user_data)
{
  VpApplication *self = user_data;
  gint64 now = g_get_monotonic_time ();

  if (self->stall_last != 0)
    {
      gint64 late = now - self->stall_last - STALL_TICK_MS * 1000;

      if (late > self->stall_max)
        {
          self->stall_max = late;
          if (late > 100 * 1000)
            g_message ("main loop stalled for %" PRId64 " ms", late / 1000);
        }
    }
  self->stall_last = now;
  return G_SOURCE_CONTINUE;
}

G_DEFINE_FINAL_TYPE (VpApplication, vp_application, ADW_TYPE_APPLICATION)

static gpointer
recover_job (VpService     *service,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  return vp_service_recover_topups (service, cancellable, error);
}

static void
recovered (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpWindow) window = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = vp_service_run_finish (VP_SERVICE (source), result, &error);

  if (items == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not check unfinished top-ups: %s"),
                                               error->message);
      g_warning ("%s", text);
      vp_window_show_notice (window, text);
      return;
    }
  /* Each resolved (or still waiting) top-up is news for the operator. */
  if (items->len > 0)
    {
      g_autoptr(GString) notice = g_string_new (NULL);

      for (guint i = 0; i < items->len; i++)
        {
          VpRecoveryItem *item = items->pdata[i];

          g_message ("%s", item->message);
          g_string_append_printf (notice, "%s%s", i ? "\n" : "", item->message);
        }
      vp_window_show_notice (window, notice->str);
    }
}

/* Shows what the open gave: the sign-in page, or why not. */
static void
show_opened (VpApplication *self,
             VpWindow      *window,
             GAsyncResult  *result)
{
  g_autoptr(GError) error = NULL;

  if (!vp_context_open_database_finish (self->context, result, &error))
    {
      vp_window_show_error (window, error);
      return;
    }
  vp_window_show_login (window);
  /* DESIGN §5: a top-up INTENT left by a crash is resolved at start by
   * reading the card (confirm if it has the purchase, else void). */
  vp_context_run (self->context, recover_job, NULL, NULL,
                  (GDestroyNotify)g_ptr_array_unref, NULL, recovered, g_object_ref (window));
}

static void
database_opened (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(VpApplication) self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  self->opening = FALSE;
  if (window == NULL)
    {
      /* Before activate: the window takes it when it is made. */
      g_set_object (&self->opened, result);
      return;
    }
  show_opened (self, VP_WINDOW (window), result);
}

/* --db, then VANPOS_DB, then the database-path setting; NULL: none. */
static char *
database_path (VpApplication *self)
{
  g_autofree char *path = NULL;

  if (self->db_path != NULL && *self->db_path)
    return g_strdup (self->db_path);
  if (g_getenv ("VANPOS_DB") && *g_getenv ("VANPOS_DB"))
    return g_strdup (g_getenv ("VANPOS_DB"));
  path = vp_context_dup_string (self->context, "database-path");
  return path && *path ? g_steal_pointer (&path) : NULL;
}

/* The window icon is an SVG: drawing it loads librsvg, ~10 ms before the
 * first frame if set at startup. Set after that frame, every window still
 * gets it (issue 11). */
static void
set_icon_after_paint (GdkFrameClock *clock,
                      gpointer       user_data)
{
  GtkWindow *window = user_data;
  VpApplication *self = VP_APPLICATION (gtk_window_get_application (window));

  g_signal_handlers_disconnect_by_func (clock, set_icon_after_paint, user_data);
  gtk_window_set_default_icon_name (APP_ID);
  gtk_window_set_icon_name (window, APP_ID);   /* realized without it */
  /* GDK holds the GL driver now. */
  if (self != NULL)
    vp_gl_preload_release (self->gl_preload);
}

/* The open ran beside gtk_init() and has nearly always finished by now,
 * its answer queued for the main loop, which first runs after activate:
 * take it now, and the window is built once, with the sign-in page,
 * rather than with "Checking the database…" and then again (issue 11).
 * Bounded: a slow disk still gets the opening page. */
static void
take_finished_open (VpApplication *self)
{
  for (guint i = 0; i < 8 && self->opening; i++)   /* database_opened clears it */
    if (!g_main_context_iteration (NULL, FALSE))
      break;
}

static void
vp_application_activate (GApplication *app)
{
  VpApplication *self = VP_APPLICATION (app);
  GtkWindow *window = NULL;
  g_autoptr(GError) error = NULL;

  /* First: what it dispatches may itself activate (a second start). */
  take_finished_open (self);
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  window = GTK_WINDOW (vp_window_new (self, self->context));
  if (self->opened != NULL)
    {
      g_autoptr(GAsyncResult) result = g_steal_pointer (&self->opened);

      show_opened (self, VP_WINDOW (window), result);
    }
  else if (self->opening)
    vp_window_show_opening (VP_WINDOW (window), self->db_path);
  else
    {
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("No database given. Start VanPOS with --db PATH, set VANPOS_DB or the database path setting."));
      vp_window_show_error (VP_WINDOW (window), error);
    }
  gtk_window_present (window);
  if (gtk_widget_get_frame_clock (GTK_WIDGET (window)) != NULL)
    g_signal_connect_object (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                             G_CALLBACK (set_icon_after_paint), window, 0);
  else
    {
      gtk_window_set_default_icon_name (APP_ID);
      vp_gl_preload_release (self->gl_preload);
    }
}

/* The bus singleton, kept alive until the application goes: returned to
 * g_thread_join() in finalize. NULL if there is no session bus, which
 * GApplication then reports itself. */
static gpointer
reach_session_bus (gpointer data)
{
  return g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
}

static int
vp_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  VpApplication *self = VP_APPLICATION (app);
  const char *db = NULL;
  g_autofree char *path = NULL;

  if (g_variant_dict_lookup (options, "db", "&s", &db))
    {
      g_free (self->db_path);
      self->db_path = g_strdup (db);
    }

  /* Issue 11: what needs no display starts now, on other threads, and
   * runs while this one sets GTK and libadwaita up: the database open
   * and the session-bus connection GApplication registers on next.
   * GtkApplication's own startup finds both initialised. The bus has its
   * own thread: g_bus_get() finds the address on the caller's thread,
   * and with no session bus that means running dbus-launch (~20 ms). */
  path = database_path (self);
  g_free (self->db_path);
  self->db_path = g_steal_pointer (&path);
  if (self->db_path != NULL)
    {
      self->opening = TRUE;
      vp_context_open_database_async (self->context, self->db_path, NULL, database_opened,
                                      g_object_ref (self));
    }
  if (self->bus_thread == NULL)
    self->bus_thread = g_thread_new ("vp-session-bus", reach_session_bus, NULL);
  /* And the GL driver gtk_init() loads (vp-gl-preload.c). */
  if (self->gl_preload == NULL)
    self->gl_preload = vp_gl_preload_start ();
  /* Not gtk_init(), which exits with no display while the preload may
   * be inside the driver: its thread is joined first. */
  if (!gtk_init_check ())
    {
      const char *display = g_getenv ("DISPLAY");
      const char *wayland = g_getenv ("WAYLAND_DISPLAY");

      g_clear_pointer (&self->gl_preload, vp_gl_preload_free);
      g_printerr (_("VanPOS cannot open a display (DISPLAY=%s, WAYLAND_DISPLAY=%s): start it in the van's desktop session\n"),
                  display ? display : "", wayland ? wayland : "");
      return 1;
    }
  if (self->empty_gtk_theme)
    {
      /* The display's first GtkSettings, made with the empty theme; then
       * GTK_THEME goes, before adw_init() looks at it. */
      gtk_settings_get_default ();
      g_unsetenv ("GTK_THEME");
      self->empty_gtk_theme = FALSE;
    }
  adw_init ();
  return -1;
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static gboolean
stall_start (gpointer user_data)
{
  VpApplication *self = user_data;

  self->stall_source = g_timeout_add (STALL_TICK_MS, stall_tick, self);
  return G_SOURCE_REMOVE;
}

/* Measured from 3 s after start: the first frame (fonts, CSS) is not
 * an interaction. */
static void
self_stall_start (VpApplication *self)
{
  g_timeout_add_seconds (3, stall_start, self);
}

static void
vp_application_shutdown (GApplication *app)
{
  VpApplication *self = VP_APPLICATION (app);

  /* Never painted (it quit first): the preload lets go now. */
  vp_gl_preload_release (self->gl_preload);
  if (self->stall_source)
    {
      g_print ("vanpos: longest main-loop stall %" PRId64 " ms\n", self->stall_max / 1000);
      g_clear_handle_id (&self->stall_source, g_source_remove);
    }
  G_APPLICATION_CLASS (vp_application_parent_class)->shutdown (app);
}

/* The icon theme reads its index files and caches at its first lookup,
 * ~10 ms that would otherwise fall in the first frame (the window
 * controls, the keypad's clear key). Once set up on the main thread it
 * may be looked up from another (gtkicontheme.c, "Threading"): the first
 * lookup runs here while the main thread builds the window; a lookup
 * there meanwhile waits for it rather than scanning twice (issue 11). */
static gpointer
warm_icon_theme (gpointer data)
{
  g_autoptr(GtkIconTheme) theme = data;
  static const char * const names[] = { "window-close-symbolic", "edit-clear-symbolic" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GtkIconPaintable) icon = gtk_icon_theme_lookup_icon (theme, names[i], NULL, 16, 1,
                                                                     GTK_TEXT_DIR_NONE, 0);
    }
  return NULL;
}

static void
vp_application_startup (GApplication *app)
{
  static const GActionEntry entries[] = {
    { "quit", quit_activated, NULL, NULL, NULL },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (vp_application_parent_class)->startup (app);
  /* After GtkApplication's startup has added the app's icon path. */
  g_thread_unref (g_thread_new ("vp-icon-theme", warm_icon_theme,
                                g_object_ref (gtk_icon_theme_get_for_display (gdk_display_get_default ()))));
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  if (g_getenv ("VANPOS_MEASURE_STALLS"))
    self_stall_start (VP_APPLICATION (app));
}

static void
vp_application_finalize (GObject *object)
{
  VpApplication *self = VP_APPLICATION (object);

  if (self->bus_thread != NULL)
    {
      GDBusConnection *bus = g_thread_join (g_steal_pointer (&self->bus_thread));

      g_clear_object (&bus);
    }
  g_clear_pointer (&self->gl_preload, vp_gl_preload_free);
  g_clear_pointer (&self->db_path, g_free);
  g_clear_object (&self->opened);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (vp_application_parent_class)->finalize (object);
}

static void
vp_application_class_init (VpApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = vp_application_finalize;
  app_class->handle_local_options = vp_application_handle_local_options;
  app_class->activate = vp_application_activate;
  app_class->startup = vp_application_startup;
  app_class->shutdown = vp_application_shutdown;
}

static void
vp_application_init (VpApplication *self)
{
  static const GOptionEntry options[] = {
    { "db", 0, 0, G_OPTION_ARG_STRING, NULL, N_("The van database"), N_("PATH") },
    { NULL },
  };

  self->context = vp_context_new ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("VanPOS: the service van's point of sale."));
}

VpApplication *
vp_application_new (void)
{
  VpApplication *self;
  gboolean empty_gtk_theme = g_getenv ("GTK_THEME") == NULL;

  /* libadwaita replaces GTK's own theme with its empty one, but only
   * after GTK has parsed its built-in "Default" theme (~15 ms, as large
   * as libadwaita's own style sheet) for the display's first GtkSettings.
   * GTK_THEME names the empty theme while that GtkSettings is made and is
   * gone before adw_init(), which styles nothing while it is set
   * (handle_local_options). A user's GTK_THEME is left alone. Set here,
   * before GSettings (vp_context_new) or anything else starts a thread:
   * setenv() is not thread-safe. The variable is new, so it is the last
   * of the environment, and unsetting it moves no other (issue 11). */
  if (empty_gtk_theme)
    g_setenv ("GTK_THEME", "Adwaita-empty", TRUE);

  /* One van, one till: no D-Bus uniqueness, so a second instance started by
   * a test or by hand never hands its --db to an older one. */
  self = g_object_new (VP_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/org/vanpos/VanPos",
                       NULL);
  self->empty_gtk_theme = empty_gtk_theme;
  return self;
}
