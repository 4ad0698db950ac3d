/* vp-store-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-store"

#include "config.h"

#include <string.h>

#include "vp-store-types.h"
#include "vp-figures.h"

VpStaff *
vp_staff_copy (const VpStaff *staff)
{
  VpStaff *copy;

  if (staff == NULL)
    return NULL;
  copy = g_new0 (VpStaff, 1);
  copy->id = g_strdup (staff->id);
  copy->name = g_strdup (staff->name);
  copy->role = staff->role;
  return copy;
}

void
vp_staff_free (VpStaff *staff)
{
  if (staff == NULL)
    return;
  g_free (staff->id);
  g_free (staff->name);
  g_free (staff);
}

void
vp_account_free (VpAccount *a)
{
  if (a == NULL)
    return;
  g_free (a->number);
  g_free (a->holder);
  g_free (a->holder_initials);
  g_free (a->phone);
  g_free (a->id_number);
  g_free (a->estate);
  g_free (a->building);
  g_free (a->unit);
  g_free (a->room);
  g_free (a->address);
  g_free (a->concession_expiry);
  g_free (a->card_number);
  g_free (a);
}

VpAccount *
vp_account_copy (const VpAccount *a)
{
  VpAccount *c;

  if (a == NULL)
    return NULL;
  c = g_memdup2 (a, sizeof *a);
  c->number = g_strdup (a->number);
  c->holder = g_strdup (a->holder);
  c->holder_initials = g_strdup (a->holder_initials);
  c->phone = g_strdup (a->phone);
  c->id_number = g_strdup (a->id_number);
  c->estate = g_strdup (a->estate);
  c->building = g_strdup (a->building);
  c->unit = g_strdup (a->unit);
  c->room = g_strdup (a->room);
  c->address = g_strdup (a->address);
  c->concession_expiry = g_strdup (a->concession_expiry);
  c->card_number = g_strdup (a->card_number);
  return c;
}

void
vp_bill_free (VpBill *bill)
{
  if (bill == NULL)
    return;
  g_free (bill->period);
  g_free (bill);
}

void
vp_shift_totals_clear (VpShiftTotals *totals)
{
  g_clear_pointer (&totals->opened_by, g_free);
  g_clear_pointer (&totals->figures, vp_figures_free);
}

gboolean
vp_account_concession_valid (const VpAccount *account,
                             const char      *date)
{
  if (account->tariff_class != VP_TARIFF_CLASS_LOW_INCOME)
    return FALSE;
  if (account->concession_expiry == NULL || *account->concession_expiry == '\0')
    return FALSE;
  /* yyyy-mm-dd strings compare in date order. */
  return strcmp (date, account->concession_expiry) <= 0;
}
