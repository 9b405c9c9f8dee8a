#!/bin/sh
# The arcly-restream HTTP origin under N simulated LL-HLS viewers
# (tests/check/llhls_viewers.py: blocking playlist reload, newest part,
# preload-hint part, sessions lasting the whole window), serving from memory
# (the default: no --output) and from files (--output DIR --serve-files:
# the sink writes files, the origin reads them per request and wakes held
# requests on the sink's messages) in the same run: two origins of the one
# test camera (target 1 s, parts 200 ms), measured alternately, RUNS times.
# Prints per N and mode the medians of: origin CPU (user+system, % of one
# core, includes its camera pipeline: see the idle lines), client requests
# per second, origin CPU per request (µs), part delivery delay p50/p99 over
# all clients (when a viewer has a part's bytes minus when the origin's
# writer completed it: the time in the part's ETag), origin RSS, errors.
#
#   sh bench/origin.sh [BUILD_DIR] [RUNS] [SECONDS] [N...]
#   e.g. sh bench/origin.sh build 3 20 50 200 500
set -eu
BUILD=${1:-build}
RUNS=${2:-3}
SECONDS_=${3:-20}
shift 3 2>/dev/null || shift $#
NS=${*:-50 200 500}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="$BUILD/gst/arclyrtspsrc:$BUILD/gst/arclybus:$BUILD/gst/arclyhls"
export ARCLY_TESTCAM="$BUILD/tools/arcly-testcam" ARCLY_RESTREAM="$BUILD/examples/arcly-restream"
exec /usr/bin/python3 - "$ROOT" "$RUNS" "$SECONDS_" $NS <<'PY'
import asyncio, importlib.util, os, re, shutil, statistics, sys, tempfile, time
root, runs, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ns = [int(x) for x in sys.argv[4:]]
spec = importlib.util.spec_from_file_location(
    "rh", os.path.join(root, "tests", "check", "pipelines", "restream-http.py"))
rh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rh)
sys.path.insert(0, os.path.join(root, "tests", "check"))
import llhls_viewers as lv  # noqa: E402
tick = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def origin(cam_url, extra):
    rs = rh.Server([os.environ["ARCLY_RESTREAM"], "--camera", "a=" + cam_url, "--http-port", "0",
                    "--rtsp-port", "0", "--target-duration", "1", "--part-duration",
                    str(rh.PART_MS), "--max-clients", "2000"] + extra)
    rs.port = int(re.match(r"http://127\.0\.0\.1:(\d+)/", rs.url).group(1))
    rh.wait_playlist(rs.port, 3)
    return rs


def measure(rs, n):
    c0, t0 = cpu(rs.p.pid), time.monotonic()
    stats = lv.Stats()
    if n:
        asyncio.run(lv.run_viewers("127.0.0.1", rs.port, "a", n, seconds, stats,
                                   hangup_share=0, max_rounds=100000))
    else:
        time.sleep(seconds)
    el = time.monotonic() - t0
    d = stats.delivery_all()
    used = cpu(rs.p.pid) - c0
    return {"cpu": 100 * used / el, "rps": stats.requests / el,
            "us_req": 1e6 * used / stats.requests if stats.requests else 0,
            "p50": 1000 * lv.percentile(d, 0.5) if d else 0,
            "p99": 1000 * lv.percentile(d, 0.99) if d else 0,
            "rss": lv.proc_status(rs.p.pid, "VmRSS") / 1024.0,
            "errors": stats.errors + sum(v for k, v in stats.status.items() if k not in (200, 404))}


tmp = tempfile.mkdtemp(prefix="arcly-bench-origin-")
try:
    cam = rh.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30", "--size",
                     "320x180", "--bitrate", "400", "--shared"])
    modes = {"memory": origin(cam.url, []),
             "files": origin(cam.url, ["--output", os.path.join(tmp, "out"), "--serve-files"])}
    for mode, rs in modes.items():
        idle = measure(rs, 0)
        print("idle %-6s origin (camera only): CPU %.1f %%, RSS %.1f MiB"
              % (mode, idle["cpu"], idle["rss"]), flush=True)
    res = {}
    for r in range(runs):
        for n in ns:
            for mode, rs in modes.items():
                m = measure(rs, n)
                res.setdefault((n, mode), []).append(m)
                print("run %d N=%-3d %-6s CPU %5.1f %%  req/s %6.0f  CPU/req %4.0f us  part delivery "
                      "p50 %5.0f ms p99 %5.0f ms  RSS %5.1f MiB  errors %d"
                      % (r + 1, n, mode, m["cpu"], m["rps"], m["us_req"], m["p50"], m["p99"],
                         m["rss"], m["errors"]), flush=True)
    print("\nmedians of %d runs x %.0f s (parts of %d ms):" % (runs, seconds, rh.PART_MS))
    for n in ns:
        for mode in modes:
            ms = res[(n, mode)]
            med = lambda k: statistics.median(m[k] for m in ms)
            print("N=%-4d %-6s origin CPU %5.1f %%  requests/s %6.0f  CPU/request %4.0f us  "
                  "part delivery p50 %5.0f ms  p99 %5.0f ms  RSS %5.1f MiB  errors %d"
                  % (n, mode, med("cpu"), med("rps"), med("us_req"), med("p50"), med("p99"),
                     med("rss"), sum(m["errors"] for m in ms)))
finally:
    rh.stop_all()
    shutil.rmtree(tmp, ignore_errors=True)
PY
