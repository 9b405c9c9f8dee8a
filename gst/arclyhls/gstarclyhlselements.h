/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ARCLYHLS_ELEMENTS_H__
#define __GST_ARCLYHLS_ELEMENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (arclyhls_debug);

/* ARCLY-ELEMENT-DECLS-BEGIN */
GST_ELEMENT_REGISTER_DECLARE (arclytsmux);
GST_ELEMENT_REGISTER_DECLARE (arclyfmp4mux);
GST_ELEMENT_REGISTER_DECLARE (arclyhlssink);
/* ARCLY-ELEMENT-DECLS-END */

G_END_DECLS

#endif /* __GST_ARCLYHLS_ELEMENTS_H__ */
