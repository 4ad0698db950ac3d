/* TEMP */
#include "config.h"
#include "vp-home-page.h"
struct _VpHomePage { GtkBox parent_instance; VpContext *context; };
G_DEFINE_FINAL_TYPE (VpHomePage, vp_home_page, GTK_TYPE_BOX)
static void vp_home_page_class_init (VpHomePageClass *klass) {}
static void vp_home_page_init (VpHomePage *self) { gtk_box_append (GTK_BOX (self), gtk_label_new ("TODO home")); }
void vp_home_page_set_context (VpHomePage *self, VpContext *context) { self->context = context; }
void vp_home_page_refresh (VpHomePage *self) {}
