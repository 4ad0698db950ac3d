/* vp-gui-util.h: small helpers shared by the screens.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-store.h"

G_BEGIN_DECLS

/* Sets the accessible name (what AT-SPI tests and screen readers see). */
void        vp_gui_set_name          (GtkWidget   *widget,
                                      const char  *name);
/* Shows text in a message label, styled as an error or as an outcome; an
 * empty or NULL text hides it. The accessible name follows the text. */
void        vp_gui_show_message      (GtkLabel    *label,
                                      const char  *text,
                                      gboolean     is_error);
/* A value label: text and accessible description "title: text". */
void        vp_gui_set_value         (GtkLabel    *label,
                                      const char  *text);
void        vp_gui_set_money         (GtkLabel    *label,
                                      VpMoney      amount);
void        vp_gui_clear_box         (GtkWidget   *box);
char       *vp_gui_format_time       (gint64       device_time_us);
/* A human name for a journal entry kind ("Payment", "Top-up" …). */
const char *vp_gui_kind_label        (const char  *kind);
const char *vp_gui_role_label        (VpRole       role);
const char *vp_gui_meter_label       (VpMeterType  meter);
const char *vp_gui_service_label     (VpServiceKind service);
const char *vp_gui_tariff_label      (VpTariffClass klass);
const char *vp_gui_method_label      (VpPaymentMethod method);

/* Builds a toggle group of buttons in box from labels (translated), the
 * first active; returns the buttons (owned by box). */
GPtrArray  *vp_gui_toggle_group      (GtkWidget   *box,
                                      const char * const *labels,
                                      const char  *css_class);
int         vp_gui_toggle_group_get  (GPtrArray   *buttons);
void        vp_gui_toggle_group_set  (GPtrArray   *buttons,
                                      int          index);

/* Money from a field: vp_money_parse_positive, error names the field. */
gboolean    vp_gui_parse_amount      (GtkEditable *editable,
                                      const char  *field,
                                      VpMoney     *out,
                                      GError     **error);

G_END_DECLS

G_BEGIN_DECLS
/* Prints entry seq's receipt (the printer setting) and reports the outcome
 * in label. context is a VpContext. */
void        vp_gui_print_receipt     (gpointer     context,
                                      gint64       seq,
                                      GtkLabel    *label);
/* Appends "title  value" at row of grid (columns 2*column, 2*column+1);
 * the value label is named title for AT-SPI. Returns the value label. */
GtkLabel   *vp_gui_grid_row          (GtkWidget   *grid,
                                      int          row,
                                      int          column,
                                      const char  *title,
                                      const char  *value);
/* While the journal is broken (context's journal-break) disables the
 * page's money actions (NULL-terminated names) and says why in label;
 * once it is not, enables them and clears label if shown (what the last
 * call returned). Returns whether the journal is broken. */
gboolean    vp_gui_guard_money       (GtkWidget   *page,
                                      gpointer     context,
                                      GtkLabel    *label,
                                      gboolean     shown,
                                      const char  *action,
                                      ...) G_GNUC_NULL_TERMINATED;
/* Money a resident reads over the counter: large figures (the .amount
 * style, digits at least 28 px tall). Returns label. */
GtkLabel   *vp_gui_mark_amount          (GtkLabel   *label);
/* A dialog's scrolled content never grows past the screen's height. */
void        vp_gui_fit_dialog           (GtkScrolledWindow *scroller);

G_END_DECLS
