/* vp-sync-store.h: what the end-of-day sync writes into the van's
 * database: HQ settings, push acknowledgements (outbox, provisional →
 * real account numbers, HQ totals) and master-data pages.
 *
 * Every function that writes runs one transaction: either all of a push
 * acknowledgement or master page is stored, or none of it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

/* meta keys */
#define VP_META_HQ_URL           "hq_url"
#define VP_META_HQ_PINS          "hq_pins"
#define VP_META_HQ_CA            "hq_ca"
#define VP_META_HQ_CLIENT_CERT   "hq_client_cert"
#define VP_META_HQ_CLIENT_KEY    "hq_client_key"
#define VP_META_CARD_KEY         "card_key"
#define VP_META_CARD_KEYS        "card_keys"
#define VP_META_ACKED_SEQ        "acked_seq"
#define VP_META_MASTER_CURSOR    "master_cursor"
#define VP_META_LAST_SYNC_TIME   "last_sync_time"   /* device µs of the last complete sync */
#define VP_META_LAST_HQ_TIME     "last_hq_time"     /* HQ ms at the last answer */
#define VP_META_HQ_ACKED_ENTRIES "hq_acked_entries"
#define VP_META_HQ_ACKED_AMOUNT  "hq_acked_amount"
#define VP_META_HQ_LOSSES        "hq_losses"        /* times HQ lost acknowledged entries */
#define VP_META_HQ_LAST_LOSS     "hq_last_loss"     /* "FIRST-LAST" seqs re-sent the last time */

typedef struct
{
  char *provisional;
  char *number;
} VpAccountRename;

typedef struct
{
  gint64  seq;
  char   *uuid;
  char   *outcome;   /* accepted | duplicate | conflict */
  char   *detail;    /* conflicts: what HQ did; else NULL */
  VpMoney credit;    /* conflicts: money HQ turned into account credit */
} VpPushOutcome;

typedef struct
{
  gint64     acked_seq;
  gint64     hq_time;        /* ms */
  GPtrArray *results;        /* VpPushOutcome* */
  GPtrArray *renames;        /* VpAccountRename* */
  gint64     total_entries;
  VpMoney    total_amount;
} VpPushAck;

typedef struct
{
  char   *hq_id;
  char   *account;
  char   *period;
  VpMoney amount;
  VpMoney paid;
} VpMasterBill;

typedef struct
{
  VpServiceKind service;
  VpTariffClass klass;
  gint64        version;
  char         *tiers;
  VpVolume      free_allowance;
  gint64        discount_permille;
  char         *valid_from;
} VpMasterTariff;

typedef struct
{
  char    *id;
  char    *name;
  VpRole   role;
  char    *pin_hash;
  gboolean active;
} VpMasterStaff;

typedef struct
{
  char *card_number;
  char *reason;
} VpMasterBlockedCard;

typedef struct
{
  char      *cursor;
  gboolean   more;
  gint64     hq_time;        /* ms */
  GPtrArray *accounts;       /* VpAccount* */
  GPtrArray *bills;          /* VpMasterBill* */
  GPtrArray *tariffs;        /* VpMasterTariff* */
  GPtrArray *staff;          /* VpMasterStaff* */
  GPtrArray *blocked_cards;  /* VpMasterBlockedCard* */
  GPtrArray *renames;        /* VpAccountRename* */
} VpMasterPage;

typedef struct
{
  gint64 accounts;           /* inserted or updated */
  gint64 balances_kept;      /* accounts whose local balance was kept (pending entries) */
  gint64 bills;
  gint64 tariffs;
  gint64 staff;
  gint64 blocked_cards;
  gint64 renamed;            /* provisional numbers replaced */
} VpMasterImportStats;

typedef struct
{
  char *van;
  char *url;
  char *pins;
  char *ca_path;
  char *cert_path;
  char *key_path;
} VpSyncConfig;

VpAccountRename *vp_account_rename_new   (const char *provisional,
                                          const char *number);
void             vp_account_rename_free  (VpAccountRename *rename);
void             vp_push_outcome_free    (VpPushOutcome   *outcome);
VpPushAck       *vp_push_ack_new         (void);
void             vp_push_ack_free        (VpPushAck       *ack);
void             vp_master_bill_free     (VpMasterBill    *bill);
void             vp_master_tariff_free   (VpMasterTariff  *tariff);
void             vp_master_staff_free    (VpMasterStaff   *staff);
void             vp_master_blocked_card_free (VpMasterBlockedCard *card);
VpMasterPage    *vp_master_page_new      (void);
void             vp_master_page_free     (VpMasterPage    *page);
void             vp_sync_config_free     (VpSyncConfig    *config);

/* The HQ settings, or NULL (without error) when sync is not set up. */
VpSyncConfig    *vp_sync_store_get_config  (VpDatabase         *db);
/* Stores the settings and the card keys in one transaction: card_keys,
 * the utility's master keys ("VERSION HEX" lines), and/or card_key_hex,
 * a legacy per-van key (a bundle from an HQ before utility card keys).
 * NULL leaves that key as it is: a van's own legacy key stays, so the
 * cards it wrote before stay readable. */
gboolean         vp_sync_store_set_config  (VpDatabase         *db,
                                            const VpSyncConfig *config,
                                            const char         *card_key_hex,
                                            const char         *card_keys,
                                            GError            **error);

/* One transaction: per-entry outcomes, outbox acknowledged up to
 * ack->acked_seq, provisional numbers renamed, HQ totals and time in meta.
 * *n_renamed counts accounts renamed now. Refuses an acked_seq beyond the
 * journal (HQ cannot hold entries the van never wrote). */
gboolean         vp_sync_store_record_push (VpDatabase      *db,
                                            const VpPushAck *ack,
                                            gint64          *n_renamed,
                                            GError         **error);

/* HQ expects entry expected_seq although it once acknowledged up to
 * VP_META_ACKED_SEQ (it lost data): one transaction puts the outbox rows
 * from expected_seq back to pending, sets the acknowledged seq to
 * expected_seq − 1 and records the loss (VP_META_HQ_LOSSES,
 * VP_META_HQ_LAST_LOSS). Refuses an expected_seq that is not below the
 * acknowledged one (that is an ordinary gap, not a loss). *n_requeued
 * counts the entries to re-send. */
gboolean         vp_sync_store_requeue_lost (VpDatabase  *db,
                                             gint64       expected_seq,
                                             gint64      *n_requeued,
                                             GError     **error);

/* One transaction: the page's rows and its cursor. Accounts are matched
 * by number; an account with entries still in the outbox keeps its local
 * balance, card counter and yearly volume. */
gboolean         vp_sync_store_import_page (VpDatabase          *db,
                                            const VpMasterPage  *page,
                                            VpMasterImportStats *stats,
                                            GError             **error);

/* Marks a complete sync (device time, µs). */
gboolean         vp_sync_store_mark_synced (VpDatabase  *db,
                                            gint64       device_time,
                                            GError     **error);

/* Writes DIR/accounts.csv, bills.csv and tariffs.csv in the column
 * format of `vanpos-hq import` (real-numbered accounts only), so HQ can
 * start from the van's master data (demo, first roll-out). */
gboolean         vp_sync_store_export_csv  (VpDatabase  *db,
                                            const char  *dir,
                                            gint64      *n_accounts,
                                            GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpPushAck, vp_push_ack_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpMasterPage, vp_master_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpSyncConfig, vp_sync_config_free)

/* Ends a bulk load of master data left unfinished by a pull that stopped
 * half-way (see vp-sync-store.c): the account indexes, the search index
 * and the name suffixes are built again. Nothing to do (TRUE) otherwise.
 * vp_database_open() calls it. */
gboolean         vp_sync_store_finish_bulk_load (VpDatabase  *db,
                                                 GError     **error);

G_END_DECLS
