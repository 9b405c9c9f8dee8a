/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the RTSP wire parser: the input is a byte stream
 * from a server.  The first byte picks a read size, and the stream is fed in
 * reads of that size, as the element does, so splits are fuzzed too.
 * Skipped junk goes through the classifier the client uses to recognise a
 * reply that is not RTSP.
 */

#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "rtspwire.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GByteArray *buf;
  gsize chunk, fed = 0;
  ArclyRtspWireMessage msg;

  if (size < 1)
    return 0;
  chunk = 1 + data[0] % 64;
  data++;
  size--;
  buf = g_byte_array_new ();
  for (;;) {
    gsize consumed = 0;
    ArclyRtspWireResult r = arcly_rtsp_wire_parse (buf->data, buf->len, &msg,
        &consumed);

    if (r == ARCLY_RTSP_WIRE_MESSAGE || r == ARCLY_RTSP_WIRE_SKIP) {
      g_assert (consumed > 0 && consumed <= buf->len);
      if (r == ARCLY_RTSP_WIRE_MESSAGE && msg.kind != ARCLY_RTSP_WIRE_KIND_FRAME) {
        gchar **all = arcly_rtsp_wire_dup_headers (&msg, "www-authenticate");
        gchar *v = arcly_rtsp_wire_dup_header (&msg, "session");

        (void) arcly_rtsp_wire_get_cseq (&msg);
        g_assert (msg.body_len <= ARCLY_RTSP_WIRE_MAX_BODY);
        g_strfreev (all);
        g_free (v);
      }
      if (r == ARCLY_RTSP_WIRE_SKIP)
        (void) arcly_rtsp_wire_classify_junk (buf->data, buf->len);
      g_byte_array_remove_range (buf, 0, consumed);
    } else if (r == ARCLY_RTSP_WIRE_ERROR) {
      break;
    } else {
      gsize n;

      g_assert (consumed == 0);
      if (fed >= size)
        break;
      n = MIN (chunk, size - fed);
      g_byte_array_append (buf, data + fed, n);
      fed += n;
    }
  }
  g_byte_array_unref (buf);
  return 0;
}
