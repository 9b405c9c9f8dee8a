#!/bin/sh
# Soak of arcly-restream: a camera that drops its TCP connection every
# DROP_EVERY seconds (alternately with FIN and RST, or only one of them),
# and VIEWERS simulated LL-HLS viewers coming and going (blocking reloads,
# parts, preload hints; one in ten hangs up mid-request), for SECONDS.
# Every 10 s it prints the origin's fds, threads, RSS, files in the output
# folder, sockets in CLOSE-WAIT, reconnects, discontinuities and the
# viewers' counts; at the end a verdict (exit 0 = PASS).  Not part of
# `meson test` (the suite runs the same viewers for 20 s in
# pipelines/restream-http).
#
#   sh bench/soak.sh [BUILD_DIR] [SECONDS] [DROP_EVERY] [alternate|fin|rst] [VIEWERS]
#
# e.g. nohup sh bench/soak.sh build 1800 > /tmp/arcly-soak.log 2>&1 &
set -eu
BUILD=${1:-build}
SECONDS_=${2:-300}
DROP=${3:-30}
MODE=${4:-alternate}
VIEWERS=${5:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="$BUILD/gst/arclyrtspsrc:$BUILD/gst/arclybus:$BUILD/gst/arclyhls"
exec /usr/bin/python3 - "$ROOT" "$BUILD" "$SECONDS_" "$DROP" "$MODE" "$VIEWERS" <<'PY'
import asyncio, os, re, shutil, signal, socket, struct, subprocess, sys, tempfile
import threading, time

root, build = sys.argv[1], sys.argv[2]
duration, drop_every, mode, n_viewers = (float(sys.argv[3]), float(sys.argv[4]),
                                         sys.argv[5], int(sys.argv[6]))
sys.path.insert(0, os.path.join(root, "tests", "check"))
import llhls_viewers as lv  # noqa: E402

procs = []


def spawn_ready(argv, log=None):
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    procs.append(p)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line or line.startswith("READY "):
            break
    if not line.startswith("READY "):
        raise SystemExit("%s did not start" % argv[0])

    def drain():
        for l in p.stdout:
            if log is not None:
                log.append(l)
    threading.Thread(target=drain, daemon=True).start()
    return p, line.split()[1]


def stop_all():
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


class DroppingProxy:
    """TCP relay to the camera that drops every connection every
    @drop_every s: with FIN (close) or RST (SO_LINGER 0, then close)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.conns = []
        self.drops = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _pipe(self, r, w):
        try:
            while True:
                data = await r.read(65536)
                if not data:
                    break
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def _client(self, cr, cw):
        try:
            sr, sw = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            cw.close()
            return
        self.conns.append(cw)
        await asyncio.gather(self._pipe(cr, sw), self._pipe(sr, cw))
        if cw in self.conns:
            self.conns.remove(cw)

    async def _dropper(self):
        while True:
            await asyncio.sleep(drop_every)
            rst = mode == "rst" or (mode == "alternate" and self.drops % 2 == 1)
            for w in list(self.conns):
                s = w.get_extra_info("socket")
                if rst and s is not None:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                w.transport.abort() if rst else w.close()
            self.drops += 1
            print("camera: dropped the connection with %s (drop %d)"
                  % ("RST" if rst else "FIN", self.drops), flush=True)

    async def _main(self):
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        await self._dropper()


def count_files(d):
    return sum(len(fs) for _, _, fs in os.walk(d))


def main():
    out = tempfile.mkdtemp(prefix="arcly-soak-")
    log = []
    samples = []
    verdict = []
    try:
        _, cam_url = spawn_ready([os.path.join(build, "tools", "arcly-testcam"), "--port", "0",
                                  "--shared", "--gop", "30", "--size", "640x360",
                                  "--bitrate", "1000", "--overlay"])
        cam_port = int(re.search(r":(\d+)/", cam_url).group(1))
        proxy = DroppingProxy(cam_port)
        rs, http_url = spawn_ready([os.path.join(build, "examples", "arcly-restream"),
                                    "--camera", "soak=rtsp://127.0.0.1:%d/cam" % proxy.port,
                                    "--http-port", "0", "--output", out], log)
        http_port = int(re.search(r":(\d+)/", http_url).group(1))
        base_fds = lv.proc_fds(rs.pid)
        print("soak: %.0f s, camera drop every %.0f s (%s), %d viewers, origin %s, pid %d"
              % (duration, drop_every, mode, n_viewers, http_url, rs.pid), flush=True)
        viewers = subprocess.Popen([sys.executable, os.path.join(root, "tests", "check",
                                                                 "llhls_viewers.py"),
                                    "--url", http_url, "--camera", "soak",
                                    "--viewers", str(n_viewers), "--seconds", str(duration)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
        procs.append(viewers)
        vlog = []
        threading.Thread(target=lambda: [vlog.append(l) for l in viewers.stdout],
                         daemon=True).start()
        t0 = time.monotonic()
        playlist = os.path.join(out, "soak", "playlist.m3u8")
        print("%6s %5s %7s %9s %5s %9s %10s %8s %s" % ("t/s", "fds", "threads", "RSS/KiB",
                                                    "files", "closewait", "reconnects",
                                                    "discont", "viewers"), flush=True)
        while time.monotonic() - t0 < duration + 5 and rs.poll() is None:
            time.sleep(10)
            if rs.poll() is not None:
                break
            text = "".join(log)
            rec = re.findall(r"reconnects (\d+)", text)
            try:
                pl = open(playlist).read()
                m = re.search(r"#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)", pl)
                disc = (int(m.group(1)) if m else 0) + pl.count("#EXT-X-DISCONTINUITY\n")
            except OSError:
                disc = -1
            s = dict(t=time.monotonic() - t0, fds=lv.proc_fds(rs.pid),
                     threads=lv.proc_status(rs.pid, "Threads"),
                     rss=lv.proc_status(rs.pid, "VmRSS"), files=count_files(out),
                     closewait=lv.proc_close_wait(http_port),
                     reconnects=int(rec[-1]) if rec else 0, disc=disc)
            samples.append(s)
            vl = [l for l in vlog if l.startswith("viewers")]
            print("%6.0f %5d %7d %9d %5d %9d %10d %8d %s" % (
                s["t"], s["fds"], s["threads"], s["rss"], s["files"], s["closewait"],
                s["reconnects"], s["disc"], vl[-1].split(":", 1)[1].strip() if vl else ""),
                flush=True)
        alive = rs.poll() is None
        viewers.wait(timeout=60)
        vl = [l for l in vlog if l.startswith("viewers done")]
        print(vl[-1].strip() if vl else "viewers: no summary", flush=True)
        # Once the viewers are gone: back to where it started?
        time.sleep(3)
        end_fds = lv.proc_fds(rs.pid) if alive else -1
        end_cw = lv.proc_close_wait(http_port) if alive else -1
        text = "".join(log)

        def need(cond, what):
            verdict.append((cond, what))

        need(alive, "arcly-restream ran to the end")
        if samples and alive:
            first = samples[min(1, len(samples) - 1)]
            ref = samples[len(samples) // 5]
            last = samples[-1]
            need(end_fds <= base_fds + 10,
                 "fds after the viewers left %d, before they came %d (<= +10)"
                 % (end_fds, base_fds))
            need(max(x["fds"] for x in samples) <= base_fds + n_viewers + 40,
                 "fds at most %d while viewers come and go" % max(x["fds"] for x in samples))
            need(end_cw == 0, "%d sockets in CLOSE-WAIT at the end" % end_cw)
            need(last["threads"] <= first["threads"] + 10,
                 "threads %d -> %d" % (first["threads"], last["threads"]))
            need(last["rss"] - ref["rss"] <= 8192,
                 "RSS %d KiB at %.0f s -> %d KiB at the end (<= +8 MiB)"
                 % (ref["rss"], ref["t"], last["rss"]))
            half = len(samples) // 2
            early = max(x["files"] for x in samples[:max(half, 1)])
            late = max(x["files"] for x in samples[half:])
            need(late <= early + 20,
                 "files in the output folder: at most %d in the first half, %d in the second"
                 % (early, late))
            need(last["reconnects"] >= proxy.drops - 1,
                 "reconnects %d for %d camera drops" % (last["reconnects"], proxy.drops))
            need(last["disc"] >= min(proxy.drops, last["reconnects"]) - 1,
                 "discontinuities %d for %d reconnects" % (last["disc"], last["reconnects"]))
        need("Too many open files" not in text, "no 'Too many open files'")
        need(not re.search(r"error from", text), "no pipeline error")
        m = re.findall(r"last part ([\d.]+) s ago", text)
        need(bool(m) and float(m[-1]) < 5, "the playlist still advanced at the end (last part "
             "%s s ago)" % (m[-1] if m else "?"))
        for ok, what in verdict:
            print(("ok    " if ok else "FAIL  ") + what)
        passed = all(ok for ok, _ in verdict)
        print("VERDICT: %s (%.0f s, %d camera drops)" % ("PASS" if passed else "FAIL",
                                                       duration, proxy.drops), flush=True)
        return 0 if passed else 1
    finally:
        stop_all()
        shutil.rmtree(out, ignore_errors=True)


sys.exit(main())
PY
