/* vp-shift-store.h: shifts, X/Z reports and supervisor voids.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "vp-database.h"
#include "vp-store-types.h"

G_BEGIN_DECLS

VpJournalEntry *vp_shift_store_open    (VpDatabase    *db,
                                        const VpStaff *staff,
                                        VpMoney        float_amount,
                                        GError       **error);
/* Needs a supervisor. The Z report (numbered) is the payload. */
VpJournalEntry *vp_shift_store_close   (VpDatabase    *db,
                                        const VpStaff *supervisor,
                                        VpMoney        counted,
                                        GError       **error);
/* Totals of a shift (0: the open one). FALSE with STATE if none is open. */
gboolean        vp_shift_store_totals  (VpDatabase    *db,
                                        gint64         shift_id,
                                        VpShiftTotals *out,
                                        GError       **error);
/* One shift as the shifts table lists it (a helper table; the Z's
 * figures are in its signed entry, close_seq). */
typedef struct
{
  gint64  id;
  char   *opened_by;
  gint64  opened_at;
  gint64  open_seq;
  char   *closed_by;    /* NULL while open */
  gint64  closed_at;
  gint64  close_seq;    /* 0 while open */
  gint64  z_number;
  VpMoney float_amount;
  VpMoney expected;
  VpMoney counted;
} VpShiftInfo;

void            vp_shift_info_free     (VpShiftInfo *info);
/* Every shift, newest first. */
GPtrArray      *vp_shift_store_list    (VpDatabase    *db,
                                        GError       **error);
/* The seq of Z report number z_number, 0 with NOT_FOUND if none. */
gint64          vp_shift_store_z_seq   (VpDatabase    *db,
                                        gint64         z_number,
                                        GError       **error);

/* The X report's members, also the Z report's payload. */
void            vp_shift_totals_add_json (const VpShiftTotals *totals,
                                          JsonBuilder         *builder);
/* Id of the open shift, 0 if none. */
gint64          vp_shift_store_current (VpDatabase    *db);

/* Reversing entry for a payment or account opening of the open shift.
 * Needs a supervisor, who both asks and approves. */
VpJournalEntry *vp_shift_store_void    (VpDatabase    *db,
                                        const VpStaff *supervisor,
                                        gint64         seq,
                                        const char    *reason,
                                        GError       **error);
/* The same, asked for by requester (any signed-in staff) and approved by
 * supervisor (VP_STORE_ERROR_PERMISSION unless a supervisor). The payload
 * names both: "requested_by" and "approved_by". */
VpJournalEntry *vp_shift_store_void_requested (VpDatabase    *db,
                                               const VpStaff *requester,
                                               const VpStaff *supervisor,
                                               gint64         seq,
                                               const char    *reason,
                                               GError       **error);

G_END_DECLS
