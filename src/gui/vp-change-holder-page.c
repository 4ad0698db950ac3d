/* TEMP */
#include "config.h"
#include "vp-change-holder-page.h"
struct _VpChangeHolderPage { GtkBox parent_instance; VpContext *context; };
G_DEFINE_FINAL_TYPE (VpChangeHolderPage, vp_change_holder_page, GTK_TYPE_BOX)
static void vp_change_holder_page_class_init (VpChangeHolderPageClass *klass) {}
static void vp_change_holder_page_init (VpChangeHolderPage *self) { gtk_box_append (GTK_BOX (self), gtk_label_new ("TODO change-holder")); }
void vp_change_holder_page_set_context (VpChangeHolderPage *self, VpContext *context) { self->context = context; }
void vp_change_holder_page_load (VpChangeHolderPage *self, const char *number) {}
