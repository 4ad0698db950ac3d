/* TEMP */
#include "config.h"
#include "vp-topup-page.h"
struct _VpTopupPage { GtkBox parent_instance; VpContext *context; };
G_DEFINE_FINAL_TYPE (VpTopupPage, vp_topup_page, GTK_TYPE_BOX)
static void vp_topup_page_class_init (VpTopupPageClass *klass) {}
static void vp_topup_page_init (VpTopupPage *self) { gtk_box_append (GTK_BOX (self), gtk_label_new ("TODO topup")); }
void vp_topup_page_set_context (VpTopupPage *self, VpContext *context) { self->context = context; }
void vp_topup_page_load (VpTopupPage *self, const char *number) {}
