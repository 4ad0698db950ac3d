/* vp-cli-card.c: IC-card commands (card read, card topup, card reissue).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vp-cli.h"

const VpCliCommand vp_cli_card_commands[] = {
  { NULL, NULL, NULL }
};
