/* test-topup-reversal.c: a card top-up reversed by a supervisor with its
 * card (issue 9, DESIGN §3 "Reversals"): the money back the way it came
 * (cash from the drawer, credit back onto the account), the year's
 * volume back, the card rewritten without the purchase; every refusal
 * (no card, another card, loaded into the meter, a later purchase,
 * already reversed, no reason, an operator's approval) changes nothing;
 * a failed card write abandons it, a card that may hold it leaves it
 * pending until the card is read.
 *
 * Figures by hand. The account is set to a residential gas account at
 * 295 m³ this year (tiers: 300 m³ at ¥2.98, then ¥3.57 to 600 m³):
 * 10 m³ = 5 m³ × ¥2.98 + 5 m³ × ¥3.57 = ¥14.90 + ¥17.85 = ¥32.75.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "card-test-util.h"
#include "vp-service-card.h"

#define TEN_M3   10000                 /* litres */
#define PRICE    (1490 + 1785)         /* fen */
#define YEAR0    295000                /* litres bought this year before */
#define FLOAT    10000                 /* the shift's float, fen */

typedef struct
{
  CardFx   fx;
  VpStaff *sup;
} Fx;

static void
setup (Fx            *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *sql = NULL;

  fx_setup (&f->fx, data);
  f->sup = vp_service_login (f->fx.svc, VP_DEMO_SUPERVISOR_ID, VP_DEMO_SUPERVISOR_PIN, &error);
  g_assert_no_error (error);
  sql = g_strdup_printf ("UPDATE accounts SET tariff_class = 'residential', concession_expiry = NULL,"
                         " tariff_year = %d, year_volume = %d, free_used = 0, balance = 0"
                         " WHERE number = '%s'",
                         g_date_time_get_year (now), YEAR0, f->fx.number);
  vp_database_lock (f->fx.db);
  g_assert_cmpint (sqlite3_exec (vp_database_get_handle (f->fx.db), sql, NULL, NULL, NULL), ==,
                   SQLITE_OK);
  vp_database_unlock (f->fx.db);
}

static void
teardown (Fx            *f,
          gconstpointer  data)
{
  g_clear_pointer (&f->sup, vp_staff_free);
  fx_teardown (&f->fx, data);
}

static gint64
acct_int (Fx         *f,
          const char *column)
{
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM accounts WHERE number = '%s'", column,
                                          f->fx.number);
  return fx_sql_int (&f->fx, sql);
}

static VpMoney
expected_cash (Fx *f)
{
  g_auto(VpShiftTotals) t = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (vp_shift_store_totals (f->fx.db, 0, &t, &error));
  g_assert_no_error (error);
  return t.expected_cash;
}

static GBytes *
card_bytes (Fx *f)
{
  g_autofree char *path = vp_sim_card_get_card_path (f->fx.sim, f->fx.card);
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_bytes_new (data, len);
}

/* A cash top-up of 10 m³ (¥32.75); returns the confirmation's seq. */
static gint64
topup (Fx       *f,
       gboolean  from_credit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  VpPaymentMethod cash = VP_PAYMENT_CASH;

  e = vp_service_card_topup_full (f->fx.svc, f->fx.staff, f->fx.number, 0, TEN_M3,
                                  from_credit ? VP_TOPUP_FROM_CREDIT : 0, &cash, NULL, 0, NULL,
                                  NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  return e->seq;
}

static VpJournalEntry *
reverse (Fx             *f,
         gint64          seq,
         const VpStaff  *approver,
         const char     *reason,
         GError        **error)
{
  return vp_service_card_reverse_topup (f->fx.svc, f->fx.staff, approver, seq, reason, NULL, NULL,
                                        NULL, error);
}

static void
test_cash (Fx            *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_auto(VpCardImage) image = { 0 };
  gint64 confirm, n_checked = 0, bad = 0;

  confirm = topup (f, FALSE);
  g_assert_cmpint (expected_cash (f), ==, FLOAT + PRICE);
  g_assert_cmpint (acct_int (f, "year_volume"), ==, YEAR0 + TEN_M3);
  g_assert_cmpint (acct_int (f, "card_counter"), ==, f->fx.counter0 + 1);

  /* The receipt the resident holds is the confirmation's. */
  v = reverse (f, confirm, f->sup, "wrong account", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (v->kind, ==, VP_KIND_VOID);
  p = vp_journal_entry_parse_payload (v);
  g_assert_cmpint (json_object_get_int_member (p, "voided_seq"), ==, confirm - 1);
  g_assert_cmpstr (json_object_get_string_member (p, "voided_kind"), ==, VP_KIND_TOPUP_INTENT);
  g_assert_cmpint (json_object_get_int_member (p, "amount"), ==, PRICE);
  g_assert_cmpstr (json_object_get_string_member (p, "method"), ==, "cash");
  g_assert_cmpstr (json_object_get_string_member (p, "requested_by"), ==, VP_DEMO_OPERATOR_ID);
  g_assert_cmpstr (json_object_get_string_member (p, "approved_by"), ==, VP_DEMO_SUPERVISOR_ID);
  g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==, "wrong account");
  g_assert_cmpint (json_object_get_int_member (p, "reversal_seq"), ==, confirm + 1);
  g_assert_cmpint (json_object_get_int_member (p, "card_counter"), ==, f->fx.counter0 + 2);

  /* The drawer gives the ¥32.75 back; credit, volume as before. */
  g_assert_cmpint (expected_cash (f), ==, FLOAT);
  g_assert_cmpint (acct_int (f, "balance"), ==, 0);
  g_assert_cmpint (acct_int (f, "year_volume"), ==, YEAR0);
  g_assert_cmpint (acct_int (f, "card_counter"), ==, f->fx.counter0 + 2);
  g_assert_cmpint (fx_sql_int (&f->fx, "SELECT count (*) FROM journal WHERE kind = 'reversal.intent'"),
                   ==, 1);

  /* The card: the purchase gone, counter moved on, nothing to load. */
  g_assert_true (fx_card_image (&f->fx, f->fx.card, &image, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (image.record.counter, ==, f->fx.counter0 + 2);
  g_assert_cmpuint (image.record.n_history, ==, 0);
  g_assert_cmpint (image.record.total_volume, ==, 0);
  g_assert_cmpint (image.record.last_volume, ==, 0);
  g_assert_cmpuint (image.record.flags, ==, VP_CARD_FLAG_REVERSAL);

  /* The chain holds, and the card takes the next top-up at the same
   * price (the year's position went back to 295 m³). */
  g_assert_true (vp_journal_store_verify (f->fx.db, &n_checked, &bad, &error));
  g_assert_no_error (error);
  topup (f, FALSE);
  g_assert_cmpint (expected_cash (f), ==, FLOAT + PRICE);
  g_assert_cmpint (acct_int (f, "card_counter"), ==, f->fx.counter0 + 3);
}

/* Paid ¥10.00 from credit and ¥22.75 in cash: the cash comes out of the
 * drawer, the ¥10.00 goes back onto the account. */
static void
test_from_credit (Fx            *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *sql = g_strdup_printf ("UPDATE accounts SET balance = 1000 WHERE number = '%s'",
                                          f->fx.number);
  gint64 confirm;

  vp_database_lock (f->fx.db);
  g_assert_cmpint (sqlite3_exec (vp_database_get_handle (f->fx.db), sql, NULL, NULL, NULL), ==,
                   SQLITE_OK);
  vp_database_unlock (f->fx.db);
  confirm = topup (f, TRUE);
  g_assert_cmpint (expected_cash (f), ==, FLOAT + PRICE - 1000);
  g_assert_cmpint (acct_int (f, "balance"), ==, 0);

  v = reverse (f, confirm, f->sup, "resident changed mind", &error);
  g_assert_no_error (error);
  p = vp_journal_entry_parse_payload (v);
  g_assert_cmpint (json_object_get_int_member (p, "amount"), ==, PRICE - 1000);
  g_assert_cmpint (json_object_get_int_member (p, "credit_back"), ==, 1000);
  g_assert_cmpint (json_object_get_int_member (p, "leftover_taken"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (p, "credit_after"), ==, 1000);
  g_assert_cmpint (expected_cash (f), ==, FLOAT);
  g_assert_cmpint (acct_int (f, "balance"), ==, 1000);
  g_assert_cmpint (acct_int (f, "year_volume"), ==, YEAR0);
}

/* Everything a refusal must leave: journal, account, card bytes. */
typedef struct
{
  gint64  journal;
  gint64  balance;
  gint64  counter;
  gint64  year;
  GBytes *card;
} Snap;

static void
snap (Fx   *f,
      Snap *s)
{
  s->journal = fx_sql_int (&f->fx, "SELECT max (seq) FROM journal");
  s->balance = acct_int (f, "balance");
  s->counter = acct_int (f, "card_counter");
  s->year = acct_int (f, "year_volume");
  s->card = card_bytes (f);
}

static void
assert_unchanged (Fx   *f,
                  Snap *s)
{
  g_autoptr(GBytes) now = card_bytes (f);

  g_assert_cmpint (fx_sql_int (&f->fx, "SELECT max (seq) FROM journal"), ==, s->journal);
  g_assert_cmpint (acct_int (f, "balance"), ==, s->balance);
  g_assert_cmpint (acct_int (f, "card_counter"), ==, s->counter);
  g_assert_cmpint (acct_int (f, "year_volume"), ==, s->year);
  g_assert_true (g_bytes_equal (now, s->card));
  g_clear_pointer (&s->card, g_bytes_unref);
}

static void
expect_refused (Fx            *f,
                gint64         seq,
                const VpStaff *approver,
                const char    *reason,
                GQuark         domain,
                int            code,
                const char    *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  Snap s;

  snap (f, &s);
  v = reverse (f, seq, approver, reason, &error);
  g_assert_null (v);
  g_assert_error (error, domain, code);
  if (strstr (error->message, part) == NULL)
    g_error ("“%s” does not say “%s”", error->message, part);
  g_assert_null (strchr (error->message, '\n'));
  assert_unchanged (f, &s);
}

/* The simulated meter takes the purchase in and marks the record. */
static void
load_into_meter (Fx *f)
{
  g_auto(VpCardImage) image = { 0 };
  g_autoptr(GError) error = NULL;
  guint8 rec[VP_CARD_RECORD_SIZE];
  VpCardRecord r;

  g_assert_true (fx_card_image (&f->fx, f->fx.card, &image, &error));
  r = image.record;
  g_assert_true (vp_card_record_mark_loaded (&r, &error));
  g_assert_true (vp_card_record_encode (&r, f->fx.key, rec, &error));
  g_assert_true (vp_sim_card_insert (f->fx.sim, f->fx.card, &error));
  g_assert_true (vp_card_reader_write (VP_CARD_READER (f->fx.sim),
                                       image.slot * VP_CARD_RECORD_SIZE, rec, sizeof rec, &error));
  g_assert_no_error (error);
}

static void
test_refusals (Fx            *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  gint64 first, second;

  first = topup (f, FALSE);

  expect_refused (f, first, f->sup, "", VP_STORE_ERROR, VP_STORE_ERROR_INVALID, "needs a reason");
  expect_refused (f, first, f->fx.staff, "wrong account", VP_STORE_ERROR,
                  VP_STORE_ERROR_PERMISSION, "needs a supervisor");
  g_assert_true (vp_sim_card_remove (f->fx.sim, &error));
  expect_refused (f, first, f->sup, "wrong account", VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                  "Insert card");
  g_assert_true (vp_sim_card_insert (f->fx.sim, f->fx.card2, &error));
  expect_refused (f, first, f->sup, "wrong account", VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                  "Wrong card");
  g_assert_true (vp_sim_card_insert (f->fx.sim, f->fx.card, &error));
  /* Not a top-up: a shift's opening. */
  expect_refused (f, 1, f->sup, "wrong account", VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                  "not a card top-up");

  /* A later purchase on the card: only the last can come off. */
  second = topup (f, FALSE);
  expect_refused (f, first, f->sup, "wrong account", VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                  "later purchase");
  v = reverse (f, second, f->sup, "wrong amount", &error);
  g_assert_no_error (error);
  g_clear_pointer (&v, vp_journal_entry_free);
  expect_refused (f, second, f->sup, "again", VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                  "already reversed");
  /* The first purchase is the card's last again, but the counter moved
   * on: the reversal record is the card's last word. */
  expect_refused (f, first, f->sup, "wrong account", VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                  "later purchase");

  /* Loaded into the meter: it stays. */
  second = topup (f, FALSE);
  load_into_meter (f);
  expect_refused (f, second, f->sup, "wrong account", VP_STORE_ERROR, VP_STORE_ERROR_STATE,
                  "already loaded into the meter");
}

/* The card write fails outright: the card was read without the
 * reversal, so it is abandoned and the top-up stands (it can be
 * reversed again). */
static void
test_write_fails (Fx            *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  gint64 confirm = topup (f, FALSE);
  Snap s;

  snap (f, &s);
  vp_sim_card_set_fault (f->fx.sim, VP_SIM_FAULT_WRITE_ERROR, 0);
  v = reverse (f, confirm, f->sup, "wrong account", &error);
  g_assert_null (v);
  g_assert_error (error, VP_CARD_ERROR, VP_CARD_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "abandoned, nothing changed"));
  g_clear_error (&error);
  /* Two entries more (the intent and its abandon), nothing else. */
  s.journal += 2;
  assert_unchanged (f, &s);
  g_assert_cmpint (fx_sql_int (&f->fx, "SELECT count (*) FROM journal WHERE kind = 'reversal.abandon'"),
                   ==, 1);
  g_assert_cmpint (expected_cash (f), ==, FLOAT + PRICE);

  v = reverse (f, confirm, f->sup, "wrong account", &error);
  g_assert_no_error (error);
  g_assert_cmpint (expected_cash (f), ==, FLOAT);
}

/* Written, but the read-back and the decision read fail: the card may
 * hold the reversal, so it stays pending (money not given back yet); a
 * later read of the card finishes it exactly once. */
static void
test_pending_then_recovered (Fx            *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_autoptr(VpJournalEntry) more = NULL;
  g_autoptr(GPtrArray) items = NULL;
  VpRecoveryItem *item;
  gint64 confirm = topup (f, FALSE);

  vp_sim_card_set_fault (f->fx.sim, VP_SIM_FAULT_READ_FAIL, 2);
  v = reverse (f, confirm, f->sup, "wrong account", &error);
  g_assert_null (v);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING);
  g_clear_error (&error);
  g_assert_cmpint (expected_cash (f), ==, FLOAT + PRICE);
  g_assert_cmpint (acct_int (f, "card_counter"), ==, f->fx.counter0 + 1);

  /* Pending: the store takes no new top-up on the account meanwhile
   * (the service would first finish the reversal with the card). */
  more = vp_topup_store_intent (f->fx.db, f->fx.staff, f->fx.number, 0, TEN_M3, VP_PAYMENT_CASH,
                                NULL, &error);
  g_assert_null (more);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "not finished"));
  g_clear_error (&error);
  /* Nor does the shift close over it. */
  more = vp_shift_store_close (f->fx.db, f->sup, FLOAT + PRICE, &error);
  g_assert_null (more);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "1 top-up reversal(s) are not resolved"));
  g_clear_error (&error);

  items = vp_service_recover_topups (f->fx.svc, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 1);
  item = items->pdata[0];
  g_assert_true (item->reversal);
  g_assert_cmpint (item->outcome, ==, VP_RECOVERY_CONFIRMED);
  g_assert_cmpint (expected_cash (f), ==, FLOAT);
  g_assert_cmpint (acct_int (f, "year_volume"), ==, YEAR0);
  g_assert_cmpint (acct_int (f, "card_counter"), ==, f->fx.counter0 + 2);
  g_clear_pointer (&items, g_ptr_array_unref);
  items = vp_service_recover_topups (f->fx.svc, NULL, &error);
  g_assert_cmpuint (items->len, ==, 0);
  g_assert_cmpint (fx_sql_int (&f->fx, "SELECT count (*) FROM journal WHERE kind = 'void'"), ==, 1);
}

/* Pulled mid-write: the torn slot is ignored, the card still shows the
 * purchase, so putting it back abandons the reversal. */
static void
test_pulled_then_abandoned (Fx            *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_autoptr(GPtrArray) items = NULL;
  VpRecoveryItem *item;
  gint64 confirm = topup (f, FALSE);

  vp_sim_card_set_fault (f->fx.sim, VP_SIM_FAULT_PULL_AFTER, 100);
  v = reverse (f, confirm, f->sup, "wrong account", &error);
  g_assert_null (v);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING);
  g_clear_error (&error);
  g_assert_true (vp_sim_card_insert (f->fx.sim, f->fx.card, &error));
  items = vp_service_recover_topups (f->fx.svc, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 1);
  item = items->pdata[0];
  g_assert_true (item->reversal);
  g_assert_cmpint (item->outcome, ==, VP_RECOVERY_VOIDED);
  g_assert_cmpint (expected_cash (f), ==, FLOAT + PRICE);
  g_assert_cmpint (acct_int (f, "card_counter"), ==, f->fx.counter0 + 1);
  g_assert_cmpint (acct_int (f, "year_volume"), ==, YEAR0 + TEN_M3);
}

/* A top-up being written holds the card's next counter: no reversal
 * meanwhile, even with a card read that shows the earlier purchase. */
static void
test_pending_topup_refused (Fx            *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) pending = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_auto(VpCardImage) image = { 0 };
  gint64 confirm = topup (f, FALSE), last;

  g_assert_true (fx_card_image (&f->fx, f->fx.card, &image, &error));
  pending = vp_topup_store_intent (f->fx.db, f->fx.staff, f->fx.number, 0, TEN_M3,
                                   VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  last = fx_sql_int (&f->fx, "SELECT max (seq) FROM journal");
  v = vp_topup_store_reversal_intent (f->fx.db, f->fx.staff, f->sup, confirm, "wrong account",
                                      &image.record, &error);
  g_assert_null (v);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "is not resolved yet"));
  g_assert_cmpint (fx_sql_int (&f->fx, "SELECT max (seq) FROM journal"), ==, last);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("VP_PIN_ITERATIONS", "1000", TRUE);

#define ADD(path, fn) g_test_add (path, Fx, NULL, setup, fn, teardown)
  ADD ("/card/reversal/cash", test_cash);
  ADD ("/card/reversal/from-credit", test_from_credit);
  ADD ("/card/reversal/refusals", test_refusals);
  ADD ("/card/reversal/write-fails", test_write_fails);
  ADD ("/card/reversal/pending-then-recovered", test_pending_then_recovered);
  ADD ("/card/reversal/pulled-then-abandoned", test_pulled_then_abandoned);
  ADD ("/card/reversal/pending-topup-refused", test_pending_topup_refused);
#undef ADD
  return g_test_run ();
}
