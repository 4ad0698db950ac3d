/* vp-bar-chart.h: daily collections as bars, drawn with GtkSnapshot.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vp-store.h"

G_BEGIN_DECLS

#define VP_TYPE_BAR_CHART (vp_bar_chart_get_type ())
G_DECLARE_FINAL_TYPE (VpBarChart, vp_bar_chart, VP, BAR_CHART, GtkWidget)

GtkWidget *vp_bar_chart_new      (void);
/* n bars: labels[i] under bar i of height amounts[i] (copied). */
void       vp_bar_chart_set_bars (VpBarChart          *self,
                                  const char * const  *labels,
                                  const VpMoney       *amounts,
                                  guint                n);

G_END_DECLS
