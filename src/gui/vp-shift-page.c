/* vp-shift-page.c: open a shift with a float, X report, close with the
 * counted cash (supervisor) and Z report, supervisor voids; cash drops,
 * paid-in and paid-out (supervisor).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-shift"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "vp-shift-page.h"
#include "vp-gui-util.h"
#include "vp-keypad.h"
#include "vp-supervisor-dialog.h"
#include "vp-journal-ledger.h"
#include "vp-service-card.h"

/* How far back to look for the open shift's transactions. */
#define VOID_SCAN_ENTRIES 400

struct _VpShiftPage
{
  GtkBox        parent_instance;
  GtkLabel     *state_label;
  GtkWidget    *open_box;
  GtkWidget    *float_entry;
  GtkWidget    *open_button;
  GtkWidget    *report_grid;
  GtkWidget    *close_box;
  GtkWidget    *counted_entry;
  GtkLabel     *difference_label;
  GtkWidget    *close_button;
  GtkWidget    *void_list;
  GtkWidget    *reason_entry;
  GtkWidget    *void_button;
  GtkLabel     *message_label;
  GtkWidget    *print_button;
  VpKeypad     *keypad;
  GtkWidget    *cash_box;
  GtkWidget    *cash_amount_entry;
  GtkWidget    *cash_reason_entry;

  VpContext    *context;
  gboolean      open;
  VpMoney       expected_cash;
  gint64        void_seq;
  char         *void_what;   /* receipt · kind · amount of the selected entry */
  char         *void_card;   /* a top-up's card: it is reversed with the card */
  char         *void_volume; /* what comes off the card */
  char         *void_money;  /* what goes back, and how */
  char         *void_credit; /* credit back onto the account, or NULL */
  gboolean      busy;
  VpJournalEntry *z_entry;   /* the Z report just made, shown until refresh */
};

G_DEFINE_FINAL_TYPE (VpShiftPage, vp_shift_page, GTK_TYPE_BOX)

typedef struct
{
  gint64         shift_id;
  VpShiftTotals  totals;
  GPtrArray     *voidable;   /* VpJournalEntry* */
} ShiftView;

static void
shift_view_free (ShiftView *v)
{
  vp_shift_totals_clear (&v->totals);
  g_clear_pointer (&v->voidable, g_ptr_array_unref);
  g_free (v);
}

/* The kinds vp_shift_store_void_requested() reverses (a top-up, by its
 * confirmation, with its card: vp_service_card_reverse_topup()); a
 * reissue only when it took a fee. Whether the state still allows it (credit used
 * since …) the store says when it is tried. */
static gboolean
reversible (const VpJournalEntry *e)
{
  static const char *const kinds[] = {
    VP_KIND_TOPUP_CONFIRM, VP_KIND_PAY, VP_KIND_ACCOUNT_OPEN, VP_KIND_CREDIT_SETTLE, VP_KIND_CREDIT_REFUND,
    VP_KIND_CREDIT_MOVE, VP_KIND_ACCOUNT_CLOSE, VP_KIND_CASH_DROP, VP_KIND_CASH_PAID_IN,
    VP_KIND_CASH_PAID_OUT,
  };

  if (g_str_equal (e->kind, VP_KIND_CARD_REISSUE))
    {
      g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);

      return p != NULL && json_object_get_int_member_with_default (p, "fee", 0) > 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (e->kind, kinds[i]))
      return TRUE;
  return FALSE;
}

static gpointer
load_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  VpDatabase *db = vp_service_get_database (service);
  ShiftView *v = g_new0 (ShiftView, 1);
  g_autoptr(GPtrArray) recent = NULL;
  g_autoptr(GHashTable) voided = g_hash_table_new (g_int64_hash, g_int64_equal);
  gint64 last = vp_journal_store_last_seq (db);
  gint64 open_seq = 0;

  v->voidable = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_journal_entry_free);
  v->shift_id = vp_shift_store_current (db);
  if (v->shift_id == 0)
    return v;
  if (!vp_shift_store_totals (db, 0, &v->totals, error))
    goto fail;

  /* The open shift's entries are the ones after its shift.open entry. */
  recent = vp_journal_store_list (db, MAX (0, last - VOID_SCAN_ENTRIES), 0, error);
  if (recent == NULL)
    goto fail;
  for (guint i = 0; i < recent->len; i++)
    {
      VpJournalEntry *e = recent->pdata[i];

      if (g_str_equal (e->kind, VP_KIND_SHIFT_OPEN))
        open_seq = e->seq;
      else if (g_str_equal (e->kind, VP_KIND_VOID))
        {
          g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);
          gint64 *seq = g_new (gint64, 1);

          *seq = p ? json_object_get_int_member_with_default (p, "voided_seq", 0) : 0;
          g_hash_table_add (voided, seq);
        }
    }
  for (guint i = 0; i < recent->len; i++)
    {
      VpJournalEntry *e = recent->pdata[i];

      gint64 target = e->seq;

      /* A top-up's money is on its intent: that is what a void names. */
      if (g_str_equal (e->kind, VP_KIND_TOPUP_CONFIRM))
        {
          g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);

          target = p ? json_object_get_int_member_with_default (p, "intent_seq", 0) : 0;
        }
      if (e->seq > open_seq && !g_hash_table_contains (voided, &target) && reversible (e))
        g_ptr_array_insert (v->voidable, 0, vp_journal_entry_copy (e));
    }
  /* The hash table does not own its keys. */
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, voided);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_free (key);
  }
  return v;

fail:
  shift_view_free (v);
  return NULL;
}

static void
update_difference (VpShiftPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->counted_entry));
  VpMoney counted;
  g_autofree char *diff = NULL;
  g_autofree char *label = NULL;

  if (*text == '\0' || !vp_money_parse (text, &counted, NULL))
    {
      vp_gui_set_value (self->difference_label, "—");
      return;
    }
  diff = vp_money_format (counted - self->expected_cash);
  if (counted == self->expected_cash)
    label = g_strdup_printf (_("%s (cash matches)"), diff);
  else if (counted > self->expected_cash)
    label = g_strdup_printf (_("%s (over)"), diff);
  else
    label = g_strdup_printf (_("%s (short)"), diff);
  vp_gui_set_value (self->difference_label, label);
}

static void
void_toggled (GtkToggleButton *button,
              VpShiftPage     *self)
{
  if (gtk_toggle_button_get_active (button))
    {
      self->void_seq = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "seq"));
      g_free (self->void_what);
      self->void_what = g_strdup (g_object_get_data (G_OBJECT (button), "what"));
      g_free (self->void_card);
      self->void_card = g_strdup (g_object_get_data (G_OBJECT (button), "card"));
      g_free (self->void_volume);
      self->void_volume = g_strdup (g_object_get_data (G_OBJECT (button), "volume"));
      g_free (self->void_money);
      self->void_money = g_strdup (g_object_get_data (G_OBJECT (button), "money"));
      g_free (self->void_credit);
      self->void_credit = g_strdup (g_object_get_data (G_OBJECT (button), "credit"));
    }
}

/* The X report's cash movements, from the one fold (VpShiftTotals). */
static void
show_cash_moves (VpShiftPage         *self,
                 const VpShiftTotals *t)
{
  g_autofree char *drops = vp_money_format (t->drops);
  g_autofree char *paid_in = vp_money_format (t->paid_in);
  g_autofree char *paid_out = vp_money_format (t->paid_out);

  vp_gui_grid_row (self->report_grid, 5, 0, _("Cash drops"), drops);
  vp_gui_grid_row (self->report_grid, 5, 1, _("Cash paid in"), paid_in);
  vp_gui_grid_row (self->report_grid, 6, 0, _("Paid out (not refunds)"), paid_out);
}

static void
show_totals (VpShiftPage         *self,
             const VpShiftTotals *t)
{
  g_autofree char *f = vp_money_format (t->float_amount);
  g_autofree char *cash = vp_money_format (t->cash_in);
  g_autofree char *out = vp_money_format (t->cash_out);
  g_autofree char *card = vp_money_format (t->card_in);
  g_autofree char *mobile = vp_money_format (t->mobile_in);
  g_autofree char *expected = vp_money_format (t->expected_cash);
  g_autofree char *n = g_strdup_printf ("%" PRId64, t->transactions);
  g_autofree char *voids = g_strdup_printf ("%" PRId64, t->voids);
  g_autofree char *opened = vp_gui_format_time (t->opened_at);

  vp_gui_clear_box (self->report_grid);
  vp_gui_grid_row (self->report_grid, 0, 0, _("Opened"), opened);
  vp_gui_grid_row (self->report_grid, 0, 1, _("Opened by"), t->opened_by);
  vp_gui_grid_row (self->report_grid, 1, 0, _("Float"), f);
  vp_gui_grid_row (self->report_grid, 1, 1, _("Cash in"), cash);
  vp_gui_grid_row (self->report_grid, 2, 0, _("Card in"), card);
  vp_gui_grid_row (self->report_grid, 2, 1, _("Mobile in"), mobile);
  vp_gui_grid_row (self->report_grid, 3, 0, _("Cash paid out"), out);
  vp_gui_grid_row (self->report_grid, 3, 1, _("Expected cash"), expected);
  vp_gui_grid_row (self->report_grid, 4, 0, _("Transactions"), n);
  vp_gui_grid_row (self->report_grid, 4, 1, _("Voids"), voids);
  show_cash_moves (self, t);
}

static void
show_z_report (VpShiftPage *self)
{
  g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (self->z_entry);
  g_autofree char *receipt = vp_journal_receipt_number (self->z_entry->van_id,
                                                        self->z_entry->device_time,
                                                        self->z_entry->seq);
  g_autofree char *z = NULL;
  g_autofree char *counted = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *diff = NULL;
  g_autofree char *cash = NULL;
  g_autofree char *card = NULL;
  g_autofree char *mobile = NULL;
  g_autofree char *n = NULL;

  if (p == NULL)
    return;
  z = g_strdup_printf ("Z %" PRId64, json_object_get_int_member_with_default (p, "z_number", 0));
  counted = vp_money_format (json_object_get_int_member_with_default (p, "counted", 0));
  expected = vp_money_format (json_object_get_int_member_with_default (p, "expected_cash", 0));
  diff = vp_money_format (json_object_get_int_member_with_default (p, "difference", 0));
  cash = vp_money_format (json_object_get_int_member_with_default (p, "cash_in", 0));
  card = vp_money_format (json_object_get_int_member_with_default (p, "card_in", 0));
  mobile = vp_money_format (json_object_get_int_member_with_default (p, "mobile_in", 0));
  n = g_strdup_printf ("%" PRId64, json_object_get_int_member_with_default (p, "transactions", 0));

  vp_gui_clear_box (self->report_grid);
  vp_gui_grid_row (self->report_grid, 0, 0, _("Z report"), z);
  vp_gui_grid_row (self->report_grid, 0, 1, _("Receipt number"), receipt);
  vp_gui_grid_row (self->report_grid, 1, 0, _("Cash in"), cash);
  vp_gui_grid_row (self->report_grid, 1, 1, _("Card in"), card);
  vp_gui_grid_row (self->report_grid, 2, 0, _("Mobile in"), mobile);
  vp_gui_grid_row (self->report_grid, 2, 1, _("Transactions"), n);
  vp_gui_grid_row (self->report_grid, 3, 0, _("Expected cash"), expected);
  vp_gui_grid_row (self->report_grid, 3, 1, _("Counted cash"), counted);
  vp_gui_grid_row (self->report_grid, 4, 0, _("Difference"), diff);
  vp_gui_grid_row (self->report_grid, 4, 1, _("Approved by"),
                   json_object_get_string_member_with_default (p, "staff", ""));
  gtk_widget_set_visible (self->report_grid, TRUE);
}

static void
show_view (VpShiftPage *self,
           ShiftView   *v)
{
  self->open = v->shift_id != 0;
  gtk_widget_set_visible (self->print_button, !self->open && self->z_entry != NULL);
  gtk_widget_set_visible (self->open_box, !self->open);
  gtk_widget_set_visible (self->close_box, self->open);
  gtk_widget_set_visible (self->close_button, self->open);
  gtk_widget_set_visible (self->cash_box, self->open);
  gtk_widget_set_visible (self->report_grid, self->open || self->z_entry != NULL);
  self->void_seq = 0;
  g_clear_pointer (&self->void_what, g_free);
  g_clear_pointer (&self->void_card, g_free);
  g_clear_pointer (&self->void_volume, g_free);
  g_clear_pointer (&self->void_money, g_free);
  g_clear_pointer (&self->void_credit, g_free);
  vp_gui_clear_box (self->void_list);

  if (!self->open)
    {
      vp_gui_set_value (self->state_label, self->z_entry ? _("Shift closed — Z report")
                                                         : _("No shift is open"));
      if (self->z_entry)
        show_z_report (self);
      vp_keypad_set_target (self->keypad, GTK_EDITABLE (self->float_entry));
      return;
    }

  {
    g_autofree char *state = g_strdup_printf (_("Shift %" PRId64 " is open — X report"),
                                              v->shift_id);
    vp_gui_set_value (self->state_label, state);
  }
  self->expected_cash = v->totals.expected_cash;
  show_totals (self, &v->totals);
  update_difference (self);
  vp_keypad_set_target (self->keypad, GTK_EDITABLE (self->counted_entry));

  if (v->voidable->len == 0)
    {
      GtkWidget *none = gtk_label_new (_("Nothing to void: no transactions that can be reversed in this shift"));
      gtk_label_set_xalign (GTK_LABEL (none), 0);
      gtk_box_append (GTK_BOX (self->void_list), none);
    }
  {
    GtkToggleButton *first = NULL;

    for (guint i = 0; i < v->voidable->len && i < 20; i++)
      {
        VpJournalEntry *e = v->voidable->pdata[i];
        g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);
        g_autofree char *receipt = vp_journal_receipt_number (e->van_id, e->device_time, e->seq);
        VpJournalLedger l = { 0 };
        g_autofree char *amount = NULL;
        g_autofree char *what = NULL;
        g_autofree char *text = NULL;

        g_autofree char *volume = NULL;
        gboolean topup = g_str_equal (e->kind, VP_KIND_TOPUP_CONFIRM);

        /* The signed drawer amount, as the ledger reads the entry; a
         * top-up's money was taken with its intent, which the
         * confirmation repeats ("amount"), with the volume on the card. */
        if (p != NULL)
          vp_journal_ledger_from_payload (e->kind, p, &l, NULL);
        if (topup && p != NULL)
          {
            l.amount = json_object_get_int_member_with_default (p, "amount", 0);
            volume = vp_volume_format (json_object_get_int_member_with_default (p, "volume", 0));
          }
        amount = vp_money_format (l.amount);
        what = g_strdup_printf ("%s · %s · %s", receipt, vp_gui_kind_label (e->kind), amount);
        text = g_strdup_printf ("%s · %s · %s · %s%s%s", receipt, vp_gui_kind_label (e->kind),
                                                 p ? json_object_get_string_member_with_default (p, "account", "") : "",
                                                 amount, volume ? " · " : "", volume ? volume : "");
        g_autofree char *name = g_strdup_printf (_("Void %s"), receipt);
        GtkWidget *button = gtk_toggle_button_new ();
        GtkWidget *label = gtk_label_new (text);

        if (topup && p != NULL)
          {
            VpMoney credit = json_object_get_int_member_with_default (p, "credit_used", 0);
            const char *method = json_object_get_string_member_with_default (p, "method", NULL);
            g_autofree char *money = NULL;
            VpPaymentMethod m;

            if (l.amount > 0 && vp_payment_method_from_string (method, &m))
              money = g_strdup_printf ("%s (%s)", amount, vp_gui_method_label (m));
            else
              money = vp_money_format (0);
            g_object_set_data_full (G_OBJECT (button), "card",
                                    g_strdup (json_object_get_string_member_with_default (p, "card_number", "")),
                                    g_free);
            g_object_set_data_full (G_OBJECT (button), "volume", g_strdup (volume), g_free);
            g_object_set_data_full (G_OBJECT (button), "money", g_steal_pointer (&money), g_free);
            if (credit > 0)
              g_object_set_data_full (G_OBJECT (button), "credit", vp_money_format (credit), g_free);
          }

        gtk_label_set_wrap (GTK_LABEL (label), TRUE);
        gtk_label_set_xalign (GTK_LABEL (label), 0);
        gtk_button_set_child (GTK_BUTTON (button), label);

        vp_gui_set_name (button, name);
        g_object_set_data (G_OBJECT (button), "seq", GSIZE_TO_POINTER ((gsize)e->seq));
        g_object_set_data_full (G_OBJECT (button), "what", g_steal_pointer (&what), g_free);
        if (first == NULL)
          first = GTK_TOGGLE_BUTTON (button);
        else
          gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), first);
        g_signal_connect (button, "toggled", G_CALLBACK (void_toggled), self);
        gtk_box_append (GTK_BOX (self->void_list), button);
      }
  }
}

static void
load_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpShiftPage) self = user_data;
  g_autoptr(GError) error = NULL;
  ShiftView *v = vp_service_run_finish (VP_SERVICE (source), result, &error);

  if (v == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  show_view (self, v);
  shift_view_free (v);
}

typedef struct
{
  VpStaff *staff;
  VpStaff *requester;  /* void: the signed-in staff member who asked */
  gboolean topup;      /* void: a top-up, reversed with its card */
  VpMoney  amount;
  gint64   seq;
  char    *reason;
  int      what;   /* 0 open, 1 close, 2 void, 3 cash movement */
  VpCashMovement movement;
} ShiftData;

static void
shift_data_free (ShiftData *d)
{
  g_clear_pointer (&d->staff, vp_staff_free);
  g_clear_pointer (&d->requester, vp_staff_free);
  g_free (d->reason);
  g_free (d);
}

static gpointer
shift_job (VpService     *service,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  ShiftData *d = data;

  switch (d->what)
    {
    case 0:
      return vp_service_shift_open (service, d->staff, d->amount, error);
    case 1:
      return vp_service_shift_close (service, d->staff, d->amount, error);
    case 3:
      return vp_service_cash_move (service, d->staff, d->movement, d->amount, d->reason, error);
    default:
      if (d->topup)
        return vp_service_card_reverse_topup (service, d->requester ? d->requester : d->staff,
                                              d->staff, d->seq, d->reason, NULL, NULL,
                                              cancellable, error);
      return vp_service_void_requested (service, d->requester ? d->requester : d->staff, d->staff,
                                        d->seq, d->reason, error);
    }
}

static void
shift_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VpShiftPage) self = user_data;
  g_autoptr(GError) error = NULL;
  VpJournalEntry *entry = vp_service_run_finish (VP_SERVICE (source), result, &error);
  g_autofree char *receipt = NULL;
  g_autofree char *text = NULL;

  self->busy = FALSE;
  if (entry == NULL)
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  receipt = vp_journal_receipt_number (entry->van_id, entry->device_time, entry->seq);
  if (g_str_equal (entry->kind, VP_KIND_SHIFT_OPEN))
    text = g_strdup_printf (_("Shift opened (%s)"), receipt);
  else if (g_str_equal (entry->kind, VP_KIND_SHIFT_CLOSE))
    text = g_strdup_printf (_("Shift closed (%s)"), receipt);
  else if (g_str_equal (entry->kind, VP_KIND_CASH_DROP) ||
           g_str_equal (entry->kind, VP_KIND_CASH_PAID_IN) ||
           g_str_equal (entry->kind, VP_KIND_CASH_PAID_OUT))
    text = g_strdup_printf (_("%s recorded (%s)"), vp_gui_kind_label (entry->kind), receipt);
  else
    {
      g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (entry);

      if (p != NULL && json_object_has_member (p, "reversal_seq"))
        {
          g_autofree char *volume = vp_volume_format (json_object_get_int_member_with_default (p, "volume", 0));
          g_autofree char *money = vp_money_format (json_object_get_int_member_with_default (p, "amount", 0));
          g_autofree char *credit = vp_money_format (json_object_get_int_member_with_default (p, "credit_back", 0));

          text = g_strdup_printf (_("Top-up reversed (%s): %s taken off card %s; %s given back, "
                                    "%s back as credit"),
                                  receipt, volume,
                                  json_object_get_string_member_with_default (p, "card_number", ""),
                                  money, credit);
        }
      else
        text = g_strdup_printf (_("Transaction voided (%s)"), receipt);
    }
  vp_gui_show_message (self->message_label, text, FALSE);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", text);

  g_clear_pointer (&self->z_entry, vp_journal_entry_free);
  if (g_str_equal (entry->kind, VP_KIND_SHIFT_CLOSE))
    self->z_entry = entry;
  else
    vp_journal_entry_free (entry);
  gtk_editable_set_text (GTK_EDITABLE (self->float_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->counted_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->reason_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->cash_amount_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->cash_reason_entry), "");
  vp_context_emit_changed (self->context);
  vp_context_run (self->context, load_job, NULL, NULL, (GDestroyNotify)shift_view_free,
                  NULL, load_done, g_object_ref (self));
}

static void
run_shift_job (VpShiftPage *self,
               ShiftData   *d)
{
  self->busy = TRUE;
  vp_gui_show_message (self->message_label, _("Working…"), FALSE);
  vp_context_run (self->context, shift_job, d, (GDestroyNotify)shift_data_free,
                  (GDestroyNotify)vp_journal_entry_free, NULL, shift_done, g_object_ref (self));
}

static gboolean
parse_cash (VpShiftPage *self,
            GtkWidget   *entry,
            const char  *field,
            VpMoney     *out)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autoptr(GError) error = NULL;

  /* A float or a count of zero is real; anything else parses strictly. */
  if (*text == '\0')
    {
      g_autofree char *msg = g_strdup_printf (_("%s: enter an amount"), field);
      vp_gui_show_message (self->message_label, msg, TRUE);
      return FALSE;
    }
  if (!vp_money_parse (text, out, &error) || *out > VP_MONEY_MAX_TRANSACTION)
    {
      g_autofree char *msg = g_strdup_printf ("%s: %s", field,
                                              error ? error->message : _("too large"));
      vp_gui_show_message (self->message_label, msg, TRUE);
      return FALSE;
    }
  return TRUE;
}

static void
open_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  VpShiftPage *self = VP_SHIFT_PAGE (widget);
  ShiftData *d;
  VpMoney amount;

  if (self->busy || !parse_cash (self, self->float_entry, _("Float"), &amount))
    return;
  d = g_new0 (ShiftData, 1);
  d->staff = vp_context_dup_staff (self->context);
  d->amount = amount;
  d->what = 0;
  g_clear_pointer (&self->z_entry, vp_journal_entry_free);
  run_shift_job (self, d);
}

static void
close_approved (VpSupervisorDialog *dialog,
                VpStaff            *supervisor,
                VpShiftPage        *self)
{
  ShiftData *d = g_object_steal_data (G_OBJECT (dialog), "shift-data");

  d->staff = vp_staff_copy (supervisor);
  run_shift_job (self, d);
}

static VpSupervisorDialog *
ask_supervisor (VpShiftPage *self,
                ShiftData   *d,
                const char  *what)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  VpSupervisorDialog *dialog = vp_supervisor_dialog_new (parent, self->context, what);

  g_object_set_data_full (G_OBJECT (dialog), "shift-data", d, (GDestroyNotify)shift_data_free);
  g_signal_connect_object (dialog, "approved", G_CALLBACK (close_approved), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
close_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  VpShiftPage *self = VP_SHIFT_PAGE (widget);
  g_autofree char *what = NULL;
  g_autofree char *counted_text = NULL;
  g_autofree char *expected_text = NULL;
  VpSupervisorDialog *dialog;
  ShiftData *d;
  VpMoney amount;

  if (self->busy || !parse_cash (self, self->counted_entry, _("Counted cash"), &amount))
    return;
  counted_text = vp_money_format (amount);
  what = g_strdup_printf (_("Close the shift with %s counted"), counted_text);
  d = g_new0 (ShiftData, 1);
  d->amount = amount;
  d->what = 1;
  vp_gui_show_message (self->message_label, NULL, FALSE);
  dialog = ask_supervisor (self, d, what);
  vp_supervisor_dialog_add_detail (dialog, _("Counted cash"), counted_text);
  expected_text = vp_money_format (self->expected_cash);
  vp_supervisor_dialog_add_detail (dialog, _("Expected cash"), expected_text);
  if (amount < self->expected_cash)
    {
      g_autofree char *shortfall = vp_money_format (self->expected_cash - amount);
      vp_supervisor_dialog_add_detail (dialog, _("Shortfall"), shortfall);
    }
  else if (amount > self->expected_cash)
    {
      g_autofree char *over = vp_money_format (amount - self->expected_cash);
      vp_supervisor_dialog_add_detail (dialog, _("Over"), over);
    }
}

static void
void_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  VpShiftPage *self = VP_SHIFT_PAGE (widget);
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_entry))));
  g_autoptr(GError) error = NULL;
  g_autofree char *what = NULL;
  ShiftData *d;

  if (self->busy)
    return;
  if (self->void_seq == 0)
    {
      vp_gui_show_message (self->message_label, _("Tap the transaction to void first"), TRUE);
      return;
    }
  if (*reason == '\0')
    {
      vp_gui_show_message (self->message_label, _("Void reason: say why it is voided"), TRUE);
      return;
    }
  if (!vp_validate_note (reason, 200, &error))
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  /* The supervisor sees what is approved: receipt, kind, amount, reason. */
  if (self->void_what != NULL)
    what = g_strdup_printf (_("Void %s — reason: %s"), self->void_what, reason);
  else
    what = g_strdup_printf (_("Void transaction #%" PRId64), self->void_seq);
  d = g_new0 (ShiftData, 1);
  d->seq = self->void_seq;
  d->reason = g_steal_pointer (&reason);
  d->requester = vp_context_dup_staff (self->context);
  d->what = 2;
  d->topup = self->void_card != NULL;
  vp_gui_show_message (self->message_label, NULL, FALSE);
  {
    VpSupervisorDialog *dialog = ask_supervisor (self, d, what);
    vp_supervisor_dialog_add_detail (dialog, _("Reason"), d->reason);
    /* A top-up comes off the card: say which card must be in the reader
     * and what is taken off and given back. */
    if (d->topup)
      {
        g_autofree char *insert = g_strdup_printf (_("Insert card %s"), self->void_card);

        vp_gui_show_message (self->message_label, insert, FALSE);
        vp_supervisor_dialog_add_detail (dialog, _("Card"), insert);
        vp_supervisor_dialog_add_detail (dialog, _("Taken off the card"), self->void_volume);
        vp_supervisor_dialog_add_detail (dialog, _("Given back"), self->void_money);
        if (self->void_credit != NULL)
          vp_supervisor_dialog_add_detail (dialog, _("Credit back"), self->void_credit);
      }
  }
}

static void
cash_move_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  VpShiftPage *self = VP_SHIFT_PAGE (widget);
  VpCashMovement movement = (VpCashMovement)g_variant_get_int32 (param);
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->cash_reason_entry))));
  g_autoptr(GError) error = NULL;
  g_autofree char *amount_text = NULL;
  g_autofree char *what = NULL;
  VpSupervisorDialog *dialog;
  const char *action;
  ShiftData *d;
  VpMoney amount;

  if (self->busy)
    return;
  if (!vp_gui_parse_amount (GTK_EDITABLE (self->cash_amount_entry), _("Cash amount"), &amount, &error))
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  if (*reason == '\0')
    {
      vp_gui_show_message (self->message_label, _("Cash reason: say why the cash moves"), TRUE);
      return;
    }
  if (!vp_validate_note (reason, 200, &error))
    {
      vp_gui_show_message (self->message_label, error->message, TRUE);
      return;
    }
  switch (movement)
    {
    case VP_CASH_DROP:
      action = _("Cash drop");
      break;
    case VP_CASH_PAID_IN:
      action = _("Paid-in");
      break;
    case VP_CASH_PAID_OUT:
      action = _("Paid-out");
      break;
    default:
      g_return_if_reached ();
    }
  amount_text = vp_money_format (amount);
  /* TRANSLATORS: e.g. "Cash drop ¥150.00 — reason: to the safe". */
  what = g_strdup_printf (_("%s %s — reason: %s"), action, amount_text, reason);
  d = g_new0 (ShiftData, 1);
  d->amount = amount;
  d->movement = movement;
  d->reason = g_steal_pointer (&reason);
  d->what = 3;
  vp_gui_show_message (self->message_label, NULL, FALSE);
  dialog = ask_supervisor (self, d, what);
  vp_supervisor_dialog_add_detail (dialog, _("Amount"), amount_text);
  vp_supervisor_dialog_add_detail (dialog, _("Reason"), d->reason);
}

static void
print_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  VpShiftPage *self = VP_SHIFT_PAGE (widget);

  if (self->z_entry)
    vp_gui_print_receipt (self->context, self->z_entry->seq, self->message_label);
}

static void
vp_shift_page_dispose (GObject *object)
{
  VpShiftPage *self = VP_SHIFT_PAGE (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->z_entry, vp_journal_entry_free);
  g_clear_pointer (&self->void_what, g_free);
  g_clear_pointer (&self->void_card, g_free);
  g_clear_pointer (&self->void_volume, g_free);
  g_clear_pointer (&self->void_money, g_free);
  g_clear_pointer (&self->void_credit, g_free);
  G_OBJECT_CLASS (vp_shift_page_parent_class)->dispose (object);
}

static void
vp_shift_page_class_init (VpShiftPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_shift_page_dispose;
  g_type_ensure (VP_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-shift-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, state_label);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, open_box);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, float_entry);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, open_button);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, report_grid);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, close_box);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, counted_entry);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, difference_label);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, close_button);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, void_list);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, reason_entry);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, void_button);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, print_button);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, keypad);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, cash_box);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, cash_amount_entry);
  gtk_widget_class_bind_template_child (widget_class, VpShiftPage, cash_reason_entry);
  gtk_widget_class_install_action (widget_class, "shift.open", NULL, open_activated);
  gtk_widget_class_install_action (widget_class, "shift.close", NULL, close_activated);
  gtk_widget_class_install_action (widget_class, "shift.void", NULL, void_activated);
  gtk_widget_class_install_action (widget_class, "shift.print", NULL, print_activated);
  gtk_widget_class_install_action (widget_class, "shift.cash-move", "i", cash_move_activated);
}

static void
float_activate (GtkEntry    *entry,
                VpShiftPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "shift.open", NULL);
}

static void
counted_activate (GtkEntry    *entry,
                  VpShiftPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "shift.close", NULL);
}

static void
vp_shift_page_init (VpShiftPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  vp_keypad_attach (self->keypad, self->float_entry);
  vp_keypad_attach (self->keypad, self->counted_entry);
  vp_keypad_attach (self->keypad, self->cash_amount_entry);
  g_signal_connect_swapped (self->counted_entry, "changed", G_CALLBACK (update_difference), self);
  g_signal_connect (self->float_entry, "activate", G_CALLBACK (float_activate), self);
  g_signal_connect (self->counted_entry, "activate", G_CALLBACK (counted_activate), self);
  gtk_widget_set_visible (self->open_box, FALSE);
  gtk_widget_set_visible (self->close_box, FALSE);
  gtk_widget_set_visible (self->close_button, FALSE);
  gtk_widget_set_visible (self->report_grid, FALSE);
}

void
vp_shift_page_set_context (VpShiftPage *self,
                           VpContext   *context)
{
  g_set_object (&self->context, context);
}

void
vp_shift_page_refresh (VpShiftPage *self)
{
  g_return_if_fail (VP_IS_SHIFT_PAGE (self));
  vp_gui_show_message (self->message_label, NULL, FALSE);
  vp_context_run (self->context, load_job, NULL, NULL, (GDestroyNotify)shift_view_free,
                  NULL, load_done, g_object_ref (self));
}
