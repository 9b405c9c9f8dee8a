/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Replays a libFuzzer corpus without libFuzzer: every file named on the
 * command line, or found in a directory named there, is passed once to
 * LLVMFuzzerTestOneInput.  Built with every target and run by `meson test`
 * (suite "fuzz") so the regression corpus is part of the test suite.  An
 * empty or missing corpus is a failure: a target must ship its corpus.
 */

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static guint
run_path (const gchar * path)
{
  guint n = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    GDir *dir = g_dir_open (path, 0, NULL);
    const gchar *name;
    GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
    guint i;

    if (dir == NULL)
      return 0;
    while ((name = g_dir_read_name (dir)))
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
    g_dir_close (dir);
    /* Stable order, so a failure reproduces. */
    g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
    for (i = 0; i < names->len; i++)
      n += run_path (g_ptr_array_index (names, i));
    g_ptr_array_unref (names);
  } else {
    gchar *data = NULL;
    gsize len = 0;
    GError *error = NULL;
    guint8 *copy;

    if (!g_file_get_contents (path, &data, &len, &error)) {
      fprintf (stderr, "cannot read %s: %s\n", path, error->message);
      exit (1);
    }
    /* An exact-size heap copy, so ASan catches a read one byte past it. */
    copy = g_memdup2 (data, len ? len : 1);
    LLVMFuzzerTestOneInput (copy, len);
    g_free (copy);
    g_free (data);
    n = 1;
  }
  return n;
}

int
main (int argc, char **argv)
{
  guint total = 0;
  int i;

  for (i = 1; i < argc; i++)
    total += run_path (argv[i]);
  if (total == 0) {
    fprintf (stderr, "no corpus input found: every fuzz target ships a "
        "regression corpus\n");
    return 1;
  }
  printf ("replayed %u inputs\n", total);
  return 0;
}
