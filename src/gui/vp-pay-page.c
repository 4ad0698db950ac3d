/* vp-pay-page.c: pay post-paid bills (oldest first) and print a receipt.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-pay"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-pay-page.h"
#include "vp-gui-util.h"
#include "vp-keypad.h"
#include "vp-supervisor-dialog.h"

#define MAX_REFERENCE_CHARS 64

struct _VpPayPage
{
  GtkBox        parent_instance;
  GtkStack     *stack;
  GtkLabel     *account_label;
  GtkLabel     *position_label;
  GtkWidget    *bills_box;
  GtkWidget    *amount_entry;
  GtkWidget    *method_box;
  GtkWidget    *tendered_title;
  GtkWidget    *tendered_entry;
  GtkWidget    *change_title;
  GtkLabel     *change_label;
  GtkWidget    *reference_title;
  GtkWidget    *reference_entry;
  GtkLabel     *message_label;
  GtkWidget    *confirm_button;
  VpKeypad     *keypad;
  GtkWidget    *receipt_grid;
  GtkLabel     *print_label;

  VpContext    *context;
  char         *number;
  GPtrArray    *methods;      /* GtkToggleButton*, in VpPaymentMethod order */
  GPtrArray    *bill_checks;  /* GtkCheckButton*, oldest first */
  GArray       *bill_dues;    /* VpMoney per bill */
  VpMoney       credit_applied; /* the account's credit that pays its oldest bills */
  gboolean      syncing;      /* re-entrancy guard while checks cascade */
  gboolean      busy;
  gint64        receipt_seq;
  GCancellable *cancellable;
  gboolean      refused;      /* the journal-break refusal is shown */
};

G_DEFINE_FINAL_TYPE (VpPayPage, vp_pay_page, GTK_TYPE_BOX)

/* A broken journal refuses money here, before anything is entered. */
static void
guard_money (VpPayPage *self)
{
  self->refused = vp_gui_guard_money (GTK_WIDGET (self), self->context, self->message_label,
                                      self->refused, "pay.confirm", NULL);
}

static const char * const method_labels[] = { N_("Cash"), N_("Card"), N_("Mobile"), NULL };

typedef struct
{
  VpAccount *account;
  GPtrArray *bills;
} PayView;

static void
pay_view_free (PayView *v)
{
  g_clear_pointer (&v->account, vp_account_free);
  g_clear_pointer (&v->bills, g_ptr_array_unref);
  g_free (v);
}

static gpointer
load_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  VpDatabase *db = vp_service_get_database (service);
  PayView *v = g_new0 (PayView, 1);

  v->account = vp_account_store_get (db, data, error);
  if (v->account == NULL ||
      (v->bills = vp_account_store_list_bills (db, v->account->id, TRUE, error)) == NULL)
    {
      pay_view_free (v);
      return NULL;
    }
  return v;
}

typedef struct
{
  VpStaff        *staff;
  char           *number;
  VpMoney         amount;         /* 0: settle from credit alone */
  VpPaymentMethod method;
  char           *reference;
  VpMoney         tendered;       /* cash only; 0: not given */
  VpStaff        *approver;       /* a supervisor approving an offline cap, or NULL */
} PayData;

static void
pay_data_free (PayData *d)
{
  g_clear_pointer (&d->staff, vp_staff_free);
  g_clear_pointer (&d->approver, vp_staff_free);
  g_free (d->number);
  g_free (d->reference);
  g_free (d);
}

static gpointer
pay_one (VpService  *service,
         PayData    *d,
         GError    **error)
{
  if (d->amount == 0)
    return vp_service_settle_from_credit (service, d->staff, d->number, error);
  /* The cash tendered and the change are part of the signed payment. */
  if (d->method == VP_PAYMENT_CASH && d->tendered > 0)
    return vp_service_pay_tendered (service, d->staff, d->number, d->amount, d->tendered, error);
  return vp_service_pay (service, d->staff, d->number, d->amount, d->method, d->reference, error);
}

static gpointer
pay_job (VpService     *service,
         gpointer       data,
         GCancellable  *cancellable,
         GError       **error)
{
  PayData *d = data;
  gpointer entry;

  /* A supervisor's approval covers this one payment only. */
  vp_service_set_limit_approver (service, d->approver);
  entry = pay_one (service, d, error);
  vp_service_set_limit_approver (service, NULL);
  return entry;
}

static void submit_payment (VpPayPage     *self,
                            const VpStaff *approver);

static void
limit_approved (VpSupervisorDialog *dialog,
                VpStaff            *supervisor,
                VpPayPage          *self)
{
  submit_payment (self, supervisor);
}

static VpPaymentMethod
current_method (VpPayPage *self)
{
  return (VpPaymentMethod)vp_gui_toggle_group_get (self->methods);
}

static void
update_change (VpPayPage *self)
{
  const char *tendered_text = gtk_editable_get_text (GTK_EDITABLE (self->tendered_entry));
  const char *amount_text = gtk_editable_get_text (GTK_EDITABLE (self->amount_entry));
  VpMoney amount = 0, tendered = 0;

  if (*tendered_text == '\0' || !vp_money_parse (tendered_text, &tendered, NULL) ||
      !vp_money_parse (amount_text, &amount, NULL))
    {
      vp_gui_set_value (self->change_label, "—");
      return;
    }
  if (tendered < amount)
    vp_gui_set_value (self->change_label, _("Not enough cash tendered"));
  else
    vp_gui_set_money (self->change_label, tendered - amount);
}

static void
method_changed (VpPayPage *self)
{
  gboolean cash = current_method (self) == VP_PAYMENT_CASH;

  gtk_widget_set_visible (self->tendered_title, cash);
  gtk_widget_set_visible (self->tendered_entry, cash);
  gtk_widget_set_visible (self->change_title, cash);
  gtk_widget_set_visible (GTK_WIDGET (self->change_label), cash);
  gtk_widget_set_visible (self->reference_title, !cash);
  gtk_widget_set_visible (self->reference_entry, !cash);
  if (!cash && vp_keypad_get_target (self->keypad) == GTK_EDITABLE (self->tendered_entry))
    vp_keypad_set_target (self->keypad, GTK_EDITABLE (self->amount_entry));
  update_change (self);
}

static void
bill_toggled (GtkCheckButton *check,
              VpPayPage      *self)
{
  guint index = 0;
  gboolean active = gtk_check_button_get_active (check);
  VpMoney sum = 0;
  g_autofree char *text = NULL;

  if (self->syncing)
    return;
  self->syncing = TRUE;
  g_ptr_array_find (self->bill_checks, check, &index);
  /* Bills are settled oldest first: a bill needs every older one. */
  for (guint i = 0; i < self->bill_checks->len; i++)
    {
      if (active && i < index)
        gtk_check_button_set_active (self->bill_checks->pdata[i], TRUE);
      if (!active && i > index)
        gtk_check_button_set_active (self->bill_checks->pdata[i], FALSE);
    }
  for (guint i = 0; i < self->bill_checks->len; i++)
    if (gtk_check_button_get_active (self->bill_checks->pdata[i]))
      sum += g_array_index (self->bill_dues, VpMoney, i);
  self->syncing = FALSE;
  /* The store applies the credit to the oldest bills first: money is
   * needed only for the rest. */
  sum = MAX (sum - self->credit_applied, 0);
  text = sum > 0 ? vp_money_format_plain (sum) : g_strdup ("");
  gtk_editable_set_text (GTK_EDITABLE (self->amount_entry), text);
}

static void
show_form (VpPayPage *self,
           PayView   *v)
{
  VpAccount *a = v->account;
  g_autofree char *arrears = vp_money_format (a->arrears);
  g_autofree char *title = g_strdup_printf (_("%s · %s — arrears %s"), a->holder, a->number, arrears);
  VpMoney total = 0;
  VpPosition pos;

  vp_position_compute (a->arrears, a->balance, &pos);
  self->credit_applied = pos.credit_applied;
  vp_gui_set_value (self->account_label, title);
  /* The account position, before any amount is typed (DESIGN §3). */
  if (a->balance > 0)
    {
      g_autofree char *credit = vp_money_format (a->balance);
      g_autofree char *applied = vp_money_format (pos.credit_applied);
      g_autofree char *due = vp_money_format (pos.due);
      g_autofree char *left = vp_money_format (pos.credit_left);
      g_autofree char *line = NULL;

      if (pos.credit_applied == 0)
        line = g_strdup_printf (_("Credit %s; no open bills: a payment adds to it."), credit);
      else if (pos.due > 0)
        line = g_strdup_printf (_("Credit %s pays %s of the bills first; %s left to pay."),
                                credit, applied, due);
      else
        line = g_strdup_printf (_("Credit %s pays all bills (%s); %s stays as credit. "
                                  "Leave the amount empty to settle from credit."),
                                credit, applied, left);
      vp_gui_set_value (self->position_label, line);
      gtk_widget_set_visible (GTK_WIDGET (self->position_label), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->position_label), FALSE);
  vp_gui_clear_box (self->bills_box);
  g_ptr_array_set_size (self->bill_checks, 0);
  g_array_set_size (self->bill_dues, 0);
  if (v->bills->len == 0)
    {
      GtkWidget *none = gtk_label_new (_("No open bills: the payment becomes account credit."));
      gtk_label_set_xalign (GTK_LABEL (none), 0);
      gtk_label_set_wrap (GTK_LABEL (none), TRUE);
      gtk_box_append (GTK_BOX (self->bills_box), none);
    }
  for (guint i = 0; i < v->bills->len; i++)
    {
      VpBill *bill = v->bills->pdata[i];
      VpMoney due = bill->amount - bill->paid;
      g_autofree char *due_text = vp_money_format (due);
      g_autofree char *label = g_strdup_printf (_("Bill %s %s"), bill->period, due_text);
      GtkWidget *check = gtk_check_button_new_with_label (label);

      vp_gui_set_name (check, label);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
      g_signal_connect (check, "toggled", G_CALLBACK (bill_toggled), self);
      gtk_box_append (GTK_BOX (self->bills_box), check);
      g_ptr_array_add (self->bill_checks, check);
      g_array_append_val (self->bill_dues, due);
      total += due;
    }
  if (total - self->credit_applied > 0)
    {
      g_autofree char *text = vp_money_format_plain (total - self->credit_applied);
      gtk_editable_set_text (GTK_EDITABLE (self->amount_entry), text);
    }
  gtk_widget_set_sensitive (self->confirm_button, !self->refused);
  vp_keypad_set_target (self->keypad, GTK_EDITABLE (self->amount_entry));
  gtk_widget_grab_focus (self->amount_entry);
}

static void
load_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpPayPage) self = user_data;
  g_autoptr(GError) error = NULL;
  PayView *v = vp_service_run_finish (VP_SERVICE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (v == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  show_form (self, v);
  pay_view_free (v);
}

static void
show_receipt (VpPayPage      *self,
              VpJournalEntry *entry)
{
  g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (entry);
  g_autofree char *receipt = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
  g_autofree char *code = vp_journal_verify_code (entry->hash);
  g_autofree char *amount = NULL;
  g_autofree char *credit = NULL;
  g_autofree char *arrears = NULL;
  g_autoptr(GString) bills = g_string_new (NULL);
  int row = 0;

  vp_gui_clear_box (self->receipt_grid);
  self->receipt_seq = entry->seq;
  vp_gui_show_message (self->print_label, NULL, FALSE);
  amount = vp_money_format (json_object_get_int_member (p, "amount"));
  credit = vp_money_format (json_object_get_int_member (p, "credit_after"));
  arrears = vp_money_format (json_object_get_int_member (p, "arrears_after"));
  if (json_object_has_member (p, "bills"))
    {
      JsonArray *arr = json_object_get_array_member (p, "bills");

      for (guint i = 0; i < json_array_get_length (arr); i++)
        {
          JsonObject *b = json_array_get_object_element (arr, i);
          g_autofree char *paid = vp_money_format (json_object_get_int_member (b, "paid"));
          g_autofree char *remaining = vp_money_format (json_object_get_int_member (b, "remaining"));

          if (bills->len)
            g_string_append_c (bills, '\n');
          if (json_object_get_int_member (b, "remaining") > 0)
            g_string_append_printf (bills, _("%s: %s paid, %s still due"),
                                    json_object_get_string_member (b, "period"), paid, remaining);
          else
            g_string_append_printf (bills, _("%s: %s paid in full"),
                                    json_object_get_string_member (b, "period"), paid);
        }
    }
  if (bills->len == 0)
    g_string_append (bills, _("None (all to credit)"));

  vp_gui_grid_row (self->receipt_grid, row++, 0, _("Receipt number"), receipt);
  vp_gui_grid_row (self->receipt_grid, row++, 0, _("Verification code"), code);
  if (json_object_get_int_member_with_default (p, "credit_applied", 0) > 0)
    {
      g_autofree char *applied = vp_money_format (json_object_get_int_member (p, "credit_applied"));
      vp_gui_mark_amount (vp_gui_grid_row (self->receipt_grid, row++, 0, _("Credit applied"), applied));
    }
  vp_gui_mark_amount (vp_gui_grid_row (self->receipt_grid, row++, 0, _("Amount paid"), amount));
  vp_gui_grid_row (self->receipt_grid, row++, 0, _("Method"),
                   vp_gui_method_label (current_method (self)));
  vp_gui_grid_row (self->receipt_grid, row++, 0, _("Bills paid"), bills->str);
  vp_gui_mark_amount (vp_gui_grid_row (self->receipt_grid, row++, 0, _("Arrears after"), arrears));
  vp_gui_mark_amount (vp_gui_grid_row (self->receipt_grid, row++, 0, _("Credit after"), credit));
  /* The signed payment's own tendered and change when it has them. */
  if (json_object_has_member (p, "tendered"))
    {
      g_autofree char *tendered = vp_money_format (json_object_get_int_member (p, "tendered"));
      g_autofree char *change = vp_money_format (json_object_get_int_member_with_default (p, "change", 0));

      vp_gui_mark_amount (vp_gui_grid_row (self->receipt_grid, row++, 0, _("Tendered"), tendered));
      vp_gui_mark_amount (vp_gui_grid_row (self->receipt_grid, row++, 0, _("Change due"), change));
    }
  else if (current_method (self) == VP_PAYMENT_CASH)
    {
      const char *tendered = gtk_editable_get_text (GTK_EDITABLE (self->tendered_entry));
      VpMoney t = 0;

      if (*tendered && vp_money_parse (tendered, &t, NULL) &&
          t >= json_object_get_int_member (p, "amount"))
        {
          g_autofree char *change = vp_money_format (t - json_object_get_int_member (p, "amount"));
          vp_gui_mark_amount (vp_gui_grid_row (self->receipt_grid, row++, 0, _("Change due"), change));
        }
    }
  gtk_stack_set_visible_child_name (self->stack, "receipt");
}

static void
pay_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(VpPayPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = vp_service_run_finish (VP_SERVICE (source), result, &error);

  self->busy = FALSE;
  gtk_widget_set_sensitive (self->confirm_button, !self->refused);
  if (entry == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      /* Over an offline cap: a supervisor may approve it here (the
       * message says which cap); otherwise the van syncs first. */
      if (g_error_matches (error, VP_STORE_ERROR, VP_STORE_ERROR_LIMIT))
        {
          GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
          VpSupervisorDialog *dialog = vp_supervisor_dialog_new (parent, self->context,
                                                                 error->message);

          g_signal_connect_object (dialog, "approved", G_CALLBACK (limit_approved), self, 0);
          gtk_window_present (GTK_WINDOW (dialog));
        }
      return;
    }
  vp_gui_show_message (self->message_label, NULL, FALSE);
  show_receipt (self, entry);
  vp_context_emit_changed (self->context);
  {
    g_autofree char *receipt = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
    g_autofree char *text = g_strdup_printf (_("Payment recorded (%s)"), receipt);

    gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", text);
  }
}

static void
confirm_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  submit_payment (VP_PAY_PAGE (widget), NULL);
}

static void
submit_payment (VpPayPage     *self,
                const VpStaff *approver)
{
  VpPaymentMethod method = current_method (self);
  const char *reference = gtk_editable_get_text (GTK_EDITABLE (self->reference_entry));
  const char *tendered_text = gtk_editable_get_text (GTK_EDITABLE (self->tendered_entry));
  g_autoptr(GError) error = NULL;
  VpMoney amount;
  VpMoney tendered = 0;
  PayData *d;

  if (self->busy || self->number == NULL)
    return;
  /* Credit that pays every bill needs no money: an empty amount settles
   * from credit (its own kind, nothing in the drawer). */
  if (self->credit_applied > 0 &&
      *gtk_editable_get_text (GTK_EDITABLE (self->amount_entry)) == '\0')
    amount = 0;
  else if (!vp_gui_parse_amount (GTK_EDITABLE (self->amount_entry), _("Amount"), &amount, &error))
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      gtk_widget_grab_focus (self->amount_entry);
      return;
    }
  if (amount > 0 && method == VP_PAYMENT_CASH && *tendered_text)
    {
      if (!vp_gui_parse_amount (GTK_EDITABLE (self->tendered_entry), _("Tendered"), &tendered, &error))
        {
          vp_gui_show_message (self->message_label, error->message, TRUE);
          return;
        }
      if (tendered < amount)
        {
          vp_gui_show_message (self->message_label,
                               _("Tendered: less cash than the amount to pay"), TRUE);
          return;
        }
    }
  if (amount > 0 && method != VP_PAYMENT_CASH)
    {
      g_autofree char *ref = g_strstrip (g_strdup (reference));

      if (*ref == '\0')
        {
          vp_gui_show_message (self->message_label,
                               _("Reference: enter the terminal or QR payment reference"), TRUE);
          gtk_widget_grab_focus (self->reference_entry);
          return;
        }
      if (g_utf8_strlen (ref, -1) > MAX_REFERENCE_CHARS || !vp_validate_note (ref, MAX_REFERENCE_CHARS, NULL))
        {
          vp_gui_show_message (self->message_label, _("Reference: at most 64 characters, one line"), TRUE);
          return;
        }
    }

  d = g_new0 (PayData, 1);
  d->staff = vp_context_dup_staff (self->context);
  d->number = g_strdup (self->number);
  d->amount = amount;
  d->method = method;
  d->reference = method == VP_PAYMENT_CASH ? NULL : g_strstrip (g_strdup (reference));
  d->tendered = method == VP_PAYMENT_CASH ? tendered : 0;
  d->approver = approver ? vp_staff_copy (approver) : NULL;
  self->busy = TRUE;
  gtk_widget_set_sensitive (self->confirm_button, FALSE);
  vp_gui_show_message (self->message_label, _("Recording the payment…"), FALSE);
  vp_context_run (self->context, pay_job, d, (GDestroyNotify)pay_data_free,
                  (GDestroyNotify)vp_journal_entry_free, NULL, pay_done, g_object_ref (self));
}

static void
done_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  VpPayPage *self = VP_PAY_PAGE (widget);

  gtk_widget_activate_action (widget, "win.open-account", "s", self->number);
}

static void
print_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  VpPayPage *self = VP_PAY_PAGE (widget);

  if (self->receipt_seq > 0)
    vp_gui_print_receipt (self->context, self->receipt_seq, self->print_label);
}

static void
entry_activate (GtkEntry  *entry,
                VpPayPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "pay.confirm", NULL);
}

static void
vp_pay_page_dispose (GObject *object)
{
  VpPayPage *self = VP_PAY_PAGE (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->number, g_free);
  g_clear_pointer (&self->methods, g_ptr_array_unref);
  g_clear_pointer (&self->bill_checks, g_ptr_array_unref);
  g_clear_pointer (&self->bill_dues, g_array_unref);
  G_OBJECT_CLASS (vp_pay_page_parent_class)->dispose (object);
}

static void
vp_pay_page_class_init (VpPayPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_pay_page_dispose;
  g_type_ensure (VP_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-pay-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, stack);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, account_label);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, position_label);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, bills_box);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, amount_entry);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, method_box);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, tendered_title);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, tendered_entry);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, change_title);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, change_label);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, reference_title);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, reference_entry);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, keypad);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, receipt_grid);
  gtk_widget_class_bind_template_child (widget_class, VpPayPage, print_label);
  gtk_widget_class_install_action (widget_class, "pay.confirm", NULL, confirm_activated);
  gtk_widget_class_install_action (widget_class, "pay.done", NULL, done_activated);
  gtk_widget_class_install_action (widget_class, "pay.print", NULL, print_activated);
}

static void
vp_pay_page_init (VpPayPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->bill_checks = g_ptr_array_new ();
  self->bill_dues = g_array_new (FALSE, TRUE, sizeof (VpMoney));
  self->methods = vp_gui_toggle_group (self->method_box, method_labels, NULL);
  for (guint i = 0; i < self->methods->len; i++)
    g_signal_connect_swapped (self->methods->pdata[i], "toggled", G_CALLBACK (method_changed), self);
  vp_keypad_attach (self->keypad, self->amount_entry);
  vp_keypad_attach (self->keypad, self->tendered_entry);
  vp_keypad_attach_mode (self->keypad, self->reference_entry, VP_KEYPAD_ALNUM);
  vp_keypad_attach (self->keypad, self->reference_entry);
  g_signal_connect_swapped (self->amount_entry, "changed", G_CALLBACK (update_change), self);
  g_signal_connect_swapped (self->tendered_entry, "changed", G_CALLBACK (update_change), self);
  g_signal_connect (self->amount_entry, "activate", G_CALLBACK (entry_activate), self);
  g_signal_connect (self->tendered_entry, "activate", G_CALLBACK (entry_activate), self);
  g_signal_connect (self->reference_entry, "activate", G_CALLBACK (entry_activate), self);
  method_changed (self);
}

void
vp_pay_page_set_context (VpPayPage *self,
                         VpContext *context)
{
  g_set_object (&self->context, context);
  g_signal_connect_object (context, "notify::journal-break", G_CALLBACK (guard_money),
                           self, G_CONNECT_SWAPPED);
  guard_money (self);
}

void
vp_pay_page_load (VpPayPage  *self,
                  const char *number)
{
  g_return_if_fail (VP_IS_PAY_PAGE (self));

  g_free (self->number);
  self->number = g_strdup (number);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  gtk_stack_set_visible_child_name (self->stack, "form");
  vp_gui_set_value (self->account_label, number);
  gtk_widget_set_visible (GTK_WIDGET (self->position_label), FALSE);
  self->credit_applied = 0;
  vp_gui_clear_box (self->bills_box);
  g_ptr_array_set_size (self->bill_checks, 0);
  g_array_set_size (self->bill_dues, 0);
  gtk_editable_set_text (GTK_EDITABLE (self->amount_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->tendered_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->reference_entry), "");
  vp_gui_toggle_group_set (self->methods, VP_PAYMENT_CASH);
  vp_gui_show_message (self->message_label, NULL, FALSE);
  guard_money (self);
  gtk_widget_set_sensitive (self->confirm_button, FALSE);
  vp_context_run (self->context, load_job, g_strdup (number), g_free,
                  (GDestroyNotify)pay_view_free, self->cancellable, load_done, g_object_ref (self));
}
