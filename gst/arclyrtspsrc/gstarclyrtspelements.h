/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ARCLYRTSP_ELEMENTS_H__
#define __GST_ARCLYRTSP_ELEMENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (arclyrtsp_debug);

/* ARCLY-ELEMENT-DECLS-BEGIN */
GST_ELEMENT_REGISTER_DECLARE (arclyrtspsrc);
GST_ELEMENT_REGISTER_DECLARE (arclyaacdepay);
GST_ELEMENT_REGISTER_DECLARE (arclyh264depay);
GST_ELEMENT_REGISTER_DECLARE (arclyh265depay);
/* ARCLY-ELEMENT-DECLS-END */

G_END_DECLS

#endif /* __GST_ARCLYRTSP_ELEMENTS_H__ */
