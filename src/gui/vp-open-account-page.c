/* vp-open-account-page.c: the new-account form, validated as you type.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-open-account"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-open-account-page.h"
#include "vp-form-field.h"
#include "vp-gui-util.h"
#include "vp-keypad.h"
#include "vp-supervisor-dialog.h"

enum
{
  F_HOLDER, F_ID, F_PHONE, F_ESTATE, F_BUILDING, F_UNIT, F_ROOM, F_EXPIRY, F_FEE, F_REFERENCE,
  N_FIELDS
};

struct _VpOpenAccountPage
{
  GtkBox       parent_instance;
  GtkWidget   *fields_grid;
  GtkWidget   *choices_grid;
  GtkLabel    *message_label;
  GtkWidget   *open_button;
  VpKeypad    *keypad;

  VpContext   *context;
  VpFormField *fields[N_FIELDS];
  GPtrArray   *service;
  GPtrArray   *meter;
  GPtrArray   *tariff;
  GPtrArray   *method;
  GtkWidget   *elderly_check;
  GtkWidget   *visit_check;
  GtkWidget   *card_check;
  gboolean     busy;
  gboolean      refused;      /* the journal-break refusal is shown */
  GtkWidget    *estates_box;  /* chips of the known estates matching the field */
  GtkLabel     *estate_hint;
  GStrv         estates;      /* the store's estates, sorted */
};

/* At most this many chips: a city has thousands of estates, typing
 * narrows them down. */
#define ESTATE_CHIPS 8

G_DEFINE_FINAL_TYPE (VpOpenAccountPage, vp_open_account_page, GTK_TYPE_BOX)

/* A broken journal refuses money here, before anything is entered. */
static void
guard_money (VpOpenAccountPage *self)
{
  self->refused = vp_gui_guard_money (GTK_WIDGET (self), self->context, self->message_label,
                                      self->refused, "open-account.submit", NULL);
}

static const char * const service_labels[] = { N_("Gas"), N_("Water"), NULL };
static const char * const meter_labels[] = { N_("Prepaid card"), N_("Post-paid"), NULL };
static const char * const tariff_labels[] = { N_("Residential"), N_("Commercial"), N_("Low-income"), NULL };
static const char * const method_labels[] = { N_("Cash"), N_("Card"), N_("Mobile"), NULL };

static gboolean
validate_estate (const char *text, GError **error)
{
  return vp_validate_text_field (text, 30, _("Estate"), error);
}

static gboolean
validate_building (const char *text, GError **error)
{
  return vp_validate_text_field (text, 10, _("Building"), error);
}

static gboolean
validate_unit (const char *text, GError **error)
{
  return vp_validate_text_field (text, 10, _("Unit"), error);
}

static gboolean
validate_room (const char *text, GError **error)
{
  return vp_validate_text_field (text, 10, _("Room"), error);
}

static gboolean
validate_fee (const char *text, GError **error)
{
  VpMoney fee;

  if (!vp_money_parse (text, &fee, error))
    return FALSE;
  if (fee > VP_MONEY_MAX_TRANSACTION)
    {
      g_set_error_literal (error, VP_MONEY_ERROR, VP_MONEY_ERROR_RANGE,
                           _("At most ¥1,000,000.00"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_reference (const char *text, GError **error)
{
  return vp_validate_note (text, 64, error);
}

static void
choices_changed (VpOpenAccountPage *self)
{
  gboolean low_income = vp_gui_toggle_group_get (self->tariff) == VP_TARIFF_CLASS_LOW_INCOME;
  gboolean prepaid = vp_gui_toggle_group_get (self->meter) == VP_METER_PREPAID;
  gboolean cash = vp_gui_toggle_group_get (self->method) == VP_PAYMENT_CASH;

  self->fields[F_EXPIRY]->optional = !low_income;
  gtk_widget_set_sensitive (self->fields[F_EXPIRY]->entry, low_income);
  if (!low_income)
    vp_form_field_set_error (self->fields[F_EXPIRY], NULL);
  gtk_widget_set_sensitive (self->card_check, prepaid);
  if (!prepaid)
    gtk_check_button_set_active (GTK_CHECK_BUTTON (self->card_check), FALSE);
  self->fields[F_REFERENCE]->optional = cash;
  gtk_widget_set_sensitive (self->fields[F_REFERENCE]->entry, !cash);
  if (cash)
    vp_form_field_set_error (self->fields[F_REFERENCE], NULL);
}

static GPtrArray *
add_choice (VpOpenAccountPage  *self,
            int                 row,
            const char         *title,
            const char * const *labels)
{
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GPtrArray *buttons;

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "field-title");
  buttons = vp_gui_toggle_group (box, labels, NULL);
  for (guint i = 0; i < buttons->len; i++)
    g_signal_connect_swapped (buttons->pdata[i], "toggled", G_CALLBACK (choices_changed), self);
  gtk_widget_set_hexpand (box, TRUE);
  gtk_grid_attach (GTK_GRID (self->choices_grid), label, 0, row * 2, 1, 1);
  gtk_grid_attach (GTK_GRID (self->choices_grid), box, 0, row * 2 + 1, 1, 1);
  return buttons;
}

static GtkWidget *
add_check (VpOpenAccountPage *self,
           int                row,
           const char        *title)
{
  GtkWidget *check = gtk_check_button_new_with_label (title);

  vp_gui_set_name (check, title);
  gtk_grid_attach (GTK_GRID (self->choices_grid), check, 0, row * 2, 1, 1);
  return check;
}

/* A key that ignores case and spaces: "天鹅湖 畔" finds 天鹅湖畔. */
static char *
estate_key (const char *text)
{
  g_autofree char *folded = g_utf8_casefold (text, -1);
  GString *key = g_string_new (NULL);

  for (const char *p = folded; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      g_string_append_unichar (key, g_utf8_get_char (p));
  return g_string_free (key, FALSE);
}

static void
estate_chip_clicked (GtkButton         *chip,
                     VpOpenAccountPage *self)
{
  GtkWidget *entry = self->fields[F_ESTATE]->entry;

  gtk_editable_set_text (GTK_EDITABLE (entry), gtk_button_get_label (chip));
  gtk_editable_set_position (GTK_EDITABLE (entry), -1);
  gtk_widget_grab_focus (self->fields[F_BUILDING]->entry);
}

/* The estate is picked from the store's list, the field searching it; a
 * name typed that is in no list is said to be new, so a misspelt estate
 * does not start a second one. */
static void
estate_changed (VpOpenAccountPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->fields[F_ESTATE]->entry));
  g_autofree char *key = estate_key (text);
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  gboolean known = FALSE;
  guint shown = 0;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->estates_box)) != NULL)
    gtk_flow_box_remove (GTK_FLOW_BOX (self->estates_box), child);
  for (guint i = 0; self->estates && self->estates[i]; i++)
    {
      g_autofree char *candidate = estate_key (self->estates[i]);
      GtkWidget *chip;

      /* The estate picked needs no chip of its own. */
      if (g_str_equal (self->estates[i], trimmed))
        {
          known = TRUE;
          continue;
        }
      if (shown == ESTATE_CHIPS || (*key && strstr (candidate, key) == NULL))
        continue;
      chip = gtk_button_new_with_label (self->estates[i]);
      gtk_widget_add_css_class (chip, "chip");
      vp_gui_set_name (chip, self->estates[i]);
      g_signal_connect (chip, "clicked", G_CALLBACK (estate_chip_clicked), self);
      gtk_flow_box_append (GTK_FLOW_BOX (self->estates_box), chip);
      shown++;
    }
  gtk_widget_set_visible (self->estates_box, shown > 0);
  if (*key && !known)
    {
      gtk_label_set_text (self->estate_hint, shown > 0
                          ? _("Not a known estate: tap one above if it is there")
                          : _("A new estate: no account is in one of this name yet"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->estate_hint),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      gtk_label_get_text (self->estate_hint), -1);
      gtk_widget_set_visible (GTK_WIDGET (self->estate_hint), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->estate_hint), FALSE);
}

static gpointer
estates_job (VpService     *service,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  return vp_account_store_list_estates (vp_service_get_database (service), error);
}

static void
estates_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(VpOpenAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  GStrv estates = vp_service_run_finish (VP_SERVICE (source), result, &error);

  if (estates == NULL)
    {
      /* The form still works with the estate typed. */
      g_warning ("The estates could not be listed: %s", error->message);
      return;
    }
  g_strfreev (self->estates);
  self->estates = estates;
  estate_changed (self);
}

typedef struct
{
  VpStaff *staff;
  VpStaff *approver;   /* the supervisor who allowed a second account here */
  char    *text[N_FIELDS];
  VpOpenAccountRequest request;
} OpenData;

static void
open_data_free (OpenData *d)
{
  g_clear_pointer (&d->staff, vp_staff_free);
  g_clear_pointer (&d->approver, vp_staff_free);
  for (guint i = 0; i < N_FIELDS; i++)
    g_free (d->text[i]);
  g_free (d);
}

static gpointer
open_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  OpenData *d = data;

  return vp_service_open_account (service, d->staff, &d->request, error);
}

static void submit (VpOpenAccountPage *self,
                    const VpStaff     *approver);

static void
duplicate_approved (VpSupervisorDialog *dialog,
                    VpStaff            *supervisor,
                    VpOpenAccountPage  *self)
{
  submit (self, supervisor);
}

/* The address already has an account for the service: say which, and
 * let a supervisor allow the second one (a flat split in two, say). */
static void
ask_duplicate_override (VpOpenAccountPage *self,
                        const char        *message)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  g_autofree char *what = g_strdup_printf (_("Open a second account at this address: %s"), message);
  VpSupervisorDialog *dialog = vp_supervisor_dialog_new (parent, self->context, what);

  g_signal_connect_object (dialog, "approved", G_CALLBACK (duplicate_approved), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
open_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpOpenAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = vp_service_run_finish (VP_SERVICE (source), result, &error);
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *text = NULL;
  const char *number;

  self->busy = FALSE;
  gtk_widget_set_sensitive (self->open_button, !self->refused);
  if (entry == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      if (g_error_matches (error, VP_STORE_ERROR, VP_STORE_ERROR_EXISTS))
        ask_duplicate_override (self, error->message);
      return;
    }
  p = vp_journal_entry_parse_payload (entry);
  number = p ? json_object_get_string_member_with_default (p, "account", "") : "";
  text = g_strdup_printf (_("Account %s opened"), number);
  vp_gui_show_message (self->message_label, text, FALSE);
  vp_context_emit_changed (self->context);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", text);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.open-account", "s", number);
  vp_open_account_page_reset (self);
}

static void
submit_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  submit (VP_OPEN_ACCOUNT_PAGE (widget), NULL);
}

static void
submit (VpOpenAccountPage *self,
        const VpStaff     *approver)
{
  gboolean ok = TRUE;
  OpenData *d;

  if (self->busy)
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

  d = g_new0 (OpenData, 1);
  d->staff = vp_context_dup_staff (self->context);
  if (approver != NULL)
    {
      d->approver = vp_staff_copy (approver);
      d->request.approver = d->approver;
      d->request.override_duplicate = TRUE;
    }
  for (guint i = 0; i < N_FIELDS; i++)
    d->text[i] = vp_form_field_dup_text (self->fields[i]);
  d->request.holder = d->text[F_HOLDER];
  d->request.id_number = d->text[F_ID];
  d->request.phone = d->text[F_PHONE];
  d->request.estate = d->text[F_ESTATE];
  d->request.building = d->text[F_BUILDING];
  d->request.unit = d->text[F_UNIT];
  d->request.room = d->text[F_ROOM];
  d->request.service = vp_gui_toggle_group_get (self->service);
  d->request.meter = vp_gui_toggle_group_get (self->meter);
  d->request.tariff_class = vp_gui_toggle_group_get (self->tariff);
  d->request.concession_expiry = d->request.tariff_class == VP_TARIFF_CLASS_LOW_INCOME
                                 ? d->text[F_EXPIRY] : NULL;
  d->request.elderly_alone = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->elderly_check));
  d->request.needs_visit = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->visit_check));
  d->request.issue_card = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->card_check));
  d->request.method = vp_gui_toggle_group_get (self->method);
  d->request.reference = d->request.method == VP_PAYMENT_CASH || *d->text[F_REFERENCE] == '\0'
                         ? NULL : d->text[F_REFERENCE];
  d->request.fee = 0;
  if (*d->text[F_FEE] && !vp_money_parse (d->text[F_FEE], &d->request.fee, NULL))
    g_assert_not_reached ();   /* checked above */

  self->busy = TRUE;
  gtk_widget_set_sensitive (self->open_button, FALSE);
  vp_gui_show_message (self->message_label, _("Opening the account…"), FALSE);
  vp_context_run (self->context, open_job, d, (GDestroyNotify)open_data_free,
                  (GDestroyNotify)vp_journal_entry_free, NULL, open_done, g_object_ref (self));
}

static void
field_activate (VpOpenAccountPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "open-account.submit", NULL);
}

static void
vp_open_account_page_dispose (GObject *object)
{
  VpOpenAccountPage *self = VP_OPEN_ACCOUNT_PAGE (object);

  g_clear_object (&self->context);
  for (guint i = 0; i < N_FIELDS; i++)
    g_clear_pointer (&self->fields[i], g_free);
  g_clear_pointer (&self->service, g_ptr_array_unref);
  g_clear_pointer (&self->meter, g_ptr_array_unref);
  g_clear_pointer (&self->tariff, g_ptr_array_unref);
  g_clear_pointer (&self->method, g_ptr_array_unref);
  g_clear_pointer (&self->estates, g_strfreev);
  G_OBJECT_CLASS (vp_open_account_page_parent_class)->dispose (object);
}

static void
vp_open_account_page_class_init (VpOpenAccountPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_open_account_page_dispose;
  g_type_ensure (VP_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-open-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpOpenAccountPage, fields_grid);
  gtk_widget_class_bind_template_child (widget_class, VpOpenAccountPage, choices_grid);
  gtk_widget_class_bind_template_child (widget_class, VpOpenAccountPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpOpenAccountPage, open_button);
  gtk_widget_class_bind_template_child (widget_class, VpOpenAccountPage, keypad);
  gtk_widget_class_install_action (widget_class, "open-account.submit", NULL, submit_activated);
}

static void
vp_open_account_page_init (VpOpenAccountPage *self)
{
  GtkWidget *grid;
  int row = 0;

  gtk_widget_init_template (GTK_WIDGET (self));
  grid = self->fields_grid;
  self->fields[F_HOLDER] = vp_form_field_add (grid, row, _("Holder name"), _("e.g. 王建芳"), vp_validate_name, FALSE);
  row += 3;
  self->fields[F_ID] = vp_form_field_add (grid, row, _("ID number"), _("18 characters"), vp_validate_id_number, FALSE);
  row += 3;
  self->fields[F_PHONE] = vp_form_field_add (grid, row, _("Phone"), _("mobile or landline"), vp_validate_phone, FALSE);
  row += 3;
  self->fields[F_ESTATE] = vp_form_field_add (grid, row, _("Estate"), _("type to search, tap one"),
                                              validate_estate, FALSE);
  {
    GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);

    self->estates_box = gtk_flow_box_new ();
    gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (self->estates_box), GTK_SELECTION_NONE);
    gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (self->estates_box), 4);
    gtk_widget_set_visible (self->estates_box, FALSE);
    self->estate_hint = GTK_LABEL (gtk_label_new (NULL));
    gtk_label_set_xalign (self->estate_hint, 0);
    gtk_label_set_wrap (self->estate_hint, TRUE);
    gtk_widget_set_visible (GTK_WIDGET (self->estate_hint), FALSE);
    gtk_box_append (GTK_BOX (box), self->estates_box);
    gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->estate_hint));
    gtk_grid_attach (GTK_GRID (grid), box, 0, row + 3, 1, 1);
    g_signal_connect_swapped (self->fields[F_ESTATE]->entry, "changed",
                              G_CALLBACK (estate_changed), self);
  }
  row += 4;
  self->fields[F_BUILDING] = vp_form_field_add (grid, row, _("Building"), NULL, validate_building, FALSE);
  row += 3;
  self->fields[F_UNIT] = vp_form_field_add (grid, row, _("Unit"), NULL, validate_unit, TRUE);
  row += 3;
  self->fields[F_ROOM] = vp_form_field_add (grid, row, _("Room"), NULL, validate_room, FALSE);
  row += 3;
  self->fields[F_EXPIRY] = vp_form_field_add (grid, row, _("Concession expiry"), _("yyyy-mm-dd"), vp_validate_date, TRUE);
  row += 3;
  self->fields[F_FEE] = vp_form_field_add (grid, row, _("Fee"), _("opening fee and deposit, 0.00"), validate_fee, TRUE);
  row += 3;
  self->fields[F_REFERENCE] = vp_form_field_add (grid, row, _("Reference"), _("terminal or QR reference"), validate_reference, TRUE);

  row = 0;
  self->service = add_choice (self, row++, _("Service"), service_labels);
  self->meter = add_choice (self, row++, _("Meter"), meter_labels);
  self->tariff = add_choice (self, row++, _("Tariff"), tariff_labels);
  self->method = add_choice (self, row++, _("Fee paid by"), method_labels);
  self->elderly_check = add_check (self, row++, _("Elderly living alone"));
  self->visit_check = add_check (self, row++, _("Needs home visit"));
  self->card_check = add_check (self, row++, _("Issue a card"));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->card_check), TRUE);

  for (guint i = 0; i < N_FIELDS; i++)
    g_signal_connect_swapped (self->fields[i]->entry, "activate", G_CALLBACK (field_activate), self);
  for (guint i = F_ID; i < N_FIELDS; i++)
    if (i != F_ESTATE)
      vp_keypad_attach_mode (self->keypad, self->fields[i]->entry,
                             i == F_ID ? VP_KEYPAD_ID
                             : i == F_REFERENCE ? VP_KEYPAD_ALNUM : VP_KEYPAD_NUMERIC);
  vp_keypad_set_target (self->keypad, GTK_EDITABLE (self->fields[F_FEE]->entry));
  choices_changed (self);
}

void
vp_open_account_page_set_context (VpOpenAccountPage *self,
                                  VpContext         *context)
{
  g_set_object (&self->context, context);
  g_signal_connect_object (context, "notify::journal-break", G_CALLBACK (guard_money),
                           self, G_CONNECT_SWAPPED);
  guard_money (self);
}

void
vp_open_account_page_reset (VpOpenAccountPage *self)
{
  g_return_if_fail (VP_IS_OPEN_ACCOUNT_PAGE (self));
  for (guint i = 0; i < N_FIELDS; i++)
    vp_form_field_reset (self->fields[i]);
  vp_gui_toggle_group_set (self->service, 0);
  vp_gui_toggle_group_set (self->meter, 0);
  vp_gui_toggle_group_set (self->tariff, 0);
  vp_gui_toggle_group_set (self->method, 0);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->elderly_check), FALSE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->visit_check), FALSE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->card_check), TRUE);
  if (!self->busy)
    vp_gui_show_message (self->message_label, NULL, FALSE);
  guard_money (self);
  choices_changed (self);
  /* Accounts opened since (here or pulled from HQ) bring their estates. */
  if (self->context != NULL)
    vp_context_run (self->context, estates_job, NULL, NULL, (GDestroyNotify)g_strfreev, NULL,
                    estates_done, g_object_ref (self));
  gtk_widget_grab_focus (self->fields[F_HOLDER]->entry);
}
