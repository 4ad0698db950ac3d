/* vp-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VP_TYPE_APPLICATION (vp_application_get_type ())
G_DECLARE_FINAL_TYPE (VpApplication, vp_application, VP, APPLICATION, AdwApplication)

VpApplication *vp_application_new (void);

G_END_DECLS
