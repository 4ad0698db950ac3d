/* vp-pinyin.h: pinyin initials for name search ("王建芳" → "wjf").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"

G_BEGIN_DECLS

/* Lower-case initials of each character of a name. ASCII letters are
 * kept (lower-cased); characters whose initial is unknown are skipped.
 * Never returns NULL. */
char *vp_pinyin_initials (const char *utf8);

G_END_DECLS
