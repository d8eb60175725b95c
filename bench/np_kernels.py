#!/usr/bin/python3
"""The question's method (fork, a global INPUT, multiprocessing.Process +
Queue) for every blasbatch kernel, so blasbatch's throughput can be compared
with NumPy's on the same files. Loading is not timed (as in the anchors).

Usage: OMP_NUM_THREADS=1 np_kernels.py KERNEL DIR WORKERS
Prints: kernel=K items=N workers=W seconds=S items_per_s=R"""
import glob, math, multiprocessing, os, sys, time
import numpy as np

kernel, d, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kernel == "matmul":
    INPUT = [(z["a"], z["b"]) for z in (np.load(f) for f in sorted(glob.glob(os.path.join(d, "*.npz"))))]
else:
    INPUT = [np.load(f) for f in sorted(glob.glob(os.path.join(d, "*.npy")))]

def hadamard(x):
    for _ in range(100):
        x = x * x
    return x

# What blasbatch computes without --save, item by item.
OPS = {
    "svd": lambda a: np.linalg.svd(a, full_matrices=False)[1],
    "svdvals": lambda a: np.linalg.svd(a, compute_uv=False),
    "eigh": lambda a: np.linalg.eigvalsh(a),
    "eig": lambda a: np.linalg.eigvals(a),
    "qr": lambda a: np.linalg.qr(a, mode="r"),
    "chol": lambda a: np.linalg.cholesky(a),
    "inv": lambda a: np.linalg.inv(a),
    "det": lambda a: np.linalg.slogdet(a),
    "gram": lambda a: a @ a.T,
    "hadamard": hadamard,
    "matmul": lambda p: p[0] @ p[1],
}
op = OPS[kernel]

def worker(q, idx, lo, hi):
    for m in INPUT[lo:hi]:
        op(m)
    q.put(idx)

if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    chunk = int(math.ceil(len(INPUT) / workers))
    bounds = [(i, i + chunk) for i in range(0, len(INPUT), chunk)]
    q = multiprocessing.Queue()
    t0 = time.perf_counter()
    kids = [multiprocessing.Process(target=worker, args=(q, i, lo, hi)) for i, (lo, hi) in enumerate(bounds)]
    for k in kids: k.start()
    for _ in kids: q.get()
    for k in kids: k.join()
    dt = time.perf_counter() - t0
    print(f"kernel={kernel} items={len(INPUT)} workers={workers} seconds={dt:.4f} items_per_s={len(INPUT)/dt:.1f}")
