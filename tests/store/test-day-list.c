/* test-day-list.c: the supervisor's list of a day's transactions
 * (vp_journal_store_list_day, issue 11): local day bounds, filters by
 * kind (exact or family), staff and account, and refusals of bad dates.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-test-util.h"

static void
set_now_local (int y, int m, int d, int hh, int mm)
{
  g_autoptr(GDateTime) dt = g_date_time_new_local (y, m, d, hh, mm, 0);
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, g_date_time_to_unix (dt));

  g_setenv ("VP_FAKE_NOW", text, TRUE);
}

static void
pay (VpTestEnv     *env,
     const VpStaff *staff,
     const char    *number,
     VpMoney        amount)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = vp_bill_store_pay (env->db, staff, number, amount,
                                                   VP_PAYMENT_CASH, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (e);
}

/* The kinds of the listed entries, "," joined, to compare exactly. */
static char *
kinds (VpTestEnv  *env,
       const char *date,
       const char *kind,
       const char *staff,
       const char *account)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = vp_journal_store_list_day (env->db, date, kind, staff, account,
                                                         &error);
  g_autoptr(GString) s = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    {
      VpJournalEntry *e = list->pdata[i];

      g_string_append_printf (s, "%s%s#%" G_GINT64_FORMAT, i ? "," : "", e->kind, e->seq);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

#define ASSERT_KINDS(date, kind, staff, account, want)                     \
  G_STMT_START {                                                           \
    g_autofree char *got_ = kinds (env, date, kind, staff, account);      \
    g_assert_cmpstr (got_, ==, want);                                      \
  } G_STMT_END

static void
test_list_day (void)
{
  g_autoptr(VpTestEnv) env = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) shift = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  const char *bad[] = { "2026-02-30", "2026-11-3", "23/11/2026", "2026-11-23x", "", NULL };

  /* 23:59 and 00:01 around local midnight: the day is the local one. */
  set_now_local (2026, 11, 23, 23, 59);
  env = vp_test_env_new (0);
  a = vp_test_add_account (env->db, 3409200001, "唐明", "13500001111", "西园小区", "1", "1",
                           "101", VP_SERVICE_GAS, VP_METER_POSTPAID,
                           VP_TARIFF_CLASS_RESIDENTIAL, 0);
  b = vp_test_add_account (env->db, 3409200002, "周红", "13500002222", "西园小区", "1", "1",
                           "102", VP_SERVICE_WATER, VP_METER_POSTPAID,
                           VP_TARIFF_CLASS_RESIDENTIAL, 0);
  shift = vp_shift_store_open (env->db, env->op, 10000, &error);
  g_assert_no_error (error);
  pay (env, env->op, a, 2000);
  pay (env, env->sup, b, 3000);
  set_now_local (2026, 11, 24, 0, 1);
  pay (env, env->op, a, 5000);

  ASSERT_KINDS ("2026-11-23", NULL, NULL, NULL, "shift.open#1,pay#2,pay#3");
  ASSERT_KINDS ("2026-11-24", NULL, NULL, NULL, "pay#4");
  ASSERT_KINDS ("2026-11-22", NULL, NULL, NULL, "");
  ASSERT_KINDS ("2026-11-23", "", "", "", "shift.open#1,pay#2,pay#3");
  ASSERT_KINDS ("2026-11-23", "pay", NULL, NULL, "pay#2,pay#3");
  ASSERT_KINDS ("2026-11-23", "shift.", NULL, NULL, "shift.open#1");
  /* Not a family without the dot: "shift" is no kind. */
  ASSERT_KINDS ("2026-11-23", "shift", NULL, NULL, "");
  ASSERT_KINDS ("2026-11-23", NULL, "sup01", NULL, "pay#3");
  ASSERT_KINDS ("2026-11-23", NULL, "op01", NULL, "shift.open#1,pay#2");
  ASSERT_KINDS ("2026-11-23", NULL, NULL, a, "pay#2");
  ASSERT_KINDS ("2026-11-24", "pay", "op01", a, "pay#4");
  ASSERT_KINDS ("2026-11-23", NULL, NULL, "0000000000", "");

  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(GPtrArray) list = vp_journal_store_list_day (env->db, bad[i], NULL, NULL, NULL, &e);

      g_assert_null (list);
      g_assert_error (e, VP_STORE_ERROR, VP_STORE_ERROR_INVALID);
      g_assert_null (strchr (e->message, '\n'));
    }
  g_unsetenv ("VP_FAKE_NOW");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/list-day", test_list_day);
  return g_test_run ();
}
