# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Programs a restream test starts: each prints READY <url> first, its
output is kept, and every one is stopped by PID (its session) at the end,
also on failure."""

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time

procs = []


def _terminated(signum, frame):
    # meson test stops a test that runs over its time with SIGTERM, which
    # would end Python at once: the servers (each in its own session) would
    # be left running.  Unwind instead, through the tests' finally blocks
    # and the atexit below.
    sys.exit("FAIL: terminated by signal %d (over its time?)" % signum)


signal.signal(signal.SIGTERM, _terminated)


class Server:
    def __init__(self, argv, env=None):
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, start_new_session=True, env=env)
        procs.append(self.p)
        self.lines = []
        self.cond = threading.Condition()
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = self.p.stdout.readline()
            if not line or line.startswith("READY "):
                break
            self.lines.append(line)
        if not line.startswith("READY "):
            raise SystemExit("FAIL: %s did not start: %s" % (argv[0], "".join(self.lines)))
        self.url = line.split()[1]
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.p.stdout:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def output(self):
        with self.cond:
            return "".join(self.lines)

    def wait_line(self, text, timeout):
        """Waits until a line containing @text was printed."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not any(text in ln for ln in self.lines):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def signal(self, sig):
        os.kill(self.p.pid, sig)


def wait_until(cond, timeout, step=0.1):
    """Polls @cond every @step seconds until it holds or @timeout passed;
    its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def stop_all():
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGINT)
    for p in reversed(procs):
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    del procs[:]


atexit.register(stop_all)


def free_port():
    """A TCP port free on 127.0.0.1 now (and its UDP twin is not checked)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
