/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by the fuzz targets that take two strings: the input up to its
 * first NUL, and what follows it (NULL when there is no NUL).  Both are
 * newly allocated and NUL-terminated; free them with g_free().
 */

#ifndef ARCLY_FUZZ_SPLIT_H
#define ARCLY_FUZZ_SPLIT_H

#include <string.h>
#include <glib.h>

static inline void
arcly_fuzz_split_at_nul (const guint8 * data, gsize size, gchar ** first,
    gchar ** second)
{
  const guint8 *nul = memchr (data, 0, size);
  gsize first_len = nul ? (gsize) (nul - data) : size;

  *first = g_strndup ((const gchar *) data, first_len);
  *second = nul ? g_strndup ((const gchar *) nul + 1, size - first_len - 1)
      : NULL;
}

#endif /* ARCLY_FUZZ_SPLIT_H */
