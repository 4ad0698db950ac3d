/* vp-store-private.h: helpers shared by the store files.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-store.h"

G_BEGIN_DECLS

typedef VpJournalEntry *(*VpTxFunc) (VpDatabase  *db,
                                     gpointer     data,
                                     GError     **error);

/* Runs func inside BEGIN IMMEDIATE … COMMIT under the database lock;
 * rolls back and returns NULL if func or the commit fails, so a failed
 * operation leaves the database exactly as it was. */
VpJournalEntry *vp_store_run_tx (VpDatabase  *db,
                                 VpTxFunc     func,
                                 gpointer     data,
                                 GError     **error);

#define VP_ACCOUNT_COLUMNS \
  "a.id, a.number, a.holder, a.holder_initials, a.phone, a.id_number, a.estate, a.building," \
  " a.unit, a.room, a.address, a.service, a.meter, a.tariff_class, a.concession_expiry," \
  " a.elderly_alone, a.needs_visit, a.balance, a.card_number, a.card_counter, a.tariff_year," \
  " a.year_volume, a.free_used, a.last_reading, a.status," \
  " (SELECT coalesce (sum (b.amount - b.paid), 0) FROM bills b" \
  "   WHERE b.account_id = a.id AND b.paid < b.amount)"

VpAccount *vp_account_from_row         (sqlite3_stmt *stmt);
/* Loads an account by number (real or provisional) inside a transaction.
 * Unknown → VP_STORE_ERROR_NOT_FOUND; closed → VP_STORE_ERROR_STATE. */
VpAccount *vp_account_store_load       (VpDatabase  *db,
                                        const char  *number,
                                        gboolean     allow_closed,
                                        GError     **error);
gboolean   vp_account_store_set_balance (VpDatabase *db,
                                         gint64      account_id,
                                         VpMoney     balance,
                                         GError    **error);
/* The open shift's id, or 0 with VP_STORE_ERROR_STATE when none is open. */
gint64     vp_shift_store_require_open (VpDatabase  *db,
                                        GError     **error);
/* Steps a write statement; TRUE on SQLITE_DONE. */
gboolean   vp_store_step_done          (VpDatabase   *db,
                                        sqlite3_stmt *stmt,
                                        GError      **error);
/* Local date of a µs timestamp as yyyy-mm-dd. */
char      *vp_store_local_date         (gint64 usec);

void       vp_json_add_money           (JsonBuilder *b,
                                        const char  *name,
                                        VpMoney      amount);
void       vp_json_add_string          (JsonBuilder *b,
                                        const char  *name,
                                        const char  *value);
void       vp_json_add_int             (JsonBuilder *b,
                                        const char  *name,
                                        gint64       value);
void       vp_json_add_staff           (JsonBuilder   *b,
                                        const VpStaff *staff);
void       vp_json_add_account         (JsonBuilder     *b,
                                        const VpAccount *account);

G_END_DECLS

G_BEGIN_DECLS
/* Card and mobile payments need the external terminal's reference. */
gboolean   vp_store_check_payment     (VpPaymentMethod  method,
                                       const char      *reference,
                                       GError         **error);
/* 0 < amount <= VP_MONEY_MAX_TRANSACTION. */
gboolean   vp_store_check_amount      (VpMoney          amount,
                                       const char      *what,
                                       GError         **error);
void       vp_json_add_payment        (JsonBuilder     *b,
                                       VpPaymentMethod  method,
                                       const char      *reference);
G_END_DECLS

G_BEGIN_DECLS
/* GLib 2.74 has no g_date_time_new_from_unix_local_usec. */
GDateTime *vp_store_local_datetime (gint64 usec);
G_END_DECLS

G_BEGIN_DECLS
/* The pending top-up reversal on an account (its seq), 0 if none, -1 on
 * error. Call inside a transaction. */
gint64     vp_topup_reversal_pending_for_account (VpDatabase  *db,
                                                  gint64       account_id,
                                                  GError     **error);
/* How many top-up reversals are pending, -1 on error. */
gint64     vp_topup_reversal_count_pending (VpDatabase  *db,
                                            GError     **error);
G_END_DECLS
