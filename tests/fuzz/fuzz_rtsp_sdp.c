/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for SDP → tracks/caps (rtspsdp.c): every caps built must
 * be fixed and survive serialisation.
 */

#include <stdint.h>
#include <gst/gst.h>

#include "rtspsdp.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean inited = FALSE;
  GPtrArray *tracks;
  gchar *ctrl = NULL;
  guint i;

  if (!inited) {
    gst_init (NULL, NULL);
    inited = TRUE;
  }
  tracks = arcly_rtsp_sdp_parse (data, size, &ctrl, NULL);
  if (tracks) {
    for (i = 0; i < tracks->len; i++) {
      ArclyRtspTrack *t = g_ptr_array_index (tracks, i);
      gchar *s = gst_caps_to_string (t->caps);
      GstCaps *back = gst_caps_from_string (s);

      g_assert (gst_caps_is_fixed (t->caps));
      g_assert (back != NULL);
      gst_caps_unref (back);
      g_free (s);
    }
    g_ptr_array_unref (tracks);
  }
  g_free (ctrl);
  return 0;
}
