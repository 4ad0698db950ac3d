/* test-sync-unit.c: strict parsing of HQ's answers, gzip, settings
 * checks, and the transactional import of pushes and master pages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <zlib.h>

#include "sync-test-util.h"

typedef struct
{
  char       *dir;
  VpDatabase *db;
  VpService  *service;
} Van;

static Van *
van_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  Van *v = g_new0 (Van, 1);

  v->dir = g_dir_make_tmp ("vanpos-sync-unit-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (v->dir, "van.db", NULL);
  v->db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (vp_database_init_van (v->db, "VAN01", &error));
  g_assert_true (vp_demo_populate (v->db, 10, 1, 1000, NULL, NULL, &error));
  v->service = vp_service_new (v->db);
  return v;
}

static void
van_free (Van *v)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", v->dir);

  g_clear_object (&v->service);
  g_clear_object (&v->db);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (v->dir);
  g_free (v);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

static char *
first_number (VpDatabase *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = vp_account_store_search (db, "", 0, 1, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  return g_strdup (((VpAccount *)g_ptr_array_index (list, 0))->number);
}

static void
test_gzip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GBytes) gz = NULL;
  guint8 *plain;
  gsize gz_len;
  const guint8 *gz_data;
  z_stream zs = { 0 };

  for (int i = 0; i < 2000; i++)
    g_string_append_printf (text, "{\"seq\": %d, \"kind\": \"pay\"},", i);
  gz = vp_sync_gzip ((const guint8 *)text->str, text->len, &error);
  g_assert_no_error (error);
  gz_data = g_bytes_get_data (gz, &gz_len);
  g_assert_cmpuint (gz_len, <, text->len / 5);
  g_assert_cmpuint (gz_data[0], ==, 0x1f);   /* gzip magic */
  g_assert_cmpuint (gz_data[1], ==, 0x8b);

  plain = g_malloc (text->len + 1);
  g_assert_cmpint (inflateInit2 (&zs, 15 + 16), ==, Z_OK);
  zs.next_in = (Bytef *)gz_data;
  zs.avail_in = gz_len;
  zs.next_out = plain;
  zs.avail_out = text->len + 1;
  g_assert_cmpint (inflate (&zs, Z_FINISH), ==, Z_STREAM_END);
  g_assert_cmpuint (zs.total_out, ==, text->len);
  g_assert_cmpmem (plain, text->len, text->str, text->len);
  inflateEnd (&zs);
  g_free (plain);
}

static GPtrArray *
fake_batch (void)
{
  GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_journal_entry_free);

  for (int i = 0; i < 3; i++)
    {
      VpJournalEntry *e = vp_journal_entry_new ();

      e->seq = 41 + i;
      e->uuid = g_strdup_printf ("00000000-0000-4000-8000-00000000004%d", 1 + i);
      g_ptr_array_add (batch, e);
    }
  return batch;
}

#define GOOD_RESULTS \
  "\"results\": [{\"seq\": 41, \"uuid\": \"00000000-0000-4000-8000-000000000041\", \"outcome\": \"accepted\"}," \
  "{\"seq\": 42, \"uuid\": \"00000000-0000-4000-8000-000000000042\", \"outcome\": \"duplicate\"}," \
  "{\"seq\": 43, \"uuid\": \"00000000-0000-4000-8000-000000000043\", \"outcome\": \"conflict\"," \
  " \"detail\": \"bill 2026-09 already paid at HQ; ¥86.28 credited\", \"credit\": 8628}]"

static void
test_push_answer (void)
{
  g_autoptr(GPtrArray) batch = fake_batch ();
  g_autoptr(GError) error = NULL;
  g_autofree char *prov = vp_account_number_make_provisional ("VAN01", 1);
  g_autofree char *real = vp_account_number_make (9000000001);
  g_autofree char *good = g_strdup_printf ("{\"acked_seq\": 43, \"hq_time\": 1795433318502, " GOOD_RESULTS
                                           ", \"accounts\": [{\"provisional\": \"%s\", \"number\": \"%s\"}],"
                                           " \"totals\": {\"entries\": 43, \"amount\": -150}}", prov, real);
  struct { const char *text; const char *message; } bad[] = {
    { "[]", "not a JSON object" },
    { "{\"acked_seq\": \"43\", \"hq_time\": 1, " GOOD_RESULTS ", \"totals\": {\"entries\": 43, \"amount\": 0}}",
      "“acked_seq” is not an integer" },
    { "{\"acked_seq\": 43.0, \"hq_time\": 1, " GOOD_RESULTS ", \"totals\": {\"entries\": 43, \"amount\": 0}}",
      "“acked_seq” is not an integer" },
    { "{\"acked_seq\": 43, \"hq_time\": 1, " GOOD_RESULTS "}", "“totals” is not an object" },
    { "{\"acked_seq\": 43, " GOOD_RESULTS ", \"totals\": {\"entries\": 43, \"amount\": 0}}",
      "“hq_time” is missing" },
    { "{\"acked_seq\": 42, \"hq_time\": 1, " GOOD_RESULTS ", \"totals\": {\"entries\": 43, \"amount\": 0}}",
      "acknowledges up to entry 42 after receiving entries up to 43" },
    { "{\"acked_seq\": 43, \"hq_time\": 1, \"results\": [], \"totals\": {\"entries\": 43, \"amount\": 0}}",
      "0 results for 3 entries" },
    { "{\"acked_seq\": 43, \"hq_time\": 1, \"results\": ["
      "{\"seq\": 41, \"uuid\": \"00000000-0000-4000-8000-000000000041\", \"outcome\": \"accepted\"},"
      "{\"seq\": 42, \"uuid\": \"00000000-0000-4000-8000-000000000099\", \"outcome\": \"accepted\"},"
      "{\"seq\": 43, \"uuid\": \"00000000-0000-4000-8000-000000000043\", \"outcome\": \"accepted\"}],"
      " \"totals\": {\"entries\": 43, \"amount\": 0}}", "not the van's entry" },
    { "{\"acked_seq\": 43, \"hq_time\": 1, \"results\": ["
      "{\"seq\": 41, \"uuid\": \"00000000-0000-4000-8000-000000000041\", \"outcome\": \"accepted\"},"
      "{\"seq\": 41, \"uuid\": \"00000000-0000-4000-8000-000000000041\", \"outcome\": \"accepted\"},"
      "{\"seq\": 43, \"uuid\": \"00000000-0000-4000-8000-000000000043\", \"outcome\": \"accepted\"}],"
      " \"totals\": {\"entries\": 43, \"amount\": 0}}", "listed twice" },
    { "{\"acked_seq\": 43, \"hq_time\": 1, \"results\": ["
      "{\"seq\": 41, \"uuid\": \"00000000-0000-4000-8000-000000000041\", \"outcome\": \"accepted\"},"
      "{\"seq\": 42, \"uuid\": \"00000000-0000-4000-8000-000000000042\", \"outcome\": \"lost\"},"
      "{\"seq\": 43, \"uuid\": \"00000000-0000-4000-8000-000000000043\", \"outcome\": \"accepted\"}],"
      " \"totals\": {\"entries\": 43, \"amount\": 0}}", "invalid outcome “lost”" },
    { "{\"acked_seq\": 43, \"hq_time\": 1, " GOOD_RESULTS ", \"accounts\": [{\"provisional\": \"P-VAN01-000001\","
      " \"number\": \"12345678901\"}], \"totals\": {\"entries\": 43, \"amount\": 0}}", "invalid account number" },
  };
  g_autoptr(JsonNode) root = parse (good);
  g_autoptr(VpPushAck) ack = vp_sync_parse_push_answer (root, batch, &error);
  VpPushOutcome *c;

  g_assert_no_error (error);
  g_assert_cmpint (ack->acked_seq, ==, 43);
  g_assert_cmpint (ack->hq_time, ==, 1795433318502);
  g_assert_cmpint (ack->total_entries, ==, 43);
  g_assert_cmpint (ack->total_amount, ==, -150);
  g_assert_cmpuint (ack->results->len, ==, 3);
  c = g_ptr_array_index (ack->results, 2);
  g_assert_cmpstr (c->outcome, ==, "conflict");
  g_assert_cmpint (c->credit, ==, 8628);
  g_assert_cmpuint (ack->renames->len, ==, 1);
  g_assert_cmpstr (((VpAccountRename *)g_ptr_array_index (ack->renames, 0))->number, ==, real);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) n = parse (bad[i].text);
      g_autoptr(GError) e = NULL;
      g_autoptr(VpPushAck) a = vp_sync_parse_push_answer (n, batch, &e);

      g_assert_null (a);
      g_assert_error (e, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL);
      if (strstr (e->message, bad[i].message) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, e->message, bad[i].message);
    }
}

static char *
master_page (const char *account_number,
             const char *holder,
             gint64      balance,
             const char *bill_account,
             const char *period,
             const char *tiers,
             const char *pin_hash)
{
  return g_strdup_printf ("{\"cursor\": \"c2\", \"more\": false, \"hq_time\": 1795433318502,"
                          " \"accounts\": [{\"number\": \"%s\", \"holder\": \"%s\", \"phone\": \"13800138000\","
                          " \"id_number\": \"\", \"estate\": \"长江花园\", \"building\": \"5\", \"unit\": \"1\","
                          " \"room\": \"101\", \"service\": \"gas\", \"meter\": \"postpaid\","
                          " \"tariff_class\": \"residential\", \"concession_expiry\": null,"
                          " \"elderly_alone\": true, \"needs_visit\": false, \"balance\": %" G_GINT64_FORMAT ","
                          " \"card_number\": null, \"card_counter\": 0, \"year_volume\": 0,"
                          " \"tariff_year\": 2026, \"last_reading\": 0, \"status\": \"active\"}],"
                          " \"bills\": [{\"hq_id\": \"B-1\", \"account\": \"%s\", \"period\": \"%s\","
                          " \"amount\": 8628, \"paid\": 0}],"
                          " \"tariffs\": [{\"service\": \"gas\", \"class\": \"residential\", \"version\": 9,"
                          " \"tiers\": \"%s\", \"free_allowance\": 0, \"discount_permille\": 0,"
                          " \"valid_from\": \"2026-01-01\"}],"
                          " \"staff\": [{\"id\": \"sup02\", \"name\": \"李主管\", \"role\": \"supervisor\","
                          " \"pin_hash\": \"%s\", \"active\": true}],"
                          " \"blocked_cards\": [{\"card_number\": \"C-LOST-1\", \"reason\": \"lost\"}],"
                          " \"account_numbers\": []}",
                          account_number, holder, balance, bill_account, period, tiers, pin_hash);
}

static VpMasterPage *
parse_page (const char  *text,
            GError     **error)
{
  g_autoptr(JsonNode) n = parse (text);

  return vp_sync_parse_master_page (n, error);
}

static void
test_master_page_validation (void)
{
  g_autofree char *number = vp_account_number_make (9000000001);
  const char *pbkdf2 = "pbkdf2-sha256$1000$c2FsdA==$aGFzaA==";
  struct { char *text; const char *message; } bad[] = {
    { master_page ("12345678901", "张三", 0, number, "2026-09", "300:298,*:447", pbkdf2), "invalid number" },
    { master_page (number, "", 0, number, "2026-09", "300:298,*:447", pbkdf2), "“holder” is empty" },
    { master_page (number, "张\\u0001三", 0, number, "2026-09", "300:298,*:447", pbkdf2), "control characters" },
    { master_page (number, "张三", -5, number, "2026-09", "300:298,*:447", pbkdf2), "“balance” is out of range" },
    { master_page (number, "张三", 0, number, "2026-13", "300:298,*:447", pbkdf2), "invalid period" },
    { master_page (number, "张三", 0, number, "2026-09", "300:298,200:447", pbkdf2), "invalid tier table" },
    { master_page (number, "张三", 0, number, "2026-09", "300:298,*:447", "plain:9876"), "invalid pin_hash" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *good = master_page (number, "张三", 100, number, "2026-09", "300:298,*:447", pbkdf2);
  g_autoptr(VpMasterPage) page = parse_page (good, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (page->cursor, ==, "c2");
  g_assert_false (page->more);
  g_assert_cmpuint (page->accounts->len, ==, 1);
  g_assert_true (((VpAccount *)g_ptr_array_index (page->accounts, 0))->elderly_alone);
  g_assert_cmpuint (page->bills->len, ==, 1);
  g_assert_cmpuint (page->tariffs->len, ==, 1);
  g_assert_cmpuint (page->staff->len, ==, 1);
  g_assert_cmpuint (page->blocked_cards->len, ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(VpMasterPage) p = parse_page (bad[i].text, &e);

      g_assert_null (p);
      g_assert_error (e, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL);
      if (strstr (e->message, bad[i].message) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, e->message, bad[i].message);
      g_free (bad[i].text);
    }
  {
    g_autoptr(GError) e = NULL;
    g_autoptr(VpMasterPage) p = parse_page ("{\"cursor\": \"x\", \"more\": \"no\", \"hq_time\": 1}", &e);

    g_assert_error (e, VP_SYNC_ERROR, VP_SYNC_ERROR_PROTOCOL);
  }
}

static void
test_import_page (void)
{
  Van *v = van_new ();
  g_autofree char *number = first_number (v->db);
  g_autofree char *unknown = vp_account_number_make (9000000001);
  const char *pbkdf2 = "pbkdf2-sha256$1000$c2FsdA==$aGFzaA==";
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) before = vp_account_store_get (v->db, number, &error);
  VpMasterImportStats stats = { 0 };

  g_assert_no_error (error);

  /* A bill for an account the van does not have: the whole page is refused. */
  {
    g_autofree char *text = master_page (number, "新户主", before->balance + 500, unknown, "2026-09",
                                         "300:298,*:447", pbkdf2);
    g_autoptr(VpMasterPage) page = parse_page (text, &error);
    g_autoptr(VpAccount) after = NULL;

    g_assert_no_error (error);
    g_assert_false (vp_sync_store_import_page (v->db, page, &stats, &error));
    g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    after = vp_account_store_get (v->db, number, &error);
    g_assert_cmpstr (after->holder, ==, before->holder);
    g_assert_null (vp_database_get_meta (v->db, VP_META_MASTER_CURSOR));
    g_assert_cmpint (stats.accounts, ==, 0);
  }

  /* A good page: everything and the cursor, together. */
  {
    g_autofree char *text = master_page (number, "新户主", before->balance + 500, number, "2026-09",
                                         "300:298,*:447", pbkdf2);
    g_autoptr(VpMasterPage) page = parse_page (text, &error);
    g_autoptr(VpAccount) after = NULL;
    g_autofree char *cursor = NULL;

    g_assert_true (vp_sync_store_import_page (v->db, page, &stats, &error));
    g_assert_no_error (error);
    after = vp_account_store_get (v->db, number, &error);
    g_assert_cmpstr (after->holder, ==, "新户主");
    g_assert_cmpint (after->balance, ==, before->balance + 500);
    g_assert_cmpint (after->arrears, >=, 8628);
    cursor = vp_database_get_meta (v->db, VP_META_MASTER_CURSOR);
    g_assert_cmpstr (cursor, ==, "c2");
    g_assert_cmpint (stats.accounts, ==, 1);
    g_assert_cmpint (stats.bills, ==, 1);
    g_assert_cmpint (stats.staff, ==, 1);
    g_assert_cmpint (stats.blocked_cards, ==, 1);
    g_assert_cmpint (stats.balances_kept, ==, 0);
  }

  /* An account with an entry still in the outbox keeps its balance. */
  {
    g_autoptr(VpStaff) op = vp_service_login (v->service, "op01", "1234", &error);
    g_autoptr(VpJournalEntry) e = vp_service_log (v->service, op, VP_LOG_VISIT, number, NULL,
                                                  "meter check", &error);
    g_autofree char *text = master_page (number, "新户主", 1, number, "2026-09", "300:298,*:447", pbkdf2);
    g_autoptr(VpMasterPage) page = parse_page (text, &error);
    g_autoptr(VpAccount) after = NULL;
    VpMasterImportStats s2 = { 0 };

    g_assert_no_error (error);
    g_assert_true (vp_sync_store_import_page (v->db, page, &s2, &error));
    after = vp_account_store_get (v->db, number, &error);
    g_assert_cmpint (after->balance, ==, before->balance + 500);
    g_assert_cmpint (s2.balances_kept, ==, 1);
  }
  van_free (v);
}

static void
test_record_push (void)
{
  Van *v = van_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VpStaff) op = vp_service_login (v->service, "op01", "1234", &error);
  g_autoptr(VpJournalEntry) e = vp_service_log (v->service, op, VP_LOG_CONSULTATION, NULL, "billing",
                                                "question", &error);
  g_autoptr(VpAccount) prov = g_new0 (VpAccount, 1);
  g_autoptr(VpPushAck) ack = vp_push_ack_new ();
  g_autofree char *real = vp_account_number_make (9000000001);
  gint64 renamed = 0;
  VpPushOutcome *o = g_new0 (VpPushOutcome, 1);

  g_assert_no_error (error);
  prov->number = vp_account_number_make_provisional ("VAN01", 1);
  prov->holder = g_strdup ("王小明");
  prov->estate = g_strdup ("长江花园");
  prov->status = VP_ACCOUNT_PROVISIONAL;
  g_assert_true (vp_account_store_insert (v->db, prov, &error));

  /* HQ cannot acknowledge entries the van never wrote. */
  ack->acked_seq = 2;
  g_assert_false (vp_sync_store_record_push (v->db, ack, &renamed, &error));
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (vp_outbox_store_count_pending (v->db), ==, 1);

  ack->acked_seq = 1;
  ack->total_entries = 1;
  ack->hq_time = 1795433318502;
  o->seq = 1;
  o->uuid = g_strdup (e->uuid);
  o->outcome = g_strdup ("accepted");
  g_ptr_array_add (ack->results, o);
  g_ptr_array_add (ack->renames, vp_account_rename_new (prov->number, real));
  g_assert_true (vp_sync_store_record_push (v->db, ack, &renamed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (renamed, ==, 1);
  g_assert_cmpint (vp_outbox_store_count_pending (v->db), ==, 0);
  g_assert_cmpint (vp_database_get_meta_int (v->db, VP_META_ACKED_SEQ, 0), ==, 1);
  g_assert_cmpint (vp_database_get_meta_int (v->db, VP_META_LAST_HQ_TIME, 0), ==, 1795433318502);
  {
    g_autoptr(VpAccount) a = vp_account_store_get (v->db, real, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (a->holder, ==, "王小明");
    g_assert_cmpint (a->status, ==, VP_ACCOUNT_ACTIVE);
  }
  /* The same answer again (a lost answer replayed) renames nothing more. */
  g_assert_true (vp_sync_store_record_push (v->db, ack, &renamed, &error));
  g_assert_cmpint (renamed, ==, 0);
  van_free (v);
}

static void
test_config_checks (void)
{
  Van *v = van_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename (v->dir, "van.db", NULL);
  VpSyncConfig c = { (char *)"VAN01", (char *)"http://127.0.0.1:1", (char *)"sha256//x", file, file, file };
  g_autoptr(VpSyncClient) client = vp_sync_client_new_for_database (v->db, &error);

  g_assert_null (client);
  g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED);
  g_clear_error (&error);

  g_assert_null (vp_sync_client_new (&c, &error));
  g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "not an https:// URL"));
  g_clear_error (&error);
  c.url = (char *)"https://127.0.0.1:1";
  g_assert_null (vp_sync_client_new (&c, &error));
  g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "sha256//"));
  g_clear_error (&error);
  c.pins = (char *)"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  c.key_path = (char *)"/nonexistent/client.key";
  g_assert_null (vp_sync_client_new (&c, &error));
  g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_CLIENT_CERT);
  g_clear_error (&error);
  c.key_path = file;
  g_assert_null (vp_sync_client_new (&c, &error));
  g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "HQ CA certificate"));
  g_clear_error (&error);

  /* A bundle for another van is refused. */
  {
    g_autofree char *bundle = g_build_filename (v->dir, "bundle", NULL);
    g_autofree char *hq = g_build_filename (bundle, "hq.json", NULL);
    const char *names[] = { "ca.crt", "client.crt", "client.key", "card.key" };

    g_mkdir (bundle, 0700);
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *p = g_build_filename (bundle, names[i], NULL);
        g_assert_true (g_file_set_contents (p, "x", -1, NULL));
      }
    g_assert_true (g_file_set_contents (hq, "{\"van\": \"VAN09\", \"url\": \"https://127.0.0.1:1\","
                                            " \"pins\": \"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
                                        -1, NULL));
    g_assert_false (vp_sync_setup_from_bundle (v->db, bundle, &error));
    g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED);
    g_assert_nonnull (strstr (error->message, "for van VAN09"));
    g_assert_null (vp_database_get_meta (v->db, VP_META_HQ_URL));
  }
  /* A receipt check address that is not one is refused, nothing kept
   * (issue 12). */
  {
    g_autofree char *bundle = g_build_filename (v->dir, "bundle", NULL);
    g_autofree char *hq = g_build_filename (bundle, "hq.json", NULL);

    g_clear_error (&error);
    g_assert_true (g_file_set_contents (hq, "{\"van\": \"VAN01\", \"url\": \"https://127.0.0.1:1\","
                                            " \"pins\": \"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\","
                                            " \"receipt_check_url\": \"ftp://check.example.cn\"}",
                                        -1, NULL));
    g_assert_false (vp_sync_setup_from_bundle (v->db, bundle, &error));
    g_assert_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED);
    g_assert_nonnull (strstr (error->message, "receipt_check_url"));
    g_clear_error (&error);
    g_assert_null (vp_database_get_meta (v->db, VP_META_HQ_URL));
    g_assert_null (vp_receipt_store_get_check_url (v->db));
  }
  van_free (v);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sync/unit/gzip", test_gzip);
  g_test_add_func ("/sync/unit/push-answer", test_push_answer);
  g_test_add_func ("/sync/unit/master-page", test_master_page_validation);
  g_test_add_func ("/sync/unit/import-page", test_import_page);
  g_test_add_func ("/sync/unit/record-push", test_record_push);
  g_test_add_func ("/sync/unit/config", test_config_checks);
  return g_test_run ();
}
