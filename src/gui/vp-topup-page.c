/* vp-topup-page.c: prepaid IC-card top-up with a live tier quote.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-topup"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-topup-page.h"
#include "vp-gui-util.h"
#include "vp-keypad.h"
#include "vp-supervisor-dialog.h"

#define QUOTE_DELAY_MS 150

struct _VpTopupPage
{
  GtkBox        parent_instance;
  GtkLabel     *account_label;
  GtkStack     *stack;
  GtkWidget    *mode_box;
  GtkWidget    *amount_entry;
  GtkWidget    *volume_entry;
  GtkWidget    *quote_grid;
  GtkWidget    *method_box;
  GtkWidget    *reference_entry;
  GtkWidget    *tendered_entry;
  GtkWidget    *credit_check;
  GtkWidget    *confirm_button;
  GtkLabel     *insert_label;
  GtkLabel     *card_summary;
  GtkProgressBar *progress_bar;
  GtkWidget    *card_buttons;
  GtkWidget    *cancel_button;
  GtkWidget    *write_button;
  GtkWidget    *done_button;
  GtkWidget    *done_box;
  GtkWidget    *print_button;
  GtkLabel     *print_label;
  GtkLabel     *message_label;
  VpKeypad     *keypad;

  VpContext    *context;
  char         *number;
  GPtrArray    *modes;
  GPtrArray    *methods;
  guint         quote_source;
  GCancellable *quote_cancellable;
  gboolean      quote_ok;
  VpMoney       amount;      /* what the confirmed request carries */
  VpVolume      volume;
  VpMoney       credit;      /* the account's credit when last quoted */
  VpMoney       quote_amount;
  VpMoney       tendered;    /* cash handed over for the confirmed request */
  VpVolume      quote_volume;
  char         *card_number;
  gboolean      busy;
  gint64        receipt_seq;
  gboolean      refused;      /* the journal-break refusal is shown */
};

G_DEFINE_FINAL_TYPE (VpTopupPage, vp_topup_page, GTK_TYPE_BOX)

/* A broken journal refuses money here, before anything is entered. */
static void
guard_money (VpTopupPage *self)
{
  self->refused = vp_gui_guard_money (GTK_WIDGET (self), self->context, self->message_label,
                                      self->refused, "topup.confirm", "topup.write", NULL);
}

static const char * const mode_labels[] = { N_("By amount"), N_("By volume"), NULL };
static const char * const method_labels[] = { N_("Cash"), N_("Card"), N_("Mobile"), NULL };

static gboolean
by_volume (VpTopupPage *self)
{
  return vp_gui_toggle_group_get (self->modes) == 1;
}

/* --- quote ------------------------------------------------------------- */

typedef struct
{
  char    *number;
  VpMoney  amount;
  VpVolume volume;
} QuoteData;

typedef struct
{
  VpQuote quote;
  VpMoney credit;
  char    card_number[64];
} QuoteResult;

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
  VpDatabase *db = vp_service_get_database (service);
  g_autofree QuoteResult *r = g_new0 (QuoteResult, 1);
  g_autoptr(VpAccount) a = NULL;

  if (!vp_topup_store_quote (db, d->number, d->amount, d->volume, &r->quote, error))
    return NULL;
  /* The credit the account holds can pay for the purchase first. */
  a = vp_account_store_get (db, d->number, error);
  if (a == NULL)
    return NULL;
  r->credit = MAX (a->balance, 0);
  g_strlcpy (r->card_number, a->card_number ? a->card_number : "", sizeof r->card_number);
  return g_steal_pointer (&r);
}

static void
grid_cell (GtkWidget  *grid,
           int         column,
           int         row,
           const char *text,
           gboolean    bold)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), column == 0 ? 0 : 1);
  if (bold)
    gtk_widget_add_css_class (label, "field-title");
  gtk_grid_attach (GTK_GRID (grid), label, column, row, 1, 1);
}

static void
show_quote (VpTopupPage   *self,
            const VpQuote *q)
{
  int row = 0;
  g_autofree char *volume = vp_volume_format (q->volume);
  g_autofree char *amount = vp_money_format (q->amount);
  g_autofree char *total = NULL;
  GtkWidget *total_label;

  vp_gui_clear_box (self->quote_grid);
  grid_cell (self->quote_grid, 0, row, _("Tier"), TRUE);
  grid_cell (self->quote_grid, 1, row, _("m³"), TRUE);
  grid_cell (self->quote_grid, 2, row, _("Price"), TRUE);
  grid_cell (self->quote_grid, 3, row, _("Amount"), TRUE);
  row++;
  for (guint i = 0; i < q->n_segments; i++)
    {
      const VpQuoteSegment *s = &q->segments[i];
      g_autofree char *tier = s->tier < 0 ? g_strdup (_("Free allowance"))
                                          : g_strdup_printf (_("Tier %d"), s->tier + 1);
      g_autofree char *m3 = vp_volume_format_plain (s->litres);
      g_autofree char *price = vp_money_format (s->price);
      g_autofree char *seg = vp_money_format (s->amount);

      grid_cell (self->quote_grid, 0, row, tier, FALSE);
      grid_cell (self->quote_grid, 1, row, m3, FALSE);
      grid_cell (self->quote_grid, 2, row, price, FALSE);
      grid_cell (self->quote_grid, 3, row, seg, FALSE);
      row++;
    }
  if (q->concession)
    {
      g_autofree char *free_m3 = vp_volume_format (q->free_litres);
      g_autofree char *discount = vp_money_format (q->discount);
      g_autofree char *text = g_strdup_printf (_("Concession: %s free, %s discount"), free_m3, discount);
      GtkWidget *label = gtk_label_new (text);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "flag");
      gtk_grid_attach (GTK_GRID (self->quote_grid), label, 0, row++, 4, 1);
    }
  if (q->leftover > 0)
    {
      g_autofree char *left = vp_money_format (q->leftover);
      g_autofree char *text = g_strdup_printf (_("%s left over goes to account credit"), left);
      GtkWidget *label = gtk_label_new (text);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_grid_attach (GTK_GRID (self->quote_grid), label, 0, row++, 4, 1);
    }
  total = g_strdup_printf (_("Total: %s for %s"), amount, volume);
  total_label = gtk_label_new (total);
  gtk_label_set_xalign (GTK_LABEL (total_label), 0);
  gtk_widget_add_css_class (total_label, "amount");
  vp_gui_set_name (total_label, _("Quote total"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (total_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, total, -1);
  gtk_grid_attach (GTK_GRID (self->quote_grid), total_label, 0, row, 4, 1);
}

static void method_changed (VpTopupPage *self);

static void
quote_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VpTopupPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree QuoteResult *r = vp_service_run_finish (VP_SERVICE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->quote_ok = r != NULL;
  if (r == NULL)
    {
      vp_gui_clear_box (self->quote_grid);
      gtk_widget_set_visible (self->credit_check, FALSE);
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  vp_gui_show_message (self->message_label, NULL, FALSE);
  guard_money (self);
  show_quote (self, &r->quote);
  self->credit = r->credit;
  self->quote_amount = r->quote.amount;
  self->quote_volume = r->quote.volume;
  g_free (self->card_number);
  self->card_number = g_strdup (r->card_number);
  gtk_widget_set_visible (self->credit_check, r->credit > 0);
  if (r->credit > 0)
    {
      g_autofree char *credit = vp_money_format (r->credit);
      g_autofree char *rest = vp_money_format (MAX (r->quote.amount - r->credit, 0));
      g_autofree char *label = r->credit >= r->quote.amount
                               ? g_strdup_printf (_("Pay from the account's credit (%s): nothing to pay"),
                                                  credit)
                               : g_strdup_printf (_("Pay from the account's credit (%s) first, %s to pay"),
                                                  credit, rest);

      gtk_check_button_set_label (GTK_CHECK_BUTTON (self->credit_check), label);
      /* A stable name; the description says the figures. */
      vp_gui_set_name (self->credit_check, _("Pay from credit"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->credit_check),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, label, -1);
    }
  method_changed (self);
}

/* Parses the entry of the current mode into self->amount / self->volume. */
static gboolean
parse_request (VpTopupPage  *self,
               GError      **error)
{
  self->amount = 0;
  self->volume = 0;
  if (by_volume (self))
    {
      const char *text = gtk_editable_get_text (GTK_EDITABLE (self->volume_entry));
      g_autoptr(GError) local = NULL;

      if (*text == '\0')
        {
          g_set_error_literal (error, VP_MONEY_ERROR, VP_MONEY_ERROR_SYNTAX,
                               _("Volume: enter the m³ to buy"));
          return FALSE;
        }
      if (!vp_volume_parse (text, &self->volume, &local))
        {
          g_set_error (error, local->domain, local->code, _("Volume: %s"), local->message);
          return FALSE;
        }
      if (self->volume == 0)
        {
          g_set_error_literal (error, VP_MONEY_ERROR, VP_MONEY_ERROR_RANGE,
                               _("Volume: must be more than zero"));
          return FALSE;
        }
      return TRUE;
    }
  return vp_gui_parse_amount (GTK_EDITABLE (self->amount_entry), _("Amount"), &self->amount, error);
}

static gboolean
quote_timeout (gpointer user_data)
{
  VpTopupPage *self = user_data;
  g_autoptr(GError) error = NULL;
  QuoteData *d;

  self->quote_source = 0;
  if (self->quote_cancellable)
    g_cancellable_cancel (self->quote_cancellable);
  g_clear_object (&self->quote_cancellable);
  self->quote_ok = FALSE;
  if (!parse_request (self, &error))
    {
      vp_gui_clear_box (self->quote_grid);
      /* An empty field is not an error yet. */
      vp_gui_show_message (self->message_label,
                           g_error_matches (error, VP_MONEY_ERROR, VP_MONEY_ERROR_SYNTAX) &&
                           *gtk_editable_get_text (GTK_EDITABLE (by_volume (self) ? self->volume_entry
                                                                                    : self->amount_entry)) == '\0'
                           ? NULL : error->message, TRUE);
      return G_SOURCE_REMOVE;
    }
  d = g_new0 (QuoteData, 1);
  d->number = g_strdup (self->number);
  d->amount = self->amount;
  d->volume = self->volume;
  self->quote_cancellable = g_cancellable_new ();
  vp_context_run (self->context, quote_job, d, (GDestroyNotify)quote_data_free, g_free,
                  self->quote_cancellable, quote_done, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_quote (VpTopupPage *self)
{
  g_clear_handle_id (&self->quote_source, g_source_remove);
  self->quote_ok = FALSE;
  self->quote_source = g_timeout_add (QUOTE_DELAY_MS, quote_timeout, self);
}

static void
mode_changed (VpTopupPage *self)
{
  gboolean volume = by_volume (self);

  gtk_widget_set_visible (self->amount_entry, !volume);
  gtk_widget_set_visible (self->volume_entry, volume);
  vp_keypad_set_target (self->keypad, GTK_EDITABLE (volume ? self->volume_entry : self->amount_entry));
  schedule_quote (self);
}

/* Credit covers the whole purchase: no money changes hands. */
static gboolean
credit_pays_all (VpTopupPage *self)
{
  return gtk_widget_get_visible (self->credit_check)
         && gtk_check_button_get_active (GTK_CHECK_BUTTON (self->credit_check))
         && self->credit >= self->quote_amount;
}

static void
method_changed (VpTopupPage *self)
{
  gboolean pays_all = credit_pays_all (self);

  gtk_widget_set_visible (self->method_box, !pays_all);
  gtk_widget_set_visible (self->reference_entry,
                          !pays_all && vp_gui_toggle_group_get (self->methods) != VP_PAYMENT_CASH);
  gtk_widget_set_visible (self->tendered_entry,
                          !pays_all && vp_gui_toggle_group_get (self->methods) == VP_PAYMENT_CASH);
}

/* --- the two-phase write --------------------------------------------- */

typedef struct
{
  VpStaff        *staff;
  char           *number;
  VpMoney         amount;
  VpVolume        volume;
  VpPaymentMethod method;
  gboolean        has_method;     /* FALSE: the credit pays it all */
  gboolean        from_credit;
  char           *reference;
  VpMoney         tendered;       /* cash handed over; 0: not given */
  VpStaff        *approver;       /* a supervisor approving an offline cap, or NULL */
  GWeakRef        page;
} TopupData;

static void
topup_data_free (TopupData *d)
{
  g_clear_pointer (&d->staff, vp_staff_free);
  g_clear_pointer (&d->approver, vp_staff_free);
  g_free (d->number);
  g_free (d->reference);
  g_weak_ref_clear (&d->page);
  g_free (d);
}

typedef struct
{
  GWeakRef page;
  char    *stage;
  double   fraction;
} ProgressData;

static void
progress_data_free (ProgressData *p)
{
  g_weak_ref_clear (&p->page);
  g_free (p->stage);
  g_free (p);
}

static gboolean
progress_main (gpointer user_data)
{
  ProgressData *p = user_data;
  g_autoptr(VpTopupPage) self = g_weak_ref_get (&p->page);
  const char *text = p->stage;

  if (self == NULL)
    return G_SOURCE_REMOVE;
  if (g_str_equal (p->stage, "intent"))
    text = _("Recording the purchase…");
  else if (g_str_equal (p->stage, "write"))
    text = _("Writing the card…");
  else if (g_str_equal (p->stage, "verify"))
    text = _("Reading the card back…");
  else if (g_str_equal (p->stage, "confirm"))
    text = _("Confirming…");
  else if (g_str_equal (p->stage, "card"))
    text = _("Reading the card…");
  else if (g_str_equal (p->stage, "done"))
    text = _("Done");
  gtk_progress_bar_set_fraction (self->progress_bar, p->fraction);
  gtk_progress_bar_set_text (self->progress_bar, text);
  return G_SOURCE_REMOVE;
}

/* Runs on the worker thread: hand the progress to the main loop. */
static void
topup_progress (const char *stage,
                double      fraction,
                gpointer    user_data)
{
  TopupData *d = user_data;
  ProgressData *p = g_new0 (ProgressData, 1);
  g_autoptr(GObject) page = g_weak_ref_get (&d->page);

  g_weak_ref_init (&p->page, page);
  p->stage = g_strdup (stage);
  p->fraction = fraction;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, progress_main, p,
                              (GDestroyNotify)progress_data_free);
}

static gpointer
topup_job (VpService     *service,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  TopupData *d = data;
  VpJournalEntry *entry;

  /* A supervisor's approval covers this one top-up only. */
  vp_service_set_limit_approver (service, d->approver);
  entry = vp_service_card_topup_full (service, d->staff, d->number, d->amount, d->volume,
                                      d->from_credit ? VP_TOPUP_FROM_CREDIT : 0,
                                      d->has_method ? &d->method : NULL, d->reference, d->tendered,
                                      topup_progress, d, cancellable, error);
  vp_service_set_limit_approver (service, NULL);
  return entry;
}

static void limit_approved (VpSupervisorDialog *dialog,
                            VpStaff            *supervisor,
                            VpTopupPage        *self);

static void
topup_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VpTopupPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) entry = vp_service_run_finish (VP_SERVICE (source), result, &error);

  self->busy = FALSE;
  gtk_widget_set_visible (self->card_buttons, FALSE);
  gtk_widget_set_visible (self->done_box, TRUE);
  gtk_widget_set_visible (self->print_button, entry != NULL);
  self->receipt_seq = entry ? entry->seq : 0;
  vp_context_emit_changed (self->context);
  if (entry == NULL && g_error_matches (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING))
    {
      /* The money is taken and the card may hold the purchase: never
       * tell the resident it was not topped up, nor to pay again. */
      g_autofree char *text = g_strdup_printf (_("Top-up pending: %s"), error->message);

      gtk_progress_bar_set_text (self->progress_bar, _("Pending"));
      vp_gui_set_value (self->insert_label, _("Insert the card again to finish (nothing to pay again)"));
      vp_gui_show_message (self->message_label, text, TRUE);
      return;
    }
  if (entry == NULL && g_error_matches (error, VP_STORE_ERROR, VP_STORE_ERROR_LIMIT))
    {
      /* Over an offline cap, refused before anything was recorded or
       * written: a supervisor may approve it here (the message says which
       * cap); otherwise the van syncs first. */
      GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
      VpSupervisorDialog *dialog = vp_supervisor_dialog_new (parent, self->context, error->message);
      g_autofree char *amount = vp_money_format (self->quote_amount);

      gtk_progress_bar_set_text (self->progress_bar, _("Needs approval"));
      vp_gui_set_value (self->insert_label, _("Nothing was written: a supervisor must approve this top-up"));
      vp_gui_show_message (self->message_label, error->message, TRUE);
      vp_supervisor_dialog_add_detail (dialog, _("Account"), self->number);
      vp_supervisor_dialog_add_detail (dialog, _("Amount"), amount);
      g_signal_connect_object (dialog, "approved", G_CALLBACK (limit_approved), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  if (entry == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Top-up failed: %s"), error->message);

      gtk_progress_bar_set_text (self->progress_bar, _("Failed"));
      vp_gui_set_value (self->insert_label, g_error_matches (error, VP_TOPUP_ERROR,
                                                             VP_TOPUP_ERROR_VOIDED)
                                              ? _("The card was not topped up; the money is kept as credit")
                                              : _("The card was not topped up"));
      vp_gui_show_message (self->message_label, text, TRUE);
      return;
    }
  {
    g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (entry);
    g_autofree char *receipt = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
    g_autofree char *code = vp_journal_verify_code (entry->hash);
    g_autofree char *volume = vp_volume_format (p ? json_object_get_int_member_with_default (p, "volume", 0) : 0);
    const char *card = p ? json_object_get_string_member_with_default (p, "card_number", "") : "";
    g_autofree char *text = g_strdup_printf (_("Top-up complete: %s written to card %s. Receipt %s, code %s"),
                                             volume, card, receipt, code);

    if (p != NULL && json_object_has_member (p, "tendered"))
      {
        g_autofree char *change = vp_money_format (json_object_get_int_member (p, "change"));
        g_autofree char *line = g_strdup_printf (_("%s. Change %s"), text, change);

        g_free (text);
        text = g_steal_pointer (&line);
      }

    gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
    gtk_progress_bar_set_text (self->progress_bar, _("Done"));
    vp_gui_set_value (self->insert_label, _("Take the card out"));
    vp_gui_show_message (self->message_label, text, FALSE);
    gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", _("Top-up complete"));
  }
}

static void
confirm_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  VpTopupPage *self = VP_TOPUP_PAGE (widget);
  g_autoptr(GError) error = NULL;

  if (self->busy)
    return;
  if (!parse_request (self, &error))
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  if (!credit_pays_all (self) && vp_gui_toggle_group_get (self->methods) != VP_PAYMENT_CASH)
    {
      g_autofree char *ref = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reference_entry))));

      if (*ref == '\0' || !vp_validate_note (ref, 64, NULL))
        {
          vp_gui_show_message (self->message_label,
                               _("Reference: enter the terminal or QR payment reference"), TRUE);
          return;
        }
    }
  if (!self->quote_ok)
    {
      vp_gui_show_message (self->message_label, _("Wait for the quote, then confirm"), TRUE);
      schedule_quote (self);
      return;
    }
  self->tendered = 0;
  if (gtk_widget_get_visible (self->tendered_entry) &&
      *gtk_editable_get_text (GTK_EDITABLE (self->tendered_entry)) != '\0')
    {
      gboolean from_credit = gtk_widget_get_visible (self->credit_check) &&
                             gtk_check_button_get_active (GTK_CHECK_BUTTON (self->credit_check));
      VpMoney due = self->quote_amount - (from_credit ? MIN (self->credit, self->quote_amount) : 0);

      if (!vp_gui_parse_amount (GTK_EDITABLE (self->tendered_entry), _("Tendered"), &self->tendered,
                                &error))
        {
          vp_gui_show_message (self->message_label, error->message, TRUE);
          return;
        }
      if (self->tendered < due)
        {
          g_autofree char *t = vp_money_format (self->tendered);
          g_autofree char *m = vp_money_format (due);
          g_autofree char *text = g_strdup_printf (_("The cash tendered (%s) is less than the top-up (%s)"),
                                                   t, m);

          vp_gui_show_message (self->message_label, text, TRUE);
          return;
        }
    }
  vp_gui_show_message (self->message_label, NULL, FALSE);
  {
    /* What goes on the card, in figures the resident can read. */
    g_autofree char *amount = vp_money_format (self->quote_amount);
    g_autofree char *volume = vp_volume_format (self->quote_volume);
    g_autofree char *summary = g_strdup_printf (_("%s · %s\ncard %s · account %s"), volume, amount,
                                                self->card_number ? self->card_number : "",
                                                self->number);

    vp_gui_set_value (self->card_summary, summary);
  }
  vp_gui_set_value (self->insert_label, _("Insert the card"));
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, _("Waiting for the card"));
  gtk_widget_set_visible (self->card_buttons, TRUE);
  gtk_widget_set_visible (self->done_box, FALSE);
  vp_gui_show_message (self->print_label, NULL, FALSE);
  gtk_widget_set_sensitive (self->write_button, TRUE);
  gtk_widget_set_sensitive (self->cancel_button, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "card");
}

static void
start_write (VpTopupPage   *self,
             const VpStaff *approver)
{
  VpPaymentMethod method = vp_gui_toggle_group_get (self->methods);
  TopupData *d;

  if (self->busy)
    return;
  d = g_new0 (TopupData, 1);
  d->staff = vp_context_dup_staff (self->context);
  d->number = g_strdup (self->number);
  d->amount = self->amount;
  d->volume = self->volume;
  d->from_credit = gtk_widget_get_visible (self->credit_check)
                   && gtk_check_button_get_active (GTK_CHECK_BUTTON (self->credit_check));
  d->has_method = !credit_pays_all (self);
  d->method = method;
  d->reference = !d->has_method || method == VP_PAYMENT_CASH ? NULL
                 : g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reference_entry))));
  d->tendered = d->has_method && method == VP_PAYMENT_CASH ? self->tendered : 0;
  d->approver = approver ? vp_staff_copy (approver) : NULL;
  g_weak_ref_init (&d->page, self);
  self->busy = TRUE;
  gtk_widget_set_visible (self->card_buttons, TRUE);
  gtk_widget_set_visible (self->done_box, FALSE);
  gtk_widget_set_sensitive (self->write_button, FALSE);
  gtk_widget_set_sensitive (self->cancel_button, FALSE);
  vp_gui_set_value (self->insert_label, _("Keep the card in the reader"));
  gtk_progress_bar_set_text (self->progress_bar, _("Starting…"));
  vp_context_run (self->context, topup_job, d, (GDestroyNotify)topup_data_free,
                  (GDestroyNotify)vp_journal_entry_free, NULL, topup_done, g_object_ref (self));
}

static void
write_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  start_write (VP_TOPUP_PAGE (widget), NULL);
}

static void
limit_approved (VpSupervisorDialog *dialog,
                VpStaff            *supervisor,
                VpTopupPage        *self)
{
  start_write (self, supervisor);
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  VpTopupPage *self = VP_TOPUP_PAGE (widget);

  if (self->busy)
    return;
  gtk_stack_set_visible_child_name (self->stack, "form");
}

static void
done_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  VpTopupPage *self = VP_TOPUP_PAGE (widget);

  gtk_widget_activate_action (widget, "win.open-account", "s", self->number);
}

static void
print_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  VpTopupPage *self = VP_TOPUP_PAGE (widget);

  if (self->receipt_seq > 0)
    vp_gui_print_receipt (self->context, self->receipt_seq, self->print_label);
}

static void
entry_activate (GtkEntry    *entry,
                VpTopupPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "topup.confirm", NULL);
}

static void
vp_topup_page_dispose (GObject *object)
{
  VpTopupPage *self = VP_TOPUP_PAGE (object);

  g_clear_handle_id (&self->quote_source, g_source_remove);
  if (self->quote_cancellable)
    g_cancellable_cancel (self->quote_cancellable);
  g_clear_object (&self->quote_cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->number, g_free);
  g_clear_pointer (&self->card_number, g_free);
  g_clear_pointer (&self->modes, g_ptr_array_unref);
  g_clear_pointer (&self->methods, g_ptr_array_unref);
  G_OBJECT_CLASS (vp_topup_page_parent_class)->dispose (object);
}

static void
vp_topup_page_class_init (VpTopupPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_topup_page_dispose;
  g_type_ensure (VP_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-topup-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, account_label);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, stack);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, mode_box);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, amount_entry);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, volume_entry);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, quote_grid);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, method_box);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, reference_entry);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, insert_label);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, card_buttons);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, write_button);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, done_button);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, done_box);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, print_button);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, print_label);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, credit_check);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, card_summary);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, tendered_entry);
  gtk_widget_class_bind_template_child (widget_class, VpTopupPage, keypad);
  gtk_widget_class_install_action (widget_class, "topup.confirm", NULL, confirm_activated);
  gtk_widget_class_install_action (widget_class, "topup.write", NULL, write_activated);
  gtk_widget_class_install_action (widget_class, "topup.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "topup.done", NULL, done_activated);
  gtk_widget_class_install_action (widget_class, "topup.print", NULL, print_activated);
}

static void
vp_topup_page_init (VpTopupPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->modes = vp_gui_toggle_group (self->mode_box, mode_labels, NULL);
  self->methods = vp_gui_toggle_group (self->method_box, method_labels, NULL);
  for (guint i = 0; i < self->modes->len; i++)
    g_signal_connect_swapped (self->modes->pdata[i], "toggled", G_CALLBACK (mode_changed), self);
  for (guint i = 0; i < self->methods->len; i++)
    g_signal_connect_swapped (self->methods->pdata[i], "toggled", G_CALLBACK (method_changed), self);
  vp_keypad_attach (self->keypad, self->amount_entry);
  vp_keypad_attach (self->keypad, self->volume_entry);
  vp_keypad_attach (self->keypad, self->reference_entry);
  vp_keypad_attach (self->keypad, self->tendered_entry);
  g_signal_connect_swapped (self->amount_entry, "changed", G_CALLBACK (schedule_quote), self);
  g_signal_connect_swapped (self->volume_entry, "changed", G_CALLBACK (schedule_quote), self);
  g_signal_connect (self->amount_entry, "activate", G_CALLBACK (entry_activate), self);
  g_signal_connect (self->volume_entry, "activate", G_CALLBACK (entry_activate), self);
  g_signal_connect (self->reference_entry, "activate", G_CALLBACK (entry_activate), self);
  g_signal_connect_swapped (self->credit_check, "toggled", G_CALLBACK (method_changed), self);
  gtk_widget_set_visible (self->volume_entry, FALSE);
  method_changed (self);
}

void
vp_topup_page_set_context (VpTopupPage *self,
                           VpContext   *context)
{
  g_set_object (&self->context, context);
  g_signal_connect_object (context, "notify::journal-break", G_CALLBACK (guard_money),
                           self, G_CONNECT_SWAPPED);
  guard_money (self);
}

void
vp_topup_page_load (VpTopupPage *self,
                    const char  *number)
{
  g_autofree char *title = NULL;

  g_return_if_fail (VP_IS_TOPUP_PAGE (self));
  g_free (self->number);
  self->number = g_strdup (number);
  title = g_strdup_printf (_("Top up account %s"), number);
  vp_gui_set_value (self->account_label, title);
  gtk_stack_set_visible_child_name (self->stack, "form");
  vp_gui_toggle_group_set (self->modes, 0);
  vp_gui_toggle_group_set (self->methods, VP_PAYMENT_CASH);
  gtk_editable_set_text (GTK_EDITABLE (self->amount_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->volume_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->reference_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->tendered_entry), "");
  vp_gui_clear_box (self->quote_grid);
  self->credit = 0;
  self->quote_amount = 0;
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->credit_check), FALSE);
  gtk_widget_set_visible (self->credit_check, FALSE);
  vp_gui_show_message (self->message_label, NULL, FALSE);
  guard_money (self);
  g_clear_handle_id (&self->quote_source, g_source_remove);
  self->quote_ok = FALSE;
  mode_changed (self);
  gtk_widget_grab_focus (self->amount_entry);
}
