# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Simulated Low-Latency HLS viewers of one arcly-restream camera, and the
process probes the restream tests and bench/soak.sh read.

A viewer opens a keep-alive HTTP/1.1 connection and behaves like hls.js in
low-latency mode: a blocking playlist reload for the part after the newest
one (_HLS_msn/_HLS_part), then that newest part, then the part its
EXT-X-PRELOAD-HINT names (held by the origin until written), over and over;
after a random number of rounds it leaves (closes the connection) and a new
viewer takes its place.  A share of the viewers hang up in the middle of a
held request instead.  Plain asyncio over raw sockets: what is measured is
the origin, not a client library's connection pool.

Used by tests/check/pipelines/restream-http.py and bench/soak.sh
(python3 tests/check/llhls_viewers.py --help).
"""

import argparse
import asyncio
import os
import random
import re
import sys
import time


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def proc_status(pid, field):
    """A number from /proc/PID/status, e.g. VmRSS (KiB) or Threads."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def proc_close_wait(port):
    """Server-side sockets of @port in CLOSE-WAIT (/proc/net/tcp*)."""
    n = 0
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    local_port = int(cols[1].rsplit(":", 1)[1], 16)
                    if local_port == port and cols[3] == "08":
                        n += 1
        except OSError:
            pass
    return n


class Playlist:
    def __init__(self, text):
        self.text = text
        m = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)
        self.media_sequence = int(m.group(1)) if m else 0
        self.segments = len(re.findall(r"^#EXTINF:", text, re.M))
        m = re.search(r"PART-TARGET=([\d.]+)", text)
        self.part_target = float(m.group(1)) if m else 0.0
        tail = text.rsplit("#EXTINF:", 1)[-1]
        self.open_parts = re.findall(r'^#EXT-X-PART:.*URI="([^"]+)"', tail, re.M)
        m = re.search(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"', text)
        self.hint = m.group(1) if m else None
        self.ended = "#EXT-X-ENDLIST" in text

    @property
    def next_msn(self):
        return self.media_sequence + self.segments

    def closed(self, segment_uri):
        """Is @segment_uri listed as a complete segment?"""
        return re.search(r"^#EXTINF:[^\n]*\n(#[^\n]*\n)*%s$" % re.escape(segment_uri),
                         self.text, re.M) is not None


def completed_at(headers):
    """When the origin completed the object it answered with (Unix s), from
    its ETag: arcly-restream's validators begin with the time (µs, hex) the
    writer finished it ("<µs>-<size>", restream-store.h); None otherwise."""
    m = re.match(r'^(?:W/)?"([0-9a-f]{12,})-[0-9a-f]+"$', headers.get("etag", ""))
    return int(m.group(1), 16) / 1e6 if m else None


def percentile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def send(self, path):
        self.writer.write(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n"
                           % (path, self.host, self.port)).encode())
        await self.writer.drain()

    async def response(self):
        """(status, headers, body); raises ConnectionError on a closed connection."""
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, body

    async def get(self, path):
        await self.send(path)
        return await self.response()

    def close(self):
        if self.writer:
            self.writer.close()
            self.writer = None


class Stats:
    def __init__(self):
        self.requests = 0
        self.status = {}
        self.sessions = 0
        self.hangups = 0
        self.errors = 0
        self.hint_waits = []    # (status, seconds held)
        # client slot -> [part delivery delay, s]: when the viewer has a
        # part's bytes minus when the origin's writer completed it (the
        # time in its ETag, completed_at), the first time it gets that part.
        self.delivery = {}

    def count(self, status):
        self.requests += 1
        self.status[status] = self.status.get(status, 0) + 1

    def delivery_per_client(self):
        """[(slot, n, p50, p99)] of the part delivery delays, per client."""
        return [(slot, len(d), percentile(d, 0.5), percentile(d, 0.99))
                for slot, d in sorted(self.delivery.items()) if d]

    def delivery_all(self):
        return [x for d in self.delivery.values() for x in d]

    def summary(self):
        return ("%d sessions, %d requests %s, %d hang-ups, %d connection errors"
                % (self.sessions, self.requests,
                   " ".join("%d:%d" % kv for kv in sorted(self.status.items())),
                   self.hangups, self.errors))


async def viewer_session(host, port, cam, stats, rng, hangup_share, max_rounds,
                         deadline=None, slot=0):
    base = "/cam/%s/" % cam
    conn = Connection(host, port)
    stats.sessions += 1
    delays = stats.delivery.setdefault(slot, [])
    seen = set()

    def received(uri, headers):
        done = completed_at(headers)
        if uri not in seen and done is not None:
            seen.add(uri)
            delays.append(time.time() - done)
    try:
        await conn.open()
        status, _, body = await conn.get(base + "playlist.m3u8")
        stats.count(status)
        if status != 200:
            return
        pl = Playlist(body.decode())
        hangup_round = rng.randrange(max_rounds) if rng.random() < hangup_share else -1
        for rnd in range(rng.randint(1, max_rounds)):
            if pl.ended or (deadline and time.monotonic() >= deadline):
                return
            msn, part = pl.next_msn, len(pl.open_parts)
            path = "%splaylist.m3u8?_HLS_msn=%d&_HLS_part=%d" % (base, msn, part)
            if rnd == hangup_round:
                # Hang up while the origin holds the request.
                await conn.send(path)
                await asyncio.sleep(rng.uniform(0.0, 0.3))
                stats.hangups += 1
                return
            status, _, body = await conn.get(path)
            stats.count(status)
            if status != 200:
                return
            pl = Playlist(body.decode())
            if pl.open_parts:
                status, headers, _ = await conn.get(base + pl.open_parts[-1])
                stats.count(status)
                if status == 200:
                    received(pl.open_parts[-1], headers)
            if pl.hint:
                t0 = time.monotonic()
                status, headers, _ = await conn.get(base + pl.hint)
                stats.count(status)
                stats.hint_waits.append((status, time.monotonic() - t0))
                if status == 200:
                    received(pl.hint, headers)
    except (ConnectionError, asyncio.IncompleteReadError, OSError):
        stats.errors += 1
    finally:
        conn.close()


async def run_viewers(host, port, cam, n, seconds, stats, hangup_share=0.1,
                      max_rounds=20, seed=1, on_tick=None):
    """@n viewers coming and going for @seconds; @on_tick() every second."""
    deadline = time.monotonic() + seconds
    rng = random.Random(seed)

    async def slot(i):
        r = random.Random(rng.random())
        await asyncio.sleep(r.uniform(0, 1.0))
        while time.monotonic() < deadline:
            await viewer_session(host, port, cam, stats, r, hangup_share, max_rounds,
                                 deadline, slot=i)

    async def ticker():
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            if on_tick:
                on_tick()

    await asyncio.gather(ticker(), *(slot(i) for i in range(n)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="http://127.0.0.1:PORT/ of arcly-restream")
    ap.add_argument("--camera", required=True)
    ap.add_argument("--viewers", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--hangup-share", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    m = re.match(r"http://([^:/]+):(\d+)/?", args.url)
    stats = Stats()
    last = [time.monotonic()]

    def tick():
        if time.monotonic() - last[0] >= 10:
            last[0] = time.monotonic()
            print("viewers: " + stats.summary(), flush=True)

    asyncio.run(run_viewers(m.group(1), int(m.group(2)), args.camera, args.viewers,
                            args.seconds, stats, args.hangup_share, seed=args.seed,
                            on_tick=tick))
    print("viewers done: " + stats.summary(), flush=True)


if __name__ == "__main__":
    sys.exit(main())
