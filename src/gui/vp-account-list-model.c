/* vp-account-list-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-account-list"

#include "config.h"

#include "vp-account-list-model.h"

/* Start fetching the next page when the view asks for an item this close
 * to the end of what is loaded. */
#define PREFETCH_MARGIN 20

struct _VpAccountItem
{
  GObject    parent_instance;
  VpAccount *account;
};

G_DEFINE_FINAL_TYPE (VpAccountItem, vp_account_item, G_TYPE_OBJECT)

static void
vp_account_item_finalize (GObject *object)
{
  g_clear_pointer (&VP_ACCOUNT_ITEM (object)->account, vp_account_free);
  G_OBJECT_CLASS (vp_account_item_parent_class)->finalize (object);
}

static void
vp_account_item_class_init (VpAccountItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vp_account_item_finalize;
}

static void
vp_account_item_init (VpAccountItem *self)
{
}

const VpAccount *
vp_account_item_get_account (VpAccountItem *self)
{
  g_return_val_if_fail (VP_IS_ACCOUNT_ITEM (self), NULL);
  return self->account;
}

struct _VpAccountListModel
{
  GObject       parent_instance;
  VpService    *service;
  GPtrArray    *items;        /* VpAccountItem* */
  char         *query;
  GCancellable *cancellable;  /* of the page in flight */
  GError       *error;
  gboolean      loading;
  gboolean      complete;
  guint         fetch_idle;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VpAccountListModel, vp_account_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum { PROP_0, PROP_LOADING, PROP_COMPLETE, N_PROPS };
static GParamSpec *properties[N_PROPS];

typedef struct
{
  char  *query;
  guint  offset;
} PageData;

static void
page_data_free (PageData *d)
{
  g_free (d->query);
  g_free (d);
}

static gpointer
page_job (VpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  PageData *d = data;

  return vp_account_store_search (vp_service_get_database (service), d->query,
                                  d->offset, VP_ACCOUNT_LIST_PAGE_SIZE, error);
}

static void
set_loading (VpAccountListModel *self,
             gboolean            loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
page_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VpAccountListModel) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = vp_service_run_finish (VP_SERVICE (source), result, &error);
  guint before;

  /* A stale page (the query changed meanwhile) was cancelled: drop it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    return;
  g_clear_object (&self->cancellable);
  set_loading (self, FALSE);
  if (rows == NULL)
    {
      g_clear_error (&self->error);
      self->error = g_steal_pointer (&error);
      self->complete = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
      return;
    }

  before = self->items->len;
  for (guint i = 0; i < rows->len; i++)
    {
      VpAccountItem *item = g_object_new (VP_TYPE_ACCOUNT_ITEM, NULL);
      item->account = vp_account_copy (rows->pdata[i]);
      g_ptr_array_add (self->items, item);
    }
  if (rows->len < VP_ACCOUNT_LIST_PAGE_SIZE)
    {
      self->complete = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
    }
  if (rows->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), before, 0, rows->len);
  else if (before == 0)
    /* Still tell listeners the (empty) answer is in. */
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
fetch_next_page (VpAccountListModel *self)
{
  PageData *d;

  if (self->loading || self->complete || self->query == NULL)
    return;
  d = g_new0 (PageData, 1);
  d->query = g_strdup (self->query);
  d->offset = self->items->len;
  self->cancellable = g_cancellable_new ();
  set_loading (self, TRUE);
  vp_service_run_async (self->service, page_job, d, (GDestroyNotify)page_data_free,
                        (GDestroyNotify)g_ptr_array_unref, self->cancellable,
                        page_done, g_object_ref (self));
}

static gboolean
fetch_idle_cb (gpointer user_data)
{
  VpAccountListModel *self = user_data;

  self->fetch_idle = 0;
  fetch_next_page (self);
  return G_SOURCE_REMOVE;
}

static GType
list_get_item_type (GListModel *model)
{
  return VP_TYPE_ACCOUNT_ITEM;
}

static guint
list_get_n_items (GListModel *model)
{
  return VP_ACCOUNT_LIST_MODEL (model)->items->len;
}

static gpointer
list_get_item (GListModel *model,
               guint       position)
{
  VpAccountListModel *self = VP_ACCOUNT_LIST_MODEL (model);

  if (position >= self->items->len)
    return NULL;
  /* The view is showing rows near the end: fetch the next page, from an
   * idle because items-changed must not be emitted inside get_item. */
  if (position + PREFETCH_MARGIN >= self->items->len && !self->complete &&
      !self->loading && self->fetch_idle == 0)
    self->fetch_idle = g_idle_add (fetch_idle_cb, self);
  return g_object_ref (self->items->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_get_item_type;
  iface->get_n_items = list_get_n_items;
  iface->get_item = list_get_item;
}

static void
vp_account_list_model_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  VpAccountListModel *self = VP_ACCOUNT_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_COMPLETE:
      g_value_set_boolean (value, self->complete);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vp_account_list_model_dispose (GObject *object)
{
  VpAccountListModel *self = VP_ACCOUNT_LIST_MODEL (object);

  g_clear_handle_id (&self->fetch_idle, g_source_remove);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->service);
  G_OBJECT_CLASS (vp_account_list_model_parent_class)->dispose (object);
}

static void
vp_account_list_model_finalize (GObject *object)
{
  VpAccountListModel *self = VP_ACCOUNT_LIST_MODEL (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->query, g_free);
  g_clear_error (&self->error);
  G_OBJECT_CLASS (vp_account_list_model_parent_class)->finalize (object);
}

static void
vp_account_list_model_class_init (VpAccountListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vp_account_list_model_get_property;
  object_class->dispose = vp_account_list_model_dispose;
  object_class->finalize = vp_account_list_model_finalize;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_COMPLETE] =
    g_param_spec_boolean ("complete", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vp_account_list_model_init (VpAccountListModel *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

VpAccountListModel *
vp_account_list_model_new (VpService *service)
{
  VpAccountListModel *self;

  g_return_val_if_fail (VP_IS_SERVICE (service), NULL);
  self = g_object_new (VP_TYPE_ACCOUNT_LIST_MODEL, NULL);
  self->service = g_object_ref (service);
  return self;
}

void
vp_account_list_model_set_query (VpAccountListModel *self,
                                 const char         *query)
{
  guint removed;

  g_return_if_fail (VP_IS_ACCOUNT_LIST_MODEL (self));

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->fetch_idle, g_source_remove);
  g_clear_error (&self->error);
  self->loading = FALSE;
  self->complete = FALSE;
  g_free (self->query);
  self->query = g_strdup (query ? query : "");

  removed = self->items->len;
  g_ptr_array_set_size (self->items, 0);
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
  fetch_next_page (self);
}

const char *
vp_account_list_model_get_query (VpAccountListModel *self)
{
  return self->query;
}

gboolean
vp_account_list_model_get_loading (VpAccountListModel *self)
{
  return self->loading;
}

gboolean
vp_account_list_model_get_complete (VpAccountListModel *self)
{
  return self->complete;
}

const GError *
vp_account_list_model_get_error (VpAccountListModel *self)
{
  return self->error;
}
