/* vp-account-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-account-row"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-account-row.h"
#include "vp-gui-util.h"

struct _VpAccountRow
{
  GtkBox     parent_instance;
  GtkWidget *button;
  GtkLabel  *holder_label;
  GtkLabel  *number_label;
  GtkLabel  *meter_label;
  GtkLabel  *money_label;
  GtkLabel  *address_label;
  GtkLabel  *phone_label;
  char      *number;
};

G_DEFINE_FINAL_TYPE (VpAccountRow, vp_account_row, GTK_TYPE_BOX)

static void
open_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  VpAccountRow *self = VP_ACCOUNT_ROW (widget);

  if (self->number)
    gtk_widget_activate_action (widget, "win.open-account", "s", self->number);
}

static void
vp_account_row_finalize (GObject *object)
{
  g_clear_pointer (&VP_ACCOUNT_ROW (object)->number, g_free);
  G_OBJECT_CLASS (vp_account_row_parent_class)->finalize (object);
}

static void
vp_account_row_class_init (VpAccountRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = vp_account_row_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-account-row.ui");
  gtk_widget_class_bind_template_child (widget_class, VpAccountRow, button);
  gtk_widget_class_bind_template_child (widget_class, VpAccountRow, holder_label);
  gtk_widget_class_bind_template_child (widget_class, VpAccountRow, number_label);
  gtk_widget_class_bind_template_child (widget_class, VpAccountRow, meter_label);
  gtk_widget_class_bind_template_child (widget_class, VpAccountRow, money_label);
  gtk_widget_class_bind_template_child (widget_class, VpAccountRow, address_label);
  gtk_widget_class_bind_template_child (widget_class, VpAccountRow, phone_label);
  gtk_widget_class_install_action (widget_class, "row.open", NULL, open_activated);
}

static void
vp_account_row_init (VpAccountRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
vp_account_row_new (void)
{
  return g_object_new (VP_TYPE_ACCOUNT_ROW, NULL);
}

void
vp_account_row_set_account (VpAccountRow    *self,
                            const VpAccount *a)
{
  g_autofree char *name = NULL;
  g_autofree char *money = NULL;
  g_autofree char *meter = NULL;

  g_return_if_fail (VP_IS_ACCOUNT_ROW (self));
  g_clear_pointer (&self->number, g_free);
  if (a == NULL)
    return;
  self->number = g_strdup (a->number);

  gtk_label_set_text (self->holder_label, a->holder);
  gtk_label_set_text (self->number_label, a->number);
  meter = g_strdup_printf ("%s · %s", vp_gui_service_label (a->service),
                           vp_gui_meter_label (a->meter));
  gtk_label_set_text (self->meter_label, meter);
  if (a->arrears > 0)
    {
      g_autofree char *amount = vp_money_format (a->arrears);
      money = g_strdup_printf (_("Arrears %s"), amount);
      gtk_widget_add_css_class (GTK_WIDGET (self->money_label), "arrears");
    }
  else
    {
      g_autofree char *amount = vp_money_format (a->balance);
      money = g_strdup_printf (_("Credit %s"), amount);
      gtk_widget_remove_css_class (GTK_WIDGET (self->money_label), "arrears");
    }
  gtk_label_set_text (self->money_label, money);
  gtk_label_set_text (self->address_label, a->address);
  gtk_label_set_text (self->phone_label, a->phone);

  name = g_strdup_printf ("%s %s", a->number, a->holder);
  vp_gui_set_name (self->button, name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, a->address,
                                  -1);
}
