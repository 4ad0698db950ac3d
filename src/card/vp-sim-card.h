/* vp-sim-card.h: a simulated IC-card reader backed by files.
 *
 * DIR/<card number>.card holds a card's VP_CARD_IMAGE_SIZE bytes of
 * memory; DIR/inserted names the card in the reader (absent: no card).
 * Writes go byte range by byte range with fsync, like a card's EEPROM, so
 * a card pulled part-way leaves a torn record behind.
 *
 * Fault injection, by API or from the environment at construction
 * (VANPOS_SIM_FAULT, for scripts and crash tests):
 *   pull-after:N   the next write stores N bytes, then the card is pulled
 *                  (DIR/inserted removed) and the write fails with REMOVED
 *   crash-after:N  the next write stores N bytes, then the process dies
 *                  (_exit 86), as in a power cut mid-write
 *   write-error    the next write fails with IO, nothing stored
 *   mismatch       the next write stores one byte wrong (read-back mismatch)
 *   garbage        every read returns noise (an unreadable card)
 *   read-fail:N    the next write stores everything, then the N reads
 *                  after it fail with IO (a transient reader fault: the
 *                  card holds the purchase but cannot be read back yet)
 * VANPOS_SIM_WRITE_DELAY_MS=D makes writes slow (D ms per 16 bytes) so a
 * test can SIGKILL the process mid-write.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-card-reader.h"

G_BEGIN_DECLS

typedef enum
{
  VP_SIM_FAULT_NONE,
  VP_SIM_FAULT_PULL_AFTER,
  VP_SIM_FAULT_CRASH_AFTER,
  VP_SIM_FAULT_WRITE_ERROR,
  VP_SIM_FAULT_MISMATCH,
  VP_SIM_FAULT_GARBAGE,
  VP_SIM_FAULT_READ_FAIL,
} VpSimFault;

#define VP_TYPE_SIM_CARD (vp_sim_card_get_type ())
G_DECLARE_FINAL_TYPE (VpSimCard, vp_sim_card, VP, SIM_CARD, GObject)

/* Creates dir (0700) if needed. Reads VANPOS_SIM_FAULT. */
VpSimCard  *vp_sim_card_new            (const char  *dir,
                                        GError     **error);
/* VANPOS_CARD_DIR, else $XDG_DATA_HOME/vanpos/cards. */
char       *vp_sim_card_default_dir    (void);
const char *vp_sim_card_get_dir        (VpSimCard   *self);
char       *vp_sim_card_get_card_path  (VpSimCard   *self,
                                        const char  *card_number);
gboolean    vp_sim_card_has_card       (VpSimCard   *self,
                                        const char  *card_number);
/* Puts a card into the reader; a card never seen before is a new blank
 * card (all zero). card_number: 8..20 digits. */
gboolean    vp_sim_card_insert         (VpSimCard   *self,
                                        const char  *card_number,
                                        GError     **error);
gboolean    vp_sim_card_remove         (VpSimCard   *self,
                                        GError     **error);
/* The inserted card's number, or NULL. */
char       *vp_sim_card_dup_inserted   (VpSimCard   *self);
/* Creates a card file with the given image (VP_CARD_IMAGE_SIZE bytes);
 * refuses to overwrite an existing card. */
gboolean    vp_sim_card_issue          (VpSimCard    *self,
                                        const char   *card_number,
                                        const guint8 *image,
                                        GError      **error);
void        vp_sim_card_set_fault      (VpSimCard   *self,
                                        VpSimFault   fault,
                                        gsize        after_bytes);
/* Parses "pull-after:N" etc. */
gboolean    vp_sim_fault_parse         (const char  *text,
                                        VpSimFault  *fault,
                                        gsize       *after_bytes,
                                        GError     **error);

G_END_DECLS
