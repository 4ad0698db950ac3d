/* vp-window.c
 *
 * Screens are pages of a GtkStack; the window keeps a back stack of page
 * names and the account in hand. Every intent is a "win." action so the
 * screens, the keyboard shortcuts and AT-SPI all go through one path.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-window"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-window.h"
#include "vp-gui-util.h"
#include "vp-break-banner.h"
#include "vp-log-dialog.h"
#include "vp-login-page.h"
#include "vp-home-page.h"
#include "vp-search-page.h"
#include "vp-account-page.h"
#include "vp-pay-page.h"
#include "vp-topup-page.h"
#include "vp-open-account-page.h"
#include "vp-change-holder-page.h"
#include "vp-shift-page.h"
#include "vp-reports-page.h"
#include "vp-settings-page.h"
#include "vp-supervisor-page.h"
#include "vp-sync-page.h"
#include "vp-supervisor-dialog.h"

struct _VpWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay    *toasts;
  AdwToast           *toast;       /* the toast showing, not owned */
  gboolean            toast_urgent;
  guint               toast_source;
  AdwWindowTitle     *window_title;
  GtkWidget          *back_button;
  GtkWidget          *lock_button;
  GtkLabel           *staff_label;
  GtkStack           *main_stack;
  AdwStatusPage      *error_page;
  AdwStatusPage      *opening_page;
  GtkStack           *content_stack;
  VpBreakBanner      *break_banner;
  VpLoginPage        *login_page;
  VpHomePage         *home_page;
  VpSearchPage       *search_page;
  VpAccountPage      *account_page;
  VpPayPage          *pay_page;
  VpTopupPage        *topup_page;
  VpOpenAccountPage  *open_account_page;
  VpChangeHolderPage *change_holder_page;
  VpShiftPage        *shift_page;
  VpReportsPage      *reports_page;
  VpSettingsPage     *settings_page;
  VpSupervisorPage   *supervisor_page;
  VpSyncPage         *sync_page;

  VpContext          *context;
  GPtrArray          *history;     /* page names, the current one last */
  char               *account;     /* number of the account in hand */
  gint64              last_input;  /* monotonic µs */
  guint               idle_source;
  VpLogDraft         *parked;      /* a log dialog's input kept by the idle lock */
  char               *parked_staff; /* who was typing in it */
};

G_DEFINE_FINAL_TYPE (VpWindow, vp_window, ADW_TYPE_APPLICATION_WINDOW)

static void context_warning (VpContext  *context,
                             const char *text,
                             VpWindow   *self);

static void
update_header (VpWindow *self)
{
  const VpStaff *staff = vp_context_get_staff (self->context);
  const char *page = gtk_stack_get_visible_child_name (self->main_stack);
  gboolean in_app = g_strcmp0 (page, "app") == 0;

  if (staff && in_app)
    {
      g_autofree char *text = g_strdup_printf (_("Signed in as %s — %s"), staff->name,
                                               vp_gui_role_label (staff->role));
      gtk_label_set_text (self->staff_label, text);
      vp_gui_set_name (GTK_WIDGET (self->staff_label), text);
    }
  else
    gtk_label_set_text (self->staff_label, "");
  gtk_widget_set_visible (self->lock_button, staff != NULL && in_app);
  gtk_widget_set_visible (self->back_button, in_app && self->history->len > 1);
  if (vp_context_get_van_id (self->context))
    adw_window_title_set_subtitle (self->window_title, vp_context_get_van_id (self->context));
}

/* Pages are built the first time they are shown, not with the window:
 * building every page's template and laying out the whole tree cost most
 * of the time to a usable sign-in (issue 11). */
static GtkWidget *
ensure_page (VpWindow   *self,
             const char *name)
{
  GtkWidget *page = gtk_stack_get_child_by_name (self->content_stack, name);
  const char *title = NULL;

  if (page != NULL)
    return page;
#define NEW_PAGE(field, TYPE, set_context, label) \
  G_STMT_START { \
    self->field = g_object_new (TYPE, NULL); \
    set_context (self->field, self->context); \
    page = GTK_WIDGET (self->field); \
    title = label; \
  } G_STMT_END
  if (g_str_equal (name, "home"))
    NEW_PAGE (home_page, VP_TYPE_HOME_PAGE, vp_home_page_set_context, _("Home"));
  else if (g_str_equal (name, "search"))
    NEW_PAGE (search_page, VP_TYPE_SEARCH_PAGE, vp_search_page_set_context, _("Search"));
  else if (g_str_equal (name, "account"))
    NEW_PAGE (account_page, VP_TYPE_ACCOUNT_PAGE, vp_account_page_set_context, _("Account"));
  else if (g_str_equal (name, "pay"))
    NEW_PAGE (pay_page, VP_TYPE_PAY_PAGE, vp_pay_page_set_context, _("Pay bills"));
  else if (g_str_equal (name, "topup"))
    NEW_PAGE (topup_page, VP_TYPE_TOPUP_PAGE, vp_topup_page_set_context, _("Top up"));
  else if (g_str_equal (name, "open-account"))
    NEW_PAGE (open_account_page, VP_TYPE_OPEN_ACCOUNT_PAGE, vp_open_account_page_set_context,
              _("New account"));
  else if (g_str_equal (name, "change-holder"))
    NEW_PAGE (change_holder_page, VP_TYPE_CHANGE_HOLDER_PAGE, vp_change_holder_page_set_context,
              _("Change holder"));
  else if (g_str_equal (name, "shift"))
    NEW_PAGE (shift_page, VP_TYPE_SHIFT_PAGE, vp_shift_page_set_context, _("Shift"));
  else if (g_str_equal (name, "reports"))
    NEW_PAGE (reports_page, VP_TYPE_REPORTS_PAGE, vp_reports_page_set_context, _("Reports"));
  else if (g_str_equal (name, "settings"))
    NEW_PAGE (settings_page, VP_TYPE_SETTINGS_PAGE, vp_settings_page_set_context, _("Settings"));
  else if (g_str_equal (name, "sync"))
    NEW_PAGE (sync_page, VP_TYPE_SYNC_PAGE, vp_sync_page_set_context, _("Sync with HQ"));
  else if (g_str_equal (name, "supervisor"))
    NEW_PAGE (supervisor_page, VP_TYPE_SUPERVISOR_PAGE, vp_supervisor_page_set_context,
              _("Supervisor"));
  else
    g_return_val_if_reached (NULL);
#undef NEW_PAGE
  vp_gui_set_name (page, title);
  gtk_stack_add_named (self->content_stack, page, name);
  return page;
}

/* Shows a content page, refreshing it from the store. */
static void
show_page (VpWindow   *self,
           const char *name,
           gboolean    push)
{
  if (g_str_equal (name, "account") && self->account == NULL)
    return;
  if (g_str_equal (name, "open-account") && !push)
    return;

  if (push)
    {
      const char *current = self->history->len
                            ? g_ptr_array_index (self->history, self->history->len - 1) : NULL;
      /* Top-level pages reached from the side bar start a new trail. */
      if (g_str_equal (name, "home"))
        g_ptr_array_set_size (self->history, 0);
      if (g_strcmp0 (current, name) != 0)
        g_ptr_array_add (self->history, g_strdup (name));
    }
  /* The supervisor who opened their tools for an operator stays with
   * the page only while it is shown: leaving it (or Back to it) needs
   * their PIN again. */
  if (!g_str_equal (name, "supervisor") && self->supervisor_page != NULL)
    vp_supervisor_page_close (self->supervisor_page);
  /* Switch first so the page can take the keyboard focus. */
  ensure_page (self, name);
  gtk_stack_set_visible_child_name (self->content_stack, name);
  update_header (self);

  if (g_str_equal (name, "home"))
    vp_home_page_refresh (self->home_page);
  else if (g_str_equal (name, "search"))
    vp_search_page_focus (self->search_page);
  else if (g_str_equal (name, "account"))
    vp_account_page_load (self->account_page, self->account);
  else if (g_str_equal (name, "open-account"))
    vp_open_account_page_reset (self->open_account_page);
  else if (g_str_equal (name, "shift"))
    vp_shift_page_refresh (self->shift_page);
  else if (g_str_equal (name, "reports"))
    vp_reports_page_refresh (self->reports_page);
  else if (g_str_equal (name, "settings"))
    vp_settings_page_refresh (self->settings_page);
  else if (g_str_equal (name, "sync"))
    vp_sync_page_refresh (self->sync_page);
}

static void
settings_approved (VpSupervisorDialog *dialog,
                   VpStaff            *supervisor,
                   VpWindow           *self)
{
  show_page (self, "settings", TRUE);
}

/* The supervisor area works as the supervisor whose PIN opened it. */
static void
supervisor_approved (VpSupervisorDialog *dialog,
                     VpStaff            *supervisor,
                     VpWindow           *self)
{
  show_page (self, "supervisor", TRUE);
  vp_supervisor_page_open (self->supervisor_page, supervisor);
}

static void
show_page_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  VpWindow *self = VP_WINDOW (widget);
  const char *name = g_variant_get_string (param, NULL);
  const VpStaff *staff = vp_context_get_staff (self->context);

  /* Settings change where the money goes (database, HQ, printer) and how
   * long the van stays unlocked: a supervisor's PIN opens them. */
  if (g_str_equal (name, "settings") && (staff == NULL || staff->role != VP_ROLE_SUPERVISOR))
    {
      VpSupervisorDialog *dialog = vp_supervisor_dialog_new (GTK_WINDOW (self), self->context,
                                                             _("Open the settings"));

      g_signal_connect_object (dialog, "approved", G_CALLBACK (settings_approved), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  /* The supervisor's tools (staff, reversals, reprints) likewise. */
  if (g_str_equal (name, "supervisor"))
    {
      if (staff == NULL || staff->role != VP_ROLE_SUPERVISOR)
        {
          VpSupervisorDialog *dialog = vp_supervisor_dialog_new (GTK_WINDOW (self), self->context,
                                                                 _("Open the supervisor's tools"));

          g_signal_connect_object (dialog, "approved", G_CALLBACK (supervisor_approved), self, 0);
          gtk_window_present (GTK_WINDOW (dialog));
          return;
        }
      show_page (self, name, TRUE);
      vp_supervisor_page_open (self->supervisor_page, staff);
      return;
    }
  show_page (self, name, TRUE);
}

/* Large text: one more style sheet for every window of the app (the
 * supervisor dialog too), on top of the app's own. */
static void
large_text_changed (VpWindow *self)
{
  static GtkCssProvider *provider;
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (self));

  if (provider == NULL)
    {
      provider = gtk_css_provider_new ();
      gtk_css_provider_load_from_resource (provider, "/org/vanpos/VanPos/large-text.css");
    }
  if (vp_context_get_large_text (self->context))
    gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                                GTK_STYLE_PROVIDER_PRIORITY_USER);
  else
    gtk_style_context_remove_provider_for_display (display, GTK_STYLE_PROVIDER (provider));
}

static void
back_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  VpWindow *self = VP_WINDOW (widget);
  const char *name;

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "app") != 0)
    return;
  if (self->history->len <= 1)
    return;
  g_ptr_array_set_size (self->history, self->history->len - 1);
  name = g_ptr_array_index (self->history, self->history->len - 1);
  /* Pages that are flows (pay, top-up …) restart when reached by Back:
   * show their parent instead. */
  if (g_str_equal (name, "pay") || g_str_equal (name, "topup") ||
      g_str_equal (name, "change-holder") || g_str_equal (name, "supervisor"))
    {
      g_ptr_array_set_size (self->history, self->history->len - 1);
      if (self->history->len == 0)
        g_ptr_array_add (self->history, g_strdup ("home"));
      name = g_ptr_array_index (self->history, self->history->len - 1);
    }
  show_page (self, name, FALSE);
}

static void
search_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  VpWindow *self = VP_WINDOW (widget);

  if (vp_context_get_staff (self->context) == NULL)
    return;
  show_page (self, "search", TRUE);
}

static void
lock_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  VpWindow *self = VP_WINDOW (widget);

  if (vp_context_get_staff (self->context) != NULL)
    vp_context_set_staff (self->context, NULL);
}

static void
open_account_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  VpWindow *self = VP_WINDOW (widget);

  g_free (self->account);
  self->account = g_variant_dup_string (param, NULL);
  show_page (self, "account", TRUE);
}

static gboolean
require_account (VpWindow *self)
{
  return self->account != NULL && vp_context_get_staff (self->context) != NULL;
}

static void
pay_activated (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  VpWindow *self = VP_WINDOW (widget);

  if (!require_account (self))
    return;
  show_page (self, "pay", TRUE);
  vp_pay_page_load (self->pay_page, self->account);
}

static void
topup_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  VpWindow *self = VP_WINDOW (widget);

  if (!require_account (self))
    return;
  show_page (self, "topup", TRUE);
  vp_topup_page_load (self->topup_page, self->account);
}

static void
change_holder_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  VpWindow *self = VP_WINDOW (widget);

  if (!require_account (self))
    return;
  show_page (self, "change-holder", TRUE);
  vp_change_holder_page_load (self->change_holder_page, self->account);
}

static void
log_activated (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  VpWindow *self = VP_WINDOW (widget);
  VpLogKind kind = g_str_equal (action_name, "win.log-visit") ? VP_LOG_VISIT : VP_LOG_CONSULTATION;
  VpLogDialog *dialog;

  if (!require_account (self))
    return;
  dialog = vp_log_dialog_new (GTK_WINDOW (self), self->context, kind, self->account);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
toast_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  vp_window_toast (VP_WINDOW (widget), g_variant_get_string (param, NULL));
}

/* A locked screen leaves no half-filled dialog behind for the next person. */
static void
close_dialogs (VpWindow *self)
{
  g_autoptr(GListModel) toplevels = g_object_ref (gtk_window_get_toplevels ());

  for (guint i = g_list_model_get_n_items (toplevels); i > 0; i--)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i - 1);

      if (gtk_window_get_transient_for (window) == GTK_WINDOW (self))
        gtk_window_destroy (window);
    }
}

/* The idle lock must not lose a consultation or visit being typed: what
 * was typed is kept (the dialog itself closes with the others: a hidden
 * window left behind crashes GTK 4.8's AT-SPI bridge) and comes back when
 * the same staff member signs in again. */
static void
park_log_dialog (VpWindow *self)
{
  g_autoptr(GListModel) toplevels = g_object_ref (gtk_window_get_toplevels ());
  const VpStaff *staff = vp_context_get_staff (self->context);

  g_clear_pointer (&self->parked, vp_log_draft_free);
  g_clear_pointer (&self->parked_staff, g_free);
  for (guint i = g_list_model_get_n_items (toplevels); i > 0 && self->parked == NULL; i--)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i - 1);

      if (VP_IS_LOG_DIALOG (window) && gtk_window_get_transient_for (window) == GTK_WINDOW (self))
        {
          self->parked = vp_log_dialog_dup_draft (VP_LOG_DIALOG (window));
          self->parked_staff = g_strdup (staff->id);
        }
    }
}

/* After a sign-in: the draft goes back to the one who typed it; anyone
 * else must not see or save another person's note. */
static void
restore_parked (VpWindow *self)
{
  const VpStaff *staff = vp_context_get_staff (self->context);
  g_autoptr(VpLogDraft) draft = g_steal_pointer (&self->parked);
  g_autofree char *owner = g_steal_pointer (&self->parked_staff);

  if (draft == NULL)
    return;
  if (staff != NULL && g_strcmp0 (staff->id, owner) == 0)
    {
      g_free (self->account);
      self->account = g_strdup (draft->number);
      show_page (self, "account", TRUE);
      gtk_window_present (GTK_WINDOW (vp_log_dialog_new_from_draft (GTK_WINDOW (self),
                                                                    self->context, draft)));
      return;
    }
  vp_window_toast (self, _("A note left unsaved by the previous staff member was discarded"));
}

static void
staff_changed (VpWindow *self)
{
  const char *shown = gtk_stack_get_visible_child_name (self->main_stack);

  if (g_strcmp0 (shown, "error") == 0 || g_strcmp0 (shown, "opening") == 0)
    return;
  if (vp_context_get_staff (self->context) == NULL)
    {
      close_dialogs (self);
      vp_window_show_login (self);
      return;
    }
  /* A sign-in is use, however it came (AT-SPI sends no input events): the
   * idle time counts from it. */
  self->last_input = g_get_monotonic_time ();
  g_ptr_array_set_size (self->history, 0);
  g_clear_pointer (&self->account, g_free);
  gtk_stack_set_visible_child_name (self->main_stack, "app");
  show_page (self, "home", TRUE);
  restore_parked (self);
}

static void
context_changed (VpWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->content_stack);

  /* The shown account and counters follow every write. */
  if (g_strcmp0 (page, "home") == 0 && self->home_page != NULL)
    vp_home_page_refresh (self->home_page);
}

static gboolean
input_event (GtkEventControllerLegacy *controller,
             GdkEvent                 *event,
             VpWindow                 *self)
{
  switch (gdk_event_get_event_type (event))
    {
    case GDK_BUTTON_PRESS:
    case GDK_KEY_PRESS:
    case GDK_TOUCH_BEGIN:
    case GDK_SCROLL:
    case GDK_MOTION_NOTIFY:
      self->last_input = g_get_monotonic_time ();
      break;
    default:
      break;
    }
  return GDK_EVENT_PROPAGATE;
}

static gboolean
idle_check (gpointer user_data)
{
  VpWindow *self = user_data;
  guint limit = vp_context_get_idle_lock_seconds (self->context);

  if (limit > 0 && vp_context_get_staff (self->context) != NULL &&
      g_get_monotonic_time () - self->last_input >= (gint64)limit * G_USEC_PER_SEC)
    {
      g_autofree char *notice = NULL;

      park_log_dialog (self);
      vp_context_set_staff (self->context, NULL);
      notice = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Locked after %u second without use",
                                             "Locked after %u seconds without use", limit),
                                limit);
      vp_login_page_set_notice (self->login_page, notice);
    }
  return G_SOURCE_CONTINUE;
}

static void
vp_window_dispose (GObject *object)
{
  VpWindow *self = VP_WINDOW (object);

  g_clear_handle_id (&self->idle_source, g_source_remove);
  g_clear_handle_id (&self->toast_source, g_source_remove);
  g_clear_pointer (&self->parked, vp_log_draft_free);
  g_clear_pointer (&self->parked_staff, g_free);
  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->context);
  g_clear_pointer (&self->history, g_ptr_array_unref);
  g_clear_pointer (&self->account, g_free);
  G_OBJECT_CLASS (vp_window_parent_class)->dispose (object);
}

static void
vp_window_class_init (VpWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_window_dispose;

  /* Registered before the template is built: a type GtkBuilder does not
   * know yet it looks up by guessing its _get_type symbol (dlsym). */
  g_type_ensure (ADW_TYPE_TOAST_OVERLAY);
  g_type_ensure (ADW_TYPE_HEADER_BAR);
  g_type_ensure (ADW_TYPE_WINDOW_TITLE);
  g_type_ensure (ADW_TYPE_STATUS_PAGE);
  g_type_ensure (GTK_TYPE_STACK);
  g_type_ensure (GTK_TYPE_SCROLLED_WINDOW);
  g_type_ensure (GTK_TYPE_PASSWORD_ENTRY);
  g_type_ensure (GTK_TYPE_GRID);
  g_type_ensure (GTK_TYPE_SPINNER);
  g_type_ensure (VP_TYPE_BREAK_BANNER);
  g_type_ensure (VP_TYPE_LOGIN_PAGE);
  g_type_ensure (VP_TYPE_HOME_PAGE);
  g_type_ensure (VP_TYPE_SEARCH_PAGE);
  g_type_ensure (VP_TYPE_ACCOUNT_PAGE);
  g_type_ensure (VP_TYPE_PAY_PAGE);
  g_type_ensure (VP_TYPE_TOPUP_PAGE);
  g_type_ensure (VP_TYPE_OPEN_ACCOUNT_PAGE);
  g_type_ensure (VP_TYPE_CHANGE_HOLDER_PAGE);
  g_type_ensure (VP_TYPE_SHIFT_PAGE);
  g_type_ensure (VP_TYPE_REPORTS_PAGE);
  g_type_ensure (VP_TYPE_SETTINGS_PAGE);
  g_type_ensure (VP_TYPE_SUPERVISOR_PAGE);
  g_type_ensure (VP_TYPE_SYNC_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VpWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, lock_button);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, staff_label);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, opening_page);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, break_banner);
  gtk_widget_class_bind_template_child (widget_class, VpWindow, login_page);

  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_activated);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_activated);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_activated);
  gtk_widget_class_install_action (widget_class, "win.lock", NULL, lock_activated);
  gtk_widget_class_install_action (widget_class, "win.open-account", "s", open_account_activated);
  gtk_widget_class_install_action (widget_class, "win.pay", NULL, pay_activated);
  gtk_widget_class_install_action (widget_class, "win.topup", NULL, topup_activated);
  gtk_widget_class_install_action (widget_class, "win.change-holder", NULL, change_holder_activated);
  gtk_widget_class_install_action (widget_class, "win.log-consultation", NULL, log_activated);
  gtk_widget_class_install_action (widget_class, "win.log-visit", NULL, log_activated);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.lock", NULL);
}

static void
vp_window_init (VpWindow *self)
{
  GtkEventController *legacy;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->history = g_ptr_array_new_with_free_func (g_free);
  self->last_input = g_get_monotonic_time ();

  /* Any input resets the idle lock; capture phase sees it before the
   * widgets do and never stops it. */
  legacy = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (legacy, GTK_PHASE_CAPTURE);
  g_signal_connect (legacy, "event", G_CALLBACK (input_event), self);
  gtk_widget_add_controller (GTK_WIDGET (self), legacy);
  self->idle_source = g_timeout_add_seconds (1, idle_check, self);

  vp_gui_set_name (GTK_WIDGET (self->login_page), _("Sign in"));
}

/* The van's screen may be smaller than the default 1280×800 (a 1920×1080
 * tablet at scale 2 is 960×540 logical): the window fits the monitor and
 * every page scrolls where it must, its main action in view. */
static void
fit_to_monitor (VpWindow *self)
{
  GListModel *monitors = gdk_display_get_monitors (gtk_widget_get_display (GTK_WIDGET (self)));
  g_autoptr(GdkMonitor) monitor = g_list_model_get_n_items (monitors) > 0
                                  ? g_list_model_get_item (monitors, 0) : NULL;
  GdkRectangle geometry;
  int width, height;

  if (monitor == NULL)
    return;
  gdk_monitor_get_geometry (monitor, &geometry);
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  gtk_window_set_default_size (GTK_WINDOW (self), MIN (width, geometry.width),
                               MIN (height, geometry.height));
}

VpWindow *
vp_window_new (gpointer   application,
               VpContext *context)
{
  VpWindow *self = g_object_new (VP_TYPE_WINDOW, "application", application, NULL);

  self->context = g_object_ref (context);
  vp_break_banner_set_context (self->break_banner, context);
  vp_login_page_set_context (self->login_page, context);
  g_signal_connect_swapped (context, "notify::staff", G_CALLBACK (staff_changed), self);
  g_signal_connect_swapped (context, "changed", G_CALLBACK (context_changed), self);
  g_signal_connect (context, "warning", G_CALLBACK (context_warning), self);
  g_signal_connect_swapped (context, "notify::large-text", G_CALLBACK (large_text_changed), self);
  large_text_changed (self);
  fit_to_monitor (self);
  update_header (self);
  return self;
}

void
vp_window_show_error (VpWindow     *self,
                      const GError *error)
{
  g_return_if_fail (VP_IS_WINDOW (self));
  adw_status_page_set_icon_name (self->error_page, "dialog-error-symbolic");
  adw_status_page_set_description (self->error_page, error->message);
  gtk_stack_set_visible_child_name (self->main_stack, "error");
  update_header (self);
}

void
vp_window_show_login (VpWindow *self)
{
  g_return_if_fail (VP_IS_WINDOW (self));
  vp_login_page_reset (self->login_page);
  gtk_stack_set_visible_child_name (self->main_stack, "login");
  update_header (self);
}

/* libadwaita 1.2 gives the toast's close button no accessible name:
 * name every unnamed button outside the content ("Dismiss"). */
static void
name_toast_buttons (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) && gtk_button_get_label (GTK_BUTTON (child)) == NULL)
        vp_gui_set_name (child, _("Dismiss"));
      name_toast_buttons (child);
    }
}

static gboolean
name_toasts (gpointer user_data)
{
  VpWindow *self = user_data;
  GtkWidget *content = adw_toast_overlay_get_child (self->toasts);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->toasts)); child;
       child = gtk_widget_get_next_sibling (child))
    if (child != content)
      name_toast_buttons (child);
  return G_SOURCE_REMOVE;
}

static void
toast_dismissed (AdwToast *toast,
                 VpWindow *self)
{
  if (self->toast == toast)
    {
      self->toast = NULL;
      g_clear_handle_id (&self->toast_source, g_source_remove);
    }
  /* The next queued toast shows now. */
  g_timeout_add_full (G_PRIORITY_DEFAULT, 50, name_toasts, g_object_ref (self), g_object_unref);
}

static gboolean
toast_timeout (gpointer user_data)
{
  VpWindow *self = user_data;

  self->toast_source = 0;
  if (self->toast != NULL)
    adw_toast_dismiss (self->toast);
  return G_SOURCE_REMOVE;
}

/* Toasts never wait for each other. A toast the pointer rests on never
 * times out by itself, so a queue behind it held "Holder changed" for a
 * minute: the toast showing takes the newest outcome as its text and its
 * time runs again, on a timer of our own. (Not by dismissing it and adding
 * a new one: libadwaita 1.2 crashes on a toast dismissed and replaced in
 * one go.) A warning and an outcome never overwrite each other: a
 * warning shows at once and the outcome it displaces comes back after it;
 * an outcome during a warning follows it. */
static void
add_toast (VpWindow   *self,
           const char *text,
           guint       timeout,
           gboolean    urgent)
{
  AdwToast *toast;

  if (self->toast != NULL && urgent == self->toast_urgent)
    {
      adw_toast_set_title (self->toast, text);
      g_clear_handle_id (&self->toast_source, g_source_remove);
      self->toast_source = g_timeout_add_seconds (timeout, toast_timeout, self);
      return;
    }
  if (self->toast != NULL && !urgent)
    {
      /* An outcome while a warning shows: it follows the warning. */
      toast = adw_toast_new (text);
      adw_toast_set_timeout (toast, timeout);
      g_signal_connect_object (toast, "dismissed", G_CALLBACK (toast_dismissed), self, 0);
      adw_toast_overlay_add_toast (self->toasts, toast);
      return;
    }
  if (self->toast != NULL)
    {
      /* A warning displaces the outcome showing, which comes back after
       * it for its own few seconds. */
      g_clear_handle_id (&self->toast_source, g_source_remove);
      adw_toast_set_timeout (self->toast, 4);
      self->toast = NULL;
    }
  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 0);
  if (urgent)
    adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (toast_dismissed), self, 0);
  self->toast = toast;
  self->toast_urgent = urgent;
  adw_toast_overlay_add_toast (self->toasts, toast);
  name_toasts (self);
  self->toast_source = g_timeout_add_seconds (timeout, toast_timeout, self);
}

void
vp_window_toast (VpWindow   *self,
                 const char *text)
{
  add_toast (self, text, 4, FALSE);
}

/* A clock warning from the store after a commit (DESIGN §4): whichever
 * screen committed, it shows at once and stays longer than an outcome. */
static void
context_warning (VpContext  *context,
                 const char *text,
                 VpWindow   *self)
{
  g_autofree char *line = g_strdup_printf (_("Warning: %s"), text);

  g_message ("%s", text);
  add_toast (self, line, 10, TRUE);
}

void
vp_window_show_opening (VpWindow   *self,
                        const char *path)
{
  g_return_if_fail (VP_IS_WINDOW (self));
  adw_status_page_set_description (self->opening_page, path);
  gtk_stack_set_visible_child_name (self->main_stack, "opening");
  update_header (self);
}

void
vp_window_show_notice (VpWindow   *self,
                       const char *text)
{
  g_return_if_fail (VP_IS_WINDOW (self));
  vp_login_page_set_notice (self->login_page, text);
}
