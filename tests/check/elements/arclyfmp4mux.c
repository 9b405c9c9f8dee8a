/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyfmp4mux: structure tests through GstHarness (what the muxer writes is
 * read back by a small box walker below: box tree, tfdt continuity, trun
 * sample counts and flags, chunk flags, new init on caps changes, bad input)
 * and round trips with real peers: x264enc/voaacenc streams muxed, then read
 * back by qtdemux (same access units and timestamps), ffprobe (codec,
 * resolution, duration) and decoded by ffmpeg without an error line.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include "arcly-agg-queue-check.h"
#include <gst/base/gstaggregator.h>

#define SECOND GST_SECOND
#define MAX_SAMPLES 2048

/* ------------------------------------------------------------------ */
/* Input streams made by real encoders */

typedef struct
{
  GstCaps *caps;
  GPtrArray *bufs;
} Stream;

static void
stream_free (Stream * s)
{
  gst_caps_unref (s->caps);
  g_ptr_array_unref (s->bufs);
  g_free (s);
}

/* A copy of the sample's buffer with running-time timestamps, plus one
 * second so that B-frame decode times before the segment start stay
 * positive: x264enc starts its segment at 1000 h, voaacenc at 0, and the
 * streams are pushed later through appsrc without their segments. */
static GstBuffer *
to_running_time (GstSample * sample)
{
  GstBuffer *b = gst_buffer_copy (gst_sample_get_buffer (sample));
  const GstSegment *seg = gst_sample_get_segment (sample);
  guint64 rt;
  gint sign;

  if (GST_BUFFER_PTS_IS_VALID (b)) {
    sign = gst_segment_to_running_time_full (seg, GST_FORMAT_TIME,
        GST_BUFFER_PTS (b), &rt);
    fail_unless (sign != 0);
    GST_BUFFER_PTS (b) = sign > 0 ? SECOND + rt : SECOND - rt;
  }
  if (GST_BUFFER_DTS_IS_VALID (b)) {
    sign = gst_segment_to_running_time_full (seg, GST_FORMAT_TIME,
        GST_BUFFER_DTS (b), &rt);
    fail_unless (sign != 0);
    GST_BUFFER_DTS (b) = sign > 0 ? SECOND + rt : SECOND - rt;
  }
  return b;
}

/* Runs @desc (ending in "appsink name=sink") and keeps what reaches the
 * sink.  Every wait is bounded. */
static Stream *
run_to_appsink (const gchar * desc)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstElement *sink;
  Stream *s = g_new0 (Stream, 1);

  fail_unless (pipe != NULL, "cannot build '%s': %s (missing element?)",
      desc, err ? err->message : "?");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_object_set (sink, "sync", FALSE, NULL);
  s->bufs = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (;;) {
    GstSample *sample = NULL;
    gboolean eos = FALSE;

    g_signal_emit_by_name (sink, "try-pull-sample", 20 * GST_SECOND, &sample);
    if (sample == NULL) {
      g_object_get (sink, "eos", &eos, NULL);
      fail_unless (eos, "no EOS from '%s' within 20 s", desc);
      break;
    }
    if (s->caps == NULL)
      s->caps = gst_caps_ref (gst_sample_get_caps (sample));
    g_ptr_array_add (s->bufs, to_running_time (sample));
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  fail_unless (s->caps != NULL, "'%s' produced nothing", desc);
  return s;
}

static Stream *
encode_video (guint frames, guint width, guint height, guint bframes,
    guint keyint, const gchar * format)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=ball ! "
      "video/x-raw,format=I420,width=%u,height=%u,framerate=30/1 ! "
      "x264enc speed-preset=veryfast bframes=%u b-adapt=false key-int-max=%u "
      "option-string=scenecut=0 ! h264parse ! "
      "video/x-h264,stream-format=%s,alignment=au ! appsink name=sink",
      frames, width, height, bframes, keyint, format);
  Stream *s = run_to_appsink (desc);

  g_free (desc);
  return s;
}

static Stream *
encode_audio (guint frames)
{
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=%u "
      "samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=2 ! "
      "voaacenc ! appsink name=sink", frames);
  Stream *s = run_to_appsink (desc);

  g_free (desc);
  return s;
}

/* ------------------------------------------------------------------ */
/* A small ISO BMFF reader */

static guint32
rd32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static guint64
rd64 (const guint8 * p)
{
  return ((guint64) rd32 (p) << 32) | rd32 (p + 4);
}

typedef struct
{
  guint32 track_id;
  guint64 tfdt;
  guint version;
  guint n;
  guint32 data_offset;
  guint32 dur[MAX_SAMPLES], size[MAX_SAMPLES], flags[MAX_SAMPLES];
  gint32 cts[MAX_SAMPLES];
} Traf;

typedef struct
{
  guint32 seq;
  guint n_traf;
  Traf traf[4];
  gsize moof_size;
  guint64 mdat_payload;
  gchar *tree;
} Frag;

static const gchar *containers[] = {
  "moov", "trak", "mdia", "minf", "dinf", "stbl", "mvex", "moof", "traf",
  NULL
};

/* Walks boxes, checking sizes, and lists them as "a b(c d)". */
static void
walk (const guint8 * data, gsize size, GString * tree)
{
  gsize pos = 0;

  while (pos < size) {
    guint64 bsize;
    guint hdr = 8, i;
    gboolean container = FALSE;

    fail_unless (size - pos >= 8, "truncated box header");
    bsize = rd32 (data + pos);
    if (bsize == 1) {
      bsize = rd64 (data + pos + 8);
      hdr = 16;
    }
    fail_unless (bsize >= hdr && bsize <= size - pos, "bad size of %.4s",
        data + pos + 4);
    if (tree->len > 0 && tree->str[tree->len - 1] != '(')
      g_string_append_c (tree, ' ');
    g_string_append_len (tree, (const gchar *) data + pos + 4, 4);
    for (i = 0; containers[i]; i++)
      if (memcmp (data + pos + 4, containers[i], 4) == 0)
        container = TRUE;
    if (container) {
      g_string_append_c (tree, '(');
      walk (data + pos + hdr, bsize - hdr, tree);
      g_string_append_c (tree, ')');
    }
    pos += bsize;
  }
}

static gchar *
box_tree (const guint8 * data, gsize size)
{
  GString *t = g_string_new (NULL);

  walk (data, size, t);
  return g_string_free (t, FALSE);
}

static void
parse_traf (const guint8 * d, gsize size, Traf * t)
{
  gsize pos = 0;

  memset (t, 0, sizeof (*t));
  while (pos + 8 <= size) {
    guint32 bs = rd32 (d + pos);
    const guint8 *p = d + pos + 8;

    fail_unless (bs >= 8 && bs <= size - pos);
    if (memcmp (d + pos + 4, "tfhd", 4) == 0) {
      fail_unless_equals_int (rd32 (p) & 0xffffff, 0x020000);
      t->track_id = rd32 (p + 4);
    } else if (memcmp (d + pos + 4, "tfdt", 4) == 0) {
      fail_unless_equals_int (p[0], 1);
      t->tfdt = rd64 (p + 4);
    } else if (memcmp (d + pos + 4, "trun", 4) == 0) {
      guint32 flags = rd32 (p) & 0xffffff, i;
      gboolean cts = (flags & 0x800) != 0;
      const guint8 *e = p + 12;

      t->version = p[0];
      fail_unless ((flags & 0x701) == 0x701, "trun flags %x", flags);
      t->n = rd32 (p + 4);
      t->data_offset = rd32 (p + 8);
      fail_unless (t->n <= MAX_SAMPLES);
      fail_unless_equals_int (bs, 8 + 12 + t->n * (cts ? 16 : 12));
      for (i = 0; i < t->n; i++, e += cts ? 16 : 12) {
        t->dur[i] = rd32 (e);
        t->size[i] = rd32 (e + 4);
        t->flags[i] = rd32 (e + 8);
        t->cts[i] = cts ? (gint32) rd32 (e + 12) : 0;
      }
    }
    pos += bs;
  }
}

/* Parses a fragment buffer: exactly one moof then one mdat whose payload is
 * the sum of the sample sizes, each trun pointing inside it. */
static void
parse_fragment (GstBuffer * buf, Frag * f)
{
  GstMapInfo map;
  gsize pos, mdat_pos;
  guint64 total = 0;
  guint i, j;

  memset (f, 0, sizeof (*f));
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  f->tree = box_tree (map.data, map.size);
  fail_unless (memcmp (map.data + 4, "moof", 4) == 0, "not a moof: %s",
      f->tree);
  f->moof_size = rd32 (map.data);
  pos = 8;
  while (pos < f->moof_size) {
    guint32 bs = rd32 (map.data + pos);

    if (memcmp (map.data + pos + 4, "mfhd", 4) == 0)
      f->seq = rd32 (map.data + pos + 12);
    else if (memcmp (map.data + pos + 4, "traf", 4) == 0) {
      fail_unless (f->n_traf < 4);
      parse_traf (map.data + pos + 8, bs - 8, &f->traf[f->n_traf++]);
    }
    pos += bs;
  }
  mdat_pos = f->moof_size;
  fail_unless (memcmp (map.data + mdat_pos + 4, "mdat", 4) == 0);
  f->mdat_payload = rd32 (map.data + mdat_pos) - 8;
  fail_unless_equals_int (map.size, f->moof_size + 8 + f->mdat_payload);
  for (i = 0; i < f->n_traf; i++) {
    Traf *t = &f->traf[i];
    fail_unless_equals_int (t->data_offset, f->moof_size + 8 + total);
    for (j = 0; j < t->n; j++)
      total += t->size[j];
  }
  fail_unless_equals_int (total, f->mdat_payload);
  gst_buffer_unmap (buf, &map);
}

static void
frag_clear (Frag * f)
{
  g_free (f->tree);
}

static gboolean
is_sync (guint32 flags)
{
  return flags == 0x02000000;
}

/* ------------------------------------------------------------------ */
/* Harness helpers */

/* The muxer pushes each fragment or chunk as a buffer list: a first buffer
 * holding exactly the moof and the mdat header, then the samples, each a
 * DELTA_UNIT buffer.  Sinks without list support (the harness, appsink)
 * get them one by one; this puts the units back together, checking that
 * layout, so the checks below see one buffer per unit with the flags and
 * timing of its first buffer.  The init segment is a unit on its own. */
typedef struct
{
  GstBuffer *first;
  GByteArray *data;
  guint64 want;
} Assembler;

/* Takes @b (owned); returns a complete unit or NULL. */
static GstBuffer *
assembler_push (Assembler * a, GstBuffer * b)
{
  GstMapInfo map;
  GstBuffer *unit = NULL;

  fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
  if (a->first == NULL) {
    if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER)) {
      fail_unless (map.size >= 8 && memcmp (map.data + 4, "ftyp", 4) == 0,
          "HEADER buffer is not an init segment");
      gst_buffer_unmap (b, &map);
      return b;
    }
    fail_unless (map.size >= 16 && memcmp (map.data + 4, "moof", 4) == 0,
        "a unit does not start with moof");
    fail_unless (map.size >= (gsize) rd32 (map.data) + 8);
    {
      const guint8 *mdat = map.data + rd32 (map.data);
      guint64 mdat_size = rd32 (mdat);
      gsize hdr = 8;

      fail_unless (memcmp (mdat + 4, "mdat", 4) == 0);
      if (mdat_size == 1) {
        fail_unless (map.size >= (gsize) rd32 (map.data) + 16);
        mdat_size = rd64 (mdat + 8);
        hdr = 16;
      }
      /* the first buffer is the moof and the mdat header, nothing more */
      fail_unless_equals_int (map.size, rd32 (map.data) + hdr);
      a->want = rd32 (map.data) + mdat_size;
    }
    a->first = gst_buffer_ref (b);
    a->data = g_byte_array_new ();
  } else {
    fail_unless (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT),
        "a sample buffer inside a unit is not DELTA_UNIT");
    fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER));
    fail_if (GST_BUFFER_PTS_IS_VALID (b) || GST_BUFFER_DURATION_IS_VALID (b),
        "a sample buffer inside a unit has timing");
  }
  g_byte_array_append (a->data, map.data, map.size);
  gst_buffer_unmap (b, &map);
  gst_buffer_unref (b);
  fail_unless (a->data->len <= a->want, "a buffer crosses the end of mdat");
  if (a->data->len == a->want) {
    gsize size = a->data->len;

    unit = gst_buffer_new_wrapped (g_byte_array_free (a->data, FALSE), size);
    gst_buffer_copy_into (unit, a->first, GST_BUFFER_COPY_FLAGS |
        GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
    gst_clear_buffer (&a->first);
    a->data = NULL;
  }
  return unit;
}

/* Units from the buffers of @raw (consumed), in order. */
static GPtrArray *
assemble_units (GPtrArray * raw)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  Assembler a = { 0, };
  guint i;

  for (i = 0; i < raw->len; i++) {
    GstBuffer *u = assembler_push (&a, gst_buffer_ref (g_ptr_array_index (raw,
                i)));

    if (u)
      g_ptr_array_add (out, u);
  }
  fail_unless (a.first == NULL, "output ends inside a unit");
  g_ptr_array_unref (raw);
  return out;
}

/* The tests of the "input-thread" test case run with the muxer muxing on
 * the threads that push (set by its fixture): every muxer the helpers
 * below make has the property set. */
static gboolean input_thread;

static void
input_thread_on (void)
{
  input_thread = TRUE;
}

static void
input_thread_off (void)
{
  input_thread = FALSE;
}

static GstHarness *
harness_new (const gchar * pad, guint64 frag, guint64 chunk)
{
  GstElement *m = gst_element_factory_make ("arclyfmp4mux", NULL);
  GstHarness *h;

  fail_unless (m != NULL);
  /* before the harness starts it: the mode is taken at READY -> PAUSED */
  g_object_set (m, "fragment-duration", frag, "chunk-duration", chunk,
      "input-thread", input_thread, NULL);
  h = gst_harness_new_with_element (m, pad, "src");
  gst_object_unref (m);
  return h;
}

static void
push_stream (GstHarness * h, Stream * s, GstClockTime offset)
{
  guint i;

  gst_harness_set_src_caps (h, gst_caps_ref (s->caps));
  for (i = 0; i < s->bufs->len; i++) {
    GstBuffer *b = gst_buffer_copy (g_ptr_array_index (s->bufs, i));

    if (GST_BUFFER_PTS_IS_VALID (b))
      GST_BUFFER_PTS (b) += offset;
    if (GST_BUFFER_DTS_IS_VALID (b))
      GST_BUFFER_DTS (b) += offset;
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
}

/* Sends EOS and collects every buffer the muxer pushed, as pushed. */
static GPtrArray *
drain_raw (GstHarness * h)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstBuffer *b;

  GstEvent *ev;

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  /* the muxer pushes its last buffers before EOS; pull_event waits ≤ 60 s */
  do {
    ev = gst_harness_pull_event (h);
    fail_unless (ev != NULL, "no EOS from the muxer");
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      gst_event_unref (ev);
      break;
    }
    gst_event_unref (ev);
  } while (TRUE);
  while ((b = gst_harness_try_pull (h)) != NULL)
    g_ptr_array_add (out, b);
  return out;
}

/* Sends EOS and collects the units the muxer pushed. */
static GPtrArray *
drain (GstHarness * h)
{
  return assemble_units (drain_raw (h));
}

/* Checks the buffers: a HEADER init first (the streamheader of the caps),
 * then fragments with increasing mfhd sequence and continuous tfdt per
 * track.  Returns the total sample count of track 1 and fills per-buffer
 * details through the callbacks' arrays. */
static guint
check_output_caps (GstCaps * caps, GPtrArray * out, guint * n_frag)
{
  GstBuffer *init;
  const GValue *sh;
  GstMapInfo map;
  guint i, samples = 0, t;
  guint32 last_seq = 0;
  guint64 next_tfdt[4] = { 0, };
  gboolean have_next[4] = { FALSE, };
  gchar *tree;

  fail_unless (out->len >= 2, "only %u buffers out", out->len);
  init = g_ptr_array_index (out, 0);
  fail_unless (GST_BUFFER_FLAG_IS_SET (init, GST_BUFFER_FLAG_HEADER));
  fail_unless (caps != NULL);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/quicktime"));
  fail_unless_equals_string (gst_structure_get_string (gst_caps_get_structure
          (caps, 0), "variant"), "iso-fragmented");
  sh = gst_structure_get_value (gst_caps_get_structure (caps, 0),
      "streamheader");
  fail_unless (sh != NULL && gst_value_array_get_size (sh) == 1);
  fail_unless (gst_buffer_map (init, &map, GST_MAP_READ));
  fail_unless (gst_buffer_memcmp (gst_value_get_buffer
          (gst_value_array_get_value (sh, 0)), 0, map.data, map.size) == 0);
  tree = box_tree (map.data, map.size);
  fail_unless (g_str_has_prefix (tree, "ftyp moov(mvhd trak(tkhd mdia(mdhd "
          "hdlr minf(vmhd dinf(dref) stbl(stsd stts stsc stsz stco))))")
      || g_str_has_prefix (tree, "ftyp moov(mvhd trak(tkhd mdia(mdhd "
          "hdlr minf(smhd dinf(dref) stbl(stsd stts stsc stsz stco))))"),
      "init tree %s", tree);
  fail_unless (g_str_has_suffix (tree, "mvex(trex))") ||
      g_str_has_suffix (tree, "mvex(trex trex))"), "init tree %s", tree);
  g_free (tree);
  gst_buffer_unmap (init, &map);

  *n_frag = 0;
  for (i = 1; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    Frag f;

    fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER));
    parse_fragment (b, &f);
    fail_unless (f.seq == last_seq + 1, "sequence %u after %u", f.seq,
        last_seq);
    last_seq = f.seq;
    for (t = 0; t < f.n_traf; t++) {
      Traf *tr = &f.traf[t];
      guint k, idx = tr->track_id - 1;
      guint64 sum = 0;

      fail_unless (idx < 4);
      if (have_next[idx])
        fail_unless (tr->tfdt == next_tfdt[idx], "track %u tfdt %"
            G_GUINT64_FORMAT " expected %" G_GUINT64_FORMAT, tr->track_id,
            tr->tfdt, next_tfdt[idx]);
      for (k = 0; k < tr->n; k++) {
        fail_unless (tr->dur[k] > 0);
        fail_unless (tr->size[k] > 0);
        sum += tr->dur[k];
      }
      next_tfdt[idx] = tr->tfdt + sum;
      have_next[idx] = TRUE;
      if (tr->track_id == 1)
        samples += tr->n;
    }
    frag_clear (&f);
    (*n_frag)++;
  }
  return samples;
}

static guint
check_output (GstHarness * h, GPtrArray * out, guint * n_frag)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  guint n = check_output_caps (caps, out, n_frag);

  gst_caps_unref (caps);
  return n;
}

/* ------------------------------------------------------------------ */
/* Structure tests */

/* The samples go out in the input's own memory: no payload byte is
 * copied.  Each unit: moof + mdat header, then one buffer per sample. */
GST_START_TEST (test_payload_not_copied)
{
  Stream *v = encode_video (60, 160, 120, 0, 15, "avc");
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  GPtrArray *raw;
  guint i, k = 0, units = 0;
  guint64 left = 0;

  push_stream (h, v, 0);
  raw = drain_raw (h);
  for (i = 0; i < raw->len; i++) {
    GstBuffer *b = g_ptr_array_index (raw, i), *in;
    GstMapInfo map;

    if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER))
      continue;
    if (left == 0) {
      fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
      fail_unless (memcmp (map.data + 4, "moof", 4) == 0);
      left = rd32 (map.data + rd32 (map.data)) - 8;
      gst_buffer_unmap (b, &map);
      units++;
      continue;
    }
    fail_unless (k < v->bufs->len);
    in = g_ptr_array_index (v->bufs, k);
    fail_unless_equals_int (gst_buffer_get_size (b), gst_buffer_get_size (in));
    fail_unless_equals_int (gst_buffer_n_memory (b), gst_buffer_n_memory (in));
    fail_unless (gst_buffer_peek_memory (b, 0) == gst_buffer_peek_memory (in,
            0), "sample %u was copied", k);
    fail_unless (left >= gst_buffer_get_size (b));
    left -= gst_buffer_get_size (b);
    k++;
  }
  fail_unless_equals_int (k, 60);
  fail_unless_equals_int (units, 2);
  fail_unless_equals_uint64 (left, 0);
  g_ptr_array_unref (raw);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

GST_START_TEST (test_video_fragments_on_keyframes)
{
  Stream *v = encode_video (90, 160, 120, 0, 15, "avc");
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  GPtrArray *out;
  guint n_frag, i;

  push_stream (h, v, 0);
  out = drain (h);
  fail_unless_equals_int (check_output (h, out, &n_frag), 90);
  /* 3 s at 30 fps, keyframe every 0.5 s, fragment-duration 1 s */
  fail_unless_equals_int (n_frag, 3);
  for (i = 1; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    Frag f;
    guint k;

    parse_fragment (b, &f);
    fail_unless_equals_string (f.tree, "moof(mfhd traf(tfhd tfdt trun)) mdat");
    fail_unless_equals_int (f.traf[0].n, 30);
    /* starts on a keyframe, so not a delta unit; durations 1/30 s */
    fail_unless (is_sync (f.traf[0].flags[0]));
    fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT));
    for (k = 0; k < f.traf[0].n; k++) {
      fail_unless_equals_int (f.traf[0].dur[k], 3000);
      fail_unless_equals_int (is_sync (f.traf[0].flags[k]), k % 15 == 0);
    }
    fail_unless_equals_int (f.traf[0].version, 0);
    /* timestamps for a segmenter: duration = the fragment's span */
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (b), SECOND);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b) - GST_BUFFER_PTS
        (g_ptr_array_index (out, 1)), (i - 1) * SECOND);
    frag_clear (&f);
  }
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

GST_START_TEST (test_video_bframes_cts)
{
  Stream *v = encode_video (60, 160, 120, 2, 30, "avc");
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  GPtrArray *out;
  guint n_frag, i, k;
  gboolean negative_or_nonzero = FALSE;

  push_stream (h, v, 0);
  out = drain (h);
  fail_unless_equals_int (check_output (h, out, &n_frag), 60);
  for (i = 1; i < out->len; i++) {
    Frag f;

    parse_fragment (g_ptr_array_index (out, i), &f);
    fail_unless_equals_int (f.traf[0].version, 1);
    for (k = 0; k < f.traf[0].n; k++) {
      if (f.traf[0].cts[k] != 0)
        negative_or_nonzero = TRUE;
    }
    frag_clear (&f);
  }
  fail_unless (negative_or_nonzero, "no composition offsets with B-frames");
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

GST_START_TEST (test_chunks_flags)
{
  /* keyframe every second, fragments of 1 s, chunks of 200 ms */
  Stream *v = encode_video (60, 160, 120, 0, 30, "avc");
  GstHarness *h = harness_new ("video_0", SECOND, SECOND / 5);
  GPtrArray *out;
  guint n_frag, i, independent = 0;
  guint64 total = 0;

  push_stream (h, v, 0);
  out = drain (h);
  fail_unless_equals_int (check_output (h, out, &n_frag), 60);
  fail_unless_equals_int (n_frag, 10);
  for (i = 1; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    Frag f;

    parse_fragment (b, &f);
    fail_unless_equals_int (f.traf[0].n, 6);
    /* the chunk flag follows its first sample */
    fail_unless_equals_int (!GST_BUFFER_FLAG_IS_SET (b,
            GST_BUFFER_FLAG_DELTA_UNIT), is_sync (f.traf[0].flags[0]));
    if (is_sync (f.traf[0].flags[0]))
      independent++;
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (b), SECOND / 5);
    total += GST_BUFFER_DURATION (b);
    frag_clear (&f);
  }
  fail_unless_equals_int (independent, 2);
  fail_unless_equals_uint64 (total, 2 * SECOND);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

/* Checks that each sample in mdat is a sequence of 4-byte length prefixed
 * NAL units without AUD, SPS or PPS. */
static void
check_length_prefixed (GstBuffer * b)
{
  Frag f;
  GstMapInfo map;
  gsize pos;
  guint k;

  parse_fragment (b, &f);
  fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
  pos = f.traf[0].data_offset;
  for (k = 0; k < f.traf[0].n; k++) {
    gsize end = pos + f.traf[0].size[k];

    while (pos < end) {
      guint32 len = rd32 (map.data + pos);
      guint type = map.data[pos + 4] & 0x1f;

      fail_unless (len > 0 && pos + 4 + len <= end, "bad NAL length");
      fail_unless (type != 7 && type != 8 && type != 9, "NAL type %u", type);
      pos += 4 + len;
    }
    fail_unless_equals_int (pos, end);
  }
  gst_buffer_unmap (b, &map);
  frag_clear (&f);
}

GST_START_TEST (test_byte_stream_input)
{
  Stream *v = encode_video (30, 160, 120, 0, 15, "byte-stream");
  GstHarness *h = harness_new ("video_0", SECOND / 2, 0);
  GPtrArray *out;
  guint n_frag, i;
  GstMapInfo map;

  push_stream (h, v, 0);
  out = drain (h);
  fail_unless_equals_int (check_output (h, out, &n_frag), 30);
  fail_unless_equals_int (n_frag, 2);
  /* the avcC was built from the in-band SPS/PPS */
  fail_unless (gst_buffer_map (g_ptr_array_index (out, 0), &map,
          GST_MAP_READ));
  fail_unless (memmem (map.data, map.size, "avcC", 4) != NULL);
  gst_buffer_unmap (g_ptr_array_index (out, 0), &map);
  for (i = 1; i < out->len; i++)
    check_length_prefixed (g_ptr_array_index (out, i));
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

GST_START_TEST (test_audio_only)
{
  Stream *a = encode_audio (130);       /* ~3 s */
  GstHarness *h = harness_new ("audio_0", SECOND, 0);
  GPtrArray *out;
  guint n_frag, i;
  GstMapInfo map;
  gchar *tree;

  push_stream (h, a, 0);
  out = drain (h);
  fail_unless_equals_int (check_output (h, out, &n_frag), a->bufs->len);
  fail_unless_equals_int (n_frag, 3);   /* 44 + 44 + the rest */
  fail_unless (gst_buffer_map (g_ptr_array_index (out, 0), &map,
          GST_MAP_READ));
  tree = box_tree (map.data, map.size);
  fail_unless (strstr (tree, "smhd") != NULL);
  gst_buffer_unmap (g_ptr_array_index (out, 0), &map);
  g_free (tree);
  for (i = 1; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    Frag f;
    guint k;

    parse_fragment (b, &f);
    fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT));
    /* audio timescale = sample rate: 1024 per AAC frame */
    for (k = 0; k < f.traf[0].n; k++) {
      fail_unless_equals_int (f.traf[0].dur[k], 1024);
      fail_unless (is_sync (f.traf[0].flags[k]));
    }
    if (i < out->len - 1)
      fail_unless_equals_int (f.traf[0].n, 44);  /* first frame >= 1 s */
    frag_clear (&f);
  }
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (a);
}

GST_END_TEST;

GST_START_TEST (test_caps_change_new_init)
{
  Stream *v1 = encode_video (30, 160, 120, 0, 15, "avc");
  Stream *v2 = encode_video (30, 320, 240, 0, 15, "avc");
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  GPtrArray *out;
  guint i, headers = 0, samples = 0;
  GstCaps *caps;
  GstMapInfo map;
  gboolean found = FALSE;

  push_stream (h, v1, 0);
  push_stream (h, v2, SECOND);
  out = drain (h);
  for (i = 0; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);

    if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER)) {
      headers++;
      /* the second init comes right after the last 160x120 fragment */
      if (headers == 2)
        fail_unless_equals_int (samples, 30);
    } else {
      Frag f;
      parse_fragment (b, &f);
      samples += f.traf[0].n;
      frag_clear (&f);
    }
  }
  fail_unless_equals_int (headers, 2);
  fail_unless_equals_int (samples, 60);
  /* the src caps carry the new header: 320x240 in its tkhd */
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (gst_buffer_map (gst_value_get_buffer (gst_value_array_get_value
              (gst_structure_get_value (gst_caps_get_structure (caps, 0),
                      "streamheader"), 0)), &map, GST_MAP_READ));
  for (i = 0; i + 8 <= map.size; i++)
    if (memcmp (map.data + i, "tkhd", 4) == 0) {
      fail_unless_equals_int (rd32 (map.data + i + 4 + 76), 320 << 16);
      found = TRUE;
    }
  fail_unless (found);
  gst_buffer_unmap (gst_value_get_buffer (gst_value_array_get_value
          (gst_structure_get_value (gst_caps_get_structure (caps, 0),
                  "streamheader"), 0)), &map);
  gst_caps_unref (caps);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v1);
  stream_free (v2);
}

GST_END_TEST;

/* Video frames repeating the previous frame's timestamp (a camera that
 * repeats an RTP timestamp) are all kept, each a tick later, every sample
 * with a duration: dropping one would break the GOP's references. */
GST_START_TEST (test_same_timestamp_kept)
{
  Stream *v = encode_video (30, 160, 120, 0, 15, "avc");
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  GPtrArray *out;
  guint n_frag, i;

  gst_harness_set_src_caps (h, gst_caps_ref (v->caps));
  for (i = 0; i < v->bufs->len; i++) {
    GstBuffer *b = gst_buffer_copy (g_ptr_array_index (v->bufs, i));

    if (i == 10 || i == 11) {
      GstBuffer *prev = g_ptr_array_index (v->bufs, 9);

      GST_BUFFER_PTS (b) = GST_BUFFER_PTS (prev);
      GST_BUFFER_DTS (b) = GST_BUFFER_DTS (prev);
    }
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  out = drain (h);
  fail_unless_equals_int (check_output (h, out, &n_frag), 30);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

GST_START_TEST (test_bad_input_dropped)
{
  Stream *v = encode_video (30, 160, 120, 0, 15, "avc");
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  GPtrArray *out;
  guint n_frag, i;
  GstBuffer *b;

  gst_harness_set_src_caps (h, gst_caps_ref (v->caps));
  for (i = 0; i < v->bufs->len; i++) {
    fail_unless_equals_int (gst_harness_push (h,
            gst_buffer_copy (g_ptr_array_index (v->bufs, i))), GST_FLOW_OK);
    if (i == 5) {
      /* an empty buffer */
      b = gst_buffer_new ();
      GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = 6 * SECOND / 30 - 1000;
      fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
      /* no timestamps at all */
      b = gst_buffer_copy (g_ptr_array_index (v->bufs, 3));
      GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = GST_CLOCK_TIME_NONE;
      fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
      /* going backwards */
      b = gst_buffer_copy (g_ptr_array_index (v->bufs, 2));
      fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    }
  }
  out = drain (h);
  /* the bad buffers were dropped, the good ones all made it */
  fail_unless_equals_int (check_output (h, out, &n_frag), 30);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

GST_START_TEST (test_avc_without_codec_data)
{
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstBuffer *b;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, "video/x-h264,stream-format=avc,"
      "alignment=au,width=160,height=120");
  b = gst_buffer_new_allocate (NULL, 16, NULL);
  gst_buffer_memset (b, 0, 0, 16);
  GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = 0;
  gst_harness_push (h, b);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error for avc caps without codec_data");
  {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    fail_unless (strstr (err->message, "codec_data") != NULL, "%s",
        err->message);
    g_error_free (err);
  }
  gst_message_unref (msg);
  fail_unless (gst_harness_try_pull (h) == NULL);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_byte_stream_without_sps)
{
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  static const guint8 slice[] = { 0, 0, 0, 1, 0x41, 0x9a, 0x02, 0x03 };
  GPtrArray *out;
  guint i;

  gst_harness_set_src_caps_str (h, "video/x-h264,stream-format=byte-stream,"
      "alignment=au,width=160,height=120");
  for (i = 0; i < 5; i++) {
    GstBuffer *b = gst_buffer_new_memdup (slice, sizeof (slice));
    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = i * SECOND / 30;
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  /* nothing can be written without SPS/PPS: all dropped, nothing output */
  out = drain (h);
  fail_unless_equals_int (out->len, 0);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_latency_and_properties)
{
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  guint64 frag, chunk;
  GstClockTime lat;

  g_object_get (h->element, "fragment-duration", &frag, "chunk-duration",
      &chunk, NULL);
  fail_unless_equals_uint64 (frag, SECOND);
  fail_unless_equals_uint64 (chunk, 0);
  g_object_set (h->element, "chunk-duration", SECOND / 4, NULL);
  /* held samples add latency: a chunk (or a fragment without chunks) */
  lat = gst_aggregator_get_latency (GST_AGGREGATOR (h->element));
  fail_unless (lat == GST_CLOCK_TIME_NONE || lat >= SECOND / 4);
  gst_harness_teardown (h);

  h = gst_harness_new_with_padnames ("arclyfmp4mux", "audio_0", "src");
  g_object_get (h->element, "fragment-duration", &frag, NULL);
  fail_unless_equals_uint64 (frag, 2 * SECOND);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Round trips through real demuxers and decoders */

/* Pushes @v and @a through appsrcs into arclyfmp4mux and @sink_desc; when
 * the sink is "appsink name=sink", collects what it got into @out and the
 * final caps into *@caps. */
static void
run_mux (Stream * v, Stream * a, const gchar * extra, const gchar * sink_desc,
    GPtrArray * out, GstCaps ** caps)
{
  gchar *desc;
  GstElement *pipe, *vsrc, *asrc, *sink;
  GstBus *bus;
  GstMessage *msg;
  GstFlowReturn ret;
  guint i;

  desc = g_strdup_printf ("appsrc name=v format=time ! m.video_0 "
      "arclyfmp4mux name=m %s%s ! %s appsrc name=a format=time ! m.audio_0",
      extra, input_thread ? " input-thread=true" : "", sink_desc);
  pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL, "cannot build %s", desc);
  g_free (desc);
  vsrc = gst_bin_get_by_name (GST_BIN (pipe), "v");
  asrc = gst_bin_get_by_name (GST_BIN (pipe), "a");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  if (sink)                     /* EOS must not wait for us to pull */
    g_object_set (sink, "sync", FALSE, "wait-on-eos", FALSE, NULL);
  g_object_set (vsrc, "caps", v->caps, NULL);
  g_object_set (asrc, "caps", a->caps, NULL);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < MAX (v->bufs->len, a->bufs->len); i++) {
    if (i < v->bufs->len) {
      g_signal_emit_by_name (vsrc, "push-buffer",
          g_ptr_array_index (v->bufs, i), &ret);
      fail_unless_equals_int (ret, GST_FLOW_OK);
    }
    if (i < a->bufs->len) {
      g_signal_emit_by_name (asrc, "push-buffer",
          g_ptr_array_index (a->bufs, i), &ret);
      fail_unless_equals_int (ret, GST_FLOW_OK);
    }
  }
  g_signal_emit_by_name (vsrc, "end-of-stream", &ret);
  g_signal_emit_by_name (asrc, "end-of-stream", &ret);
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "muxing did not finish in 30 s");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("muxing failed: %s (%s)", err->message, dbg);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  if (out) {
    GstSample *sample;
    GPtrArray *raw = g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_buffer_unref), *units;

    fail_unless (sink != NULL);
    for (;;) {
      sample = NULL;
      g_signal_emit_by_name (sink, "try-pull-sample", (GstClockTime) 0,
          &sample);
      if (sample == NULL)
        break;
      gst_caps_replace (caps, gst_sample_get_caps (sample));
      g_ptr_array_add (raw, gst_buffer_ref (gst_sample_get_buffer (sample)));
      gst_sample_unref (sample);
    }
    units = assemble_units (raw);
    for (i = 0; i < units->len; i++)
      g_ptr_array_add (out, gst_buffer_ref (g_ptr_array_index (units, i)));
    g_ptr_array_unref (units);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (vsrc);
  gst_object_unref (asrc);
  if (sink)
    gst_object_unref (sink);
  gst_object_unref (pipe);
}

static gchar *
mux_to_file (Stream * v, Stream * a, const gchar * extra)
{
  gchar *path = g_strdup_printf ("%s/arclyfmp4mux-%d-XXXXXX.mp4",
      g_get_tmp_dir (), (gint) getpid ());
  gint fd = g_mkstemp (path);
  gchar *sink;

  fail_unless (fd >= 0);
  close (fd);
  sink = g_strdup_printf ("filesink location=\"%s\"", path);
  run_mux (v, a, extra, sink, NULL, NULL);
  g_free (sink);
  return path;
}

/* Reads one track of @path back with qtdemux. */
static Stream *
demux_track (const gchar * path, const gchar * pad, const gchar * other)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux name=d "
      "d.%s ! queue ! appsink name=sink d.%s ! queue ! fakesink", path, pad,
      other);
  Stream *s = run_to_appsink (desc);

  g_free (desc);
  return s;
}

/* Same access units (bytes) with the same timestamps, relative to the
 * first (the muxer may shift the whole timeline so that B-frame decode
 * times start at 0), within @tol of timescale rounding. */
static void
compare_streams (Stream * in, Stream * out, GstClockTime tol)
{
  GstBuffer *in0 = g_ptr_array_index (in->bufs, 0);
  GstBuffer *out0 = g_ptr_array_index (out->bufs, 0);
  gint64 shift = (gint64) GST_BUFFER_PTS (out0) - (gint64) GST_BUFFER_PTS (in0);
  guint i;

  fail_unless_equals_int (out->bufs->len, in->bufs->len);
  for (i = 0; i < in->bufs->len; i++) {
    GstBuffer *a = g_ptr_array_index (in->bufs, i);
    GstBuffer *b = g_ptr_array_index (out->bufs, i);
    GstMapInfo map;
    gint64 d;

    fail_unless_equals_int (gst_buffer_get_size (a), gst_buffer_get_size (b));
    fail_unless (gst_buffer_map (a, &map, GST_MAP_READ));
    fail_unless (gst_buffer_memcmp (b, 0, map.data, map.size) == 0,
        "AU %u differs", i);
    gst_buffer_unmap (a, &map);
    d = (gint64) GST_BUFFER_PTS (b) - shift - (gint64) GST_BUFFER_PTS (a);
    fail_unless (ABS (d) <= (gint64) tol, "AU %u pts off by %" G_GINT64_FORMAT
        " ns", i, d);
    if (GST_BUFFER_DTS_IS_VALID (a) && GST_BUFFER_DTS_IS_VALID (b)) {
      d = (gint64) GST_BUFFER_DTS (b) - shift - (gint64) GST_BUFFER_DTS (a);
      fail_unless (ABS (d) <= (gint64) tol, "AU %u dts off by %"
          G_GINT64_FORMAT " ns", i, d);
    }
    fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (a,
            GST_BUFFER_FLAG_DELTA_UNIT), GST_BUFFER_FLAG_IS_SET (b,
            GST_BUFFER_FLAG_DELTA_UNIT));
  }
}

static gchar *
run_tool (const gchar * const *argv, gint * status)
{
  gchar *out = NULL, *err = NULL, *all;
  GError *error = NULL;
  gchar *prog = g_find_program_in_path (argv[0]);

  fail_unless (prog != NULL,
      "%s is needed by this test but is not installed", argv[0]);
  g_free (prog);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &err, status, &error), "%s: %s", argv[0],
      error ? error->message : "?");
  all = g_strconcat (out, err, NULL);
  g_free (out);
  g_free (err);
  return all;
}

static void
check_with_ffmpeg (const gchar * path, guint width, guint height,
    gdouble duration)
{
  const gchar *probe[] = { "ffprobe", "-v", "error", "-show_entries",
    "stream=codec_name,width,height:format=duration", "-of",
    "default=nw=1", path, NULL
  };
  const gchar *decode[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", path,
    "-f", "null", "-", NULL
  };
  gchar *out, *want;
  const gchar *d;
  gint status;

  out = run_tool (probe, &status);
  fail_unless (status == 0, "ffprobe failed: %s", out);
  fail_unless (strstr (out, "codec_name=h264") != NULL, "%s", out);
  fail_unless (strstr (out, "codec_name=aac") != NULL, "%s", out);
  want = g_strdup_printf ("width=%u\nheight=%u", width, height);
  fail_unless (strstr (out, want) != NULL, "%s", out);
  g_free (want);
  d = strstr (out, "duration=");
  fail_unless (d != NULL, "%s", out);
  fail_unless (ABS (g_ascii_strtod (d + 9, NULL) - duration) < 0.2,
      "duration %s, expected %.2f", d + 9, duration);
  g_free (out);

  out = run_tool (decode, &status);
  fail_unless (status == 0 && out[0] == '\0', "ffmpeg decode errors: %s", out);
  g_free (out);
}

static void
round_trip (guint bframes, const gchar * extra)
{
  Stream *v = encode_video (60, 320, 240, bframes, 30, "avc");
  Stream *a = encode_audio (86);        /* ~2 s */
  gchar *path = mux_to_file (v, a, extra);
  Stream *dv = demux_track (path, "video_0", "audio_0");
  Stream *da = demux_track (path, "audio_0", "video_0");

  compare_streams (v, dv, 20 * GST_USECOND);
  compare_streams (a, da, 30 * GST_USECOND);
  check_with_ffmpeg (path, 320, 240, 2.0);
  g_unlink (path);
  g_free (path);
  stream_free (v);
  stream_free (a);
  stream_free (dv);
  stream_free (da);
}

GST_START_TEST (test_round_trip)
{
  round_trip (0, "fragment-duration=1000000000");
}

GST_END_TEST;

GST_START_TEST (test_round_trip_bframes)
{
  round_trip (2, "fragment-duration=1000000000");
}

GST_END_TEST;

GST_START_TEST (test_round_trip_chunks)
{
  round_trip (2, "fragment-duration=1000000000 chunk-duration=250000000");
}

GST_END_TEST;

/* Audio and video together, chunked as arclyhlssink uses it for LL-HLS:
 * every chunk has a traf per track, tfdt continuous on both, the audio
 * track in its own timescale, and the delta flag following the video. */
GST_START_TEST (test_av_chunks_structure)
{
  Stream *v = encode_video (60, 160, 120, 2, 30, "avc");
  Stream *a = encode_audio (86);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstCaps *caps = NULL;
  guint n_frag, i, audio = 0, independent = 0;
  GstClockTime next_pts = GST_CLOCK_TIME_NONE;

  run_mux (v, a, "fragment-duration=1000000000 chunk-duration=330000000",
      "appsink name=sink", out, &caps);
  fail_unless (caps != NULL);
  fail_unless_equals_int (check_output_caps (caps, out, &n_frag), 60);
  fail_unless_equals_int (n_frag, 6);
  for (i = 1; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    Frag f;

    parse_fragment (b, &f);
    fail_unless_equals_int (f.n_traf, 2);
    fail_unless_equals_int (f.traf[0].track_id, 1);
    fail_unless_equals_int (f.traf[1].track_id, 2);
    fail_unless_equals_int (f.traf[1].dur[0], 1024);
    audio += f.traf[1].n;
    fail_unless_equals_int (!GST_BUFFER_FLAG_IS_SET (b,
            GST_BUFFER_FLAG_DELTA_UNIT), is_sync (f.traf[0].flags[0]));
    if (is_sync (f.traf[0].flags[0]))
      independent++;
    /* only PTS is set, and PTS + DURATION tile exactly */
    fail_if (GST_BUFFER_DTS_IS_VALID (b));
    fail_unless (GST_BUFFER_PTS_IS_VALID (b));
    if (GST_CLOCK_TIME_IS_VALID (next_pts))
      fail_unless_equals_uint64 (GST_BUFFER_PTS (b), next_pts);
    if (!GST_CLOCK_TIME_IS_VALID (next_pts))
      next_pts = GST_BUFFER_PTS (b);
    next_pts += GST_BUFFER_DURATION (b);
    frag_clear (&f);
  }
  fail_unless_equals_int (independent, 2);
  fail_unless_equals_int (audio, a->bufs->len);
  gst_caps_unref (caps);
  g_ptr_array_unref (out);
  stream_free (v);
  stream_free (a);
}

GST_END_TEST;

/* Muxed on the input threads (two appsrc threads here) or on the muxer's
 * own, the same input gives the same bytes: the same init segment and
 * caps, the same fragments and chunks. */
GST_START_TEST (test_input_thread_same_output)
{
  Stream *v = encode_video (90, 160, 120, 2, 30, "avc");
  Stream *a = encode_audio (130);
  GPtrArray *out[2];
  GstCaps *caps[2] = { NULL, NULL };
  guint m, i;

  for (m = 0; m < 2; m++) {
    input_thread = m == 1;
    out[m] = g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_buffer_unref);
    run_mux (v, a, "fragment-duration=1000000000 chunk-duration=100000000",
        "appsink name=sink", out[m], &caps[m]);
    fail_unless (caps[m] != NULL);
  }
  input_thread = FALSE;
  fail_unless (gst_caps_is_equal (caps[0], caps[1]), "caps %" GST_PTR_FORMAT
      " vs %" GST_PTR_FORMAT, caps[0], caps[1]);
  fail_unless (out[0]->len > 20, "only %u units", out[0]->len);
  fail_unless_equals_int (out[1]->len, out[0]->len);
  for (i = 0; i < out[0]->len; i++) {
    GstBuffer *b0 = g_ptr_array_index (out[0], i);
    GstBuffer *b1 = g_ptr_array_index (out[1], i);
    GstMapInfo map;

    fail_unless_equals_uint64 (gst_buffer_get_size (b1),
        gst_buffer_get_size (b0));
    fail_unless (gst_buffer_map (b0, &map, GST_MAP_READ));
    fail_unless (gst_buffer_memcmp (b1, 0, map.data, map.size) == 0,
        "unit %u differs", i);
    gst_buffer_unmap (b0, &map);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b1), GST_BUFFER_PTS (b0));
    fail_unless_equals_int (GST_BUFFER_FLAGS (b1) & (GST_BUFFER_FLAG_HEADER |
            GST_BUFFER_FLAG_DELTA_UNIT), GST_BUFFER_FLAGS (b0) &
        (GST_BUFFER_FLAG_HEADER | GST_BUFFER_FLAG_DELTA_UNIT));
  }
  for (m = 0; m < 2; m++) {
    gst_caps_unref (caps[m]);
    g_ptr_array_unref (out[m]);
  }
  stream_free (v);
  stream_free (a);
}

GST_END_TEST;

/* input-thread, live inputs whose latency query never went through the
 * muxer (pads linked after the pipeline's query, or a harness here): the
 * muxer asks upstream itself, so a silent audio input holds the video back
 * by the live wait (1.5 s before its first buffer), not by the 10 s a
 * muxer without a live source allows. */
GST_START_TEST (test_input_thread_asks_upstream_live)
{
  Stream *v = encode_video (60, 160, 120, 0, 30, "avc");        /* 2 s */
  Stream *a = encode_audio (1);
  GstElement *m = gst_element_factory_make ("arclyfmp4mux", NULL);
  GstHarness *hv, *ha;
  guint i, units = 0;

  g_object_set (m, "fragment-duration", SECOND / 2, "chunk-duration",
      100 * GST_MSECOND, "input-thread", TRUE, NULL);
  hv = gst_harness_new_with_element (m, "video_0", "src");
  ha = gst_harness_new_with_element (m, "audio_0", NULL);
  gst_object_unref (m);
  gst_harness_set_upstream_latency (hv, 0);
  gst_harness_set_upstream_latency (ha, 0);
  gst_harness_set_src_caps (hv, gst_caps_ref (v->caps));
  gst_harness_set_src_caps (ha, gst_caps_ref (a->caps));
  for (i = 0; i < v->bufs->len; i++)
    fail_unless_equals_int (gst_harness_push (hv, gst_buffer_copy
            (g_ptr_array_index (v->bufs, i))), GST_FLOW_OK);
  /* muxed on this thread: what went out is there now */
  while (gst_harness_buffers_in_queue (hv) > 0) {
    GstBuffer *b = gst_harness_pull (hv);

    if (!GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER))
      units++;
    gst_buffer_unref (b);
  }
  fail_unless (units > 0, "2 s of live video and nothing written while the "
      "audio is silent");
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
  stream_free (v);
  stream_free (a);
}

GST_END_TEST;

/* Audio going on after the video ended is still cut into fragments (by
 * duration, each starting a fragment, so not delta units). */
GST_START_TEST (test_audio_outlives_video)
{
  Stream *v = encode_video (15, 160, 120, 0, 15, "avc");        /* 0.5 s */
  Stream *a = encode_audio (130);       /* 3 s */
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstCaps *caps = NULL;
  guint n_frag, i, audio_only = 0, audio = 0;

  run_mux (v, a, "fragment-duration=500000000", "appsink name=sink", out,
      &caps);
  fail_unless_equals_int (check_output_caps (caps, out, &n_frag), 15);
  for (i = 1; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    Frag f;

    parse_fragment (b, &f);
    if (f.n_traf == 1 && f.traf[0].track_id == 2) {
      audio_only++;
      fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT));
      fail_unless (GST_BUFFER_DURATION (b) <= 600 * GST_MSECOND);
      audio += f.traf[0].n;
    } else {
      audio += f.n_traf == 2 ? f.traf[1].n : 0;
    }
    frag_clear (&f);
  }
  /* 2.5 s of audio after the video: cut, not one big tail */
  fail_unless (audio_only >= 3, "%u audio-only fragments", audio_only);
  fail_unless_equals_int (audio, a->bufs->len);
  gst_caps_unref (caps);
  g_ptr_array_unref (out);
  stream_free (v);
  stream_free (a);
}

GST_END_TEST;

/* Buffers of @s from @from on moved @by later (a camera that stopped
 * sending for @by). */
static void
shift_from (Stream * s, GstClockTime from, GstClockTime by)
{
  guint i;

  for (i = 0; i < s->bufs->len; i++) {
    GstBuffer *b = g_ptr_array_index (s->bufs, i);

    if (GST_BUFFER_DTS_OR_PTS (b) < from)
      continue;
    if (GST_BUFFER_PTS_IS_VALID (b))
      GST_BUFFER_PTS (b) += by;
    if (GST_BUFFER_DTS_IS_VALID (b))
      GST_BUFFER_DTS (b) += by;
  }
}

/* A camera drop: both tracks stop for 3 s, the audio coming back a few
 * ms before the video's keyframe.  The sample before the gap keeps its own
 * duration (it used to last until the first sample after the gap, 3 s,
 * which a player that maps the media after a discontinuity right behind
 * the media before it - hls.js - overlapped and stalled on), the samples
 * after the gap start a new moof at their own decode time, and every
 * sample is where its timestamps say. */
GST_START_TEST (test_camera_gap)
{
  Stream *v = encode_video (120, 160, 120, 0, 30, "avc");       /* 4 s */
  Stream *a = encode_audio (172);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstCaps *caps = NULL;
  guint i, t, k, n[2] = { 0, 0 }, after_gap[2] = { 0, 0 };
  guint64 timescale[2] = { 90000, 44100 };
  GstClockTime resume = 6 * SECOND;     /* the video keyframe after the gap */

  /* video from 3 s (its keyframe at 2 s of the stream, + 1 s) and audio
   * from just before it come back 3 s later */
  shift_from (v, 3 * SECOND, 3 * SECOND);
  shift_from (a, 3 * SECOND - 5 * GST_MSECOND, 3 * SECOND);
  run_mux (v, a, "fragment-duration=1000000000 chunk-duration=30000000",
      "appsink name=sink", out, &caps);
  fail_unless (caps != NULL && out->len > 2);
  for (i = 1; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    gboolean before = FALSE, after = FALSE;
    Frag f;

    parse_fragment (b, &f);
    /* a unit never spans the gap, nor claims to */
    fail_unless (GST_BUFFER_DURATION (b) <= SECOND, "unit at %"
        GST_TIME_FORMAT " lasts %" GST_TIME_FORMAT,
        GST_TIME_ARGS (GST_BUFFER_PTS (b)),
        GST_TIME_ARGS (GST_BUFFER_DURATION (b)));
    for (t = 0; t < f.n_traf; t++) {
      Traf *tr = &f.traf[t];
      guint idx = tr->track_id - 1;
      guint64 dts = tr->tfdt;

      fail_unless (idx < 2);
      for (k = 0; k < tr->n; k++) {
        /* the media time starts at the first video DTS (1 s) */
        GstClockTime want = GST_BUFFER_DTS_OR_PTS (g_ptr_array_index
            (idx ? a->bufs : v->bufs, n[idx])) - SECOND;
        GstClockTime got = gst_util_uint64_scale (dts, GST_SECOND,
            timescale[idx]);

        fail_unless (got + GST_MSECOND > want && got < want + GST_MSECOND,
            "track %u sample %u at %" GST_TIME_FORMAT ", not %"
            GST_TIME_FORMAT, tr->track_id, n[idx], GST_TIME_ARGS (got),
            GST_TIME_ARGS (want));
        fail_unless (tr->dur[k] * GST_SECOND / timescale[idx] <
            40 * GST_MSECOND, "track %u sample %u at %" GST_TIME_FORMAT
            " lasts %" G_GUINT64_FORMAT " ms", tr->track_id, n[idx],
            GST_TIME_ARGS (got), tr->dur[k] * 1000 / timescale[idx]);
        if (got + 5 * GST_MSECOND >= resume - SECOND - 5 * GST_MSECOND) {
          after = TRUE;
          after_gap[idx]++;
        } else {
          before = TRUE;
        }
        dts += tr->dur[k];
        n[idx]++;
      }
    }
    fail_if (before && after, "a moof holds samples from both sides of "
        "the gap: %s", f.tree);
    frag_clear (&f);
  }
  fail_unless_equals_int (n[0], v->bufs->len);
  fail_unless (after_gap[0] == 60 && after_gap[1] > 80, "%u + %u samples "
      "after the gap", after_gap[0], after_gap[1]);
  gst_caps_unref (caps);
  g_ptr_array_unref (out);
  stream_free (v);
  stream_free (a);
}

GST_END_TEST;

/* A flush drops what was queued; the stream after it starts with the init
 * segment again and keyframe-aligned fragments, mfhd sequence going on. */
GST_START_TEST (test_flush)
{
  Stream *v = encode_video (30, 160, 120, 0, 15, "avc");
  GstHarness *h = harness_new ("video_0", SECOND / 2, 0);
  GPtrArray *out;
  GstSegment seg;
  guint i, headers = 0, samples = 0, after_flush = 0;
  guint32 last_seq = 0;
  GPtrArray *pre = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  Assembler assembler = { 0, };

  push_stream (h, v, 0);
  /* The first pass writes its first fragment (cut at the keyframe at
   * 0.5 s) before the flush: wait for it, as input is queued (1 s per pad
   * for non-live input) and the src thread may not have got to it yet. */
  for (;;) {
    GstBuffer *b = gst_harness_pull (h), *u;

    fail_unless (b != NULL, "no fragment before the flush");
    g_ptr_array_add (pre, gst_buffer_ref (b));
    u = assembler_push (&assembler, b);
    if (u && !GST_BUFFER_FLAG_IS_SET (u, GST_BUFFER_FLAG_HEADER)) {
      gst_buffer_unref (u);
      break;
    }
    gst_clear_buffer (&u);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_stream (h, v, 0);
  out = drain_raw (h);
  for (i = 0; i < pre->len; i++)
    g_ptr_array_insert (out, i, gst_buffer_ref (g_ptr_array_index (pre, i)));
  g_ptr_array_unref (pre);
  out = assemble_units (out);
  for (i = 0; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    Frag f;

    if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER)) {
      headers++;
      continue;
    }
    parse_fragment (b, &f);
    fail_unless (f.seq > last_seq);
    last_seq = f.seq;
    fail_unless (is_sync (f.traf[0].flags[0]));
    samples += f.traf[0].n;
    if (headers == 2)
      after_flush += f.traf[0].n;
    frag_clear (&f);
  }
  fail_unless_equals_int (headers, 2);
  /* all of the second pass; of the first, what was written before the flush */
  fail_unless_equals_int (after_flush, 30);
  fail_unless (samples >= 30 && samples < 60);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

/* A stream that never has another keyframe is still cut (memory stays
 * bounded): after 60 s, as a delta-unit fragment. */
GST_START_TEST (test_no_keyframe_bounded)
{
  Stream *v = encode_video (1, 160, 120, 0, 15, "avc");  /* for the caps */
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  GPtrArray *out;
  guint i, frags = 0, samples = 0;

  gst_harness_set_src_caps (h, gst_caps_ref (v->caps));
  for (i = 0; i < 70 * 30; i++) {
    GstBuffer *b = gst_buffer_new_allocate (NULL, 16, NULL);

    gst_buffer_memset (b, 0, 0, 16);
    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = i * SECOND / 30;
    if (i > 0)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  out = drain (h);
  for (i = 0; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    Frag f;

    if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER))
      continue;
    parse_fragment (b, &f);
    /* the first starts on the keyframe, the forced one is a delta unit */
    fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (b,
            GST_BUFFER_FLAG_DELTA_UNIT), frags > 0);
    if (frags == 0)
      fail_unless_equals_int (f.traf[0].n, 60 * 30);
    samples += f.traf[0].n;
    frags++;
    frag_clear (&f);
  }
  fail_unless_equals_int (frags, 2);
  fail_unless_equals_int (samples, 70 * 30);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

/* Back to NULL and PLAYING again: a new stream, starting with the init. */
GST_START_TEST (test_restart)
{
  Stream *v = encode_video (30, 160, 120, 0, 15, "avc");
  GstHarness *h = harness_new ("video_0", SECOND, 0);
  GPtrArray *out;
  guint n_frag;

  push_stream (h, v, 0);
  out = drain (h);
  fail_unless_equals_int (check_output (h, out, &n_frag), 30);
  g_ptr_array_unref (out);

  fail_unless_equals_int (gst_element_set_state (h->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_harness_play (h);
  gst_harness_push_event (h, gst_event_new_stream_start ("again"));
  gst_harness_set_src_caps (h, gst_caps_ref (v->caps));
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_harness_push_event (h, gst_event_new_segment (&seg));
  }
  push_stream (h, v, 0);
  out = drain (h);
  fail_unless_equals_int (check_output (h, out, &n_frag), 30);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  stream_free (v);
}

GST_END_TEST;

/* Live sources: fragments come out while the stream runs, and the muxer
 * answers the latency query with the time it holds samples. */
GST_START_TEST (test_live)
{
  GstElement *pipe = gst_parse_launch ("videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,format=I420,width=160,height=120,"
      "framerate=30/1 ! x264enc tune=zerolatency speed-preset=ultrafast "
      "key-int-max=15 option-string=scenecut=0 ! h264parse ! m.video_0 "
      "audiotestsrc is-live=true samplesperbuffer=1024 ! "
      "audio/x-raw,rate=44100,channels=2 ! voaacenc ! m.audio_0 "
      "arclyfmp4mux name=m fragment-duration=500000000 ! "
      "appsink name=sink sync=false", NULL);
  GstElement *sink;
  GstQuery *q;
  gboolean live = FALSE;
  GstClockTime min = 0;
  guint got = 0;
  Assembler assembler = { 0, };

  fail_unless (pipe != NULL, "x264enc/voaacenc missing?");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (got < 4) {
    GstSample *sample = NULL;
    GstBuffer *b;

    g_signal_emit_by_name (sink, "try-pull-sample", 10 * GST_SECOND, &sample);
    fail_unless (sample != NULL, "no output from the live pipeline in 10 s");
    b = assembler_push (&assembler,
        gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
    if (b == NULL)
      continue;               /* the unit goes on */
    if (got == 0) {
      fail_unless (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER));
    } else {
      Frag f;
      parse_fragment (b, &f);
      fail_unless_equals_int (f.n_traf, 2);
      fail_unless (is_sync (f.traf[0].flags[0]));
      fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT));
      frag_clear (&f);
    }
    got++;
    gst_buffer_unref (b);
  }
  q = gst_query_new_latency ();
  {
    /* ask the muxer itself: a sink with sync=false answers non-live */
    GstElement *m = gst_bin_get_by_name (GST_BIN (pipe), "m");
    fail_unless (gst_element_query (m, q));
    gst_object_unref (m);
  }
  gst_query_parse_latency (q, &live, &min, NULL);
  fail_unless (live);
  fail_unless (min >= 500 * GST_MSECOND, "latency %" GST_TIME_FORMAT,
      GST_TIME_ARGS (min));
  gst_query_unref (q);
  {
    /* live input: the deeper non-live input queue is given back */
    GstElement *m = gst_bin_get_by_name (GST_BIN (pipe), "m");
    GstClockTime latency = GST_CLOCK_TIME_NONE;

    g_object_get (m, "latency", &latency, NULL);
    fail_unless_equals_uint64 (latency, 0);
    gst_object_unref (m);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_clear_buffer (&assembler.first);
  if (assembler.data)
    g_byte_array_unref (assembler.data);
  gst_object_unref (sink);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* Drops every buffer from 1 s of running time on: a live input that
 * stops without EOS (a camera whose audio drops while its video goes on). */
static GstPadProbeReturn
drop_from_one_second (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstClockTime t = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);

  if (ev != NULL) {
    const GstSegment *seg;

    gst_event_parse_segment (ev, &seg);
    t = gst_segment_to_running_time (seg, GST_FORMAT_TIME, t);
    gst_event_unref (ev);
  }
  return GST_CLOCK_TIME_IS_VALID (t) && t >= GST_SECOND ?
      GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* Live video and audio into the muxer (@mux_desc, named m, its output
 * into "appsink name=sink"), the audio stopping at 1 s without EOS: the
 * muxer's output must go on past 3 s of running time with the video alone
 * (a live GstAggregator times out after its latency), where it used to
 * stop until the audio came back. */
static void
check_live_input_stops (const gchar * mux_desc)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
      "option-string=scenecut=0 ! h264parse ! m.video_0 "
      "audiotestsrc is-live=true samplesperbuffer=1024 ! "
      "audio/x-raw,rate=44100,channels=2 ! voaacenc ! aacparse name=a ! "
      "m.audio_0 %s%s ! appsink name=sink sync=false", mux_desc,
      input_thread ? " input-thread=true" : "");
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink, *a;
  GstPad *pad;
  GstClockTime reached = 0;

  fail_unless (pipe != NULL, "cannot build %s (x264enc/voaacenc missing?)",
      desc);
  a = gst_bin_get_by_name (GST_BIN (pipe), "a");
  pad = gst_element_get_static_pad (a, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, drop_from_one_second,
      NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (a);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (reached < 3 * GST_SECOND) {
    GstSample *sample = NULL;
    GstBuffer *b;

    g_signal_emit_by_name (sink, "try-pull-sample", 10 * GST_SECOND, &sample);
    fail_unless (sample != NULL, "no output for 10 s after %" GST_TIME_FORMAT
        " of running time: the muxer holds the video while the audio is "
        "away", GST_TIME_ARGS (reached));
    b = gst_sample_get_buffer (sample);
    if (GST_BUFFER_PTS_IS_VALID (b))
      reached = MAX (reached, GST_BUFFER_PTS (b));
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
}

GST_START_TEST (test_live_input_stops)
{
  check_live_input_stops ("arclyfmp4mux name=m fragment-duration=500000000 chunk-duration=100000000");
}

GST_END_TEST;

/* One thread feeds video and audio, as arclyrtspsrc's one streaming thread
 * does; the camera's audio starts well after its video. */
typedef struct
{
  GstHarness *v, *a;
  Stream *vs, *as;
  guint video_first;            /* video buffers pushed before any audio */
  guint audio_first;            /* audio buffers pushed before any video */
  GstClockTime video_offset, audio_offset;
  GMutex lock;
  GCond cond;
  gboolean done;
  GstFlowReturn v_ret, a_ret;
} LateStart;

static GstBuffer *
shifted (Stream * s, guint i, GstClockTime offset)
{
  GstBuffer *b = gst_buffer_copy (g_ptr_array_index (s->bufs, i));

  if (GST_BUFFER_PTS_IS_VALID (b))
    GST_BUFFER_PTS (b) += offset;
  if (GST_BUFFER_DTS_IS_VALID (b))
    GST_BUFFER_DTS (b) += offset;
  return b;
}

static gpointer
late_start_feed (gpointer data)
{
  LateStart *ls = data;
  guint vi = 0, ai = 0;

  while (ls->v_ret == GST_FLOW_OK && ls->a_ret == GST_FLOW_OK &&
      (vi < ls->vs->bufs->len || ai < ls->as->bufs->len)) {
    GstBuffer *vb = ai >= ls->audio_first && vi < ls->vs->bufs->len ?
        shifted (ls->vs, vi, ls->video_offset) : NULL;
    GstBuffer *ab = vi >= ls->video_first && ai < ls->as->bufs->len ?
        shifted (ls->as, ai, ls->audio_offset) : NULL;

    /* in decode order across both, once the audio has started */
    if (vb != NULL && (ab == NULL ||
            GST_BUFFER_DTS_OR_PTS (vb) <= GST_BUFFER_DTS_OR_PTS (ab))) {
      gst_clear_buffer (&ab);
      ls->v_ret = gst_harness_push (ls->v, vb);
      vi++;
    } else {
      gst_clear_buffer (&vb);
      ls->a_ret = gst_harness_push (ls->a, ab);
      ai++;
    }
  }
  g_mutex_lock (&ls->lock);
  ls->done = TRUE;
  g_cond_signal (&ls->cond);
  g_mutex_unlock (&ls->lock);
  return NULL;
}

/* A live muxer with both pads fed by one thread, one input starting well
 * after the other (@ls: which one, by how much): the full pad of the
 * first blocks that thread, so the muxer must go on with it alone after
 * the start grace (it used to wait for the other for ever: a deadlock).
 * The other then joins the same stream: one init segment with both
 * tracks, every video frame and at least @min_audio audio frames. */
static void
check_late_start (Stream * v, Stream * a, LateStart * proto, guint min_audio)
{
  GstHarness *hv = harness_new ("video_0", SECOND, 250 * GST_MSECOND);
  GstHarness *ha = gst_harness_new_with_element (hv->element, "audio_0",
      NULL);
  GstClock *clock = gst_test_clock_new ();
  LateStart ls = *proto;
  GstClockTime now = 0;
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  GThread *feeder;
  GstClockID id;
  GPtrArray *out;
  guint n_frag, i, audio = 0;
  GstMapInfo map;
  gchar *tree;

  /* both live (the harness answers the latency query as live), with the
   * caps set before any data, as arclyrtspsrc does */
  gst_harness_set_upstream_latency (hv, 0);
  gst_harness_set_upstream_latency (ha, 0);
  gst_harness_set_src_caps (hv, gst_caps_ref (v->caps));
  gst_harness_set_src_caps (ha, gst_caps_ref (a->caps));
  gst_element_set_clock (hv->element, clock);
  ls.v = hv;
  ls.a = ha;
  ls.vs = v;
  ls.as = a;
  ls.done = FALSE;
  ls.v_ret = ls.a_ret = GST_FLOW_OK;
  g_mutex_init (&ls.lock);
  g_cond_init (&ls.cond);
  feeder = g_thread_new ("feeder", late_start_feed, &ls);

  /* drive the clock 20 ms a step, up to 60 s, until the feeder is done */
  g_mutex_lock (&ls.lock);
  while (!ls.done) {
    if (now < 60 * SECOND) {
      now += 20 * GST_MSECOND;
      gst_test_clock_set_time (GST_TEST_CLOCK (clock), now);
    }
    /* release the muxer's clock waits that are due */
    while ((id = gst_test_clock_process_next_clock_id (GST_TEST_CLOCK
                (clock))) != NULL)
      gst_clock_id_unref (id);
    g_cond_wait_until (&ls.cond, &ls.lock,
        g_get_monotonic_time () + 2 * G_TIME_SPAN_MILLISECOND);
    fail_unless (ls.done || g_get_monotonic_time () < deadline,
        "the feeder is still blocked in the muxer at %" GST_TIME_FORMAT
        " of clock time: the muxer waits for the audio that the blocked "
        "thread would bring", GST_TIME_ARGS (now));
  }
  g_mutex_unlock (&ls.lock);
  g_thread_join (feeder);
  fail_unless_equals_int (ls.v_ret, GST_FLOW_OK);
  fail_unless_equals_int (ls.a_ret, GST_FLOW_OK);

  fail_unless (gst_harness_push_event (ha, gst_event_new_eos ()));
  out = drain (hv);
  /* one init (check_output fails on a second HEADER), every video frame */
  fail_unless_equals_int (check_output (hv, out, &n_frag), v->bufs->len);
  fail_unless (gst_buffer_map (g_ptr_array_index (out, 0), &map,
          GST_MAP_READ));
  tree = box_tree (map.data, map.size);
  fail_unless (g_str_has_suffix (tree, "mvex(trex trex))"), "init %s", tree);
  g_free (tree);
  gst_buffer_unmap (g_ptr_array_index (out, 0), &map);
  for (i = 1; i < out->len; i++) {
    Frag f;
    guint t;

    parse_fragment (g_ptr_array_index (out, i), &f);
    for (t = 0; t < f.n_traf; t++)
      if (f.traf[t].track_id == 2)
        audio += f.traf[t].n;
    frag_clear (&f);
  }
  fail_unless (audio >= min_audio && audio <= a->bufs->len,
      "%u audio frames written of %u, want at least %u", audio, a->bufs->len,
      min_audio);

  g_ptr_array_unref (out);
  g_mutex_clear (&ls.lock);
  g_cond_clear (&ls.cond);
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
  gst_object_unref (clock);
}

/* The camera's audio 3 s after its video */
GST_START_TEST (test_live_late_audio_one_thread)
{
  Stream *v = encode_video (180, 160, 120, 0, 15, "avc");
  Stream *a = encode_audio (130);
  LateStart ls = { NULL, };

  ls.video_first = 90;
  ls.audio_offset = 3 * SECOND;
  check_late_start (v, a, &ls, a->bufs->len);
  stream_free (v);
  stream_free (a);
}

GST_END_TEST;

/* The camera's video (x265 under load) 2.3 s of audio after its audio,
 * its timestamps 0.5 s before the audio's: the audio times out alone
 * first, and must neither start the timeline (the first GOP would be
 * dropped as before the stream) nor be written before the keyframe. */
GST_START_TEST (test_live_late_video_one_thread)
{
  Stream *v = encode_video (180, 160, 120, 0, 15, "avc");
  Stream *a = encode_audio (130);
  LateStart ls = { NULL, };

  ls.audio_first = 100;
  ls.audio_offset = SECOND / 2;
  /* the audio that timed out before the video came is dropped (before the
   * first keyframe); what came with the video is all written */
  check_late_start (v, a, &ls, a->bufs->len - ls.audio_first);
  stream_free (v);
  stream_free (a);
}

GST_END_TEST;

/* Without a live source each sink pad may queue 1 s of input (the base
 * class latency property) instead of one buffer; stopping gives the
 * property back, and an application's own value is never changed. */
static const gchar nonlive_pipeline[] =
    "videotestsrc num-buffers=20 ! "
    "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
    "x264enc speed-preset=ultrafast ! h264parse ! m.video_0 "
    "audiotestsrc num-buffers=30 ! voaacenc ! m.audio_0 "
    "arclyfmp4mux name=m ! fakesink sync=false";

GST_START_TEST (test_nonlive_queue)
{
  arcly_check_nonlive_queue (nonlive_pipeline, 0, GST_SECOND);
  arcly_check_nonlive_queue (nonlive_pipeline, 20 * GST_MSECOND,
      20 * GST_MSECOND);
}

GST_END_TEST;

static Suite *
arclyfmp4mux_suite (void)
{
  Suite *s = suite_create ("arclyfmp4mux");
  TCase *tc = tcase_create ("structure");
  TCase *rt = tcase_create ("roundtrip");
  TCase *it = tcase_create ("input-thread");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_video_fragments_on_keyframes);
  tcase_add_test (tc, test_payload_not_copied);
  tcase_add_test (tc, test_video_bframes_cts);
  tcase_add_test (tc, test_chunks_flags);
  tcase_add_test (tc, test_byte_stream_input);
  tcase_add_test (tc, test_audio_only);
  tcase_add_test (tc, test_caps_change_new_init);
  tcase_add_test (tc, test_bad_input_dropped);
  tcase_add_test (tc, test_same_timestamp_kept);
  tcase_add_test (tc, test_avc_without_codec_data);
  tcase_add_test (tc, test_byte_stream_without_sps);
  tcase_add_test (tc, test_latency_and_properties);
  tcase_add_test (tc, test_restart);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_no_keyframe_bounded);

  suite_add_tcase (s, rt);
  tcase_set_timeout (rt, 60);
  tcase_add_test (rt, test_av_chunks_structure);
  tcase_add_test (rt, test_live);
  tcase_add_test (rt, test_nonlive_queue);
  tcase_add_test (rt, test_live_input_stops);
  tcase_add_test (rt, test_live_late_audio_one_thread);
  tcase_add_test (rt, test_live_late_video_one_thread);
  tcase_add_test (rt, test_audio_outlives_video);
  tcase_add_test (rt, test_camera_gap);
  tcase_add_test (rt, test_round_trip);
  tcase_add_test (rt, test_round_trip_bframes);
  tcase_add_test (rt, test_round_trip_chunks);
  tcase_add_test (rt, test_input_thread_same_output);
  tcase_add_test (rt, test_input_thread_asks_upstream_live);

  /* the same again, muxing on the threads that push ("input-thread") */
  suite_add_tcase (s, it);
  tcase_set_timeout (it, 60);
  tcase_add_checked_fixture (it, input_thread_on, input_thread_off);
  tcase_add_test (it, test_video_fragments_on_keyframes);
  tcase_add_test (it, test_payload_not_copied);
  tcase_add_test (it, test_video_bframes_cts);
  tcase_add_test (it, test_chunks_flags);
  tcase_add_test (it, test_byte_stream_input);
  tcase_add_test (it, test_audio_only);
  tcase_add_test (it, test_caps_change_new_init);
  tcase_add_test (it, test_bad_input_dropped);
  tcase_add_test (it, test_same_timestamp_kept);
  tcase_add_test (it, test_avc_without_codec_data);
  tcase_add_test (it, test_byte_stream_without_sps);
  tcase_add_test (it, test_restart);
  tcase_add_test (it, test_flush);
  tcase_add_test (it, test_no_keyframe_bounded);
  tcase_add_test (it, test_av_chunks_structure);
  tcase_add_test (it, test_live_input_stops);
  tcase_add_test (it, test_live_late_audio_one_thread);
  tcase_add_test (it, test_live_late_video_one_thread);
  tcase_add_test (it, test_audio_outlives_video);
  tcase_add_test (it, test_camera_gap);
  tcase_add_test (it, test_round_trip);
  tcase_add_test (it, test_round_trip_bframes);
  tcase_add_test (it, test_round_trip_chunks);
  return s;
}

GST_CHECK_MAIN (arclyfmp4mux);
