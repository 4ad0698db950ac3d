/* vp-bar-chart.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-bar-chart"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-bar-chart.h"
#include "vp-gui-util.h"

#define MARGIN 12.0
#define LABEL_HEIGHT 22.0

typedef struct
{
  char   *label;    /* "11-23" */
  VpMoney amount;
} Bar;

struct _VpBarChart
{
  GtkWidget parent_instance;
  GArray   *bars;   /* Bar */
};

G_DEFINE_FINAL_TYPE (VpBarChart, vp_bar_chart, GTK_TYPE_WIDGET)

static void
bar_clear (gpointer data)
{
  g_free (((Bar *)data)->label);
}

static void
draw_text (GtkWidget   *widget,
           GtkSnapshot *snapshot,
           const char  *text,
           double       x,
           double       y,
           double       max_width)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  if (w <= max_width)
    {
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x - w / 2.0, y));
      gtk_snapshot_append_layout (snapshot, layout, &(GdkRGBA) { 0, 0, 0, 1 });
      gtk_snapshot_restore (snapshot);
    }
  g_object_unref (layout);
}

static void
vp_bar_chart_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  VpBarChart *self = VP_BAR_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double plot_h = height - 2 * MARGIN - 2 * LABEL_HEIGHT;
  double slot;
  VpMoney max = 0;
  GdkRGBA bar_color = { 0.043, 0.31, 0.61, 1.0 };   /* #0b4f9c */
  GdkRGBA axis = { 0, 0, 0, 1 };

  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 1, 1, 1, 1 },
                             &GRAPHENE_RECT_INIT (0, 0, width, height));
  gtk_snapshot_append_color (snapshot, &axis,
                             &GRAPHENE_RECT_INIT (MARGIN, height - MARGIN - LABEL_HEIGHT,
                                                  width - 2 * MARGIN, 2));
  for (guint i = 0; i < self->bars->len; i++)
    max = MAX (max, g_array_index (self->bars, Bar, i).amount);
  if (self->bars->len == 0 || plot_h <= 0 || max <= 0)
    {
      draw_text (widget, snapshot, _("No collections in this period"), width / 2, height / 2 - 10, width);
      return;
    }
  slot = (width - 2 * MARGIN) / self->bars->len;

  for (guint i = 0; i < self->bars->len; i++)
    {
      Bar *bar = &g_array_index (self->bars, Bar, i);
      double h = max > 0 ? plot_h * (double)MAX (bar->amount, 0) / (double)max : 0;
      double x = MARGIN + i * slot + (slot - CLAMP (slot * 0.7, 1.0, 80.0)) / 2;
      double w = CLAMP (slot * 0.7, 1.0, 80.0);
      double base = height - MARGIN - LABEL_HEIGHT;

      gtk_snapshot_append_color (snapshot, &bar_color, &GRAPHENE_RECT_INIT (x, base - h, w, h));
      /* Label every bar that has room, and every 5th when crowded. */
      if (slot >= 40 || i % 5 == 0)
        draw_text (widget, snapshot, bar->label, x + w / 2, base + 2, MAX (slot, 40) * 1.5);
      if (bar->amount == max)
        {
          g_autofree char *amount = vp_money_format (bar->amount);
          draw_text (widget, snapshot, amount, x + w / 2, MAX (base - h - LABEL_HEIGHT, 0), width);
        }
    }
}

static void
vp_bar_chart_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 180;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 600 : 240;
}

static void
vp_bar_chart_finalize (GObject *object)
{
  g_clear_pointer (&VP_BAR_CHART (object)->bars, g_array_unref);
  G_OBJECT_CLASS (vp_bar_chart_parent_class)->finalize (object);
}

static void
vp_bar_chart_class_init (VpBarChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = vp_bar_chart_finalize;
  widget_class->snapshot = vp_bar_chart_snapshot;
  widget_class->measure = vp_bar_chart_measure;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
  gtk_widget_class_set_css_name (widget_class, "barchart");
}

static void
vp_bar_chart_init (VpBarChart *self)
{
  self->bars = g_array_new (FALSE, TRUE, sizeof (Bar));
  g_array_set_clear_func (self->bars, bar_clear);
  vp_gui_set_name (GTK_WIDGET (self), _("Daily collections chart"));
}

GtkWidget *
vp_bar_chart_new (void)
{
  return g_object_new (VP_TYPE_BAR_CHART, NULL);
}

void
vp_bar_chart_set_bars (VpBarChart         *self,
                       const char * const *labels,
                       const VpMoney      *amounts,
                       guint               n)
{
  g_autoptr(GString) description = g_string_new (NULL);

  g_return_if_fail (VP_IS_BAR_CHART (self));
  g_array_set_size (self->bars, 0);
  for (guint i = 0; i < n; i++)
    {
      Bar bar;

      bar.label = g_strdup (labels[i]);
      bar.amount = amounts[i];
      g_array_append_val (self->bars, bar);
      if (amounts[i] != 0)
        {
          g_autofree char *amount = vp_money_format (amounts[i]);
          g_string_append_printf (description, "%s%s %s", description->len ? ", " : "", labels[i], amount);
        }
    }
  /* The picture's text alternative: every bar in words. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description->len ? description->str : _("No collections in this period"),
                                  -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
