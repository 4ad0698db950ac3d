/* vp-sync.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-sync"

#include "config.h"

#include <string.h>

#include "vp-card-record.h"
#include "vp-journal-store.h"
#include "vp-receipt-store.h"
#include "vp-sync.h"

VpSyncResult *
vp_sync_result_new (void)
{
  VpSyncResult *r = g_new0 (VpSyncResult, 1);

  r->conflict_details = g_ptr_array_new_with_free_func ((GDestroyNotify)vp_push_outcome_free);
  return r;
}

void
vp_sync_result_free (VpSyncResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->conflict_details, g_ptr_array_unref);
  g_free (result->drift_warning);
  g_free (result);
}

JsonNode *
vp_sync_result_to_json (const VpSyncResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

#define I(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
  json_builder_begin_object (b);
  I ("pushed", r->pushed);
  I ("accepted", r->accepted);
  I ("duplicates", r->duplicates);
  I ("conflicts", r->conflicts);
  I ("rejected", r->rejected);
  I ("resent", r->resent);
  I ("resent_from", r->resent_from);
  json_builder_set_member_name (b, "conflict_details");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->conflict_details->len; i++)
    {
      VpPushOutcome *o = g_ptr_array_index (r->conflict_details, i);

      json_builder_begin_object (b);
      I ("seq", o->seq);
      json_builder_set_member_name (b, "uuid");
      json_builder_add_string_value (b, o->uuid);
      json_builder_set_member_name (b, "detail");
      json_builder_add_string_value (b, o->detail ? o->detail : "");
      json_builder_set_member_name (b, "outcome");
      json_builder_add_string_value (b, o->outcome ? o->outcome : "conflict");
      I ("credit", o->credit);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  I ("acked_seq", r->acked_seq);
  I ("pending", r->pending);
  json_builder_set_member_name (b, "hq_totals");
  json_builder_begin_object (b);
  I ("entries", r->hq_entries);
  I ("amount", r->hq_amount);
  json_builder_end_object (b);
  I ("accounts_renamed", r->accounts_renamed);
  json_builder_set_member_name (b, "master");
  json_builder_begin_object (b);
  I ("pages", r->master_pages);
  I ("accounts", r->master.accounts);
  I ("balances_kept", r->master.balances_kept);
  I ("bills", r->master.bills);
  I ("tariffs", r->master.tariffs);
  I ("staff", r->master.staff);
  I ("blocked_cards", r->master.blocked_cards);
  I ("renamed", r->master.renamed);
  json_builder_end_object (b);
  I ("hq_time", r->hq_time);
  I ("drift_ms", r->drift_ms);
  json_builder_set_member_name (b, "drift_warning");
  if (r->drift_warning)
    json_builder_add_string_value (b, r->drift_warning);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, r->seconds);
  json_builder_end_object (b);
#undef I
  return json_builder_get_root (b);
}

VpSyncClient *
vp_sync_client_new_for_database (VpDatabase  *db,
                                 GError     **error)
{
  g_autoptr(VpSyncConfig) config = NULL;

  g_return_val_if_fail (VP_IS_DATABASE (db), NULL);

  if (!vp_database_is_initialized (db))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "This database has no van identity; run “vanpos-cli init --van VAN” first");
      return NULL;
    }
  config = vp_sync_store_get_config (db);
  return vp_sync_client_new (config, error);
}

/* --- provisioning bundle ------------------------------------------------- */

static char *
read_bundle_file (const char  *dir,
                  const char  *name,
                  gsize       *len,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *data = NULL;

  if (!g_file_get_contents (path, &data, len, NULL))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "The bundle %s has no readable %s", dir, name);
      return NULL;
    }
  return data;
}

static gboolean
copy_private (const char  *data,
              gsize        len,
              const char  *dest,
              GError     **error)
{
  g_autoptr(GError) local = NULL;

  if (!g_file_set_contents_full (dest, data, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "Could not write %s: %s", dest, local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
vp_sync_setup_from_bundle (VpDatabase  *db,
                           const char  *bundle_dir,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  g_autoptr(VpSyncConfig) check = g_new0 (VpSyncConfig, 1);
  g_autoptr(VpSyncConfig) config = g_new0 (VpSyncConfig, 1);
  g_autoptr(VpSyncClient) client = NULL;
  g_autofree char *hq_json = NULL, *ca = NULL, *cert = NULL, *key = NULL, *card_key = NULL;
  g_autofree char *card_keys = NULL, *card_keys_norm = NULL;
  gsize hq_len, ca_len, cert_len, key_len, card_len;
  JsonObject *o;
  const char *van, *url, *pins, *check_url;
  g_autofree char *lower = NULL;
  char *k;

  g_return_val_if_fail (VP_IS_DATABASE (db), FALSE);

  if (!vp_database_is_initialized (db))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "This database has no van identity; run “vanpos-cli init --van VAN” first");
      return FALSE;
    }
  if ((hq_json = read_bundle_file (bundle_dir, "hq.json", &hq_len, error)) == NULL ||
      (ca = read_bundle_file (bundle_dir, "ca.crt", &ca_len, error)) == NULL ||
      (cert = read_bundle_file (bundle_dir, "client.crt", &cert_len, error)) == NULL ||
      (key = read_bundle_file (bundle_dir, "client.key", &key_len, error)) == NULL)
    return FALSE;
  {
    g_autofree char *keys_path = g_build_filename (bundle_dir, "card-keys", NULL);

    if (g_file_test (keys_path, G_FILE_TEST_EXISTS))
      {
        g_auto(VpCardKeyring) ring = { 0 };

        if ((card_keys = read_bundle_file (bundle_dir, "card-keys", &card_len, error)) == NULL)
          return FALSE;
        vp_card_keyring_init (&ring);
        if (!vp_card_keyring_add_masters_text (&ring, card_keys, &local))
          {
            g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                         "%s/card-keys: %s", bundle_dir, local->message);
            return FALSE;
          }
        card_keys_norm = vp_card_keyring_masters_to_text (&ring);
      }
    else if ((card_key = read_bundle_file (bundle_dir, "card.key", &card_len, error)) == NULL)
      {
        g_prefix_error (error, "%s", "No card-keys either: ");
        return FALSE;
      }
  }

  if (!json_parser_load_from_data (parser, hq_json, hq_len, &local) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "%s/hq.json is not a JSON object%s%s", bundle_dir,
                   local ? ": " : "", local ? local->message : "");
      return FALSE;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  van = json_object_get_string_member_with_default (o, "van", NULL);
  url = json_object_get_string_member_with_default (o, "url", NULL);
  pins = json_object_get_string_member_with_default (o, "pins", NULL);
  if (van == NULL || url == NULL || pins == NULL)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "%s/hq.json needs the strings “van”, “url” and “pins”", bundle_dir);
      return FALSE;
    }
  /* Optional: the utility's public receipt check (vp-receipt-check.h),
   * printed as a QR code on every receipt. */
  check_url = json_object_get_string_member_with_default (o, "receipt_check_url", NULL);
  if (check_url != NULL && *check_url != '\0' &&
      !vp_receipt_check_base_validate (check_url, &local))
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "%s/hq.json: receipt_check_url: %s", bundle_dir, local->message);
      return FALSE;
    }
  if (g_strcmp0 (van, vp_database_get_van_id (db)) != 0)
    {
      g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
                   "The bundle is for van %s, but this database is van %s", van,
                   vp_database_get_van_id (db));
      return FALSE;
    }
  if (card_key != NULL)
    {
      k = g_strstrip (card_key);
      if (strlen (k) != 64)
        goto bad_card_key;
      for (const char *p = k; *p; p++)
        if (!g_ascii_isxdigit (*p))
          goto bad_card_key;
      lower = g_ascii_strdown (k, -1);
    }

  /* Check the settings against the bundle's own files before copying. */
  check->van = g_strdup (van);
  check->url = g_strdup (url);
  check->pins = g_strdup (pins);
  check->ca_path = g_build_filename (bundle_dir, "ca.crt", NULL);
  check->cert_path = g_build_filename (bundle_dir, "client.crt", NULL);
  check->key_path = g_build_filename (bundle_dir, "client.key", NULL);
  client = vp_sync_client_new (check, error);
  if (client == NULL)
    return FALSE;

  config->van = g_strdup (van);
  config->url = g_strdup (url);
  config->pins = g_strdup (pins);
  config->ca_path = g_strdup_printf ("%s.hq-ca.crt", vp_database_get_path (db));
  config->cert_path = g_strdup_printf ("%s.hq-client.crt", vp_database_get_path (db));
  config->key_path = g_strdup_printf ("%s.hq-client.key", vp_database_get_path (db));
  if (!copy_private (ca, ca_len, config->ca_path, error) ||
      !copy_private (cert, cert_len, config->cert_path, error) ||
      !copy_private (key, key_len, config->key_path, error))
    return FALSE;
  memset (key, 0, key_len);
  if (!vp_sync_store_set_config (db, config, lower, card_keys_norm, error))
    return FALSE;
  return check_url == NULL || vp_receipt_store_set_check_url (db, check_url, error);

bad_card_key:
  g_set_error (error, VP_SYNC_ERROR, VP_SYNC_ERROR_NOT_CONFIGURED,
               "%s/card.key must hold 32 bytes as 64 hex digits", bundle_dir);
  return FALSE;
}
