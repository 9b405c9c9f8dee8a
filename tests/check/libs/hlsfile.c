/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The HLS sink's crash-safe file writer (gst/arclyhls/hlsfile.c): files
 * end up 0644 whatever the umask (web servers may run as another user),
 * and the fchmod(2) that ensures it is only spent when the umask would
 * clear a bit of 0644 (it was one system call per LL-HLS part and per
 * playlist rewrite).  The writer reads the umask once per process, so
 * each case runs in a child process of its own; fchmod() is counted by
 * wrapping it in this program.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "hlsfile.h"

static gint fchmods;

int
fchmod (int fd, mode_t mode)
{
  static int (*real) (int, mode_t) = NULL;

  if (real == NULL)
    real = (int (*)(int, mode_t)) dlsym (RTLD_NEXT, "fchmod");
  g_atomic_int_inc (&fchmods);
  return real (fd, mode);
}

/* Child exit codes */
enum
{
  CHILD_OK = 0,
  CHILD_WRITE_FAILED = 10,
  CHILD_BAD_MODE = 11,
  CHILD_BAD_FCHMODS = 12,
};

/* In a child process with umask @mask: writes 3 files (a part, the
 * playlist twice) and checks their mode and the fchmod calls. */
static gint
write_with_umask (const gchar * dir, mode_t mask, gint want_fchmods)
{
  const gchar *names[] = { "part0.m4s", "playlist.m3u8", "playlist.m3u8" };
  guint i;

  umask (mask);
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    gchar *path = g_build_filename (dir, names[i], NULL);
    GStatBuf st;
    gboolean ok = arcly_hls_file_write_atomic_sync (path,
        (const guint8 *) "#EXTM3U\n", 8, FALSE, NULL);

    if (!ok)
      return CHILD_WRITE_FAILED;
    if (g_stat (path, &st) != 0 || (st.st_mode & 0777) != 0644)
      return CHILD_BAD_MODE;
    g_free (path);
  }
  if (g_atomic_int_get (&fchmods) != want_fchmods)
    return CHILD_BAD_FCHMODS;
  return CHILD_OK;
}

static gint
run_child (mode_t mask, gint want_fchmods)
{
  gchar *dir = g_dir_make_tmp ("arcly-hlsfile-XXXXXX", NULL);
  gint status = -1;
  pid_t pid;

  fail_unless (dir != NULL);
  pid = fork ();
  fail_unless (pid >= 0);
  if (pid == 0)
    _exit (write_with_umask (dir, mask, want_fchmods));
  fail_unless (waitpid (pid, &status, 0) == pid);
  {
    const gchar *n;
    GDir *d = g_dir_open (dir, 0, NULL);

    while (d && (n = g_dir_read_name (d))) {
      gchar *p = g_build_filename (dir, n, NULL);

      g_unlink (p);
      g_free (p);
    }
    if (d)
      g_dir_close (d);
    g_rmdir (dir);
  }
  g_free (dir);
  fail_unless (WIFEXITED (status), "child did not exit");
  return WEXITSTATUS (status);
}

/* umask 022: created 0644 already, no fchmod at all */
GST_START_TEST (test_usual_umask_no_fchmod)
{
  fail_unless_equals_int (run_child (022, 0), CHILD_OK);
  fail_unless_equals_int (run_child (002, 0), CHILD_OK);
}

GST_END_TEST;

/* umask 077 would leave 0600: each file is fchmodded to 0644 */
GST_START_TEST (test_narrow_umask_fchmod)
{
  fail_unless_equals_int (run_child (077, 3), CHILD_OK);
  fail_unless_equals_int (run_child (027, 3), CHILD_OK);
}

GST_END_TEST;

static Suite *
hlsfile_suite (void)
{
  Suite *s = suite_create ("hlsfile");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_usual_umask_no_fchmod);
  tcase_add_test (tc, test_narrow_umask_fchmod);
  return s;
}

GST_CHECK_MAIN (hlsfile);
