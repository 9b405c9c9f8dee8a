#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`meson devenv -C BUILD` gives a shell where gst-inspect-1.0 shows the
three plugins from this build, as the README promises.

gst-inspect-1.0 runs through `meson devenv` with every GST_PLUGIN_PATH
variable removed from its environment and its own registry file, so only
the devenv can have told it where the plugins are.  Each plugin must be
loaded from this build folder, with its version, LGPL license and origin.
"""

import os
import subprocess
import sys
import tempfile

BUILD = os.environ["ARCLY_BUILD_ROOT"]
MESON = os.environ.get("ARCLY_MESON", "meson")
PLUGINS = [p for p in os.environ.get("ARCLY_PLUGINS", "").split(",") if p]


def inspect(plugin, env):
    r = subprocess.run([MESON, "devenv", "-C", BUILD, "gst-inspect-1.0", plugin],
                       env=env, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def main():
    if not PLUGINS:
        print("ARCLY_PLUGINS is empty: no plugin was built")
        return 1
    failed = 0
    with tempfile.TemporaryDirectory(prefix="arcly-devenv-") as tmp:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("GST_PLUGIN_PATH")}
        env["GST_REGISTRY_1_0"] = os.path.join(tmp, "registry.bin")
        env.pop("GST_REGISTRY", None)
        for plugin in PLUGINS:
            rc, out = inspect(plugin, env)
            fields = {}
            for line in out.splitlines():
                key, sep, value = line.strip().partition("  ")
                if sep:
                    fields[key.strip()] = value.strip()
            problems = []
            if rc != 0:
                problems.append("exit status %d" % rc)
            filename = fields.get("Filename", "")
            expected = "libgst%s.so" % plugin
            if not filename.startswith(os.path.realpath(BUILD) + os.sep) and \
                    not filename.startswith(BUILD + os.sep):
                problems.append("Filename %r is not in %s" % (filename, BUILD))
            if not filename.endswith(expected):
                problems.append("Filename %r is not %s" % (filename, expected))
            if fields.get("License") != "LGPL":
                problems.append("License %r" % fields.get("License"))
            if not fields.get("Version"):
                problems.append("no Version")
            if not fields.get("Origin URL"):
                problems.append("no Origin URL")
            if "WARNING" in out or "CRITICAL" in out:
                problems.append("a warning while loading")
            if problems:
                failed += 1
                print("FAIL %s: %s\n%s" % (plugin, "; ".join(problems), out))
            else:
                print("ok   %s: %s, version %s" % (plugin, filename,
                                                  fields["Version"]))
    print("devenv plugins: %d passed, %d failed" % (len(PLUGINS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
