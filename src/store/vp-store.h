/* vp-store.h: umbrella header for src/store.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-database.h"
#include "vp-anchor.h"
#include "vp-store-types.h"
#include "vp-journal-store.h"
#include "vp-staff-store.h"
#include "vp-account-store.h"
#include "vp-bill-store.h"
#include "vp-topup-store.h"
#include "vp-shift-store.h"
#include "vp-service-log-store.h"
#include "vp-report-store.h"
#include "vp-figures.h"
#include "vp-cash-store.h"
#include "vp-limits.h"
#include "vp-demo.h"
#include "vp-print-queue-store.h"
#include "vp-receipt-store.h"
