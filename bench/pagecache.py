#!/usr/bin/python3
"""Puts files into the page cache, or drops them from it, for timing runs
with their inputs in memory ("warm") or on disk ("cold").

This project's VMs page out file data that has not been touched for some
seconds (DAMON's pageout scheme), so whether a run finds its inputs in
memory depends on what ran before it: the bench scripts say which they
measure.

Usage: pagecache.py warm|cold PATH...   (directories: their files, recursively)
"""
import os
import sys


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for n in names:
                    yield os.path.join(root, n)
        else:
            yield p


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("warm", "cold"):
        sys.exit(__doc__)
    warm = sys.argv[1] == "warm"
    for f in files(sys.argv[2:]):
        fd = os.open(f, os.O_RDONLY)
        try:
            if warm:
                while os.read(fd, 1 << 20):
                    pass
            else:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


if __name__ == "__main__":
    main()
