/* vp-payload.c: reading a signed payload's members (vp-payload-private.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "vp-payload-private.h"

#include <glib/gi18n-lib.h>

#include "vp-journal-entry.h"

gboolean
vp_payload_bad (GError    **error,
                const char *kind,
                const char *member,
                const char *what)
{
  g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID,
               _("%s payload: “%s” %s"), kind, member, what);
  return FALSE;
}

gboolean
vp_payload_int (JsonObject *o,
                const char *kind,
                const char *member,
                gboolean    required,
                gint64      min,
                gint64      max,
                gint64     *out,
                GError    **error)
{
  JsonNode *n = json_object_get_member (o, member);
  gint64 v;

  if (out)
    *out = 0;
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return required ? vp_payload_bad (error, kind, member, _("is missing")) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return vp_payload_bad (error, kind, member, _("is not an integer"));
  v = json_node_get_int (n);
  if (v < min || v > max)
    return vp_payload_bad (error, kind, member, _("is out of range"));
  if (out)
    *out = v;
  return TRUE;
}

gboolean
vp_payload_str (JsonObject  *o,
                const char  *kind,
                const char  *member,
                gboolean     required,
                const char **out,
                GError     **error)
{
  JsonNode *n = json_object_get_member (o, member);

  *out = NULL;
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return required ? vp_payload_bad (error, kind, member, _("is missing")) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return vp_payload_bad (error, kind, member, _("is not a string"));
  *out = json_node_get_string (n);
  return TRUE;
}
