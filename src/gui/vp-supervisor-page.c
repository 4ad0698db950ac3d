/* vp-supervisor-page.c: the supervisor's tools.
 *
 * Three views: the day's transactions (a date picker and filters; a row
 * opens the receipt's detail with Reprint and Reverse), the staff (add,
 * disable, reset a PIN, unlock after wrong PINs) and past Z reports. The
 * page works as the supervisor who opened it: every change is journaled
 * in their name by the store, which checks the role again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-supervisor"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "vp-supervisor-page.h"
#include "vp-entry-rules.h"
#include "vp-gui-util.h"

struct _VpSupervisorPage
{
  GtkBox       parent_instance;
  GtkStack    *stack;

  GtkWidget   *date_entry;
  GtkWidget   *date_button;
  GtkWidget   *calendar;
  GtkWidget   *kind_entry;
  GtkWidget   *staff_entry;
  GtkWidget   *account_entry;
  GtkLabel    *tx_message;
  GtkWidget   *tx_list;

  GtkWidget   *staff_list;
  GtkWidget   *new_id;
  GtkWidget   *new_name;
  GtkWidget   *new_pin;
  GPtrArray   *role_buttons;
  GtkLabel    *staff_message;
  gboolean     staff_busy;

  GtkWidget   *z_list;
  GtkLabel    *z_message;

  VpContext   *context;
  VpStaff     *supervisor;
};

G_DEFINE_FINAL_TYPE (VpSupervisorPage, vp_supervisor_page, GTK_TYPE_BOX)

static void refresh_transactions (VpSupervisorPage *self);
static void refresh_staff (VpSupervisorPage *self);
static void refresh_z (VpSupervisorPage *self);

/* --- small builders ------------------------------------------------------ */

static GtkWidget *
touch_button (const char *label,
              const char *name)
{
  GtkWidget *b = gtk_button_new_with_label (label);

  gtk_widget_set_size_request (b, 48, 48);
  vp_gui_set_name (b, name ? name : label);
  return b;
}

/* A titled entry; the entry's accessible name is its title. */
static GtkWidget *
field (GtkWidget  *parent,
       const char *title,
       const char *placeholder)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *entry = gtk_entry_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "field-title");
  gtk_widget_set_size_request (entry, 48, 48);
  gtk_widget_set_hexpand (entry, TRUE);
  if (placeholder)
    gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  vp_gui_set_name (entry, title);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), entry);
  gtk_box_append (GTK_BOX (parent), box);
  return entry;
}

static GtkLabel *
message_label (GtkWidget  *parent,
               const char *name)
{
  GtkWidget *l = gtk_label_new (NULL);

  gtk_label_set_wrap (GTK_LABEL (l), TRUE);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_set_visible (l, FALSE);
  vp_gui_set_name (l, name);
  gtk_box_append (GTK_BOX (parent), l);
  return GTK_LABEL (l);
}

static GtkWidget *
scrolled_list (GtkWidget *parent)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *list = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), list);
  gtk_box_append (GTK_BOX (parent), scroller);
  return list;
}

static const char *
text_of (GtkWidget *entry)
{
  return gtk_editable_get_text (GTK_EDITABLE (entry));
}

static char *
today (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%Y-%m-%d");
}

/* --- receipt detail ------------------------------------------------------ */

typedef struct
{
  VpSupervisorPage *page;      /* owned */
  GtkWindow        *window;
  VpJournalEntry   *entry;
  GtkLabel         *message;
  GtkWidget        *reason;
  GtkWidget        *reverse_button;
} Detail;

static void
detail_free (Detail *d)
{
  g_clear_object (&d->page);
  vp_journal_entry_free (d->entry);
  g_free (d);
}

static void
reprinted (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GtkWindow) window = user_data;
  Detail *d = g_object_get_data (G_OBJECT (window), "detail");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  if (d == NULL || d->page->context == NULL)
    return;
  path = vp_context_print_receipt_finish (d->page->context, result, &error);
  if (path == NULL)
    {
      /* The duplicate may be journaled already: the next one counts on. */
      text = g_strdup_printf (_("Printing failed: %s"), error->message);
      vp_gui_show_message (d->message, text, TRUE);
      return;
    }
  if (*path)
    text = g_strdup_printf (_("Receipt saved as %s"), path);
  else
    text = g_strdup (_("Receipt printed"));
  vp_gui_show_message (d->message, text, FALSE);
  vp_context_emit_changed (d->page->context);
}

static void
reprint_clicked (GtkButton *button,
                 Detail    *d)
{
  g_autofree char *printer = vp_context_dup_string (d->page->context, "printer");

  if (g_strcmp0 (printer, "none") == 0)
    {
      vp_gui_show_message (d->message, _("No printer is set up (Settings → Printer)"), TRUE);
      return;
    }
  vp_gui_show_message (d->message, _("Printing…"), FALSE);
  vp_context_reprint_receipt_async (d->page->context, d->page->supervisor, d->entry->seq,
                                    reprinted, g_object_ref (d->window));
}

/* The shift page's void, as a service call: the store refuses what it
 * cannot reverse (a top-up needs its card: Shift → Void with the card). */
static void
reverse_clicked (GtkButton *button,
                 Detail    *d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) v = NULL;
  g_autofree char *reason = g_strstrip (g_strdup (text_of (d->reason)));
  g_autofree char *text = NULL;

  if (*reason == '\0')
    {
      vp_gui_show_message (d->message, _("Give the reason for the reversal"), TRUE);
      return;
    }
  v = vp_service_void (vp_context_get_service (d->page->context), d->page->supervisor,
                       d->entry->seq, reason, &error);
  if (v == NULL)
    {
      vp_gui_show_message (d->message, error->message, TRUE);
      return;
    }
  text = g_strdup_printf (_("Reversed by entry %" PRId64), v->seq);
  vp_gui_show_message (d->message, text, FALSE);
  gtk_widget_set_sensitive (d->reverse_button, FALSE);
  vp_context_emit_changed (d->page->context);
  refresh_transactions (d->page);
}

static void
close_clicked (GtkButton *button,
               GtkWindow *window)
{
  gtk_window_destroy (window);
}

static void
add_money_row (GtkWidget  *grid,
               int         row,
               int         column,
               const char *title,
               JsonObject *p,
               const char *member)
{
  g_autofree char *text = NULL;

  if (p == NULL || !json_object_has_member (p, member))
    return;
  text = vp_money_format (json_object_get_int_member_with_default (p, member, 0));
  vp_gui_mark_amount (vp_gui_grid_row (grid, row, column, title, text));
}

static void
open_detail (VpSupervisorPage *self,
             gint64            seq)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = vp_journal_store_get (vp_context_get_database (self->context),
                                                      seq, &error);
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *receipt = NULL;
  g_autofree char *code = NULL;
  g_autofree char *time = NULL;
  const VpEntryKind *info;
  GtkWidget *window, *scroller, *box, *grid, *buttons, *b;
  Detail *d;
  int row = 0;

  if (e == NULL)
    {
      vp_gui_show_message (self->tx_message, error->message, TRUE);
      return;
    }
  p = vp_journal_entry_parse_payload (e);
  receipt = vp_journal_receipt_number (e->van_id, e->device_time, e->seq);
  code = vp_journal_verify_code (e->hash);
  time = vp_gui_format_time (e->device_time);
  info = vp_entry_kind_lookup (e->kind);

  window = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), _("Receipt detail"));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_transient_for (GTK_WINDOW (window),
                                GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 520);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  vp_gui_set_name (box, _("Receipt detail"));
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), box);
  gtk_window_set_child (GTK_WINDOW (window), scroller);

  grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_box_append (GTK_BOX (box), grid);
  vp_gui_grid_row (grid, row, 0, _("Receipt number"), receipt);
  vp_gui_grid_row (grid, row++, 1, _("Verification code"), code);
  vp_gui_grid_row (grid, row, 0, _("Type"), vp_gui_kind_label (e->kind));
  vp_gui_grid_row (grid, row++, 1, _("Time"), time);
  if (p != NULL)
    {
      const char *staff = json_object_get_string_member_with_default (p, "staff", "");
      const char *account = json_object_get_string_member_with_default (p, "account", "");
      const char *holder = json_object_get_string_member_with_default (p, "holder", "");
      const char *method = json_object_get_string_member_with_default (p, "method", "");
      g_autofree char *z = NULL;

      vp_gui_grid_row (grid, row, 0, _("Staff"), staff);
      if (*account)
        vp_gui_grid_row (grid, row, 1, _("Account"), account);
      row++;
      if (*holder)
        vp_gui_grid_row (grid, row, 0, _("Holder"), holder);
      if (*method)
        vp_gui_grid_row (grid, row, 1, _("Method"), method);
      row++;
      add_money_row (grid, row, 0, _("Amount"), p, "amount");
      if (json_object_has_member (p, "target"))
        vp_gui_grid_row (grid, row, 1, _("Staff member"),
                         json_object_get_string_member_with_default (p, "target", ""));
      row++;
      if (g_str_equal (e->kind, VP_KIND_SHIFT_CLOSE))
        {
          z = g_strdup_printf ("Z %" PRId64,
                               json_object_get_int_member_with_default (p, "z_number", 0));
          vp_gui_grid_row (grid, row++, 0, _("Z report"), z);
          add_money_row (grid, row, 0, _("Cash in"), p, "cash_in");
          add_money_row (grid, row++, 1, _("Card in"), p, "card_in");
          add_money_row (grid, row, 0, _("Mobile in"), p, "mobile_in");
          add_money_row (grid, row++, 1, _("Expected cash"), p, "expected_cash");
          add_money_row (grid, row, 0, _("Counted cash"), p, "counted");
          add_money_row (grid, row++, 1, _("Difference"), p, "difference");
        }
    }

  d = g_new0 (Detail, 1);
  d->page = g_object_ref (self);
  d->window = GTK_WINDOW (window);
  d->entry = g_steal_pointer (&e);
  g_object_set_data_full (G_OBJECT (window), "detail", d, (GDestroyNotify)detail_free);

  /* Only what a void can reverse offers Reverse (the store checks again). */
  if (info != NULL && (vp_entry_kind_get_flags (info) & VP_ENTRY_KIND_VOIDABLE))
    {
      GtkWidget *rbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);

      d->reason = field (rbox, _("Reason for the reversal"), NULL);
      gtk_box_append (GTK_BOX (box), rbox);
    }
  d->message = message_label (box, _("Receipt detail message"));

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  b = touch_button (_("Reprint"), NULL);
  gtk_widget_add_css_class (b, "suggested-action");
  g_signal_connect (b, "clicked", G_CALLBACK (reprint_clicked), d);
  gtk_box_append (GTK_BOX (buttons), b);
  if (d->reason != NULL)
    {
      b = touch_button (_("Reverse"), NULL);
      gtk_widget_add_css_class (b, "destructive-action");
      g_signal_connect (b, "clicked", G_CALLBACK (reverse_clicked), d);
      d->reverse_button = b;
      gtk_box_append (GTK_BOX (buttons), b);
    }
  b = touch_button (_("Close"), NULL);
  g_signal_connect (b, "clicked", G_CALLBACK (close_clicked), window);
  gtk_box_append (GTK_BOX (buttons), b);
  gtk_box_append (GTK_BOX (box), buttons);

  gtk_window_present (GTK_WINDOW (window));
}

static void
row_clicked (GtkButton        *button,
             VpSupervisorPage *self)
{
  gint64 seq = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "seq"));

  open_detail (self, seq);
}

/* --- transactions -------------------------------------------------------- */

static void
refresh_transactions (VpSupervisorPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *date = g_strstrip (g_strdup (text_of (self->date_entry)));
  g_autofree char *kind = g_strstrip (g_strdup (text_of (self->kind_entry)));
  g_autofree char *staff = g_strstrip (g_strdup (text_of (self->staff_entry)));
  g_autofree char *account = g_strstrip (g_strdup (text_of (self->account_entry)));
  g_autofree char *count = NULL;

  if (self->context == NULL)
    return;
  vp_gui_clear_box (self->tx_list);
  entries = vp_service_list_day (vp_context_get_service (self->context), date, kind, staff,
                                 account, &error);
  if (entries == NULL)
    {
      vp_gui_show_message (self->tx_message, error->message, TRUE);
      return;
    }
  count = g_strdup_printf (g_dngettext (NULL, "%u transaction on %s", "%u transactions on %s",
                                        entries->len),
                           entries->len, date);
  vp_gui_show_message (self->tx_message, count, FALSE);
  for (guint i = 0; i < entries->len; i++)
    {
      VpJournalEntry *e = entries->pdata[i];
      g_autoptr(JsonObject) p = vp_journal_entry_parse_payload (e);
      g_autofree char *time = vp_gui_format_time (e->device_time);
      g_autofree char *amount = NULL;
      g_autofree char *text = NULL;
      g_autofree char *name = g_strdup_printf (_("Transaction %" PRId64), e->seq);
      GtkWidget *b;

      if (p != NULL && json_object_has_member (p, "amount"))
        amount = vp_money_format (json_object_get_int_member_with_default (p, "amount", 0));
      text = g_strdup_printf ("#%" PRId64 "   %s   %s   %s   %s   %s", e->seq, time,
                              vp_gui_kind_label (e->kind), amount ? amount : "",
                              p ? json_object_get_string_member_with_default (p, "staff", "") : "",
                              p ? json_object_get_string_member_with_default (p, "account", "") : "");
      b = touch_button (text, name);
      gtk_label_set_xalign (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (b))), 0);
      g_object_set_data (G_OBJECT (b), "seq", GSIZE_TO_POINTER ((gsize)e->seq));
      g_signal_connect (b, "clicked", G_CALLBACK (row_clicked), self);
      gtk_box_append (GTK_BOX (self->tx_list), b);
    }
}

static void
show_clicked (GtkButton        *button,
              VpSupervisorPage *self)
{
  refresh_transactions (self);
}

static void
day_selected (GtkCalendar      *calendar,
              VpSupervisorPage *self)
{
  g_autoptr(GDateTime) dt = gtk_calendar_get_date (calendar);
  g_autofree char *text = g_date_time_format (dt, "%Y-%m-%d");

  gtk_editable_set_text (GTK_EDITABLE (self->date_entry), text);
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->date_button));
  refresh_transactions (self);
}

static GtkWidget *
build_transactions (VpSupervisorPage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *filters = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *show;
  g_autofree char *now = today ();

  self->date_entry = field (filters, _("Date"), "yyyy-mm-dd");
  gtk_editable_set_text (GTK_EDITABLE (self->date_entry), now);
  self->date_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->date_button), "x-office-calendar-symbolic");
  gtk_widget_set_size_request (self->date_button, 48, 48);
  gtk_widget_set_valign (self->date_button, GTK_ALIGN_END);
  vp_gui_set_name (self->date_button, _("Pick a date"));
  self->calendar = gtk_calendar_new ();
  g_signal_connect (self->calendar, "day-selected", G_CALLBACK (day_selected), self);
  gtk_popover_set_child (GTK_POPOVER (popover), self->calendar);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->date_button), popover);
  gtk_box_append (GTK_BOX (filters), self->date_button);
  self->kind_entry = field (filters, _("Kind"), _("all, or pay, topup. …"));
  self->staff_entry = field (filters, _("Operator"), _("all"));
  self->account_entry = field (filters, _("Account number"), _("all"));
  show = touch_button (_("Show transactions"), NULL);
  gtk_widget_set_valign (show, GTK_ALIGN_END);
  gtk_widget_add_css_class (show, "suggested-action");
  g_signal_connect (show, "clicked", G_CALLBACK (show_clicked), self);
  gtk_box_append (GTK_BOX (filters), show);
  gtk_box_append (GTK_BOX (box), filters);
  self->tx_message = message_label (box, _("Transactions message"));
  self->tx_list = scrolled_list (box);
  return box;
}

/* --- staff --------------------------------------------------------------- */

typedef enum
{
  STAFF_ADD,
  STAFF_DISABLE,
  STAFF_RESET_PIN,
  STAFF_UNLOCK,
} StaffOp;

typedef struct
{
  StaffOp  op;
  VpStaff *supervisor;
  char    *id;
  char    *name;
  char    *pin;
  VpRole   role;
} StaffJob;

static void
staff_job_free (StaffJob *j)
{
  vp_staff_free (j->supervisor);
  g_free (j->id);
  g_free (j->name);
  if (j->pin)
    memset (j->pin, 0, strlen (j->pin));
  g_free (j->pin);
  g_free (j);
}

/* Runs off the main thread: a new PIN is hashed with PBKDF2 (slow on
 * purpose) before it is stored. */
static gpointer
staff_job (VpService     *service,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  StaffJob *j = data;

  switch (j->op)
    {
    case STAFF_ADD:
      return vp_service_add_staff (service, j->supervisor, j->id, j->name, j->role, j->pin, error);
    case STAFF_DISABLE:
      return vp_service_disable_staff (service, j->supervisor, j->id, error);
    case STAFF_RESET_PIN:
      return vp_service_reset_staff_pin (service, j->supervisor, j->id, j->pin, error);
    case STAFF_UNLOCK:
    default:
      return vp_service_unlock_staff (service, j->supervisor, j->id, error);
    }
}

static void
staff_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VpSupervisorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = vp_context_run_finish (self->context, result, &error);
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *text = NULL;
  const char *target;

  self->staff_busy = FALSE;
  if (e == NULL)
    {
      vp_gui_show_message (self->staff_message, error->message, TRUE);
      return;
    }
  p = vp_journal_entry_parse_payload (e);
  target = p ? json_object_get_string_member_with_default (p, "target", "") : "";
  if (g_str_equal (e->kind, VP_KIND_STAFF_ADD))
    text = g_strdup_printf (_("Added %s"), target);
  else if (g_str_equal (e->kind, VP_KIND_STAFF_DISABLE))
    text = g_strdup_printf (_("Disabled %s"), target);
  else if (g_str_equal (e->kind, VP_KIND_STAFF_PIN_RESET))
    text = g_strdup_printf (_("New PIN set for %s"), target);
  else
    text = g_strdup_printf (_("Unlocked %s: they can sign in again"), target);
  vp_gui_show_message (self->staff_message, text, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->new_pin), "");
  if (g_str_equal (e->kind, VP_KIND_STAFF_ADD))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->new_id), "");
      gtk_editable_set_text (GTK_EDITABLE (self->new_name), "");
    }
  vp_context_emit_changed (self->context);
  refresh_staff (self);
}

static void
run_staff (VpSupervisorPage *self,
           StaffOp           op,
           const char       *id)
{
  StaffJob *j;

  if (self->staff_busy || self->context == NULL)
    return;
  j = g_new0 (StaffJob, 1);
  j->op = op;
  j->supervisor = self->supervisor ? vp_staff_copy (self->supervisor) : NULL;
  j->id = g_strdup (id);
  if (op == STAFF_ADD)
    {
      j->name = g_strstrip (g_strdup (text_of (self->new_name)));
      j->role = vp_gui_toggle_group_get (self->role_buttons) == 1 ? VP_ROLE_SUPERVISOR
                                                                   : VP_ROLE_OPERATOR;
    }
  if (op == STAFF_ADD || op == STAFF_RESET_PIN)
    j->pin = g_strdup (text_of (self->new_pin));
  self->staff_busy = TRUE;
  vp_gui_show_message (self->staff_message, _("Saving…"), FALSE);
  vp_context_run (self->context, staff_job, j, (GDestroyNotify)staff_job_free,
                  (GDestroyNotify)vp_journal_entry_free, NULL, staff_done, g_object_ref (self));
}

static void
staff_action_clicked (GtkButton        *button,
                      VpSupervisorPage *self)
{
  StaffOp op = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "op"));
  const char *id = g_object_get_data (G_OBJECT (button), "id");

  if (op == STAFF_RESET_PIN && *text_of (self->new_pin) == '\0')
    {
      vp_gui_show_message (self->staff_message,
                           _("Type the new PIN in the PIN field, then press Reset PIN"), TRUE);
      gtk_widget_grab_focus (self->new_pin);
      return;
    }
  run_staff (self, op, id);
}

static void
add_clicked (GtkButton        *button,
             VpSupervisorPage *self)
{
  g_autofree char *id = g_strstrip (g_strdup (text_of (self->new_id)));

  run_staff (self, STAFF_ADD, id);
}

static GtkWidget *
staff_action (VpSupervisorPage *self,
              const char       *label,
              const char       *name,
              StaffOp           op,
              const char       *id,
              gboolean          sensitive)
{
  GtkWidget *b = touch_button (label, name);

  g_object_set_data (G_OBJECT (b), "op", GINT_TO_POINTER (op));
  g_object_set_data_full (G_OBJECT (b), "id", g_strdup (id), g_free);
  g_signal_connect (b, "clicked", G_CALLBACK (staff_action_clicked), self);
  gtk_widget_set_sensitive (b, sensitive);
  return b;
}

static void
refresh_staff (VpSupervisorPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) staff = NULL;
  gint64 now = vp_database_now () / G_USEC_PER_SEC;

  if (self->context == NULL)
    return;
  vp_gui_clear_box (self->staff_list);
  staff = vp_service_list_staff (vp_context_get_service (self->context), &error);
  if (staff == NULL)
    {
      vp_gui_show_message (self->staff_message, error->message, TRUE);
      return;
    }
  for (guint i = 0; i < staff->len; i++)
    {
      VpStaffStatus *s = staff->pdata[i];
      gboolean locked = vp_staff_status_is_locked (s, now);
      gboolean me = self->supervisor != NULL && g_str_equal (s->staff.id, self->supervisor->id);
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      g_autofree char *state = NULL;
      g_autofree char *text = NULL;
      g_autofree char *unlock = g_strdup_printf (_("Unlock %s"), s->staff.id);
      g_autofree char *reset = g_strdup_printf (_("Reset PIN of %s"), s->staff.id);
      g_autofree char *disable = g_strdup_printf (_("Disable %s"), s->staff.id);
      GtkWidget *label;

      if (!s->active)
        state = g_strdup (_("disabled"));
      else if (locked)
        state = g_strdup_printf (_("locked after %d wrong PINs"), s->failed_pins);
      else if (s->failed_pins > 0)
        state = g_strdup_printf (_("%d wrong PINs"), s->failed_pins);
      text = state ? g_strdup_printf ("%s · %s · %s · %s", s->staff.id, s->staff.name,
                                      vp_gui_role_label (s->staff.role), state)
                   : g_strdup_printf ("%s · %s · %s", s->staff.id, s->staff.name,
                                      vp_gui_role_label (s->staff.role));
      label = gtk_label_new (text);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_set_hexpand (label, TRUE);
      if (locked || !s->active)
        gtk_widget_add_css_class (label, "message-error");
      gtk_box_append (GTK_BOX (row), label);
      gtk_box_append (GTK_BOX (row),
                      staff_action (self, _("Unlock"), unlock, STAFF_UNLOCK, s->staff.id,
                                    s->active && (locked || s->failed_pins > 0)));
      gtk_box_append (GTK_BOX (row),
                      staff_action (self, _("Reset PIN"), reset, STAFF_RESET_PIN, s->staff.id,
                                    s->active));
      gtk_box_append (GTK_BOX (row),
                      staff_action (self, _("Disable"), disable, STAFF_DISABLE, s->staff.id,
                                    s->active && !me));
      gtk_box_append (GTK_BOX (self->staff_list), row);
    }
}

static GtkWidget *
build_staff (VpSupervisorPage *self)
{
  static const char * const roles[] = { N_("Operator"), N_("Supervisor"), NULL };
  const char *role_labels[3] = { _(roles[0]), _(roles[1]), NULL };
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *form = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *role_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *add;

  self->new_id = field (form, _("Staff id"), "op02");
  self->new_name = field (form, _("Name"), NULL);
  self->new_pin = field (form, _("PIN"), _("4–8 digits"));
  gtk_entry_set_visibility (GTK_ENTRY (self->new_pin), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (self->new_pin), GTK_INPUT_PURPOSE_PIN);
  gtk_widget_set_valign (role_box, GTK_ALIGN_END);
  self->role_buttons = vp_gui_toggle_group (role_box, role_labels, NULL);
  for (guint i = 0; i < self->role_buttons->len; i++)
    gtk_widget_set_size_request (self->role_buttons->pdata[i], 48, 48);
  gtk_box_append (GTK_BOX (form), role_box);
  add = touch_button (_("Add staff"), NULL);
  gtk_widget_set_valign (add, GTK_ALIGN_END);
  gtk_widget_add_css_class (add, "suggested-action");
  g_signal_connect (add, "clicked", G_CALLBACK (add_clicked), self);
  gtk_box_append (GTK_BOX (form), add);
  gtk_box_append (GTK_BOX (box), form);
  self->staff_message = message_label (box, _("Staff message"));
  self->staff_list = scrolled_list (box);
  return box;
}

/* --- past Z reports ------------------------------------------------------ */

static void
refresh_z (VpSupervisorPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) shifts = NULL;
  guint shown = 0;

  if (self->context == NULL)
    return;
  vp_gui_clear_box (self->z_list);
  shifts = vp_service_list_shifts (vp_context_get_service (self->context), &error);
  if (shifts == NULL)
    {
      vp_gui_show_message (self->z_message, error->message, TRUE);
      return;
    }
  for (guint i = 0; i < shifts->len; i++)
    {
      VpShiftInfo *s = shifts->pdata[i];
      g_autofree char *closed = NULL;
      g_autofree char *counted = NULL;
      g_autofree char *text = NULL;
      g_autofree char *name = NULL;
      GtkWidget *b;

      if (s->close_seq <= 0)
        continue;
      closed = vp_gui_format_time (s->closed_at);
      counted = vp_money_format (s->counted);
      text = g_strdup_printf (_("Z %" PRId64 " · closed %s by %s · counted %s"), s->z_number,
                              closed, s->closed_by ? s->closed_by : "", counted);
      name = g_strdup_printf (_("Z report %" PRId64), s->z_number);
      b = touch_button (text, name);
      gtk_label_set_xalign (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (b))), 0);
      g_object_set_data (G_OBJECT (b), "seq", GSIZE_TO_POINTER ((gsize)s->close_seq));
      g_signal_connect (b, "clicked", G_CALLBACK (row_clicked), self);
      gtk_box_append (GTK_BOX (self->z_list), b);
      shown++;
    }
  vp_gui_show_message (self->z_message, shown ? NULL : _("No shift has been closed yet"), FALSE);
}

static GtkWidget *
build_z (VpSupervisorPage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  self->z_message = message_label (box, _("Z reports message"));
  self->z_list = scrolled_list (box);
  return box;
}

/* --- the page ------------------------------------------------------------ */

static void
view_changed (VpSupervisorPage *self)
{
  const char *name = gtk_stack_get_visible_child_name (self->stack);

  if (g_strcmp0 (name, "staff") == 0)
    refresh_staff (self);
  else if (g_strcmp0 (name, "z") == 0)
    refresh_z (self);
  else
    refresh_transactions (self);
}

static void
vp_supervisor_page_dispose (GObject *object)
{
  VpSupervisorPage *self = VP_SUPERVISOR_PAGE (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->supervisor, vp_staff_free);
  g_clear_pointer (&self->role_buttons, g_ptr_array_unref);
  G_OBJECT_CLASS (vp_supervisor_page_parent_class)->dispose (object);
}

static void
vp_supervisor_page_class_init (VpSupervisorPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vp_supervisor_page_dispose;
}

static void
vp_supervisor_page_init (VpSupervisorPage *self)
{
  GtkWidget *switcher = gtk_stack_switcher_new ();
  GtkWidget *stack = gtk_stack_new ();

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 12);
  gtk_widget_set_margin_start (GTK_WIDGET (self), 18);
  gtk_widget_set_margin_end (GTK_WIDGET (self), 18);
  gtk_widget_set_margin_top (GTK_WIDGET (self), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self), 12);
  self->stack = GTK_STACK (stack);
  gtk_widget_set_vexpand (stack, TRUE);
  gtk_stack_add_titled (self->stack, build_transactions (self), "transactions",
                        _("Transactions"));
  gtk_stack_add_titled (self->stack, build_staff (self), "staff", _("Staff"));
  gtk_stack_add_titled (self->stack, build_z (self), "z", _("Z reports"));
  gtk_stack_switcher_set_stack (GTK_STACK_SWITCHER (switcher), self->stack);
  gtk_widget_set_size_request (switcher, -1, 48);
  gtk_box_append (GTK_BOX (self), switcher);
  gtk_box_append (GTK_BOX (self), stack);
  g_signal_connect_swapped (stack, "notify::visible-child", G_CALLBACK (view_changed), self);
}

void
vp_supervisor_page_set_context (VpSupervisorPage *self,
                                VpContext        *context)
{
  g_return_if_fail (VP_IS_SUPERVISOR_PAGE (self));
  g_set_object (&self->context, context);
}

void
vp_supervisor_page_open (VpSupervisorPage *self,
                         const VpStaff    *supervisor)
{
  g_return_if_fail (VP_IS_SUPERVISOR_PAGE (self));
  g_clear_pointer (&self->supervisor, vp_staff_free);
  self->supervisor = supervisor ? vp_staff_copy (supervisor) : NULL;
  view_changed (self);
}

void
vp_supervisor_page_close (VpSupervisorPage *self)
{
  g_return_if_fail (VP_IS_SUPERVISOR_PAGE (self));
  if (self->supervisor == NULL)
    return;
  g_clear_pointer (&self->supervisor, vp_staff_free);
  vp_gui_clear_box (self->tx_list);
  vp_gui_clear_box (self->staff_list);
  vp_gui_clear_box (self->z_list);
  gtk_editable_set_text (GTK_EDITABLE (self->new_pin), "");
}
