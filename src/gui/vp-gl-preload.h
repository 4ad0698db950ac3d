/* vp-gl-preload.h: loads the GL driver on a thread while GTK starts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VpGlPreload VpGlPreload;

/* Starts the thread; NULL if there is nothing to preload (GL disabled,
 * VANPOS_NO_GL_PRELOAD set). Call before gtk_init(). */
VpGlPreload *vp_gl_preload_start   (void);
/* The toolkit holds the driver now (its first frame is painted): the
 * thread lets its own hold go and ends. NULL is a no-op. */
void         vp_gl_preload_release (VpGlPreload *self);
/* Releases, waits for the thread and frees. NULL is a no-op. */
void         vp_gl_preload_free    (VpGlPreload *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpGlPreload, vp_gl_preload_free)

G_END_DECLS
