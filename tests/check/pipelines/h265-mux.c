/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.265 through the muxers: x265enc (a keyframe every 30 frames, the
 * parameter sets only in front of the first one, open GOP so later
 * keyframes are CRA pictures) ! h265parse ! arclytsmux / arclyfmp4mux /
 * arclyhlssink.  What they write is read back byte by byte (the TS walker,
 * the MP4 boxes), decoded by ffmpeg without an error line, counted by
 * ffprobe and decoded by GStreamer's own tsdemux / qtdemux + avdec_h265.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "arcly-ffprobe-check.h"
#include "arclyhls-playlist-check.h"

#define PMT_PID 0x1000
#define VIDEO_PID 0x100
#include "arcly-ts-check.h"

#define N_FRAMES 90
#define GOP 30
#define H265_NAL_TYPE(b) (((b) >> 1) & 0x3f)
#define H265_IS_IRAP(t) ((t) >= 16 && (t) <= 23)

static gchar *tmpdir;

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);

    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      remove_dir (p);
    else
      g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
setup_dir (void)
{
  tmpdir = g_dir_make_tmp ("arcly-h265-mux-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
cleanup_dir (void)
{
  remove_dir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static gchar *
path_in_tmp (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_atomic_int_inc ((gint *) data);
  return GST_PAD_PROBE_OK;
}

/* Runs @desc to EOS (bounded); fails on an error.  With @count_element,
 * returns the number of buffers that reached its sink pad. */
static gint
run_pipeline (const gchar * desc, const gchar * count_element)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstBus *bus;
  GstMessage *msg;
  gint count = 0;

  fail_unless (pipe != NULL, "%s: %s", desc, err ? err->message : "?");
  fail_unless (err == NULL, "%s: %s", desc, err->message);
  if (count_element != NULL) {
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipe), count_element);
    GstPad *sink = gst_element_get_static_pad (e, "sink");

    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &count,
        NULL);
    gst_object_unref (sink);
    gst_object_unref (e);
  }
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 90 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no EOS within 90 s", desc);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &e, &dbg);
    fail ("%s: error %s (%s)", desc, e->message, GST_STR_NULL (dbg));
  }
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return g_atomic_int_get (&count);
}

/* The encoder part of every pipeline: 320x240 4:2:0 at 30 fps, open GOP
 * (CRA pictures after the first IDR) unless @closed_gop. */
static gchar *
h265_source_gop (guint n_frames, gboolean closed_gop)
{
  return g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x265enc speed-preset=ultrafast "
      "option-string=keyint=%u:min-keyint=%u:scenecut=0%s ! h265parse",
      n_frames, GOP, GOP, closed_gop ? ":open-gop=0" : "");
}

static gchar *
h265_source (guint n_frames)
{
  return h265_source_gop (n_frames, FALSE);
}

/* ffmpeg decodes the whole file (or playlist) without one error line. */
static void
check_ffmpeg_decodes (const gchar * file)
{
  const gchar *argv[] = { "timeout", "60", "ffmpeg", "-nostdin", "-v",
    "error", "-i", file, "-f", "null", "-", NULL
  };
  gchar *out = NULL, *err = NULL;
  gint status = -1;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL),
      "cannot run ffmpeg");
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffmpeg on %s: %s",
      file, err);
  fail_unless (out[0] == '\0' && err[0] == '\0',
      "ffmpeg reported errors on %s:\n%s%s", file, out, err);
  g_free (out);
  g_free (err);
}

/* GStreamer's own demuxer and libav's HEVC decoder: every frame. */
static void
check_gst_decodes (const gchar * file, const gchar * demux, gint frames)
{
  gchar *desc = g_strdup_printf ("filesrc location=%s ! %s ! h265parse ! "
      "avdec_h265 ! fakesink name=sink", file, demux);

  fail_unless_equals_int (run_pipeline (desc, "sink"), frames);
  g_free (desc);
}

static gchar *
read_file (const gchar * file, gsize * size)
{
  gchar *data = NULL;

  fail_unless (g_file_get_contents (file, &data, size, NULL), "%s", file);
  return data;
}

/* ============================================================== TS ==== */

/* NAL unit types of an Annex-B ES, in order. */
static GArray *
h265_nal_types (const guint8 * d, gsize size)
{
  GArray *types = g_array_new (FALSE, FALSE, sizeof (guint));
  gsize i;

  for (i = 0; i + 3 < size; i++) {
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
      guint t = H265_NAL_TYPE (d[i + 3]);

      g_array_append_val (types, t);
      i += 3;
    }
  }
  return types;
}

/* The video PES packets of a TS with H.265: PMT stream_type 0x24, an AUD
 * first in each, AUD VPS SPS PPS then the picture in front of every IRAP,
 * the random access indicator exactly on those.  Returns the number of
 * IRAP pictures. */
static guint
check_ts_h265 (const guint8 * data, gsize size, guint * n_pictures)
{
  TsScan *s = ts_scan (data, size);
  guint i, irap = 0, pictures = 0;

  fail_unless (s->pmt_offsets->len > 0, "no PMT");
  fail_unless_equals_int (s->n_streams, 1);
  fail_unless_equals_int (s->stream_types[0], 0x24);
  fail_unless_equals_int (s->stream_pids[0], VIDEO_PID);
  for (i = 0; i < s->pes->len; i++) {
    Pes *p = g_ptr_array_index (s->pes, i);
    GArray *t = h265_nal_types (p->es->data, p->es->len);
    guint j, first_vcl = G_MAXUINT;

    fail_unless_equals_int (p->pid, VIDEO_PID);
    fail_unless (p->has_pts && p->data_alignment);
    fail_unless (t->len > 1);
    fail_unless_equals_int (g_array_index (t, guint, 0), 35);
    for (j = 0; j < t->len; j++) {
      if (g_array_index (t, guint, j) < 32) {
        first_vcl = j;
        break;
      }
    }
    fail_unless (first_vcl != G_MAXUINT, "PES %u without a picture", i);
    pictures++;
    if (H265_IS_IRAP (g_array_index (t, guint, first_vcl))) {
      gboolean vps = FALSE, sps = FALSE, pps = FALSE;

      irap++;
      fail_unless (p->rai, "IRAP PES %u without random_access_indicator", i);
      for (j = 1; j < first_vcl; j++) {
        guint type = g_array_index (t, guint, j);

        vps |= type == 32;
        sps |= type == 33 && vps;
        pps |= type == 34 && sps;
      }
      fail_unless (vps && sps && pps, "IRAP PES %u lacks VPS, SPS, PPS in "
          "that order", i);
    } else {
      fail_if (p->rai, "random_access_indicator on a non-IRAP PES %u", i);
    }
    g_array_unref (t);
  }
  ts_scan_free (s);
  if (n_pictures)
    *n_pictures = pictures;
  return irap;
}

GST_START_TEST (test_tsmux_h265)
{
  gchar *src = h265_source (N_FRAMES);
  gchar *out = path_in_tmp ("h265.ts");
  gchar *desc = g_strdup_printf ("%s ! arclytsmux ! filesink location=%s",
      src, out);
  gchar *data;
  gsize size;
  guint pictures = 0;

  run_pipeline (desc, NULL);
  data = read_file (out, &size);
  /* the parameter sets come once from x265enc: the two CRAs get them from
   * the muxer */
  fail_unless_equals_int (check_ts_h265 ((const guint8 *) data, size,
          &pictures), N_FRAMES / GOP);
  fail_unless_equals_int (pictures, N_FRAMES);
  fail_unless_equals_int (arcly_check_count_frames (out, "v:0"), N_FRAMES);
  check_ffmpeg_decodes (out);
  check_gst_decodes (out, "tsdemux", N_FRAMES);
  g_free (data);
  g_free (desc);
  g_free (out);
  g_free (src);
}

GST_END_TEST;

/* ============================================================ fMP4 ==== */

static guint32
be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

/* The box @type among the children in [@p, @end), or NULL. */
static const guint8 *
find_box (const guint8 * p, const guint8 * end, const gchar * type,
    gsize * size)
{
  while (end - p >= 8) {
    gsize s = be32 (p);

    fail_unless (s >= 8 && s <= (gsize) (end - p), "box size");
    if (memcmp (p + 4, type, 4) == 0) {
      *size = s;
      return p;
    }
    p += s;
  }
  return NULL;
}

/* Walks down a path of boxes ("moov/trak/mdia/...") from [@p, @end). */
static const guint8 *
find_path (const guint8 * p, const guint8 * end, const gchar * path,
    gsize * size)
{
  gchar **names = g_strsplit (path, "/", -1);
  guint i;

  for (i = 0; names[i] != NULL && p != NULL; i++) {
    p = find_box (p, end, names[i], size);
    if (p != NULL && names[i + 1] != NULL) {
      end = p + *size;
      p += 8;
    }
  }
  g_strfreev (names);
  return p;
}

typedef struct
{
  gchar entry[5];               /* hvc1 / hev1 */
  guint completeness;           /* array_completeness of all three arrays */
  guint8 header[23];            /* the hvcC up to numOfArrays */
  GPtrArray *sets;              /* GBytes: VPS, SPS, PPS as in the hvcC */
} HvcC;

/* The sample entry and hvcC of the (single) video track of a moov. */
static void
read_hvcc (const guint8 * moov, gsize moov_size, HvcC * h)
{
  gsize size;
  const guint8 *stsd = find_path (moov + 8, moov + moov_size,
      "trak/mdia/minf/stbl/stsd", &size);
  const guint8 *entry, *hvcc, *p;
  guint n_arrays, i;

  fail_unless (stsd != NULL, "no stsd");
  entry = stsd + 16;            /* full box header + entry_count */
  memcpy (h->entry, entry + 4, 4);
  h->entry[4] = '\0';
  /* VisualSampleEntry: 8 + 78 bytes before its child boxes */
  hvcc = find_box (entry + 86, entry + be32 (entry), "hvcC", &size);
  fail_unless (hvcc != NULL, "no hvcC in %s", h->entry);
  fail_unless (size >= 8 + 23);
  memcpy (h->header, hvcc + 8, 23);
  fail_unless_equals_int (h->header[0], 1);
  h->sets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  n_arrays = h->header[22];
  fail_unless_equals_int (n_arrays, 3);
  p = hvcc + 8 + 23;
  h->completeness = 2;
  for (i = 0; i < n_arrays; i++) {
    guint n = (p[1] << 8) | p[2], j, c = p[0] >> 7;

    fail_unless_equals_int (p[0] & 0x3f, 32 + i);
    fail_unless (h->completeness == 2 || h->completeness == c);
    h->completeness = c;
    fail_unless (n >= 1);
    p += 3;
    for (j = 0; j < n; j++) {
      guint len = (p[0] << 8) | p[1];

      fail_unless (p + 2 + len <= hvcc + size);
      g_ptr_array_add (h->sets, g_bytes_new (p + 2, len));
      p += 2 + len;
    }
  }
  fail_unless (p == hvcc + size, "hvcC length");
}

typedef struct
{
  guint samples;
  guint sync;
  guint sync_not_irap;          /* errors: a sync sample that is no IRAP */
  guint irap_not_sync;          /* and an IRAP not marked sync */
  guint with_params;            /* samples carrying VPS/SPS/PPS */
  guint with_aud;
} Samples;

/* The H.265 NAL units of a length-prefixed sample. */
static void
check_sample (const guint8 * d, gsize size, gboolean sync, Samples * st)
{
  gsize off = 0;
  gboolean irap = FALSE, vcl = FALSE, params = FALSE, aud = FALSE;

  while (off < size) {
    guint32 len;
    guint t;

    fail_unless (size - off >= 6, "NAL length past the sample");
    len = be32 (d + off);
    fail_unless (len >= 2 && len <= size - off - 4, "NAL length");
    t = H265_NAL_TYPE (d[off + 4]);
    if (t < 32 && !vcl) {
      vcl = TRUE;
      irap = H265_IS_IRAP (t);
    }
    params |= t >= 32 && t <= 34;
    aud |= t == 35;
    off += 4 + len;
  }
  fail_unless (vcl, "sample without a picture");
  st->samples++;
  st->sync += sync;
  st->sync_not_irap += sync && !irap;
  st->irap_not_sync += irap && !sync;
  st->with_params += params;
  st->with_aud += aud;
}

/* Every moof of the file in [@p, @end): its samples (one track) checked
 * against their flags. */
static void
check_fragments (const guint8 * p, const guint8 * end, Samples * st)
{
  while (end - p >= 8) {
    gsize size = be32 (p), tsize;

    fail_unless (size >= 8 && size <= (gsize) (end - p));
    if (memcmp (p + 4, "moof", 4) == 0) {
      const guint8 *trun = find_path (p + 8, p + size, "traf/trun", &tsize);
      guint32 flags, n, i, off;
      const guint8 *q, *data;

      fail_unless (trun != NULL);
      flags = be32 (trun + 8) & 0xffffff;
      n = be32 (trun + 12);
      fail_unless (flags & 0x1, "data offset");
      fail_unless (!(flags & 0x4), "first-sample-flags not expected");
      data = p + be32 (trun + 16);
      q = trun + 20;
      off = 0;
      for (i = 0; i < n; i++) {
        guint32 ssize = 0, sflags = 0;

        if (flags & 0x100)
          q += 4;
        if (flags & 0x200) {
          ssize = be32 (q);
          q += 4;
        }
        if (flags & 0x400) {
          sflags = be32 (q);
          q += 4;
        }
        if (flags & 0x800)
          q += 4;
        fail_unless (data + off + ssize <= end);
        check_sample (data + off, ssize, !(sflags & 0x00010000), st);
        off += ssize;
      }
    }
    p += size;
  }
}

/* ffmpeg's own hvcC for the same stream (`ffmpeg -c copy -tag:v hvc1`),
 * to compare the record header with ours. */
static void
reference_hvcc (const gchar * raw, HvcC * h)
{
  gchar *mp4 = g_strconcat (raw, ".ref.mp4", NULL);
  const gchar *argv[] = { "timeout", "60", "ffmpeg", "-nostdin", "-v",
    "error", "-y", "-i", raw, "-c", "copy", "-tag:v", "hvc1", mp4, NULL
  };
  gint status = -1;
  gchar *data;
  gsize size, moov_size;
  const guint8 *moov;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffmpeg remux");
  data = read_file (mp4, &size);
  moov = find_box ((const guint8 *) data, (const guint8 *) data + size,
      "moov", &moov_size);
  fail_unless (moov != NULL);
  read_hvcc (moov, moov_size, h);
  g_free (data);
  g_free (mp4);
}

GST_START_TEST (test_fmp4mux_h265)
{
  gchar *src = h265_source (N_FRAMES);
  gchar *out = path_in_tmp ("h265.mp4");
  gchar *raw = path_in_tmp ("h265-fmp4.h265");
  /* async=false: a fragment needs a second of input before the muxer
   * outputs anything, more than a queue holds while the other branch's
   * sink waits in preroll */
  gchar *desc = g_strdup_printf ("%s ! tee name=t ! queue ! arclyfmp4mux "
      "fragment-duration=1000000000 ! filesink async=false location=%s "
      "t. ! queue ! filesink async=false location=%s", src, out, raw);
  gchar *data;
  gsize size, moov_size;
  const guint8 *moov;
  HvcC ours = { {0}, }, ref = { {0}, };
  Samples st = { 0, };
  guint i;

  run_pipeline (desc, NULL);
  data = read_file (out, &size);
  moov = find_box ((const guint8 *) data, (const guint8 *) data + size,
      "moov", &moov_size);
  fail_unless (moov != NULL);
  read_hvcc (moov, moov_size, &ours);
  fail_unless_equals_string (ours.entry, "hvc1");
  fail_unless_equals_int (ours.completeness, 1);
  reference_hvcc (raw, &ref);
  fail_unless (memcmp (ours.header, ref.header, 23) == 0,
      "hvcC header differs from ffmpeg's");
  fail_unless_equals_int (ours.sets->len, ref.sets->len);
  for (i = 0; i < ours.sets->len; i++) {
    gsize n1, n2;
    const guint8 *a = g_bytes_get_data (g_ptr_array_index (ours.sets, i),
        &n1);
    const guint8 *b = g_bytes_get_data (g_ptr_array_index (ref.sets, i),
        &n2);

    /* ffmpeg keeps the zero_byte of a following 4-byte start code at the
     * end of a set; a NAL unit itself never ends in 0x00 */
    while (n2 > 0 && b[n2 - 1] == 0)
      n2--;
    fail_unless (n1 == n2 && memcmp (a, b, n1) == 0, "set %u differs", i);
  }

  /* IRAPs and only they are sync samples; the sets live in the hvcC */
  check_fragments (moov + moov_size, (const guint8 *) data + size, &st);
  fail_unless_equals_int (st.samples, N_FRAMES);
  fail_unless_equals_int (st.sync, N_FRAMES / GOP);
  fail_unless_equals_int (st.sync_not_irap, 0);
  fail_unless_equals_int (st.irap_not_sync, 0);
  fail_unless_equals_int (st.with_params, 0);
  fail_unless_equals_int (st.with_aud, 0);

  fail_unless_equals_int (arcly_check_count_frames (out, "v:0"), N_FRAMES);
  check_ffmpeg_decodes (out);
  check_gst_decodes (out, "qtdemux", N_FRAMES);
  g_ptr_array_unref (ours.sets);
  g_ptr_array_unref (ref.sets);
  g_free (data);
  g_free (desc);
  g_free (raw);
  g_free (out);
  g_free (src);
}

GST_END_TEST;

/* Two encodes with different settings back to back in one raw file: the
 * PPS changes in band at the second one's first IRAP. */
static gchar *
make_changing_stream (void)
{
  gchar *raw1 = path_in_tmp ("part1.h265"), *raw2 = path_in_tmp ("part2.h265");
  gchar *cat = path_in_tmp ("changing.h265");
  gchar *d1, *d2, *both;
  gsize s1, s2;
  guint i;

  for (i = 0; i < 2; i++) {
    /* no B-frames: h265parse gives a raw file DTS only, written PTS = DTS */
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=%s "
        "! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
        "x265enc speed-preset=%s option-string=keyint=%u:min-keyint=%u:"
        "scenecut=0:bframes=0%s ! filesink location=%s", GOP,
        i ? "ball" : "smpte", i ? "fast" : "ultrafast", GOP / 2, GOP / 2,
        i ? ":qp=40" : "", i ? raw2 : raw1);

    run_pipeline (desc, NULL);
    g_free (desc);
  }
  d1 = read_file (raw1, &s1);
  d2 = read_file (raw2, &s2);
  both = g_malloc (s1 + s2);
  memcpy (both, d1, s1);
  memcpy (both + s1, d2, s2);
  fail_unless (g_file_set_contents (cat, both, s1 + s2, NULL));
  g_free (both);
  g_free (d1);
  g_free (d2);
  g_free (raw1);
  g_free (raw2);
  return cat;
}

GST_START_TEST (test_fmp4mux_h265_sets_change)
{
  gchar *raw = make_changing_stream ();
  gchar *out = path_in_tmp ("changing.mp4");
  gchar *half2 = path_in_tmp ("changing-2.mp4");
  gchar *desc = g_strdup_printf ("filesrc location=%s ! h265parse ! "
      "arclyfmp4mux fragment-duration=500000000 ! filesink location=%s",
      raw, out);
  gchar *data;
  gsize size, moov_size, moov2_size, ftyp_size;
  const guint8 *moov, *moov2, *ftyp2, *end;
  HvcC hvcc1 = { {0}, }, hvcc2 = { {0}, };
  Samples st1 = { 0, }, st2 = { 0, };

  run_pipeline (desc, NULL);
  data = read_file (out, &size);
  end = (const guint8 *) data + size;
  moov = find_box ((const guint8 *) data, end, "moov", &moov_size);
  fail_unless (moov != NULL);
  /* the half2 init segment: ftyp + moov again */
  ftyp2 = find_box (moov + moov_size, end, "ftyp", &ftyp_size);
  fail_unless (ftyp2 != NULL, "no half2 init segment after the change");
  moov2 = find_box (ftyp2, end, "moov", &moov2_size);
  fail_unless (moov2 == ftyp2 + ftyp_size);
  read_hvcc (moov, moov_size, &hvcc1);
  read_hvcc (moov2, moov2_size, &hvcc2);
  fail_unless_equals_string (hvcc1.entry, "hvc1");
  fail_unless_equals_int (hvcc1.completeness, 1);
  fail_unless_equals_string (hvcc2.entry, "hev1");
  fail_unless_equals_int (hvcc2.completeness, 0);
  fail_if (g_bytes_equal (g_ptr_array_index (hvcc1.sets, 2),
          g_ptr_array_index (hvcc2.sets, 2)), "the PPS did not change");

  /* hvc1: sets only in the hvcC; hev1: in band on every IRAP too */
  check_fragments (moov + moov_size, ftyp2, &st1);
  check_fragments (moov2 + moov2_size, end, &st2);
  fail_unless_equals_int (st1.samples, GOP);
  fail_unless_equals_int (st1.with_params, 0);
  fail_unless_equals_int (st2.samples, GOP);
  fail_unless_equals_int (st2.sync, 2);
  fail_unless_equals_int (st2.with_params, 1);
  fail_unless_equals_int (st2.sync_not_irap + st1.sync_not_irap, 0);

  /* each half, from its init segment on, decodes on its own */
  fail_unless (g_file_set_contents (half2, (const gchar *) ftyp2,
          end - ftyp2, NULL));
  g_ptr_array_unref (hvcc1.sets);
  g_ptr_array_unref (hvcc2.sets);
  g_free (data);
  check_ffmpeg_decodes (half2);
  fail_unless_equals_int (arcly_check_count_frames (half2, "v:0"), GOP);
  check_gst_decodes (half2, "qtdemux", GOP);
  g_free (desc);
  g_free (half2);
  g_free (raw);
  g_free (out);
}

GST_END_TEST;

/* ========================================================= HLS ==== */

/* ffprobe's word for the stream: "Main", 63 ... */
static gchar *
probe_entry (const gchar * file, const gchar * entry)
{
  gchar *entries = g_strdup_printf ("stream=%s", entry);
  const gchar *argv[] = { "ffprobe", "-v", "error", "-select_streams", "v:0",
    "-show_entries", entries, "-of", "csv=p=0", file, NULL
  };
  gchar *out = NULL;
  gint status = -1;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
          NULL, &status, NULL), "cannot run ffprobe");
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffprobe %s", file);
  g_free (entries);
  /* a TS lists the stream under its program too: the first line */
  if (strchr (out, '\n') != NULL)
    *strchr (out, '\n') = '\0';
  return g_strstrip (out);
}

/* The video codec of the CODECS attribute against what ffprobe finds in
 * the stream: hvc1, the profile number of ffprobe's profile name (and its
 * own compatibility flag set), Main tier, ffprobe's level, and the
 * progressive-source constraint flag of a progressive stream. */
static void
check_codecs_attr (const gchar * codecs, const gchar * media)
{
  static const gchar *const profiles[] = { NULL, "Main", "Main 10",
    "Main Still Picture", "Rext"
  };
  gchar **c = g_strsplit (codecs, ",", -1);
  gchar **f = g_strsplit (c[0], ".", -1);
  gchar *profile = probe_entry (media, "profile");
  gchar *level = probe_entry (media, "level");
  gchar *order = probe_entry (media, "field_order");
  gchar *want_level = g_strdup_printf ("L%s", level);
  guint idc;
  guint64 compat;

  fail_unless_equals_int (g_strv_length (c), 2);
  fail_unless_equals_string (c[1], "mp4a.40.2");
  fail_unless (g_strv_length (f) >= 4, "CODECS %s", codecs);
  fail_unless_equals_string (f[0], "hvc1");
  idc = (guint) g_ascii_strtoull (f[1], NULL, 10);
  fail_unless (idc >= 1 && idc < G_N_ELEMENTS (profiles), "profile %s", f[1]);
  fail_unless_equals_string (profiles[idc], profile);
  compat = g_ascii_strtoull (f[2], NULL, 16);
  fail_unless (compat & (G_GUINT64_CONSTANT (1) << idc), "compat %s", f[2]);
  fail_unless_equals_string (f[3], want_level);
  if (g_str_equal (order, "progressive"))
    fail_unless (f[4] != NULL && (g_ascii_strtoull (f[4], NULL, 16) & 0x80),
        "progressive_source_flag in %s", codecs);
  g_strfreev (c);
  g_strfreev (f);
  g_free (profile);
  g_free (level);
  g_free (order);
  g_free (want_level);
}

static gchar *
concat_files (GPtrArray * paths, const gchar * out)
{
  GByteArray *all = g_byte_array_new ();
  guint i;

  for (i = 0; i < paths->len; i++) {
    gsize n;
    gchar *d = read_file (g_ptr_array_index (paths, i), &n);

    g_byte_array_append (all, (const guint8 *) d, n);
    g_free (d);
  }
  fail_unless (g_file_set_contents (out, (const gchar *) all->data, all->len,
          NULL));
  g_byte_array_unref (all);
  return g_strdup (out);
}

static void
check_hls (gboolean fmp4)
{
  /* closed GOP: the sink cuts a segment on a keyframe whose decode time
   * reaches the target duration, and an open GOP's CRA decodes a frame
   * before its second (its leading pictures follow it) */
  gchar *src = h265_source_gop (2 * N_FRAMES, TRUE);
  gchar *dir = path_in_tmp (fmp4 ? "hls-fmp4" : "hls-ts");
  gchar *desc, *text, *mv_text, *whole, *pl_path, *mv_path, *codecs, *err;
  HlsCheckPlaylist *pl;
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  guint i, j;

  fail_unless (g_mkdir (dir, 0755) == 0);
  pl_path = g_build_filename (dir, "playlist.m3u8", NULL);
  mv_path = g_build_filename (dir, "index.m3u8", NULL);
  /* an event playlist keeps every segment listed; LL-HLS parts on; the
   * audio (1024 samples at 44.1 kHz a buffer) ends before the video */
  desc = g_strdup_printf ("%s ! arclyhlssink name=h segment-format=%s "
      "target-duration=1 part-duration=200 playlist-type=event "
      "playlist-location=%s multivariant-playlist-location=%s "
      "location=%s/seg%%05d.%s init-location=%s/init%%d.mp4 "
      "audiotestsrc num-buffers=%u ! voaacenc ! aacparse ! h.audio", src,
      fmp4 ? "fmp4" : "mpegts", pl_path, mv_path, dir, fmp4 ? "m4s" : "ts",
      dir, (2 * N_FRAMES / 30) * 42);
  run_pipeline (desc, NULL);

  text = read_file (pl_path, NULL);
  pl = hls_check_parse (text, &err);
  fail_unless (pl != NULL, "%s", err);
  /* a keyframe a second into the stream, B-frames delaying its decode
   * time past the audio's start, may not cut yet: one segment fewer */
  fail_unless (pl->segments->len >= 2 * N_FRAMES / GOP - 1, "%u segments",
      pl->segments->len);
  fail_unless (pl->parts->len > pl->segments->len, "no LL-HLS parts");

  /* every segment decodes on its own (fMP4: behind its init segment),
   * and is what its parts are, byte for byte */
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *seg = g_ptr_array_index (pl->segments, i);
    gchar *seg_path = g_build_filename (dir, seg->uri, NULL);
    GPtrArray *one = g_ptr_array_new_with_free_func (g_free);
    GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
    gchar *alone = g_strdup_printf ("%s/alone-%u.%s", dir, i,
        fmp4 ? "mp4" : "ts");
    gchar *a, *b, *p;
    gsize na, nb;

    if (fmp4) {
      fail_unless (seg->map_uri != NULL);
      g_ptr_array_add (one, g_build_filename (dir, seg->map_uri, NULL));
    }
    g_ptr_array_add (one, g_strdup (seg_path));
    p = concat_files (one, alone);
    check_ffmpeg_decodes (p);
    g_free (p);
    g_ptr_array_add (files, g_strdup (seg_path));

    for (j = 0; j < pl->parts->len; j++) {
      HlsCheckPart *part = g_ptr_array_index (pl->parts, j);

      if (part->msn == seg->msn)
        g_ptr_array_add (parts, g_build_filename (dir, part->uri, NULL));
    }
    if (parts->len > 0) {
      gchar *joined = g_strdup_printf ("%s/parts-%u", dir, i);

      p = concat_files (parts, joined);
      a = read_file (p, &na);
      b = read_file (seg_path, &nb);
      fail_unless (na == nb && memcmp (a, b, na) == 0,
          "segment %u differs from its parts", i);
      g_free (a);
      g_free (b);
      g_free (p);
      g_free (joined);
    }
    g_ptr_array_unref (parts);
    g_ptr_array_unref (one);
    g_free (alone);
    g_free (seg_path);
  }

  /* all frames, through the playlist and through GStreamer's demuxers */
  fail_unless_equals_int (arcly_check_count_frames (pl_path, "v:0"),
      2 * N_FRAMES);
  check_ffmpeg_decodes (pl_path);
  if (fmp4) {
    HlsCheckSegment *seg = g_ptr_array_index (pl->segments, 0);

    g_ptr_array_insert (files, 0, g_build_filename (dir, seg->map_uri, NULL));
  }
  whole = g_strdup_printf ("%s/whole.%s", dir, fmp4 ? "mp4" : "ts");
  g_free (concat_files (files, whole));
  check_gst_decodes (whole, fmp4 ? "qtdemux" : "tsdemux", 2 * N_FRAMES);

  /* the multivariant playlist names the media playlist with the CODECS of
   * the stream */
  mv_text = read_file (mv_path, NULL);
  fail_unless (g_str_has_prefix (mv_text, "#EXTM3U\n"));
  fail_unless (strstr (mv_text, "\nplaylist.m3u8\n") != NULL, "%s", mv_text);
  fail_unless (strstr (mv_text, "RESOLUTION=320x240") != NULL, "%s",
      mv_text);
  codecs = hls_check_attr (strstr (mv_text, "#EXT-X-STREAM-INF:") + 18,
      "CODECS");
  fail_unless (codecs != NULL, "no CODECS in %s", mv_text);
  check_codecs_attr (codecs, whole);

  g_free (codecs);
  g_free (mv_text);
  g_free (whole);
  hls_check_playlist_free (pl);
  g_ptr_array_unref (files);
  g_free (text);
  g_free (mv_path);
  g_free (pl_path);
  g_free (desc);
  g_free (dir);
  g_free (src);
}

GST_START_TEST (test_hlssink_h265_ts)
{
  check_hls (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_hlssink_h265_fmp4)
{
  check_hls (TRUE);
}

GST_END_TEST;

/* ================================================= DTS-only input ==== */

/* Runs @desc to EOS (bounded), failing on an error; returns the number of
 * warnings about decode-only timestamps. */
static guint
run_counting_dts_warnings (const gchar * desc)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstBus *bus;
  guint warnings = 0;
  gboolean done = FALSE;

  fail_unless (pipe != NULL && err == NULL, "%s", desc);
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 90 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
    GError *e = NULL;
    gchar *dbg = NULL;

    fail_unless (msg != NULL, "%s: no EOS within 90 s", desc);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (msg, &e, &dbg);
      fail ("%s: error %s (%s)", desc, e->message, GST_STR_NULL (dbg));
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      gst_message_parse_warning (msg, &e, &dbg);
      if (strstr (e->message, "decode timestamps only") != NULL)
        warnings++;
      g_clear_error (&e);
      g_free (dbg);
    } else {
      done = TRUE;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return warnings;
}

/* A raw .h265 file through h265parse (which gives it DTS and no PTS): both
 * muxers write every frame, and warn once when the SPS allows reordering
 * (x265's default B-frames), never without B-frames. */
static void
check_dts_only (const gchar * mux, const gchar * ext)
{
  guint bframes;

  for (bframes = 0; bframes < 2; bframes++) {
    gchar *raw = g_strdup_printf ("%s/dts-%u.h265", tmpdir, bframes);
    gchar *out = g_strdup_printf ("%s/dts-%u.%s", tmpdir, bframes, ext);
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u ! "
        "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
        "x265enc speed-preset=ultrafast option-string=keyint=%u:"
        "scenecut=0%s ! filesink location=%s", N_FRAMES, GOP,
        bframes ? "" : ":bframes=0", raw);

    run_pipeline (desc, NULL);
    g_free (desc);
    desc = g_strdup_printf ("filesrc location=%s ! h265parse ! %s ! "
        "filesink location=%s", raw, mux, out);
    fail_unless_equals_int (run_counting_dts_warnings (desc), bframes);
    fail_unless_equals_int (arcly_check_count_frames (out, "v:0"), N_FRAMES);
    g_free (desc);
    g_free (out);
    g_free (raw);
  }
}

GST_START_TEST (test_tsmux_h265_dts_only)
{
  check_dts_only ("arclytsmux", "ts");
}

GST_END_TEST;

GST_START_TEST (test_fmp4mux_h265_dts_only)
{
  check_dts_only ("arclyfmp4mux", "mp4");
}

GST_END_TEST;

static Suite *
h265_mux_suite (void)
{
  Suite *s = suite_create ("h265-mux");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, setup_dir, cleanup_dir);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tsmux_h265);
  tcase_add_test (tc, test_fmp4mux_h265);
  tcase_add_test (tc, test_fmp4mux_h265_sets_change);
  tcase_add_test (tc, test_hlssink_h265_ts);
  tcase_add_test (tc, test_hlssink_h265_fmp4);
  tcase_add_test (tc, test_tsmux_h265_dts_only);
  tcase_add_test (tc, test_fmp4mux_h265_dts_only);
  return s;
}

GST_CHECK_MAIN (h265_mux);
