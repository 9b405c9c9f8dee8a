#!/usr/bin/env python3
# The file system's share of an LL-HLS writer's cost (issue #21), without
# GStreamer: N processes ("cameras") each do, every 200 ms, what
# arclyhlssink does for a part of 30 KB (a 1.2 Mbit/s camera): append it to
# the segment file, write it as a part file of its own (the default) or not
# (part-byteranges), write the playlist to a temporary file and rename it
# over the old one, delete the part files that left the playlist; every
# 10 parts a new segment (the old one fsynced, as sync-mode=segments does).
# Prints the kernel CPU time (system time) they spent, in CPU-s per
# camera-minute, for each folder given (e.g. one on ext4, one on tmpfs).
#
#   python3 bench/llhls-files.py [N] [SECONDS] DIR...
#   e.g. python3 bench/llhls-files.py 16 15 /tmp /dev/shm
import multiprocessing as mp
import os
import sys
import tempfile
import time


def camera(base, part_files, secs, q):
    d = tempfile.mkdtemp(dir=base, prefix='arcly-llhls-files-')
    part, playlist = b'p' * 30000, b'#' * 700
    seg, segs = None, []
    t0 = os.times()
    nxt = time.monotonic()
    end = nxt + secs
    i = 0
    while time.monotonic() < end:
        if i % 10 == 0:
            if seg is not None:
                os.fsync(seg)
                os.close(seg)
            path = os.path.join(d, 'segment%05d.m4s' % (i // 10))
            seg = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
            segs.append(path)
            if len(segs) > 10:
                os.unlink(segs.pop(0))
        os.write(seg, part)
        if part_files:
            fd = os.open(os.path.join(d, 'part%d.m4s' % i),
                         os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
            os.write(fd, part)
            os.close(fd)
            if i >= 60:
                os.unlink(os.path.join(d, 'part%d.m4s' % (i - 60)))
        tmp = os.path.join(d, '.playlist.m3u8.tmp')
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
        os.write(fd, playlist)
        os.close(fd)
        os.rename(tmp, os.path.join(d, 'playlist.m3u8'))
        i += 1
        nxt += 0.2
        time.sleep(max(0.0, nxt - time.monotonic()))
    t1 = os.times()
    q.put(t1.system - t0.system)
    if seg is not None:
        os.close(seg)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


def run(base, part_files, n, secs):
    q = mp.Queue()
    ps = [mp.Process(target=camera, args=(base, part_files, secs, q))
          for _ in range(n)]
    for p in ps:
        p.start()
    total = sum(q.get() for _ in ps)
    for p in ps:
        p.join()
    return total / n / secs * 60


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 15
    dirs = sys.argv[3:] or ['/tmp', '/dev/shm']
    for base in dirs:
        for part_files in (True, False):
            print('%-10s %-22s kernel %.3f CPU-s per camera-minute' %
                  (base, 'a file per part' if part_files else
                   'parts as byte ranges', run(base, part_files, n, secs)),
                  flush=True)


if __name__ == '__main__':
    main()
