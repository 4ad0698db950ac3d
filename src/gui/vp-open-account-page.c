/* TEMP */
#include "config.h"
#include "vp-open-account-page.h"
struct _VpOpenAccountPage { GtkBox parent_instance; VpContext *context; };
G_DEFINE_FINAL_TYPE (VpOpenAccountPage, vp_open_account_page, GTK_TYPE_BOX)
static void vp_open_account_page_class_init (VpOpenAccountPageClass *klass) {}
static void vp_open_account_page_init (VpOpenAccountPage *self) { gtk_box_append (GTK_BOX (self), gtk_label_new ("TODO open-account")); }
void vp_open_account_page_set_context (VpOpenAccountPage *self, VpContext *context) { self->context = context; }
void vp_open_account_page_reset (VpOpenAccountPage *self) {}
