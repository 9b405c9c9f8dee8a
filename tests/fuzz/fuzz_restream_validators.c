/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for arcly-restream's If-None-Match reader
 * (examples/restream-validators.c), which runs on the request header of
 * every conditional request.  The input is split at the first NUL into the
 * field value and the object's tag.  Checks: the value that is exactly the
 * tag (a well-formed one) matches it, and "*" followed by the value
 * matches anything.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "fuzz-split.h"

#include "restream-validators.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *list, *tag;
  gchar *copy = g_memdup2 (data, size);

  /* The raw bytes, exactly, NULs included. */
  (void) restream_etag_list_matches (copy, size, "\"0-0\"");
  g_free (copy);

  arcly_fuzz_split_at_nul (data, size, &list, &tag);
  if (tag != NULL) {
    gsize n = strlen (tag);
    gboolean well_formed = n >= 2 && tag[0] == '"' && tag[n - 1] == '"'
        && strchr (tag + 1, '"') == tag + n - 1 && strchr (tag, ' ') == NULL
        && strchr (tag, '\t') == NULL && strchr (tag, 0x7f) == NULL;
    gsize i;

    for (i = 1; well_formed && i + 1 < n; i++)
      well_formed = (guchar) tag[i] >= 0x21;
    (void) restream_etag_list_matches (list, strlen (list), tag);
    if (well_formed && !restream_etag_list_matches (tag, n, tag))
      abort ();
    if (!restream_etag_list_matches ("*", 1, tag))
      abort ();
  }
  g_free (list);
  g_free (tag);
  return 0;
}
