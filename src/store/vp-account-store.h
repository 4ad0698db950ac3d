/* vp-account-store.h: accounts, search, and the operations that change
 * who holds an account or where its credit is.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

#define VP_SEARCH_MAX_LIMIT 500

VpAccount *vp_account_store_get        (VpDatabase  *db,
                                        const char  *number,
                                        GError     **error);
VpAccount *vp_account_store_get_by_card (VpDatabase *db,
                                         const char *card_number,
                                         GError    **error);
gint64     vp_account_store_count      (VpDatabase  *db);

/* Search by account number, card number, phone (prefix or any 3+ digits),
 * holder name (prefix, any 1–2 character part, any 3+ character part),
 * pinyin initials ("wjf") and address. An empty query lists accounts by
 * number. Returns VpAccount*; empty array when nothing matches. */
GPtrArray *vp_account_store_search     (VpDatabase  *db,
                                        const char  *query,
                                        guint        offset,
                                        guint        limit,
                                        GError     **error);
/* Open bills oldest first (or all bills, newest first). VpBill*. */
GPtrArray *vp_account_store_list_bills (VpDatabase  *db,
                                        gint64       account_id,
                                        gboolean     open_only,
                                        GError     **error);

/* Master data (demo, HQ import): no journal entry. The account's
 * holder_initials is computed here. Call inside a transaction for bulk. */
gboolean   vp_account_store_insert     (VpDatabase  *db,
                                        VpAccount   *account,
                                        GError     **error);
/* The same for many accounts (VpAccount*), up to 1,300 rows per
 * INSERT: the FTS index is flushed once per statement, not per row, which
 * makes bulk loads (demo, HQ master data) about twice as fast. Must be
 * called inside a transaction; fills in each account's id. */
gboolean   vp_account_store_insert_many (VpDatabase  *db,
                                         GPtrArray   *accounts,
                                         GError     **error);
gboolean   vp_account_store_add_bill   (VpDatabase  *db,
                                        gint64       account_id,
                                        const char  *period,
                                        VpMoney      amount,
                                        GError     **error);

typedef struct
{
  const char   *holder;
  const char   *id_number;
  const char   *phone;
  const char   *estate;
  const char   *building;
  const char   *unit;
  const char   *room;
  VpServiceKind service;
  VpMeterType   meter;
  VpTariffClass tariff_class;
  const char   *concession_expiry;  /* low_income only */
  gboolean      elderly_alone;
  gboolean      needs_visit;
  VpMoney       fee;                /* opening fee + deposit, ≥ 0 */
  VpPaymentMethod method;
  const char   *reference;          /* card/mobile payment reference */
  gboolean      issue_card;         /* prepaid: issue a new card number */
  /* A second account for the same service at the same address (estate,
   * building, unit, room) is refused (VP_STORE_ERROR_EXISTS) unless
   * override_duplicate, approved by a supervisor (approver, or the staff
   * member opening it when a supervisor; PERMISSION otherwise). */
  gboolean      override_duplicate;
  const VpStaff *approver;          /* NULL: none given */
} VpOpenAccountRequest;

/* Opens a provisional account P-<van>-<seq>; HQ assigns the real number.
 * id_number is stored normalised (vp_id_number_normalize()); a low-income
 * certificate must run past the van's date. */
VpJournalEntry *vp_account_store_open  (VpDatabase                 *db,
                                        const VpStaff              *staff,
                                        const VpOpenAccountRequest *request,
                                        GError                    **error);

typedef struct
{
  const char     *number;
  const char     *new_holder;
  const char     *new_id_number;
  const char     *new_phone;
  VpVolume        final_reading;   /* litres on the meter at hand-over */
  /* What is still due after the old holder's credit nets the arrears
   * (including the final bill) is paid now (settle_arrears: a sale with
   * method/reference, tendered for cash) or carried to the new holder
   * (carry_arrears, recorded). One of the two is needed when anything is
   * due. */
  gboolean        settle_arrears;
  gboolean        carry_arrears;
  VpPaymentMethod method;
  const char     *reference;
  VpMoney         tendered;        /* cash handed over; 0: not recorded */
  /* Credit left after netting is refunded to the old holder in cash
   * (refund_credit, a supervisor: approver or the staff member) or
   * carried to the new holder with the old holder's consent
   * (carry_credit_consent). One of the two is needed when credit is left. */
  gboolean        refund_credit;
  gboolean        carry_credit_consent;
  const VpStaff  *approver;        /* NULL: none given */
  /* The new holder's tariff class: residential unless set_tariff_class;
   * low_income needs new_concession_expiry in the future. Concessions
   * and flags belong to the person: never carried. */
  gboolean        set_tariff_class;
  VpTariffClass   new_tariff_class;
  const char     *new_concession_expiry;
  gboolean        new_elderly_alone;
  gboolean        new_needs_visit;
} VpChangeHolderRequest;

/* 过户 (DESIGN §3): the old holder's position is closed in the same
 * transaction. On a post-paid meter use since the last reading is billed
 * at the tariff (a bill dated today, part of the arrears); the old
 * holder's credit pays the oldest bills first; what is still due is paid
 * or carried; what credit is left is refunded in cash or carried with
 * consent. The card is carried. Refused (STATE) when a choice is
 * missing; PERMISSION when a refund has no supervisor. */
VpJournalEntry *vp_account_store_change_holder (VpDatabase                  *db,
                                                const VpStaff               *staff,
                                                const VpChangeHolderRequest *request,
                                                GError                     **error);
/* The final bill a change of holder at reading would raise (DESIGN §3):
 * out->amount 0 for a prepaid meter or no use; INVALID below the last
 * reading. For the form, before the change is confirmed. */
gboolean vp_account_store_quote_final_bill (VpDatabase  *db,
                                            const char  *number,
                                            VpVolume     reading,
                                            VpQuote     *out,
                                            GError     **error);
/* Moves credit from one account to another (a resident moving house).
 * To another holder's account (another ID number; where one is not
 * recorded, another name or phone) it needs a
 * supervisor's approval: approver, or staff when staff is a supervisor;
 * VP_STORE_ERROR_PERMISSION otherwise. The payload names "approved_by". */
VpJournalEntry *vp_account_store_move_credit   (VpDatabase    *db,
                                                const VpStaff *staff,
                                                const VpStaff *approver,
                                                const char    *from_number,
                                                const char    *to_number,
                                                VpMoney        amount,
                                                GError       **error);
/* Closes an account; its credit is refunded in cash (to_number NULL) or
 * moved to to_number. Open bills must be settled first. A cash refund of
 * more than nothing, or credit moved to another holder, needs a
 * supervisor's approval as for vp_account_store_move_credit. */
VpJournalEntry *vp_account_store_close         (VpDatabase    *db,
                                                const VpStaff *staff,
                                                const VpStaff *approver,
                                                const char    *number,
                                                const char    *to_number,
                                                GError       **error);

/* A low-income certificate's expiry (yyyy-mm-dd): a real date after the
 * van's date. VP_STORE_ERROR_INVALID (or VP_VALIDATE_ERROR) otherwise.
 * Every place a certificate is given checks it with this. */
gboolean   vp_account_store_check_certificate (VpDatabase  *db,
                                               const char  *expiry,
                                               GError     **error);
/* The number of an account (not closed) for service at this address;
 * "" when there is none, NULL on error. */
char      *vp_account_store_find_at_address   (VpDatabase    *db,
                                               const char    *estate,
                                               const char    *building,
                                               const char    *unit,
                                               const char    *room,
                                               VpServiceKind  service,
                                               GError       **error);

/* The estates of the accounts the van knows, sorted, each once. */
GStrv      vp_account_store_list_estates      (VpDatabase    *db,
                                               GError       **error);

G_END_DECLS
