/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The three plugins load from the build tree (never an installed copy),
 * without a warning, and their registry entries are sane; each registers
 * exactly its list of elements, and every one of them is sane (metadata,
 * pad templates, NULL→READY→NULL).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

static const gchar *plugin_names[] = { "arclyrtsp", "arclybus", "arclyhls" };

/* What each plugin registers, exactly (sorted): a plugin_init that lost an
 * element, or registers one twice or under another plugin, fails here. */
static const struct
{
  const gchar *plugin;
  const gchar *elements[8];
} plugin_elements[] = {
  {"arclyrtsp", {"arclyaacdepay", "arclyh264depay", "arclyh265depay",
          "arclyrtspsrc", NULL}},
  {"arclybus", {"arclybus", "arclybussink", "arclybussrc", NULL}},
  {"arclyhls", {"arclyfmp4mux", "arclyhlssink", "arclytsmux", NULL}},
};

static GMutex warn_lock;
static GString *warnings;

static void
log_collector (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (level > GST_LEVEL_WARNING)
    return;
  g_mutex_lock (&warn_lock);
  g_string_append_printf (warnings, "%s %s:%d %s: %s\n",
      gst_debug_level_get_name (level), file, line,
      gst_debug_category_get_name (category),
      gst_debug_message_get (message));
  g_mutex_unlock (&warn_lock);
}

static gboolean
plugin_enabled (const gchar * name)
{
  /* ARCLY_PLUGINS lists the plugins this build enabled (set by meson). */
  const gchar *list = g_getenv ("ARCLY_PLUGINS");
  gchar **names;
  gboolean found;

  fail_unless (list != NULL, "ARCLY_PLUGINS not set: run through meson test");
  names = g_strsplit (list, ",", -1);
  found = g_strv_contains ((const gchar * const *) names, name);
  g_strfreev (names);
  return found;
}

GST_START_TEST (test_plugins_load_from_build)
{
  const gchar *build_root = g_getenv ("ARCLY_BUILD_ROOT");
  guint i, checked = 0;

  fail_unless (build_root != NULL, "ARCLY_BUILD_ROOT not set");

  for (i = 0; i < G_N_ELEMENTS (plugin_names); i++) {
    GstPlugin *plugin, *loaded;
    const gchar *filename;
    gchar *canon_build, *canon_file;

    if (!plugin_enabled (plugin_names[i]))
      continue;

    plugin = gst_registry_find_plugin (gst_registry_get (), plugin_names[i]);
    fail_unless (plugin != NULL, "plugin %s not in the registry",
        plugin_names[i]);

    filename = gst_plugin_get_filename (plugin);
    fail_unless (filename != NULL);
    canon_build = g_canonicalize_filename (build_root, NULL);
    canon_file = g_canonicalize_filename (filename, NULL);
    fail_unless (g_str_has_prefix (canon_file, canon_build),
        "plugin %s loaded from %s, not from the build %s", plugin_names[i],
        canon_file, canon_build);
    g_free (canon_build);
    g_free (canon_file);

    fail_unless_equals_string (gst_plugin_get_version (plugin), VERSION);
    fail_unless_equals_string (gst_plugin_get_license (plugin), "LGPL");
    fail_unless_equals_string (gst_plugin_get_source (plugin), "gst-arcly");
    fail_unless_equals_string (gst_plugin_get_package (plugin), "gst-arcly");
    fail_unless (g_str_has_prefix (gst_plugin_get_origin (plugin), "https://"));
    fail_unless (strlen (gst_plugin_get_description (plugin)) > 10);

    g_mutex_lock (&warn_lock);
    g_string_truncate (warnings, 0);
    g_mutex_unlock (&warn_lock);

    loaded = gst_plugin_load (plugin);
    fail_unless (loaded != NULL, "plugin %s failed to load", plugin_names[i]);
    fail_unless (gst_plugin_is_loaded (loaded));

    g_mutex_lock (&warn_lock);
    fail_unless (warnings->len == 0, "loading %s warned:\n%s",
        plugin_names[i], warnings->str);
    g_mutex_unlock (&warn_lock);

    gst_object_unref (loaded);
    gst_object_unref (plugin);
    checked++;
  }
  /* A build with every plugin disabled is a configuration error elsewhere;
   * here at least one must have been checked. */
  fail_unless (checked > 0, "no arcly plugin enabled in this build");
}

GST_END_TEST;

static void
check_factory (GstElementFactory * factory)
{
  const gchar *name = gst_plugin_feature_get_name (factory);
  const gchar *keys[] = { GST_ELEMENT_METADATA_LONGNAME,
    GST_ELEMENT_METADATA_KLASS, GST_ELEMENT_METADATA_DESCRIPTION,
    GST_ELEMENT_METADATA_AUTHOR
  };
  GstElement *element;
  guint k;

  fail_unless (g_str_has_prefix (name, "arcly"),
      "element %s does not carry the arcly prefix", name);
  for (k = 0; k < G_N_ELEMENTS (keys); k++) {
    const gchar *v = gst_element_factory_get_metadata (factory, keys[k]);

    fail_unless (v != NULL && *v != '\0', "%s: metadata %s empty", name,
        keys[k]);
  }
  fail_unless (gst_element_factory_get_num_pad_templates (factory) > 0,
      "%s has no pad templates", name);

  element = gst_element_factory_create (factory, NULL);
  fail_unless (element != NULL, "cannot create %s", name);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (element);
}

GST_START_TEST (test_elements_sane)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (plugin_names); i++) {
    GList *features, *l;

    if (!plugin_enabled (plugin_names[i]))
      continue;
    features = gst_registry_get_feature_list_by_plugin (gst_registry_get (),
        plugin_names[i]);
    for (l = features; l; l = l->next) {
      if (GST_IS_ELEMENT_FACTORY (l->data))
        check_factory (GST_ELEMENT_FACTORY (l->data));
    }
    gst_plugin_feature_list_free (features);
  }
}

GST_END_TEST;

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

GST_START_TEST (test_exact_element_list)
{
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (plugin_elements); i++) {
    const gchar *plugin = plugin_elements[i].plugin;
    GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
    GString *got = g_string_new (NULL), *want = g_string_new (NULL);
    GList *features, *l;

    if (!plugin_enabled (plugin))
      continue;
    features = gst_registry_get_feature_list_by_plugin (gst_registry_get (),
        plugin);
    for (l = features; l; l = l->next) {
      if (GST_IS_ELEMENT_FACTORY (l->data))
        g_ptr_array_add (names,
            g_strdup (gst_plugin_feature_get_name (l->data)));
    }
    gst_plugin_feature_list_free (features);
    g_ptr_array_sort (names, compare_strings);
    for (j = 0; j < names->len; j++)
      g_string_append_printf (got, "%s ", (gchar *) names->pdata[j]);
    for (j = 0; plugin_elements[i].elements[j] != NULL; j++) {
      GstElementFactory *f =
          gst_element_factory_find (plugin_elements[i].elements[j]);

      g_string_append_printf (want, "%s ", plugin_elements[i].elements[j]);
      /* and the registry finds it by name, in this plugin */
      fail_unless (f != NULL, "%s not found", plugin_elements[i].elements[j]);
      fail_unless_equals_string (gst_plugin_feature_get_plugin_name
          (GST_PLUGIN_FEATURE (f)), plugin);
      gst_object_unref (f);
    }
    fail_unless_equals_string (got->str, want->str);
    g_string_free (got, TRUE);
    g_string_free (want, TRUE);
    g_ptr_array_unref (names);
  }
}

GST_END_TEST;

static Suite *
plugins_suite (void)
{
  Suite *s = suite_create ("plugins");
  TCase *tc = tcase_create ("general");

  warnings = g_string_new (NULL);
  /* Warnings must reach the collector whatever GST_DEBUG says. */
  gst_debug_set_active (TRUE);
  if (gst_debug_get_default_threshold () < GST_LEVEL_WARNING)
    gst_debug_set_default_threshold (GST_LEVEL_WARNING);
  gst_debug_add_log_function (log_collector, NULL, NULL);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plugins_load_from_build);
  tcase_add_test (tc, test_elements_sane);
  tcase_add_test (tc, test_exact_element_list);
  return s;
}

GST_CHECK_MAIN (plugins);
