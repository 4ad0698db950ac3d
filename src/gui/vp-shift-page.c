/* TEMP */
#include "config.h"
#include "vp-shift-page.h"
struct _VpShiftPage { GtkBox parent_instance; VpContext *context; };
G_DEFINE_FINAL_TYPE (VpShiftPage, vp_shift_page, GTK_TYPE_BOX)
static void vp_shift_page_class_init (VpShiftPageClass *klass) {}
static void vp_shift_page_init (VpShiftPage *self) { gtk_box_append (GTK_BOX (self), gtk_label_new ("TODO shift")); }
void vp_shift_page_set_context (VpShiftPage *self, VpContext *context) { self->context = context; }
void vp_shift_page_refresh (VpShiftPage *self) {}
