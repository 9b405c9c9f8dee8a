/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "arcly-testcam-helper.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct _ArclyTestCam
{
  GPid pid;                     /* 0 when not running */
  guint port;
  gchar *url;                   /* without credentials */
  GPtrArray *args;              /* extra args, without --port */
  gchar **program;              /* NULL: arcly-testcam; else argv prefix */
  gchar *port_flag;             /* "--port" unless the server names it else */
  struct Drain *drain;          /* its stdout's reader, or NULL */
  GThread *drain_thread;        /* that reader's thread */
};

/* The reader of a server's stdout, shared with its thread: the thread's
 * pipe fd must be closed (and the thread gone) when the server is stopped,
 * or a test counting its fds and threads right after sees them. */
typedef struct Drain
{
  gint fd;
  gint refs;                    /* atomic: the thread and the camera */
  GMutex lock;
  GCond cond;
  gboolean done;                /* (lock) fd closed, thread leaving */
} Drain;

static void
drain_unref (Drain * d)
{
  if (!g_atomic_int_dec_and_test (&d->refs))
    return;
  g_mutex_clear (&d->lock);
  g_cond_clear (&d->cond);
  g_free (d);
}

/* Waits up to 2 s for the reader to see the end of the (exited) server's
 * stdout: a grandchild that kept the pipe open must not hang a test. */
static void
drain_finish (ArclyTestCam * cam)
{
  Drain *d = cam->drain;
  gint64 deadline = g_get_monotonic_time () + 2 * G_TIME_SPAN_SECOND;
  gboolean done;

  if (d == NULL)
    return;
  cam->drain = NULL;
  g_mutex_lock (&d->lock);
  while (!d->done && g_cond_wait_until (&d->cond, &d->lock, deadline));
  done = d->done;
  g_mutex_unlock (&d->lock);
  /* done: the thread is leaving, join it so it is gone from the process */
  if (done)
    g_thread_join (cam->drain_thread);
  else
    g_thread_unref (cam->drain_thread);
  cam->drain_thread = NULL;
  drain_unref (d);
}

/* After READY the server may keep printing (arcly-restream prints status
 * lines): its stdout is drained to our stderr until it closes, so the server
 * never blocks on a full pipe or dies of SIGPIPE. */
static gpointer
drain_thread (gpointer data)
{
  Drain *d = data;
  gchar buf[4096];
  gssize n;

  while ((n = read (d->fd, buf, sizeof (buf))) != 0) {
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (write (STDERR_FILENO, buf, n) < 0)
      break;
  }
  close (d->fd);
  g_mutex_lock (&d->lock);
  d->done = TRUE;
  g_cond_broadcast (&d->cond);
  g_mutex_unlock (&d->lock);
  drain_unref (d);
  return NULL;
}

/* Every running camera of this process, so an exit path we did not plan for
 * (a failed assertion that calls exit()) still stops them. */
static GMutex running_lock;
static GList *running;
static gboolean atexit_installed;

static void
kill_all_at_exit (void)
{
  GList *l;

  g_mutex_lock (&running_lock);
  for (l = running; l; l = l->next) {
    ArclyTestCam *cam = l->data;

    if (cam->pid > 0) {
      kill (cam->pid, SIGKILL);
      waitpid (cam->pid, NULL, 0);
      cam->pid = 0;
    }
  }
  g_mutex_unlock (&running_lock);
}

static void
child_setup (gpointer user_data)
{
  /* Die with the test process, whatever kills it. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* The parent may have died between fork and prctl. */
  if (getppid () == 1)
    _exit (1);
}

const gchar *
arcly_test_cam_binary (void)
{
  const gchar *bin = g_getenv ("ARCLY_TESTCAM");

  return bin ? bin : "arcly-testcam";
}

static gboolean
read_ready_line (gint fd, gchar ** line, gint64 deadline, GError ** error)
{
  GString *buf = g_string_new (NULL);

  for (;;) {
    struct pollfd pfd = { fd, POLLIN, 0 };
    gint64 now = g_get_monotonic_time ();
    gint timeout_ms;
    gchar c[256];
    gssize n;
    gchar *nl;

    if (now >= deadline) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "arcly-testcam did not print READY in time");
      break;
    }
    timeout_ms = (deadline - now) / 1000 + 1;
    if (poll (&pfd, 1, timeout_ms) < 0) {
      if (errno == EINTR)
        continue;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
          "poll: %s", g_strerror (errno));
      break;
    }
    if (pfd.revents == 0)
      continue;
    n = read (fd, c, sizeof (c));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
          "arcly-testcam exited before READY (see its stderr above)");
      break;
    }
    g_string_append_len (buf, c, n);
    nl = strchr (buf->str, '\n');
    if (nl) {
      *nl = '\0';
      *line = g_strdup (buf->str);
      g_string_free (buf, TRUE);
      return TRUE;
    }
    if (buf->len > 4096) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "arcly-testcam printed garbage instead of READY");
      break;
    }
  }
  g_string_free (buf, TRUE);
  return FALSE;
}

static gboolean
spawn (ArclyTestCam * cam, guint port, GError ** error)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  gchar *line = NULL, *port_str;
  gint out_fd = -1;
  guint i;
  gboolean ok = FALSE;
  const gchar *p;

  if (cam->program) {
    for (i = 0; cam->program[i]; i++)
      g_ptr_array_add (argv, g_strdup (cam->program[i]));
  } else {
    g_ptr_array_add (argv, g_strdup (arcly_test_cam_binary ()));
  }
  port_str = g_strdup_printf ("%u", port);
  g_ptr_array_add (argv, g_strdup (cam->port_flag ? cam->port_flag :
          "--port"));
  g_ptr_array_add (argv, port_str);
  for (i = 0; i < cam->args->len; i++)
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (cam->args, i)));
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_async_with_pipes (NULL, (gchar **) argv->pdata, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, child_setup, NULL, &cam->pid, NULL,
          &out_fd, NULL, error))
    goto out;

  g_mutex_lock (&running_lock);
  if (!g_list_find (running, cam))
    running = g_list_prepend (running, cam);
  if (!atexit_installed) {
    atexit (kill_all_at_exit);
    atexit_installed = TRUE;
  }
  g_mutex_unlock (&running_lock);

  if (!read_ready_line (out_fd, &line,
          g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND, error)) {
    arcly_test_cam_stop (cam);
    goto out;
  }
  p = g_str_has_prefix (line, "READY ") ? strstr (line, "://127.0.0.1:") :
      NULL;
  if (p == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "unexpected first line from the server: READY "
        "<scheme>://127.0.0.1:PORT/... expected");
    arcly_test_cam_stop (cam);
    goto out;
  }
  p += strlen ("://127.0.0.1:");
  cam->port = (guint) g_ascii_strtoull (p, NULL, 10);
  g_free (cam->url);
  cam->url = g_strdup (line + strlen ("READY "));
  ok = cam->port > 0;
  if (ok) {
    Drain *d = g_new0 (Drain, 1);

    d->fd = out_fd;
    d->refs = 2;
    g_mutex_init (&d->lock);
    g_cond_init (&d->cond);
    cam->drain = d;
    cam->drain_thread = g_thread_new ("server-stdout", drain_thread, d);
    out_fd = -1;
  } else {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "arcly-testcam READY line has no port");
    arcly_test_cam_stop (cam);
  }

out:
  if (out_fd >= 0)
    close (out_fd);
  g_free (line);
  g_ptr_array_unref (argv);
  return ok;
}

ArclyTestCam *
arcly_test_server_start_full (const gchar * const *program,
    const gchar * port_flag, const gchar * const *args, GError ** error)
{
  ArclyTestCam *cam = g_new0 (ArclyTestCam, 1);
  guint port = 0;

  cam->program = g_strdupv ((gchar **) program);
  cam->port_flag = g_strdup (port_flag ? port_flag : "--port");
  cam->args = g_ptr_array_new_with_free_func (g_free);
  for (; args && *args; args++) {
    if (strcmp (*args, cam->port_flag) == 0 && args[1]) {
      port = (guint) g_ascii_strtoull (args[1], NULL, 10);
      args++;
      continue;
    }
    g_ptr_array_add (cam->args, g_strdup (*args));
  }

  if (!spawn (cam, port, error)) {
    arcly_test_cam_free (cam);
    return NULL;
  }
  return cam;
}

ArclyTestCam *
arcly_test_server_start (const gchar * const *program,
    const gchar * const *args, GError ** error)
{
  return arcly_test_server_start_full (program, NULL, args, error);
}

ArclyTestCam *
arcly_test_cam_start (const gchar * const *args, GError ** error)
{
  return arcly_test_server_start (NULL, args, error);
}

gboolean
arcly_test_cam_restart (ArclyTestCam * cam, GError ** error)
{
  g_return_val_if_fail (cam->pid == 0, FALSE);
  return spawn (cam, cam->port, error);
}

gint
arcly_test_cam_stop (ArclyTestCam * cam)
{
  gint status = -1;
  gint64 deadline;

  if (cam->pid <= 0)
    return -1;

  kill (cam->pid, SIGTERM);
  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  for (;;) {
    pid_t r = waitpid (cam->pid, &status, WNOHANG);

    if (r == cam->pid || (r < 0 && errno != EINTR))
      break;
    if (g_get_monotonic_time () > deadline) {
      g_printerr ("arcly-testcam pid %d ignored SIGTERM, killing it\n",
          (int) cam->pid);
      kill (cam->pid, SIGKILL);
      waitpid (cam->pid, &status, 0);
      break;
    }
    g_usleep (10 * 1000);
  }
  g_spawn_close_pid (cam->pid);
  cam->pid = 0;
  drain_finish (cam);
  return status;
}

gint
arcly_test_cam_wait (ArclyTestCam * cam, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;
  gint status = -1;

  if (cam->pid <= 0)
    return -1;
  while (g_get_monotonic_time () < deadline) {
    pid_t r = waitpid (cam->pid, &status, WNOHANG);

    if (r == cam->pid || (r < 0 && errno != EINTR)) {
      g_spawn_close_pid (cam->pid);
      cam->pid = 0;
      drain_finish (cam);
      return status;
    }
    g_usleep (10 * 1000);
  }
  return -1;
}

void
arcly_test_cam_free (ArclyTestCam * cam)
{
  if (cam == NULL)
    return;
  arcly_test_cam_stop (cam);
  g_mutex_lock (&running_lock);
  running = g_list_remove (running, cam);
  g_mutex_unlock (&running_lock);
  g_ptr_array_unref (cam->args);
  g_strfreev (cam->program);
  g_free (cam->port_flag);
  g_free (cam->url);
  g_free (cam);
}

const gchar *
arcly_test_cam_get_url (ArclyTestCam * cam)
{
  return cam->url;
}

gchar *
arcly_test_cam_get_url_with_credentials (ArclyTestCam * cam,
    const gchar * user, const gchar * password)
{
  gchar *u = g_uri_escape_string (user, NULL, FALSE);
  gchar *p = g_uri_escape_string (password, NULL, FALSE);
  /* the camera's own scheme: rtsp://, or rtsps:// with --tls-cert */
  const gchar *rest = strstr (cam->url, "://") + 3;
  gchar *url = g_strdup_printf ("%.*s%s:%s@%s", (int) (rest - cam->url),
      cam->url, u, p, rest);

  g_free (u);
  g_free (p);
  return url;
}

guint
arcly_test_cam_get_port (ArclyTestCam * cam)
{
  return cam->port;
}

GPid
arcly_test_cam_get_pid (ArclyTestCam * cam)
{
  return cam->pid;
}
