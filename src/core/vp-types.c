/* vp-types.c: string forms of the shared enums.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vp-types.h"

/* The strings are part of the database schema and the sync protocol;
 * changing one is a migration, not a refactor. */

static const char * const service_kind_names[] = { "gas", "water" };
static const char * const meter_type_names[] = { "prepaid", "postpaid" };
static const char * const tariff_class_names[] = { "residential", "commercial", "low_income" };
static const char * const account_status_names[] = { "active", "provisional", "closed" };
static const char * const payment_method_names[] = { "cash", "card", "mobile" };
static const char * const role_names[] = { "operator", "supervisor" };

static const char *
name_of (const char * const *names,
         guint               n_names,
         int                 value)
{
  if (value < 0 || (guint) value >= n_names)
    return NULL;
  return names[value];
}

static gboolean
value_of (const char * const *names,
          guint               n_names,
          const char         *str,
          int                *out)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < n_names; i++)
    {
      if (g_str_equal (names[i], str))
        {
          *out = (int) i;
          return TRUE;
        }
    }

  return FALSE;
}

#define DEFINE_ENUM_STRINGS(prefix, Type, names)                         \
  const char *                                                           \
  prefix##_to_string (Type value)                                        \
  {                                                                      \
    const char *name = name_of (names, G_N_ELEMENTS (names), (int) value); \
    g_return_val_if_fail (name != NULL, NULL);                           \
    return name;                                                         \
  }                                                                      \
                                                                         \
  gboolean                                                               \
  prefix##_from_string (const char *str,                                 \
                        Type       *out)                                 \
  {                                                                      \
    int value;                                                           \
    g_return_val_if_fail (out != NULL, FALSE);                           \
    if (!value_of (names, G_N_ELEMENTS (names), str, &value))            \
      return FALSE;                                                      \
    *out = (Type) value;                                                 \
    return TRUE;                                                         \
  }

DEFINE_ENUM_STRINGS (vp_service_kind, VpServiceKind, service_kind_names)
DEFINE_ENUM_STRINGS (vp_meter_type, VpMeterType, meter_type_names)
DEFINE_ENUM_STRINGS (vp_tariff_class, VpTariffClass, tariff_class_names)
DEFINE_ENUM_STRINGS (vp_account_status, VpAccountStatus, account_status_names)
DEFINE_ENUM_STRINGS (vp_payment_method, VpPaymentMethod, payment_method_names)
DEFINE_ENUM_STRINGS (vp_role, VpRole, role_names)
