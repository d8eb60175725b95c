#!/usr/bin/python3
"""Loads blasbatch's --save outputs with NumPy and checks them against the
inputs: U·diag(S)·Vt rebuilds A, U and Vt orthonormal. Usage:
check_saved.py INPUT.npy SAVEDIR PREFIX"""
import sys
import numpy as np
a = np.load(sys.argv[1]).astype(np.float64)
pre = sys.argv[2] + "/" + sys.argv[3]
u, s, vt = np.load(pre + ".U.npy"), np.load(pre + ".S.npy"), np.load(pre + ".Vt.npy")
k = min(a.shape)
assert u.shape == (a.shape[0], k) and s.shape == (k,) and vt.shape == (k, a.shape[1]), (u.shape, s.shape, vt.shape)
assert u.dtype == np.float64 and s.dtype == np.float64
assert np.allclose(u @ np.diag(s) @ vt, a, rtol=1e-12, atol=1e-12 * np.abs(a).max()), "reconstruction"
assert np.allclose(u.T @ u, np.eye(k), atol=1e-12) and np.allclose(vt @ vt.T, np.eye(k), atol=1e-12), "orthonormal"
assert np.allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-12), "values"
print("ok")
