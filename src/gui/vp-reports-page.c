/* TEMP */
#include "config.h"
#include "vp-reports-page.h"
struct _VpReportsPage { GtkBox parent_instance; VpContext *context; };
G_DEFINE_FINAL_TYPE (VpReportsPage, vp_reports_page, GTK_TYPE_BOX)
static void vp_reports_page_class_init (VpReportsPageClass *klass) {}
static void vp_reports_page_init (VpReportsPage *self) { gtk_box_append (GTK_BOX (self), gtk_label_new ("TODO reports")); }
void vp_reports_page_set_context (VpReportsPage *self, VpContext *context) { self->context = context; }
void vp_reports_page_refresh (VpReportsPage *self) {}
