#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs every gst-launch-1.0 pipeline written in the docs, bounded in time.

A documented pipeline that does not work when pasted is a bug.  Every
`gst-launch-1.0 ...` command in a ```sh / ```shell / ```console block of
README.md and docs/**/*.md is run:

- in a fresh temporary directory (relative output paths land there);
- with every rtsp:// URL of the docs (example camera addresses included)
  pointed at a running arcly-testcam with Digest auth, and user-id/user-pw
  properties set to its credentials;
- for at most RUN_SECONDS: a pipeline still running then is stopped with
  SIGINT (gst-launch-1.0 -e sends EOS) and must exit 0 within STOP_SECONDS;
  a pipeline that ends by itself must exit 0;
- its output must hold no "ERROR" line and no GStreamer CRITICAL.

A block line "# doc-test: skip <reason>" before a command excludes it, and
every exclusion is printed; a command that needs a display is a reason.
Prints "doc pipelines: N passed, N failed" and exits non-zero on a failure or
when no pipeline was found.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

RUN_SECONDS = 6
STOP_SECONDS = 10
CAM_USER = "user"
CAM_PASS = "pass"

ROOT = os.environ.get("ARCLY_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TESTCAM = os.environ.get("ARCLY_TESTCAM", "arcly-testcam")


def doc_files():
    files = [os.path.join(ROOT, "README.md")]
    for d, _, names in os.walk(os.path.join(ROOT, "docs")):
        files += [os.path.join(d, n) for n in sorted(names) if n.endswith(".md")]
    return sorted(files)


def extract(path):
    """Yields (line number, command, skip reason or None)."""
    in_fence = False   # inside any ``` block
    in_block = False   # inside a shell block whose commands run
    skip = None
    cmd = None
    start = 0
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("```"):
                if in_fence:
                    in_fence = in_block = False
                else:
                    in_fence = True
                    # untagged blocks too: a gst-launch-1.0 line is a pipeline
                    in_block = line[3:].strip() in ("", "sh", "shell", "console", "bash")
                skip = None
                continue
            if not in_block:
                continue
            m = re.match(r"\s*#\s*doc-test:\s*skip\s*(.*)", line)
            if m:
                skip = m.group(1) or "no reason given"
                continue
            text = line.strip()
            if text.startswith("$ "):
                text = text[2:]
            if cmd is not None:
                cmd += " " + text.rstrip("\\").strip()
                if not text.endswith("\\"):
                    yield start, cmd, skip
                    cmd, skip = None, None
                continue
            if text.startswith("gst-launch-1.0"):
                start = no
                cmd = text.rstrip("\\").strip()
                if not text.endswith("\\"):
                    yield start, cmd, skip
                    cmd, skip = None, None


def start_camera():
    p = subprocess.Popen([TESTCAM, "--port", "0", "--auth", "digest", "--user", CAM_USER,
                          "--password", CAM_PASS, "--gop", "30", "--size", "320x180"],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("READY rtsp://127.0.0.1:"):
        p.kill()
        raise SystemExit("test camera did not start")
    port = int(line.split(":")[2].split("/")[0])
    return p, port


def run(cmd, port, env):
    # Every camera of the docs (rtsp://[user:pw@]host[:port]/path, an
    # example address or the test camera's) is the running test camera, and
    # credentials given as properties are its own.
    cmd = re.sub(r"rtsp://[^\s\"']+",
                 "rtsp://%s:%s@127.0.0.1:%d/cam" % (CAM_USER, CAM_PASS, port), cmd)
    cmd = re.sub(r"\buser-id=\S+", "user-id=" + CAM_USER, cmd)
    cmd = re.sub(r"\buser-pw=\S+", "user-pw=" + CAM_PASS, cmd)
    # No display here: the docs' video/audio sinks become clocked fakesinks.
    cmd = re.sub(r"\b(autovideosink|xvimagesink|ximagesink|glimagesink|autoaudiosink|"
                 r"pulsesink|alsasink)\b", "fakesink sync=true", cmd)
    work = tempfile.mkdtemp(prefix="arcly-doc-")
    try:
        # exec: SIGINT must reach gst-launch-1.0 itself, not a shell around it
        p = subprocess.Popen("exec " + cmd, shell=True, cwd=work, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=RUN_SECONDS)
            stopped = False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGINT)
            try:
                out, _ = p.communicate(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                out, _ = p.communicate()
                return False, "did not stop within %d s after SIGINT\n%s" % (STOP_SECONDS, out)
            stopped = True
        ok = p.returncode == 0 and "ERROR" not in out and "CRITICAL" not in out
        return ok, "exit %d%s\n%s" % (p.returncode, " after SIGINT" if stopped else "", out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    env = dict(os.environ)
    passed = failed = 0
    cam, port = start_camera()
    try:
        for path in doc_files():
            for no, cmd, skip in extract(path):
                where = "%s:%d" % (os.path.relpath(path, ROOT), no)
                if skip:
                    print("SKIPPED (excluded in the doc: %s) %s" % (skip, where))
                    continue
                ok, detail = run(cmd, port, env)
                detail = detail.replace(CAM_PASS, "***")
                if ok:
                    passed += 1
                    print("ok   %s" % where)
                else:
                    failed += 1
                    print("FAIL %s: %s\n%s" % (where, cmd, detail[-3000:]))
    finally:
        cam.send_signal(signal.SIGTERM)
        try:
            cam.wait(timeout=5)
        except subprocess.TimeoutExpired:
            cam.kill()
            cam.wait()
    print("doc pipelines: %d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
