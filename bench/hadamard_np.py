#!/usr/bin/python3
"""NumPy's side of bench/hadamard.sh: the question's first example.

    hadamard_np.py gen DIR    write the question's matrices into DIR/float64
                              (4 × 1000×1000 uniform in (0,1)) and DIR/int64
                              (4 × np.random.random_integers(100,
                              size=(1000, 1000)), int64; randint(1, 101) if
                              random_integers is gone)
    hadamard_np.py time DIR REPEAT WORKERS
                              load DIR's .npy files (not timed), then time the
                              question's serial map(mmul, matrices) and
                              Pool(WORKERS).map(mmul, matrices) (the pool
                              started before, as in the question); print
                              map=S pool=S and each result's int(x.sum())
                              (float(x.sum()).hex() for floats) as
                              sum FILE VALUE lines
    hadamard_np.py compare DIR JSONL
                              compare blasbatch's checksum for each file of
                              DIR (from JSONL) with NumPy's (DIR/sums, from
                              time): exactly, as JSON numbers; print
                              checksums=equal or the differences (exit 1)
"""
import glob
import json
import os
import sys
import time
import warnings
from multiprocessing import Pool

import numpy as np

REPEAT = 100


def mmul(matrix):
    # The question's function (the repeat count from the command line).
    for i in range(REPEAT):
        matrix = matrix * matrix
    return matrix


def gen(d):
    rng = np.random.default_rng(4)
    for sub in ("float64", "int64"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for i in range(4):
        np.save(os.path.join(d, "float64", "m%d.npy" % i), rng.random((1000, 1000)))
        if hasattr(np.random, "random_integers"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                m = np.random.random_integers(100, size=(1000, 1000))
        else:
            m = np.random.randint(1, 101, size=(1000, 1000))
        np.save(os.path.join(d, "int64", "m%d.npy" % i), m.astype(np.int64))


def checksum(x):
    if x.dtype.kind in "iub":
        return str(int(x.sum()))
    return float(x.sum()).hex()


def time_it(d, workers):
    files = sorted(glob.glob(os.path.join(d, "*.npy")))
    matrices = [np.load(f) for f in files]
    pool = Pool(workers)
    pool.map(abs, range(workers))  # the workers are up before timing
    with np.errstate(all="ignore"):
        t = time.perf_counter()
        out = list(map(mmul, matrices))
        serial = time.perf_counter() - t
        t = time.perf_counter()
        pool.map(mmul, matrices)
        pooled = time.perf_counter() - t
    pool.close()
    pool.join()
    print("map=%.6f pool=%.6f" % (serial, pooled))
    with open(os.path.join(d, "sums"), "w") as f:
        for path, x in zip(files, out):
            f.write("%s %s\n" % (os.path.abspath(path), checksum(x)))


def compare(d, jsonl):
    want = {}
    with open(os.path.join(d, "sums")) as f:
        for line in f:
            path, v = line.split()
            want[path] = v
    got = {}
    with open(jsonl) as f:
        for line in f:
            # parse_int=str keeps an integer checksum exact; a float one
            # is compared by value with NumPy's.
            r = json.loads(line, parse_int=str)
            got[os.path.abspath(r["input"])] = r.get("checksum")
    bad = []
    for path, v in sorted(want.items()):
        g = got.get(path)
        if "0x" in v or "inf" in v or "nan" in v:  # a float: by value
            ok = g is not None and float(g) == float.fromhex(v)
        else:
            ok = isinstance(g, str) and g == v  # an exact integer in the record
        if not ok:
            bad.append("%s: blasbatch %r, NumPy %s" % (os.path.basename(path), g, v))
    print("checksums=equal" if not bad else "checksums differ: " + "; ".join(bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2])
    elif cmd == "time":
        REPEAT = int(sys.argv[3])
        time_it(sys.argv[2], int(sys.argv[4]))
    else:
        compare(sys.argv[2], sys.argv[3])
