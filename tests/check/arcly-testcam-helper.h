/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Start tools/arcly-testcam on a free loopback port for a test, wait for its
 * READY line, and always stop it by PID: explicitly, at exit, and — because
 * the camera is spawned with PR_SET_PDEATHSIG — also when the test process
 * is killed (a gst-check timeout, a crash).
 */

#ifndef __ARCLY_TESTCAM_HELPER_H__
#define __ARCLY_TESTCAM_HELPER_H__

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _ArclyTestCam ArclyTestCam;

/* @args: extra arcly-testcam arguments (NULL-terminated, may be NULL), e.g.
 * { "--auth", "digest", "--user", "u", "--password", "p", NULL }.
 * --port 0 is added unless @args has --port.  Waits up to 20 s for READY. */
ArclyTestCam * arcly_test_cam_start (const gchar * const * args, GError ** error);

/* The same for any server program that follows the testcam's conventions:
 * accepts "--port N" (0 = any free port), prints "READY
 * <scheme>://127.0.0.1:PORT/..." on stdout as its first line, and exits on
 * SIGTERM.  @program is the argv prefix, e.g. { "python3", "/path/script.py",
 * NULL } (searched in PATH); @args and --port as above.  All functions below
 * work on such servers too (stop, restart on the same port, wait). */
ArclyTestCam * arcly_test_server_start (const gchar * const * program,
                                        const gchar * const * args,
                                        GError ** error);

/* The same with another name for the port option (e.g. "--http-port"). */
ArclyTestCam * arcly_test_server_start_full (const gchar * const * program,
                                             const gchar * port_flag,
                                             const gchar * const * args,
                                             GError ** error);

/* Start again with the same arguments on the same port (after a stop). */
gboolean       arcly_test_cam_restart (ArclyTestCam * cam, GError ** error);

/* SIGTERM, wait up to 5 s, then SIGKILL; reaps the process.  Returns the
 * exit status as from waitpid (0 = clean exit), or -1 if it was not running. */
gint           arcly_test_cam_stop (ArclyTestCam * cam);

/* Wait up to @timeout_ms for the camera to exit by itself (after a signal
 * the test sent); reaps it.  Returns the waitpid status, or -1 on timeout
 * (the camera is then still running and still owned by @cam). */
gint           arcly_test_cam_wait (ArclyTestCam * cam, guint timeout_ms);

/* Stop (if running) and free. */
void           arcly_test_cam_free (ArclyTestCam * cam);

/* rtsp://127.0.0.1:PORT/PATH, without credentials. */
const gchar *  arcly_test_cam_get_url (ArclyTestCam * cam);

/* rtsp://USER:PASS@127.0.0.1:PORT/PATH; never print it. */
gchar *        arcly_test_cam_get_url_with_credentials (ArclyTestCam * cam,
                                                        const gchar * user,
                                                        const gchar * password);

guint          arcly_test_cam_get_port (ArclyTestCam * cam);
GPid           arcly_test_cam_get_pid (ArclyTestCam * cam);

/* Path of the arcly-testcam binary (from $ARCLY_TESTCAM, set by meson). */
const gchar *  arcly_test_cam_binary (void);

G_END_DECLS

#endif
