/* vp-cli.h: shared plumbing for vanpos-cli commands.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-service.h"

G_BEGIN_DECLS

typedef struct
{
  const char *db_path;
  const char *prog;
  VpDatabase *db;        /* opened lazily by vp_cli_open */
  VpService  *service;
  gboolean    integrity_checked;
} VpCli;

/* Exit codes, stable for scripts. */
#define VP_CLI_EXIT_OK        0
#define VP_CLI_EXIT_FAILED    1   /* the operation was refused or failed; nothing changed */
#define VP_CLI_EXIT_USAGE     2   /* malformed command line */
#define VP_CLI_EXIT_NOT_FOUND 3   /* unknown account / nothing matched */
#define VP_CLI_EXIT_AUTH      4   /* wrong staff id, PIN or role */
#define VP_CLI_EXIT_VERIFY    5   /* journal verification failed */
#define VP_CLI_EXIT_PARTIAL   6   /* done in part: something was written (money kept as
                                   * credit, card written, confirmation pending); stderr
                                   * says what */
#define VP_CLI_EXIT_DAMAGED   7   /* the database is empty, damaged or its journal broken:
                                   * nothing written; restore or acknowledge first */

typedef int (*VpCliCommandFunc) (VpCli *cli, int argc, char **argv);

typedef struct
{
  const char       *name;
  VpCliCommandFunc  func;
  const char       *summary;
} VpCliCommand;

/* Parses options with entries; leaves positional arguments in argc/argv
 * (argv[0] is the command name). Prints usage to stderr on error. */
gboolean  vp_cli_parse          (VpCli        *cli,
                                 const char   *command,
                                 const char   *params,
                                 GOptionEntry *entries,
                                 int          *argc,
                                 char       ***argv);
gboolean  vp_cli_open           (VpCli        *cli,
                                 gboolean      need_van,
                                 GError      **error);
/* Authenticates --staff/--pin. */
VpStaff  *vp_cli_login          (VpCli        *cli,
                                 const char   *staff_id,
                                 const char   *pin,
                                 GError      **error);
/* Authenticates the approving supervisor of --approve-staff/--approve-pin
 * (every approval takes these two): *out NULL and TRUE when neither is
 * given; AUTH when only one is or the PIN is wrong. Call after
 * vp_cli_login. */
gboolean  vp_cli_login_approver (VpCli        *cli,
                                 const char   *staff_id,
                                 const char   *pin,
                                 VpStaff     **out,
                                 GError      **error);
/* Prints "vanpos-cli: <message>" and returns the matching exit code. */
int       vp_cli_fail           (VpCli        *cli,
                                 const GError *error);
int       vp_cli_usage_error    (VpCli        *cli,
                                 const char   *command,
                                 const char   *format,
                                 ...) G_GNUC_PRINTF (3, 4);
void      vp_cli_print_json     (JsonNode     *node);
/* Prints the entry as JSON (json) or as a receipt-like summary. */
void      vp_cli_print_entry    (const VpJournalEntry *entry,
                                 gboolean              json);
gboolean  vp_cli_parse_method   (const char      *text,
                                 VpPaymentMethod *out,
                                 GError         **error);

/* The top-up's progress (VpTopupProgress): the steps on stdout only
 * with --progress; notes (an earlier top-up settled) on stdout unless
 * --json. Never on stderr, which holds only the error line. */
typedef struct
{
  gboolean progress;
  gboolean json;
} VpCliTopupProgress;

void      vp_cli_topup_progress (const char   *stage,
                                 double        fraction,
                                 gpointer      user_data);

/* Command tables, one per file. NULL-terminated. */
extern const VpCliCommand vp_cli_core_commands[];
extern const VpCliCommand vp_cli_card_commands[];
extern const VpCliCommand vp_cli_sync_commands[];
extern const VpCliCommand vp_cli_print_commands[];
extern const VpCliCommand vp_cli_receipt_commands[];

/* RECEIPT (VAN-yyyymmdd-seq, this van's) or a plain SEQ → the entry's
 * seq; VP_CLI_EXIT_OK, or the exit code after printing why not. Call
 * after vp_cli_open. */
int       vp_cli_resolve_receipt (VpCli      *cli,
                                  const char *command,
                                  const char *arg,
                                  gint64     *out_seq);

G_END_DECLS
