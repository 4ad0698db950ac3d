/* vp-core.h: umbrella header for src/core.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"
#include "vp-money.h"
#include "vp-account-number.h"
#include "vp-validate.h"
#include "vp-pinyin.h"
#include "vp-tariff.h"
#include "vp-signer.h"
#include "vp-journal-entry.h"
#include "vp-journal-ledger.h"
#include "vp-entry-rules.h"
#include "vp-pin.h"
#include "vp-receipt.h"
#include "vp-receipt-check.h"
