#!/usr/bin/python3
"""Pairs for the matmul kernel, written by NumPy, and the Frobenius norms of
their products (expected.json: id -> norm, or the word an error must hold).
Usage: matmul_fixtures.py DIR"""
import json, os, sys
import numpy as np
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(5)
exp = {}
def p(name): return os.path.join(d, name)
a, b = rng.random((5, 4)), rng.random((4, 3))
np.savez(p("pair.npz"), a=a, b=b); exp[p("pair.npz")] = float(np.linalg.norm(a @ b))
a, b = rng.random((3, 5, 4)), rng.random((3, 4, 2))
np.savez_compressed(p("stack.npz"), b=b, a=a)  # member order must not matter
for i in range(3):
    exp[p("stack.npz") + f"[{i}]"] = float(np.linalg.norm(a[i] @ b[i]))
a, b = rng.random((6, 2)), rng.random((2, 7))
np.save(p("A.npy"), a); np.save(p("B.npy"), b); exp[p("A.npy") + "," + p("B.npy")] = float(np.linalg.norm(a @ b))
np.savez(p("bad.npz"), a=rng.random((3, 4)), b=rng.random((5, 2))); exp[p("bad.npz")] = "inner"
np.savez(p("nob.npz"), a=rng.random((3, 4))); exp[p("nob.npz")] = "no member"
json.dump(exp, open(p("expected.json"), "w"))
