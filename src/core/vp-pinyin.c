/* vp-pinyin.c: pinyin initials for name search ("王建芳" → "wjf").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vp-pinyin.h"

/* GB2312 orders its 3755 level-1 hanzi (0xB0A1–0xD7F9) by pinyin, so the
 * initial of a level-1 character is found from the first code of each
 * initial (the classic boundary table below).  Level-2 hanzi are ordered
 * by radical and the rest of Unicode is not in GB2312 at all; for those,
 * and for surnames read differently from the character's usual reading,
 * there is an explicit table.
 *
 * Import runs this over a million names, so rather than calling iconv
 * per character we walk the GB2312 level-1 block once, converting it to
 * Unicode, and fill a flat code point → initial table for the CJK blocks.
 * After that a lookup is one array index, needs no lock, and gives the
 * same answer as converting each character to GB2312. */

#define CJK_FIRST 0x3400  /* CJK Unified Ideographs Extension A */
#define CJK_LAST  0x9FFF  /* end of CJK Unified Ideographs */

static const struct
{
  guint16 gb_first;
  char    initial;
} gb2312_boundaries[] = {
  { 0xB0A1, 'a' }, { 0xB0C5, 'b' }, { 0xB2C1, 'c' }, { 0xB4EE, 'd' },
  { 0xB6EA, 'e' }, { 0xB7A2, 'f' }, { 0xB8C1, 'g' }, { 0xB9FE, 'h' },
  { 0xBBF7, 'j' }, { 0xBFA6, 'k' }, { 0xC0AC, 'l' }, { 0xC2E8, 'm' },
  { 0xC4C3, 'n' }, { 0xC5B6, 'o' }, { 0xC5BE, 'p' }, { 0xC6DA, 'q' },
  { 0xC8BB, 'r' }, { 0xC8F6, 's' }, { 0xCBFA, 't' }, { 0xCDDA, 'w' },
  { 0xCEF4, 'x' }, { 0xD1B9, 'y' }, { 0xD4D1, 'z' },
};

#define GB2312_LEVEL1_LAST 0xD7F9

/* Overrides, applied after the GB2312 table:
 *  - surnames read differently from the character's common reading
 *    (单 Shan, 曾 Zeng, 仇 Qiu, 解 Xie, 区 Ou, 朴 Piao, 查 Zha, 翟 Zhai);
 *  - common surname and given-name characters outside GB2312 level 1. */
static const struct
{
  char        initial;
  const char *chars;
} explicit_initials[] = {
  { 'a', "嫒" },
  { 'b', "犇骉蓓贲邴璧" },
  { 'c', "嫦琛昶翀褚岑璨粲婵铖琮" },
  { 'd', "邸窦铎玳" },
  { 'f', "霏斐璠馥" },
  { 'g', "郜" },
  { 'h', "昊晗灏泓瀚晖珩桦荟濠姮婳蕙菡蘅皓" },
  { 'j', "婧瑾婕姣璟珏珺骥菁珈槿炅稷琚皎缙" },
  { 'k', "邝琨珂锴鹍鲲锟铠阚" },
  { 'l', "璐岚麟鹂鹭翎苓聆栾蔺郦闾嶙珞璘" },
  { 'm', "淼旻闵宓缪茗洺沐嫚岷瑁" },
  { 'n', "楠乜" },
  { 'o', "区" },
  { 'p', "朴濮泮霈娉芃璞" },
  { 'q', "仇覃瞿琪茜倩琦骐麒亓阙璩祺淇骞芊" },
  { 'r', "睿芮苒镕瑢蕤" },
  { 's', "单佘姝姗晟嵩铄澍崧珅燊" },
  { 't', "婷瑭滕曈潼韬焘澹" },
  { 'w', "薇雯炜玮邬琬" },
  { 'x', "解冼鑫萱馨璇娴暄潇炫昕曦奚郗禧栩莘筱晞煊浠骁诩玹兮歆熹玺" },
  { 'y', "镛钰琰玥彧垚妍怡芸嫣娅媛瑜瑛煜烨焱熠滢晔昱翊羿莺闫晏鄢祎瑗沅妤赟韫瑀苡弈奕曜毓滟潆炀" },
  { 'z', "曾查翟喆梓铮钊臧竺訾峥祉秭瓒钲芷蓁璋祯祚" },
};

static guint8 cjk_initials[CJK_LAST - CJK_FIRST + 1];

static char
initial_for_gb2312 (guint code)
{
  char initial = 0;

  for (guint i = 0; i < G_N_ELEMENTS (gb2312_boundaries); i++)
    {
      if (code < gb2312_boundaries[i].gb_first)
        break;
      initial = gb2312_boundaries[i].initial;
    }

  return initial;
}

static void
fill_from_gb2312 (void)
{
  GIConv cd = g_iconv_open ("UTF-8", "GB2312");

  if (cd == (GIConv) -1)
    {
      g_warning ("GB2312 conversion is not available (%s); pinyin initials "
                 "will only cover a few common characters", g_strerror (errno));
      return;
    }

  for (guint code = gb2312_boundaries[0].gb_first; code <= GB2312_LEVEL1_LAST; code++)
    {
      char in[2] = { (char) (code >> 8), (char) (code & 0xFF) };
      char out[8] = { 0 };
      char *inp = in;
      char *outp = out;
      gsize in_left = sizeof in;
      gsize out_left = sizeof out - 1;
      gunichar c;

      /* Cells run 0xA1–0xFE within each row. */
      if ((code & 0xFF) < 0xA1 || (code & 0xFF) > 0xFE)
        continue;

      if (g_iconv (cd, &inp, &in_left, &outp, &out_left) == (gsize) -1)
        {
          /* Unassigned code: reset the shift state and go on. */
          g_iconv (cd, NULL, NULL, NULL, NULL);
          continue;
        }

      c = g_utf8_get_char_validated (out, (gssize) (outp - out));
      if (c >= CJK_FIRST && c <= CJK_LAST)
        cjk_initials[c - CJK_FIRST] = (guint8) initial_for_gb2312 (code);
    }

  g_iconv_close (cd);
}

static void
fill_explicit (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (explicit_initials); i++)
    {
      for (const char *p = explicit_initials[i].chars; *p != '\0'; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          g_assert (c >= CJK_FIRST && c <= CJK_LAST);
          cjk_initials[c - CJK_FIRST] = (guint8) explicit_initials[i].initial;
        }
    }
}

static void
ensure_table (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      fill_from_gb2312 ();
      fill_explicit ();
      g_once_init_leave (&initialized, 1);
    }
}

char *
vp_pinyin_initials (const char *utf8)
{
  GString *out;
  const char *p;
  const char *end;

  g_return_val_if_fail (utf8 != NULL, g_strdup (""));

  ensure_table ();

  out = g_string_sized_new (16);

  /* Invalid UTF-8 is handled up to the first bad byte rather than
   * dropped whole: a name search should still find something. */
  g_utf8_validate (utf8, -1, &end);

  for (p = utf8; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x80)
        {
          if (g_ascii_isalpha ((char) c))
            g_string_append_c (out, g_ascii_tolower ((char) c));
        }
      else if (c >= CJK_FIRST && c <= CJK_LAST)
        {
          if (cjk_initials[c - CJK_FIRST] != 0)
            g_string_append_c (out, (char) cjk_initials[c - CJK_FIRST]);
        }
      else if ((c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A))
        {
          /* Full-width Latin letters from Chinese input methods. */
          g_string_append_c (out, g_ascii_tolower ((char) ('A' + (c - 0xFF21) % 0x20)));
        }
    }

  return g_string_free (out, FALSE);
}
