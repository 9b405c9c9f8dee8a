/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* Plugin "arclybus": zero-copy live fan-out with GOP cache.
 * This file only registers; every element lives in its own file and is
 * declared in gstarclybuselements.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstarclybuselements.h"

GST_DEBUG_CATEGORY (arclybus_debug);

static gboolean
plugin_init (GstPlugin * plugin)
{
  /* FALSE unless an element registers: a plugin with none fails to load
   * instead of loading empty. */
  gboolean ret = FALSE;

  GST_DEBUG_CATEGORY_INIT (arclybus_debug, "arclybus", 0,
      "gst-arcly arclybus plugin");

  /* Each element registers with GST_ELEMENT_REGISTER_DEFINE in its own file;
   * add "ret |= GST_ELEMENT_REGISTER (name, plugin);" lines below. */
  /* ARCLY-ELEMENTS-BEGIN */
  ret |= GST_ELEMENT_REGISTER (arclybus, plugin);
  ret |= GST_ELEMENT_REGISTER (arclybussink, plugin);
  ret |= GST_ELEMENT_REGISTER (arclybussrc, plugin);
  /* ARCLY-ELEMENTS-END */

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR,
    arclybus, "zero-copy live fan-out with GOP cache", plugin_init, VERSION, GST_LICENSE,
    GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
