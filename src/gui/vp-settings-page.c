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
#include "vp-print.h"

#define MAX_IDLE_LOCK_SECONDS 3600  /* the range of idle-lock-seconds in data/org.vanpos.VanPos.gschema.xml */

enum { F_DB, F_HQ, F_IDLE, F_PRINTER, N_FIELDS };

struct _VpSettingsPage
{
  GtkBox       parent_instance;
  GtkWidget   *info_grid;
  GtkWidget   *fields_grid;
  GtkLabel    *message_label;
  VpKeypad    *keypad;

  VpContext   *context;
  VpFormField *fields[N_FIELDS];
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

  if (!g_ascii_string_to_unsigned (text, 10, 0, MAX_IDLE_LOCK_SECONDS, &v, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Whole seconds from 0 (never lock) to %d"), MAX_IDLE_LOCK_SECONDS);
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
  vp_gui_show_message (self->message_label,
                       vp_context_has_gsettings (self->context)
                       ? _("Settings saved")
                       : _("Settings applied until VanPOS closes (the settings schema is not installed)"),
                       FALSE);
  vp_settings_page_refresh (self);
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
                                            _("0 = never"), validate_idle, FALSE);
  self->fields[F_PRINTER] = vp_form_field_add (self->fields_grid, 9, _("Printer"),
                                               "pdf | none | system | escpos:/dev/usb/lp0?profile=gbk-58",
                                               validate_printer, FALSE);
  vp_keypad_set_decimal (self->keypad, FALSE);
  vp_keypad_attach (self->keypad, self->fields[F_IDLE]->entry);
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

  database = vp_context_get_database (self->context);
  sync = *hq ? g_strdup_printf (_("HQ sync at %s (run by a supervisor at the end of the day)"), hq)
             : g_strdup (_("HQ sync not configured"));
  vp_gui_clear_box (self->info_grid);
  vp_gui_grid_row (self->info_grid, 0, 0, _("Van id"), vp_context_get_van_id (self->context));
  vp_gui_grid_row (self->info_grid, 1, 0, _("Database in use"),
                   database ? vp_database_get_path (database) : "");
  vp_gui_grid_row (self->info_grid, 2, 0, _("Sync state"), sync);
  vp_gui_grid_row (self->info_grid, 3, 0, _("Settings stored"),
                   vp_context_has_gsettings (self->context)
                   ? _("GSettings (org.vanpos.VanPos)")
                   : _("In memory only: the settings schema is not installed"));
}
