/* vp-settings-page.c: the GSettings keys (or the in-memory defaults).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-settings"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "vp-settings-page.h"
#include "vp-form-field.h"
#include "vp-gui-util.h"
#include "vp-keypad.h"
#include "vp-supervisor-dialog.h"
#include "vp-print.h"


enum { F_DB, F_HQ, F_IDLE, F_PRINTER, N_FIELDS };

struct _VpSettingsPage
{
  GtkBox       parent_instance;
  GtkWidget   *info_grid;
  GtkWidget   *fields_grid;
  GtkLabel    *message_label;
  GtkWidget   *large_text_check;
  GtkWidget   *limits_grid;
  GtkLabel    *limits_message;
  VpKeypad    *keypad;

  VpContext   *context;
  VpFormField *fields[N_FIELDS];
  GtkWidget   *limit_entries[VP_N_LIMITS];
  gint64       limit_values[VP_N_LIMITS];   /* in force when last shown */
  gint64       limit_wanted[VP_N_LIMITS];   /* what the supervisor approves */
  gboolean     limits_busy;
};

G_DEFINE_FINAL_TYPE (VpSettingsPage, vp_settings_page, GTK_TYPE_BOX)

static gboolean
validate_path (const char *text, GError **error)
{
  if (!g_path_is_absolute (text))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Give a full path starting with /"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_url (const char *text, GError **error)
{
  if (!g_str_has_prefix (text, "https://") || strlen (text) <= strlen ("https://"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The HQ address must start with https://"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_idle (const char *text, GError **error)
{
  guint64 v;

  /* The range of idle-lock-seconds in data/org.vanpos.VanPos.gschema.xml. */
  if (!g_ascii_string_to_unsigned (text, 10, VP_IDLE_LOCK_MIN_SECONDS, VP_IDLE_LOCK_MAX_SECONDS, &v, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Whole seconds from %d to %d"), VP_IDLE_LOCK_MIN_SECONDS, VP_IDLE_LOCK_MAX_SECONDS);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_printer (const char *text, GError **error)
{
  if (g_str_equal (text, "pdf") || g_str_equal (text, "none") || g_str_equal (text, "system") ||
      (g_str_has_prefix (text, "system:") && strlen (text) > strlen ("system:")))
    return TRUE;
  if (g_str_has_prefix (text, "escpos:/"))
    {
      g_autofree char *device = NULL;
      VpPrintProfile profile;

      /* The profile named, so a typo shows here and not at the first receipt. */
      if (vp_print_parse_escpos_spec (text + strlen ("escpos:"), &device, &profile, error))
        return TRUE;
      return FALSE;
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Say pdf, none, system (or system:NAME, a printer of this computer), "
                         "or escpos:/dev/usb/lp0 (the printer device, "
                         "e.g. escpos:/dev/usb/lp0?profile=gbk-58)"));
  return FALSE;
}

static void
save_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  VpSettingsPage *self = VP_SETTINGS_PAGE (widget);
  g_autofree char *db = NULL;
  g_autofree char *hq = NULL;
  g_autofree char *idle = NULL;
  g_autofree char *printer = NULL;
  gboolean ok = TRUE;

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
  db = vp_form_field_dup_text (self->fields[F_DB]);
  hq = vp_form_field_dup_text (self->fields[F_HQ]);
  idle = vp_form_field_dup_text (self->fields[F_IDLE]);
  printer = vp_form_field_dup_text (self->fields[F_PRINTER]);
  vp_context_set_string (self->context, "database-path", db);
  vp_context_set_string (self->context, "hq-url", hq);
  vp_context_set_idle_lock_seconds (self->context, (guint)g_ascii_strtoull (idle, NULL, 10));
  vp_context_set_string (self->context, "printer", printer);
  vp_context_set_large_text (self->context,
                             gtk_check_button_get_active (GTK_CHECK_BUTTON (self->large_text_check)));
  vp_gui_show_message (self->message_label,
                       vp_context_has_gsettings (self->context)
                       ? _("Settings saved")
                       : _("Settings applied until VanPOS closes (the settings schema is not installed)"),
                       FALSE);
  vp_settings_page_refresh (self);
}

/* --- offline limits ------------------------------------------------- */

static const char *
limit_label (VpLimit limit)
{
  switch (limit)
    {
    case VP_LIMIT_CASH_PER_TRANSACTION:   return _("Cash per transaction (¥)");
    case VP_LIMIT_CARD_PER_TRANSACTION:   return _("Bank card per transaction (¥)");
    case VP_LIMIT_MOBILE_PER_TRANSACTION: return _("Mobile pay per transaction (¥)");
    case VP_LIMIT_CASH_PER_DAY:           return _("Cash per day (¥)");
    case VP_LIMIT_CARD_PER_DAY:           return _("Bank card per day (¥)");
    case VP_LIMIT_MOBILE_PER_DAY:         return _("Mobile pay per day (¥)");
    case VP_LIMIT_CASH_IN_VAN:            return _("Most cash held in the van (¥)");
    case VP_LIMIT_UNSYNCED_HOURS:         return _("Oldest entry not yet synced (hours)");
    case VP_N_LIMITS:
    default:                              return "";
    }
}

static char *
limit_text (VpLimit limit,
            gint64  value)
{
  return vp_limit_is_money (limit) ? vp_money_format_plain (value)
                                   : g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

static void
refresh_limits (VpSettingsPage *self)
{
  VpService *service = vp_context_get_service (self->context);

  if (service == NULL)
    return;
  for (VpLimit l = 0; l < VP_N_LIMITS; l++)
    {
      g_autofree char *text = NULL;

      self->limit_values[l] = vp_service_get_limit (service, l);
      text = limit_text (l, self->limit_values[l]);
      gtk_editable_set_text (GTK_EDITABLE (self->limit_entries[l]), text);
    }
}

typedef struct
{
  VpStaff *supervisor;
  gint64   wanted[VP_N_LIMITS];
  gint64   current[VP_N_LIMITS];
} LimitsData;

static void
limits_data_free (LimitsData *d)
{
  g_clear_pointer (&d->supervisor, vp_staff_free);
  g_free (d);
}

/* Each changed limit is its own signed entry; the first refusal stops
 * the rest (those set before it stay set, and the page shows them). */
static gpointer
limits_job (VpService     *service,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  LimitsData *d = data;
  guint *n = g_new0 (guint, 1);

  for (VpLimit l = 0; l < VP_N_LIMITS; l++)
    {
      g_autoptr(VpJournalEntry) e = NULL;

      if (d->wanted[l] == d->current[l])
        continue;
      e = vp_service_set_limit (service, d->supervisor, l, d->wanted[l], error);
      if (e == NULL)
        {
          g_free (n);
          return NULL;
        }
      (*n)++;
    }
  return n;
}

static void
limits_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VpSettingsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree guint *n = vp_context_run_finish (self->context, result, &error);

  self->limits_busy = FALSE;
  vp_context_emit_changed (self->context);
  refresh_limits (self);
  if (n == NULL)
    {
      vp_gui_show_message (self->limits_message, error->message, TRUE);
      return;
    }
  {
    g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u limit changed",
                                                          "%u limits changed", *n), *n);
    vp_gui_show_message (self->limits_message, text, FALSE);
  }
}

static void
limits_approved (VpSupervisorDialog *dialog,
                 VpStaff            *supervisor,
                 VpSettingsPage     *self)
{
  LimitsData *d = g_new0 (LimitsData, 1);

  d->supervisor = vp_staff_copy (supervisor);
  memcpy (d->wanted, self->limit_wanted, sizeof d->wanted);
  memcpy (d->current, self->limit_values, sizeof d->current);
  self->limits_busy = TRUE;
  vp_gui_show_message (self->limits_message, _("Saving the limits…"), FALSE);
  vp_context_run (self->context, limits_job, d, (GDestroyNotify)limits_data_free, g_free,
                  NULL, limits_done, g_object_ref (self));
}

static void
limits_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  VpSettingsPage *self = VP_SETTINGS_PAGE (widget);
  VpSupervisorDialog *dialog;
  guint changed = 0;

  if (self->limits_busy)
    return;
  for (VpLimit l = 0; l < VP_N_LIMITS; l++)
    {
      g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->limit_entries[l]))));
      gint64 v = 0;
      gboolean ok;

      if (vp_limit_is_money (l))
        ok = vp_money_parse_positive (text, &v, NULL);
      else
        ok = g_ascii_string_to_signed (text, 10, 1, G_MAXINT32, &v, NULL);
      if (!ok || v < 1 || v > vp_limit_max (l))
        {
          g_autofree char *max = limit_text (l, vp_limit_max (l));
          g_autofree char *msg = g_strdup_printf (_("%s: give a value from 1 to %s"), limit_label (l), max);

          vp_gui_show_message (self->limits_message, msg, TRUE);
          gtk_widget_grab_focus (self->limit_entries[l]);
          return;
        }
      self->limit_wanted[l] = v;
      if (v != self->limit_values[l])
        changed++;
    }
  if (changed == 0)
    {
      vp_gui_show_message (self->limits_message, _("No limit was changed"), TRUE);
      return;
    }
  vp_gui_show_message (self->limits_message, NULL, FALSE);
  dialog = vp_supervisor_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), self->context,
                                     _("Change the van's offline limits"));
  for (VpLimit l = 0; l < VP_N_LIMITS; l++)
    if (self->limit_wanted[l] != self->limit_values[l])
      {
        g_autofree char *from = limit_text (l, self->limit_values[l]);
        g_autofree char *to = limit_text (l, self->limit_wanted[l]);
        g_autofree char *line = g_strdup_printf ("%s → %s", from, to);

        vp_supervisor_dialog_add_detail (dialog, limit_label (l), line);
      }
  g_signal_connect_object (dialog, "approved", G_CALLBACK (limits_approved), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
vp_settings_page_dispose (GObject *object)
{
  VpSettingsPage *self = VP_SETTINGS_PAGE (object);

  g_clear_object (&self->context);
  for (guint i = 0; i < N_FIELDS; i++)
    g_clear_pointer (&self->fields[i], g_free);
  G_OBJECT_CLASS (vp_settings_page_parent_class)->dispose (object);
}

static void
vp_settings_page_class_init (VpSettingsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_settings_page_dispose;
  g_type_ensure (VP_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-settings-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpSettingsPage, info_grid);
  gtk_widget_class_bind_template_child (widget_class, VpSettingsPage, fields_grid);
  gtk_widget_class_bind_template_child (widget_class, VpSettingsPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, VpSettingsPage, keypad);
  gtk_widget_class_bind_template_child (widget_class, VpSettingsPage, limits_grid);
  gtk_widget_class_bind_template_child (widget_class, VpSettingsPage, large_text_check);
  gtk_widget_class_bind_template_child (widget_class, VpSettingsPage, limits_message);
  gtk_widget_class_install_action (widget_class, "settings.limits", NULL, limits_activated);
  gtk_widget_class_install_action (widget_class, "settings.save", NULL, save_activated);
}

static void
vp_settings_page_init (VpSettingsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->fields[F_DB] = vp_form_field_add (self->fields_grid, 0, _("Database path"),
                                          _("used when VanPOS starts without --db"), validate_path, TRUE);
  self->fields[F_HQ] = vp_form_field_add (self->fields_grid, 3, _("HQ URL"), "https://",
                                          validate_url, TRUE);
  self->fields[F_IDLE] = vp_form_field_add (self->fields_grid, 6, _("Idle lock (seconds)"),
                                            _("30 to 3600"), validate_idle, FALSE);
  self->fields[F_PRINTER] = vp_form_field_add (self->fields_grid, 9, _("Printer"),
                                               "pdf | none | system | escpos:/dev/usb/lp0?profile=gbk-58",
                                               validate_printer, FALSE);
  vp_keypad_attach (self->keypad, self->fields[F_IDLE]->entry);
  for (VpLimit l = 0; l < VP_N_LIMITS; l++)
    {
      GtkWidget *label = gtk_label_new (limit_label (l));
      GtkWidget *entry = gtk_entry_new ();

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_entry_set_input_purpose (GTK_ENTRY (entry), vp_limit_is_money (l) ? GTK_INPUT_PURPOSE_NUMBER
                                                                           : GTK_INPUT_PURPOSE_DIGITS);
      gtk_widget_set_hexpand (entry, TRUE);
      vp_gui_set_name (entry, limit_label (l));
      gtk_grid_attach (GTK_GRID (self->limits_grid), label, 0, (int) l, 1, 1);
      gtk_grid_attach (GTK_GRID (self->limits_grid), entry, 1, (int) l, 1, 1);
      vp_keypad_attach (self->keypad, entry);
      self->limit_entries[l] = entry;
    }
}

void
vp_settings_page_set_context (VpSettingsPage *self,
                              VpContext      *context)
{
  g_set_object (&self->context, context);
}

void
vp_settings_page_refresh (VpSettingsPage *self)
{
  g_autofree char *db = NULL;
  g_autofree char *hq = NULL;
  g_autofree char *printer = NULL;
  g_autofree char *idle = NULL;
  g_autofree char *sync = NULL;
  VpDatabase *database;

  g_return_if_fail (VP_IS_SETTINGS_PAGE (self));
  db = vp_context_dup_string (self->context, "database-path");
  hq = vp_context_dup_string (self->context, "hq-url");
  printer = vp_context_dup_string (self->context, "printer");
  idle = g_strdup_printf ("%u", vp_context_get_idle_lock_seconds (self->context));
  gtk_editable_set_text (GTK_EDITABLE (self->fields[F_DB]->entry), db);
  gtk_editable_set_text (GTK_EDITABLE (self->fields[F_HQ]->entry), hq);
  gtk_editable_set_text (GTK_EDITABLE (self->fields[F_IDLE]->entry), idle);
  gtk_editable_set_text (GTK_EDITABLE (self->fields[F_PRINTER]->entry), printer);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->large_text_check),
                               vp_context_get_large_text (self->context));

  database = vp_context_get_database (self->context);
  sync = *hq ? g_strdup_printf (_("HQ sync at %s (run by a supervisor at the end of the day)"), hq)
             : g_strdup (_("HQ sync not configured"));
  vp_gui_clear_box (self->info_grid);
  refresh_limits (self);
  vp_gui_grid_row (self->info_grid, 0, 0, _("Van id"), vp_context_get_van_id (self->context));
  vp_gui_grid_row (self->info_grid, 1, 0, _("Database in use"),
                   database ? vp_database_get_path (database) : "");
  vp_gui_grid_row (self->info_grid, 2, 0, _("Sync state"), sync);
  vp_gui_grid_row (self->info_grid, 3, 0, _("Settings stored"),
                   vp_context_has_gsettings (self->context)
                   ? _("GSettings (org.vanpos.VanPos)")
                   : _("In memory only: the settings schema is not installed"));
}
