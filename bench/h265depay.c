/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyh265depay vs rtph265depay on the same RTP packets, in one run.
 *
 * Input: `videotestsrc pattern=snow ! 1920x1080 I420 30 fps ! x265enc
 * bitrate=6000 tune=zerolatency speed-preset=ultrafast key-int-max=60
 * scenecut=0 ! rtph265pay mtu=1400` (--pattern / --bitrate change it),
 * encoded once (--frames, default 150 = 5 s) and replayed --repeat times
 * (default 36: 3 minutes of stream) with sequence numbers, RTP timestamps
 * and PTS continued.  Every packet is its own deep copy by default, so the
 * payload is read cold from memory; with --hot the repeats share the
 * payload memories (each gets its own RTP header).  Each run pushes every
 * packet from this thread through a fresh depayloader into a counting sink
 * pad, so this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) is the whole
 * cost.  The elements
 * alternate within a run; medians over --runs and the ratio are printed.
 *
 * A third contender, "floor" (benchnulldepay, defined here), is a
 * GstRTPBaseDepayload subclass whose process_rtp_packet drops every packet:
 * what any subclass of the base class pays per packet (pad push, RTP map
 * and checks).
 *
 * Checked: both output the same number of access units and keyframes; how
 * many of ours share all their payload memory with the RTP packets (start
 * codes aside), against the number of AUs that have no FU packet (single
 * NAL / AP only: must be all of them); our `bytes-copied` against the FU
 * fragment bytes (each copied once).
 *
 * Same structure as bench/h264depay.c.  Build and run:
 * bench/h265depay.sh [build dir] [args]
 */

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/rtp/gstrtpbasedepayload.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct
{
  guint64 aus;
  guint64 bytes;
  guint64 shared;               /* AUs whose payload memories all reference
                                 * others (see count_chain) */
  guint64 keyframes;
} Count;

static GstFlowReturn
count_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Count *c = gst_pad_get_element_private (pad);
  guint i, n = gst_buffer_n_memory (buf);
  gboolean shared = n > 0;

  /* a memory of more than 4 bytes without a parent holds copied bytes;
   * 4 bytes or less without one is a start code or AVC length (ours wrap
   * static bytes), not payload */
  for (i = 0; i < n; i++) {
    GstMemory *m = gst_buffer_peek_memory (buf, i);

    if (m->parent == NULL && m->size > 4)
      shared = FALSE;
  }
  c->aus++;
  c->bytes += gst_buffer_get_size (buf);
  c->shared += shared;
  c->keyframes += !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static gboolean
drop_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

/* The floor: a depayloader that does nothing with the packets. */
typedef struct
{
  GstRTPBaseDepayload parent;
} BenchNullDepay;

typedef struct
{
  GstRTPBaseDepayloadClass parent_class;
} BenchNullDepayClass;

static GType bench_null_depay_get_type (void);
G_DEFINE_TYPE (BenchNullDepay, bench_null_depay, GST_TYPE_RTP_BASE_DEPAYLOAD);

static GstStaticPadTemplate null_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate null_src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h265"));

static GstBuffer *
null_process (GstRTPBaseDepayload * depay, GstRTPBuffer * rtp)
{
  return NULL;
}

static gboolean
null_set_caps (GstRTPBaseDepayload * depay, GstCaps * caps)
{
  return TRUE;
}

static void
bench_null_depay_class_init (BenchNullDepayClass * klass)
{
  GstElementClass *eclass = GST_ELEMENT_CLASS (klass);
  GstRTPBaseDepayloadClass *dclass = GST_RTP_BASE_DEPAYLOAD_CLASS (klass);

  gst_element_class_add_static_pad_template (eclass, &null_sink_template);
  gst_element_class_add_static_pad_template (eclass, &null_src_template);
  gst_element_class_set_static_metadata (eclass, "Null depayloader",
      "Codec/Depayloader/Network/RTP", "Drops every RTP packet (bench floor)",
      "gst-arcly developers");
  dclass->process_rtp_packet = null_process;
  dclass->set_caps = null_set_caps;
}

static void
bench_null_depay_init (BenchNullDepay * self)
{
}

static gdouble
clock_s (clockid_t id)
{
  struct timespec ts;

  clock_gettime (id, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static GPtrArray *
encode (guint frames, const gchar * pattern, guint bitrate, GstCaps ** caps)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=%s "
      "! video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! "
      "x265enc bitrate=%u tune=zerolatency speed-preset=ultrafast "
      "key-int-max=60 option-string=scenecut=0 ! rtph265pay mtu=1400 ! "
      "appsink name=sink sync=false", frames, pattern, bitrate);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err), *sink;
  GPtrArray *pkts = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *s;

  if (pipe == NULL) {
    g_printerr ("cannot build '%s': %s\n", desc, err->message);
    exit (1);
  }
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while ((s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              120 * GST_SECOND))) {
    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (s));
    g_ptr_array_add (pkts, gst_buffer_ref (gst_sample_get_buffer (s)));
    gst_sample_unref (s);
  }
  if (!gst_app_sink_is_eos (GST_APP_SINK (sink))) {
    g_printerr ("encoder pipeline did not finish\n");
    exit (1);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  return pkts;
}

typedef struct
{
  guint64 aus_without_fu;       /* timestamps whose packets have no FU */
  guint64 fu_bytes;             /* FU fragment bytes (without 3-byte hdr) */
  guint64 payload_bytes;
} InputInfo;

/* The packets @repeat times, seq / RTP timestamp / PTS continued. */
static GPtrArray *
replay (GPtrArray * pkts, guint repeat, guint fps_den_ticks, gboolean hot,
    InputInfo * info)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint32 ts0 = 0, ts1 = 0, last_ts = 0;
  GstClockTime pts_span;
  guint r, i;
  guint16 seq = 1;
  gboolean have_last = FALSE, au_has_fu = FALSE;

  gst_rtp_buffer_map (g_ptr_array_index (pkts, 0), GST_MAP_READ, &rtp);
  ts0 = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  gst_rtp_buffer_map (g_ptr_array_index (pkts, pkts->len - 1), GST_MAP_READ,
      &rtp);
  ts1 = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  pts_span = gst_util_uint64_scale (ts1 - ts0 + fps_den_ticks, GST_SECOND,
      90000);

  memset (info, 0, sizeof (*info));
  for (r = 0; r < repeat; r++) {
    for (i = 0; i < pkts->len; i++) {
      GstBuffer *orig = g_ptr_array_index (pkts, i), *b;
      guint32 ts;
      guint8 pl[3] = { 0, 0, 0 };
      guint plen, hlen;

      if (hot && gst_buffer_n_memory (orig) > 1 &&
          gst_buffer_peek_memory (orig, 0)->size == 12) {
        /* own RTP header, payload memories shared with every repeat */
        b = gst_buffer_copy (orig);
        gst_buffer_replace_memory (b, 0,
            gst_memory_copy (gst_buffer_peek_memory (orig, 0), 0, -1));
      } else {
        b = gst_buffer_copy_deep (orig);
      }
      /* maps the header memory only (the payload is read with
       * gst_buffer_extract: mapping it for writing would unshare it) */
      gst_rtp_buffer_map (b, GST_MAP_WRITE, &rtp);
      gst_rtp_buffer_set_seq (&rtp, seq++);
      ts = gst_rtp_buffer_get_timestamp (&rtp) + r * (ts1 - ts0 +
          fps_den_ticks);
      gst_rtp_buffer_set_timestamp (&rtp, ts);
      plen = gst_rtp_buffer_get_payload_len (&rtp);
      hlen = gst_rtp_buffer_get_header_len (&rtp);
      gst_buffer_extract (b, hlen, pl, MIN (plen, 3));
      if (have_last && ts != last_ts) {
        info->aus_without_fu += !au_has_fu;
        au_has_fu = FALSE;
      }
      if (plen >= 3 && ((pl[0] >> 1) & 0x3f) == 49) {
        au_has_fu = TRUE;
        info->fu_bytes += plen - 3;
      }
      info->payload_bytes += plen;
      last_ts = ts;
      have_last = TRUE;
      gst_rtp_buffer_unmap (&rtp);
      GST_BUFFER_PTS (b) = GST_BUFFER_PTS (b) + r * pts_span;
      GST_BUFFER_DTS (b) = GST_CLOCK_TIME_NONE;
      g_ptr_array_add (out, b);
    }
  }
  info->aus_without_fu += have_last && !au_has_fu;
  return out;
}

typedef struct
{
  gdouble cpu, wall;
  Count count;
  guint64 bytes_copied;
} Run;

static Run
run_once (const gchar * factory, GPtrArray * pkts, GstCaps * caps)
{
  GstElement *el = gst_element_factory_make (factory, NULL);
  GstPad *src = gst_pad_new ("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new ("sink", GST_PAD_SINK);
  GstPad *esink, *esrc;
  GstSegment seg;
  Run res;
  gdouble c0, w0;
  guint i;

  memset (&res, 0, sizeof (res));
  if (el == NULL) {
    g_printerr ("element %s is missing\n", factory);
    exit (1);
  }
  gst_pad_set_element_private (sink, &res.count);
  gst_pad_set_chain_function (sink, count_chain);
  gst_pad_set_event_function (sink, drop_event);
  gst_pad_set_active (src, TRUE);
  gst_pad_set_active (sink, TRUE);
  esink = gst_element_get_static_pad (el, "sink");
  esrc = gst_element_get_static_pad (el, "src");
  gst_pad_link (src, esink);
  gst_pad_link (esrc, sink);
  gst_object_unref (esink);
  gst_object_unref (esrc);
  gst_element_set_state (el, GST_STATE_PLAYING);
  gst_pad_push_event (src, gst_event_new_stream_start ("bench"));
  gst_pad_push_event (src, gst_event_new_caps (caps));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&seg));

  c0 = clock_s (CLOCK_THREAD_CPUTIME_ID);
  w0 = clock_s (CLOCK_MONOTONIC);
  for (i = 0; i < pkts->len; i++) {
    if (gst_pad_push (src, gst_buffer_ref (g_ptr_array_index (pkts, i))) !=
        GST_FLOW_OK) {
      g_printerr ("%s: push failed at packet %u\n", factory, i);
      exit (1);
    }
  }
  gst_pad_push_event (src, gst_event_new_eos ());
  res.cpu = clock_s (CLOCK_THREAD_CPUTIME_ID) - c0;
  res.wall = clock_s (CLOCK_MONOTONIC) - w0;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (el), "stats")) {
    GstStructure *st = NULL;

    g_object_get (el, "stats", &st, NULL);
    if (st) {
      gst_structure_get_uint64 (st, "bytes-copied", &res.bytes_copied);
      gst_structure_free (st);
    }
  }
  gst_element_set_state (el, GST_STATE_NULL);
  gst_object_unref (el);
  gst_object_unref (src);
  gst_object_unref (sink);
  return res;
}

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble * v, guint n)
{
  qsort (v, n, sizeof (gdouble), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main (int argc, char **argv)
{
  gint frames = 150, repeat = 36, runs = 5, bitrate = 6000;
  gboolean hot = FALSE;
  gchar *pattern = NULL;
  GOptionEntry entries[] = {
    {"pattern", 0, 0, G_OPTION_ARG_STRING, &pattern,
        "videotestsrc pattern (default snow: every picture fragmented; "
          "ball: small P pictures in single NAL packets)", "NAME"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate,
        "x265enc bitrate in kbit/s (default 6000)", "KBPS"},
    {"frames", 0, 0, G_OPTION_ARG_INT, &frames,
        "1080p frames to encode (150 = 5 s at 30 fps)", "N"},
    {"repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
        "times the packets are replayed per run (36 x 5 s = 3 min)", "N"},
    {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "runs (median taken)", "N"},
    {"hot", 0, 0, G_OPTION_ARG_NONE, &hot,
          "repeats share the payload memories (only RTP headers are new): "
          "with few --frames the payload stays in cache, as a packet just "
          "received would be", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- arclyh265depay benchmark");
  GError *err = NULL;
  GstCaps *caps = NULL;
  GPtrArray *base, *pkts;
  InputInfo info;
  gdouble *cpu_a, *cpu_g, *cpu_f, *wall_a, *wall_g, ma, mg, mf;
  Run a = { 0 }, g = { 0 }, f = { 0 };
  guint r;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || frames < 2 ||
      repeat < 1 || runs < 1) {
    g_printerr ("%s\n", err ? err->message : "bad arguments");
    return 2;
  }
  g_option_context_free (ctx);
  gst_element_register (NULL, "benchnulldepay", GST_RANK_NONE,
      bench_null_depay_get_type ());

  base = encode (frames, pattern ? pattern : "snow", bitrate, &caps);
  pkts = replay (base, repeat, 3000, hot, &info);
  cpu_a = g_new0 (gdouble, runs);
  cpu_g = g_new0 (gdouble, runs);
  cpu_f = g_new0 (gdouble, runs);
  wall_a = g_new0 (gdouble, runs);
  wall_g = g_new0 (gdouble, runs);

  for (r = 0; r < (guint) runs; r++) {
    /* the three take turns in a rotating order */
    if (r % 3 == 0)
      f = run_once ("benchnulldepay", pkts, caps);
    if (r % 2) {
      g = run_once ("rtph265depay", pkts, caps);
      a = run_once ("arclyh265depay", pkts, caps);
    } else {
      a = run_once ("arclyh265depay", pkts, caps);
      g = run_once ("rtph265depay", pkts, caps);
    }
    if (r % 3 != 0)
      f = run_once ("benchnulldepay", pkts, caps);
    cpu_f[r] = f.cpu;
    cpu_a[r] = a.cpu;
    cpu_g[r] = g.cpu;
    wall_a[r] = a.wall;
    wall_g[r] = g.wall;
  }
  if (a.count.aus != g.count.aus || a.count.keyframes != g.count.keyframes) {
    g_printerr ("outputs differ: arcly %" G_GUINT64_FORMAT " AUs (%"
        G_GUINT64_FORMAT " key), rtph265depay %" G_GUINT64_FORMAT " AUs (%"
        G_GUINT64_FORMAT " key)\n", a.count.aus, a.count.keyframes,
        g.count.aus, g.count.keyframes);
    return 1;
  }

  ma = median (cpu_a, runs);
  mg = median (cpu_g, runs);
  mf = median (cpu_f, runs);
  printf ("input (1080p H.265, pattern=%s bitrate=%d%s): %u packets "
      "(%u x %d), %.1f Mbit/s, %" G_GUINT64_FORMAT " AUs (%" G_GUINT64_FORMAT
      " keyframes), %" G_GUINT64_FORMAT " AUs without FU; %d runs\n",
      pattern ? pattern : "snow", bitrate,
      hot ? ", hot: payload memories shared by the repeats" : "",
      pkts->len, base->len, repeat,
      info.payload_bytes * 8.0 / (frames * repeat / 30.0) / 1e6, a.count.aus,
      a.count.keyframes, info.aus_without_fu, runs);
  printf ("  arclyh265depay: median CPU %.3f s (wall %.3f s)  %.0f packets/s"
      "  zero-copy AUs %" G_GUINT64_FORMAT "  bytes copied %" G_GUINT64_FORMAT
      " (FU fragment bytes %" G_GUINT64_FORMAT ")\n", ma,
      median (wall_a, runs), pkts->len / ma, a.count.shared,
      a.bytes_copied, info.fu_bytes);
  printf ("  rtph265depay  : median CPU %.3f s (wall %.3f s)  %.0f packets/s"
      "  zero-copy AUs %" G_GUINT64_FORMAT "\n", mg, median (wall_g, runs),
      pkts->len / mg, g.count.shared);
  printf ("  floor (null)  : median CPU %.3f s  %.0f packets/s"
      "  (GstRTPBaseDepayload subclass dropping every packet)\n", mf,
      pkts->len / mf);
  printf ("  per packet: arcly %.3f us, rtph265depay %.3f us, floor %.3f us"
      " (arcly above floor %.3f us)\n", ma * 1e6 / pkts->len,
      mg * 1e6 / pkts->len, mf * 1e6 / pkts->len,
      (ma - mf) * 1e6 / pkts->len);
  printf ("  ratio CPU arcly/GStreamer = %.2f  (throughput x%.2f); "
      "best possible for a subclass: x%.2f (rtph265depay/floor)\n",
      ma / mg, mg / ma, mg / mf);
  if (a.count.shared < info.aus_without_fu)
    printf ("  WARNING: %" G_GUINT64_FORMAT " single-NAL/AP AUs were "
        "copied\n", info.aus_without_fu - a.count.shared);

  g_free (cpu_a);
  g_free (cpu_g);
  g_free (cpu_f);
  g_free (wall_a);
  g_free (wall_g);
  g_ptr_array_unref (pkts);
  g_ptr_array_unref (base);
  gst_caps_unref (caps);
  g_free (pattern);
  return 0;
}
