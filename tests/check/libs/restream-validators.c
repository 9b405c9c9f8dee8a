/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-restream's If-None-Match reader: which field values name an
 * object's entity tag (a 304) and which do not (the full answer), every
 * truncated prefix of each case read with nothing after it (the input is
 * copied to exactly its length), and hostile bytes.
 */

#include <gst/check/gstcheck.h>
#include "restream-validators.h"

#define TAG "\"661ef0e86e6a9-44e\""

static const struct
{
  const gchar *list;
  gboolean match;
} cases[] = {
  {TAG, TRUE},
  {"W/" TAG, TRUE},
  {"*", TRUE},
  {" * ", TRUE},
  {"\"a\", " TAG, TRUE},
  {"\"a\"," TAG ",\"b\"", TRUE},
  {", ," TAG, TRUE},
  {"\t" TAG "\t", TRUE},
  {"\"a,b\", " TAG, TRUE},      /* a comma inside a tag */
  {"W/\"a\",W/" TAG, TRUE},
  {"", FALSE},
  {"\"a\"", FALSE},
  {"\"661ef0e86e6a9-44f\"", FALSE},
  {"661ef0e86e6a9-44e", FALSE}, /* unquoted */
  {"\"661ef0e86e6a9-44e", FALSE},
  {"w/" TAG, FALSE},            /* W/ is case-sensitive */
  {"\"a\" junk, " TAG, FALSE},  /* malformed: nothing matches */
  {"\"a b\", " TAG, FALSE},     /* a space is not etagc */
  {"**", FALSE},
  {TAG TAG, TRUE},              /* the first matches before the junk */
};

/* @list copied to exactly @len bytes, so a read past the end is caught
 * by ASan / valgrind. */
static gboolean
matches_exact (const gchar * list, gsize len, const gchar * etag)
{
  gchar *copy = g_memdup2 (list, len);
  gboolean m = restream_etag_list_matches (copy, len, etag);

  g_free (copy);
  return m;
}

GST_START_TEST (test_cases)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gboolean m = matches_exact (cases[i].list, strlen (cases[i].list), TAG);

    fail_unless (m == cases[i].match, "'%s': %d, expected %d", cases[i].list,
        m, cases[i].match);
    /* The object's tag given weak matches the same. */
    fail_unless (matches_exact (cases[i].list, strlen (cases[i].list),
            "W/" TAG) == cases[i].match);
  }
}

GST_END_TEST;

GST_START_TEST (test_prefixes)
{
  guint i;
  gsize n;

  /* Every prefix: no crash, no read past it; a prefix that ends inside the
   * one tag that would match does not match. */
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gsize len = strlen (cases[i].list);

    for (n = 0; n <= len; n++)
      (void) matches_exact (cases[i].list, n, TAG);
  }
  for (n = 0; n < strlen (TAG); n++)
    fail_if (matches_exact (TAG, n, TAG), "prefix of %" G_GSIZE_FORMAT, n);
  fail_unless (matches_exact ("*,", 1, TAG));
}

GST_END_TEST;

GST_START_TEST (test_hostile)
{
  guint8 bytes[512];
  guint i;

  fail_if (restream_etag_list_matches (NULL, 0, TAG));
  fail_if (restream_etag_list_matches ("x", 1, NULL));
  /* NULs, high bytes, control characters, long runs of quotes/commas. */
  for (i = 0; i < sizeof (bytes); i++)
    bytes[i] = (guint8) (i * 37 + 11);
  (void) matches_exact ((const gchar *) bytes, sizeof (bytes), TAG);
  memset (bytes, '"', sizeof (bytes));
  fail_if (matches_exact ((const gchar *) bytes, sizeof (bytes), TAG));
  memset (bytes, ',', sizeof (bytes));
  fail_if (matches_exact ((const gchar *) bytes, sizeof (bytes), TAG));
  fail_unless (matches_exact ("\"\"", 2, "\"\""));
  fail_if (matches_exact ("\"a\0b\"", 5, "\"a\""));
}

GST_END_TEST;

static Suite *
restream_validators_suite (void)
{
  Suite *s = suite_create ("restream-validators");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_cases);
  tcase_add_test (tc, test_prefixes);
  tcase_add_test (tc, test_hostile);
  return s;
}

GST_CHECK_MAIN (restream_validators);
