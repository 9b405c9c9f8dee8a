/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __RESTREAM_RTSP_H__
#define __RESTREAM_RTSP_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _RestreamRtsp RestreamRtsp;

RestreamRtsp *restream_rtsp_new (const gchar * address, guint port,
    gboolean shared, const gchar * user, const gchar * password);
gboolean restream_rtsp_add_camera (RestreamRtsp * rtsp, const gchar * name);
gboolean restream_rtsp_start (RestreamRtsp * rtsp, GError ** error);
guint restream_rtsp_get_port (RestreamRtsp * rtsp);
gchar *restream_rtsp_get_url (RestreamRtsp * rtsp, const gchar * host,
    const gchar * name);
void restream_rtsp_free (RestreamRtsp * rtsp);

G_END_DECLS

#endif
