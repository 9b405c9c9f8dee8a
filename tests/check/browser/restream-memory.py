#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""arcly-restream without --output serves from memory and writes nothing:

- it runs with a fresh, empty HOME, working folder and TMPDIR (the
  registry, GST_REGISTRY, lives in the build folder as for every test);
- headless Chromium plays its camera in hls.js (the index page, LL-HLS with
  blocking reloads and preload hints, woken by the writer): the player
  advances, frames are decoded, no fatal error;
- while it plays, no file descriptor of the process is a file opened for
  writing (sampled every 0.2 s from /proc/PID/fd and fdinfo);
- SIGINT stops it cleanly (exit status 0, within 15 s, no "did not
  complete" message);
- afterwards HOME, the working folder and TMPDIR are still empty.

The page driver is browser/restream.py's.  Every process started here is
stopped by PID at the end, also on failure; Chromium runs in its own
process group and is killed by it.
"""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("browser_restream", os.path.join(HERE, "restream.py"))
br = importlib.util.module_from_spec(spec)
spec.loader.exec_module(br)

ADVANCE_SECONDS = 4
WATCH_SECONDS = 30


def files_under(*dirs):
    found = []
    for d in dirs:
        for root, subdirs, files in os.walk(d):
            found += [os.path.join(root, x) for x in subdirs + files]
    return found


def written_files(pid):
    """Regular files (not sockets, pipes, devices, anonymous inodes) the
    process has open for writing now."""
    found = []
    fd_dir = "/proc/%d/fd" % pid
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return found
    for fd in fds:
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                flags = int(f.readline().split()[1], 8)
        except (OSError, ValueError, IndexError):
            continue
        if not target.startswith("/") or target.startswith(("/dev/", "/proc/")):
            continue
        if flags & os.O_ACCMODE != os.O_RDONLY:
            found.append(target)
    return found


def main():
    if not os.access(br.CHROMIUM, os.X_OK):
        print("FAIL: %s missing (apt-get install chromium)" % br.CHROMIUM)
        return 1
    root = tempfile.mkdtemp(prefix="arcly-restream-memory-")
    home, cwd, tmp = (os.path.join(root, d) for d in ("home", "cwd", "tmp"))
    for d in (home, cwd, tmp):
        os.makedirs(d)
    profile = tempfile.mkdtemp(prefix="arcly-chromium-")
    problems = []

    def check(cond, what):
        print("%s: %s" % ("ok" if cond else "FAIL", what), flush=True)
        if not cond:
            problems.append(what)

    try:
        _, cam_url = br.spawn_ready([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30",
                                     "--size", "320x180"], "camera")
        env = dict(os.environ, HOME=home, TMPDIR=tmp)
        for k in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
            env.pop(k, None)
        rs = subprocess.Popen([os.environ["ARCLY_RESTREAM"], "--http-port", "0", "--rtsp-port", "0",
                               "--camera", "a=" + cam_url], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
        br.procs.append(rs)
        lines = []
        line = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = rs.stdout.readline()
            if not line or line.startswith("READY "):
                break
            lines.append(line)
        if not line.startswith("READY "):
            raise SystemExit("FAIL: arcly-restream did not start: %s" % "".join(lines))
        http = line.split()[1]
        threading.Thread(target=lambda: [lines.append(ln) for ln in rs.stdout], daemon=True).start()

        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(http + "cam/a/playlist.m3u8", timeout=5) as r:
                    if b"#EXTINF" in r.read():
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("FAIL: no segment after 30 s")
            time.sleep(0.2)

        cdp = br.Cdp(http, profile)
        first = None
        state = {}
        writing = set()
        t0 = time.monotonic()
        while time.monotonic() - t0 < WATCH_SECONDS:
            for _ in range(5):
                writing.update(written_files(rs.pid))
                time.sleep(0.2)
            state = json.loads(cdp.evaluate(br.STATE_JS) or "{}")
            s = state.get("players", {}).get("a")
            if s and s["time"] > 0 and first is None:
                first = s["time"]
            if first is not None and s["time"] > first + ADVANCE_SECONDS:
                break
        s = state.get("players", {}).get("a") or {}
        print("player: %s" % json.dumps(s))
        check(state.get("hls") and not s.get("fatal") and not s.get("error"),
              "hls.js loaded, no fatal error (%s, %s)" % (s.get("fatal"), s.get("error")))
        check(first is not None and s.get("time", 0) > first + ADVANCE_SECONDS
              and s.get("frames", 0) > 0 and s.get("width") == 320,
              "the player advanced %.1f s from memory (%d frames, width %s)"
              % (s.get("time", 0) - (first or 0), s.get("frames", 0), s.get("width")))
        check(not writing, "no file open for writing while playing (%s)" % sorted(writing))

        t1 = time.monotonic()
        os.kill(rs.pid, signal.SIGINT)
        try:
            rc = rs.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        out = "".join(lines)
        check(rc == 0 and "did not complete" not in out,
              "SIGINT: exit status %s after %.1f s" % (rc, time.monotonic() - t1))
        left = files_under(home, cwd, tmp)
        check(not left, "HOME, working folder and TMPDIR still empty (%s)" % left[:10])
    finally:
        br.stop_all()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)
    if problems:
        print("FAILED: %d problem(s)" % len(problems))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
