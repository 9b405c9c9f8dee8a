/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * SDP → tracks and application/x-rtp caps; see rtspsdp.h.
 *
 * Faults repaired before GstSDPMessage sees the text (all seen in cameras
 * and restreamers in the field):
 *  - "c=IN c=IN IP4 1.2.3.4": the connection line written twice into one;
 *    the text after the last "c=" is kept.
 *  - "o=- 1 1 IN 1.2.3.4": the origin without its address type; IP4 (or
 *    IP6 for an address with ':') is inserted.
 *  - no v= or no s= line: "v=0" / "s=-" are added.
 *  - bare LF or CR line ends, blank lines, leading blanks, lines that are no
 *    "x=" type at all: normalised / dropped.
 * After parsing, fmtp keys are lower-cased ("SizeLength" → "sizelength",
 * RFC 3640 §4.1 says they are case-insensitive) and sprop-parameter-sets
 * (H.264) or sprop-vps/sprop-sps/sprop-pps/sprop-sei (H.265, RFC 7798
 * §7.1) whose NAL units carry Annex-B start codes are re-encoded without
 * them: some cameras base64 their whole Annex-B header blob.
 */

#include "rtspsdp.h"

#include <gio/gio.h>
#include <gst/sdp/gstsdpmessage.h>
#include <string.h>

static gboolean
is_type_line (const gchar * line)
{
  return g_ascii_isalpha (line[0]) && line[1] == '=';
}

static gchar *
fix_connection (const gchar * line)
{
  const gchar *last = line + 2, *p;

  while ((p = strstr (last, "c=")) != NULL)
    last = p + 2;
  while (*last == ' ' || *last == '\t')
    last++;
  return g_strconcat ("c=", last, NULL);
}

static gchar *
fix_origin (const gchar * line)
{
  gchar **f = g_strsplit_set (line + 2, " \t", -1);
  GPtrArray *words = g_ptr_array_new ();
  gchar *out;
  guint i;

  for (i = 0; f[i]; i++) {
    if (f[i][0] != '\0')
      g_ptr_array_add (words, f[i]);
  }
  if (words->len == 5 && g_ascii_strcasecmp (words->pdata[3], "IN") == 0) {
    const gchar *addr = words->pdata[4];

    out = g_strdup_printf ("o=%s %s %s IN %s %s", (gchar *) words->pdata[0],
        (gchar *) words->pdata[1], (gchar *) words->pdata[2],
        strchr (addr, ':') ? "IP6" : "IP4", addr);
  } else if (words->len < 6) {
    out = g_strdup ("o=- 0 0 IN IP4 0.0.0.0");
  } else {
    gchar *joined;

    g_ptr_array_add (words, NULL);
    joined = g_strjoinv (" ", (gchar **) words->pdata);
    out = g_strconcat ("o=", joined, NULL);
    g_free (joined);
  }
  g_ptr_array_free (words, TRUE);
  g_strfreev (f);
  return out;
}

gchar *
arcly_rtsp_sdp_clean (const guint8 * data, gsize len)
{
  gchar *text = data ? g_strndup ((const gchar *) data, len) : g_strdup ("");
  gchar **lines;
  GString *out = g_string_new (NULL);
  gboolean have_v = FALSE, have_s = FALSE, in_media = FALSE;
  gssize s_insert = -1;
  guint i;

  /* Embedded NULs end the text (g_strndup); normalise line ends. */
  g_strdelimit (text, "\r", '\n');
  lines = g_strsplit (text, "\n", -1);
  g_free (text);

  for (i = 0; lines[i]; i++) {
    gchar *line = g_strstrip (lines[i]);
    gchar *fixed = NULL;

    if (!is_type_line (line))
      continue;
    switch (line[0]) {
      case 'v':
        if (have_v || in_media)
          continue;
        have_v = TRUE;
        break;
      case 's':
        if (in_media)
          continue;
        have_s = TRUE;
        break;
      case 'c':
        fixed = fix_connection (line);
        break;
      case 'o':
        if (in_media)
          continue;
        fixed = fix_origin (line);
        break;
      case 'm':
        if (!in_media && s_insert < 0)
          s_insert = out->len;
        in_media = TRUE;
        break;
      default:
        break;
    }
    g_string_append (out, fixed ? fixed : line);
    g_string_append (out, "\r\n");
    g_free (fixed);
    if (line[0] == 'o' && s_insert < 0)
      s_insert = out->len;
  }
  g_strfreev (lines);

  if (!have_s) {
    if (s_insert < 0)
      s_insert = out->len;
    g_string_insert (out, s_insert, "s=-\r\n");
  }
  if (!have_v)
    g_string_prepend (out, "v=0\r\n");
  return g_string_free (out, FALSE);
}

/* Appends @nal (without start codes) base64-encoded to @out, comma-separated. */
static void
append_nal_b64 (GString * out, const guint8 * nal, gsize len)
{
  gchar *b64;

  while (len > 0 && nal[len - 1] == 0)
    len--;                      /* trailing zero bytes of a next start code */
  if (len == 0)
    return;
  b64 = g_base64_encode (nal, len);
  if (out->len)
    g_string_append_c (out, ',');
  g_string_append (out, b64);
  g_free (b64);
}

gchar *
arcly_rtsp_sdp_fix_sprop (const gchar * value)
{
  gchar **parts = g_strsplit (value, ",", -1);
  GString *out = g_string_new (NULL);
  guint i;

  for (i = 0; parts[i]; i++) {
    gchar *p = g_strstrip (parts[i]);
    gsize n = 0, k, start;
    guchar *bin;

    if (*p == '\0')
      continue;
    bin = g_base64_decode (p, &n);
    /* Split at every 00 00 01 (a 00 00 00 01 leaves a trailing zero on the
     * previous unit, trimmed by append_nal_b64). */
    start = 0;
    k = 0;
    while (k + 3 <= n) {
      if (bin[k] == 0 && bin[k + 1] == 0 && bin[k + 2] == 1) {
        if (k > start)
          append_nal_b64 (out, bin + start, k - start);
        k += 3;
        start = k;
      } else {
        k++;
      }
    }
    if (n > start)
      append_nal_b64 (out, bin + start, n - start);
    g_free (bin);
  }
  g_strfreev (parts);
  return g_string_free (out, FALSE);
}

/* "pt rest" → rest, when the attribute value is for payload @pt. */
static const gchar *
attr_for_pt (const GstSDPMedia * media, const gchar * key, guint pt)
{
  guint i;

  for (i = 0;; i++) {
    const gchar *v = gst_sdp_media_get_attribute_val_n (media, key, i);
    gchar *end = NULL;
    guint64 n;

    if (v == NULL)
      return NULL;
    n = g_ascii_strtoull (v, &end, 10);
    if (end != v && n == pt && (*end == ' ' || *end == '\t')) {
      while (*end == ' ' || *end == '\t')
        end++;
      return end;
    }
  }
}

static gboolean
static_payload (guint pt, const gchar ** name, guint * rate)
{
  switch (pt) {
    case 0:
      *name = "PCMU";
      *rate = 8000;
      return TRUE;
    case 8:
      *name = "PCMA";
      *rate = 8000;
      return TRUE;
    case 14:
      *name = "MPA";
      *rate = 90000;
      return TRUE;
    case 26:
      *name = "JPEG";
      *rate = 90000;
      return TRUE;
    case 33:
      *name = "MP2T";
      *rate = 90000;
      return TRUE;
    default:
      return FALSE;
  }
}

static gboolean
valid_key (const gchar * key)
{
  const gchar *p;

  if (!g_ascii_isalpha (key[0]))
    return FALSE;
  for (p = key; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  }
  return strcmp (key, "media") && strcmp (key, "payload")
      && strcmp (key, "clock-rate") && strcmp (key, "encoding-name")
      && strcmp (key, "encoding-params");
}

static gboolean
valid_value (const gchar * v)
{
  if (!g_utf8_validate (v, -1, NULL))
    return FALSE;
  for (; *v; v++) {
    if ((guchar) * v < 0x20 || (guchar) * v == 0x7f)
      return FALSE;
  }
  return TRUE;
}

/* Each new fmtp key becomes a GQuark, which is never freed: bound what a
 * hostile SDP can add. */
#define MAX_FMTP_PARAMS 32
#define MAX_FMTP_KEY 48

/* fmtp keys holding comma-separated base64 NAL units */
static gboolean
is_sprop_nal_key (const gchar * key)
{
  return strcmp (key, "sprop-parameter-sets") == 0
      || strcmp (key, "sprop-vps") == 0 || strcmp (key, "sprop-sps") == 0
      || strcmp (key, "sprop-pps") == 0 || strcmp (key, "sprop-sei") == 0;
}

static void
add_fmtp (GstStructure * s, const gchar * fmtp)
{
  gchar **params = g_strsplit (fmtp, ";", MAX_FMTP_PARAMS + 1);
  guint i;

  for (i = 0; params[i] && i < MAX_FMTP_PARAMS; i++) {
    gchar *p = g_strstrip (params[i]);
    gchar *eq = strchr (p, '=');
    gchar *key, *val;

    if (eq == NULL)
      continue;
    *eq = '\0';
    key = g_ascii_strdown (g_strstrip (p), -1);
    val = g_strstrip (eq + 1);
    if (strlen (key) <= MAX_FMTP_KEY && valid_key (key) && valid_value (val)) {
      if (is_sprop_nal_key (key)) {
        gchar *fixed = arcly_rtsp_sdp_fix_sprop (val);

        if (*fixed)
          gst_structure_set (s, key, G_TYPE_STRING, fixed, NULL);
        g_free (fixed);
      } else {
        gst_structure_set (s, key, G_TYPE_STRING, val, NULL);
      }
    }
    g_free (key);
  }
  g_strfreev (params);
}

static ArclyRtspTrack *
track_from_media (const GstSDPMedia * media, guint index)
{
  const gchar *type = gst_sdp_media_get_media (media);
  const gchar *fmt, *rtpmap, *fmtp, *control;
  ArclyRtspTrackType ttype;
  ArclyRtspTrack *t;
  gchar *name = NULL, *params = NULL, *end = NULL;
  guint64 pt, rate = 0;
  GstStructure *s;

  if (type == NULL)
    return NULL;
  if (g_ascii_strcasecmp (type, "video") == 0)
    ttype = ARCLY_RTSP_TRACK_VIDEO;
  else if (g_ascii_strcasecmp (type, "audio") == 0)
    ttype = ARCLY_RTSP_TRACK_AUDIO;
  else
    return NULL;
  if (gst_sdp_media_formats_len (media) == 0)
    return NULL;
  fmt = gst_sdp_media_get_format (media, 0);
  if (fmt == NULL)
    return NULL;
  pt = g_ascii_strtoull (fmt, &end, 10);
  if (end == fmt || *end != '\0' || pt > 127)
    return NULL;

  rtpmap = attr_for_pt (media, "rtpmap", (guint) pt);
  if (rtpmap != NULL) {
    gchar **f = g_strsplit (rtpmap, "/", 3);

    if (f[0] && f[1]) {
      gchar *n = g_strstrip (f[0]);

      name = *n && valid_value (n) ? g_ascii_strup (n, -1) : NULL;
      rate = g_ascii_strtoull (f[1], NULL, 10);
      if (f[2] && *g_strstrip (f[2]))
        params = g_strdup (f[2]);
    }
    g_strfreev (f);
  }
  if (name == NULL || rate == 0 || rate > G_MAXINT) {
    const gchar *sname;
    guint srate;

    g_free (name);
    name = NULL;
    if (!static_payload ((guint) pt, &sname, &srate)) {
      g_free (params);
      return NULL;
    }
    name = g_strdup (sname);
    rate = srate;
  }

  t = g_new0 (ArclyRtspTrack, 1);
  t->type = ttype;
  t->index = index;
  t->pt = (guint) pt;
  t->encoding_name = name;
  t->clock_rate = (guint) rate;
  control = gst_sdp_media_get_attribute_val (media, "control");
  t->control = control ? g_strstrip (g_strdup (control)) : NULL;

  s = gst_structure_new ("application/x-rtp",
      "media", G_TYPE_STRING, ttype == ARCLY_RTSP_TRACK_VIDEO ? "video" :
      "audio", "payload", G_TYPE_INT, (gint) pt,
      "clock-rate", G_TYPE_INT, (gint) rate,
      "encoding-name", G_TYPE_STRING, name, NULL);
  if (params && valid_value (params))
    gst_structure_set (s, "encoding-params", G_TYPE_STRING, params, NULL);
  fmtp = attr_for_pt (media, "fmtp", (guint) pt);
  if (fmtp)
    add_fmtp (s, fmtp);
  t->caps = gst_caps_new_full (s, NULL);
  g_free (params);
  return t;
}

GPtrArray *
arcly_rtsp_sdp_parse (const guint8 * data, gsize len,
    gchar ** session_control, GError ** error)
{
  GstSDPMessage *msg = NULL;
  gchar *clean;
  GPtrArray *tracks;
  const gchar *ctrl;
  guint i;

  if (session_control)
    *session_control = NULL;
  clean = arcly_rtsp_sdp_clean (data, len);
  if (gst_sdp_message_new (&msg) != GST_SDP_OK
      || gst_sdp_message_parse_buffer ((const guint8 *) clean, strlen (clean),
          msg) != GST_SDP_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "SDP could not be parsed");
    if (msg)
      gst_sdp_message_free (msg);
    g_free (clean);
    return NULL;
  }
  g_free (clean);

  tracks = g_ptr_array_new_with_free_func ((GDestroyNotify)
      arcly_rtsp_track_free);
  for (i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    ArclyRtspTrack *t = track_from_media (gst_sdp_message_get_media (msg, i),
        i);

    if (t)
      g_ptr_array_add (tracks, t);
  }
  ctrl = gst_sdp_message_get_attribute_val (msg, "control");
  if (session_control && ctrl)
    *session_control = g_strstrip (g_strdup (ctrl));
  gst_sdp_message_free (msg);
  return tracks;
}

void
arcly_rtsp_track_free (ArclyRtspTrack * track)
{
  if (track == NULL)
    return;
  g_free (track->encoding_name);
  g_free (track->control);
  if (track->caps)
    gst_caps_unref (track->caps);
  g_free (track);
}
