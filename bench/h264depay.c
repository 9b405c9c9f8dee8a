/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyh264depay vs rtph264depay on the same RTP packets, in one run.
 *
 * Input: `videotestsrc pattern=snow ! 1920x1080 I420 30 fps ! x264enc
 * bitrate=6000 tune=zerolatency key-int-max=60 ! rtph264pay mtu=1400`
 * (--pattern / --bitrate change it),
 * encoded once (--frames, default 300 = 10 s) and replayed --repeat times
 * (default 18: 3 minutes of stream) with sequence numbers, RTP timestamps
 * and PTS continued.  Every packet is its own deep copy by default, so the
 * payload is read cold from memory (~150 MB per run); with --hot the
 * repeats share the payload memories (each gets its own RTP header), so
 * with few --frames the payload stays in cache, like a packet just
 * received.  Each run pushes every packet from this thread through
 * a fresh depayloader into a counting sink pad, so this thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID) is the whole cost.  The elements alternate
 * within a run; medians over --runs and the ratio are printed.
 *
 * A third contender, "floor" (benchnulldepay, defined here), is a
 * GstRTPBaseDepayload subclass whose process_rtp_packet drops every packet:
 * its CPU time is what any subclass of the base class pays per packet
 * (pad push, RTP map and checks), so rtph264depay's time divided by it
 * bounds the throughput ratio any such depayloader can reach.
 *
 * Checked: both output the same number of access units; how many of ours
 * share all their payload memory with the RTP packets (start codes aside),
 * against the number of AUs that have no FU-A packet (single NAL / STAP-A
 * only: must be all of them);
 * our `bytes-copied` against the FU-A fragment bytes (each copied once).
 *
 * Build and run: bench/h264depay.sh [build dir] [args]
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
    GST_STATIC_CAPS ("video/x-h264"));

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

/* Floor + the one copy every FU-A depayloader makes: the same null
 * subclass, but each FU-A fragment is copied into one reused (pre-faulted)
 * assembly area, nothing else (no output). */
typedef struct
{
  GstRTPBaseDepayload parent;
  guint8 *area;
  gsize used;
} BenchCopyDepay;

typedef struct
{
  GstRTPBaseDepayloadClass parent_class;
} BenchCopyDepayClass;

#define COPY_AREA (16 * 1024 * 1024)

/* @size bytes at @offset of @buf into @dest, mapping only the memories
 * that hold them: the same walk as arcly_depay_buffer_copy_out
 * (gst/arclyrtspsrc/depaymem.c), kept here because this bench is built
 * alone (bench/h264depay.sh), without the plugin's internal library. */
static gboolean
copy_out (GstBuffer * buf, gsize offset, guint8 * dest, gsize size)
{
  guint idx, n, i;
  gsize skip;

  if (!gst_buffer_find_memory (buf, offset, size, &idx, &n, &skip))
    return FALSE;
  for (i = idx; i < idx + n && size > 0; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buf, i);
    GstMapInfo map;
    gsize len;

    if (!gst_memory_map (mem, &map, GST_MAP_READ))
      return FALSE;
    len = map.size > skip ? MIN (map.size - skip, size) : 0;
    memcpy (dest, map.data + skip, len);
    gst_memory_unmap (mem, &map);
    dest += len;
    size -= len;
    skip = 0;
  }
  return size == 0;
}

static GType bench_copy_depay_get_type (void);
G_DEFINE_TYPE (BenchCopyDepay, bench_copy_depay, GST_TYPE_RTP_BASE_DEPAYLOAD);

static GstBuffer *
copy_process (GstRTPBaseDepayload * depay, GstRTPBuffer * rtp)
{
  BenchCopyDepay *self = (BenchCopyDepay *) depay;
  guint hlen = gst_rtp_buffer_get_header_len (rtp);
  guint len = gst_rtp_buffer_get_payload_len (rtp);
  guint8 pl[2];

  /* the cheapest read: not gst_rtp_buffer_get_payload (merges a payload
   * split over memories, as rtph264pay's FU-A packets are) nor
   * gst_buffer_extract (maps every memory from the first) */
  if (len > 2 && copy_out (rtp->buffer, hlen, pl, 2) && (pl[0] & 0x1f) == 28) {
    if (pl[1] & 0x80)
      self->used = 0;
    if (self->used + len - 2 <= COPY_AREA &&
        copy_out (rtp->buffer, hlen + 2, self->area + self->used, len - 2))
      self->used += len - 2;
  }
  return NULL;
}

static void
copy_finalize (GObject * obj)
{
  g_free (((BenchCopyDepay *) obj)->area);
  G_OBJECT_CLASS (bench_copy_depay_parent_class)->finalize (obj);
}

static void
bench_copy_depay_class_init (BenchCopyDepayClass * klass)
{
  GstElementClass *eclass = GST_ELEMENT_CLASS (klass);
  GstRTPBaseDepayloadClass *dclass = GST_RTP_BASE_DEPAYLOAD_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = copy_finalize;
  gst_element_class_add_static_pad_template (eclass, &null_sink_template);
  gst_element_class_add_static_pad_template (eclass, &null_src_template);
  gst_element_class_set_static_metadata (eclass, "Copy-only depayloader",
      "Codec/Depayloader/Network/RTP", "Copies FU-A fragments, outputs "
      "nothing (bench floor + one copy)", "gst-arcly developers");
  dclass->process_rtp_packet = copy_process;
  dclass->set_caps = null_set_caps;
}

static void
bench_copy_depay_init (BenchCopyDepay * self)
{
  self->area = g_malloc (COPY_AREA);
  memset (self->area, 0, COPY_AREA);
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
      "x264enc bitrate=%u tune=zerolatency speed-preset=ultrafast "
      "key-int-max=60 option-string=scenecut=0 ! rtph264pay mtu=1400 ! "
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
  guint64 aus_without_fu;       /* timestamps whose packets have no FU-A */
  guint64 fu_bytes;             /* FU-A fragment bytes (without 2-byte hdr) */
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
      guint8 pl[2] = { 0, 0 };
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
      gst_buffer_extract (b, hlen, pl, MIN (plen, 2));
      if (have_last && ts != last_ts) {
        info->aus_without_fu += !au_has_fu;
        au_has_fu = FALSE;
      }
      if (plen >= 2 && (pl[0] & 0x1f) == 28) {
        au_has_fu = TRUE;
        info->fu_bytes += plen - 2;
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
  gint frames = 300, repeat = 18, runs = 5, bitrate = 6000;
  gboolean hot = FALSE;
  gchar *pattern = NULL;
  GOptionEntry entries[] = {
    {"pattern", 0, 0, G_OPTION_ARG_STRING, &pattern,
        "videotestsrc pattern (default snow: every picture fragmented; "
          "ball: small P pictures in single NAL packets)", "NAME"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate,
        "x264enc bitrate in kbit/s (default 6000)", "KBPS"},
    {"frames", 0, 0, G_OPTION_ARG_INT, &frames,
        "1080p frames to encode (300 = 10 s at 30 fps)", "N"},
    {"repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
        "times the packets are replayed per run (18 x 10 s = 3 min)", "N"},
    {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "runs (median taken)", "N"},
    {"hot", 0, 0, G_OPTION_ARG_NONE, &hot,
          "repeats share the payload memories (only RTP headers are new): "
          "with few --frames the payload stays in cache, as a packet just "
          "received would be", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- arclyh264depay benchmark");
  GError *err = NULL;
  GstCaps *caps = NULL;
  GPtrArray *base, *pkts;
  InputInfo info;
  gdouble *cpu_a, *cpu_g, *cpu_f, *cpu_c, *pps_a, *pps_g, *wall_a, *wall_g,
      ma, mg, mf, mc;
  Run a = { 0 }, g = { 0 }, f = { 0 }, c = { 0 };
  const gchar *only = NULL;
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
  gst_element_register (NULL, "benchcopydepay", GST_RANK_NONE,
      bench_copy_depay_get_type ());
  /* profiling aid: ARCLY_BENCH_ONLY=<factory> runs only that element */
  only = g_getenv ("ARCLY_BENCH_ONLY");

  base = encode (frames, pattern ? pattern : "snow", bitrate, &caps);
  pkts = replay (base, repeat, 3000, hot, &info);
  cpu_a = g_new0 (gdouble, runs);
  cpu_g = g_new0 (gdouble, runs);
  cpu_f = g_new0 (gdouble, runs);
  cpu_c = g_new0 (gdouble, runs);
  pps_a = g_new0 (gdouble, runs);
  pps_g = g_new0 (gdouble, runs);
  wall_a = g_new0 (gdouble, runs);
  wall_g = g_new0 (gdouble, runs);

  if (only) {
    for (r = 0; r < (guint) runs; r++) {
      a = run_once (only, pkts, caps);
      cpu_a[r] = a.cpu;
    }
    printf ("%s only: median CPU %.3f s, %.3f us/packet\n", only,
        median (cpu_a, runs), median (cpu_a, runs) * 1e6 / pkts->len);
    return 0;
  }

  for (r = 0; r < (guint) runs; r++) {
    /* the three take turns in a rotating order */
    if (r % 3 == 0)
      f = run_once ("benchnulldepay", pkts, caps);
    if (r % 2) {
      g = run_once ("rtph264depay", pkts, caps);
      a = run_once ("arclyh264depay", pkts, caps);
    } else {
      a = run_once ("arclyh264depay", pkts, caps);
      g = run_once ("rtph264depay", pkts, caps);
    }
    if (r % 3 != 0)
      f = run_once ("benchnulldepay", pkts, caps);
    c = run_once ("benchcopydepay", pkts, caps);
    cpu_f[r] = f.cpu;
    cpu_c[r] = c.cpu;
    cpu_a[r] = a.cpu;
    cpu_g[r] = g.cpu;
    wall_a[r] = a.wall;
    wall_g[r] = g.wall;
    pps_a[r] = pkts->len / a.cpu;
    pps_g[r] = pkts->len / g.cpu;
  }
  if (a.count.aus != g.count.aus || a.count.keyframes != g.count.keyframes) {
    g_printerr ("outputs differ: arcly %" G_GUINT64_FORMAT " AUs (%"
        G_GUINT64_FORMAT " key), rtph264depay %" G_GUINT64_FORMAT " AUs (%"
        G_GUINT64_FORMAT " key)\n", a.count.aus, a.count.keyframes,
        g.count.aus, g.count.keyframes);
    return 1;
  }

  ma = median (cpu_a, runs);
  mg = median (cpu_g, runs);
  mf = median (cpu_f, runs);
  mc = median (cpu_c, runs);
  printf ("input (pattern=%s bitrate=%d%s): %u packets (%u x %d), %.1f Mbit/s, %" G_GUINT64_FORMAT
      " AUs (%" G_GUINT64_FORMAT " keyframes), %" G_GUINT64_FORMAT
      " AUs without FU-A; %d runs\n", pattern ? pattern : "snow", bitrate,
      hot ? ", hot: payload memories shared by the repeats" : "",
      pkts->len, base->len, repeat,
      info.payload_bytes * 8.0 / (frames * repeat / 30.0) / 1e6, a.count.aus,
      a.count.keyframes, info.aus_without_fu, runs);
  printf ("  arclyh264depay: median CPU %.3f s (wall %.3f s)  %.0f packets/s"
      "  zero-copy AUs %" G_GUINT64_FORMAT "  bytes copied %" G_GUINT64_FORMAT
      " (FU-A fragment bytes %" G_GUINT64_FORMAT ")\n", ma,
      median (wall_a, runs), median (pps_a, runs), a.count.shared,
      a.bytes_copied, info.fu_bytes);
  printf ("  rtph264depay  : median CPU %.3f s (wall %.3f s)  %.0f packets/s"
      "  zero-copy AUs %" G_GUINT64_FORMAT "\n", mg, median (wall_g, runs),
      median (pps_g, runs), g.count.shared);
  printf ("  floor (null)  : median CPU %.3f s  %.0f packets/s"
      "  (GstRTPBaseDepayload subclass dropping every packet)\n", mf,
      pkts->len / mf);
  printf ("  floor + copy  : median CPU %.3f s  %.0f packets/s"
      "  (same, copying each FU-A fragment once into a reused area)\n", mc,
      pkts->len / mc);
  printf ("  per packet: arcly %.3f us, rtph264depay %.3f us, floor %.3f us,"
      " floor+copy %.3f us (arcly above floor %.3f us, above floor+copy"
      " %.3f us)\n", ma * 1e6 / pkts->len, mg * 1e6 / pkts->len,
      mf * 1e6 / pkts->len, mc * 1e6 / pkts->len,
      (ma - mf) * 1e6 / pkts->len, (ma - mc) * 1e6 / pkts->len);
  printf ("  ratio CPU arcly/GStreamer = %.2f  (throughput x%.2f); "
      "best possible for a subclass: x%.2f (rtph264depay/floor), x%.2f "
      "copying FU-A once (rtph264depay/floor+copy)\n", ma / mg, mg / ma,
      mg / mf, mg / mc);
  if (a.count.shared < info.aus_without_fu)
    printf ("  WARNING: %" G_GUINT64_FORMAT " single-NAL/STAP-A AUs were "
        "copied\n", info.aus_without_fu - a.count.shared);

  g_free (cpu_a);
  g_free (cpu_g);
  g_free (cpu_f);
  g_free (cpu_c);
  g_free (pps_a);
  g_free (pps_g);
  g_free (wall_a);
  g_free (wall_g);
  g_ptr_array_unref (pkts);
  g_ptr_array_unref (base);
  gst_caps_unref (caps);
  g_free (pattern);
  return 0;
}
