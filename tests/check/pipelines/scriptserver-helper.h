/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Start tests/check/servers/rtsp-script-server.py for a check, read its JSON
 * event log, stop it.  Shared by pipelines/scriptserver.c (rtspsrc, ffprobe)
 * and pipelines/scriptserver-client.c (our modules driving a minimal client).
 */

#ifndef __ARCLY_SCRIPTSERVER_HELPER_H__
#define __ARCLY_SCRIPTSERVER_HELPER_H__

#include "arcly-testcam-helper.h"

G_BEGIN_DECLS

/* Credentials every auth scenario is started with; never printed. */
#define SCRIPT_USER "u"
#define SCRIPT_PASS "p4ss-Secret"

typedef struct
{
  ArclyTestCam *srv;
  gchar *dir;
  gchar *log_path;
} Script;

/* Starts the server in @scenario with a log in a fresh temporary folder
 * (fails the test when it does not start). */
Script * script_start (const gchar * scenario);

/* The event log so far (one JSON object per line). */
gchar *  script_log (Script * s);

/* Stops it (SIGTERM must give exit status 0), returns the complete log
 * (checked to hold no password) and frees @s. */
gchar *  script_stop_and_log (Script * s);

/* Stops it if running and frees @s, without checks. */
void     script_free (Script * s);

/* Lines of @text holding every one of the NULL-terminated needles. */
guint    count_lines_with (const gchar * text, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS

#endif
