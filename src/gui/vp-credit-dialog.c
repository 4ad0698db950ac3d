/* vp-credit-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-credit-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-credit-dialog.h"
#include "vp-gui-util.h"
#include "vp-keypad.h"
#include "vp-supervisor-dialog.h"

struct _VpCreditDialog
{
  GtkWindow       parent_instance;
  GtkLabel       *title_label;
  GtkWidget      *how_box;
  GtkWidget      *cash_toggle;
  GtkWidget      *move_toggle;
  GtkWidget      *to_box;
  GtkWidget      *to_entry;
  GtkWidget      *amount_box;
  GtkWidget      *amount_entry;
  GtkWidget      *reason_box;
  GtkWidget      *reason_entry;
  GtkLabel       *message_label;
  GtkWidget      *confirm_button;
  VpKeypad       *keypad;

  VpContext      *context;
  VpCreditAction  action;
  VpAccount      *account;
  gboolean        busy;
};

G_DEFINE_FINAL_TYPE (VpCreditDialog, vp_credit_dialog, GTK_TYPE_WINDOW)

typedef struct
{
  VpCreditAction action;
  VpStaff       *staff;
  VpStaff       *approver;   /* NULL until a supervisor approved */
  char          *number;
  char          *to_number;  /* NULL: a cash refund */
  VpMoney        amount;     /* move, refund; a close takes the whole credit */
  char          *reason;
  /* Filled by check_job. */
  VpAccount     *from;
  VpAccount     *to;
} CreditData;

static void
credit_data_free (CreditData *d)
{
  g_clear_pointer (&d->staff, vp_staff_free);
  g_clear_pointer (&d->approver, vp_staff_free);
  g_free (d->number);
  g_free (d->to_number);
  g_free (d->reason);
  g_clear_pointer (&d->from, vp_account_free);
  g_clear_pointer (&d->to, vp_account_free);
  g_free (d);
}

/* The store's rule (vp-account-ops.c): the ID numbers agree, or, where
 * one is not recorded, the name and phone do. Asked here only to ask
 * for the supervisor up front; the store decides again. */
static gboolean
same_holder (const VpAccount *a,
             const VpAccount *b)
{
  if (a->id_number != NULL && *a->id_number != '\0' &&
      b->id_number != NULL && *b->id_number != '\0')
    return g_ascii_strcasecmp (a->id_number, b->id_number) == 0;
  return g_strcmp0 (a->holder, b->holder) == 0 && g_strcmp0 (a->phone, b->phone) == 0;
}

static gboolean
needs_supervisor (const CreditData *d)
{
  VpMoney amount = d->action == VP_CREDIT_CLOSE ? d->from->balance : d->amount;

  if (d->action == VP_CREDIT_REFUND)
    return TRUE;
  if (amount <= 0)
    return FALSE;
  if (d->to == NULL)
    return TRUE;   /* a cash refund on closing */
  return !same_holder (d->from, d->to);
}

/* Reads both accounts so the supervisor's dialog can say whose credit
 * goes where; the action runs in its own job after approval. */
static gpointer
check_job (VpService     *service,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  CreditData *d = data;
  VpDatabase *db = vp_service_get_database (service);

  g_clear_pointer (&d->from, vp_account_free);
  g_clear_pointer (&d->to, vp_account_free);
  d->from = vp_account_store_get (db, d->number, error);
  if (d->from == NULL)
    return NULL;
  if (d->to_number != NULL)
    {
      d->to = vp_account_store_get (db, d->to_number, error);
      if (d->to == NULL)
        return NULL;
    }
  return GINT_TO_POINTER (1);
}

static gpointer
credit_job (VpService     *service,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  CreditData *d = data;

  switch (d->action)
    {
    case VP_CREDIT_MOVE:
      return vp_service_move_credit (service, d->staff, d->approver, d->number, d->to_number,
                                     d->amount, error);
    case VP_CREDIT_REFUND:
      return vp_service_refund_credit (service, d->approver ? d->approver : d->staff, d->number,
                                       d->amount, d->reason, error);
    case VP_CREDIT_CLOSE:
    default:
      return vp_service_close_account (service, d->staff, d->approver, d->number, d->to_number,
                                       error);
    }
}

static void run_credit (VpCreditDialog *self, CreditData *d);

static void
set_busy (VpCreditDialog *self,
          gboolean        busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->confirm_button, !busy);
}

static const char *
action_label (VpCreditAction action)
{
  switch (action)
    {
    case VP_CREDIT_MOVE:
      return _("Move credit");
    case VP_CREDIT_REFUND:
      return _("Refund credit");
    case VP_CREDIT_CLOSE:
    default:
      return _("Close account");
    }
}

static void
approved (VpSupervisorDialog *dialog,
          VpStaff            *supervisor,
          VpCreditDialog     *self)
{
  CreditData *d = g_object_steal_data (G_OBJECT (dialog), "credit-data");

  g_clear_pointer (&d->approver, vp_staff_free);
  d->approver = vp_staff_copy (supervisor);
  run_credit (self, d);
}

static void
supervisor_closed (VpCreditDialog *self)
{
  /* Cancelled (approved: a job is running and keeps the dialog busy). */
  if (g_object_get_data (G_OBJECT (self), "running") == NULL)
    set_busy (self, FALSE);
}

static void
ask_supervisor (VpCreditDialog *self,
                CreditData     *d)
{
  VpMoney amount = d->action == VP_CREDIT_CLOSE ? d->from->balance : d->amount;
  g_autofree char *money = vp_money_format (amount);
  g_autofree char *what = NULL;
  g_autofree char *from = g_strdup_printf ("%s (%s)", d->from->number, d->from->holder);
  VpSupervisorDialog *dialog;

  switch (d->action)
    {
    case VP_CREDIT_MOVE:
      what = g_strdup_printf (_("Move credit %s from %s to %s"), money, d->from->number, d->to->number);
      break;
    case VP_CREDIT_REFUND:
      /* TRANSLATORS: e.g. "Cash refund ¥50.00 of credit — reason: moving away". */
      what = g_strdup_printf (_("Cash refund %s of credit — reason: %s"), money, d->reason);
      break;
    case VP_CREDIT_CLOSE:
    default:
      what = d->to ? g_strdup_printf (_("Close account %s, its credit %s moved to %s"),
                                       d->from->number, money, d->to->number)
                   : g_strdup_printf (_("Close account %s, its credit %s refunded in cash"),
                                      d->from->number, money);
    }
  dialog = vp_supervisor_dialog_new (GTK_WINDOW (self), self->context, what);
  vp_supervisor_dialog_add_detail (dialog, _("Account"), from);
  if (d->to)
    {
      g_autofree char *to = g_strdup_printf ("%s (%s)", d->to->number, d->to->holder);
      vp_supervisor_dialog_add_detail (dialog, _("To account"), to);
    }
  vp_supervisor_dialog_add_detail (dialog, _("Amount"), money);
  if (d->to == NULL)
    vp_supervisor_dialog_add_detail (dialog, _("Paid out"), _("In cash from the drawer"));
  if (d->reason)
    vp_supervisor_dialog_add_detail (dialog, _("Reason"), d->reason);
  g_object_set_data_full (G_OBJECT (dialog), "credit-data", d, (GDestroyNotify)credit_data_free);
  g_signal_connect_object (dialog, "approved", G_CALLBACK (approved), self, 0);
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (supervisor_closed), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
credit_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VpCreditDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = vp_service_run_finish (VP_SERVICE (source), result, &error);
  CreditData *d = g_object_steal_data (G_OBJECT (self), "running");
  GtkWindow *parent;

  set_busy (self, FALSE);
  if (entry == NULL)
    {
      /* The store asks for a supervisor we did not foresee: ask now. */
      if (g_error_matches (error, VP_STORE_ERROR, VP_STORE_ERROR_PERMISSION) &&
          d != NULL && d->approver == NULL && d->from != NULL)
        {
          set_busy (self, TRUE);
          ask_supervisor (self, d);
          return;
        }
      g_clear_pointer (&d, credit_data_free);
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (parent)
    {
      g_autofree char *receipt = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
      g_autofree char *text = g_strdup_printf ("%s (%s)", vp_gui_kind_label (entry->kind), receipt);

      gtk_widget_activate_action (GTK_WIDGET (parent), "win.toast", "s", text);
      gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-account", "s", self->account->number);
    }
  g_clear_pointer (&d, credit_data_free);
  vp_context_emit_changed (self->context);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
run_credit (VpCreditDialog *self,
            CreditData     *d)
{
  CreditData *copy = g_new0 (CreditData, 1);

  /* The job owns d; the dialog keeps a copy in case the store asks for
   * a supervisor after all. */
  copy->action = d->action;
  copy->staff = d->staff ? vp_staff_copy (d->staff) : NULL;
  copy->approver = d->approver ? vp_staff_copy (d->approver) : NULL;
  copy->number = g_strdup (d->number);
  copy->to_number = g_strdup (d->to_number);
  copy->amount = d->amount;
  copy->reason = g_strdup (d->reason);
  copy->from = d->from ? vp_account_copy (d->from) : NULL;
  copy->to = d->to ? vp_account_copy (d->to) : NULL;
  g_object_set_data_full (G_OBJECT (self), "running", copy, (GDestroyNotify)credit_data_free);

  set_busy (self, TRUE);
  vp_gui_show_message (self->message_label, _("Working…"), FALSE);
  vp_context_run (self->context, credit_job, d, (GDestroyNotify)credit_data_free,
                  (GDestroyNotify)vp_journal_entry_free, NULL, credit_done, g_object_ref (self));
}

static void
checked (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(VpCreditDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gpointer ok = vp_service_run_finish (VP_SERVICE (source), result, &error);
  CreditData *d = g_object_steal_data (G_OBJECT (self), "checking");

  if (ok == NULL)
    {
      set_busy (self, FALSE);
      credit_data_free (d);
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  vp_gui_show_message (self->message_label, NULL, FALSE);
  /* A supervisor signed in approves by being signed in (the store's
   * vp_staff_approver()); anyone else asks one. */
  if (needs_supervisor (d) && d->staff->role != VP_ROLE_SUPERVISOR)
    ask_supervisor (self, d);
  else
    run_credit (self, d);
}

static void
confirm_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  VpCreditDialog *self = VP_CREDIT_DIALOG (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *to = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->to_entry))));
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_entry))));
  gboolean want_to = self->action == VP_CREDIT_MOVE ||
                     (self->action == VP_CREDIT_CLOSE &&
                      gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->move_toggle)));
  VpMoney amount = 0;
  CreditData *d;

  if (self->busy)
    return;
  if (want_to && *to == '\0')
    {
      vp_gui_show_message (self->message_label, _("To account: enter the account number"), TRUE);
      gtk_widget_grab_focus (self->to_entry);
      return;
    }
  if (self->action != VP_CREDIT_CLOSE &&
      !vp_gui_parse_amount (GTK_EDITABLE (self->amount_entry), _("Credit amount"), &amount, &error))
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      gtk_widget_grab_focus (self->amount_entry);
      return;
    }
  if (self->action == VP_CREDIT_REFUND)
    {
      if (*reason == '\0')
        {
          vp_gui_show_message (self->message_label, _("Refund reason: say why the credit is refunded"), TRUE);
          gtk_widget_grab_focus (self->reason_entry);
          return;
        }
      if (!vp_validate_note (reason, 200, &error))
        {
          vp_gui_show_message (self->message_label, error->message, TRUE);
          return;
        }
    }

  d = g_new0 (CreditData, 1);
  d->action = self->action;
  d->staff = vp_context_dup_staff (self->context);
  d->number = g_strdup (self->account->number);
  d->to_number = want_to ? g_steal_pointer (&to) : NULL;
  d->amount = amount;
  d->reason = self->action == VP_CREDIT_REFUND ? g_steal_pointer (&reason) : NULL;
  if (d->staff == NULL)
    {
      credit_data_free (d);
      vp_gui_show_message (self->message_label, _("Sign in first"), TRUE);
      return;
    }
  g_object_set_data_full (G_OBJECT (self), "checking", d, (GDestroyNotify)credit_data_free);
  set_busy (self, TRUE);
  /* check_job fills d in place; the dialog frees it after. */
  vp_context_run (self->context, check_job, d, NULL, NULL, NULL, checked, g_object_ref (self));
}

static void
how_toggled (VpCreditDialog *self)
{
  gboolean move = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->move_toggle));

  gtk_widget_set_visible (self->to_box, move);
  if (move)
    gtk_widget_grab_focus (self->to_entry);
}

static void
entry_activate (GtkEntry       *entry,
                VpCreditDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "credit.confirm", NULL);
}

static void
vp_credit_dialog_dispose (GObject *object)
{
  VpCreditDialog *self = VP_CREDIT_DIALOG (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->account, vp_account_free);
  G_OBJECT_CLASS (vp_credit_dialog_parent_class)->dispose (object);
}

static void
vp_credit_dialog_class_init (VpCreditDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_credit_dialog_dispose;
  g_type_ensure (VP_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-credit-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, title_label);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, how_box);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, cash_toggle);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, move_toggle);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, to_box);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, to_entry);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, amount_box);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, amount_entry);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, reason_box);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, reason_entry);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, VpCreditDialog, keypad);
  gtk_widget_class_install_action (widget_class, "credit.confirm", NULL, confirm_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
vp_credit_dialog_init (VpCreditDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  vp_keypad_attach (self->keypad, self->amount_entry);
  vp_keypad_attach (self->keypad, self->to_entry);
  g_signal_connect_swapped (self->move_toggle, "toggled", G_CALLBACK (how_toggled), self);
  g_signal_connect (self->to_entry, "activate", G_CALLBACK (entry_activate), self);
  g_signal_connect (self->amount_entry, "activate", G_CALLBACK (entry_activate), self);
  g_signal_connect (self->reason_entry, "activate", G_CALLBACK (entry_activate), self);
}

VpCreditDialog *
vp_credit_dialog_new (GtkWindow       *parent,
                      VpContext       *context,
                      VpCreditAction   action,
                      const VpAccount *account)
{
  VpCreditDialog *self = g_object_new (VP_TYPE_CREDIT_DIALOG, "transient-for", parent, NULL);
  g_autofree char *credit = vp_money_format (account->balance);
  g_autofree char *heading = NULL;

  self->context = g_object_ref (context);
  self->action = action;
  self->account = vp_account_copy (account);
  gtk_window_set_title (GTK_WINDOW (self), action_label (action));
  gtk_button_set_label (GTK_BUTTON (self->confirm_button), action_label (action));
  /* TRANSLATORS: e.g. "Close account — 1000123 (张三), credit ¥50.00". */
  heading = g_strdup_printf (_("%s — %s (%s), credit %s"), action_label (action),
                             account->number, account->holder, credit);
  gtk_label_set_text (self->title_label, heading);
  gtk_widget_set_visible (self->how_box, action == VP_CREDIT_CLOSE);
  gtk_widget_set_visible (self->to_box, action == VP_CREDIT_MOVE);
  gtk_widget_set_visible (self->amount_box, action != VP_CREDIT_CLOSE);
  gtk_widget_set_visible (self->reason_box, action == VP_CREDIT_REFUND);
  if (action == VP_CREDIT_CLOSE)
    vp_keypad_set_target (self->keypad, GTK_EDITABLE (self->to_entry));
  else
    vp_keypad_set_target (self->keypad, GTK_EDITABLE (self->amount_entry));
  return self;
}
