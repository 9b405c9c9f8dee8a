#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""arcly-restream as an origin for HTTP caches (docs/deploy/), against the
test camera (target 1 s, parts 200 ms):

- Cache-Control: segments, parts and the init segment `public,
  max-age>=86400, immutable`; a playlist answered to a blocking request
  (_HLS_msn) `max-age` of three targets; a plain playlist `max-age` at most
  half a part target (0); a 404 for a name that does not exist and the 503
  of a held request that timed out `no-store`;
- Content-Type per kind, Content-Length equal to the body, Last-Modified,
  ETag, Accept-Ranges: bytes;
- HEAD: the GET's headers, no body;
- Range on a segment: 206 with Content-Range and exactly those bytes, for a
  closed range and a suffix range; 416 beyond the end;
- 50 blocking requests for the same _HLS_msn/_HLS_part held at once are
  all answered with the same playlist (one ETag: one wake-up, one read);
- the index page refers to everything with relative URIs, so the origin
  works unchanged under any proxy path.

Every process started here is stopped by PID at the end, also on failure.
"""

import concurrent.futures
import http.client
import importlib.util
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("restream_http", os.path.join(HERE, "restream-http.py"))
rh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rh)
sys.path.insert(0, os.path.join(HERE, ".."))
import llhls_viewers as lv  # noqa: E402

TARGET_S = 1


def request(port, path, method="GET", headers=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        c.close()


def max_age(h):
    m = re.search(r"max-age=(\d+)", h.get("cache-control", ""))
    return int(m.group(1)) if m else None


def check(cond, what, problems):
    print("%s: %s" % ("ok" if cond else "FAIL", what), flush=True)
    if not cond:
        problems.append(what)


def check_entity(name, st, h, body, ctype, problems):
    check(st == 200, "%s: 200 (got %d)" % (name, st), problems)
    check(h.get("content-type", "").startswith(ctype),
          "%s: Content-Type %s (got %s)" % (name, ctype, h.get("content-type")), problems)
    check(h.get("content-length") == str(len(body)),
          "%s: Content-Length %s = body %d" % (name, h.get("content-length"), len(body)), problems)
    check(bool(h.get("etag")) and bool(h.get("last-modified")),
          "%s: ETag %s, Last-Modified %s" % (name, h.get("etag"), h.get("last-modified")), problems)
    check(h.get("accept-ranges") == "bytes", "%s: Accept-Ranges: bytes" % name, problems)


def test_headers(port, problems):
    base = "/cam/a/"
    st, h, body = request(port, base + "playlist.m3u8")
    check_entity("playlist", st, h, body, "application/vnd.apple.mpegurl", problems)
    check("public" in h.get("cache-control", "") and max_age(h) is not None
          and max_age(h) <= rh.PART_MS / 2000.0,
          "plain playlist: max-age <= half a part target (%s)" % h.get("cache-control"), problems)
    pl = lv.Playlist(body.decode())

    path = "%splaylist.m3u8?_HLS_msn=%d&_HLS_part=%d" % (base, pl.next_msn, len(pl.open_parts))
    st, h, body = request(port, path)
    check_entity("blocking playlist", st, h, body, "application/vnd.apple.mpegurl", problems)
    check(max_age(h) == 3 * TARGET_S,
          "blocking playlist: max-age of three targets (%s)" % h.get("cache-control"), problems)
    pl = lv.Playlist(body.decode())

    seg = re.findall(r"^#EXTINF:[^\n]*\n(?:#[^\n]*\n)*([^#\n][^\n]*)$", pl.text, re.M)[-1]
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', pl.text).group(1)
    part = re.findall(r'#EXT-X-PART:[^\n]*URI="([^"]+)"', pl.text)[-1]
    bodies = {}
    for name, ctype in ((seg, "video/iso.segment"), (part, "video/iso.segment"),
                        (init, "video/mp4")):
        st, h, body = request(port, base + name)
        check_entity(name, st, h, body, ctype, problems)
        cc = h.get("cache-control", "")
        check("public" in cc and "immutable" in cc and (max_age(h) or 0) >= 86400,
              "%s: immutable, max-age >= 1 day (%s)" % (name, cc), problems)
        bodies[name] = (h, body)

    h0, full = bodies[seg]
    st, h, body = request(port, base + seg, method="HEAD")
    check(st == 200 and body == b"" and h.get("content-length") == str(len(full))
          and h.get("etag") == h0.get("etag") and h.get("cache-control") == h0.get("cache-control"),
          "HEAD %s: 200, GET's Content-Length/ETag/Cache-Control, no body" % seg, problems)
    st, h, body = request(port, base + "playlist.m3u8", method="HEAD")
    check(st == 200 and body == b"" and int(h.get("content-length", "0")) > 0,
          "HEAD playlist: 200 with Content-Length, no body", problems)

    st, h, body = request(port, base + seg, headers={"Range": "bytes=10-99"})
    check(st == 206 and body == full[10:100]
          and h.get("content-range") == "bytes 10-99/%d" % len(full),
          "Range bytes=10-99: 206, Content-Range %s, %d bytes" % (h.get("content-range"), len(body)),
          problems)
    st, h, body = request(port, base + seg, headers={"Range": "bytes=-50"})
    check(st == 206 and body == full[-50:], "Range bytes=-50: 206, the last 50 bytes", problems)
    st, h, body = request(port, base + seg, headers={"Range": "bytes=%d-" % (len(full) + 10)})
    check(st == 416, "Range past the end: 416 (got %d)" % st, problems)

    for path in ("/cam/nosuchcam/playlist.m3u8", base + "nosuch.m3u8"):
        st, h, _ = request(port, path)
        check(st == 404 and "no-store" in h.get("cache-control", ""),
              "%s: 404 no-store (%d, %s)" % (path, st, h.get("cache-control")), problems)
    # A part of a segment far ahead: held, then 503 after three targets.
    st, h, _ = request(port, base + "segment99999.1.m4s", timeout=4 * 3 * TARGET_S)
    check(st in (404, 503) and "no-store" in h.get("cache-control", ""),
          "held part never written: %d no-store (%s)" % (st, h.get("cache-control")), problems)

    st, h, body = request(port, "/")
    text = body.decode()
    check(st == 200 and "cam/a/playlist.m3u8" in text
          and not re.search(r'(src|href|data-src)="/', text),
          "index page: relative URIs only", problems)


def test_one_wakeup(port, problems, n=50):
    st, _, body = request(port, "/cam/a/playlist.m3u8")
    pl = lv.Playlist(body.decode())
    # The part after the next one: every request is held.
    msn, part = pl.next_msn, len(pl.open_parts) + 1
    path = "/cam/a/playlist.m3u8?_HLS_msn=%d&_HLS_part=%d" % (msn, part)
    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        res = list(ex.map(lambda _: request(port, path), range(n)))
    etags = {r[1].get("etag") for r in res}
    bodies = {r[2] for r in res}
    check(all(r[0] == 200 for r in res) and len(etags) == 1 and len(bodies) == 1,
          "%d held requests for one part: all 200 with one answer (%d ETags)"
          % (n, len(etags)), problems)


def main():
    problems = []
    out = tempfile.mkdtemp(prefix="arcly-restream-cache-")
    try:
        cam, rs = rh.start(out)
        rh.wait_playlist(rs.port, 3)
        test_headers(rs.port, problems)
        test_one_wakeup(rs.port, problems)
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


if __name__ == "__main__":
    sys.exit(main())
