/* vp-curl.h: libcurl, loaded the first time the van talks to HQ.
 *
 * Linking libcurl brings some twenty libraries (GnuTLS, Kerberos, LDAP,
 * SASL, SSH, RTMP…) into every start of the app, where the sync runs
 * once a day: loading and relocating them is ~9 ms of a ~150 ms start
 * (issue 11, bench/start-bench). The few entry points the sync client
 * uses are resolved from libcurl.so.4 on first use instead.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  CURL              *(*easy_init)      (void);
  void               (*easy_cleanup)   (CURL *curl);
  void               (*easy_reset)     (CURL *curl);
  CURLcode           (*easy_setopt)    (CURL *curl, CURLoption option, ...);
  CURLcode           (*easy_perform)   (CURL *curl);
  CURLcode           (*easy_getinfo)   (CURL *curl, CURLINFO info, ...);
  const char        *(*easy_strerror)  (CURLcode code);
  struct curl_slist *(*slist_append)   (struct curl_slist *list, const char *string);
  void               (*slist_free_all) (struct curl_slist *list);
} VpCurl;

/* Loads libcurl once (thread-safe) and runs curl_global_init; NULL with
 * error (G_IO_ERROR_NOT_FOUND) when it cannot be loaded. */
const VpCurl *vp_curl_get (GError **error);

G_END_DECLS
