/* TEMP */
#include "config.h"
#include "vp-pay-page.h"
struct _VpPayPage { GtkBox parent_instance; VpContext *context; };
G_DEFINE_FINAL_TYPE (VpPayPage, vp_pay_page, GTK_TYPE_BOX)
static void vp_pay_page_class_init (VpPayPageClass *klass) {}
static void vp_pay_page_init (VpPayPage *self) { gtk_box_append (GTK_BOX (self), gtk_label_new ("TODO pay")); }
void vp_pay_page_set_context (VpPayPage *self, VpContext *context) { self->context = context; }
void vp_pay_page_load (VpPayPage *self, const char *number) {}
