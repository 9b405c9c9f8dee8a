#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""arcly-restream behind a real nginx, configured from the shipped
docs/deploy/nginx-edge.conf with only its ports and cache folder replaced.

- two origins, one camera each (cam1 on the first, cam2 on the second, as
  the shipped camera map routes them): both cameras' playlists, init
  segments and parts come through the one edge address, each from its own
  origin (the origins' request logs say so);
- 200 simulated LL-HLS viewers (blocking playlist reloads, newest part,
  preload-hint part) of cam1 through nginx for ARCLY_EDGE_SECONDS (default
  15; bench/edge.sh runs 60): no connection error, no answer but 200 (or
  404 for a hinted part that never came), no hinted part waited longer than
  ARCLY_EDGE_STALL_S (default 1.5 s: a part is 200 ms, nginx's cache lock
  polls every 500 ms), and the origin receives at most
  ARCLY_EDGE_MAX_PER_PART (default 4) requests per part produced besides
  the one plain playlist request each viewer makes when it joins (a plain
  playlist is not cached at 200 ms parts) — direct, the same viewers cost
  it about 3 × 200 per part;
- per simulated client, the part delivery delay (when the client has a
  part's bytes minus when the origin's writer completed it, the time in
  the part's ETag) is printed as p50/p99, and every client's p50 stays
  within ARCLY_EDGE_DELIVERY_P50_S (default 1.0 s; measured 0.4-0.6 s)
  and its p99 within ARCLY_EDGE_DELIVERY_P99_S (default 2.5 s; measured
  1.3-2.2 s): a client collapsed behind another's request waits for
  nginx's cache-lock poll (every 500 ms, fixed in nginx) on the blocking
  playlist and again on the part, and 200 clients in one Python process
  on 2 shared cores add their own delay.  Direct from the origin the same
  clients see p50 ~10 ms, p99 20-60 ms (bench/origin.sh).
"""

import asyncio
import grp
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("restream_http", os.path.join(HERE, "restream-http.py"))
rh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rh)
sys.path.insert(0, os.path.join(HERE, ".."))
import llhls_viewers as lv  # noqa: E402

SOURCE_ROOT = os.environ.get("ARCLY_SOURCE_ROOT", os.path.join(HERE, "..", "..", ".."))
EDGE_CONF = os.path.join(SOURCE_ROOT, "docs", "deploy", "nginx-edge.conf")
SECONDS = float(os.environ.get("ARCLY_EDGE_SECONDS", "15"))
VIEWERS = int(os.environ.get("ARCLY_EDGE_VIEWERS", "200"))
STALL_S = float(os.environ.get("ARCLY_EDGE_STALL_S", "1.5"))
MAX_PER_PART = float(os.environ.get("ARCLY_EDGE_MAX_PER_PART", "4"))
DELIVERY_P99_S = float(os.environ.get("ARCLY_EDGE_DELIVERY_P99_S", "2.5"))
DELIVERY_P50_S = float(os.environ.get("ARCLY_EDGE_DELIVERY_P50_S", "1.0"))
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def edge_conf(text, port, origins, cache_dir):
    """The shipped config with only its ports and cache folder replaced."""
    subs = [("/var/cache/nginx/arcly-edge", cache_dir),
            ("listen 8080;", "listen 127.0.0.1:%d;" % port),
            ("server 127.0.0.1:8081;", "server 127.0.0.1:%d;" % origins[0]),
            ("server 127.0.0.1:8082;", "server 127.0.0.1:%d;" % origins[1])]
    for old, new in subs:
        if text.count(old) != 1:
            raise SystemExit("FAIL: %s: expected '%s' once" % (EDGE_CONF, old))
        text = text.replace(old, new)
    return text


class Nginx:
    def __init__(self, tmp, origins):
        if NGINX is None:
            raise SystemExit("FAIL: nginx is not installed (scripts/arcly setup installs nginx-light)")
        self.prefix = os.path.join(tmp, "nginx")
        for d in ("cache", "temp", "logs"):
            os.makedirs(os.path.join(self.prefix, d))
        self.port = free_port()
        with open(EDGE_CONF) as f:
            edge = edge_conf(f.read(), self.port, origins, os.path.join(self.prefix, "cache"))
        with open(os.path.join(self.prefix, "edge.conf"), "w") as f:
            f.write(edge)
        temp = os.path.join(self.prefix, "temp")
        user = ""
        if os.geteuid() == 0:
            # Workers stay the current user, not nginx's `nobody`.
            user = "user %s %s;\n" % (pwd.getpwuid(os.getuid()).pw_name,
                                      grp.getgrgid(os.getgid()).gr_name)
        conf = ("%sworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/logs/error.log warn;\n"
                "events { worker_connections 4096; }\n"
                "http {\n  access_log %s/logs/access.log;\n"
                "  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n"
                "  fastcgi_temp_path %s/fastcgi;\n  uwsgi_temp_path %s/uwsgi;\n"
                "  scgi_temp_path %s/scgi;\n  include %s/edge.conf;\n}\n"
                % ((user, self.prefix, self.prefix, self.prefix) + (temp,) * 5 + (self.prefix,)))
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.p = subprocess.Popen([NGINX, "-p", self.prefix, "-c", self.conf, "-e",
                                   os.path.join(self.prefix, "logs", "error.log"),
                                   "-g", "daemon off;"], start_new_session=True)
        rh.procs.append(self.p)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                raise SystemExit("FAIL: nginx exited: %s" % self.error_log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("FAIL: nginx does not listen: %s" % self.error_log())

    def error_log(self):
        try:
            with open(os.path.join(self.prefix, "logs", "error.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""


def start_origin(out_dir, cam_name):
    cam = rh.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30",
                     "--size", "320x180", "--bitrate", "400", "--shared"])
    rs = rh.Server([os.environ["ARCLY_RESTREAM"], "--camera", cam_name + "=" + cam.url,
                    "--http-port", "0", "--output", out_dir, "--target-duration", "1",
                    "--part-duration", str(rh.PART_MS), "--log-requests"])
    rs.port = int(re.match(r"http://127\.0\.0\.1:(\d+)/", rs.url).group(1))
    return rs


def get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), b""


def origin_requests(rs, cam, since=0):
    """The requests @rs logged (--log-requests) for camera @cam."""
    return [l for l in rs.lines[since:] if l.startswith("http ") and "/cam/%s/" % cam in l]


def wait_edge_playlist(port, cam, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st, _, body = get(port, "/cam/%s/playlist.m3u8" % cam)
        if st == 200 and lv.Playlist(body.decode()).segments >= 2:
            return lv.Playlist(body.decode())
        time.sleep(0.2)
    raise SystemExit("FAIL: no playlist of %s through the edge" % cam)


def test_two_origins(edge, origins, problems):
    for rs, cam, other in ((origins[0], "cam1", origins[1]), (origins[1], "cam2", origins[0])):
        n_other = len(origin_requests(other, cam))
        pl = wait_edge_playlist(edge.port, cam)
        init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', pl.text).group(1)
        part = re.findall(r'#EXT-X-PART:[^\n]*URI="([^"]+)"', pl.text)[-1]
        ok = True
        for name in (init, part):
            st, h, body = get(edge.port, "/cam/%s/%s" % (cam, name))
            ok = ok and st == 200 and len(body) > 0
        mine = origin_requests(rs, cam)
        rh.check(ok and any(init in l for l in mine) and len(origin_requests(other, cam)) == n_other,
                 "%s through the edge: playlist, %s and %s from its own origin" % (cam, init, part),
                 problems)
        st, h, _ = get(edge.port, "/cam/%s/%s" % (cam, init))
        rh.check(h.get("X-Cache-Status") == "HIT",
                 "%s: the init segment asked again is a cache HIT (%s)" % (cam, h.get("X-Cache-Status")),
                 problems)
    # Both cameras play: viewers of each through the one edge address.
    for cam in ("cam1", "cam2"):
        stats = lv.Stats()
        asyncio.run(lv.run_viewers("127.0.0.1", edge.port, cam, 5, 4, stats, hangup_share=0,
                                   max_rounds=1000))
        rh.check(stats.errors == 0 and set(stats.status) <= {200, 404} and stats.requests > 20,
                 "%s plays through the edge: %s" % (cam, stats.summary()), problems)


def test_viewers(edge, rs, problems):
    since = len(rs.lines)
    stats = lv.Stats()
    t0 = time.monotonic()
    asyncio.run(lv.run_viewers("127.0.0.1", edge.port, "cam1", VIEWERS, SECONDS, stats,
                               hangup_share=0, max_rounds=100000))
    elapsed = time.monotonic() - t0
    reqs = origin_requests(rs, "cam1", since)
    parts = elapsed * 1000.0 / rh.PART_MS
    joins = sum("playlist.m3u8 " in l for l in reqs)
    per_part = (len(reqs) - joins) / parts
    kinds = {"blocking": sum("_HLS_msn" in l for l in reqs), "playlist": joins,
             "parts": sum(re.search(r"\.\d+\.m4s ", l) is not None for l in reqs)}
    print("edge viewers: %s; origin: %d requests in %.1f s (%s), %.2f per part besides "
          "the joins" % (stats.summary(), len(reqs), elapsed, kinds, per_part), flush=True)
    waits = sorted(w for _, w in stats.hint_waits)
    worst = waits[-1] if waits else 0
    rh.check(stats.errors == 0, "%d viewers through the edge: no connection error" % VIEWERS, problems)
    rh.check(set(stats.status) <= {200, 404},
             "every answer 200 (or 404 for a hint that never came): %s" % stats.status, problems)
    rh.check(stats.requests > VIEWERS * SECONDS, "viewers kept requesting (%d)" % stats.requests,
             problems)
    rh.check(worst <= STALL_S, "no stall: the longest hinted-part wait %.2f s <= %.1f s (median %.2f)"
             % (worst, STALL_S, waits[len(waits) // 2] if waits else 0), problems)
    rh.check(per_part <= MAX_PER_PART, "origin requests per part %.2f <= %.0f"
             % (per_part, MAX_PER_PART), problems)
    # A plain playlist is cached at most half a part target (not at all at
    # 200 ms parts): each viewer joining costs the origin that one request.
    rh.check(joins <= stats.sessions, "plain playlist requests at the origin %d <= viewer joins %d"
             % (joins, stats.sessions), problems)
    check_delivery(stats, VIEWERS, problems)


def check_delivery(stats, n, problems):
    per = stats.delivery_per_client()
    print("part delivery delay per client (client: parts, p50/p99 ms):")
    for i in range(0, len(per), 8):
        print("  " + "  ".join("%3d: %3d %4.0f/%4.0f" % (c, k, p50 * 1000, p99 * 1000)
                               for c, k, p50, p99 in per[i:i + 8]))
    allv = stats.delivery_all()
    worst50 = max((p[2] for p in per), default=float("nan"))
    worst99 = max((p[3] for p in per), default=float("nan"))
    print("all clients: %d parts, p50 %.0f ms, p99 %.0f ms; worst client p50 %.0f ms, p99 %.0f ms"
          % (len(allv), lv.percentile(allv, 0.5) * 1000, lv.percentile(allv, 0.99) * 1000,
             worst50 * 1000, worst99 * 1000), flush=True)
    rh.check(len(per) == n and min(p[1] for p in per) >= 5,
             "every one of %d clients received parts (%d measured, fewest %d)"
             % (n, len(per), min((p[1] for p in per), default=0)), problems)
    rh.check(worst99 <= DELIVERY_P99_S and worst50 <= DELIVERY_P50_S,
             "every client's part delivery delay p50 <= %.1f s and p99 <= %.1f s "
             "(worst %.3f / %.3f s)" % (DELIVERY_P50_S, DELIVERY_P99_S, worst50, worst99), problems)


def main():
    problems = []
    tmp = tempfile.mkdtemp(prefix="arcly-restream-edge-")
    edge = None
    try:
        origins = [start_origin(os.path.join(tmp, "o1"), "cam1"),
                   start_origin(os.path.join(tmp, "o2"), "cam2")]
        edge = Nginx(tmp, [o.port for o in origins])
        test_two_origins(edge, origins, problems)
        test_viewers(edge, origins[0], problems)
        for o in origins:
            if o.p.poll() is not None:
                problems.append("an origin exited")
        if edge.p.poll() is not None:
            problems.append("nginx exited")
    finally:
        if edge and problems:
            print("nginx error log (tail):\n" + edge.error_log())
        rh.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        print("FAILED: %d problem(s)" % len(problems))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    sys.exit(main())
