/* vp-test-util.h: fixtures shared by the store, security and reliability
 * tests: a throw-away directory, an initialised van database with fast
 * demo staff and tariffs, hand-made accounts and a raw SQLite connection
 * for tampering.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-store.h"

G_BEGIN_DECLS

/* PBKDF2 iterations for test staff: the lowest vp_pin_hash() accepts. */
#define VP_TEST_PIN_ITERATIONS 1000

typedef struct
{
  char       *dir;       /* temporary directory, removed by vp_test_env_free */
  char       *path;      /* dir/van.db */
  VpDatabase *db;
  VpStaff    *op;        /* op01, operator, PIN 1234 */
  VpStaff    *sup;       /* sup01, supervisor, PIN 9876 */
} VpTestEnv;

/* A fresh initialised van VAN01 with the demo tariffs and staff (no
 * accounts unless n_accounts > 0). */
VpTestEnv  *vp_test_env_new          (guint64     n_accounts);
void        vp_test_env_free         (VpTestEnv  *env);
/* Closes and reopens env->db (staff records are kept). */
void        vp_test_env_reopen       (VpTestEnv  *env);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpTestEnv, vp_test_env_free)

/* Inserts an active account with the given fields and returns its number
 * (a real, check-digit-valid number). meter decides whether it gets a
 * card (prepaid: card "88" + the account number's last 10 digits). */
char       *vp_test_add_account      (VpDatabase    *db,
                                      gint64         serial,
                                      const char    *holder,
                                      const char    *phone,
                                      const char    *estate,
                                      const char    *building,
                                      const char    *unit,
                                      const char    *room,
                                      VpServiceKind  service,
                                      VpMeterType    meter,
                                      VpTariffClass  klass,
                                      VpMoney        balance);
/* Sets year_volume (litres bought this tariff year) directly. */
void        vp_test_set_year_volume  (VpDatabase    *db,
                                      const char    *number,
                                      VpVolume       litres);
VpAccount  *vp_test_get_account      (VpDatabase    *db,
                                      const char    *number);

/* Single-value queries on the van connection. */
gint64      vp_test_query_int        (VpDatabase    *db,
                                      const char    *sql);
char       *vp_test_query_text       (VpDatabase    *db,
                                      const char    *sql);

/* A separate raw connection (no defensive mode, no triggers dropped). */
sqlite3    *vp_test_raw_open         (const char    *path);
void        vp_test_raw_exec         (sqlite3       *raw,
                                      const char    *sql);

/* Recursively removes a directory. */
void        vp_test_rm_rf            (const char    *path);

/* The built vanpos-cli (VP_BUILD_DIR/src/cli/vanpos-cli). */
char       *vp_test_cli_path         (void);

G_END_DECLS
