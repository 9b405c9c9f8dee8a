#!/bin/sh
# What an nginx edge (docs/deploy/nginx-edge.conf) saves an arcly-restream
# origin: N simulated LL-HLS viewers (tests/check/llhls_viewers.py: blocking
# reload, newest part, preload-hint part, long sessions) of the test camera
# for SECONDS, straight at the origin and through nginx, alternating, RUNS
# times, one origin and one nginx for all.  Prints per N and mode the
# medians of: origin CPU (user+system, % of one core, includes its camera
# pipeline: see the idle line), origin requests per part (the joins'
# plain playlist requests apart), client requests per second and errors.
#
#   sh bench/edge.sh [BUILD_DIR] [RUNS] [SECONDS] [N...]
set -eu
BUILD=${1:-build}
RUNS=${2:-3}
SECONDS_=${3:-60}
shift 3 2>/dev/null || shift $#
NS=${*:-50 200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="$BUILD/gst/arclyrtspsrc:$BUILD/gst/arclybus:$BUILD/gst/arclyhls"
export ARCLY_TESTCAM="$BUILD/tools/arcly-testcam" ARCLY_RESTREAM="$BUILD/examples/arcly-restream"
export ARCLY_SOURCE_ROOT="$ROOT"
exec /usr/bin/python3 - "$ROOT" "$RUNS" "$SECONDS_" $NS <<'PY'
import asyncio, importlib.util, os, re, shutil, statistics, sys, tempfile, time
root, runs, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ns = [int(x) for x in sys.argv[4:]]
spec = importlib.util.spec_from_file_location(
    "edge", os.path.join(root, "tests", "check", "pipelines", "restream-edge.py"))
edge = importlib.util.module_from_spec(spec)
spec.loader.exec_module(edge)
rh, lv = edge.rh, edge.lv
tick = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def measure(origin, port, n):
    since, c0, t0 = len(origin.lines), cpu(origin.p.pid), time.monotonic()
    stats = lv.Stats()
    if n:
        asyncio.run(lv.run_viewers("127.0.0.1", port, "cam1", n, seconds, stats,
                                   hangup_share=0, max_rounds=100000))
    else:
        time.sleep(seconds)
    el = time.monotonic() - t0
    reqs = edge.origin_requests(origin, "cam1", since)
    joins = sum("playlist.m3u8 " in l for l in reqs)
    return {"cpu": 100 * (cpu(origin.p.pid) - c0) / el,
            "per_part": (len(reqs) - joins) / (el * 1000 / rh.PART_MS),
            "joins": joins, "rps": stats.requests / el,
            "errors": stats.errors + sum(v for k, v in stats.status.items() if k not in (200, 404))}


tmp = tempfile.mkdtemp(prefix="arcly-bench-edge-")
try:
    origin = edge.start_origin(os.path.join(tmp, "o1"), "cam1")
    ng = edge.Nginx(tmp, [origin.port, origin.port])
    edge.wait_edge_playlist(ng.port, "cam1")
    idle = measure(origin, origin.port, 0)
    print("idle origin (camera only): CPU %.1f %%" % idle["cpu"], flush=True)
    res = {}
    for r in range(runs):
        for n in ns:
            for mode, port in (("direct", origin.port), ("edge", ng.port)):
                m = measure(origin, port, n)
                res.setdefault((n, mode), []).append(m)
                print("run %d N=%d %-6s CPU %5.1f %%  origin req/part %6.2f (+%d joins)  "
                      "client req/s %6.0f  errors %d" % (r + 1, n, mode, m["cpu"], m["per_part"],
                                                         m["joins"], m["rps"], m["errors"]),
                      flush=True)
    print("\nmedians of %d runs x %.0f s (parts of %d ms):" % (runs, seconds, rh.PART_MS))
    for n in ns:
        for mode in ("direct", "edge"):
            ms = res[(n, mode)]
            med = lambda k: statistics.median(m[k] for m in ms)
            print("N=%-4d %-6s origin CPU %5.1f %%  origin requests/part %6.2f  "
                  "client requests/s %6.0f  errors %d" % (n, mode, med("cpu"), med("per_part"),
                                                          med("rps"), sum(m["errors"] for m in ms)))
finally:
    rh.stop_all()
    shutil.rmtree(tmp, ignore_errors=True)
PY
