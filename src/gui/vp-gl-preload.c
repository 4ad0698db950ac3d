/* vp-gl-preload.c: loads the GL driver on a thread while GTK starts.
 *
 * On X11, gtk_init() opens the display and loads the GL driver to choose
 * the window's visual (gdk_display_prepare_gl), even when GSK renders
 * with cairo. Mesa's driver is one file for every GPU (the *_dri.so are
 * links of it) and pulls in LLVM: ~100 ms of dlopen and relocation, the
 * largest part of an empty window's start. GDK also tries EGL first and,
 * when it rejects what it finds (software rendering), drops the display
 * (the driver is unloaded) and loads it again for GLX.
 *
 * This thread initialises EGL on Mesa's surfaceless platform, which needs
 * no window system and loads the same driver file. GDK's own loads then
 * find it loaded: the load overlaps what gtk_init() does before it, and
 * it happens once. The hold lasts until the first frame is painted, when
 * GDK holds the driver itself (issue 11, bench/start-bench).
 *
 * Nothing depends on it: with no libEGL, no surfaceless platform (another
 * vendor) or a failed initialisation, the thread ends at once and GTK
 * loads what it needs as it always does; built without the EGL headers,
 * there is no thread. VANPOS_NO_GL_PRELOAD=1 turns it off (a driver that
 * misbehaves when two displays start at once).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-gl-preload"

#include "config.h"

#include <gmodule.h>
#include <string.h>
#ifdef VP_HAVE_EGL
#include <EGL/egl.h>
#include <EGL/eglext.h>
#endif

#include "vp-gl-preload.h"

struct _VpGlPreload
{
  GMutex   lock;
  GCond    cond;
  gboolean released;
  GThread *thread;
};

#ifdef VP_HAVE_EGL
/* GDK loads no GL: GDK_DEBUG=gl-disable (GTK 4.8), GDK_DISABLE=gl (4.16). */
static gboolean
gl_disabled (void)
{
  const char *debug = g_getenv ("GDK_DEBUG");
  const char *disable = g_getenv ("GDK_DISABLE");

  return (debug != NULL && strstr (debug, "gl-disable") != NULL)
         || (disable != NULL && strstr (disable, "gl") != NULL);
}

static gpointer
preload (gpointer data)
{
  VpGlPreload *self = data;
  /* libglvnd's dispatcher, which GDK (libepoxy) opens by the same name. */
  GModule *egl = g_module_open ("libEGL.so.1", G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  PFNEGLGETPLATFORMDISPLAYPROC get_platform_display = NULL;
  PFNEGLINITIALIZEPROC initialize = NULL;
  PFNEGLTERMINATEPROC terminate = NULL;
  PFNEGLRELEASETHREADPROC release_thread = NULL;
  EGLDisplay display = EGL_NO_DISPLAY;

  if (egl != NULL
      && g_module_symbol (egl, "eglGetPlatformDisplay", (gpointer *)&get_platform_display)
      && g_module_symbol (egl, "eglInitialize", (gpointer *)&initialize)
      && g_module_symbol (egl, "eglTerminate", (gpointer *)&terminate)
      && g_module_symbol (egl, "eglReleaseThread", (gpointer *)&release_thread))
    {
      display = get_platform_display (EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
      if (display != EGL_NO_DISPLAY && !initialize (display, NULL, NULL))
        display = EGL_NO_DISPLAY;
    }
  /* Nothing held: nothing to wait for. */
  if (display == EGL_NO_DISPLAY)
    return NULL;

  g_mutex_lock (&self->lock);
  while (!self->released)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  terminate (display);
  release_thread ();
  /* The module stays open: libglvnd keeps its vendor state to the end of
   * the process, and GDK uses it. */
  return NULL;
}
#endif

VpGlPreload *
vp_gl_preload_start (void)
{
#ifdef VP_HAVE_EGL
  VpGlPreload *self;

  if (g_getenv ("VANPOS_NO_GL_PRELOAD") != NULL || gl_disabled ())
    return NULL;
  self = g_new0 (VpGlPreload, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->thread = g_thread_new ("vp-gl-preload", preload, self);
  return self;
#else
  return NULL;   /* built without the EGL headers */
#endif
}

void
vp_gl_preload_release (VpGlPreload *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->released = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
vp_gl_preload_free (VpGlPreload *self)
{
  if (self == NULL)
    return;
  vp_gl_preload_release (self);
  g_thread_join (self->thread);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
