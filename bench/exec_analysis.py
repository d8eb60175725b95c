"""The user's analysis for bench/exec.sh: a third-party-style function over
one NumPy file, a call into C (LAPACK through NumPy and SciPy)."""
import numpy as np
import scipy.linalg


def analyze(path):
    a = np.load(path)
    s = scipy.linalg.svdvals(a)
    return {"sigma_max": s[0], "sigma_min": s[-1], "cond": s[0] / s[-1], "fro": np.linalg.norm(a)}
