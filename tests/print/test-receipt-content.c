/* test-receipt-content.c: what a receipt says (issue 12): the marks of a
 * duplicate and of a voided entry, the reversal's own receipt, the full
 * price of a top-up, the Z slip's closing head, the QR payload of HQ's
 * receipt check and its format; a PDF whose text holds the number and
 * the Chinese marks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "vp-receipt-builder.h"

#define CHECK "https://check.example.cn/"

static VpJournalEntry *
make_entry (gint64      seq,
            gint64      device_time,
            const char *kind,
            const char *hash,
            const char *payload)
{
  VpJournalEntry *e = vp_journal_entry_new ();

  e->uuid = g_strdup ("2b1f4a57-8c8f-4d3e-9d35-0d6b8b0c2f11");
  e->van_id = g_strdup ("VAN01");
  e->seq = seq;
  e->kind = g_strdup (kind);
  e->payload = g_strdup (payload);
  e->device_time = device_time;
  e->prev_hash = g_strdup ("99aa0c1d00000000000000000000000000000000000000000000000000000000");
  e->hash = g_strdup (hash);
  e->signature = g_strdup ("AA==");
  return e;
}

/* 2026-11-23 10:08:38 in Asia/Shanghai. */
#define T0 G_GINT64_CONSTANT (1795399718000000)

static const char *pay_payload =
  "{\"account\":\"34010000825\",\"holder\":\"曾敏娜\",\"address\":\"光明社区30栋1单元803室\","
  "\"amount\":30050,\"method\":\"cash\",\"tendered\":40000,\"change\":9950,\"arrears_before\":24164,"
  "\"credit_applied\":0,\"bills\":[{\"bill_id\":26,\"period\":\"2026-10\",\"due\":24164,\"paid\":24164,"
  "\"remaining\":0}],\"to_credit\":5886,\"arrears_after\":0,\"credit_before\":0,\"credit_after\":5886,"
  "\"staff\":\"op01\",\"shift\":3}";

static char **
text_lines (const VpReceipt *r,
            guint            columns)
{
  g_autofree char *text = vp_receipt_render_text (r, columns);

  return g_strsplit (text, "\n", -1);
}

/* expected[] must appear in lines in this order, each a whole line. */
static void
assert_lines (char       **lines,
              const char **expected)
{
  guint at = 0;

  for (guint i = 0; expected[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (; lines[at] != NULL; at++)
        if (g_str_equal (lines[at], expected[i]))
          {
            found = TRUE;
            at++;
            break;
          }
      if (!found)
        {
          g_autofree char *all = g_strjoinv ("|\n", lines);
          g_error ("line “%s” not found (in order) in:\n%s|", expected[i], all);
        }
    }
}

static guint
count_lines (char      **lines,
             const char *what)
{
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], what) != NULL)
      n++;
  return n;
}

static const char *
qr_data (const VpReceipt *r,
         guint           *n_qr)
{
  const char *data = NULL;

  *n_qr = 0;
  for (guint i = 0; i < vp_receipt_get_n_lines (r); i++)
    {
      const VpReceiptLine *l = vp_receipt_get_line (r, i);

      if (l->kind == VP_RECEIPT_LINE_QR)
        {
          (*n_qr)++;
          data = l->left;
        }
    }
  return data;
}

static void
test_original_with_qr (void)
{
  g_autoptr(VpJournalEntry) e = make_entry (42, T0, VP_KIND_PAY,
    "3fa90c1d00000000000000000000000000000000000000000000000000000000", pay_payload);
  VpReceiptContext ctx = { .check_url = CHECK };
  g_autoptr(GError) error = NULL;
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry_in (e, &ctx, &error);
  g_auto(GStrv) lines = NULL;
  guint n_qr;
  const char *expected[] = {
    "     VAN01-20261123-000042",
    "      2026-11-23 10:08:38",
    "--------------------------------",
    "Account              34010000825",
    "Holder                    曾敏娜",
    "Arrears before           ¥241.64",
    "Credit before              ¥0.00",
    "Credit applied             ¥0.00",
    "Bill 2026-10             ¥241.64",
    "Paid                     ¥300.50",
    "Tendered                 ¥400.00",
    "Change                    ¥99.50",
    "To credit                 ¥58.86",
    "Arrears left               ¥0.00",
    "Credit now                ¥58.86",
    "Method                      Cash",
    "Staff                       op01",
    "Verification code      3FA9-0C1D",
    "Journal head    #41 99aa0c1d0000",
    "      Check this receipt:",
    "https://check.example.cn/v1/rece",
    "ipts/VAN01-20261123-000042?code=",
    "3FA9-0C1D",
    NULL
  };

  g_assert_no_error (error);
  lines = text_lines (r, VP_PRINT_COLUMNS_58MM);
  assert_lines (lines, expected);
  g_assert_cmpuint (count_lines (lines, "DUPLICATE"), ==, 0);
  g_assert_cmpuint (count_lines (lines, "VOID"), ==, 0);
  g_assert_cmpstr (qr_data (r, &n_qr), ==,
                   "https://check.example.cn/v1/receipts/VAN01-20261123-000042?code=3FA9-0C1D");
  g_assert_cmpuint (n_qr, ==, 1);

  /* No check address configured: no QR, no address. */
  g_clear_pointer (&r, vp_receipt_free);
  r = vp_receipt_build_for_entry (e, NULL);
  g_assert_null (qr_data (r, &n_qr));
  g_assert_cmpuint (n_qr, ==, 0);
}

/* needle somewhere in n bytes of data (ESC/POS holds NUL bytes). */
static gboolean
bytes_have (const char *data,
            gsize       n,
            const char *needle)
{
  gsize len = strlen (needle);

  for (gsize i = 0; i + len <= n; i++)
    if (memcmp (data + i, needle, len) == 0)
      return TRUE;
  return FALSE;
}

static void
test_duplicate_and_void_marks (void)
{
  g_autoptr(VpJournalEntry) e = make_entry (42, T0, VP_KIND_PAY,
    "3fa90c1d00000000000000000000000000000000000000000000000000000000", pay_payload);
  g_autoptr(VpJournalEntry) reprint = make_entry (44, T0 + G_GINT64_CONSTANT (3600000000),
    VP_KIND_RECEIPT_REPRINT, "bbbb000000000000000000000000000000000000000000000000000000000000",
    "{\"reprinted_seq\":42,\"reprinted_kind\":\"pay\",\"reprinted_receipt\":\"VAN01-20261123-000042\","
    "\"copy\":2,\"staff\":\"op01\"}");
  g_autoptr(VpJournalEntry) v = make_entry (45, T0 + G_GINT64_CONSTANT (7200000000), VP_KIND_VOID,
    "77fab63800000000000000000000000000000000000000000000000000000000",
    "{\"voided_seq\":42,\"voided_kind\":\"pay\",\"account\":\"34010000825\",\"amount\":30050,"
    "\"method\":\"cash\",\"reason\":\"keyed wrong\",\"requested_by\":\"op01\",\"approved_by\":\"sup01\","
    "\"staff\":\"sup01\"}");
  VpReceiptContext ctx = { .check_url = CHECK, .copy = 2, .copy_entry = reprint, .voided_by = v };
  VpReceiptContext vctx = { .check_url = CHECK, .voided = e };
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry_in (e, &ctx, NULL);
  g_autoptr(VpReceipt) vr = vp_receipt_build_for_entry_in (v, &vctx, NULL);
  g_auto(GStrv) lines = text_lines (r, VP_PRINT_COLUMNS_58MM);
  g_auto(GStrv) vlines = text_lines (vr, VP_PRINT_COLUMNS_58MM);
  guint n_qr;
  const char *expected[] = {
    "  Bill payment",
    "     VAN01-20261123-000042",
    "      2026-11-23 10:08:38",
    " 已作废 / VOID",
    "Voided by  VAN01-20261123-000045",
    "Voided at    2026-11-23 12:08:38",
    "重印 / DUPLICATE",
    "Reprint no.                    2",
    "Reprint    VAN01-20261123-000044",
    "Reprinted at 2026-11-23 11:08:38",
    "--------------------------------",
    "Paid                     ¥300.50",
    "Verification code      3FA9-0C1D",
    NULL
  };
  /* The reversal has its own receipt, number and code, naming the
   * receipt it reverses. */
  const char *vexpected[] = {
    "      Void",
    "     VAN01-20261123-000045",
    "      2026-11-23 12:08:38",
    "--------------------------------",
    "Account              34010000825",
    "Reverses   VAN01-20261123-000042",
    "Reversed            Bill payment",
    "Amount reversed          ¥300.50",
    "Reason               keyed wrong",
    "Approved by                sup01",
    "Method                      Cash",
    "--------------------------------",
    "Staff                      sup01",
    "Verification code      77FA-B638",
    NULL
  };

  assert_lines (lines, expected);
  g_assert_cmpuint (count_lines (lines, "DUPLICATE"), ==, 1);
  g_assert_cmpuint (count_lines (lines, "VOID"), ==, 1);
  /* A duplicate checks as the original: same number, same code. */
  g_assert_cmpstr (qr_data (r, &n_qr), ==,
                   "https://check.example.cn/v1/receipts/VAN01-20261123-000042?code=3FA9-0C1D");
  assert_lines (vlines, vexpected);
  g_assert_cmpuint (count_lines (vlines, "VOID"), ==, 0);
  /* The marks on paper too: ESC/POS in GB18030 (重印 = D6 D8 D3 A1, 已作废 =
   * D2 D1 D7 F7 B7 CF) and on a GBK-only printer. */
  for (guint i = 0; i < 2; i++)
    {
      const char *names[] = { "gb18030-58", "gbk-58" };
      const VpPrintProfile *profile = vp_print_profile_lookup (names[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = NULL;
      gsize n;
      const char *data;

      g_assert_nonnull (profile);
      bytes = vp_receipt_render_escpos_profile (r, profile, &error);
      g_assert_no_error (error);
      data = g_bytes_get_data (bytes, &n);
      g_assert_true (bytes_have (data, n, "\xd6\xd8\xd3\xa1 / DUPLICATE"));
      g_assert_true (bytes_have (data, n, "\xd2\xd1\xd7\xf7\xb7\xcf / VOID"));
    }
  g_assert_cmpstr (qr_data (vr, &n_qr), ==,
                   "https://check.example.cn/v1/receipts/VAN01-20261123-000045?code=77FA-B638");
}

static void
test_topup_price_detail (void)
{
  g_autoptr(VpJournalEntry) e = make_entry (7, T0, VP_KIND_TOPUP_CONFIRM,
    "0123456789abcdef000000000000000000000000000000000000000000000000",
    "{\"intent_seq\":6,\"account\":\"34010000007\",\"holder\":\"王芳\",\"card_number\":\"880001000000\","
    "\"counter\":27,\"volume\":12000,\"amount\":3000,\"to_credit\":0,\"credit_after\":0,"
    "\"method\":\"mobile\",\"reference\":\"WX20261123ABC\",\"tariff_version\":3,\"charged\":3500,"
    "\"leftover\":0,\"free_volume\":2000,\"discount\":120,\"concession\":true,"
    "\"tiers\":[{\"tier\":-1,\"volume\":2000,\"price\":0,\"amount\":0,\"discount\":0},"
    "{\"tier\":0,\"volume\":10000,\"price\":362,\"amount\":3500,\"discount\":120}],"
    "\"credit_used\":500,\"funds\":3500,\"staff\":\"op01\",\"shift\":3}");
  VpReceiptContext ctx = { .check_url = CHECK };
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry_in (e, &ctx, NULL);
  g_auto(GStrv) lines = text_lines (r, VP_PRINT_COLUMNS_80MM);
  const char *expected[] = {
    "Card                                880001000000",
    "Free 2.00 m³                               ¥0.00",
    "Tier 1 10.00 m³ × ¥3.62                   ¥35.00",
    "Free allowance used                      2.00 m³",
    "Concession discount                       -¥1.20",
    "Total price                               ¥35.00",
    "Volume                                  12.00 m³",
    "Purchase no.                                  27",
    "Paid from credit                           ¥5.00",
    "Paid                                      ¥30.00",
    "To credit                                  ¥0.00",
    "Credit now                                 ¥0.00",
    "Method                                Mobile pay",
    "Reference                          WX20261123ABC",
    NULL
  };

  assert_lines (lines, expected);
}

static void
test_z_closes_head (void)
{
  g_autoptr(VpJournalEntry) z = make_entry (50, T0, VP_KIND_SHIFT_CLOSE,
    "c105ed0000000000ffff00000000000000000000000000000000000000000000",
    "{\"z_number\":7,\"shift\":3,\"float\":20000,\"cash_in\":40050,\"cash_out\":0,\"card_in\":0,"
    "\"mobile_in\":3725,\"expected_cash\":60050,\"counted\":60000,\"difference\":-50,"
    "\"transactions\":3,\"voids\":0,\"staff\":\"sup01\"}");
  g_autoptr(VpJournalEntry) drop = make_entry (51, T0, VP_KIND_CASH_DROP,
    "d000000000000000000000000000000000000000000000000000000000000000",
    "{\"shift\":3,\"amount\":10000,\"method\":\"cash\",\"reason\":\"safe\",\"staff\":\"sup01\"}");
  VpReceiptContext ctx = { .check_url = CHECK };
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry_in (z, &ctx, NULL);
  g_autoptr(VpReceipt) dr = vp_receipt_build_for_entry_in (drop, &ctx, NULL);
  g_auto(GStrv) lines = text_lines (r, VP_PRINT_COLUMNS_58MM);
  guint n_qr;
  const char *expected[] = {
    "Z number                       7",
    "Journal head    #49 99aa0c1d0000",
    "Journal closed  #50 c105ed000000",
    NULL
  };

  assert_lines (lines, expected);
  /* Shift slips and cash desk movements are the van's own paper. */
  g_assert_null (qr_data (r, &n_qr));
  g_assert_null (qr_data (dr, &n_qr));
}

static void
test_pdf_text (void)
{
  g_autoptr(VpJournalEntry) e = make_entry (42, T0, VP_KIND_PAY,
    "3fa90c1d00000000000000000000000000000000000000000000000000000000", pay_payload);
  g_autoptr(VpJournalEntry) v = make_entry (45, T0, VP_KIND_VOID,
    "77fab63800000000000000000000000000000000000000000000000000000000",
    "{\"voided_seq\":42,\"amount\":30050,\"method\":\"cash\",\"staff\":\"sup01\"}");
  VpReceiptContext ctx = { .check_url = CHECK, .copy = 1, .voided_by = v };
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry_in (e, &ctx, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vp-receipt-pdf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "r.pdf", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *flat = NULL;
  const char *argv[] = { "pdftotext", "-enc", "UTF-8", path, "-", NULL };
  int status;

  g_assert_true (vp_receipt_render_pdf (r, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  /* pdftotext may split runs with spaces: compare without them. */
  flat = g_strdup (out);
  {
    char *w = flat;
    for (const char *p = out; *p; p++)
      if (*p != ' ')
        *w++ = *p;
    *w = '\0';
  }
  g_assert_nonnull (strstr (flat, "VAN01-20261123-000042"));
  g_assert_nonnull (strstr (flat, "3FA9-0C1D"));
  g_assert_nonnull (strstr (flat, "曾敏娜"));
  g_assert_nonnull (strstr (flat, "重印/DUPLICATE"));
  g_assert_nonnull (strstr (flat, "已作废/VOID"));
  g_assert_nonnull (strstr (flat, "VAN01-20261123-000045"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_check_format (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *van = NULL;
  g_autofree char *code = NULL;
  g_autofree char *url = NULL;
  gint date = 0;
  gint64 seq = 0;
  const char *bad_numbers[] = { "", "VAN01", "VAN01-20261123", "van01-20261123-000042",
                                "VAN01-2026112-000042", "VAN01-20261323-000042",
                                "VAN01-20261123-00042", "VAN01-20261123-000000",
                                "VAN01-20261123-000042-1", "VAN01-20261123-0000x2",
                                "ABCDEFGHIJKLMNOPQ-20261123-000042", NULL };
  const char *bad_codes[] = { "", "3FA9-0C1", "3FA9-0C1DA", "3FA9--0C1D", "3FA-90C1D", "3FG9-0C1D",
                              "3FA9 0C1D", NULL };

  g_assert_true (vp_receipt_number_parse ("VAN01-20261123-000042", &van, &date, &seq, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (van, ==, "VAN01");
  g_assert_cmpint (date, ==, 20261123);
  g_assert_cmpint (seq, ==, 42);
  g_assert_true (vp_receipt_number_parse ("V-20261123-1234567", NULL, NULL, &seq, NULL));
  g_assert_cmpint (seq, ==, 1234567);
  for (guint i = 0; bad_numbers[i] != NULL; i++)
    {
      g_assert_false (vp_receipt_number_parse (bad_numbers[i], NULL, NULL, NULL, &error));
      g_assert_error (error, VP_RECEIPT_CHECK_ERROR, VP_RECEIPT_CHECK_ERROR_INVALID);
      g_clear_error (&error);
    }

  code = vp_receipt_code_normalize (" 3fa90c1d ", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (code, ==, "3FA9-0C1D");
  g_clear_pointer (&code, g_free);
  code = vp_receipt_code_normalize ("3fa9-0C1D", NULL);
  g_assert_cmpstr (code, ==, "3FA9-0C1D");
  for (guint i = 0; bad_codes[i] != NULL; i++)
    {
      g_autofree char *c = vp_receipt_code_normalize (bad_codes[i], &error);

      g_assert_null (c);
      g_assert_error (error, VP_RECEIPT_CHECK_ERROR, VP_RECEIPT_CHECK_ERROR_INVALID);
      g_clear_error (&error);
    }

  url = vp_receipt_check_url ("https://hq.example.cn:8443/check//", "VAN01-20261123-000042", "3FA9-0C1D");
  g_assert_cmpstr (url, ==, "https://hq.example.cn:8443/check/v1/receipts/VAN01-20261123-000042?code=3FA9-0C1D");
  g_assert_true (vp_receipt_check_base_validate ("https://check.example.cn", NULL));
  g_assert_false (vp_receipt_check_base_validate ("ftp://check.example.cn", NULL));
  g_assert_false (vp_receipt_check_base_validate ("http://check.example.cn", NULL));
  g_assert_false (vp_receipt_check_base_validate ("https://", NULL));
  g_assert_false (vp_receipt_check_base_validate ("https://check.example.cn/?x=1", NULL));
  g_assert_false (vp_receipt_check_base_validate ("https://check example.cn", NULL));
  g_assert_false (vp_receipt_check_base_validate ("https://检查.cn", NULL));
}

static void
test_reprint_rule (void)
{
  static const struct { const char *payload; gboolean ok; } cases[] = {
    { "{\"reprinted_seq\":42,\"copy\":1,\"staff\":\"op01\",\"shift\":3}", TRUE },
    { "{\"copy\":1}", FALSE },
    { "{\"reprinted_seq\":0,\"copy\":1}", FALSE },
    { "{\"reprinted_seq\":42,\"copy\":0}", FALSE },
    { "{\"reprinted_seq\":42}", FALSE },
    { "{\"reprinted_seq\":42,\"copy\":1,\"amount\":100,\"method\":\"cash\"}", FALSE },
    { "{\"reprinted_seq\":\"42\",\"copy\":1}", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (cases[i].payload, NULL);
      g_autoptr(GError) error = NULL;
      VpJournalLedger l;
      gboolean ok = vp_journal_ledger_from_payload (VP_KIND_RECEIPT_REPRINT, json_node_get_object (node),
                                                    &l, &error);

      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        {
          g_assert_cmpint (l.amount, ==, 0);
          g_assert_null (l.method);
          g_assert_cmpint (l.flow, ==, VP_LEDGER_NONE);
          g_assert_cmpint (l.shift, ==, 3);
        }
      else
        g_assert_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID);
    }
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "Asia/Shanghai", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/receipt/original-with-qr", test_original_with_qr);
  g_test_add_func ("/receipt/duplicate-and-void", test_duplicate_and_void_marks);
  g_test_add_func ("/receipt/topup-price", test_topup_price_detail);
  g_test_add_func ("/receipt/z-closes-head", test_z_closes_head);
  g_test_add_func ("/receipt/pdf-text", test_pdf_text);
  g_test_add_func ("/receipt/check-format", test_check_format);
  g_test_add_func ("/receipt/reprint-rule", test_reprint_rule);
  return g_test_run ();
}
