/* sync-test-util.h: a real HQ (PostgreSQL + vanpos-hq via
 * scripts/hq-local.sh) and a provisioned van for the sync tests, plus a
 * fault-injecting TCP proxy and a fake HTTPS server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "vp-service-sync.h"

G_BEGIN_DECLS

typedef struct
{
  char       *dir;       /* temp dir, removed at the end */
  char       *hq_dir;
  char       *hq_bin;
  char       *cli;
  char       *pg;
  char       *url;
  char       *pins;
  char       *tls_dir;
  char       *van;
  char       *db_path;
  VpDatabase *db;
  VpService  *service;
  GArray     *sleeps;    /* guint ms the client asked to sleep */
} SyncEnv;

/* Skips (returns NULL after g_test_skip) when PostgreSQL is missing.
 * Starts HQ, creates van with `init` + `demo --accounts n_accounts`,
 * provisions it, runs `sync setup`, and imports the van's master data
 * into HQ so both start from the same accounts, bills and tariffs. */
SyncEnv   *sync_env_new        (const char *van,
                                guint       n_accounts);
void       sync_env_free       (SyncEnv    *env);

/* Runs argv (NULL-terminated) and returns its exit status. */
int        sync_env_run        (char      **out,
                                char      **err,
                                const char *first,
                                ...) G_GNUC_NULL_TERMINATED;
/* vanpos-cli --db DB args… */
int        sync_env_cli        (SyncEnv    *env,
                                char      **out,
                                char      **err,
                                ...) G_GNUC_NULL_TERMINATED;
/* vanpos-hq --pg PG args… */
int        sync_env_hq         (SyncEnv    *env,
                                char      **out,
                                char      **err,
                                ...) G_GNUC_NULL_TERMINATED;

/* HQ's view of the van: entries, highest_seq, amount (from `status`). */
void       sync_env_hq_counts  (SyncEnv    *env,
                                gint64     *entries,
                                gint64     *highest_seq,
                                gint64     *amount);
/* A client for the van's settings with no real sleeping between retries
 * (the delays are recorded in env->sleeps), attempts as given. */
VpSyncClient *sync_env_client  (SyncEnv    *env,
                                guint       attempts);
/* Appends n consultation log entries through the service. */
void       sync_env_add_logs   (SyncEnv    *env,
                                guint       n);
/* Sets meta hq_url (to a proxy or fake, or back to HQ). */
void       sync_env_set_url    (SyncEnv    *env,
                                const char *url);

/* --- TCP proxy in front of HQ ------------------------------------------ */

typedef enum
{
  PROXY_PASS,
  PROXY_DROP_ANSWER,   /* once: forward the request, drop HQ's answer, cut */
  PROXY_CUT_UPLOAD,    /* once: cut the connection in the middle of the upload */
} ProxyMode;

typedef struct _Proxy Proxy;

/* threshold: client→HQ bytes on one connection after which the fault
 * strikes. */
Proxy     *proxy_new           (const char *upstream_url,
                                ProxyMode   mode,
                                gsize       threshold);
char      *proxy_url           (Proxy      *proxy);
gboolean   proxy_fired         (Proxy      *proxy);
/* Waits until HQ's answer was dropped (DROP_ANSWER) */
void       proxy_free          (Proxy      *proxy);

/* --- fake HQ (TLS with HQ's own certificate) ---------------------------- */

typedef enum
{
  FAKE_500,            /* every request: 500 internal */
  FAKE_HANG,           /* session ok; push: never answers */
  FAKE_MALFORMED,      /* session ok; push: truncated JSON */
  FAKE_WRONG_TYPE,     /* session ok; push: acked_seq is a string */
  FAKE_OVERSIZED,      /* session ok; push: a 33 MiB answer */
} FakeMode;

typedef struct _Fake Fake;

/* cert_pem / key_pem files: the certificate the fake presents. */
Fake      *fake_new            (const char *cert_file,
                                const char *key_file,
                                FakeMode    mode);
char      *fake_url            (Fake       *fake);
guint      fake_n_requests     (Fake       *fake);
void       fake_free           (Fake       *fake);

G_END_DECLS
