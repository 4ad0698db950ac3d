/* test-print.c: receipts as text, ESC/POS and PDF.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "vp-print.h"

static VpJournalEntry *
make_entry (const char *kind,
            const char *payload)
{
  VpJournalEntry *e = vp_journal_entry_new ();

  e->uuid = g_strdup ("2b1f4a57-8c8f-4d3e-9d35-0d6b8b0c2f11");
  e->van_id = g_strdup ("VAN01");
  e->seq = 42;
  e->kind = g_strdup (kind);
  e->payload = g_strdup (payload);
  e->device_time = G_GINT64_CONSTANT (1795433318000000);
  e->prev_hash = g_strdup (VP_JOURNAL_GENESIS_HASH);
  e->hash = g_strdup ("3fa90c1d00000000000000000000000000000000000000000000000000000000");
  e->signature = g_strdup ("AA==");
  return e;
}

static const char *pay_payload =
  "{\"account\":\"34010000825\",\"holder\":\"曾敏娜\",\"address\":\"光明社区30栋1单元803室\","
  "\"amount\":30050,\"method\":\"cash\",\"arrears_before\":24164,"
  "\"bills\":[{\"bill_id\":26,\"period\":\"2026-10\",\"due\":24164,\"paid\":24164,\"remaining\":0}],"
  "\"to_credit\":5886,\"arrears_after\":0,\"credit_before\":0,\"credit_after\":5886,\"staff\":\"op01\"}";

static void
test_text_pay (void)
{
  g_autoptr(VpJournalEntry) e = make_entry (VP_KIND_PAY, pay_payload);
  g_autoptr(GError) error = NULL;
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry (e, &error);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (r);
  text = vp_receipt_render_text (r, VP_PRINT_COLUMNS_58MM);
  g_assert_nonnull (strstr (text, "VAN01-"));
  g_assert_nonnull (strstr (text, "-000042"));
  g_assert_nonnull (strstr (text, "34010000825"));
  g_assert_nonnull (strstr (text, "¥300.50"));
  g_assert_nonnull (strstr (text, "¥241.64"));
  g_assert_nonnull (strstr (text, "¥58.86"));
  g_assert_nonnull (strstr (text, "3FA9-0C1D"));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    g_assert_cmpuint (vp_text_display_width (lines[i]), <=, VP_PRINT_COLUMNS_58MM);
}

static void
test_text_wraps_long_pairs (void)
{
  g_autoptr(VpReceipt) r = vp_receipt_new ();
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  vp_receipt_add_pair (r, "地址", "绿怡居东区12栋3单元1203室附属车库旁边的储藏间", FALSE);
  text = vp_receipt_render_text (r, 20);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >=, 4);
  for (guint i = 0; lines[i]; i++)
    g_assert_cmpuint (vp_text_display_width (lines[i]), <=, 20);
  g_assert_cmpuint (vp_text_display_width ("光明a"), ==, 5);
}

static void
test_escpos (void)
{
  g_autoptr(VpJournalEntry) e = make_entry (VP_KIND_PAY, pay_payload);
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry (e, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = vp_receipt_render_escpos (r, VP_PRINT_COLUMNS_58MM, &error);
  g_autofree char *name = NULL;
  const guint8 *data;
  gsize len, name_len;

  g_assert_no_error (error);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpuint (len, >, 100);
  g_assert_cmpint (data[0], ==, 0x1b);
  g_assert_cmpint (data[1], ==, '@');
  g_assert_cmpint (data[len - 4], ==, 0x1d);
  g_assert_cmpint (data[len - 3], ==, 'V');
  g_assert_cmpint (data[len - 2], ==, 66);
  name = g_convert ("曾敏娜", -1, "GB18030", "UTF-8", NULL, &name_len, NULL);
  g_assert_nonnull (memmem (data, len, name, name_len));
  /* UTF-8 must not leak to the printer. */
  g_assert_null (memmem (data, len, "曾敏娜", strlen ("曾敏娜")));
}

static void
test_pdf_and_printers (void)
{
  g_autoptr(VpJournalEntry) e = make_entry (VP_KIND_PAY, pay_payload);
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry (e, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vp-print-XXXXXX", NULL);
  g_autofree char *out = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *escpos_file = g_build_filename (dir, "lp0", NULL);
  g_autofree char *spec = g_strconcat ("escpos:", escpos_file, NULL);
  gsize len;

  g_assert_true (vp_print_receipt (r, "pdf", dir, "VAN01-000042", &out, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (out, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  g_assert_true (g_str_has_prefix (contents, "%PDF-"));

  if (g_find_program_in_path ("pdftotext"))
    {
      g_autofree char *stdout_text = NULL;
      g_autofree char *cmd = g_strdup_printf ("pdftotext -enc UTF-8 '%s' -", out);
      int status;

      g_assert_true (g_spawn_command_line_sync (cmd, &stdout_text, NULL, &status, NULL));
      g_assert_nonnull (strstr (stdout_text, "34010000825"));
      g_assert_nonnull (strstr (stdout_text, "3FA9-0C1D"));
    }

  g_clear_pointer (&out, g_free);
  g_assert_true (vp_print_receipt (r, spec, NULL, NULL, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, escpos_file);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (escpos_file, &contents, &len, NULL));
  g_assert_cmpint (contents[0], ==, 0x1b);

  g_assert_false (vp_print_receipt (r, "laser:/dev/null", NULL, NULL, NULL, &error));
  g_assert_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC);
  g_clear_error (&error);
  g_assert_false (vp_print_receipt (r, "escpos:/nonexistent/dir/lp0", NULL, NULL, NULL, &error));
  g_assert_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_PRINTER);
  g_clear_error (&error);
  g_assert_true (vp_print_receipt (r, "none", NULL, NULL, NULL, &error));

  g_unlink (escpos_file);
  {
    g_autofree char *pdf = g_build_filename (dir, "VAN01-000042.pdf", NULL);
    g_unlink (pdf);
  }
  g_rmdir (dir);
}

static void
test_topup_tiers_and_z (void)
{
  g_autoptr(VpJournalEntry) e = make_entry (VP_KIND_TOPUP_CONFIRM,
    "{\"account\":\"34010000007\",\"card_number\":\"880001000000\",\"counter\":27,\"volume\":2000,"
    "\"amount\":654,\"tiers\":[{\"tier\":0,\"volume\":1000,\"price\":298,\"amount\":298,\"discount\":0},"
    "{\"tier\":1,\"volume\":1000,\"price\":357,\"amount\":357,\"discount\":0}],\"staff\":\"op01\"}");
  g_autoptr(VpJournalEntry) z = make_entry (VP_KIND_SHIFT_CLOSE,
    "{\"z_number\":7,\"shift\":3,\"float\":20000,\"cash_in\":40050,\"cash_out\":0,\"card_in\":0,"
    "\"mobile_in\":3725,\"expected_cash\":60050,\"counted\":60000,\"difference\":-50,"
    "\"transactions\":3,\"voids\":0,\"staff\":\"sup01\"}");
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry (e, NULL);
  g_autoptr(VpReceipt) zr = vp_receipt_build_for_entry (z, NULL);
  g_autofree char *text = vp_receipt_render_text (r, 48);
  g_autofree char *ztext = vp_receipt_render_text (zr, 48);

  g_assert_nonnull (strstr (text, "¥2.98"));
  g_assert_nonnull (strstr (text, "¥3.57"));
  g_assert_nonnull (strstr (text, "2.00 m³"));
  g_assert_nonnull (strstr (ztext, "-¥0.50"));
  g_assert_nonnull (strstr (ztext, "¥600.50"));
  g_assert_nonnull (strstr (ztext, "7"));
}

static void
test_bad_payload (void)
{
  g_autoptr(VpJournalEntry) e = make_entry (VP_KIND_PAY, "{not json");
  g_autoptr(GError) error = NULL;
  g_autoptr(VpReceipt) r = vp_receipt_build_for_entry (e, &error);

  g_assert_null (r);
  g_assert_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_ENTRY);
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "Asia/Shanghai", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/print/text/pay", test_text_pay);
  g_test_add_func ("/print/text/wrap", test_text_wraps_long_pairs);
  g_test_add_func ("/print/escpos", test_escpos);
  g_test_add_func ("/print/pdf-and-printers", test_pdf_and_printers);
  g_test_add_func ("/print/topup-and-z", test_topup_tiers_and_z);
  g_test_add_func ("/print/bad-payload", test_bad_payload);
  return g_test_run ();
}
