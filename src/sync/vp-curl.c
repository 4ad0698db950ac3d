/* vp-curl.c: libcurl, loaded the first time the van talks to HQ.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <gmodule.h>

#include "vp-curl.h"

/* The soname libcurl4-openssl-dev links against (Debian 12: 7.88). */
#define VP_CURL_LIBRARY "libcurl.so.4"

static VpCurl  api;
static char   *load_error;

static gboolean
resolve (GModule    *module,
         const char *name,
         gpointer   *slot)
{
  if (g_module_symbol (module, name, slot) && *slot != NULL)
    return TRUE;
  load_error = g_strdup_printf ("%s has no %s: %s", VP_CURL_LIBRARY, name, g_module_error ());
  return FALSE;
}

static gpointer
load (gpointer data)
{
  CURLcode (*global_init) (long flags) = NULL;
  GModule *module = g_module_open (VP_CURL_LIBRARY, G_MODULE_BIND_LOCAL);

  if (module == NULL)
    {
      load_error = g_strdup_printf ("cannot load %s: %s", VP_CURL_LIBRARY, g_module_error ());
      return NULL;
    }
  if (!resolve (module, "curl_global_init", (gpointer *)&global_init) ||
      !resolve (module, "curl_easy_init", (gpointer *)&api.easy_init) ||
      !resolve (module, "curl_easy_cleanup", (gpointer *)&api.easy_cleanup) ||
      !resolve (module, "curl_easy_reset", (gpointer *)&api.easy_reset) ||
      !resolve (module, "curl_easy_setopt", (gpointer *)&api.easy_setopt) ||
      !resolve (module, "curl_easy_perform", (gpointer *)&api.easy_perform) ||
      !resolve (module, "curl_easy_getinfo", (gpointer *)&api.easy_getinfo) ||
      !resolve (module, "curl_easy_strerror", (gpointer *)&api.easy_strerror) ||
      !resolve (module, "curl_slist_append", (gpointer *)&api.slist_append) ||
      !resolve (module, "curl_slist_free_all", (gpointer *)&api.slist_free_all))
    {
      g_module_close (module);
      return NULL;
    }
  if (global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    {
      load_error = g_strdup_printf ("%s did not initialise", VP_CURL_LIBRARY);
      g_module_close (module);
      return NULL;
    }
  /* Kept for the life of the process, as a linked library would be. */
  g_module_make_resident (module);
  return &api;
}

const VpCurl *
vp_curl_get (GError **error)
{
  static GOnce once = G_ONCE_INIT;
  const VpCurl *loaded = g_once (&once, load, NULL);

  if (loaded == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s", load_error);
  return loaded;
}
