/* vp-change-holder-page.c: 过户 — the old holder's position closed
 * (DESIGN §3): the final bill at the tariff, credit netting the arrears,
 * what is due paid or carried, credit left refunded (supervisor) or
 * carried with consent; the new holder's own tariff class and flags.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-change-holder"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-change-holder-page.h"
#include "vp-form-field.h"
#include "vp-gui-util.h"
#include "vp-keypad.h"
#include "vp-service-card.h"
#include "vp-supervisor-dialog.h"

enum { F_READING, F_HOLDER, F_ID, F_PHONE, F_REFERENCE, F_TENDERED, F_EXPIRY, N_FIELDS };

struct _VpChangeHolderPage
{
  GtkBox        parent_instance;
  GtkLabel     *account_label;
  GtkWidget    *summary_grid;
  GtkLabel     *final_label;
  GtkWidget    *arrears_box;
  GtkWidget    *method_box;
  GtkWidget    *credit_box;
  GtkWidget    *card_box;
  GtkWidget    *class_box;
  GtkWidget    *expiry_grid;
  GtkWidget    *elderly_check;
  GtkWidget    *visit_check;
  GtkWidget    *fields_grid;
  GtkLabel     *message_label;
  GtkWidget    *confirm_button;
  VpKeypad     *keypad;

  VpContext    *context;
  char         *number;
  VpMoney       arrears;
  VpMoney       credit;
  VpMoney       final_bill;   /* at the reading entered, 0 when none */
  gboolean      quote_ok;     /* final_bill is for the reading entered */
  VpFormField  *fields[N_FIELDS];
  GPtrArray    *settle;
  GPtrArray    *methods;
  GPtrArray    *credit_choice;
  GPtrArray    *klass;
  GPtrArray    *card;
  gboolean      has_card;
  gboolean      busy;
  GCancellable *cancellable;
  gboolean      refused;      /* the journal-break refusal is shown */
};

G_DEFINE_FINAL_TYPE (VpChangeHolderPage, vp_change_holder_page, GTK_TYPE_BOX)

/* A broken journal refuses money here, before anything is entered. */
static void
guard_money (VpChangeHolderPage *self)
{
  self->refused = vp_gui_guard_money (GTK_WIDGET (self), self->context, self->message_label,
                                      self->refused, "change-holder.confirm", NULL);
}

static const char * const settle_labels[] = { N_("Settle arrears now"), N_("Carry arrears"), NULL };
static const char * const method_labels[] = { N_("Cash"), N_("Card"), N_("Mobile"), NULL };
static const char * const card_labels[] = { N_("Carry the card"), N_("Issue a new card"), NULL };
static const char * const credit_labels[] = { N_("Carry credit with the old holder's consent"),
                                              N_("Refund credit in cash (supervisor)"), NULL };
/* In VpTariffClass order. */
static const char * const class_labels[] = { N_("Residential"), N_("Commercial"), N_("Low-income"), NULL };

static gboolean
validate_reading (const char *text, GError **error)
{
  VpVolume v;

  return vp_volume_parse (text, &v, error);
}

static gboolean
validate_reference (const char *text, GError **error)
{
  return vp_validate_note (text, 64, error);
}

static gboolean
validate_tendered (const char *text, GError **error)
{
  VpMoney m;

  return vp_money_parse_positive (text, &m, error);
}

static gboolean
validate_expiry (const char *text, GError **error)
{
  return vp_validate_date (text, error);
}

/* The old holder's position with the final bill: what is still due
 * after credit, and the credit left after the bills. */
static VpMoney
due_after_credit (VpChangeHolderPage *self)
{
  VpMoney total = self->arrears + self->final_bill;

  return total - MIN (MAX (self->credit, 0), total);
}

static VpMoney
credit_left (VpChangeHolderPage *self)
{
  VpMoney total = self->arrears + self->final_bill;

  return self->credit - MIN (MAX (self->credit, 0), total);
}

static gboolean
settling (VpChangeHolderPage *self)
{
  return due_after_credit (self) > 0 && vp_gui_toggle_group_get (self->settle) == 0;
}

static gboolean
refunding (VpChangeHolderPage *self)
{
  return credit_left (self) > 0 && vp_gui_toggle_group_get (self->credit_choice) == 1;
}

static void
show_position (VpChangeHolderPage *self)
{
  g_autofree char *bill = vp_money_format (self->final_bill);
  g_autofree char *due = vp_money_format (due_after_credit (self));
  g_autofree char *left = vp_money_format (credit_left (self));
  g_autofree char *text = NULL;

  if (!self->quote_ok)
    text = g_strdup (_("Final bill: enter the final reading"));
  else if (due_after_credit (self) > 0)
    text = g_strdup_printf (_("Final bill %s. Still due after credit: %s"), bill, due);
  else
    text = g_strdup_printf (_("Final bill %s. Credit left after the bills: %s"), bill, left);
  gtk_label_set_text (self->final_label, text);
}

static void
choices_changed (VpChangeHolderPage *self)
{
  gboolean pay = settling (self);
  gboolean cash = vp_gui_toggle_group_get (self->methods) == VP_PAYMENT_CASH;

  gboolean low = vp_gui_toggle_group_get (self->klass) == VP_TARIFF_CLASS_LOW_INCOME;

  gtk_widget_set_visible (self->arrears_box, due_after_credit (self) > 0);
  gtk_widget_set_visible (self->credit_box, credit_left (self) > 0);
  gtk_widget_set_visible (self->card_box, self->has_card);
  gtk_widget_set_visible (self->method_box, pay);
  self->fields[F_REFERENCE]->optional = !pay || cash;
  gtk_widget_set_sensitive (self->fields[F_REFERENCE]->entry, pay && !cash);
  if (self->fields[F_REFERENCE]->optional)
    vp_form_field_set_error (self->fields[F_REFERENCE], NULL);
  gtk_widget_set_sensitive (self->fields[F_TENDERED]->entry, pay && cash);
  if (!(pay && cash))
    vp_form_field_set_error (self->fields[F_TENDERED], NULL);
  /* A low-income new holder brings their own certificate. */
  gtk_widget_set_visible (self->expiry_grid, low);
  self->fields[F_EXPIRY]->optional = !low;
  if (!low)
    vp_form_field_set_error (self->fields[F_EXPIRY], NULL);
  show_position (self);
}

typedef struct
{
  char    *number;
  VpVolume reading;
} QuoteData;

static void
quote_data_free (QuoteData *d)
{
  g_free (d->number);
  g_free (d);
}

static gpointer
quote_job (VpService     *service,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  QuoteData *d = data;
  VpQuote *q = g_new0 (VpQuote, 1);

  if (!vp_account_store_quote_final_bill (vp_service_get_database (service), d->number, d->reading,
                                          q, error))
    {
      g_free (q);
      return NULL;
    }
  return q;
}

static void
quote_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VpChangeHolderPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree VpQuote *q = vp_service_run_finish (VP_SERVICE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->quote_ok = q != NULL;
  self->final_bill = q ? q->amount : 0;
  choices_changed (self);
  if (q == NULL)
    gtk_label_set_text (self->final_label, error->message);
}

/* The final bill follows the reading as it is typed. */
static void
reading_changed (VpChangeHolderPage *self)
{
  g_autofree char *text = vp_form_field_dup_text (self->fields[F_READING]);
  QuoteData *d;
  VpVolume v;

  self->quote_ok = FALSE;
  self->final_bill = 0;
  if (self->number == NULL || self->context == NULL || !vp_volume_parse (text, &v, NULL))
    {
      choices_changed (self);
      return;
    }
  d = g_new0 (QuoteData, 1);
  d->number = g_strdup (self->number);
  d->reading = v;
  vp_context_run (self->context, quote_job, d, (GDestroyNotify)quote_data_free, g_free,
                  self->cancellable, quote_done, g_object_ref (self));
}

static gpointer
load_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  return vp_account_store_get (vp_service_get_database (service), data, error);
}

static void
load_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpChangeHolderPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = vp_service_run_finish (VP_SERVICE (source), result, &error);
  g_autofree char *title = NULL;
  g_autofree char *arrears = NULL;
  g_autofree char *credit = NULL;
  g_autofree char *reading = NULL;
  g_autofree char *card = NULL;
  g_autofree char *net = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (a == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  self->arrears = a->arrears;
  self->credit = a->balance;
  self->has_card = a->card_number != NULL;
  title = g_strdup_printf (_("Change the holder of %s (now %s)"), a->number, a->holder);
  vp_gui_set_value (self->account_label, title);
  arrears = vp_money_format (a->arrears);
  credit = vp_money_format (a->balance);
  reading = vp_volume_format (a->last_reading);
  card = a->card_number ? g_strdup (a->card_number)
                        : g_strdup (_("No card"));
  vp_gui_clear_box (self->summary_grid);
  net = a->balance >= a->arrears ? vp_money_format (a->balance - a->arrears)
                                  : vp_money_format (a->arrears - a->balance);
  vp_gui_grid_row (self->summary_grid, 0, 0, _("Arrears"), arrears);
  vp_gui_grid_row (self->summary_grid, 1, 0, _("Credit"), credit);
  vp_gui_grid_row (self->summary_grid, 2, 0, a->balance >= a->arrears ? _("Net credit") : _("Net due"), net);
  vp_gui_grid_row (self->summary_grid, 3, 0, _("Last reading"), reading);
  vp_gui_grid_row (self->summary_grid, 4, 0, _("Old holder's class"),
                   _(class_labels[a->tariff_class]));
  vp_gui_grid_row (self->summary_grid, 5, 0, _("Card"), card);
  gtk_widget_set_sensitive (self->confirm_button, !self->refused);
  reading_changed (self);
}

typedef struct
{
  VpStaff *staff;
  VpStaff *approver;
  char    *text[N_FIELDS];
  char    *number;
  gboolean reissue;
  VpChangeHolderRequest request;
} ChangeData;

typedef struct
{
  VpJournalEntry *entry;
  char           *card_message;   /* reissue outcome, or NULL */
  gboolean        card_failed;
} ChangeResult;

static void
change_result_free (ChangeResult *r)
{
  g_clear_pointer (&r->entry, vp_journal_entry_free);
  g_free (r->card_message);
  g_free (r);
}

static void
change_data_free (ChangeData *d)
{
  g_clear_pointer (&d->staff, vp_staff_free);
  g_clear_pointer (&d->approver, vp_staff_free);
  for (guint i = 0; i < N_FIELDS; i++)
    g_free (d->text[i]);
  g_free (d->number);
  g_free (d);
}

static gpointer
change_job (VpService     *service,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  ChangeData *d = data;
  g_autoptr(GError) card_error = NULL;
  g_autoptr(VpJournalEntry) reissued = NULL;
  g_autofree char *note = NULL;
  ChangeResult *r;
  VpJournalEntry *entry = vp_service_change_holder (service, d->staff, &d->request, error);

  if (entry == NULL)
    return NULL;
  r = g_new0 (ChangeResult, 1);
  r->entry = entry;
  if (!d->reissue)
    return r;
  /* The change of holder is committed; a new card for the new holder is
   * its own journal entry, and its failure is reported, not hidden. */
  reissued = vp_service_card_reissue (service, d->staff, d->number, 0, VP_PAYMENT_CASH, NULL,
                                      "change of holder", &note, cancellable, &card_error);
  if (reissued == NULL)
    {
      r->card_failed = TRUE;
      r->card_message = g_strdup_printf (_("The new card was not issued: %s"), card_error->message);
    }
  else
    {
      g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (reissued);
      const char *card = p ? json_object_get_string_member_with_default (p, "new_card", NULL) : NULL;

      r->card_message = card ? g_strdup_printf (_("New card %s issued"), card)
                             : g_strdup (_("New card issued"));
      if (note && *note)
        {
          char *both = g_strdup_printf ("%s (%s)", r->card_message, note);
          g_free (r->card_message);
          r->card_message = both;
        }
    }
  return r;
}

static void
change_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VpChangeHolderPage) self = user_data;
  g_autoptr(GError) error = NULL;
  ChangeResult *r = vp_service_run_finish (VP_SERVICE (source), result, &error);
  VpJournalEntry *entry;
  g_autofree char *receipt = NULL;
  g_autofree char *text = NULL;

  self->busy = FALSE;
  gtk_widget_set_sensitive (self->confirm_button, !self->refused);
  if (r == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  entry = r->entry;
  receipt = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
  if (r->card_message)
    text = g_strdup_printf (_("Holder changed (%s). %s"), receipt, r->card_message);
  else
    text = g_strdup_printf (_("Holder changed (%s)"), receipt);
  vp_gui_show_message (self->message_label, text, r->card_failed);
  vp_context_emit_changed (self->context);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", text);
  change_result_free (r);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.open-account", "s", self->number);
}

static void run_change (VpChangeHolderPage *self, ChangeData *d);

static void
refund_approved (VpSupervisorDialog *dialog,
                 VpStaff            *supervisor,
                 VpChangeHolderPage *self)
{
  ChangeData *d = g_object_steal_data (G_OBJECT (dialog), "change-data");

  if (d == NULL)
    return;
  d->approver = vp_staff_copy (supervisor);
  d->request.approver = d->approver;
  run_change (self, d);
}

static void
confirm_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  VpChangeHolderPage *self = VP_CHANGE_HOLDER_PAGE (widget);
  gboolean ok = TRUE;
  ChangeData *d;

  if (self->busy || self->number == NULL)
    return;
  choices_changed (self);
  for (guint i = 0; i < N_FIELDS; i++)
    {
      self->fields[i]->touched = TRUE;
      if (!vp_form_field_check (self->fields[i]))
        ok = FALSE;
    }
  if (!ok)
    {
      vp_gui_show_message (self->message_label, _("Please correct the fields marked in red"), TRUE);
      return;
    }
  d = g_new0 (ChangeData, 1);
  d->staff = vp_context_dup_staff (self->context);
  d->number = g_strdup (self->number);
  for (guint i = 0; i < N_FIELDS; i++)
    d->text[i] = vp_form_field_dup_text (self->fields[i]);
  d->request.number = d->number;
  d->request.new_holder = d->text[F_HOLDER];
  d->request.new_id_number = d->text[F_ID];
  d->request.new_phone = d->text[F_PHONE];
  if (!vp_volume_parse (d->text[F_READING], &d->request.final_reading, NULL))
    g_assert_not_reached ();   /* checked above */
  d->request.settle_arrears = settling (self);
  d->reissue = self->has_card && vp_gui_toggle_group_get (self->card) == 1;
  d->request.method = vp_gui_toggle_group_get (self->methods);
  d->request.reference = d->request.settle_arrears && d->request.method != VP_PAYMENT_CASH
                         ? d->text[F_REFERENCE] : NULL;
  d->request.carry_arrears = due_after_credit (self) > 0 && !d->request.settle_arrears;
  if (d->request.settle_arrears && d->request.method == VP_PAYMENT_CASH && *d->text[F_TENDERED] != '\0' &&
      !vp_money_parse_positive (d->text[F_TENDERED], &d->request.tendered, NULL))
    g_assert_not_reached ();   /* checked above */
  d->request.refund_credit = refunding (self);
  d->request.carry_credit_consent = credit_left (self) > 0 && !d->request.refund_credit;
  d->request.set_tariff_class = TRUE;
  d->request.new_tariff_class = vp_gui_toggle_group_get (self->klass);
  d->request.new_concession_expiry = d->request.new_tariff_class == VP_TARIFF_CLASS_LOW_INCOME
                                     ? d->text[F_EXPIRY] : NULL;
  d->request.new_elderly_alone = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->elderly_check));
  d->request.new_needs_visit = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->visit_check));
  if (d->request.refund_credit)
    {
      /* A cash refund to the old holder needs a supervisor's PIN. */
      GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
      g_autofree char *m = vp_money_format (credit_left (self));
      g_autofree char *what = g_strdup_printf (_("Refund %s of credit in cash to the old holder"), m);
      VpSupervisorDialog *dialog = vp_supervisor_dialog_new (parent, self->context, what);

      g_object_set_data_full (G_OBJECT (dialog), "change-data", d, (GDestroyNotify)change_data_free);
      g_signal_connect_object (dialog, "approved", G_CALLBACK (refund_approved), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  run_change (self, d);
}

static void
run_change (VpChangeHolderPage *self,
            ChangeData         *d)
{
  self->busy = TRUE;
  gtk_widget_set_sensitive (self->confirm_button, FALSE);
  vp_gui_show_message (self->message_label, _("Changing the holder…"), FALSE);
  vp_context_run (self->context, change_job, d, (GDestroyNotify)change_data_free,
                  (GDestroyNotify)change_result_free, NULL, change_done, g_object_ref (self));
}

static void
field_activate (VpChangeHolderPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "change-holder.confirm", NULL);
}

static void
vp_change_holder_page_dispose (GObject *object)
{
  VpChangeHolderPage *self = VP_CHANGE_HOLDER_PAGE (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->number, g_free);
  for (guint i = 0; i < N_FIELDS; i++)
    g_clear_pointer (&self->fields[i], g_free);
  g_clear_pointer (&self->settle, g_ptr_array_unref);
  g_clear_pointer (&self->methods, g_ptr_array_unref);
  g_clear_pointer (&self->card, g_ptr_array_unref);
  g_clear_pointer (&self->credit_choice, g_ptr_array_unref);
  g_clear_pointer (&self->klass, g_ptr_array_unref);
  G_OBJECT_CLASS (vp_change_holder_page_parent_class)->dispose (object);
}

static void
vp_change_holder_page_class_init (VpChangeHolderPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_change_holder_page_dispose;
  g_type_ensure (VP_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-change-holder-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, account_label);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, summary_grid);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, final_label);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, arrears_box);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, credit_box);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, class_box);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, expiry_grid);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, elderly_check);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, visit_check);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, method_box);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, card_box);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, fields_grid);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, VpChangeHolderPage, keypad);
  gtk_widget_class_install_action (widget_class, "change-holder.confirm", NULL, confirm_activated);
}

static void
vp_change_holder_page_init (VpChangeHolderPage *self)
{
  GtkWidget *grid;

  gtk_widget_init_template (GTK_WIDGET (self));
  grid = self->fields_grid;
  self->fields[F_READING] = vp_form_field_add (grid, 0, _("Final reading (m³)"), _("meter reading, e.g. 1234.5"),
                                               validate_reading, FALSE);
  self->fields[F_HOLDER] = vp_form_field_add (grid, 3, _("New holder name"), NULL, vp_validate_name, FALSE);
  self->fields[F_ID] = vp_form_field_add (grid, 6, _("New ID number"), _("18 characters"),
                                          vp_validate_id_number, FALSE);
  self->fields[F_PHONE] = vp_form_field_add (grid, 9, _("New phone"), _("mobile or landline"),
                                             vp_validate_phone, FALSE);
  self->fields[F_REFERENCE] = vp_form_field_add (grid, 12, _("Reference"), _("terminal or QR reference"),
                                                 validate_reference, TRUE);
  self->fields[F_TENDERED] = vp_form_field_add (grid, 15, _("Cash tendered"), _("optional: change is worked out"),
                                                validate_tendered, TRUE);
  self->fields[F_EXPIRY] = vp_form_field_add (self->expiry_grid, 0, _("Certificate expiry"),
                                              _("yyyy-mm-dd, in the future"), validate_expiry, TRUE);
  self->settle = vp_gui_toggle_group (self->arrears_box, settle_labels, NULL);
  self->methods = vp_gui_toggle_group (self->method_box, method_labels, NULL);
  self->card = vp_gui_toggle_group (self->card_box, card_labels, NULL);
  self->credit_choice = vp_gui_toggle_group (self->credit_box, credit_labels, NULL);
  self->klass = vp_gui_toggle_group (self->class_box, class_labels, NULL);
  for (guint i = 0; i < self->credit_choice->len; i++)
    g_signal_connect_swapped (self->credit_choice->pdata[i], "toggled", G_CALLBACK (choices_changed), self);
  for (guint i = 0; i < self->klass->len; i++)
    g_signal_connect_swapped (self->klass->pdata[i], "toggled", G_CALLBACK (choices_changed), self);
  g_signal_connect_swapped (self->fields[F_READING]->entry, "changed", G_CALLBACK (reading_changed), self);
  for (guint i = 0; i < self->settle->len; i++)
    g_signal_connect_swapped (self->settle->pdata[i], "toggled", G_CALLBACK (choices_changed), self);
  for (guint i = 0; i < self->methods->len; i++)
    g_signal_connect_swapped (self->methods->pdata[i], "toggled", G_CALLBACK (choices_changed), self);
  for (guint i = 0; i < N_FIELDS; i++)
    g_signal_connect_swapped (self->fields[i]->entry, "activate", G_CALLBACK (field_activate), self);
  vp_keypad_attach (self->keypad, self->fields[F_READING]->entry);
  vp_keypad_attach_mode (self->keypad, self->fields[F_ID]->entry, VP_KEYPAD_ID);
  vp_keypad_attach (self->keypad, self->fields[F_PHONE]->entry);
  vp_keypad_attach_mode (self->keypad, self->fields[F_REFERENCE]->entry, VP_KEYPAD_ALNUM);
  vp_keypad_attach (self->keypad, self->fields[F_TENDERED]->entry);
  vp_keypad_set_target (self->keypad, GTK_EDITABLE (self->fields[F_READING]->entry));
  choices_changed (self);
}

void
vp_change_holder_page_set_context (VpChangeHolderPage *self,
                                   VpContext          *context)
{
  g_set_object (&self->context, context);
  g_signal_connect_object (context, "notify::journal-break", G_CALLBACK (guard_money),
                           self, G_CONNECT_SWAPPED);
  guard_money (self);
}

void
vp_change_holder_page_load (VpChangeHolderPage *self,
                            const char         *number)
{
  g_return_if_fail (VP_IS_CHANGE_HOLDER_PAGE (self));
  g_free (self->number);
  self->number = g_strdup (number);
  self->arrears = 0;
  self->credit = 0;
  self->final_bill = 0;
  self->quote_ok = FALSE;
  self->has_card = FALSE;
  vp_gui_toggle_group_set (self->credit_choice, 0);
  vp_gui_toggle_group_set (self->klass, VP_TARIFF_CLASS_RESIDENTIAL);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->elderly_check), FALSE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->visit_check), FALSE);
  vp_gui_toggle_group_set (self->card, 0);
  for (guint i = 0; i < N_FIELDS; i++)
    vp_form_field_reset (self->fields[i]);
  vp_gui_toggle_group_set (self->settle, 0);
  vp_gui_toggle_group_set (self->methods, 0);
  vp_gui_clear_box (self->summary_grid);
  vp_gui_set_value (self->account_label, number);
  vp_gui_show_message (self->message_label, NULL, FALSE);
  guard_money (self);
  gtk_widget_set_sensitive (self->confirm_button, FALSE);
  choices_changed (self);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  vp_context_run (self->context, load_job, g_strdup (number), g_free,
                  (GDestroyNotify)vp_account_free, self->cancellable, load_done, g_object_ref (self));
  vp_keypad_set_target (self->keypad, GTK_EDITABLE (self->fields[F_READING]->entry));
  gtk_widget_grab_focus (self->fields[F_READING]->entry);
}
