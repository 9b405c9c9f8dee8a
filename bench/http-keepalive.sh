#!/bin/sh
# What keep-alive is worth to an LL-HLS viewer of arcly-restream, and what
# the alternatives to the origin's fix for libsoup 3.2's idle-connection leak
# would cost: REQUESTS sequential GETs of one 200 ms part (as a viewer makes
# them, a few per part) from the test camera, in RUNS alternating runs of
#   keep-alive   one connection for every request (what the origin does now)
#   close        a new connection per request, closed after the response
#                (what "Connection: close" on every response means)
# Prints the median time per request (wall clock, client side), the
# origin's CPU time per request (includes its camera pipeline, the same in
# both), and the origin's fd count before and after.
#
#   sh bench/http-keepalive.sh [BUILD_DIR] [RUNS] [REQUESTS]
set -eu
BUILD=${1:-build}
RUNS=${2:-5}
REQUESTS=${3:-2000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="$BUILD/gst/arclyrtspsrc:$BUILD/gst/arclybus:$BUILD/gst/arclyhls"
export ARCLY_TESTCAM="$BUILD/tools/arcly-testcam" ARCLY_RESTREAM="$BUILD/examples/arcly-restream"
exec /usr/bin/python3 - "$ROOT" "$RUNS" "$REQUESTS" <<'PY'
import os, re, socket, statistics, sys, time
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "check", "pipelines"))
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "check"))
import importlib.util
spec = importlib.util.spec_from_file_location(
    "rh", os.path.join(sys.argv[1], "tests", "check", "pipelines", "restream-http.py"))
rh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rh)
import llhls_viewers as lv
import tempfile, shutil

runs, n = int(sys.argv[2]), int(sys.argv[3])


def read_response(s, buf):
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, rest = buf.split(b"\r\n\r\n", 1)
    want = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
    while len(rest) < want:
        rest += s.recv(65536)
    assert head.split()[1] == b"200", head
    return rest[want:]


def keepalive(port, path):
    s = socket.create_connection(("127.0.0.1", port))
    req = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode()
    buf = b""
    t0 = time.perf_counter()
    for _ in range(n):
        s.sendall(req)
        buf = read_response(s, buf)
    t = time.perf_counter() - t0
    s.close()
    return t / n


def close_each(port, path):
    req = ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode()
    t0 = time.perf_counter()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(req)
        read_response(s, b"")
        s.close()
    return (time.perf_counter() - t0) / n


def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


out = tempfile.mkdtemp(prefix="arcly-bench-http-")
try:
    cam, rs = rh.start(out)
    pl = rh.wait_playlist(rs.port, 3)
    part = "/cam/a/" + re.findall(r'#EXT-X-PART:.*URI="([^"]+)"', pl.text)[-1]
    size = len(rh.get(rs.port, part)[1])
    fds0 = lv.proc_fds(rs.pid)
    res = {"keep-alive": [], "close": []}
    cpus = {"keep-alive": 0.0, "close": 0.0}
    for _ in range(runs):
        # the newest part each time: parts are deleted 3 target durations on
        pl = rh.wait_playlist(rs.port, 3)
        part = "/cam/a/" + re.findall(r'#EXT-X-PART:.*URI="([^"]+)"', pl.text)[-1]
        c0 = cpu(rs.pid)
        res["keep-alive"].append(keepalive(rs.port, part))
        cpus["keep-alive"] += cpu(rs.pid) - c0
        pl = rh.wait_playlist(rs.port, 3)
        part = "/cam/a/" + re.findall(r'#EXT-X-PART:.*URI="([^"]+)"', pl.text)[-1]
        c0 = cpu(rs.pid)
        res["close"].append(close_each(rs.port, part))
        cpus["close"] += cpu(rs.pid) - c0
    fds1 = rh.wait_fds(rs.pid, fds0 + 10)
    print("%d runs x %d GETs of a part (the first %d bytes)" % (runs, n, size))
    for k, v in res.items():
        print("%-10s median %6.0f us/request (runs: %s); origin CPU %.0f us/request"
              % (k, statistics.median(v) * 1e6, " ".join("%.0f" % (x * 1e6) for x in v),
                 cpus[k] / (runs * n) * 1e6))
    print("close / keep-alive: %.2f" % (statistics.median(res["close"]) /
                                         statistics.median(res["keep-alive"])))
    print("origin fds before %d, after %d requests: %d" % (fds0, 2 * runs * n, fds1))
finally:
    rh.stop_all()
    shutil.rmtree(out, ignore_errors=True)
PY
