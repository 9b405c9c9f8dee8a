/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for rtspheaders: the input is a header value as the
 * server sent it, up to the first NUL; what follows the NUL is a second
 * value (Content-Location next to a Content-Base).  Every parser runs on
 * it and the results are checked for the promises of rtspheaders.h.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "fuzz-split.h"

#include "rtspheaders.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *first, *second;
  ArclyRtspSessionHeader sh;
  ArclyRtspTransport tr;
  GArray *info;
  gchar *s;
  guint i;

  arcly_fuzz_split_at_nul (data, size, &first, &second);

  if (arcly_rtsp_headers_parse_session (first, &sh) != (sh.id != NULL))
    abort ();
  if (sh.timeout > 3600 || (sh.id && (*sh.id == '\0' || strchr (sh.id, ';'))))
    abort ();
  arcly_rtsp_session_header_clear (&sh);

  if (arcly_rtsp_headers_parse_transport (first, &tr) !=
      (tr.have_interleaved || tr.have_ssrc))
    abort ();
  if (!tr.have_interleaved && (tr.rtp_channel || tr.rtcp_channel))
    abort ();

  info = arcly_rtsp_headers_parse_rtp_info (first);
  if (info == NULL)
    abort ();
  for (i = 0; i < info->len; i++) {
    const ArclyRtspRtpInfo *e = &g_array_index (info, ArclyRtspRtpInfo, i);

    /* ',' and ';' survive only inside quotes */
    if (e->url && (strchr (e->url, ',') || strchr (e->url, ';'))
        && strchr (first, '"') == NULL)
      abort ();
    arcly_rtsp_headers_rtp_info_matches (e->url, second, second);
  }
  g_array_unref (info);

  s = arcly_rtsp_headers_base_url (first, second, "rtsp://cam:554/");
  if (s == NULL)
    abort ();
  g_free (s);

  g_free (first);
  g_free (second);
  return 0;
}
