/* vp-gui-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-gui-util.h"
#include "vp-receipt-printer.h"
#include "vp-context.h"

void
vp_gui_set_name (GtkWidget  *widget,
                 const char *name)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);
}

void
vp_gui_show_message (GtkLabel   *label,
                     const char *text,
                     gboolean    is_error)
{
  GtkWidget *w = GTK_WIDGET (label);
  gboolean empty = text == NULL || *text == '\0';

  gtk_label_set_text (label, empty ? "" : text);
  gtk_widget_remove_css_class (w, "message-error");
  gtk_widget_remove_css_class (w, "message-ok");
  if (!empty)
    gtk_widget_add_css_class (w, is_error ? "message-error" : "message-ok");
  gtk_widget_set_visible (w, !empty);
  /* The message label keeps its name for tests; its text is the
   * description so screen readers read it out. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, empty ? "" : text,
                                  -1);
}

void
vp_gui_set_value (GtkLabel   *label,
                  const char *text)
{
  gtk_label_set_text (label, text ? text : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text ? text : "",
                                  -1);
}

void
vp_gui_set_money (GtkLabel *label,
                  VpMoney   amount)
{
  g_autofree char *text = vp_money_format (amount);

  vp_gui_set_value (label, text);
}

void
vp_gui_clear_box (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    {
      if (GTK_IS_BOX (box))
        gtk_box_remove (GTK_BOX (box), child);
      else if (GTK_IS_GRID (box))
        gtk_grid_remove (GTK_GRID (box), child);
      else if (GTK_IS_FLOW_BOX (box))
        gtk_flow_box_remove (GTK_FLOW_BOX (box), child);
      else if (GTK_IS_LIST_BOX (box))
        gtk_list_box_remove (GTK_LIST_BOX (box), child);
      else
        gtk_widget_unparent (child);
    }
}

char *
vp_gui_format_time (gint64 device_time_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (device_time_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("?");
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}


const char *
vp_gui_kind_label (const char *kind)
{
  static const struct { const char *kind; const char *label; } kinds[] = {
    { VP_KIND_PAY, N_("Bill payment") },
    { VP_KIND_TOPUP_INTENT, N_("Top-up started") },
    { VP_KIND_TOPUP_CONFIRM, N_("Top-up") },
    { VP_KIND_TOPUP_VOID, N_("Top-up not written (credited)") },
    { VP_KIND_ACCOUNT_OPEN, N_("Account opened") },
    { VP_KIND_ACCOUNT_TRANSFER, N_("Change of holder") },
    { VP_KIND_ACCOUNT_CLOSE, N_("Account closed") },
    { VP_KIND_CREDIT_MOVE, N_("Credit moved") },
    { VP_KIND_CREDIT_SETTLE, N_("Bills paid from credit") },
    { VP_KIND_CREDIT_REFUND, N_("Credit refund") },
    { VP_KIND_CARD_REISSUE, N_("Card reissued") },
    { VP_KIND_LOG_CONSULTATION, N_("Consultation") },
    { VP_KIND_LOG_VISIT, N_("Home visit") },
    { VP_KIND_LOG_COMPLAINT, N_("Complaint") },
    { VP_KIND_TRIP_START, N_("Trip started") },
    { VP_KIND_TRIP_END, N_("Trip ended") },
    { VP_KIND_SHIFT_OPEN, N_("Shift opened") },
    { VP_KIND_SHIFT_CLOSE, N_("Shift closed") },
    { VP_KIND_VOID, N_("Void") },
    { VP_KIND_REVERSAL_INTENT, N_("Top-up reversal started") },
    { VP_KIND_REVERSAL_ABANDON, N_("Top-up reversal abandoned (card not rewritten)") },
    { VP_KIND_CASH_DROP, N_("Cash drop to safe") },
    { VP_KIND_CASH_PAID_IN, N_("Cash paid in") },
    { VP_KIND_CASH_PAID_OUT, N_("Cash paid out") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kind, kinds[i].kind) == 0)
      return _(kinds[i].label);
  return kind;
}

const char *
vp_gui_role_label (VpRole role)
{
  return role == VP_ROLE_SUPERVISOR ? _("Supervisor") : _("Operator");
}

const char *
vp_gui_meter_label (VpMeterType meter)
{
  return meter == VP_METER_PREPAID ? _("Prepaid IC card") : _("Post-paid meter");
}

const char *
vp_gui_service_label (VpServiceKind service)
{
  return service == VP_SERVICE_GAS ? _("Gas") : _("Water");
}

const char *
vp_gui_tariff_label (VpTariffClass klass)
{
  switch (klass)
    {
    case VP_TARIFF_CLASS_RESIDENTIAL:
      return _("Residential");
    case VP_TARIFF_CLASS_COMMERCIAL:
      return _("Commercial");
    case VP_TARIFF_CLASS_LOW_INCOME:
      return _("Low-income concession");
    default:
      return "?";
    }
}

const char *
vp_gui_method_label (VpPaymentMethod method)
{
  switch (method)
    {
    case VP_PAYMENT_CASH:
      return _("Cash");
    case VP_PAYMENT_CARD:
      return _("Card");
    case VP_PAYMENT_MOBILE:
      return _("Mobile");
    default:
      return "?";
    }
}


GPtrArray *
vp_gui_toggle_group (GtkWidget          *box,
                     const char * const *labels,
                     const char         *css_class)
{
  GPtrArray *buttons = g_ptr_array_new ();
  GtkToggleButton *first = NULL;

  for (guint i = 0; labels[i] != NULL; i++)
    {
      GtkWidget *button = gtk_toggle_button_new_with_label (_(labels[i]));

      vp_gui_set_name (button, _(labels[i]));
      if (css_class)
        gtk_widget_add_css_class (button, css_class);
      gtk_widget_set_hexpand (button, TRUE);
      if (first == NULL)
        first = GTK_TOGGLE_BUTTON (button);
      else
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), first);
      gtk_box_append (GTK_BOX (box), button);
      g_ptr_array_add (buttons, button);
    }
  if (first)
    gtk_toggle_button_set_active (first, TRUE);
  gtk_widget_add_css_class (box, "linked");
  return buttons;
}

int
vp_gui_toggle_group_get (GPtrArray *buttons)
{
  for (guint i = 0; i < buttons->len; i++)
    if (gtk_toggle_button_get_active (buttons->pdata[i]))
      return (int)i;
  return 0;
}

void
vp_gui_toggle_group_set (GPtrArray *buttons,
                         int        index)
{
  g_return_if_fail (index >= 0 && (guint)index < buttons->len);
  gtk_toggle_button_set_active (buttons->pdata[index], TRUE);
}

gboolean
vp_gui_parse_amount (GtkEditable *editable,
                     const char  *field,
                     VpMoney     *out,
                     GError     **error)
{
  const char *text = gtk_editable_get_text (editable);
  g_autoptr(GError) local = NULL;

  if (!vp_money_parse_positive (text, out, &local))
    {
      if (*text == '\0')
        g_set_error (error, VP_MONEY_ERROR, VP_MONEY_ERROR_SYNTAX,
                     _("%s: enter an amount"), field);
      else
        g_set_error (error, local->domain, local->code, "%s: %s", field, local->message);
      return FALSE;
    }
  return TRUE;
}

GtkLabel *
vp_gui_grid_row (GtkWidget  *grid,
                 int         row,
                 int         column,
                 const char *title,
                 const char *value)
{
  GtkWidget *t = gtk_label_new (title);
  GtkWidget *v = gtk_label_new (value);

  gtk_label_set_xalign (GTK_LABEL (t), 0);
  gtk_widget_add_css_class (t, "field-title");
  /* Both wrap so a 4-column grid still fits 1024 px beside a keypad. */
  gtk_label_set_wrap (GTK_LABEL (t), TRUE);
  gtk_label_set_xalign (GTK_LABEL (v), 0);
  gtk_label_set_wrap (GTK_LABEL (v), TRUE);
  vp_gui_set_name (v, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (v), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  value ? value : "", -1);
  gtk_grid_attach (GTK_GRID (grid), t, column * 2, row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), v, column * 2 + 1, row, 1, 1);
  return GTK_LABEL (v);
}

void
vp_gui_fit_dialog (GtkScrolledWindow *scroller)
{
  GListModel *monitors = gdk_display_get_monitors (gdk_display_get_default ());
  g_autoptr(GdkMonitor) monitor = g_list_model_get_n_items (monitors) > 0
                                  ? g_list_model_get_item (monitors, 0) : NULL;
  GdkRectangle geometry;

  if (monitor == NULL)
    return;
  gdk_monitor_get_geometry (monitor, &geometry);
  /* Room for the title bar (its buttons are the dialog's actions) and
   * a margin: the dialog never reaches past the screen. */
  gtk_scrolled_window_set_max_content_height (scroller, MAX (geometry.height - 110, 200));
}

GtkLabel *
vp_gui_mark_amount (GtkLabel *label)
{
  gtk_widget_add_css_class (GTK_WIDGET (label), "amount");
  return label;
}

static void
printed (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GtkLabel) label = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  path = vp_receipt_printer_print_finish (result, &error);
  if (path == NULL)
    {
      /* Says where the receipt waits: the print button prints it again. */
      text = g_strdup_printf (_("Printing failed: %s"), error->message);
      vp_gui_show_message (label, text, TRUE);
      return;
    }
  if (*path)
    text = g_strdup_printf (_("Receipt saved as %s"), path);
  else
    text = g_strdup (_("Receipt printed"));
  vp_gui_show_message (label, text, FALSE);
}

void
vp_gui_print_receipt (gpointer  context,
                      gint64    seq,
                      GtkLabel *label)
{
  g_autofree char *printer = vp_context_dup_string (context, "printer");

  if (g_strcmp0 (printer, "none") == 0)
    {
      vp_gui_show_message (label, _("No printer is set up (Settings → Printer)"), TRUE);
      return;
    }
  vp_gui_show_message (label, _("Printing…"), FALSE);
  vp_receipt_printer_print_async (context, GTK_WIDGET (label), seq, printed, g_object_ref (label));
}

gboolean
vp_gui_guard_money (GtkWidget  *page,
                    gpointer    context,
                    GtkLabel   *label,
                    gboolean    shown,
                    const char *action,
                    ...)
{
  gboolean broken = vp_context_get_journal_break (context) != NULL;
  va_list args;

  va_start (args, action);
  for (const char *a = action; a != NULL; a = va_arg (args, const char *))
    gtk_widget_action_set_enabled (page, a, !broken);
  va_end (args);
  /* Said here, before anything is typed or a card is touched, not only
   * by the store when the money is already in hand. */
  if (broken)
    vp_gui_show_message (label, _("No money can be taken until a supervisor acknowledges "
                                  "the journal break (banner at the top)"), TRUE);
  else if (shown)
    vp_gui_show_message (label, NULL, FALSE);
  return broken;
}
