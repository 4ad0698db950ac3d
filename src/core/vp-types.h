/* vp-types.h: forward declarations shared by every layer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Money is always an integer number of fen (0.01 CNY). Never a double. */
typedef gint64 VpMoney;

/* Gas and water volumes are integer litres (0.001 m³). */
typedef gint64 VpVolume;

#define VP_LITRES_PER_M3 1000

typedef enum
{
  VP_SERVICE_GAS,
  VP_SERVICE_WATER,
} VpServiceKind;

typedef enum
{
  VP_METER_PREPAID,
  VP_METER_POSTPAID,
} VpMeterType;

typedef enum
{
  VP_TARIFF_CLASS_RESIDENTIAL,
  VP_TARIFF_CLASS_COMMERCIAL,
  VP_TARIFF_CLASS_LOW_INCOME,
} VpTariffClass;

typedef enum
{
  VP_ACCOUNT_ACTIVE,
  VP_ACCOUNT_PROVISIONAL,
  VP_ACCOUNT_CLOSED,
} VpAccountStatus;

typedef enum
{
  VP_PAYMENT_CASH,
  VP_PAYMENT_CARD,
  VP_PAYMENT_MOBILE,
} VpPaymentMethod;

typedef enum
{
  VP_ROLE_OPERATOR,
  VP_ROLE_SUPERVISOR,
} VpRole;

typedef struct _VpTariff       VpTariff;
typedef struct _VpQuote        VpQuote;
typedef struct _VpJournalEntry VpJournalEntry;
typedef struct _VpSigner       VpSigner;

/* String forms used in the database, the CLI and the sync protocol. */
const char *vp_service_kind_to_string   (VpServiceKind    kind);
gboolean    vp_service_kind_from_string (const char      *str,
                                         VpServiceKind   *out);
const char *vp_meter_type_to_string     (VpMeterType      type);
gboolean    vp_meter_type_from_string   (const char      *str,
                                         VpMeterType     *out);
const char *vp_tariff_class_to_string   (VpTariffClass    klass);
gboolean    vp_tariff_class_from_string (const char      *str,
                                         VpTariffClass   *out);
const char *vp_account_status_to_string (VpAccountStatus  status);
gboolean    vp_account_status_from_string (const char    *str,
                                           VpAccountStatus *out);
const char *vp_payment_method_to_string (VpPaymentMethod  method);
gboolean    vp_payment_method_from_string (const char    *str,
                                           VpPaymentMethod *out);
const char *vp_role_to_string           (VpRole           role);
gboolean    vp_role_from_string         (const char      *str,
                                         VpRole          *out);

G_END_DECLS
