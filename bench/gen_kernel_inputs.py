#!/usr/bin/python3
"""Inputs for bench/kernels.sh: COUNT random n×n matrices as .npy files in
DIR, symmetric positive definite for chol and eigh (A·Aᵀ/n + I), values in
(0, 1) for hadamard (so 100 squarings do not overflow to Inf), .npz
pairs a, b for matmul, the
question's offset + stretch × uniform otherwise. Usage: gen_kernel_inputs.py KIND N COUNT DIR"""
import os, sys
import numpy as np
kind, n, count, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(3)
for i in range(count):
    if kind == "pair":
        np.savez(os.path.join(d, f"p{i:05d}.npz"), a=rng.random((n, n)), b=rng.random((n, n)))
        continue
    if kind == "spd":
        a = rng.random((n, n)); a = a @ a.T / n + np.eye(n)
    elif kind == "unit":
        a = rng.random((n, n))
    else:
        a = rng.integers(1, 10) + (2 * rng.random() + 0.1) * rng.random((n, n))
    np.save(os.path.join(d, f"m{i:05d}.npy"), a)
