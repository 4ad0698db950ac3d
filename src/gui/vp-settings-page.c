/* TEMP */
#include "config.h"
#include "vp-settings-page.h"
struct _VpSettingsPage { GtkBox parent_instance; VpContext *context; };
G_DEFINE_FINAL_TYPE (VpSettingsPage, vp_settings_page, GTK_TYPE_BOX)
static void vp_settings_page_class_init (VpSettingsPageClass *klass) {}
static void vp_settings_page_init (VpSettingsPage *self) { gtk_box_append (GTK_BOX (self), gtk_label_new ("TODO settings")); }
void vp_settings_page_set_context (VpSettingsPage *self, VpContext *context) { self->context = context; }
void vp_settings_page_refresh (VpSettingsPage *self) {}
