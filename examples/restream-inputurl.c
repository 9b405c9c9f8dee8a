/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input URLs of arcly-restream and the SDP of an RTP input: plain parsing,
 * no elements, no I/O (tests/check/libs/restream-inputurl.c).
 *
 *   srt://HOST:PORT?mode=caller|listener&latency=MS&passphrase=P&streamid=S
 *   udp://HOST:PORT              unicast on HOST (0.0.0.0: any), or HOST a
 *                                multicast group joined on the default route
 *   udp://GROUP@IFADDR:PORT      multicast GROUP joined on the interface
 *                                that has the address IFADDR
 *   rtp://HOST[:PORT]?sdp=PATH   RTP as the SDP file describes it; a port
 *                                given must be one of the SDP's
 *   rtmp://HOST[:PORT]/APP/STREAM   pulled with rtmp2src
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <gst/sdp/sdp.h>

#include "restream-input.h"

#define INPUT_ERROR g_quark_from_static_string ("restream-input-error")

const gchar *
restream_input_kind_name (RestreamInputKind kind)
{
  static const gchar *names[] = { "srt", "udp", "rtp", "rtmp" };

  return kind <= RESTREAM_INPUT_RTMP ? names[kind] : "?";
}

gboolean
restream_input_url_is_input (const gchar * url)
{
  return g_str_has_prefix (url, "srt://") || g_str_has_prefix (url, "udp://")
      || g_str_has_prefix (url, "rtp://") || g_str_has_prefix (url, "rtmp://");
}

void
restream_input_url_clear (RestreamInputUrl * url)
{
  g_free (url->host);
  if (url->passphrase)
    memset (url->passphrase, 0, strlen (url->passphrase));
  g_free (url->passphrase);
  g_free (url->streamid);
  g_free (url->multicast);
  g_free (url->sdp_path);
  g_free (url->location);
  memset (url, 0, sizeof (*url));
}

static gboolean
is_ipv4 (const gchar * s)
{
  GInetAddress *a = g_inet_address_new_from_string (s);
  gboolean ok = a && g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV4;

  if (a)
    g_object_unref (a);
  return ok;
}

static gboolean
is_multicast (const gchar * s)
{
  GInetAddress *a = g_inet_address_new_from_string (s);
  gboolean ok = a && g_inet_address_get_is_multicast (a);

  if (a)
    g_object_unref (a);
  return ok;
}

/* The SRT query: every key known, every value checked. */
static gboolean
parse_srt_query (const gchar * query, RestreamInputUrl * out, GError ** error)
{
  GHashTable *params;
  GHashTableIter it;
  gpointer k, v;
  gboolean ok = TRUE;

  out->latency_ms = -1;
  if (query == NULL)
    return TRUE;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, error);
  if (params == NULL)
    return FALSE;
  g_hash_table_iter_init (&it, params);
  while (ok && g_hash_table_iter_next (&it, &k, &v)) {
    const gchar *key = k, *val = v;
    gchar *end = NULL;

    if (strcmp (key, "mode") == 0) {
      if (strcmp (val, "listener") == 0)
        out->listener = TRUE;
      else if (strcmp (val, "caller") == 0)
        out->listener = FALSE;
      else
        ok = FALSE;
    } else if (strcmp (key, "latency") == 0) {
      gint64 ms = g_ascii_strtoll (val, &end, 10);

      ok = end != val && *end == '\0' && ms >= 0 && ms <= 60000;
      out->latency_ms = (gint) ms;
    } else if (strcmp (key, "passphrase") == 0) {
      /* libsrt: 10 to 79 characters */
      ok = strlen (val) >= 10 && strlen (val) <= 79;
      g_free (out->passphrase);
      out->passphrase = g_strdup (val);
    } else if (strcmp (key, "streamid") == 0) {
      ok = strlen (val) <= 512;
      g_free (out->streamid);
      out->streamid = g_strdup (val);
    } else {
      g_set_error (error, INPUT_ERROR, 0, "srt:// does not know '%s' (mode, "
          "latency, passphrase, streamid)", key);
      g_hash_table_unref (params);
      return FALSE;
    }
    if (!ok)
      g_set_error (error, INPUT_ERROR, 0, "srt:// %s: bad value (mode=caller"
          "|listener, latency=0..60000 ms, passphrase of 10 to 79 "
          "characters)", key);
  }
  g_hash_table_unref (params);
  return ok;
}

static gboolean
parse_rtp_query (const gchar * query, RestreamInputUrl * out, GError ** error)
{
  GHashTable *params = query ? g_uri_parse_params (query, -1, "&",
      G_URI_PARAMS_NONE, NULL) : NULL;
  const gchar *sdp = params ? g_hash_table_lookup (params, "sdp") : NULL;

  if (sdp == NULL || *sdp == '\0' || g_hash_table_size (params) != 1) {
    g_set_error (error, INPUT_ERROR, 0, "rtp:// wants ?sdp=PATH (the SDP "
        "file describing the streams) and nothing else");
    if (params)
      g_hash_table_unref (params);
    return FALSE;
  }
  out->sdp_path = g_strdup (sdp);
  g_hash_table_unref (params);
  return TRUE;
}

gboolean
restream_input_url_parse (const gchar * url, RestreamInputUrl * out,
    GError ** error)
{
  GUri *uri;
  const gchar *scheme, *host, *user;
  gboolean ok = FALSE;

  memset (out, 0, sizeof (*out));
  out->latency_ms = -1;
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_NON_DNS,
      NULL);
  if (uri == NULL) {
    g_set_error (error, INPUT_ERROR, 0, "not a URL");
    return FALSE;
  }
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  user = g_uri_get_userinfo (uri);
  out->port = g_uri_get_port (uri);
  if (host == NULL || *host == '\0') {
    g_set_error (error, INPUT_ERROR, 0, "%s:// wants a host", scheme);
    goto done;
  }
  out->host = g_strdup (host);
  if (g_ascii_strcasecmp (scheme, "rtmp") == 0) {
    out->kind = RESTREAM_INPUT_RTMP;
    if (strlen (g_uri_get_path (uri)) < 2) {
      g_set_error (error, INPUT_ERROR, 0, "rtmp:// wants /APP/STREAM");
      goto done;
    }
    out->location = g_strdup (url);
    ok = TRUE;
    goto done;
  }
  if (g_ascii_strcasecmp (scheme, "srt") == 0)
    out->kind = RESTREAM_INPUT_SRT;
  else if (g_ascii_strcasecmp (scheme, "udp") == 0)
    out->kind = RESTREAM_INPUT_UDP;
  else if (g_ascii_strcasecmp (scheme, "rtp") == 0)
    out->kind = RESTREAM_INPUT_RTP;
  else {
    g_set_error (error, INPUT_ERROR, 0, "unknown scheme %s://", scheme);
    goto done;
  }
  if ((out->kind != RESTREAM_INPUT_RTP && out->port <= 0) || out->port > 65535
      || out->port == 0) {
    g_set_error (error, INPUT_ERROR, 0, "%s:// wants a port (1..65535)",
        scheme);
    goto done;
  }
  if (*g_uri_get_path (uri) != '\0' && strcmp (g_uri_get_path (uri), "/")) {
    g_set_error (error, INPUT_ERROR, 0, "%s:// takes no path", scheme);
    goto done;
  }
  switch (out->kind) {
    case RESTREAM_INPUT_SRT:
      ok = !user && parse_srt_query (g_uri_get_query (uri), out, error);
      if (user && error && *error == NULL)
        g_set_error (error, INPUT_ERROR, 0, "srt:// takes the passphrase in "
            "?passphrase=, not as user@");
      break;
    case RESTREAM_INPUT_UDP:
      if (g_uri_get_query (uri)) {
        g_set_error (error, INPUT_ERROR, 0, "udp:// takes no options");
        break;
      }
      if (user && *user) {
        if (!is_multicast (user) || !is_ipv4 (host)) {
          g_set_error (error, INPUT_ERROR, 0, "udp://GROUP@IFADDR:PORT wants "
              "a multicast GROUP and the IPv4 address of a local interface");
          break;
        }
        out->multicast = g_strdup (user);
      } else if (!g_hostname_is_ip_address (host)) {
        g_set_error (error, INPUT_ERROR, 0, "udp:// wants an IP address");
        break;
      }
      ok = TRUE;
      break;
    case RESTREAM_INPUT_RTP:
      ok = !user && parse_rtp_query (g_uri_get_query (uri), out, error);
      if (ok && !g_hostname_is_ip_address (host)) {
        g_set_error (error, INPUT_ERROR, 0, "rtp:// wants an IP address");
        ok = FALSE;
      }
      break;
    default:
      break;
  }
done:
  g_uri_unref (uri);
  if (!ok) {
    if (error && *error == NULL)
      g_set_error (error, INPUT_ERROR, 0, "bad %s URL", scheme);
    restream_input_url_clear (out);
  }
  return ok;
}

gchar *
restream_input_url_redact (const gchar * url)
{
  GString *s = g_string_new (url);
  gchar *p, *at, *slash;

  /* user:password@ of rtmp:// (only the part before the path) */
  p = strstr (s->str, "://");
  if (p) {
    p += 3;
    slash = strchr (p, '/');
    at = strchr (p, '@');
    if (at && (slash == NULL || at < slash) && memchr (p, ':', at - p)
        && !g_str_has_prefix (s->str, "udp://")) {
      gsize off = p - s->str;

      g_string_erase (s, off, at - p);
      g_string_insert (s, off, "***");
    }
  }
  /* passphrase=…, up to the next & */
  p = strstr (s->str, "passphrase=");
  if (p) {
    gsize off = p - s->str + strlen ("passphrase=");
    gchar *amp = strchr (s->str + off, '&');
    gsize len = amp ? (gsize) (amp - (s->str + off)) : strlen (s->str + off);

    g_string_erase (s, off, len);
    g_string_insert (s, off, "***");
  }
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------ SDP */

static const gchar *
connection_address (const GstSDPMessage * sdp, const GstSDPMedia * media)
{
  if (gst_sdp_media_connections_len (media) > 0)
    return gst_sdp_media_get_connection (media, 0)->address;
  if (gst_sdp_message_get_connection (sdp)->address)
    return gst_sdp_message_get_connection (sdp)->address;
  return NULL;
}

GPtrArray *
restream_input_sdp_caps (const gchar * text, GError ** error)
{
  GstSDPMessage *sdp = NULL;
  GPtrArray *out;
  guint i;

  if (*text == '\0' || gst_sdp_message_new (&sdp) != GST_SDP_OK
      || gst_sdp_message_parse_buffer ((const guint8 *) text, strlen (text),
          sdp) != GST_SDP_OK) {
    g_set_error (error, INPUT_ERROR, 0, "not an SDP");
    if (sdp)
      gst_sdp_message_free (sdp);
    return NULL;
  }
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_caps_unref);
  for (i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
    const gchar *fmt = gst_sdp_media_get_format (media, 0);
    const gchar *addr = connection_address (sdp, media);
    GstCaps *caps;
    GstStructure *s;
    gint pt;

    if (fmt == NULL || media->port == 0 || media->port > 65535
        || g_strcmp0 (media->proto, "RTP/AVP") != 0)
      continue;
    pt = atoi (fmt);
    caps = gst_sdp_media_get_caps_from_media (media, pt);
    if (caps == NULL)
      continue;
    caps = gst_caps_make_writable (caps);
    gst_sdp_media_attributes_to_caps (media, caps);
    s = gst_caps_get_structure (caps, 0);
    gst_structure_set_name (s, "application/x-rtp");
    if (!gst_structure_has_field (s, "encoding-name")
        || !gst_structure_has_field (s, "clock-rate")) {
      gst_caps_unref (caps);
      continue;
    }
    gst_structure_set (s, "arcly-port", G_TYPE_INT, (gint) media->port,
        "arcly-address", G_TYPE_STRING, addr ? addr : "", NULL);
    g_ptr_array_add (out, caps);
  }
  gst_sdp_message_free (sdp);
  if (out->len == 0) {
    g_set_error (error, INPUT_ERROR, 0, "the SDP describes no RTP/AVP "
        "stream with an rtpmap");
    g_ptr_array_unref (out);
    return NULL;
  }
  return out;
}
