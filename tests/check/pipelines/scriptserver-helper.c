/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "scriptserver-helper.h"

static gchar *
script_path (void)
{
  const gchar *root = g_getenv ("ARCLY_SOURCE_ROOT");

  fail_unless (root != NULL, "ARCLY_SOURCE_ROOT not set (run through meson)");
  return g_build_filename (root, "tests", "check", "servers",
      "rtsp-script-server.py", NULL);
}

/* A real interpreter: a version-manager shim (pyenv) in PATH costs a second
 * or more per start on a loaded machine. */
static const gchar *
python_program (void)
{
  const gchar *env = g_getenv ("ARCLY_PYTHON");

  if (env && *env)
    return env;
  if (g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    return "/usr/bin/python3";
  return "python3";
}

Script *
script_start (const gchar * scenario)
{
  Script *s = g_new0 (Script, 1);
  gchar *path = script_path ();
  const gchar *program[] = { python_program (), path, NULL };
  const gchar *args[] = { "--scenario", scenario, "--log", NULL, "--user",
    SCRIPT_USER, "--password", SCRIPT_PASS, NULL
  };
  GError *error = NULL;

  fail_unless (g_file_test (path, G_FILE_TEST_EXISTS), "missing %s", path);
  s->dir = g_dir_make_tmp ("arcly-script-XXXXXX", &error);
  fail_unless (s->dir != NULL, "tmp dir: %s", error ? error->message : "");
  s->log_path = g_build_filename (s->dir, "events.jsonl", NULL);
  args[3] = s->log_path;
  s->srv = arcly_test_server_start (program, args, &error);
  fail_unless (s->srv != NULL, "script server (%s) did not start: %s",
      scenario, error ? error->message : "?");
  g_free (path);
  return s;
}

gchar *
script_log (Script * s)
{
  gchar *text = NULL;

  fail_unless (g_file_get_contents (s->log_path, &text, NULL, NULL),
      "no event log");
  return text;
}

void
script_free (Script * s)
{
  arcly_test_cam_free (s->srv);
  g_unlink (s->log_path);
  g_rmdir (s->dir);
  g_free (s->log_path);
  g_free (s->dir);
  g_free (s);
}

gchar *
script_stop_and_log (Script * s)
{
  gint status = arcly_test_cam_stop (s->srv);
  gchar *log;

  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "script server exit status %d", status);
  log = script_log (s);
  script_free (s);
  fail_unless (strstr (log, SCRIPT_PASS) == NULL);
  return log;
}

guint
count_lines_with (const gchar * text, ...)
{
  gchar **lines = g_strsplit (text, "\n", -1);
  guint i, n = 0;

  for (i = 0; lines[i]; i++) {
    va_list ap;
    const gchar *needle;
    gboolean all = lines[i][0] != '\0';

    va_start (ap, text);
    while ((needle = va_arg (ap, const gchar *)) != NULL)
      if (strstr (lines[i], needle) == NULL)
        all = FALSE;
    va_end (ap);
    if (all)
      n++;
  }
  g_strfreev (lines);
  return n;
}
