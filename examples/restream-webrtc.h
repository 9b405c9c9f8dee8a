/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __RESTREAM_WEBRTC_H__
#define __RESTREAM_WEBRTC_H__

#include <gst/gst.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _RestreamWebrtc RestreamWebrtc;

/* Whether stream key @name may be played (@publish FALSE: a camera or a
 * WHIP key) or published by WHIP (@publish TRUE). */
typedef gboolean (*RestreamWebrtcKeyFunc) (const gchar * name,
    gboolean publish, gpointer user_data);

RestreamWebrtc *restream_webrtc_new (const gchar * stun_server,
    const gchar * public_ip, const gchar * whip_token,
    RestreamWebrtcKeyFunc key_func, gpointer user_data);
gboolean restream_webrtc_handle (RestreamWebrtc * webrtc,
    SoupServerMessage * msg, const gchar * path);
guint restream_webrtc_get_n_sessions (RestreamWebrtc * webrtc);
void restream_webrtc_free (RestreamWebrtc * webrtc);

G_END_DECLS

#endif
