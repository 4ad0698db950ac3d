/* vp-account-list-model.h: search results as a lazily paged GListModel.
 *
 * Pages of VP_ACCOUNT_LIST_PAGE_SIZE accounts are fetched on the service
 * worker thread as the list view asks for items near the end of what is
 * loaded; n_items grows as pages arrive. A new query cancels the old one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vp-service.h"

G_BEGIN_DECLS

#define VP_ACCOUNT_LIST_PAGE_SIZE 50

#define VP_TYPE_ACCOUNT_ITEM (vp_account_item_get_type ())
G_DECLARE_FINAL_TYPE (VpAccountItem, vp_account_item, VP, ACCOUNT_ITEM, GObject)

const VpAccount *vp_account_item_get_account (VpAccountItem *self);

#define VP_TYPE_ACCOUNT_LIST_MODEL (vp_account_list_model_get_type ())
G_DECLARE_FINAL_TYPE (VpAccountListModel, vp_account_list_model, VP, ACCOUNT_LIST_MODEL, GObject)

VpAccountListModel *vp_account_list_model_new       (VpService          *service);
void                vp_account_list_model_set_query (VpAccountListModel *self,
                                                     const char         *query);
const char         *vp_account_list_model_get_query (VpAccountListModel *self);
/* TRUE while a page is being fetched. */
gboolean            vp_account_list_model_get_loading  (VpAccountListModel *self);
/* TRUE once the last page arrived (fewer rows than a page). */
gboolean            vp_account_list_model_get_complete (VpAccountListModel *self);
/* The last search error, or NULL. */
const GError       *vp_account_list_model_get_error    (VpAccountListModel *self);

G_END_DECLS
