#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""arcly-restream serving from memory (restream-store.c, restream-origin.c),
against the test camera (target 1 s, parts 200 ms), with --output so the
same objects are on disk too:

- same bytes: every object the playlist lists (init segment, segments,
  parts) is served byte for byte as its file in --output, and so is the
  playlist; the objects held in memory stay bounded by the live window
  (delete-fragment frees them: the count and bytes in the status line stay
  flat and match the files on disk);
- validators: segments, parts, init segments and playlists (plain and
  blocking) carry ETag and Last-Modified; If-None-Match with that ETag
  (also weak, also in a list, also on HEAD) is a 304 with the ETag and
  Cache-Control and no body, another ETag a 200; If-Modified-Since at
  Last-Modified is a 304 for media, before it a 200; a blocking playlist
  request repeated with its answer's ETag is a 304;
- held requests: ARCLY_HELD (default 2,000) blocking playlist requests for
  a part not written yet, each on its own connection, are all held on the
  origin's one main loop (its thread count does not change), all answered
  200 with one playlist (one ETag) within a short spread once the part
  exists, and cost a bounded amount of memory each (RSS).

Every process started here is stopped by PID at the end, also on failure.
"""

import asyncio
import email.utils
import http.client
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("restream_http", os.path.join(HERE, "restream-http.py"))
rh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rh)
sys.path.insert(0, os.path.join(HERE, ".."))
import llhls_viewers as lv  # noqa: E402

HELD = int(os.environ.get("ARCLY_HELD", "2000"))
# RSS a held request may cost the origin, on average (its connection in
# libsoup, the message, the waiter).
HELD_KIB_EACH = 48
# Answers to one wake-up arrive within this spread (2 cores shared with
# the client and other tests).
HELD_SPREAD_S = 1.5


def request(port, path, method="GET", headers=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        c.close()


def check(cond, what, problems):
    print("%s: %s" % ("ok" if cond else "FAIL", what), flush=True)
    if not cond:
        problems.append(what)


def listed(text):
    """init segment, complete segments and parts the playlist lists."""
    init = re.findall(r'#EXT-X-MAP:URI="([^"]+)"', text)
    segs = re.findall(r"^([^#\n][^\n]*)$", text, re.M)
    parts = re.findall(r'#EXT-X-PART:[^\n]*URI="([^"]+)"', text)
    return init, segs, parts


def usage(rs):
    """The last status line: (held, objects, bytes, max bytes)."""
    for line in reversed(rs.output().splitlines()):
        m = re.match(r"\[a\] origin: (\d+) held requests, (\d+) objects in memory, "
                     r"(\d+) bytes \(at most (\d+)\)", line)
        if m:
            return tuple(int(x) for x in m.groups())
    return None


def test_same_bytes(port, cam_dir, problems):
    same = 0
    for _ in range(20):
        with open(os.path.join(cam_dir, "playlist.m3u8"), "rb") as f:
            before = f.read()
        st, _, served = request(port, "/cam/a/playlist.m3u8")
        with open(os.path.join(cam_dir, "playlist.m3u8"), "rb") as f:
            after = f.read()
        if st == 200 and before == after and served == before:
            same += 1
            break
    check(same == 1, "the playlist served from memory is the playlist file", problems)

    text = served.decode()
    init, segs, parts = listed(text)
    compared = mismatched = 0
    for name in init + segs + parts:
        st, _, body = request(port, "/cam/a/" + name)
        try:
            with open(os.path.join(cam_dir, name), "rb") as f:
                disk = f.read()
        except FileNotFoundError:
            continue        # left the window since the playlist was read
        if st != 200:
            continue
        compared += 1
        if body != disk:
            mismatched += 1
            print("  %s: %d bytes served, %d on disk" % (name, len(body), len(disk)))
    check(compared >= len(segs) + len(parts) // 2 and mismatched == 0 and init and segs,
          "%d listed objects (init %s, %d segments, %d parts) served as their files, "
          "byte for byte (%d differ)" % (compared, init, len(segs), len(parts), mismatched),
          problems)


def test_bounded(rs, cam_dir, problems, seconds=8):
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n = len(rs.lines)
        rs.wait_line_after(n, "[a] origin:", 7)
        u = usage(rs)
        files = [f for f in os.listdir(cam_dir) if not f.startswith(".")]
        if u:
            samples.append((u[1], u[2], len(files)))
    print("  (objects in memory, bytes, files on disk) every status line: %s" % samples)
    objs = [s[0] for s in samples]
    # the status line and the listing are taken at different moments: the
    # writer may have published a segment's worth of objects (its parts and
    # itself) in memory that are not renamed into the folder yet (segments
    # are fsynced first), or deleted them from one and not yet the other
    check(len(samples) >= 1 and max(objs) <= 60 and all(abs(o - f) <= 6 for o, _, f in samples),
          "memory bounded by the window: at most %s objects, as many as files on disk"
          % (max(objs) if objs else None), problems)


def test_validators(port, problems):
    base = "/cam/a/"
    st, h, body = request(port, base + "playlist.m3u8")
    pl = lv.Playlist(body.decode())
    init, segs, parts = listed(pl.text)
    blocking = "%splaylist.m3u8?_HLS_msn=%d&_HLS_part=%d" % (base, pl.next_msn,
                                                             max(0, len(pl.open_parts) - 1))
    if not pl.open_parts:
        blocking = "%splaylist.m3u8?_HLS_msn=%d" % (base, pl.next_msn - 1)
    for name, path, media in (("playlist", base + "playlist.m3u8", False),
                              ("blocking playlist", blocking, False),
                              ("init " + init[0], base + init[0], True),
                              ("segment " + segs[-1], base + segs[-1], True),
                              ("part " + parts[-1], base + parts[-1], True)):
        st, h, body = request(port, path)
        etag, lm = h.get("etag"), h.get("last-modified")
        check(st == 200 and etag and etag.startswith('"') and lm,
              "%s: 200 with ETag %s and Last-Modified %s" % (name, etag, lm), problems)
        if st != 200 or not etag:
            continue
        for what, hdrs, method in (("If-None-Match", {"If-None-Match": etag}, "GET"),
                                   ("weak If-None-Match", {"If-None-Match": "W/" + etag}, "GET"),
                                   ("If-None-Match list", {"If-None-Match": '"x", ' + etag}, "GET"),
                                   ("HEAD If-None-Match", {"If-None-Match": etag}, "HEAD")):
            st2, h2, body2 = request(port, path, method=method, headers=hdrs)
            check(st2 == 304 and body2 == b"" and h2.get("etag") == etag
                  and h2.get("cache-control") == h.get("cache-control"),
                  "%s, %s: 304, same ETag and Cache-Control, no body (%d, %s)"
                  % (name, what, st2, h2.get("etag")), problems)
        st2, _, body2 = request(port, path, headers={"If-None-Match": '"other-etag"'})
        check(st2 == 200 and len(body2) == len(body) and (not media or body2 == body),
              "%s, another ETag: 200 with the body" % name, problems)
        if media:
            st2, _, body2 = request(port, path, headers={"If-Modified-Since": lm})
            check(st2 == 304 and body2 == b"", "%s, If-Modified-Since Last-Modified: 304 (%d)"
                  % (name, st2), problems)
            earlier = email.utils.formatdate(email.utils.parsedate_to_datetime(lm).timestamp()
                                             - 86400, usegmt=True)
            st2, _, body2 = request(port, path, headers={"If-Modified-Since": earlier})
            check(st2 == 200 and body2 == body, "%s, If-Modified-Since a day before: 200 (%d)"
                  % (name, st2), problems)


async def held_requests(port, n, pid, problems):
    conns = []
    for i in range(0, n, 200):
        batch = [lv.Connection("127.0.0.1", port) for _ in range(min(200, n - i))]
        await asyncio.gather(*(c.open() for c in batch))
        conns += batch
    # Now that every connection is open: the part two after the newest.
    st, _, body = await conns[0].get("/cam/a/playlist.m3u8")
    pl = lv.Playlist(body.decode())
    path = "/cam/a/playlist.m3u8?_HLS_msn=%d&_HLS_part=%d" % (pl.next_msn, len(pl.open_parts) + 1)
    threads0 = lv.proc_status(pid, "Threads")
    rss0 = lv.proc_status(pid, "VmRSS")
    t0 = time.monotonic()
    for c in conns:
        c.writer.write(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
    await asyncio.gather(*(c.writer.drain() for c in conns))
    answered = []

    async def one(c):
        st, h, body = await c.response()
        answered.append((time.monotonic(), st, h.get("etag"), body))

    tasks = [asyncio.ensure_future(one(c)) for c in conns]
    # While every request is held: the origin's threads and memory.
    await asyncio.sleep(0.05)
    threads_held = lv.proc_status(pid, "Threads")
    rss_held = lv.proc_status(pid, "VmRSS")
    held_now = n - len(answered)
    done, pending = await asyncio.wait(tasks, timeout=10)
    for t in pending:
        t.cancel()
    threads1 = lv.proc_status(pid, "Threads")
    for c in conns:
        c.close()
    times = sorted(a[0] for a in answered)
    statuses = {}
    for a in answered:
        statuses[a[1]] = statuses.get(a[1], 0) + 1
    etags = {a[2] for a in answered}
    spread = times[-1] - times[0] if times else -1
    first = times[0] - t0 if times else -1
    print("  %d held requests: %d still held 50 ms after sending; answers %s after %.3f s, "
          "spread %.3f s; threads %d -> %d (held) -> %d; RSS %d -> %d KiB while held"
          % (n, held_now, statuses, first, spread, threads0, threads_held, threads1, rss0, rss_held),
          flush=True)
    check(held_now >= n * 0.9, "%d of %d requests held at once" % (held_now, n), problems)
    check(statuses == {200: n} and len(etags) == 1,
          "all %d answered 200 with one playlist (%d ETags)" % (n, len(etags)), problems)
    check(0 <= spread <= HELD_SPREAD_S, "answered from one wake-up: spread %.3f s <= %.1f s"
          % (spread, HELD_SPREAD_S), problems)
    check(threads_held == threads0 and threads1 == threads0,
          "held on the main loop: the origin's thread count %d stays %d" % (threads0, threads_held),
          problems)
    check(rss_held - rss0 <= n * HELD_KIB_EACH,
          "memory bounded: %d KiB more while %d are held (<= %d KiB each)"
          % (rss_held - rss0, n, HELD_KIB_EACH), problems)


def test_held(rs, problems):
    asyncio.run(held_requests(rs.port, HELD, rs.pid, problems))


def main():
    problems = []
    out = tempfile.mkdtemp(prefix="arcly-restream-memory-")
    try:
        cam, rs = rh.start(out, extra=["--max-clients", str(HELD + 200)])
        rs.wait_line_after = lambda n, text, timeout: wait_line_after(rs, n, text, timeout)
        rh.wait_playlist(rs.port, 3)
        cam_dir = os.path.join(out, "a")
        test_same_bytes(rs.port, cam_dir, problems)
        test_validators(rs.port, problems)
        test_held(rs, problems)
        test_bounded(rs, cam_dir, problems)
        if rs.p.poll() is not None:
            problems.append("arcly-restream exited")
    finally:
        rh.stop_all()
        shutil.rmtree(out, ignore_errors=True)
    if problems:
        print("FAILED: %d problem(s)" % len(problems))
        return 1
    print("all passed")
    return 0


def wait_line_after(rs, n, text, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in ln for ln in rs.lines[n:]):
            return True
        time.sleep(0.05)
    return False


if __name__ == "__main__":
    sys.exit(main())
