/* test-validate.c: names, phones, resident ID numbers, text and dates.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-validate.h"

/* Completes a 17 character body with its GB 11643 check character,
 * computed independently of the code under test. */
static char *
make_id (const char *body17)
{
  static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
  static const char check[] = "10X98765432";
  int sum = 0;

  g_assert_cmpuint (strlen (body17), ==, 17);
  for (int i = 0; i < 17; i++)
    sum += (body17[i] - '0') * weights[i];

  return g_strdup_printf ("%s%c", body17, check[sum % 11]);
}

static void
assert_id (const char *id,
           int         code)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = vp_validate_id_number (id, &error);

  g_test_message ("ID “%s”", id);
  if (code < 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_error (error, VP_VALIDATE_ERROR, code);
      g_assert_false (ok);
    }
}

static void
test_id_number (void)
{
  g_autofree char *a = make_id ("11010519491231002");
  g_autofree char *b = make_id ("44030819800229123");  /* 1980 is a leap year */
  g_autofree char *bad_date = make_id ("44030819810229123");
  g_autofree char *bad_month = make_id ("11010519491331002");
  g_autofree char *bad_day = make_id ("11010519490100002");
  g_autofree char *too_old = make_id ("11010518991231002");
  g_autofree char *future = make_id ("11010540001231002");
  g_autofree char *wrong = NULL;
  g_autofree char *lower = NULL;
  char swapped[19];
  g_autofree char *x_id = NULL;

  /* The published GB 11643 example ends in X. */
  g_assert_cmpstr (a, ==, "11010519491231002X");
  assert_id (a, -1);
  assert_id (b, -1);

  /* Find a body whose check character is X, build another one. */
  for (int seq = 0; seq < 1000 && x_id == NULL; seq++)
    {
      g_autofree char *body = g_strdup_printf ("32010219900101%03d", seq);
      g_autofree char *id = make_id (body);

      if (id[17] == 'X')
        x_id = g_steal_pointer (&id);
    }
  g_assert_nonnull (x_id);
  assert_id (x_id, -1);

  /* A lowercase x is accepted and stored as X (issue 9). */
  lower = g_strdup (x_id);
  lower[17] = 'x';
  assert_id (lower, -1);
  {
    g_autofree char *norm = vp_id_number_normalize (lower);
    g_autofree char *digits = vp_id_number_normalize (b);

    g_assert_cmpstr (norm, ==, x_id);
    g_assert_cmpstr (digits, ==, b);
  }

  wrong = g_strdup (b);
  wrong[17] = wrong[17] == '0' ? '1' : '0';
  assert_id (wrong, VP_VALIDATE_ERROR_INVALID);

  /* Swap two different digits of the sequence part. */
  memcpy (swapped, "44030819800229123", 17);
  swapped[14] = '3';
  swapped[16] = '1';
  swapped[17] = b[17];
  swapped[18] = '\0';
  assert_id (swapped, VP_VALIDATE_ERROR_INVALID);

  assert_id (bad_date, VP_VALIDATE_ERROR_INVALID);
  assert_id (bad_month, VP_VALIDATE_ERROR_INVALID);
  assert_id (bad_day, VP_VALIDATE_ERROR_INVALID);
  assert_id (too_old, VP_VALIDATE_ERROR_INVALID);
  assert_id (future, VP_VALIDATE_ERROR_INVALID);
  assert_id ("", VP_VALIDATE_ERROR_EMPTY);
  assert_id ("11010519491231002", VP_VALIDATE_ERROR_INVALID);
  assert_id ("11010519491231002X1", VP_VALIDATE_ERROR_INVALID);
  assert_id ("1101051949123100X2", VP_VALIDATE_ERROR_INVALID);
  assert_id ("11010519491231 02X", VP_VALIDATE_ERROR_INVALID);
}

static void
test_mask (void)
{
  g_autofree char *a = vp_mask_id_number ("110105194912310021");
  g_autofree char *b = vp_mask_id_number ("123");
  g_autofree char *c = vp_mask_id_number ("");

  g_assert_cmpstr (a, ==, "110105********0021");
  g_assert_cmpstr (b, ==, "***");
  g_assert_cmpstr (c, ==, "");
}

static void
test_name (void)
{
  const char *good[] = { "王建芳", "张伟", "Li Lei", "买买提·艾力", "O'Brien", "欧阳娜娜" };
  const struct
  {
    const char *name;
    int         code;
  } bad[] = {
    { "", VP_VALIDATE_ERROR_EMPTY },
    { "   ", VP_VALIDATE_ERROR_EMPTY },
    { "王2", VP_VALIDATE_ERROR_INVALID },
    { "王２", VP_VALIDATE_ERROR_INVALID },
    { "王\t芳", VP_VALIDATE_ERROR_INVALID },
    { "王\n芳", VP_VALIDATE_ERROR_INVALID },
    { "\xe7\x8e", VP_VALIDATE_ERROR_INVALID },
    { "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一", VP_VALIDATE_ERROR_TOO_LONG },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (vp_validate_name (good[i], &error));
      g_assert_no_error (error);
    }

  /* Exactly 30 characters is allowed. */
  g_assert_true (vp_validate_name ("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十", NULL));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_test_message ("name %u", i);
      g_assert_false (vp_validate_name (bad[i].name, &error));
      g_assert_error (error, VP_VALIDATE_ERROR, bad[i].code);
    }
}

static void
test_phone (void)
{
  const char *good[] = {
    "13812345678", "19912345678", "010-12345678", "01012345678", "0571-8765432",
    "0571-87654321", "020-1234567",
  };
  const char *bad[] = {
    "12812345678", "1381234567", "138123456789", "+8613812345678", "138 1234 5678",
    "10-12345678", "010-123456", "010-123456789", "01-12345678", "12345678",
    "0571-8765-4321", "０１０-12345678",
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_test_message ("phone “%s”", good[i]);
      g_assert_true (vp_validate_phone (good[i], &error));
      g_assert_no_error (error);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("phone “%s”", bad[i]);
      g_assert_false (vp_validate_phone (bad[i], &error));
      g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID);
      g_clear_error (&error);
    }

  g_assert_false (vp_validate_phone ("", &error));
  g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_EMPTY);
}

static void
test_text_field (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vp_validate_text_field ("幸福小区", 4, "Estate", &error));
  g_assert_no_error (error);

  g_assert_false (vp_validate_text_field ("幸福小区东", 4, "Estate", &error));
  g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_TOO_LONG);
  g_assert_nonnull (strstr (error->message, "Estate"));
  g_clear_error (&error);

  g_assert_false (vp_validate_text_field ("", 10, "Room", &error));
  g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_EMPTY);
  g_clear_error (&error);

  g_assert_false (vp_validate_text_field ("3\n02", 10, "Room", &error));
  g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (vp_validate_text_field ("3\x7f", 10, "Room", &error));
  g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_note (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vp_validate_note ("", 100, &error));
  g_assert_no_error (error);
  g_assert_true (vp_validate_note ("燃气灶打不着火\n已上门查看", 100, &error));
  g_assert_no_error (error);

  g_assert_false (vp_validate_note ("a\tb", 100, &error));
  g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (vp_validate_note ("a\r\nb", 100, &error));
  g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (vp_validate_note ("abcdef", 5, &error));
  g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_TOO_LONG);
  g_clear_error (&error);
}

static void
test_date (void)
{
  const char *good[] = { "2024-02-29", "2000-02-29", "1999-12-31", "2025-01-01" };
  const char *bad[] = {
    "2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-4-01",
    "24-04-01", "2024/04/01", "2024-04-01 ", "2024-04-0a",
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_assert_true (vp_validate_date (good[i], &error));
      g_assert_no_error (error);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("date “%s”", bad[i]);
      g_assert_false (vp_validate_date (bad[i], &error));
      g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID);
      g_clear_error (&error);
    }

  g_assert_false (vp_validate_date ("", &error));
  g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_EMPTY);
}

/* The one van id rule, used by vanpos-cli init and vanpos-hq alike. */
static void
test_van_id (void)
{
  const char *good[] = { "VAN01", "A", "0", "ABCDEFGHIJ123456" };
  const char *bad[] = { "", "van01", "VAN-01", "VAN_01", "VAN 01", "ABCDEFGHIJ1234567", "VAN01\n",
                        "车01" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (vp_validate_van_id (good[i], NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vp_validate_van_id (bad[i], &error));
      g_assert_error (error, VP_VALIDATE_ERROR, VP_VALIDATE_ERROR_INVALID);
    }
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (vp_validate_van_id (NULL, &error));
    g_assert_cmpstr (error->message, ==, "Van id “” must be 1–16 upper-case letters or digits");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/validate/id-number", test_id_number);
  g_test_add_func ("/core/validate/mask-id-number", test_mask);
  g_test_add_func ("/core/validate/name", test_name);
  g_test_add_func ("/core/validate/phone", test_phone);
  g_test_add_func ("/core/validate/text-field", test_text_field);
  g_test_add_func ("/core/validate/note", test_note);
  g_test_add_func ("/core/validate/date", test_date);
  g_test_add_func ("/core/validate/van-id", test_van_id);

  return g_test_run ();
}
