/* test-pinyin.c: pinyin initials for name search.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vp-pinyin.h"

static void
assert_initials (const char *name,
                 const char *expected)
{
  g_autofree char *got = vp_pinyin_initials (name);

  if (g_utf8_validate (name, -1, NULL))
    g_test_message ("“%s” → “%s”", name, got);
  g_assert_cmpstr (got, ==, expected);
}

static void
test_common_names (void)
{
  assert_initials ("王建芳", "wjf");
  assert_initials ("张伟", "zw");
  assert_initials ("李娜", "ln");
  assert_initials ("刘洋", "ly");
  assert_initials ("陈静", "cj");
  assert_initials ("欧阳修", "oyx");
  assert_initials ("诸葛亮", "zgl");
  /* Both ends of the level-1 block and the a/b boundary. */
  assert_initials ("啊", "a");
  assert_initials ("芭", "b");
  assert_initials ("座", "z");
}

static void
test_surnames_and_rare (void)
{
  /* Surnames read differently from the character's usual reading. */
  assert_initials ("单田芳", "stf");
  assert_initials ("曾国藩", "zgf");
  assert_initials ("仇英", "qy");
  assert_initials ("解缙", "xj");
  assert_initials ("区志强", "ozq");
  assert_initials ("查良镛", "zly");
  assert_initials ("翟志刚", "zzg");
  /* Characters outside GB2312 level 1, or outside GB2312. */
  assert_initials ("覃佘瞿冼邝", "qsqxk");
  assert_initials ("钰琰玥昊晗彧婧鑫淼垚喆", "yyyhhyjxmyz");
  assert_initials ("张子琪", "zzq");
  assert_initials ("李梓萱", "lzx");
}

static void
test_latin_and_unknown (void)
{
  assert_initials ("Li Lei", "lilei");
  assert_initials ("HAN Meimei", "hanmeimei");
  assert_initials ("Ｌｉ", "li");
  assert_initials ("王2芳", "wf");
  assert_initials ("王·芳", "wf");
  assert_initials ("𠮷野家", "yj");  /* U+20BB7 is unknown: skipped */
  assert_initials ("é", "");
  assert_initials ("", "");
  assert_initials ("王\xff芳", "w");  /* stops at invalid UTF-8 */
}

static gpointer
worker (gpointer data)
{
  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *got = vp_pinyin_initials ("王建芳单田芳");

      if (g_strcmp0 (got, "wjfstf") != 0)
        return GINT_TO_POINTER (1);
    }

  return GINT_TO_POINTER (0);
}

static void
test_threads (void)
{
  GThread *threads[8];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("pinyin", worker, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (threads[i])), ==, 0);
}

static void
test_speed (void)
{
  const char *names[] = { "王建芳", "张伟", "单田芳", "欧阳娜娜", "李梓萱" };
  guint n = g_test_perf () ? 1000000 : 200000;
  gsize total = 0;
  gint64 start = g_get_monotonic_time ();
  double seconds;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *got = vp_pinyin_initials (names[i % G_N_ELEMENTS (names)]);

      total += strlen (got);
    }

  seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_test_message ("%u names in %.3f s", n, seconds);
  g_assert_cmpuint (total, ==, (gsize) n / G_N_ELEMENTS (names) * (3 + 2 + 3 + 4 + 3));
  /* Import runs this on a million names; 200 000 must not take seconds,
   * even in a debug build on a slow van PC. */
  g_assert_cmpfloat (seconds, <, 5.0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/pinyin/common-names", test_common_names);
  g_test_add_func ("/core/pinyin/surnames-and-rare", test_surnames_and_rare);
  g_test_add_func ("/core/pinyin/latin-and-unknown", test_latin_and_unknown);
  g_test_add_func ("/core/pinyin/threads", test_threads);
  g_test_add_func ("/core/pinyin/speed", test_speed);

  return g_test_run ();
}
