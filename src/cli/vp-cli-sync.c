/* vp-cli-sync.c: end-of-day sync with headquarters.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vp-cli.h"

const VpCliCommand vp_cli_sync_commands[] = {
  { NULL, NULL, NULL }
};
