/* test-print-profiles.c: ESC/POS bytes per printer profile (golden), the
 * QR natively, as a raster image and in the PDF, decoded back with zbarimg.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <glib/gstdio.h>
#include <qrencode.h>
#include <string.h>

#include "vp-print.h"

#define QR_DATA "https://hq.example.cn/r/VAN01-20261201-000042?code=3FA9-0C1D"

/* A receipt with everything a profile changes: a title, m³ and ¥ (not
 * in GBK), a bold line, a QR. */
static VpReceipt *
small_receipt (gboolean cash)
{
  VpReceipt *r = vp_receipt_new ();

  vp_receipt_add_title (r, "收费");
  vp_receipt_add_pair (r, "用量", "12.500 m³", FALSE);
  vp_receipt_add_pair (r, "金额", "¥48.00", TRUE);
  vp_receipt_add_qr (r, QR_DATA);
  vp_receipt_set_cash (r, cash);
  return r;
}

/* Appends bytes written as hex pairs, spaces ignored. */
static void
put_hex (GByteArray *out,
         const char *hex)
{
  for (const char *p = hex; *p; )
    {
      guint8 b;

      if (*p == ' ')
        {
          p++;
          continue;
        }
      g_assert_true (g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]));
      b = (guint8)(g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
      g_byte_array_append (out, &b, 1);
      p += 2;
    }
}

static void
put_str (GByteArray *out,
         const char *ascii)
{
  g_byte_array_append (out, (const guint8 *)ascii, strlen (ascii));
}

static void
put_spaces (GByteArray *out,
            guint       n)
{
  for (guint i = 0; i < n; i++)
    put_str (out, " ");
}

#define INIT      "1b 40 1c 26"
#define DRAWER    "1b 70 00 19 fa"
#define BIG       "1d 21 11 1b 45 01"
#define PLAIN     "1d 21 00 1b 45 00"
#define BOLD      "1d 21 00 1b 45 01"
#define CENTER    "1b 61 01"
#define LEFT      "1b 61 00"
#define CUT       "1b 64 04 1d 56 42 00"
#define SHOU_FEI  "ca d5 b7 d1"   /* 收费 in GBK and GB18030 */
#define YONG_LIANG "d3 c3 c1 bf"  /* 用量 */
#define JIN_E     "bd f0 b6 ee"   /* 金额 */

/* The text rows of small_receipt() as profile prints them. */
static void
expected_text (GByteArray *out,
               guint       columns,
               gboolean    gbk)
{
  /* Title: double width, so centred in half the columns. */
  put_hex (out, BIG);
  put_spaces (out, (columns / 2 - 4) / 2);
  put_hex (out, SHOU_FEI "0a");
  put_hex (out, PLAIN YONG_LIANG);
  if (gbk)
    {
      /* m³ → m3: one column, as before. */
      put_spaces (out, columns - 4 - 9);
      put_str (out, "12.500 m3\n");
    }
  else
    {
      put_spaces (out, columns - 4 - 9);
      put_str (out, "12.500 m");
      put_hex (out, "81 30 85 36 0a");                /* ³ in GB18030 */
    }
  put_hex (out, BOLD JIN_E);
  if (gbk)
    {
      /* ¥ → full-width ￥ (GBK a3a4), two columns wide. */
      put_spaces (out, columns - 4 - 7);
      put_hex (out, "a3 a4");
    }
  else
    {
      put_spaces (out, columns - 4 - 6);
      put_hex (out, "81 30 84 36");                  /* ¥ in GB18030 */
    }
  put_str (out, "48.00\n");
}

static void
expected_native_qr (GByteArray *out,
                    guint       module)
{
  g_autofree char *size = g_strdup_printf ("1d 28 6b 03 00 31 43 %02x", module);
  gsize k = strlen (QR_DATA) + 3;
  g_autofree char *store = g_strdup_printf ("1d 28 6b %02x %02x 31 50 30", (guint)(k & 0xff), (guint)(k >> 8));

  put_hex (out, CENTER);
  put_hex (out, "1d 28 6b 04 00 31 41 32 00");        /* model 2 */
  put_hex (out, size);                                 /* module size in dots */
  put_hex (out, "1d 28 6b 03 00 31 45 31");            /* error correction M */
  put_hex (out, store);
  put_str (out, QR_DATA);
  put_hex (out, "1d 28 6b 03 00 31 51 30");            /* print it */
  put_hex (out, LEFT);
}

static void
assert_bytes_equal (GBytes     *got,
                    GByteArray *want)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (got, &len);

  for (gsize i = 0; i < MIN (len, want->len); i++)
    if (data[i] != want->data[i])
      g_error ("byte %" G_GSIZE_FORMAT " is %02x, expected %02x", i, data[i], want->data[i]);
  g_assert_cmpuint (len, ==, want->len);
}

static GBytes *
render (const char *profile_name,
        gboolean    cash)
{
  g_autoptr(VpReceipt) r = small_receipt (cash);
  g_autoptr(GError) error = NULL;
  const VpPrintProfile *profile = vp_print_profile_lookup (profile_name);
  GBytes *bytes;

  g_assert_nonnull (profile);
  bytes = vp_receipt_render_escpos_profile (r, profile, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  return bytes;
}

static void
test_golden_gb18030 (void)
{
  static const struct { const char *profile; guint columns; guint module; } cases[] = {
    { "gb18030-58", 32, 6 },
    { "gb18030-80", 48, 8 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    for (int cash = 0; cash <= 1; cash++)
      {
        g_autoptr(GBytes) got = render (cases[c].profile, cash);
        g_autoptr(GByteArray) want = g_byte_array_new ();

        g_test_message ("%s cash=%d", cases[c].profile, cash);
        put_hex (want, INIT);
        if (cash)
          put_hex (want, DRAWER);
        expected_text (want, cases[c].columns, FALSE);
        expected_native_qr (want, cases[c].module);
        put_hex (want, CUT);
        assert_bytes_equal (got, want);
      }
}

/* Reads the GS v 0 image that starts at data[*pos]; returns the PBM (P4:
 * the same packing, MSB first, 1 = black). */
static GBytes *
raster_to_pbm (const guint8 *data,
               gsize         len,
               gsize        *pos,
               guint        *out_w_bytes,
               guint        *out_h)
{
  gsize p = *pos;
  guint wb, h;
  GByteArray *pbm = g_byte_array_new ();
  g_autofree char *head = NULL;

  g_assert_cmpuint (p + 8, <=, len);
  g_assert_cmpint (data[p], ==, 0x1d);
  g_assert_cmpint (data[p + 1], ==, 'v');
  g_assert_cmpint (data[p + 2], ==, '0');
  g_assert_cmpint (data[p + 3], ==, 0);
  wb = data[p + 4] | data[p + 5] << 8;
  h = data[p + 6] | data[p + 7] << 8;
  g_assert_cmpuint (p + 8 + (gsize)wb * h, <=, len);
  head = g_strdup_printf ("P4\n%u %u\n", wb * 8, h);
  g_byte_array_append (pbm, (const guint8 *)head, strlen (head));
  g_byte_array_append (pbm, data + p + 8, wb * h);
  *pos = p + 8 + (gsize)wb * h;
  *out_w_bytes = wb;
  *out_h = h;
  return g_byte_array_free_to_bytes (pbm);
}

/* zbarimg's reading of an image file, exactly as printed. */
static char *
zbar_decode (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("zbarimg --quiet --raw '%s'", path);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;   /* zbar's D-Bus chatter, shown on failure */
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_command_line_sync (cmd, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("zbarimg read no code in %s: %s", path, err);
  g_strchomp (out);
  return g_steal_pointer (&out);
}

static gboolean
have_tools (const char *tool)
{
  g_autofree char *path = g_find_program_in_path (tool);

  if (path == NULL)
    {
      g_test_skip_printf ("%s is not installed (scripts/deps.sh)", tool);
      return FALSE;
    }
  return TRUE;
}

static void
test_golden_gbk_raster (void)
{
  static const struct { const char *profile; guint columns; guint dots; guint scale; } cases[] = {
    { "gbk-58", 32, 384, 6 },
    { "gbk-80", 48, 576, 8 },
  };
  g_autofree char *dir = g_dir_make_tmp ("vp-print-qr-XXXXXX", NULL);
  QRcode *qr = QRcode_encodeString8bit (QR_DATA, 0, QR_ECLEVEL_M);

  g_assert_nonnull (qr);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    for (int cash = 0; cash <= 1; cash++)
      {
        g_autoptr(GBytes) got = render (cases[c].profile, cash);
        g_autoptr(GByteArray) want = g_byte_array_new ();
        g_autoptr(GBytes) pbm = NULL;
        g_autofree char *pbm_path = g_build_filename (dir, "qr.pbm", NULL);
        g_autofree char *decoded = NULL;
        const guint8 *data;
        gsize len, pos;
        guint wb, h, px;

        g_test_message ("%s cash=%d", cases[c].profile, cash);
        put_hex (want, INIT);
        if (cash)
          put_hex (want, DRAWER);
        expected_text (want, cases[c].columns, TRUE);
        put_hex (want, CENTER);

        /* Everything before the image is exact. */
        data = g_bytes_get_data (got, &len);
        g_assert_cmpuint (len, >, want->len);
        g_assert_cmpmem (data, want->len, want->data, want->len);

        /* The image: whole dots per module, quiet zone of 4 modules, on
         * the paper, every dot where libqrencode puts a module. */
        pos = want->len;
        pbm = raster_to_pbm (data, len, &pos, &wb, &h);
        px = (qr->width + 8) * cases[c].scale;
        g_assert_cmpuint (h, ==, px);
        g_assert_cmpuint (wb, ==, (px + 7) / 8);
        g_assert_cmpuint (px, <=, cases[c].dots);
        for (guint y = 0; y < h; y++)
          for (guint x = 0; x < wb * 8; x++)
            {
              const guint8 *img = data + want->len + 8;
              gboolean black = (img[y * wb + x / 8] >> (7 - x % 8)) & 1;
              int mx = (int)(x / cases[c].scale) - 4, my = (int)(y / cases[c].scale) - 4;
              gboolean module = x < px && mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
                                (qr->data[my * qr->width + mx] & 1);

              if (black != module)
                g_error ("%s: dot %u,%u is %d", cases[c].profile, x, y, black);
            }

        /* And the rest is exact again. */
        g_assert_cmpuint (len - pos, ==, 3 + 7);
        g_assert_cmpmem (data + pos, 3, "\x1b\x61\x00", 3);
        g_assert_cmpmem (data + pos + 3, 7, "\x1b\x64\x04\x1d\x56\x42\x00", 7);

        if (have_tools ("zbarimg"))
          {
            g_assert_true (g_file_set_contents (pbm_path, g_bytes_get_data (pbm, NULL),
                                                g_bytes_get_size (pbm), NULL));
            decoded = zbar_decode (pbm_path);
            g_assert_cmpstr (decoded, ==, QR_DATA);
          }
        g_unlink (pbm_path);
      }
  QRcode_free (qr);
  g_rmdir (dir);
}

/* GBK printers print every character they can and a known substitute
 * for what they cannot; Chinese text passes unchanged. */
static void
test_gbk_safe_text (void)
{
  g_autoptr(VpReceipt) r = vp_receipt_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GByteArray) want = g_byte_array_new ();

  vp_receipt_add_text (r, "已作废 2.5 m³ ¥3");
  got = vp_receipt_render_escpos_profile (r, vp_print_profile_lookup ("gbk-58"), &error);
  g_assert_no_error (error);
  put_hex (want, INIT PLAIN);
  put_hex (want, "d2 d1 d7 f7 b7 cf");    /* 已作废 */
  put_str (want, " 2.5 m3 ");
  put_hex (want, "a3 a4");
  put_str (want, "3\n");
  put_hex (want, CUT);
  assert_bytes_equal (got, want);

  /* The plain text and the PDF keep m³ and ¥. */
  {
    g_autofree char *text = vp_receipt_render_text (r, 32);
    g_assert_cmpstr (text, ==, "已作废 2.5 m³ ¥3\n");
  }
}

static void
test_printer_specs (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dev = NULL;
  VpPrintProfile p;

  g_assert_true (vp_print_parse_escpos_spec ("/dev/usb/lp0", &dev, &p, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (dev, ==, "/dev/usb/lp0");
  g_assert_cmpstr (p.name, ==, "gb18030-58");
  g_assert_true (p.native_qr);
  g_clear_pointer (&dev, g_free);

  g_assert_true (vp_print_parse_escpos_spec ("/dev/usb/lp1?profile=gbk-80", &dev, &p, &error));
  g_assert_cmpstr (dev, ==, "/dev/usb/lp1");
  g_assert_cmpstr (p.name, ==, "gbk-80");
  g_assert_cmpuint (p.columns, ==, 48);
  g_assert_cmpstr (p.encoding, ==, "GBK");
  g_assert_false (p.native_qr);
  g_clear_pointer (&dev, g_free);

  g_assert_true (vp_print_parse_escpos_spec ("/tmp/lp?qr=native&profile=gbk-58", &dev, &p, &error));
  g_assert_cmpstr (p.name, ==, "gbk-58");
  g_assert_true (p.native_qr);
  g_clear_pointer (&dev, g_free);

  g_assert_false (vp_print_parse_escpos_spec ("/dev/usb/lp0?profile=gbk-99", &dev, &p, &error));
  g_assert_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC);
  g_assert_nonnull (strstr (error->message, "gbk-99"));
  g_assert_nonnull (strstr (error->message, "gb18030-58, gb18030-80, gbk-58, gbk-80"));
  g_clear_error (&error);
  g_assert_false (vp_print_parse_escpos_spec ("/dev/usb/lp0?speed=fast", &dev, &p, &error));
  g_assert_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC);
  g_clear_error (&error);
  g_assert_false (vp_print_parse_escpos_spec ("?profile=gbk-58", &dev, &p, &error));
  g_assert_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC);
  g_clear_error (&error);
  g_assert_null (dev);

  /* A system printer is the app's; the service refuses it, saying so. */
  {
    g_autoptr(VpReceipt) r = small_receipt (FALSE);

    g_assert_true (vp_print_spec_is_system ("system"));
    g_assert_true (vp_print_spec_is_system ("system:Office"));
    g_assert_false (vp_print_spec_is_system ("systemd"));
    g_assert_false (vp_print_receipt (r, "system:Office", NULL, NULL, NULL, &error));
    g_assert_error (error, VP_PRINT_ERROR, VP_PRINT_ERROR_SPEC);
    g_clear_error (&error);
  }
}

/* The whole path through vp_print_receipt(): the profile in the spec
 * decides the bytes written to the device. */
static void
test_print_with_profile (void)
{
  g_autoptr(VpReceipt) r = small_receipt (TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vp-print-spec-XXXXXX", NULL);
  g_autofree char *dev = g_build_filename (dir, "lp0", NULL);
  g_autofree char *spec = g_strdup_printf ("escpos:%s?profile=gbk-80&qr=native", dev);
  g_autofree char *out = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GByteArray) want = g_byte_array_new ();
  g_autoptr(GBytes) got = NULL;
  gsize len;

  g_assert_true (vp_print_receipt (r, spec, NULL, NULL, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, dev);
  g_assert_true (g_file_get_contents (dev, &contents, &len, NULL));
  got = g_bytes_new (contents, len);
  put_hex (want, INIT DRAWER);
  expected_text (want, 48, TRUE);
  expected_native_qr (want, 8);
  put_hex (want, CUT);
  assert_bytes_equal (got, want);
  g_unlink (dev);
  g_rmdir (dir);
}

/* The PDF's QR, rendered to PNG as a phone would see it, reads back as
 * exactly the data. */
static void
test_pdf_qr_decodes (void)
{
  g_autoptr(VpReceipt) r = small_receipt (FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vp-print-pdf-XXXXXX", NULL);
  g_autofree char *pdf = g_build_filename (dir, "r.pdf", NULL);
  g_autofree char *png_base = g_build_filename (dir, "r", NULL);
  g_autofree char *png = g_build_filename (dir, "r.png", NULL);
  g_autofree char *cmd = g_strdup_printf ("pdftoppm -png -r 150 -singlefile '%s' '%s'", pdf, png_base);
  g_autofree char *decoded = NULL;
  int status;

  g_assert_true (vp_receipt_render_pdf (r, pdf, &error));
  g_assert_no_error (error);
  if (!have_tools ("pdftoppm") || !have_tools ("zbarimg"))
    goto out;
  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  decoded = zbar_decode (png);
  g_assert_cmpstr (decoded, ==, QR_DATA);
  /* Kept for a person to look at: VP_KEEP_PDF=DIR. */
  if (g_getenv ("VP_KEEP_PDF"))
    {
      g_autofree char *keep = g_build_filename (g_getenv ("VP_KEEP_PDF"), "receipt-qr.png", NULL);
      g_autofree char *keep_pdf = g_build_filename (g_getenv ("VP_KEEP_PDF"), "receipt-qr.pdf", NULL);
      g_rename (png, keep);
      g_rename (pdf, keep_pdf);
    }
out:
  g_unlink (png);
  g_unlink (pdf);
  g_rmdir (dir);
}

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

/* The builder marks receipts of cash through the drawer, and only those. */
static void
test_cash_receipts (void)
{
  static const struct { const char *kind; const char *payload; gboolean cash; } cases[] = {
    { VP_KIND_PAY, "{\"account\":\"34010000825\",\"amount\":30050,\"method\":\"cash\",\"shift\":1,"
      "\"arrears_before\":30050,\"arrears_after\":0,\"staff\":\"op01\"}", TRUE },
    { VP_KIND_PAY, "{\"account\":\"34010000825\",\"amount\":30050,\"method\":\"mobile\",\"shift\":1,"
      "\"reference\":\"WX123\",\"arrears_before\":30050,\"arrears_after\":0,\"staff\":\"op01\"}", FALSE },
    { VP_KIND_CASH_DROP, "{\"amount\":50000,\"method\":\"cash\",\"shift\":1,\"staff\":\"sup01\"}", TRUE },
    { VP_KIND_LOG_VISIT, "{\"account\":\"34010000825\",\"note\":\"ok\",\"staff\":\"op01\"}", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VpJournalEntry) e = make_entry (cases[i].kind, cases[i].payload);
      g_autoptr(GError) error = NULL;
      g_autoptr(VpReceipt) r = vp_receipt_build_for_entry (e, &error);

      g_assert_no_error (error);
      g_test_message ("case %u: %s", i, cases[i].kind);
      g_assert_cmpint (vp_receipt_get_cash (r), ==, cases[i].cash);
    }
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "Asia/Shanghai", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/print/escpos/golden-gb18030", test_golden_gb18030);
  g_test_add_func ("/print/escpos/golden-gbk-raster", test_golden_gbk_raster);
  g_test_add_func ("/print/escpos/gbk-safe-text", test_gbk_safe_text);
  g_test_add_func ("/print/escpos/specs", test_printer_specs);
  g_test_add_func ("/print/escpos/print-with-profile", test_print_with_profile);
  g_test_add_func ("/print/pdf/qr-decodes", test_pdf_qr_decodes);
  g_test_add_func ("/print/cash-receipts", test_cash_receipts);
  return g_test_run ();
}
