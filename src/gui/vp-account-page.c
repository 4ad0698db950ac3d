/* vp-account-page.c: one account, its bills, history and the services.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-account-page"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "vp-account-page.h"
#include "vp-credit-dialog.h"
#include "vp-gui-util.h"

struct _VpAccountPage
{
  GtkBox        parent_instance;
  GtkLabel     *holder_label;
  GtkLabel     *number_label;
  GtkWidget    *flags_box;
  GtkWidget    *fields_grid;
  GtkWidget    *pay_button;
  GtkWidget    *topup_button;
  GtkWidget    *change_holder_button;
  GtkWidget    *move_credit_button;
  GtkWidget    *refund_credit_button;
  GtkWidget    *close_account_button;
  GtkLabel     *message_label;
  GtkWidget    *bills_list;
  GtkWidget    *history_list;
  GtkWidget    *card_box;
  GtkWidget    *card_list;
  GtkWidget    *read_card_button;

  VpContext    *context;
  VpAccount    *account;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (VpAccountPage, vp_account_page, GTK_TYPE_BOX)

typedef struct
{
  VpAccount *account;
  GPtrArray *bills;    /* VpBill* */
  GPtrArray *history;  /* VpJournalEntry* */
} AccountView;

static void
account_view_free (AccountView *v)
{
  g_clear_pointer (&v->account, vp_account_free);
  g_clear_pointer (&v->bills, g_ptr_array_unref);
  g_clear_pointer (&v->history, g_ptr_array_unref);
  g_free (v);
}

static gpointer
load_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  VpDatabase *db = vp_service_get_database (service);
  AccountView *v = g_new0 (AccountView, 1);

  v->account = vp_account_store_get (db, data, error);
  if (v->account == NULL)
    goto fail;
  v->bills = vp_account_store_list_bills (db, v->account->id, TRUE, error);
  if (v->bills == NULL)
    goto fail;
  v->history = vp_journal_store_list_for_account (db, v->account->id, 10, error);
  if (v->history == NULL)
    goto fail;
  return v;

fail:
  account_view_free (v);
  return NULL;
}

static GtkWidget *
add_field (VpAccountPage *self,
           int            row,
           int            column,
           const char    *title,
           const char    *value)
{
  GtkWidget *t = gtk_label_new (title);
  GtkWidget *v = gtk_label_new (value);

  gtk_label_set_xalign (GTK_LABEL (t), 0);
  gtk_widget_add_css_class (t, "field-title");
  gtk_label_set_xalign (GTK_LABEL (v), 0);
  gtk_label_set_wrap (GTK_LABEL (v), TRUE);
  gtk_label_set_selectable (GTK_LABEL (v), TRUE);
  vp_gui_set_name (v, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (v), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, value, -1);
  gtk_grid_attach (GTK_GRID (self->fields_grid), t, column * 2, row, 1, 1);
  gtk_grid_attach (GTK_GRID (self->fields_grid), v, column * 2 + 1, row, 1, 1);
  return v;
}

static void
add_flag (VpAccountPage *self,
          const char    *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_add_css_class (label, "flag");
  gtk_box_append (GTK_BOX (self->flags_box), label);
}

static GtkWidget *
text_row (const char *title,
          const char *value)
{
  /* Title over value: long receipt numbers must not widen the page. */
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *t = gtk_label_new (title);
  GtkWidget *v = gtk_label_new (value);
  g_autofree char *name = g_strdup_printf ("%s %s", title, value);

  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_label_set_xalign (GTK_LABEL (t), 0);
  gtk_label_set_wrap (GTK_LABEL (t), TRUE);
  gtk_widget_set_hexpand (t, TRUE);
  gtk_label_set_xalign (GTK_LABEL (v), 1);
  gtk_box_append (GTK_BOX (box), t);
  gtk_box_append (GTK_BOX (box), v);
  vp_gui_set_name (box, name);
  return box;
}

static void
show_account (VpAccountPage *self,
              AccountView   *v)
{
  VpAccount *a = v->account;
  g_autofree char *masked = vp_mask_id_number (a->id_number);
  g_autofree char *balance = vp_money_format (a->balance);
  g_autofree char *arrears = vp_money_format (a->arrears);
  g_autofree char *meter = g_strdup_printf ("%s · %s", vp_gui_service_label (a->service),
                                            vp_gui_meter_label (a->meter));
  g_autofree char *tariff = NULL;
  g_autofree char *card = NULL;
  g_autofree char *year = vp_volume_format (a->year_volume);
  const char *status;

  g_clear_pointer (&self->account, vp_account_free);
  self->account = vp_account_copy (a);

  vp_gui_set_value (self->holder_label, a->holder);
  vp_gui_set_value (self->number_label, a->number);

  if (a->tariff_class == VP_TARIFF_CLASS_LOW_INCOME && a->concession_expiry)
    tariff = g_strdup_printf (_("%s, certificate valid until %s"),
                              vp_gui_tariff_label (a->tariff_class), a->concession_expiry);
  else
    tariff = g_strdup (vp_gui_tariff_label (a->tariff_class));
  if (a->card_number)
    card = g_strdup_printf (_("%s (purchases: %" PRId64 ")"), a->card_number, a->card_counter);
  else
    card = g_strdup (_("No card"));
  switch (a->status)
    {
    case VP_ACCOUNT_PROVISIONAL:
      status = _("Provisional (number assigned by HQ at sync)");
      break;
    case VP_ACCOUNT_CLOSED:
      status = _("Closed");
      break;
    default:
      status = _("Active");
    }

  vp_gui_clear_box (self->fields_grid);
  add_field (self, 0, 0, _("Address"), a->address);
  add_field (self, 0, 1, _("Phone"), a->phone);
  add_field (self, 1, 0, _("ID number"), masked);
  add_field (self, 1, 1, _("Meter type"), meter);
  add_field (self, 2, 0, _("Tariff class"), tariff);
  add_field (self, 2, 1, _("Status"), status);
  /* What the resident reads over the counter, in large figures. */
  gtk_widget_add_css_class (add_field (self, 3, 0, _("Balance"), balance), "amount");
  gtk_widget_add_css_class (add_field (self, 3, 1, _("Arrears"), arrears), "amount");
  add_field (self, 4, 0, _("Card"), card);
  add_field (self, 4, 1, _("Bought this year"), year);

  vp_gui_clear_box (self->flags_box);
  if (a->elderly_alone)
    add_flag (self, _("Elderly living alone"));
  if (a->needs_visit)
    add_flag (self, _("Needs home visit"));
  if (a->arrears > 0)
    add_flag (self, _("In arrears"));

  gtk_widget_set_visible (self->topup_button, a->meter == VP_METER_PREPAID && a->card_number != NULL);
  /* The main action follows the meter: top-up on a prepaid card meter,
   * bills on a post-paid one. Paying into a prepaid account (credit)
   * stays possible, as a secondary action. */
  if (a->meter == VP_METER_PREPAID && a->card_number != NULL)
    {
      gtk_widget_remove_css_class (self->pay_button, "suggested-action");
      gtk_box_reorder_child_after (GTK_BOX (gtk_widget_get_parent (self->topup_button)),
                                   self->topup_button, NULL);
      gtk_button_set_label (GTK_BUTTON (self->pay_button),
                            a->arrears > 0 ? _("Pay bills") : _("Pay into credit"));
    }
  else
    {
      gtk_widget_add_css_class (self->pay_button, "suggested-action");
      gtk_box_reorder_child_after (GTK_BOX (gtk_widget_get_parent (self->pay_button)),
                                   self->pay_button, NULL);
      gtk_button_set_label (GTK_BUTTON (self->pay_button), _("Pay bills"));
    }
  gtk_widget_set_visible (self->card_box, a->meter == VP_METER_PREPAID && a->card_number != NULL);
  gtk_widget_set_sensitive (self->pay_button, a->status != VP_ACCOUNT_CLOSED);
  gtk_widget_set_sensitive (self->change_holder_button, a->status != VP_ACCOUNT_CLOSED);
  gtk_widget_set_sensitive (self->move_credit_button, a->status != VP_ACCOUNT_CLOSED && a->balance > 0);
  gtk_widget_set_sensitive (self->refund_credit_button, a->status != VP_ACCOUNT_CLOSED && a->balance > 0);
  gtk_widget_set_sensitive (self->close_account_button, a->status != VP_ACCOUNT_CLOSED);

  vp_gui_clear_box (self->bills_list);
  if (v->bills->len == 0)
    gtk_list_box_append (GTK_LIST_BOX (self->bills_list), text_row (_("No open bills"), ""));
  for (guint i = 0; i < v->bills->len; i++)
    {
      VpBill *bill = v->bills->pdata[i];
      g_autofree char *due = vp_money_format (bill->amount - bill->paid);
      g_autofree char *title = g_strdup_printf (_("Bill %s"), bill->period);

      gtk_list_box_append (GTK_LIST_BOX (self->bills_list), text_row (title, due));
    }

  vp_gui_clear_box (self->history_list);
  if (v->history->len == 0)
    gtk_list_box_append (GTK_LIST_BOX (self->history_list), text_row (_("Nothing yet"), ""));
  {
    /* One line per top-up: its confirmation (or its void) stands for the
     * intent it resolves; an intent shows alone only while pending. */
    g_autoptr(GHashTable) resolved = g_hash_table_new (g_int64_hash, g_int64_equal);
    g_autoptr(GPtrArray) payloads = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

    for (guint i = 0; i < v->history->len; i++)
      {
        VpJournalEntry *e = v->history->pdata[i];
        JsonObject *p = vp_journal_entry_parse_payload (e);

        g_ptr_array_add (payloads, p ? p : json_object_new ());
        if (p != NULL && json_object_has_member (p, "intent_seq") &&
            (g_str_equal (e->kind, VP_KIND_TOPUP_CONFIRM) || g_str_equal (e->kind, VP_KIND_TOPUP_VOID)))
          {
            gint64 *seq = g_new (gint64, 1);

            *seq = json_object_get_int_member (p, "intent_seq");
            g_hash_table_add (resolved, seq);
          }
      }
    for (guint i = 0; i < v->history->len; i++)
      {
        VpJournalEntry *e = v->history->pdata[i];
        JsonObject *payload = payloads->pdata[i];
        g_autofree char *when = NULL;
        g_autofree char *receipt = NULL;
        g_autofree char *title = NULL;
        g_autofree char *value = NULL;

        if (g_str_equal (e->kind, VP_KIND_TOPUP_INTENT) && g_hash_table_contains (resolved, &e->seq))
          continue;
        when = vp_gui_format_time (e->device_time);
        receipt = vp_journal_receipt_number (e->van_id, e->device_time, e->seq);
        title = g_strdup_printf ("%s — %s", vp_gui_kind_label (e->kind), when);
        if (g_str_equal (e->kind, VP_KIND_TOPUP_CONFIRM) && json_object_has_member (payload, "volume"))
          {
            g_autofree char *money = vp_money_format (json_object_get_int_member_with_default (payload, "amount", 0)
                                                      + json_object_get_int_member_with_default (payload, "credit_used", 0));
            g_autofree char *m3 = vp_volume_format (json_object_get_int_member (payload, "volume"));

            value = g_strdup_printf ("%s · %s", money, m3);
          }
        else if (json_object_has_member (payload, "amount"))
          value = vp_money_format (json_object_get_int_member (payload, "amount"));
        else
          value = g_strdup (receipt);
        gtk_list_box_append (GTK_LIST_BOX (self->history_list), text_row (title, value));
      }
  }
}

static void
load_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  AccountView *v = vp_service_run_finish (VP_SERVICE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (v == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  vp_gui_show_message (self->message_label, NULL, FALSE);
  show_account (self, v);
  account_view_free (v);
}

/* --- card read: the card's own record and last purchases ------------------ */

static gpointer
read_card_job (VpService     *service,
               gpointer       data,
               GCancellable  *cancellable,
               GError       **error)
{
  return vp_service_card_read_account (service, data, cancellable, error);
}

static void
read_card_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(VpAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpCardReadout) r = vp_service_run_finish (VP_SERVICE (source), result, &error);
  GtkListBox *list = GTK_LIST_BOX (self->card_list);

  gtk_widget_set_sensitive (self->read_card_button, TRUE);
  vp_gui_clear_box (self->card_list);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (r == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  vp_gui_show_message (self->message_label, r->problem, !r->verified && !r->blank);
  for (guint i = 0; r->recovered && i < r->recovered->len; i++)
    {
      VpRecoveryItem *it = g_ptr_array_index (r->recovered, i);
      gtk_list_box_append (list, text_row (it->message, ""));
    }
  if (r->blank)
    gtk_list_box_append (list, text_row (_("Blank card"), ""));
  else
    {
      g_autofree char *total = vp_volume_format (r->record.total_volume);
      g_autofree char *title = g_strdup_printf (r->verified ? _("Card %s, verified") : _("Card %s"),
                                                r->record.card_number);
      g_autofree char *value = g_strdup_printf (_("%u purchases, %s in total"), r->record.counter,
                                                total);

      gtk_list_box_append (list, text_row (title, value));
      for (guint i = 0; i < r->record.n_history; i++)
        {
          const VpCardPurchase *p = &r->record.history[i];
          g_autofree char *when = vp_gui_format_time (p->time);
          g_autofree char *vol = vp_volume_format (p->volume);
          g_autofree char *money = vp_money_format (p->amount);
          g_autofree char *ptitle = g_strdup_printf (_("Purchase %u — %s"), p->counter, when);
          g_autofree char *pvalue = g_strdup_printf ("%s · %s", vol, money);

          gtk_list_box_append (list, text_row (ptitle, pvalue));
        }
    }
  if (r->damaged)
    gtk_list_box_append (list, text_row (_("One record slot is damaged (an interrupted write); "
                                           "the intact record was used"), ""));
  /* A recovery may have confirmed or voided a top-up: balances changed. */
  if (r->recovered && r->recovered->len > 0 && self->account)
    vp_account_page_load (self, self->account->number);
}

static void
read_card_clicked (VpAccountPage *self)
{
  if (self->account == NULL || self->context == NULL)
    return;
  gtk_widget_set_sensitive (self->read_card_button, FALSE);
  vp_gui_clear_box (self->card_list);
  gtk_list_box_append (GTK_LIST_BOX (self->card_list), text_row (_("Reading the card…"), ""));
  vp_context_run (self->context, read_card_job, g_strdup (self->account->number), g_free,
                  (GDestroyNotify)vp_card_readout_free, self->cancellable,
                  read_card_done, g_object_ref (self));
}

/* --- credit: move, refund, close (VpCreditDialog) ------------------------- */

static void
credit_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  VpAccountPage *self = VP_ACCOUNT_PAGE (widget);
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (widget));
  VpCreditAction action = VP_CREDIT_CLOSE;
  VpCreditDialog *dialog;

  if (self->account == NULL || self->context == NULL)
    return;
  if (g_str_equal (action_name, "account.move-credit"))
    action = VP_CREDIT_MOVE;
  else if (g_str_equal (action_name, "account.refund-credit"))
    action = VP_CREDIT_REFUND;
  dialog = vp_credit_dialog_new (parent, self->context, action, self->account);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
vp_account_page_dispose (GObject *object)
{
  VpAccountPage *self = VP_ACCOUNT_PAGE (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->account, vp_account_free);
  G_OBJECT_CLASS (vp_account_page_parent_class)->dispose (object);
}

static void
vp_account_page_class_init (VpAccountPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_account_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, holder_label);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, number_label);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, flags_box);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, fields_grid);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, pay_button);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, topup_button);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, change_holder_button);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, move_credit_button);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, refund_credit_button);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, close_account_button);
  gtk_widget_class_install_action (widget_class, "account.move-credit", NULL, credit_activated);
  gtk_widget_class_install_action (widget_class, "account.refund-credit", NULL, credit_activated);
  gtk_widget_class_install_action (widget_class, "account.close", NULL, credit_activated);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, bills_list);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, history_list);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, card_box);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, card_list);
  gtk_widget_class_bind_template_child (widget_class, VpAccountPage, read_card_button);
  gtk_widget_class_bind_template_callback (widget_class, read_card_clicked);
}

static void
vp_account_page_init (VpAccountPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
vp_account_page_set_context (VpAccountPage *self,
                             VpContext     *context)
{
  g_set_object (&self->context, context);
}

void
vp_account_page_load (VpAccountPage *self,
                      const char    *number)
{
  g_return_if_fail (VP_IS_ACCOUNT_PAGE (self));

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->account == NULL || g_strcmp0 (self->account->number, number) != 0)
    {
      g_clear_pointer (&self->account, vp_account_free);
      vp_gui_set_value (self->holder_label, _("Loading…"));
      vp_gui_set_value (self->number_label, number);
      vp_gui_clear_box (self->fields_grid);
      vp_gui_clear_box (self->flags_box);
      vp_gui_clear_box (self->bills_list);
      vp_gui_clear_box (self->history_list);
      vp_gui_clear_box (self->card_list);
    }
  vp_context_run (self->context, load_job, g_strdup (number), g_free,
                  (GDestroyNotify)account_view_free, self->cancellable,
                  load_done, g_object_ref (self));
}

const VpAccount *
vp_account_page_get_account (VpAccountPage *self)
{
  g_return_val_if_fail (VP_IS_ACCOUNT_PAGE (self), NULL);
  return self->account;
}
