/* vp-search-page.c: search as you type over a lazily paged model.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-search"

#include "config.h"

#include <glib/gi18n.h>

#include "vp-search-page.h"
#include "vp-account-list-model.h"
#include "vp-account-row.h"
#include "vp-gui-util.h"

struct _VpSearchPage
{
  GtkBox              parent_instance;
  GtkWidget          *search_entry;
  GtkLabel           *status_label;
  GtkStack           *stack;
  GtkListView        *list_view;
  GtkLabel           *empty_label;

  VpContext          *context;
  VpAccountListModel *model;
};

G_DEFINE_FINAL_TYPE (VpSearchPage, vp_search_page, GTK_TYPE_BOX)

static void
update_status (VpSearchPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  const GError *error = vp_account_list_model_get_error (self->model);
  const char *query = vp_account_list_model_get_query (self->model);
  g_autofree char *text = NULL;

  if (error != NULL)
    text = g_strdup_printf (_("Search failed: %s"), error->message);
  else if (vp_account_list_model_get_loading (self->model) && n == 0)
    text = g_strdup (_("Searching…"));
  else if (vp_account_list_model_get_complete (self->model))
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u account", "%u accounts", n), n);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u account shown, scroll for more",
                                         "%u accounts shown, scroll for more", n), n);
  vp_gui_set_value (self->status_label, text);

  if (n == 0 && vp_account_list_model_get_complete (self->model) && error == NULL)
    {
      g_autofree char *empty = NULL;

      if (query && *query)
        empty = g_strdup_printf (_("No account matches “%s”"), query);
      else
        empty = g_strdup (_("There are no accounts in this database yet"));
      gtk_label_set_text (self->empty_label, empty);
      vp_gui_set_name (GTK_WIDGET (self->empty_label), empty);
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "results");
}

static void
search_changed (GtkSearchEntry *entry,
                VpSearchPage   *self)
{
  g_autofree char *query = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (self->model == NULL)
    return;
  if (g_strcmp0 (query, vp_account_list_model_get_query (self->model)) == 0)
    return;
  vp_account_list_model_set_query (self->model, query);
  update_status (self);
}

static void
search_activate (GtkSearchEntry *entry,
                 VpSearchPage   *self)
{
  g_autoptr(VpAccountItem) first = NULL;

  /* Enter opens the only (or first) result. */
  search_changed (entry, self);
  if (self->model && g_list_model_get_n_items (G_LIST_MODEL (self->model)) > 0)
    {
      first = g_list_model_get_item (G_LIST_MODEL (self->model), 0);
      gtk_widget_activate_action (GTK_WIDGET (self), "win.open-account", "s",
                                  vp_account_item_get_account (first)->number);
    }
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  gtk_list_item_set_child (item, vp_account_row_new ());
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  VpAccountItem *account = gtk_list_item_get_item (item);

  vp_account_row_set_account (VP_ACCOUNT_ROW (gtk_list_item_get_child (item)),
                              vp_account_item_get_account (account));
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  vp_account_row_set_account (VP_ACCOUNT_ROW (gtk_list_item_get_child (item)), NULL);
}

static void
vp_search_page_dispose (GObject *object)
{
  VpSearchPage *self = VP_SEARCH_PAGE (object);

  if (self->model)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (vp_search_page_parent_class)->dispose (object);
}

static void
vp_search_page_class_init (VpSearchPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = vp_search_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vanpos/VanPos/ui/vp-search-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VpSearchPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, VpSearchPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, VpSearchPage, stack);
  gtk_widget_class_bind_template_child (widget_class, VpSearchPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, VpSearchPage, empty_label);
}

static void
vp_search_page_init (VpSearchPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed), self);
  g_signal_connect (self->search_entry, "activate", G_CALLBACK (search_activate), self);
}

void
vp_search_page_set_context (VpSearchPage *self,
                            VpContext    *context)
{
  g_set_object (&self->context, context);
}

void
vp_search_page_focus (VpSearchPage *self)
{
  g_return_if_fail (VP_IS_SEARCH_PAGE (self));

  if (self->model == NULL && vp_context_get_service (self->context) != NULL)
    {
      GtkNoSelection *selection;

      self->model = vp_account_list_model_new (vp_context_get_service (self->context));
      g_signal_connect_swapped (self->model, "items-changed", G_CALLBACK (update_status), self);
      g_signal_connect_swapped (self->model, "notify::loading", G_CALLBACK (update_status), self);
      g_signal_connect_swapped (self->model, "notify::complete", G_CALLBACK (update_status), self);
      selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->model)));
      gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
      g_object_unref (selection);
      vp_account_list_model_set_query (self->model, "");
      update_status (self);
    }
  else if (self->model)
    {
      /* Balances may have changed since: run the query again. */
      g_autofree char *query = g_strdup (vp_account_list_model_get_query (self->model));
      vp_account_list_model_set_query (self->model, query);
      update_status (self);
    }
  gtk_widget_grab_focus (self->search_entry);
}
