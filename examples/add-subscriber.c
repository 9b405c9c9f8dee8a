/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Add and remove an arclybus subscriber while the camera keeps streaming
 * (the C twin of examples/python/add-subscriber.py).
 *
 *   arcly-add-subscriber rtsp://user:pass@host/path OUT.ts [SECONDS]
 *
 * The camera plays into an arclybus with a live decoder as first
 * subscriber; two seconds after the camera's first picture a src pad is
 * requested and recorded as MPEG-TS for SECONDS (default 4) — starting on
 * a keyframe at once, from the bus's GOP cache — then the branch gets
 * EOS, is removed and its pad released, and the program stops two seconds
 * later.
 */

#include <stdlib.h>
#include <gst/gst.h>

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline, *bus, *mux, *sink;
  GstPad *pad;
  const gchar *out;
  guint seconds_ms;
  gboolean failed;
} App;

static gboolean
quit (gpointer data)
{
  g_main_loop_quit (((App *) data)->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
finish_removal (gpointer data)
{
  App *app = data;
  GstPad *peer = gst_pad_get_peer (app->pad);

  gst_pad_unlink (app->pad, peer);
  gst_object_unref (peer);
  gst_element_release_request_pad (app->bus, app->pad);
  gst_object_unref (app->pad);
  gst_element_set_state (app->mux, GST_STATE_NULL);
  gst_element_set_state (app->sink, GST_STATE_NULL);
  gst_bin_remove_many (GST_BIN (app->pipeline), app->mux, app->sink, NULL);
  g_print ("subscriber removed; the camera kept streaming\n");
  g_timeout_add (2000, quit, app);
  return G_SOURCE_REMOVE;
}

static gboolean
remove_recorder (gpointer data)
{
  App *app = data;
  GstPad *peer = gst_pad_get_peer (app->pad);

  /* EOS down the branch so the file ends cleanly, then take it out */
  gst_pad_send_event (peer, gst_event_new_eos ());
  gst_object_unref (peer);
  g_timeout_add (500, finish_removal, app);
  return G_SOURCE_REMOVE;
}

static gboolean
add_recorder (gpointer data)
{
  App *app = data;
  GstPad *muxpad;

  app->mux = gst_element_factory_make ("arclytsmux", NULL);
  app->sink = gst_element_factory_make ("filesink", NULL);
  g_object_set (app->sink, "location", app->out, NULL);
  gst_bin_add_many (GST_BIN (app->pipeline), app->mux, app->sink, NULL);
  gst_element_link (app->mux, app->sink);
  /* The branch plays before it is linked: the bus pushes the cached GOP the
   * moment the pad is linked, and a branch still starting up would refuse
   * it (FLUSHING). */
  gst_element_sync_state_with_parent (app->sink);
  gst_element_sync_state_with_parent (app->mux);
  app->pad = gst_element_request_pad_simple (app->bus, "src_%u");
  muxpad = gst_element_request_pad_simple (app->mux, "video_%u");
  gst_pad_link (app->pad, muxpad);
  gst_object_unref (muxpad);
  g_print ("subscriber %s added\n", GST_PAD_NAME (app->pad));
  g_timeout_add (app->seconds_ms, remove_recorder, app);
  return G_SOURCE_REMOVE;
}

/* The camera's first buffer reached the bus (a streaming thread): the
 * recorder comes two seconds later, in the main loop — counted from the
 * picture, not from start-up, which a slow camera or login can take. */
static GstPadProbeReturn
first_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_timeout_add (2000, add_recorder, data);
  return GST_PAD_PROBE_REMOVE;
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  App *app = data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error: %s\n", err->message);
    g_error_free (err);
    app->failed = TRUE;
    g_main_loop_quit (app->loop);
  }
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  App app = { 0, };
  GError *error = NULL;
  GstElement *src;
  GstPad *sinkpad;
  GstBus *pbus;

  gst_init (&argc, &argv);
  if (argc < 3) {
    g_printerr ("usage: %s rtsp://user:pass@host/path OUT.ts [SECONDS]\n",
        argv[0]);
    return 2;
  }
  app.out = argv[2];
  app.seconds_ms = (argc > 3 ? atof (argv[3]) : 4.0) * 1000;
  app.loop = g_main_loop_new (NULL, FALSE);
  app.pipeline = gst_parse_launch ("arclyrtspsrc name=src streams=video ! "
      "arclyh264depay ! arclybus name=bus  bus. ! avdec_h264 ! "
      "fakesink sync=true", &error);
  if (app.pipeline == NULL) {
    g_printerr ("cannot build the pipeline: %s\n", error->message);
    return 1;
  }
  src = gst_bin_get_by_name (GST_BIN (app.pipeline), "src");
  g_object_set (src, "location", argv[1], NULL);
  gst_object_unref (src);
  app.bus = gst_bin_get_by_name (GST_BIN (app.pipeline), "bus");

  pbus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (pbus, on_message, &app);
  sinkpad = gst_element_get_static_pad (app.bus, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, first_buffer, &app,
      NULL);
  gst_object_unref (sinkpad);
  gst_element_set_state (app.pipeline, GST_STATE_PLAYING);
  g_main_loop_run (app.loop);

  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (pbus);
  gst_object_unref (pbus);
  gst_object_unref (app.bus);
  gst_object_unref (app.pipeline);
  g_main_loop_unref (app.loop);
  return app.failed ? 1 : 0;
}
