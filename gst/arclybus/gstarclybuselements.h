/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ARCLYBUS_ELEMENTS_H__
#define __GST_ARCLYBUS_ELEMENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (arclybus_debug);

/* ARCLY-ELEMENT-DECLS-BEGIN */
GST_ELEMENT_REGISTER_DECLARE (arclybus);
GST_ELEMENT_REGISTER_DECLARE (arclybussink);
GST_ELEMENT_REGISTER_DECLARE (arclybussrc);
/* ARCLY-ELEMENT-DECLS-END */

G_END_DECLS

#endif /* __GST_ARCLYBUS_ELEMENTS_H__ */
