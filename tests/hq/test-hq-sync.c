/* test-hq-sync.c: vanpos-hq end to end: a real van journal (src/store)
 * pushed over mTLS to the server on a private PostgreSQL, replays, gaps,
 * altered entries, conflicts, paging and refusals.
 * Run through run-with-hq.sh (meson does).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <glib/gstdio.h>

#include "vp-card-store.h"
#include "vp-demo.h"
#include "vp-hq-tls.h"
#include "hq-test-util.h"

static char *tmp_dir;
static VpDatabase *van;
static char *bundle;
static char *token;
static PGconn *pg;

static char *
van_string (const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *v = NULL;

  vp_database_lock (van);
  g_assert_cmpint (sqlite3_prepare_v2 (vp_database_get_handle (van), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  vp_database_unlock (van);
  g_assert_nonnull (v);
  return v;
}

static gint64
van_int (const char *sql)
{
  g_autofree char *s = van_string (sql);
  return g_ascii_strtoll (s, NULL, 10);
}

/* The same with the SQL built from a printf-style format, freed here. */
static char *
van_stringf (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static char *
van_stringf (const char *format,
             ...)
{
  va_list args;
  g_autofree char *sql = NULL;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return van_string (sql);
}

static gint64
van_intf (const char *format,
          ...) G_GNUC_PRINTF (1, 2);

static gint64
van_intf (const char *format,
          ...)
{
  va_list args;
  g_autofree char *sql = NULL;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return van_int (sql);
}

static gint64
hq_intf (const char *format,
         ...) G_GNUC_PRINTF (1, 2);

static gint64
hq_intf (const char *format,
         ...)
{
  va_list args;
  g_autofree char *sql = NULL;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return hq_pg_int (pg, sql);
}

static HqResp *
push (const char *van_id,
      const char *cert_dir,
      const char *tok,
      const char *json)
{
  g_autofree char *path = g_strdup_printf ("/v1/vans/%s/journal", van_id);
  return hq_https ("POST", path, json, strlen (json), TRUE, cert_dir, tok);
}

static HqResp *
push_van (gint64 after,
          gint64 upto)
{
  g_autofree char *json = hq_batch_json (van, after, upto);
  return push ("VAN01", bundle, token, json);
}

/* As push_van, with the van's claim of what HQ acknowledged. */
static HqResp *
push_van_claiming (gint64 after,
                   gint64 claim)
{
  g_autofree char *json = hq_batch_json (van, after, 0);
  g_autofree char *claimed = NULL;

  g_assert_true (json[0] == '{');
  claimed = g_strdup_printf ("{\"acked_seq\": %" G_GINT64_FORMAT ", %s", claim, json + 1);
  return push ("VAN01", bundle, token, claimed);
}

/* How many provisional numbers a push answer maps. */
static guint
n_mapped (HqResp *r)
{
  return json_array_get_length (json_object_get_array_member (r->json, "accounts"));
}

static void
assert_error (HqResp     *r,
              long        status,
              const char *code)
{
  if (r->status != status)
    g_error ("expected HTTP %ld, got %ld: %s %s", status, r->status, r->body,
             r->curl_error ? r->curl_error : "");
  g_assert_nonnull (r->json);
  g_assert_cmpstr (json_object_get_string_member (r->json, "error"), ==, code);
  g_assert_true (strlen (json_object_get_string_member (r->json, "message")) > 5);
}

/* Every result has this outcome; returns how many results. */
static guint
count_outcomes (HqResp     *r,
                const char *outcome)
{
  JsonArray *a = json_object_get_array_member (r->json, "results");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (a); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (a, i),
                                                    "outcome"), outcome))
      n++;
  return n;
}

static gint64
hq_count_van01 (void)
{
  return hq_pg_int (pg, "SELECT count (*) FROM journal WHERE van = 'VAN01'");
}

/* --- tests ------------------------------------------------------------------------ */

static void
test_schema_idempotent (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  /* hq-local.sh ran init-db once already. */
  g_assert_cmpint (hq_run (&out, &err, "init-db", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (&out, &err, "init-db", NULL), ==, 0);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM schema_version"), ==, 1);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM pg_trigger WHERE tgname = 'accounts_touch'"),
                   ==, 1);
  /* sup01 from hq-local.sh survived. */
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM staff WHERE id = 'sup01'"), ==, 1);
}

static void
test_import_errors (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "bad.csv", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gint64 before = hq_pg_int (pg, "SELECT count (*) FROM accounts");
  g_autofree char *n1 = vp_account_number_make (3409000001);
  g_autofree char *n2 = vp_account_number_make (3409000002);
  g_autofree char *csv = g_strdup_printf ("number,holder,service,meter,tariff_class\n"
                                          "%s,王伟,gas,prepaid,residential\n"
                                          "%s,李娜,steam,prepaid,residential\n", n1, n2);

  g_assert_true (g_file_set_contents (path, csv, -1, NULL));
  g_assert_cmpint (hq_run (&out, &err, "import", "accounts", path, NULL), ==, 1);
  g_assert_nonnull (strstr (err, ":3: "));
  g_assert_nonnull (strstr (err, "nothing imported"));
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM accounts"), ==, before);

  /* A bad check digit, line 2. */
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  n1[10] = n1[10] == '9' ? '0' : n1[10] + 1;
  g_free (csv);
  csv = g_strdup_printf ("number,holder,service,meter,tariff_class\n"
                         "%s,王伟,gas,prepaid,residential\n", n1);
  g_assert_true (g_file_set_contents (path, csv, -1, NULL));
  g_assert_cmpint (hq_run (&out, &err, "import", "accounts", path, NULL), ==, 1);
  g_assert_nonnull (strstr (err, ":2: "));
  g_assert_nonnull (strstr (err, "check digit"));

  /* A bill for an account HQ does not have, after a good one: line 3,
   * and the good one is not kept either. */
  {
    g_autofree char *good = vp_account_number_make (3409000003);
    g_autofree char *bills = NULL;
    g_autofree char *acc = g_strdup_printf ("number,holder,service,meter,tariff_class\n"
                                            "%s,王芳,water,postpaid,residential\n", good);
    gint64 n_bills = hq_pg_int (pg, "SELECT count (*) FROM bills");

    g_assert_true (g_file_set_contents (path, acc, -1, NULL));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (hq_run (NULL, &err, "import", "accounts", path, NULL), ==, 0);
    before++;
    bills = g_strdup_printf ("hq_id,account,period,amount\n"
                             "T-1,%s,2026-10,1200\n"
                             "T-2,%s,2026-10,1300\n", good, n2);
    g_assert_true (g_file_set_contents (path, bills, -1, NULL));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (hq_run (NULL, &err, "import", "bills", path, NULL), ==, 1);
    g_assert_nonnull (strstr (err, ":3: "));
    g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM bills"), ==, n_bills);
    /* Unknown columns are refused too. */
    g_assert_true (g_file_set_contents (path, "hq_id,account,period,amount,colour\n", -1, NULL));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (hq_run (NULL, &err, "import", "bills", path, NULL), ==, 1);
    g_assert_nonnull (strstr (err, "colour"));
  }

  /* The CA is made once. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (hq_run (NULL, &err, "ca-init", "--dir", hq_env ("VANPOS_HQ_TLS_DIR"), NULL), ==, 1);
  g_assert_nonnull (strstr (err, "already exists"));
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM accounts"), ==, before);
}

/* The van's first load of master data (pull everything), as the sync
 * client does at setup. Also checks paging: each row exactly once. */
static void
full_pull (guint   limit,
           gint64 *n_accounts)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = g_strdup ("");
  gint64 last = -1;
  gboolean more = TRUE;
  guint pages = 0;

  while (more)
    {
      g_autofree char *path = g_strdup_printf ("/v1/vans/VAN01/master?since=%s&limit=%u",
                                               cursor, limit);
      g_autoptr(HqResp) r = hq_https ("GET", path, NULL, 0, FALSE, bundle, token);
      JsonArray *accounts;
      guint n_rows = 0;

      g_assert_cmpint (r->status, ==, 200);
      accounts = json_object_get_array_member (r->json, "accounts");
      for (guint i = 0; i < json_array_get_length (accounts); i++)
        {
          const char *num = json_object_get_string_member (json_array_get_object_element (accounts, i),
                                                           "number");
          g_assert_false (g_hash_table_contains (seen, num));
          g_hash_table_add (seen, g_strdup (num));
        }
      for (const char **t = (const char *[]) { "accounts", "bills", "tariffs", "staff",
                                               "blocked_cards", "account_numbers", NULL }; *t; t++)
        n_rows += json_array_get_length (json_object_get_array_member (r->json, *t));
      g_assert_cmpuint (n_rows, <=, limit);
      more = json_object_get_boolean_member (r->json, "more");
      if (more)
        g_assert_cmpuint (n_rows, ==, limit);
      g_free (cursor);
      cursor = g_strdup (json_object_get_string_member (r->json, "cursor"));
      g_assert_cmpint (g_ascii_strtoll (cursor, NULL, 10), >, last);
      last = g_ascii_strtoll (cursor, NULL, 10);
      pages++;
    }
  g_assert_cmpuint (pages, >, 1);
  *n_accounts = g_hash_table_size (seen);
}

static void
test_pull_paging (void)
{
  gint64 n = 0;

  full_pull (7, &n);
  g_assert_cmpint (n, ==, hq_pg_int (pg, "SELECT count (*) FROM accounts"));
  g_assert_cmpint (n, >=, 40);
  /* One big page comes gzip-compressed (the client asked for it) and
   * holds everything. */
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/v1/vans/VAN01/master?limit=50000", NULL, 0, FALSE,
                                    bundle, token);
    g_assert_cmpint (r->status, ==, 200);
    g_assert_true (r->gzipped);
    g_assert_false (json_object_get_boolean_member (r->json, "more"));
    g_assert_cmpint (json_array_get_length (json_object_get_array_member (r->json, "accounts")),
                     ==, n);
  }
  /* A bad cursor and limit are refused. */
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/v1/vans/VAN01/master?since=x", NULL, 0, FALSE,
                                    bundle, token);
    assert_error (r, 400, "bad_request");
  }
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/v1/vans/VAN01/master?limit=50001", NULL, 0, FALSE,
                                    bundle, token);
    assert_error (r, 400, "bad_request");
  }
}

static char *post_a, *post_b, *post_c, *prepaid;
static char *bill_c_period;
static gint64 bill_c_due;
static gint64 day_last_seq;

static void
test_push_day (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(VpStaff) sup = hq_van_staff (van, "sup01", "9876");
  g_autoptr(HqResp) r = NULL;
  VpOpenAccountRequest open = { 0 };
  VpChangeHolderRequest change = { 0 };
  VpJournalEntry *e;
  JsonArray *accounts;
  const char *real;
  gint64 void_seq, van_amount, van_count;
  gint64 b_paid_before;

#define OK(expr) do { e = (expr); g_assert_no_error (error); g_assert_nonnull (e); } while (0)
  OK (vp_shift_store_open (van, op, 20000, &error));
  vp_journal_entry_free (e);
  OK (vp_bill_store_pay (van, op, post_a, 12345, VP_PAYMENT_CASH, NULL, &error));
  vp_journal_entry_free (e);
  b_paid_before = hq_intf ("SELECT sum (paid) FROM bills WHERE account = '%s'", post_b);
  OK (vp_bill_store_pay (van, op, post_b, 5000, VP_PAYMENT_CARD, "T-1", &error));
  void_seq = e->seq;
  vp_journal_entry_free (e);
  OK (vp_shift_store_void (van, sup, void_seq, "wrong account", &error));
  vp_journal_entry_free (e);
  OK (vp_topup_store_intent (van, op, prepaid, 5000, 0, VP_PAYMENT_CASH, NULL, &error));
  {
    gint64 intent = e->seq;
    vp_journal_entry_free (e);
    OK (vp_topup_store_confirm (van, op, intent, &error));
    vp_journal_entry_free (e);
  }
  /* A second top-up of ¥30.00, taken back off the card before the meter
   * loaded it (issue 9): the drawer gives the ¥30.00 back, the year's
   * volume and the card counter go as on the van. */
  OK (vp_topup_store_intent (van, op, prepaid, 3000, 0, VP_PAYMENT_CASH, NULL, &error));
  {
    g_autoptr(VpTopup) t = NULL;
    VpCardRecord card = { 0 };
    gint64 intent = e->seq;

    vp_journal_entry_free (e);
    OK (vp_topup_store_confirm (van, op, intent, &error));
    vp_journal_entry_free (e);
    t = vp_topup_store_get (van, intent, &error);
    g_assert_no_error (error);
    g_strlcpy (card.card_number, t->card_number, sizeof card.card_number);
    g_strlcpy (card.account_number, t->account_number, sizeof card.account_number);
    card.counter = t->counter;
    card.n_history = 1;
    card.history[0].counter = t->counter;
    card.history[0].volume = t->volume;
    card.history[0].amount = t->amount - t->leftover;
    OK (vp_topup_store_reversal_intent (van, op, sup, intent, "wrong amount", &card, &error));
    {
      gint64 rev = e->seq;

      vp_journal_entry_free (e);
      OK (vp_topup_store_reversal_confirm (van, sup, rev, &error));
      vp_journal_entry_free (e);
    }
  }
  open.holder = "赵建国";
  open.id_number = "11010519491231002X";
  open.phone = "13800138000";
  open.estate = "幸福小区";
  open.building = "3";
  open.room = "101";
  open.service = VP_SERVICE_GAS;
  open.meter = VP_METER_POSTPAID;
  open.tariff_class = VP_TARIFF_CLASS_RESIDENTIAL;
  open.fee = 2000;
  open.method = VP_PAYMENT_CASH;
  OK (vp_account_store_open (van, op, &open, &error));
  vp_journal_entry_free (e);
  OK (vp_bill_store_pay (van, op, "P-VAN01-000001", 3000, VP_PAYMENT_CASH, NULL, &error));
  vp_journal_entry_free (e);
  change.number = post_c;
  change.new_holder = "孙丽";
  change.new_id_number = "110101199003070011";
  change.new_phone = "13900139000";
  change.final_reading = van_intf ("SELECT last_reading + 1000 FROM accounts"
                                   " WHERE number = '%s'", post_c);
  change.carry_arrears = TRUE;
  change.carry_credit_consent = TRUE;
  OK (vp_account_store_change_holder (van, op, &change, &error));
  vp_journal_entry_free (e);
  OK (vp_service_log_store_add (van, op, VP_LOG_CONSULTATION, post_a, "tariff", "asked about tiers",
                                FALSE, &error));
  vp_journal_entry_free (e);
  OK (vp_trip_store_start (van, op, "幸福小区", &error));
  vp_journal_entry_free (e);
  OK (vp_trip_store_end (van, op, NULL, &error));
  vp_journal_entry_free (e);
  OK (vp_shift_store_close (van, sup, 20000 + 12345 + 2000 + 3000 + 5000, &error));
  vp_journal_entry_free (e);
#undef OK
  day_last_seq = vp_journal_store_last_seq (van);

  r = push_van (0, 0);
  if (r->status != 200)
    g_error ("push: %ld %s %s", r->status, r->body, r->curl_error ? r->curl_error : "");
  g_assert_cmpuint (count_outcomes (r, "accepted"), ==, (guint) day_last_seq);
  g_assert_cmpint (json_object_get_int_member (r->json, "acked_seq"), ==, day_last_seq);

  /* HQ totals equal the van's journal (what the Z report prints). */
  van_amount = van_int ("SELECT sum (amount) FROM journal");
  van_count = van_int ("SELECT count (*) FROM journal");
  g_assert_cmpint (van_amount, ==, 12345 + 5000 - 5000 + 5000 + 3000 - 3000 + 2000 + 3000);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (r->json, "totals"),
                                               "entries"), ==, van_count);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (r->json, "totals"),
                                               "amount"), ==, van_amount);

  /* The provisional account has a real, Luhn-valid number. */
  accounts = json_object_get_array_member (r->json, "accounts");
  g_assert_cmpuint (json_array_get_length (accounts), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (accounts, 0),
                                                  "provisional"), ==, "P-VAN01-000001");
  real = json_object_get_string_member (json_array_get_object_element (accounts, 0), "number");
  g_assert_true (vp_account_number_validate (real, NULL));
  g_assert_false (vp_account_number_is_provisional (real));
  {
    g_autofree char *sql = g_strdup_printf ("SELECT balance FROM accounts WHERE number = '%s'"
                                            " AND holder = '赵建国'", real);
    g_assert_cmpint (hq_pg_int (pg, sql), ==, 3000);   /* the payment on it became credit */
  }

  /* HQ applied the payments like the van did. */
  {
    g_autofree char *sql = g_strdup_printf ("SELECT sum (paid) FROM bills WHERE account = '%s'", post_a);
    /* The ¥123.45 and the credit the account held (issue 9: credit is
     * applied in every payment). */
    g_assert_cmpint (hq_pg_int (pg, sql), ==,
                     van_intf ("SELECT sum (b.paid) FROM bills b JOIN accounts a"
                               " ON a.id = b.account_id WHERE a.number = '%s'", post_a));
    g_free (sql);
    /* The voided payment left B's bills as they were. */
    sql = g_strdup_printf ("SELECT sum (paid) FROM bills WHERE account = '%s'", post_b);
    g_assert_cmpint (hq_pg_int (pg, sql), ==, b_paid_before);
    g_free (sql);
    /* The change of holder on C arrived, not flagged. */
    sql = g_strdup_printf ("SELECT count (*) FROM accounts WHERE number = '%s' AND holder = '孙丽'",
                           post_c);
    g_assert_cmpint (hq_pg_int (pg, sql), ==, 1);
    g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags"), ==, 0);
    g_free (sql);
    /* The reversed top-up: HQ's prepaid account is where the van's is. */
    sql = g_strdup_printf ("SELECT card_counter * 1000000000 + year_volume FROM accounts"
                           " WHERE number = '%s'", prepaid);
    g_assert_cmpint (hq_pg_int (pg, sql), ==,
                     van_intf ("SELECT card_counter * 1000000000 + year_volume"
                               " FROM accounts WHERE number = '%s'", prepaid));
    g_free (sql);
    sql = g_strdup_printf ("SELECT balance FROM accounts WHERE number = '%s'", prepaid);
    g_assert_cmpint (hq_pg_int (pg, sql), ==,
                     van_intf ("SELECT balance FROM accounts WHERE number = '%s'", prepaid));
  }
  /* The payload text is kept byte for byte. */
  {
    g_autoptr(GError) err = NULL;
    g_autoptr(VpJournalEntry) two = vp_journal_store_get (van, 2, &err);
    PGresult *res = PQexec (pg, "SELECT payload_text FROM journal WHERE van = 'VAN01' AND seq = 2");

    g_assert_no_error (err);
    g_assert_cmpint (PQntuples (res), ==, 1);
    g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, two->payload);
    PQclear (res);
  }
}

static void
test_push_replay (void)
{
  gint64 count = hq_count_van01 ();
  gint64 balances = hq_pg_int (pg, "SELECT sum (balance) FROM accounts");
  gint64 paid = hq_pg_int (pg, "SELECT sum (paid) FROM bills");

  for (int i = 0; i < 3; i++)
    {
      g_autoptr(HqResp) r = push_van (0, 0);

      g_assert_cmpint (r->status, ==, 200);
      g_assert_cmpuint (count_outcomes (r, "duplicate"), ==, (guint) day_last_seq);
      g_assert_cmpint (json_object_get_int_member (r->json, "acked_seq"), ==, day_last_seq);
      g_assert_cmpuint (n_mapped (r), ==, 1);   /* no claim: every number */
    }
  /* A tail that overlaps: duplicates then nothing new. */
  {
    g_autoptr(HqResp) r = push_van (day_last_seq - 3, 0);
    g_assert_cmpint (r->status, ==, 200);
    g_assert_cmpuint (count_outcomes (r, "duplicate"), ==, 3);
  }
  /* The mapping: a van that claims the account's opening acknowledged
   * stored its number with that acknowledgement, and is not sent it
   * again; one whose claim is below it (its answer was lost) is; one that
   * claims more than HQ holds (HQ lost entries) gets every number. */
  {
    gint64 open_seq = van_int ("SELECT seq FROM journal WHERE kind = 'account.open'");
    struct { gint64 claim; guint mapped; } cases[] = {
      { open_seq - 1, 1 }, { open_seq, 0 }, { day_last_seq, 0 }, { day_last_seq + 5, 1 },
    };

    g_assert_cmpint (open_seq, >, 1);
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(HqResp) r = push_van_claiming (day_last_seq - 2, cases[i].claim);

        if (r->status != 200)
          g_error ("push claiming %" G_GINT64_FORMAT ": %ld %s", cases[i].claim, r->status, r->body);
        g_assert_cmpuint (count_outcomes (r, "duplicate"), ==, 2);
        g_assert_cmpuint (n_mapped (r), ==, cases[i].mapped);
      }
  }
  g_assert_cmpint (hq_count_van01 (), ==, count);
  g_assert_cmpint (hq_pg_int (pg, "SELECT sum (balance) FROM accounts"), ==, balances);
  g_assert_cmpint (hq_pg_int (pg, "SELECT sum (paid) FROM bills"), ==, paid);
}

static void
test_push_gap (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(HqResp) r = NULL;
  VpJournalEntry *e;

  e = vp_shift_store_open (van, op, 10000, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  e = vp_service_log_store_add (van, op, VP_LOG_COMPLAINT, post_a, "noise", "meter hums", TRUE, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);

  r = push_van (day_last_seq + 1, 0);   /* leaves out day_last_seq + 1 */
  assert_error (r, 409, "gap");
  g_assert_cmpint (json_object_get_int_member (r->json, "expected_seq"), ==, day_last_seq + 1);
  g_assert_cmpint (hq_count_van01 (), ==, day_last_seq);
}

/* An entry of the van's journal as a JSON batch of one, with a change. */
static char *
batch_of_one (VpJournalEntry *e)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uuid");
  json_builder_add_string_value (b, e->uuid);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, e->seq);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, e->kind);
  json_builder_set_member_name (b, "payload");
  json_builder_add_string_value (b, e->payload);
  json_builder_set_member_name (b, "device_time");
  json_builder_add_int_value (b, e->device_time);
  json_builder_set_member_name (b, "monotonic_ms");
  json_builder_add_int_value (b, e->monotonic_ms);
  json_builder_set_member_name (b, "prev_hash");
  json_builder_add_string_value (b, e->prev_hash);
  json_builder_set_member_name (b, "hash");
  json_builder_add_string_value (b, e->hash);
  json_builder_set_member_name (b, "signature");
  json_builder_add_string_value (b, e->signature);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
expect_bad_entry (VpJournalEntry *e,
                  const char     *reason)
{
  g_autofree char *json = batch_of_one (e);
  g_autoptr(HqResp) r = push ("VAN01", bundle, token, json);

  assert_error (r, 422, "bad_entry");
  g_assert_cmpstr (json_object_get_string_member (r->json, "reason"), ==, reason);
  g_assert_cmpint (json_object_get_int_member (r->json, "seq"), ==, e->seq);
}

static void
test_push_altered (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) held = vp_journal_store_get (van, 2, &error);
  g_autoptr(VpJournalEntry) next = vp_journal_store_get (van, day_last_seq + 1, &error);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpSigner) other = vp_signer_generate (&error);
  gint64 count = hq_count_van01 ();

  g_assert_no_error (error);
  /* A held entry rewritten and re-sealed by the van's own key: altered. */
  e = vp_journal_entry_copy (held);
  g_free (e->payload);
  e->payload = g_strdup ("{\"account\": \"x\", \"amount\": 1}");
  g_assert_true (vp_journal_entry_seal (e, vp_database_get_signer (van), &error));
  expect_bad_entry (e, "altered");
  g_clear_pointer (&e, vp_journal_entry_free);

  /* The next entry with its payload changed but the old hash. */
  e = vp_journal_entry_copy (next);
  g_free (e->payload);
  e->payload = g_strdup ("{\"shift\": 2, \"float\": 99999900}");
  expect_bad_entry (e, "hash");
  /* … re-hashed, but signed by another key. */
  g_assert_true (vp_journal_entry_seal (e, other, &error));
  expect_bad_entry (e, "signature");
  g_clear_pointer (&e, vp_journal_entry_free);

  /* Not linked to the last entry HQ holds. */
  e = vp_journal_entry_copy (next);
  g_free (e->prev_hash);
  e->prev_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);
  g_assert_true (vp_journal_entry_seal (e, vp_database_get_signer (van), &error));
  expect_bad_entry (e, "prev_hash");

  g_assert_cmpint (hq_count_van01 (), ==, count);

  /* The genuine tail is still accepted afterwards. */
  {
    g_autoptr(HqResp) r = push_van (day_last_seq, 0);
    g_assert_cmpint (r->status, ==, 200);
    g_assert_cmpuint (count_outcomes (r, "accepted"), ==, 2);
    day_last_seq += 2;
  }
}

static void
test_push_wrong_key (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "wrong", NULL);
  g_autoptr(VpDatabase) van2 = NULL;
  g_autoptr(VpDatabase) van3 = NULL;
  g_autofree char *b3 = NULL;
  g_autofree char *pub = NULL;
  g_autofree char *b2 = g_build_filename (dir, "VAN02-bundle", NULL);
  g_autofree char *key2 = g_build_filename (dir, "VAN03.pub", NULL);
  g_autofree char *tok = NULL;
  g_autofree char *json = NULL;
  g_autoptr(HqResp) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = NULL;
  VpJournalEntry *e;

  g_mkdir_with_parents (dir, 0700);
  van2 = hq_make_van (dir, "VAN02", 3);
  van3 = hq_make_van (dir, "VAN03", 3);
  op = hq_van_staff (van2, "op01", "1234");
  e = vp_shift_store_open (van2, op, 100, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  /* VAN02 registered with VAN03's key. */
  b3 = hq_provision (van3, dir, "VAN03");
  g_assert_cmpint (hq_run (NULL, NULL, "provision", "VAN02", "--public-key", key2,
                           "--tls-dir", hq_env ("VANPOS_HQ_TLS_DIR"), "--url",
                           hq_env ("VANPOS_HQ_URL"), "--out", b2, NULL), ==, 0);
  tok = hq_session (b2, "VAN02");
  json = hq_batch_json (van2, 0, 0);
  r = push ("VAN02", b2, tok, json);
  assert_error (r, 422, "bad_entry");
  g_assert_cmpstr (json_object_get_string_member (r->json, "reason"), ==, "signature");
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM journal WHERE van = 'VAN02'"), ==, 0);

  /* VAN01's certificate and token cannot push as VAN02. */
  {
    g_autoptr(HqResp) r2 = push ("VAN02", bundle, token, json);
    assert_error (r2, 403, "forbidden");
  }
  /* VAN02's token is bound to VAN02. */
  {
    g_autofree char *j1 = hq_batch_json (van, 0, 1);
    g_autoptr(HqResp) r3 = push ("VAN01", bundle, tok, j1);
    assert_error (r3, 401, "auth");
  }
  (void) pub;
}

static void
test_push_paid_elsewhere (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(HqResp) r = NULL;
  g_autofree char *sql = NULL;
  JsonArray *results;
  JsonObject *res;
  VpJournalEntry *e;
  gint64 balance_before, credit;

  /* The van pays C's oldest bill in full … */
  e = vp_bill_store_pay (van, op, post_c, bill_c_due, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  /* … which HQ meanwhile has as paid (bank transfer). */
  sql = g_strdup_printf ("UPDATE bills SET paid = amount WHERE account = '%s' AND period = '%s'",
                         post_c, bill_c_period);
  PQclear (PQexec (pg, sql));
  g_free (sql);
  sql = g_strdup_printf ("SELECT balance FROM accounts WHERE number = '%s'", post_c);
  balance_before = hq_pg_int (pg, sql);

  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  results = json_object_get_array_member (r->json, "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 1);
  res = json_array_get_object_element (results, 0);
  g_assert_cmpstr (json_object_get_string_member (res, "outcome"), ==, "conflict");
  credit = json_object_get_int_member (res, "credit");
  g_assert_cmpint (credit, ==, bill_c_due);
  g_assert_nonnull (strstr (json_object_get_string_member (res, "detail"), "already paid at HQ"));
  g_assert_nonnull (strstr (json_object_get_string_member (res, "detail"), bill_c_period));
  /* Never lost, never doubled: all of it is credit now. */
  g_assert_cmpint (hq_pg_int (pg, sql), ==, balance_before + bill_c_due);
  day_last_seq++;
  /* Replaying it changes nothing. */
  {
    g_autoptr(HqResp) r2 = push_van (day_last_seq - 1, 0);
    g_assert_cmpuint (count_outcomes (r2, "duplicate"), ==, 1);
    g_assert_cmpint (hq_pg_int (pg, sql), ==, balance_before + bill_c_due);
  }
}

static void
test_push_transfer_flagged (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(HqResp) r = NULL;
  g_autofree char *csv = g_build_filename (tmp_dir, "change.csv", NULL);
  g_autofree char *text = NULL;
  g_autofree char *holder = NULL;
  VpChangeHolderRequest change = { 0 };
  JsonObject *res;
  VpJournalEntry *e;

  /* HQ changes A's phone after the van's last pull. */
  holder = van_stringf ("SELECT holder FROM accounts WHERE number = '%s'", post_a);
  text = g_strdup_printf ("number,holder,service,meter,tariff_class,phone\n"
                          "%s,%s,gas,postpaid,residential,13700137000\n", post_a, holder);
  g_assert_true (g_file_set_contents (csv, text, -1, NULL));
  g_assert_cmpint (hq_run (NULL, NULL, "import", "accounts", csv, NULL), ==, 0);

  change.number = post_a;
  change.new_holder = "周杰";
  change.new_id_number = "110101199003070011";
  change.new_phone = "13600136000";
  change.final_reading = van_intf ("SELECT last_reading + 1000 FROM accounts"
                                   " WHERE number = '%s'", post_a);
  change.carry_arrears = TRUE;
  change.carry_credit_consent = TRUE;
  e = vp_account_store_change_holder (van, op, &change, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);

  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  res = json_array_get_object_element (json_object_get_array_member (r->json, "results"), 0);
  g_assert_cmpstr (json_object_get_string_member (res, "outcome"), ==, "conflict");
  g_assert_nonnull (strstr (json_object_get_string_member (res, "detail"), "flagged for review"));
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags WHERE NOT resolved"), ==, 1);
  {
    g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM accounts WHERE number = '%s'"
                                            " AND holder = '周杰'", post_a);
    g_assert_cmpint (hq_pg_int (pg, sql), ==, 1);   /* applied */
  }
  day_last_seq++;
}

/* A break a supervisor acknowledged on the van reaches HQ as a signed
 * journal.break entry and is flagged for review (issue 8). */
static void
test_push_journal_break (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) why = g_error_new_literal (VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_ANCHOR,
                                               "the journal anchor is missing");
  g_autoptr(VpStaff) sup = hq_van_staff (van, "sup01", "9876");
  g_autoptr(HqResp) r = NULL;
  gint64 flags_before = hq_pg_int (pg, "SELECT count (*) FROM review_flags");
  JsonObject *res;
  VpJournalEntry *e;

  vp_database_set_break (van, why, 0);
  e = vp_journal_store_acknowledge_break (van, sup, "anchor lost with the old disk", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->kind, ==, VP_KIND_JOURNAL_BREAK);
  g_assert_cmpint (e->seq, ==, day_last_seq + 1);
  vp_journal_entry_free (e);
  g_assert_null (vp_database_get_break (van));

  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  res = json_array_get_object_element (json_object_get_array_member (r->json, "results"), 0);
  g_assert_nonnull (strstr (json_object_get_string_member (res, "detail"), "journal break"));
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags"), ==, flags_before + 1);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags WHERE reason LIKE"
                                  " 'journal break acknowledged by sup01 (0 entries lost):"
                                  " the journal anchor is missing'"), ==, 1);
  day_last_seq++;
}

static void
assert_same_balance (const char *number)
{
  g_autofree char *hq_sql = g_strdup_printf ("SELECT balance FROM accounts WHERE number = '%s'", number);
  g_autofree char *van_sql = g_strdup_printf ("SELECT balance FROM accounts WHERE number = '%s'", number);

  g_assert_cmpint (hq_pg_int (pg, hq_sql), ==, van_int (van_sql));
}

/* Credit moves, a voided top-up, a card reissue with a pending top-up and
 * a closing with a cash refund: HQ ends with the van's balances. */
static void
test_push_credit_card_close (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(VpStaff) sup = hq_van_staff (van, "sup01", "9876");
  g_autoptr(HqResp) r = NULL;
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;
  g_autofree char *old_card = NULL;
  g_autofree char *new_card = NULL;
  g_autofree char *sql = NULL;
  VpJournalEntry *e;
  gint64 intent, moved, n_new;

  x = van_stringf ("SELECT number FROM accounts WHERE balance > 0 AND card_number"
                   " IS NOT NULL AND number <> '%s' ORDER BY number LIMIT 1", prepaid);
  y = van_stringf ("SELECT number FROM accounts WHERE balance > 0 AND card_number"
                   " IS NOT NULL AND number NOT IN ('%s', '%s') ORDER BY number"
                   " LIMIT 1", prepaid, x);
  old_card = van_stringf ("SELECT card_number FROM accounts WHERE number = '%s'", y);
  moved = van_intf ("SELECT balance / 2 + 1 FROM accounts WHERE number = '%s'", x);

  if (vp_shift_store_current (van) == 0)
    {
      e = vp_shift_store_open (van, op, 10000, &error);
      g_assert_no_error (error);
      vp_journal_entry_free (e);
    }
  /* x and y have different holders: a supervisor approves the move. */
  e = vp_account_store_move_credit (van, op, sup, x, y, moved, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  e = vp_topup_store_intent (van, op, x, 3000, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  intent = e->seq;
  vp_journal_entry_free (e);
  e = vp_topup_store_void (van, op, intent, 0, "card not written", &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  e = vp_topup_store_intent (van, op, y, 2000, 0, VP_PAYMENT_CASH, NULL, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  e = vp_card_store_reissue (van, op, y, 500, VP_PAYMENT_CASH, NULL, "lost", &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  new_card = van_stringf ("SELECT card_number FROM accounts WHERE number = '%s'", y);
  g_assert_cmpstr (new_card, !=, old_card);
  e = vp_account_store_close (van, op, sup, y, NULL, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  n_new = vp_journal_store_last_seq (van) - day_last_seq;

  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  g_assert_cmpuint (count_outcomes (r, "accepted"), ==, (guint) n_new);
  day_last_seq += n_new;
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (r->json, "totals"),
                                               "amount"), ==,
                   van_int ("SELECT sum (amount) FROM journal"));

  assert_same_balance (x);
  assert_same_balance (y);
  sql = g_strdup_printf ("SELECT count (*) FROM accounts WHERE number = '%s' AND status = 'closed'"
                         " AND card_number = '%s'", y, new_card);
  g_assert_cmpint (hq_pg_int (pg, sql), ==, 1);
  g_free (sql);
  sql = g_strdup_printf ("SELECT count (*) FROM blocked_cards WHERE card_number IN ('%s', '%s')",
                         old_card, new_card);
  g_assert_cmpint (hq_pg_int (pg, sql), ==, 2);
}

static gint64
van_arrears (const char *number)
{
  return van_intf ("SELECT coalesce (sum (b.amount - b.paid), 0) FROM bills b JOIN"
                   " accounts a ON a.id = b.account_id WHERE a.number = '%s'", number);
}

static void
assert_same_bills (const char *number)
{
  g_autofree char *hq_sql = g_strdup_printf ("SELECT coalesce (sum (paid), 0) FROM bills"
                                             " WHERE account = '%s'", number);
  g_autofree char *van_sql = g_strdup_printf ("SELECT coalesce (sum (b.paid), 0) FROM bills b JOIN"
                                              " accounts a ON a.id = b.account_id"
                                              " WHERE a.number = '%s'", number);

  g_assert_cmpint (hq_pg_int (pg, hq_sql), ==, van_int (van_sql));
}

static VpJournalEntry *
ok_entry (VpJournalEntry *e,
          GError         *error)
{
  g_assert_no_error (error);
  g_assert_nonnull (e);
  return e;
}

/* The account position (issue 9): credit applied in a payment, bills
 * settled from credit, a credit refund, top-ups paid from credit (one
 * confirmed, one voided): HQ consumes the credit as the van did. */
static void
test_push_credit_position (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(VpStaff) sup = hq_van_staff (van, "sup01", "9876");
  g_autoptr(HqResp) r = NULL;
  g_autofree char *used = g_strdup_printf ("'%s', '%s', '%s', '%s'", post_a, post_b, post_c, prepaid);
  g_autofree char *p1 = NULL, *p2 = NULL, *z = NULL;
  VpPaymentMethod cash = VP_PAYMENT_CASH;
  VpJournalEntry *e;
  gint64 r1, r2, c1, q_credit, n_new, intent;

  p1 = van_stringf ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND"
                    " status = 'active' AND number NOT IN (%s) AND"
                    " (SELECT sum (amount - paid) FROM bills b WHERE b.account_id = a.id)"
                    " >= 2 ORDER BY a.number LIMIT 1", used);
  p2 = van_stringf ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND"
                    " status = 'active' AND number NOT IN ('%s', '%s') AND"
                    " (SELECT sum (amount - paid) FROM bills b WHERE b.account_id = a.id)"
                    " >= 1 ORDER BY a.number LIMIT 1", post_c, p1);
  z = van_stringf ("SELECT a.number FROM accounts a WHERE status = 'active' AND"
                   " number NOT IN (%s, '%s', '%s') AND NOT EXISTS (SELECT 1 FROM bills b"
                   " WHERE b.account_id = a.id AND b.paid < b.amount)"
                   " ORDER BY a.number LIMIT 1", used, p1, p2);
  r1 = van_arrears (p1);
  r2 = van_arrears (p2);
  assert_same_balance (p1);
  assert_same_balance (p2);
  assert_same_balance (z);
  assert_same_balance (prepaid);

  if (vp_shift_store_current (van) == 0)
    vp_journal_entry_free (ok_entry (vp_shift_store_open (van, op, 10000, &error), error));
  /* Money paid into an account without bills is credit to hand round. */
  vp_journal_entry_free (ok_entry (vp_bill_store_pay (van, op, z, 100000, VP_PAYMENT_CASH, NULL,
                                                      &error), error));
  /* p1 holds credit and arrears; paying the net plus ¥45.92 leaves
   * only credit. */
  vp_journal_entry_free (ok_entry (vp_account_store_move_credit (van, op, sup, z, p1, r1 / 2, &error),
                                   error));
  c1 = van_intf ("SELECT balance FROM accounts WHERE number = '%s'", p1);
  e = ok_entry (vp_bill_store_pay (van, op, p1, r1 - MIN (c1, r1) + 4592, VP_PAYMENT_CASH, NULL,
                                   &error), error);
  {
    g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);

    g_assert_cmpint (json_object_get_int_member (p, "credit_applied"), ==, MIN (c1, r1));
    g_assert_cmpint (json_object_get_int_member (p, "arrears_after"), ==, 0);
    g_assert_cmpint (json_object_get_int_member (p, "credit_after"), ==, c1 - MIN (c1, r1) + 4592);
  }
  vp_journal_entry_free (e);
  /* p2 (the demo van has few accounts with open bills: post_b, whose
   * payment was voided, may be it): credit covering its bills and ¥10.00 more, settled from credit;
   * a supervisor refunds ¥5.00 of what is left. */
  vp_journal_entry_free (ok_entry (vp_account_store_move_credit (van, op, sup, z, p2, r2 + 1000, &error),
                                   error));
  vp_journal_entry_free (ok_entry (vp_bill_store_settle_from_credit (van, op, p2, &error), error));
  vp_journal_entry_free (ok_entry (vp_bill_store_refund_credit (van, sup, p2, 500, "moving", &error),
                                   error));
  /* A top-up bought with all the credit and ¥10.00 cash, confirmed; then
   * one with ¥15.00 credit and ¥5.00 cash that never reached the card. */
  vp_journal_entry_free (ok_entry (vp_account_store_move_credit (van, op, sup, z, prepaid, 5000, &error),
                                   error));
  q_credit = van_intf ("SELECT balance FROM accounts WHERE number = '%s'", prepaid);
  /* ¥10.00 in cash beyond the credit, ¥50.00 handed over: ¥40.00 change. */
  e = ok_entry (vp_topup_store_intent_full (van, op, prepaid, q_credit + 1000, 0, TRUE, &cash, NULL,
                                            5000, &error), error);
  {
    g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);

    g_assert_cmpint (json_object_get_int_member (p, "amount"), ==, 1000);
    g_assert_cmpint (json_object_get_int_member (p, "tendered"), ==, 5000);
    g_assert_cmpint (json_object_get_int_member (p, "change"), ==, 4000);
  }
  intent = e->seq;
  vp_journal_entry_free (e);
  vp_journal_entry_free (ok_entry (vp_topup_store_confirm (van, op, intent, &error), error));
  vp_journal_entry_free (ok_entry (vp_account_store_move_credit (van, op, sup, z, prepaid, 1500, &error),
                                   error));
  e = ok_entry (vp_topup_store_intent_full (van, op, prepaid, 2000, 0, TRUE, &cash, NULL, 0, &error),
                error);
  intent = e->seq;
  vp_journal_entry_free (e);
  {
    g_autoptr(VpTopup) t = vp_topup_store_get (van, intent, &error);

    g_assert_no_error (error);
    vp_journal_entry_free (ok_entry (vp_topup_store_void (van, op, intent, t->counter - 1,
                                                          "card removed", &error), error));
  }
  n_new = vp_journal_store_last_seq (van) - day_last_seq;

  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  g_assert_cmpuint (count_outcomes (r, "accepted"), ==, (guint) n_new);
  day_last_seq += n_new;
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (r->json, "totals"),
                                               "amount"), ==,
                   van_int ("SELECT sum (amount) FROM journal"));
  assert_same_balance (p1);
  assert_same_balance (p2);
  assert_same_balance (z);
  assert_same_balance (prepaid);
  assert_same_bills (p1);
  assert_same_bills (p2);
  g_assert_cmpint (van_arrears (p2),
                   ==, 0);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags WHERE reason LIKE 'credit%'"),
                   ==, 0);
}

/* Reversals (issue 9): a credit move, a credit refund, closings with a
 * cash refund and into another account, a cash drop, each voided: HQ
 * ends with the van's balances and statuses, and the drawer totals agree. */
static void
void_last (VpStaff        *op,
           VpStaff        *sup,
           VpJournalEntry *e,
           GError         *error)
{
  g_autoptr(GError) void_error = NULL;
  VpJournalEntry *v;

  g_assert_no_error (error);
  g_assert_nonnull (e);
  v = vp_shift_store_void_requested (van, op, sup, e->seq, "keyed wrong", &void_error);
  g_assert_no_error (void_error);
  vp_journal_entry_free (v);
  vp_journal_entry_free (e);
}

static void
test_push_reversals (void)
{
  GError *error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(VpStaff) sup = hq_van_staff (van, "sup01", "9876");
  g_autoptr(HqResp) r = NULL;
  g_autofree char *a = NULL, *b = NULL, *sql = NULL;
  const char *free_account = "SELECT a.number FROM accounts a WHERE status = 'active' AND balance >= 2000"
                             " AND NOT EXISTS (SELECT 1 FROM bills x WHERE x.account_id = a.id AND"
                             " x.paid < x.amount) AND NOT EXISTS (SELECT 1 FROM topups t WHERE"
                             " t.account_id = a.id AND t.state = 'pending')";
  VpJournalEntry *e;
  gint64 n_new;

  a = van_stringf ("%s ORDER BY a.number LIMIT 1", free_account);
  b = van_stringf ("%s AND a.number <> '%s' ORDER BY a.number LIMIT 1", free_account, a);
  if (vp_shift_store_current (van) == 0)
    {
      e = vp_shift_store_open (van, op, 10000, &error);
      g_assert_no_error (error);
      vp_journal_entry_free (e);
    }
  e = vp_account_store_move_credit (van, op, sup, a, b, 1000, &error);
  void_last (op, sup, e, error);
  e = vp_bill_store_refund_credit (van, sup, a, 500, "asked", &error);
  void_last (op, sup, e, error);
  e = vp_account_store_close (van, op, sup, a, NULL, &error);
  void_last (op, sup, e, error);
  e = vp_account_store_close (van, op, sup, a, b, &error);
  void_last (op, sup, e, error);
  e = vp_cash_store_move (van, sup, VP_CASH_DROP, 1000, "safe", &error);
  void_last (op, sup, e, error);
  n_new = vp_journal_store_last_seq (van) - day_last_seq;

  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  g_assert_cmpuint (count_outcomes (r, "accepted"), ==, (guint) n_new);
  day_last_seq += n_new;
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (r->json, "totals"),
                                               "amount"), ==,
                   van_int ("SELECT sum (amount) FROM journal"));
  assert_same_balance (a);
  assert_same_balance (b);
  sql = g_strdup_printf ("SELECT count (*) FROM accounts WHERE number = '%s' AND status = 'active'", a);
  g_assert_cmpint (hq_pg_int (pg, sql), ==, 1);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags WHERE reason LIKE 'credit%'"),
                   ==, 0);
}

/* Reprints (issue 12): stored and accepted, moving no money, flagging
 * nothing. */
static void
test_push_reprints (void)
{
  GError *error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(HqResp) r = NULL;
  gint64 target = vp_journal_store_last_seq (van);
  gint64 flags = hq_pg_int (pg, "SELECT count (*) FROM review_flags");
  VpJournalEntry *e;

  for (int i = 0; i < 2; i++)
    {
      e = vp_receipt_store_reprint (van, op, target, &error);
      g_assert_no_error (error);
      vp_journal_entry_free (e);
    }
  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  g_assert_cmpuint (count_outcomes (r, "accepted"), ==, 2);
  day_last_seq += 2;
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM journal WHERE van = 'VAN01' AND"
                                  " kind = 'receipt.reprint' AND amount = 0 AND outcome = 'accepted'"),
                   ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (r->json, "totals"),
                                               "amount"), ==,
                   van_int ("SELECT sum (amount) FROM journal"));
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags"), ==, flags);
}

/* A supervisor's staff changes (issue 11): each stored and accepted,
 * moving no money, flagging nothing, and never carrying a PIN. */
static void
test_push_staff (void)
{
  GError *error = NULL;
  g_autoptr(VpStaff) sup = hq_van_staff (van, "sup01", "9876");
  g_autoptr(HqResp) r = NULL;
  gint64 flags = hq_pg_int (pg, "SELECT count (*) FROM review_flags");
  VpJournalEntry *e;

  e = vp_staff_store_add_by (van, sup, "op09", "韩冰", VP_ROLE_OPERATOR, "482913", 1000, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  e = vp_staff_store_reset_pin (van, sup, "op09", "583920", 1000, &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);
  e = vp_staff_store_disable (van, sup, "op09", &error);
  g_assert_no_error (error);
  vp_journal_entry_free (e);

  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  g_assert_cmpuint (count_outcomes (r, "accepted"), ==, 3);
  day_last_seq += 3;
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM journal WHERE van = 'VAN01' AND"
                                  " kind LIKE 'staff.%' AND amount = 0 AND outcome = 'accepted'"),
                   ==, 3);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM journal WHERE van = 'VAN01' AND"
                                  " kind LIKE 'staff.%' AND payload_text LIKE '%583920%'"),
                   ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (r->json, "totals"),
                                               "amount"), ==,
                   van_int ("SELECT sum (amount) FROM journal"));
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags"), ==, flags);
}

/* A reprint that breaks its kind's rule (here: one claiming money) is
 * stored, so the chain goes on, but flagged for review. Runs last: the
 * entry is sealed by hand and the van's journal never holds it. */
static void
test_push_bad_reprint (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) last = NULL;
  g_autoptr(VpJournalEntry) e = vp_journal_entry_new ();
  g_autoptr(HqResp) r = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *tok = hq_session (bundle, "VAN01");
  gint64 highest = hq_pg_int (pg, "SELECT max (seq) FROM journal WHERE van = 'VAN01'");
  gint64 flags = hq_pg_int (pg, "SELECT count (*) FROM review_flags");

  /* HQ first holds all of the van's journal. */
  json = hq_batch_json (van, highest, 0);
  r = push ("VAN01", bundle, tok, json);
  g_assert_cmpint (r->status, ==, 200);
  g_clear_pointer (&r, hq_resp_free);
  g_clear_pointer (&json, g_free);

  last = vp_journal_store_get (van, vp_journal_store_last_seq (van), &error);
  g_assert_no_error (error);
  e->uuid = g_uuid_string_random ();
  e->van_id = g_strdup ("VAN01");
  e->seq = last->seq + 1;
  e->kind = g_strdup (VP_KIND_RECEIPT_REPRINT);
  e->payload = g_strdup ("{\"reprinted_seq\":1,\"copy\":1,\"amount\":5000,\"method\":\"cash\","
                         "\"staff\":\"op01\"}");
  e->device_time = last->device_time + 1;
  e->monotonic_ms = last->monotonic_ms + 1;
  e->prev_hash = g_strdup (last->hash);
  g_assert_true (vp_journal_entry_seal (e, vp_database_get_signer (van), &error));
  g_assert_no_error (error);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "van");
  json_builder_add_string_value (b, "VAN01");
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
#define S(n, v) json_builder_set_member_name (b, n); json_builder_add_string_value (b, v)
#define I(n, v) json_builder_set_member_name (b, n); json_builder_add_int_value (b, v)
  S ("uuid", e->uuid);
  I ("seq", e->seq);
  S ("kind", e->kind);
  S ("payload", e->payload);
  I ("device_time", e->device_time);
  I ("monotonic_ms", e->monotonic_ms);
  S ("prev_hash", e->prev_hash);
  S ("hash", e->hash);
  S ("signature", e->signature);
#undef S
#undef I
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  r = push ("VAN01", bundle, tok, json);
  g_assert_cmpint (r->status, ==, 200);
  /* It breaks its kind's rule: stored, not applied, flagged (issue 10). */
  g_assert_cmpuint (count_outcomes (r, "rejected"), ==, 1);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM journal WHERE van = 'VAN01' AND"
                                  " kind = 'receipt.reprint' AND amount = 0 AND outcome = 'rejected'"),
                   ==, 1);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags"), ==, flags + 1);
  g_assert_cmpint (hq_pg_int (pg, "SELECT count (*) FROM review_flags WHERE reason LIKE"
                                  " '%a reprint moves no money%'"), ==, 1);
}

static void
test_http_malformed (void)
{
  gint64 count = hq_count_van01 ();
  g_autofree char *op_out = NULL;

  {
    g_autoptr(HqResp) r = push ("VAN01", bundle, token, "{\"entries\": [");
    assert_error (r, 400, "bad_request");
  }
  {
    g_autoptr(HqResp) r = push ("VAN01", bundle, token, "[1, 2]");
    assert_error (r, 400, "bad_request");
  }
  {
    g_autoptr(HqResp) r = push ("VAN01", bundle, token,
                                "{\"entries\": [{\"uuid\": \"a\", \"seq\": \"1\"}]}");
    assert_error (r, 400, "bad_request");
    g_assert_nonnull (strstr (json_object_get_string_member (r->json, "message"), "seq"));
  }
  {
    g_autoptr(HqResp) r = push ("VAN01", bundle, token, "{\"van\": \"VAN09\", \"entries\": []}");
    assert_error (r, 400, "bad_request");
  }
  /* The body is read as it streams (no JSON tree): each shape gets the
   * answer a tree would give, members HQ does not read are skipped at any
   * depth, and a member named twice counts as its last value. */
  {
    static const struct
    {
      const char *body;
      long        status;
      const char *words;   /* in the message; NULL: a success */
    } cases[] = {
      { "", 400, NULL },
      { "5", 400, "must be a JSON object" },
      { "\"entries\"", 400, "must be a JSON object" },
      { "{\"entries\": []} []", 400, "not valid JSON" },
      { "{\"entries\": [}", 400, "not valid JSON" },
      { "{\"entries\": {}}", 400, "“entries” must be an array" },
      { "{\"van\": \"VAN01\"}", 400, "“entries” must be an array" },
      { "{\"entries\": [], \"entries\": 5}", 400, "“entries” must be an array" },
      { "{\"entries\": [1]}", 400, "entries[0] must be an object" },
      { "{\"entries\": [[{\"uuid\": \"u\"}]]}", 400, "entries[0] must be an object" },
      { "{\"entries\": [{\"uuid\": 1}]}", 400, "entries[0].uuid must be a string" },
      { "{\"entries\": [{\"uuid\": \"u\", \"seq\": 1.0}]}", 400, "entries[0].seq must be an integer" },
      { "{\"entries\": [{\"uuid\": \"u\", \"seq\": {\"seq\": 1}}]}", 400,
        "entries[0].seq must be an integer" },
      { "{\"entries\": [{\"uuid\": \"u\", \"uuid\": null}]}", 400, "entries[0].uuid must be a string" },
      { "{\"entries\": [{\"uuid\": \"u\", \"seq\": 1, \"kind\": \"k\", \"payload\": \"{}\","
        " \"device_time\": 1, \"monotonic_ms\": 1, \"prev_hash\": \"p\", \"hash\": \"h\","
        " \"x\": {\"signature\": \"s\"}}]}", 400, "entries[0].signature must be a string" },
      { "{\"entries\": [{\"uuid\": \"u\", \"seq\": 1, \"kind\": \"k\", \"payload\": \"{}\","
        " \"device_time\": 1, \"monotonic_ms\": 1, \"prev_hash\": \"p\", \"hash\": \"h\","
        " \"signature\": \"s\"}, 7]}", 400, "entries[1] must be an object" },
      { "{\"acked_seq\": -1, \"entries\": []}", 400, "“acked_seq” must be a non-negative integer" },
      { "{\"acked_seq\": \"3\", \"entries\": []}", 400, "“acked_seq” must be a non-negative integer" },
      { "{\"acked_seq\": 99999999999999999999, \"entries\": []}", 400, NULL },
      { "{\"van\": [\"VAN01\"], \"entries\": []}", 400, "“van” must be the van in the URL" },
      { "{\"van\": \"VAN09\", \"van\": \"VAN01\", \"entries\": []}", 200, NULL },
      { "{\"entries\": 5, \"entries\": []}", 200, NULL },
      { "{\"x\": {\"entries\": 5, \"van\": \"VAN09\", \"y\": [[{\"acked_seq\": -1}]]},"
        " \"entries\": [], \"z\": [1, {\"van\": 2}]}", 200, NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(HqResp) r = push ("VAN01", bundle, token, cases[i].body);

        if (r->status != cases[i].status)
          g_error ("body %s: expected HTTP %ld, got %ld: %s", cases[i].body, cases[i].status,
                   r->status, r->body);
        if (cases[i].status == 400)
          {
            assert_error (r, 400, "bad_request");
            if (cases[i].words != NULL &&
                strstr (json_object_get_string_member (r->json, "message"), cases[i].words) == NULL)
              g_error ("body %s: \"%s\" not in \"%s\"", cases[i].body, cases[i].words,
                       json_object_get_string_member (r->json, "message"));
          }
      }
  }
  /* 1001 entries. */
  {
    g_autoptr(GString) s = g_string_new ("{\"entries\": [");
    for (int i = 0; i < 1001; i++)
      g_string_append_printf (s, "%s{}", i ? "," : "");
    g_string_append (s, "]}");
    {
      g_autoptr(HqResp) r = push ("VAN01", bundle, token, s->str);
      assert_error (r, 413, "too_large");
    }
  }
  /* A gzip body inflating past 16 MiB. */
  {
    gsize n = 17 * 1024 * 1024;
    g_autofree char *big = g_malloc (n + 1);
    memset (big, ' ', n);
    big[n] = '\0';
    {
      g_autoptr(HqResp) r = push ("VAN01", bundle, token, big);
      assert_error (r, 413, "too_large");
    }
    /* The same, uncompressed. */
    {
      g_autoptr(HqResp) r = hq_https ("POST", "/v1/vans/VAN01/journal", big, n, FALSE, bundle, token);
      assert_error (r, 413, "too_large");
    }
  }
  /* A body without a Content-Length is refused before it is read. */
  {
    const char *b = "{\"entries\": []}";
    g_autoptr(HqResp) r = hq_https ("POST-CHUNKED", "/v1/vans/VAN01/journal", b, strlen (b), FALSE,
                                    bundle, token);
    assert_error (r, 400, "bad_request");
    g_assert_nonnull (strstr (json_object_get_string_member (r->json, "message"), "Content-Length"));
  }
  /* Sessions: wrong PIN, an operator, no token. */
  {
    const char *b = "{\"staff\": \"sup01\", \"pin\": \"1111\"}";
    g_autoptr(HqResp) r = hq_https ("POST", "/v1/vans/VAN01/session", b, strlen (b), FALSE,
                                    bundle, NULL);
    assert_error (r, 401, "auth");
  }
  g_assert_cmpint (hq_run (&op_out, NULL, "staff-add", "op01", "--name", "李娜", "--role",
                           "operator", "--pin", "1234", "--pin-iterations", "1000", NULL), ==, 0);
  {
    const char *b = "{\"staff\": \"op01\", \"pin\": \"1234\"}";
    g_autoptr(HqResp) r = hq_https ("POST", "/v1/vans/VAN01/session", b, strlen (b), FALSE,
                                    bundle, NULL);
    assert_error (r, 403, "forbidden");
  }
  {
    g_autoptr(HqResp) r = push ("VAN01", bundle, NULL, "{\"entries\": []}");
    assert_error (r, 401, "auth");
  }
  g_assert_cmpint (hq_count_van01 (), ==, count);
}

static void
test_tls_refused (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "rogue", NULL);
  g_autofree char *cmd = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  /* No client certificate: the handshake succeeds (so /healthz and
   * /metrics answer without one) but every sync route refuses. */
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, NULL, NULL);
    assert_error (r, 401, "auth");
  }
  /* A certificate with CN=VAN01 from another CA. */
  g_mkdir_with_parents (dir, 0700);
  cmd = g_strdup_printf ("sh -c 'cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256"
                         " -nodes -keyout client.key -out client.crt -days 30 -subj /CN=VAN01"
                         " 2>/dev/null'", dir);
  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, dir, NULL);
    g_assert_cmpint (r->status, ==, 0);
  }
  /* An expired certificate issued by the HQ CA itself. */
  {
    g_autofree char *exp_dir = g_build_filename (tmp_dir, "expired", NULL);
    g_autofree char *k = g_build_filename (exp_dir, "client.key", NULL);
    g_autofree char *c = g_build_filename (exp_dir, "client.crt", NULL);
    g_autofree char *serial = NULL;

    g_mkdir_with_parents (exp_dir, 0700);
    g_assert_true (vp_hq_issue_client (hq_env ("VANPOS_HQ_TLS_DIR"), "VAN01", -1, k, c, &serial,
                                       &error));
    g_assert_no_error (error);
    {
      g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, exp_dir, NULL);
      g_assert_cmpint (r->status, ==, 0);
      g_assert_nonnull (r->curl_error);
    }
  }
  /* A valid certificate for VAN01 on VAN03's URL. */
  {
    const char *b = "{\"staff\": \"sup01\", \"pin\": \"9876\"}";
    g_autoptr(HqResp) r = hq_https ("POST", "/v1/vans/VAN03/session", b, strlen (b), FALSE,
                                    bundle, NULL);
    assert_error (r, 403, "forbidden");
  }
  /* The time call works with a good certificate … */
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, bundle, NULL);
    g_assert_cmpint (r->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (r->json, "hq_time"), >, 1700000000000);
  }
  /* … and not once the van is revoked; its tokens die too. */
  g_assert_cmpint (hq_run (NULL, NULL, "revoke", "VAN01", NULL), ==, 0);
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, bundle, NULL);
    assert_error (r, 403, "forbidden");
    g_assert_nonnull (strstr (json_object_get_string_member (r->json, "message"), "revoked"));
  }
  {
    g_autofree char *json = hq_batch_json (van, 0, 1);
    g_autoptr(HqResp) r = push ("VAN01", bundle, token, json);
    assert_error (r, 403, "forbidden");
  }
  /* Re-provisioning issues a new certificate; the old one stays refused. */
  {
    g_autofree char *old = g_strdup (bundle);
    g_autofree char *renamed = g_strconcat (bundle, "-old", NULL);
    g_assert_cmpint (g_rename (bundle, renamed), ==, 0);
    g_free (hq_provision (van, tmp_dir, "VAN01"));
    {
      g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, renamed, NULL);
      assert_error (r, 403, "forbidden");
    }
    {
      g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, old, NULL);
      g_assert_cmpint (r->status, ==, 200);
    }
  }
}

static void
test_status_export (void)
{
  g_autofree char *out = NULL;
  g_autofree char *csv = g_build_filename (tmp_dir, "day.csv", NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonArray *vans;
  gboolean found = FALSE;

  g_assert_cmpint (hq_run (&out, NULL, "status", "--json", NULL), ==, 0);
  node = json_from_string (out, NULL);
  g_assert_nonnull (node);
  vans = json_object_get_array_member (json_node_get_object (node), "vans");
  for (guint i = 0; i < json_array_get_length (vans); i++)
    {
      JsonObject *v = json_array_get_object_element (vans, i);
      if (g_str_equal (json_object_get_string_member (v, "van"), "VAN01"))
        {
          found = TRUE;
          g_assert_cmpint (json_object_get_int_member (v, "entries"), ==, day_last_seq);
          g_assert_cmpint (json_object_get_int_member (v, "highest_seq"), ==, day_last_seq);
          g_assert_cmpint (json_object_get_int_member (v, "amount"), ==,
                           van_intf ("SELECT sum (amount) FROM journal WHERE seq <= %"
                                     G_GINT64_FORMAT, day_last_seq));
          /* The two conflicts of the earlier pushes and the reported
           * journal break. */
          g_assert_cmpint (json_object_get_int_member (v, "conflicts"), ==, 3);
        }
    }
  g_assert_true (found);

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (hq_run (&out, NULL, "export-day", today, "--out", csv, NULL), ==, 0);
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  {
    g_auto(GStrv) lines = g_strsplit (g_strstrip (text), "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, (guint) day_last_seq + 1);
    g_assert_true (g_str_has_prefix (lines[0], "van,seq,uuid,kind"));
    g_assert_true (g_str_has_prefix (lines[1], "VAN01,1,"));
  }
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (hq_run (&out, NULL, "export-day", "2026-13-01", "--out", csv, NULL), ==, 1);
}

/* pg_ctl on the test's private cluster, as its owner. */
static void
pg_ctl (const char *action)
{
  const char *dir = hq_env ("VANPOS_HQ_DIR");
  const char *port = strstr (hq_env ("VANPOS_HQ_PG"), "port=") + 5;
  g_autofree char *port_s = g_strndup (port, strspn (port, "0123456789"));
  g_autofree char *script = g_strdup_printf (
    "cmd=\"/usr/lib/postgresql/15/bin/pg_ctl -D %s/data -l %s/postgres.log -w -m fast"
    " -o '-k %s -p %s -c listen_addresses=127.0.0.1' %s\";"
    " if [ $(id -u) = 0 ]; then runuser -u postgres -- sh -c \"$cmd\"; else sh -c \"$cmd\"; fi",
    dir, dir, dir, port_s, action);
  const char *argv[] = { "sh", "-c", script, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
}

static void
test_db_reconnect (void)
{
  g_autofree char *new_token = NULL;

  /* The database restarts: the next request reconnects. */
  PQfinish (pg);
  pg_ctl ("restart");
  new_token = hq_session (bundle, "VAN01");
  g_assert_nonnull (new_token);
  /* Down: 503, retryable. */
  pg_ctl ("stop");
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, bundle, NULL);
    assert_error (r, 503, "internal");
  }
  /* Back: served again. */
  pg_ctl ("start");
  {
    g_autoptr(HqResp) r = hq_https ("GET", "/v1/time", NULL, 0, FALSE, bundle, NULL);
    g_assert_cmpint (r->status, ==, 200);
  }
  {
    g_autofree char *json = hq_batch_json (van, 0, 3);
    g_autoptr(HqResp) r = push ("VAN01", bundle, new_token, json);
    g_assert_cmpint (r->status, ==, 200);
    g_assert_cmpuint (count_outcomes (r, "duplicate"), ==, 3);
  }
  pg = hq_pg ();
}

/* Change of holder settled right (issue 9): t1 holds credit and
 * arrears and has a final bill, settled in cash, then voided; t2's
 * credit covers its arrears and the rest is refunded in cash (supervisor).
 * HQ ends with the van's balances, bills, holders and classes. */
static void
test_push_transfer_position (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(VpStaff) sup = hq_van_staff (van, "sup01", "9876");
  g_autoptr(HqResp) r = NULL;
  g_autofree char *t1 = NULL, *t2 = NULL, *src = NULL;
  VpChangeHolderRequest change = { 0 };
  VpJournalEntry *e;
  gint64 r1, r2, n_new, settle_seq;

  t1 = van_string ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND"
                   " status = 'active' AND (SELECT sum (amount - paid) FROM bills b"
                   " WHERE b.account_id = a.id) >= 2 AND NOT EXISTS (SELECT 1 FROM bills b"
                   " WHERE b.account_id = a.id AND length (b.period) = 10)"
                   " ORDER BY a.number DESC LIMIT 1");
  t2 = van_stringf ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND"
                    " status = 'active' AND a.number <> '%s' AND NOT EXISTS (SELECT 1"
                    " FROM bills b WHERE b.account_id = a.id AND length (b.period) = 10)"
                    " ORDER BY a.number DESC LIMIT 1", t1);
  src = van_stringf ("SELECT number FROM accounts WHERE status = 'active' AND"
                     " number NOT IN ('%s', '%s')"
                     " ORDER BY balance DESC LIMIT 1", t1, t2);
  r1 = van_arrears (t1);
  r2 = van_arrears (t2);
  assert_same_bills (t1);
  assert_same_bills (t2);

  if (vp_shift_store_current (van) == 0)
    vp_journal_entry_free (ok_entry (vp_shift_store_open (van, op, 10000, &error), error));
  e = vp_account_store_move_credit (van, op, sup, src, t1, r1 / 2, &error);
  vp_journal_entry_free (ok_entry (e, error));
  e = vp_account_store_move_credit (van, op, sup, src, t2, r2 + 700, &error);
  vp_journal_entry_free (ok_entry (e, error));
  change.number = t1;
  change.new_holder = "钱进";
  change.new_id_number = "110101199003070038";
  change.new_phone = "13600136001";
  change.final_reading = van_intf ("SELECT last_reading + 2000 FROM accounts"
                                   " WHERE number = '%s'", t1);
  change.settle_arrears = TRUE;
  change.method = VP_PAYMENT_CASH;
  e = vp_account_store_change_holder (van, op, &change, &error);
  ok_entry (e, error);
  settle_seq = e->seq;
  vp_journal_entry_free (e);
  g_assert_cmpint (van_arrears (t1), ==, 0);

  change.number = t2;
  change.new_holder = "孙进";
  change.final_reading = van_intf ("SELECT last_reading FROM accounts"
                                   " WHERE number = '%s'", t2);
  change.settle_arrears = FALSE;
  change.refund_credit = TRUE;
  change.approver = sup;
  e = vp_account_store_change_holder (van, op, &change, &error);
  ok_entry (e, error);
  {
    g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);

    /* Credit nets the arrears; the rest (at least the ¥7.00 moved
     * beyond them) goes back in cash. */
    g_assert_cmpint (json_object_get_int_member (p, "credit_applied"), ==, r2);
    g_assert_cmpint (json_object_get_int_member (p, "credit_refunded"), ==,
                     json_object_get_int_member (p, "credit_before") - r2);
    g_assert_cmpint (json_object_get_int_member (p, "credit_refunded"), >=, 700);
  }
  vp_journal_entry_free (e);
  g_assert_cmpint (van_arrears (t2), ==, 0);
  /* Push the two, then the void of the first. */
  e = vp_shift_store_void (van, sup, settle_seq, "wrong account", &error);
  vp_journal_entry_free (ok_entry (e, error));
  n_new = vp_journal_store_last_seq (van) - day_last_seq;

  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  g_assert_cmpuint (count_outcomes (r, "accepted"), ==, (guint) n_new);
  day_last_seq += n_new;
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (r->json, "totals"),
                                               "amount"), ==,
                   van_int ("SELECT sum (amount) FROM journal"));
  assert_same_balance (t1);
  assert_same_balance (t2);
  assert_same_balance (src);
  assert_same_bills (t1);
  assert_same_bills (t2);
  g_assert_cmpint (hq_intf ("SELECT count (*) FROM bills WHERE account = '%s'", t1),
                   ==, van_intf ("SELECT count (*) FROM bills b JOIN accounts a"
                                 " ON a.id = b.account_id WHERE a.number = '%s'", t1));
  g_assert_cmpint (hq_intf ("SELECT count (*) FROM accounts WHERE number = '%s'"
                            " AND holder = '孙进' AND tariff_class = 'residential'"
                            " AND NOT elderly_alone", t2), ==, 1);
  g_assert_cmpint (hq_intf ("SELECT count (*) FROM accounts WHERE number = '%s'"
                            " AND holder = '钱进'", t1), ==, 0);
}

/* A change of holder's final bill counts in the year's tiers on both
 * sides (issue 9): 3 m³ billed at hand-over, then voided. */
static void
test_push_final_bill_year (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = hq_van_staff (van, "op01", "1234");
  g_autoptr(VpStaff) sup = hq_van_staff (van, "sup01", "9876");
  g_autoptr(HqResp) r = NULL;
  g_autofree char *t = NULL, *van_sql = NULL, *hq_sql = NULL;
  VpChangeHolderRequest change = { 0 };
  VpJournalEntry *e;
  gint64 n_new, seq, before;

  t = van_string ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND"
                  " status = 'active' AND tariff_class = 'residential' AND NOT EXISTS"
                  " (SELECT 1 FROM bills b WHERE b.account_id = a.id AND length (b.period) = 10)"
                  " ORDER BY a.number LIMIT 1");
  van_sql = g_strdup_printf ("SELECT CASE WHEN tariff_year = CAST (strftime ('%%Y', 'now', 'localtime')"
                             " AS INTEGER) THEN year_volume ELSE 0 END FROM accounts WHERE number = '%s'", t);
  hq_sql = g_strdup_printf ("SELECT year_volume FROM accounts WHERE number = '%s'", t);
  before = van_int (van_sql);
  if (vp_shift_store_current (van) == 0)
    vp_journal_entry_free (ok_entry (vp_shift_store_open (van, op, 10000, &error), error));
  change.number = t;
  change.new_holder = "周进";
  change.new_id_number = "110101199003070038";
  change.new_phone = "13600136002";
  change.final_reading = van_intf ("SELECT last_reading + 3000 FROM accounts"
                                   " WHERE number = '%s'", t);
  change.carry_arrears = TRUE;
  change.carry_credit_consent = TRUE;
  e = vp_account_store_change_holder (van, op, &change, &error);
  ok_entry (e, error);
  seq = e->seq;
  vp_journal_entry_free (e);
  g_assert_cmpint (van_int (van_sql), ==, before + 3000);

  n_new = vp_journal_store_last_seq (van) - day_last_seq;
  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  g_assert_cmpuint (count_outcomes (r, "accepted"), ==, (guint) n_new);
  day_last_seq += n_new;
  g_assert_cmpint (hq_pg_int (pg, hq_sql), ==, before + 3000);
  g_clear_pointer (&r, hq_resp_free);

  e = vp_shift_store_void (van, sup, seq, "wrong reading", &error);
  vp_journal_entry_free (ok_entry (e, error));
  g_assert_cmpint (van_int (van_sql), ==, before);
  n_new = vp_journal_store_last_seq (van) - day_last_seq;
  r = push_van (day_last_seq, 0);
  g_assert_cmpint (r->status, ==, 200);
  g_assert_cmpuint (count_outcomes (r, "accepted"), ==, (guint) n_new);
  day_last_seq += n_new;
  g_assert_cmpint (hq_pg_int (pg, hq_sql), ==, before);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  curl_global_init (CURL_GLOBAL_DEFAULT);

  /* Inside the wrapper's dir, which it removes even if this aborts. */
  tmp_dir = g_build_filename (hq_env ("VANPOS_HQ_DIR"), "test", NULL);
  g_assert_cmpint (g_mkdir_with_parents (tmp_dir, 0700), ==, 0);
  pg = hq_pg ();
  van = hq_make_van (tmp_dir, "VAN01", 40);
  post_a = van_string ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND"
                       " (SELECT count (*) FROM bills b WHERE b.account_id = a.id) >= 2"
                       " ORDER BY a.number LIMIT 1");
  post_b = van_stringf ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND"
                        " EXISTS (SELECT 1 FROM bills b WHERE b.account_id = a.id)"
                        " AND number > '%s' ORDER BY a.number LIMIT 1", post_a);
  post_c = van_stringf ("SELECT a.number FROM accounts a WHERE meter = 'postpaid' AND"
                        " EXISTS (SELECT 1 FROM bills b WHERE b.account_id = a.id)"
                        " AND number > '%s' ORDER BY a.number LIMIT 1", post_b);
  prepaid = van_string ("SELECT number FROM accounts WHERE card_number IS NOT NULL"
                        " ORDER BY number LIMIT 1");
  bill_c_period = van_stringf ("SELECT min (b.period) FROM bills b JOIN accounts a"
                               " ON a.id = b.account_id WHERE a.number = '%s'", post_c);
  bill_c_due = van_intf ("SELECT b.amount FROM bills b JOIN accounts a"
                         " ON a.id = b.account_id WHERE a.number = '%s'"
                         " AND b.period = '%s'", post_c, bill_c_period);
  hq_export_master (van, tmp_dir);
  bundle = hq_provision (van, tmp_dir, "VAN01");
  token = hq_session (bundle, "VAN01");

  g_test_add_func ("/hq/schema/idempotent", test_schema_idempotent);
  g_test_add_func ("/hq/import/errors", test_import_errors);
  g_test_add_func ("/hq/pull/paging", test_pull_paging);
  g_test_add_func ("/hq/push/day", test_push_day);
  g_test_add_func ("/hq/push/replay", test_push_replay);
  g_test_add_func ("/hq/push/gap", test_push_gap);
  g_test_add_func ("/hq/push/altered", test_push_altered);
  g_test_add_func ("/hq/push/wrong-key", test_push_wrong_key);
  g_test_add_func ("/hq/push/paid-elsewhere", test_push_paid_elsewhere);
  g_test_add_func ("/hq/push/transfer-flagged", test_push_transfer_flagged);
  g_test_add_func ("/hq/push/journal-break", test_push_journal_break);
  g_test_add_func ("/hq/push/credit-card-close", test_push_credit_card_close);
  g_test_add_func ("/hq/push/credit-position", test_push_credit_position);
  g_test_add_func ("/hq/push/reversals", test_push_reversals);
  g_test_add_func ("/hq/push/transfer-position", test_push_transfer_position);
  g_test_add_func ("/hq/push/final-bill-year", test_push_final_bill_year);
  g_test_add_func ("/hq/push/reprints", test_push_reprints);
  g_test_add_func ("/hq/push/staff", test_push_staff);
  g_test_add_func ("/hq/http/malformed", test_http_malformed);
  g_test_add_func ("/hq/tls/refused", test_tls_refused);
  g_test_add_func ("/hq/admin/status-export", test_status_export);
  g_test_add_func ("/hq/db/reconnect", test_db_reconnect);
  g_test_add_func ("/hq/last/bad-reprint", test_push_bad_reprint);
  rc = g_test_run ();

  g_clear_object (&van);
  PQfinish (pg);
  g_free (post_a);
  g_free (post_b);
  g_free (post_c);
  g_free (prepaid);
  g_free (bill_c_period);
  g_free (bundle);
  g_free (token);
  g_free (tmp_dir);
  return rc;
}
