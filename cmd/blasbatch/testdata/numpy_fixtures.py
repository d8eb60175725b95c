#!/usr/bin/python3
"""Writes, with NumPy, every kind of input blasbatch reads and the bad ones it
must refuse, plus expected.json: for each item id the singular values NumPy
computes (np.linalg.svd(..., compute_uv=False)), or the word the error must
contain. Usage: numpy_fixtures.py DIR"""
import json, os, sys, zipfile
import numpy as np

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(11)
expected = {}

def mat(m, n):
    return rng.integers(1, 10) + (2 * rng.random() + 0.1) * rng.random((m, n))

def good(name, arr, ids=None):
    a = np.asarray(arr)
    if a.ndim == 2:
        expected[ids or name] = np.linalg.svd(a.astype(np.float64), compute_uv=False).tolist()
    else:
        for i in range(a.shape[0]):
            expected[f"{ids or name}[{i}]"] = np.linalg.svd(a[i].astype(np.float64), compute_uv=False).tolist()

def save(name, arr, version=None):
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        np.lib.format.write_array(f, np.asarray(arr), version=version, allow_pickle=True)
    return p

# .npy format versions and dtypes
for v in [(1, 0), (2, 0), (3, 0)]:
    a = mat(7, 5); p = save(f"v{v[0]}.npy", a, v); good(p, a)
for dt in ["<f8", ">f8", "<f4", ">f4", "i1", "<i2", ">i4", "<i8", "u1", "<u2", "?"]:
    a = (mat(6, 4) * 10).astype(dt)
    tag = dt.replace("<", "le").replace(">", "be").replace("?", "bool")
    p = save(f"dtype-{tag}.npy", a); good(p, a)
# Fortran order, 2-D and stacked; C stack
a = np.asfortranarray(mat(9, 4)); p = save("fortran.npy", a); good(p, a)
s = np.stack([mat(5, 6) for _ in range(3)]); p = save("stack.npy", s); good(p, s)
s = np.asfortranarray(np.stack([mat(4, 3) for _ in range(4)])); p = save("stack-fortran.npy", s); good(p, s)
# .npz stored and deflated, 2-D and 3-D members
a, b = mat(8, 8), np.stack([mat(3, 5) for _ in range(2)])
p = os.path.join(d, "stored.npz"); np.savez(p, a=a, b=b); good(None, a, p + ":a"); good(None, b, p + ":b")
a, b = mat(10, 3), np.stack([mat(2, 2) for _ in range(3)]).astype(">f4")
p = os.path.join(d, "deflated.npz"); np.savez_compressed(p, a=a, b=b); good(None, a, p + ":a"); good(None, b, p + ":b")

# bad inputs: the substring the item's error must contain (case-insensitive)
bad = {}
a = mat(5, 5); a[2, 3] = np.nan; bad[save("nan.npy", a)] = "not finite"
a = mat(5, 5); a[0, 1] = np.inf; bad[save("inf.npy", a)] = "not finite"
bad[save("empty.npy", np.zeros((0, 5)))] = "shape"
bad[save("vector.npy", np.arange(5.0))] = "1-d"
bad[save("strings.npy", np.array([["a", "b"], ["c", "d"]]))] = "dtype"
bad[save("object.npy", np.array([[1, None]], dtype=object))] = "object"
bad[save("complex.npy", np.ones((3, 3), dtype=complex))] = "complex"
p = save("truncated.npy", mat(50, 50)); os.truncate(p, os.path.getsize(p) - 100); bad[p] = "truncat"
p = os.path.join(d, "notnumpy.npy"); open(p, "w").write("just some text\n"); bad[p] = "numpy"
# an archive with one good and one bad member: the good one goes on
a = mat(4, 4); p = os.path.join(d, "mixed.npz"); np.savez(p, good=a, vec=np.arange(3.0))
good(None, a, p + ":good"); bad[p + ":vec"] = "1-d"

with open(os.path.join(d, "expected.json"), "w") as f:
    json.dump({"good": expected, "bad": bad}, f)
