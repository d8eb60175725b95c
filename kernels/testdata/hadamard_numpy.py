"""NumPy side of the hadamard kernel's test (see hadamard_test.go).

    hadamard_numpy.py DIR   write input matrices into DIR, and for each
                            repeat count R NumPy's result of the question's
                            mmul (x = x*x, R times) in the input's own
                            dtype, as .npy files; DIR/cases.json lists them
                            with int(x.sum()) of the result (a decimal
                            string) for integers and float(x.sum()).hex()
                            for floats.
"""

import json
import os
import sys
import warnings

import numpy as np


def mmul(matrix, repeat):
    # The question's function, with the repeat count as a parameter.
    for _ in range(repeat):
        matrix = matrix * matrix
    return matrix


def main(d):
    rng = np.random.default_rng(20240601)
    cases = []
    repeats = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 31, 63, 64, 65, 100]

    def add(name, a, repeats, fortran=False):
        if fortran:
            a = np.asfortranarray(a)
        np.save(os.path.join(d, name + ".npy"), a)
        for r in repeats:
            with np.errstate(all="ignore"):
                b = mmul(a.copy(order="K"), r)
            assert b.dtype.kind == a.dtype.kind and b.dtype.itemsize == a.dtype.itemsize
            res = "%s_r%d.npy" % (name, r)
            np.save(os.path.join(d, res), b)
            s = b.sum()
            cases.append({
                "input": name + ".npy", "result": res, "repeat": r, "dtype": a.dtype.str,
                "fortran": fortran,
                "sum": str(int(s)) if a.dtype.kind in "iu" else float(s).hex(),
            })

    for t in ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8"]:
        info = np.iinfo(np.dtype(t))
        for shape in [(1, 1), (3, 5), (37, 29)]:
            a = rng.integers(info.min, info.max, size=shape, dtype=np.dtype(t), endpoint=True)
            flat = a.reshape(-1)
            k = flat.size // 3
            flat[:k] = rng.integers(0, min(101, info.max), size=k)  # small values, the question's
            if flat.size > 2:
                flat[-2:] = [info.min, info.max]
            add("%s_%dx%d" % (t, *shape), a, repeats)
        if t[1] != "1":  # big-endian and Fortran-ordered: the same results
            a = rng.integers(info.min, info.max, size=(9, 7), dtype=np.dtype(t), endpoint=True).astype(">" + t)
            add("%s_be_fortran" % t, a, [1, 3, 100], fortran=True)
    # The question's integer matrices: random_integers(100), int64.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        q = np.random.RandomState(5).random_integers(100, size=(120, 110))
    add("question_int64", q, repeats)
    # float64: normals (some overflow to inf in a few squarings) and the
    # question's (0,1); shapes with more than one 8192-element block.
    for shape in [(3, 5), (200, 300), (1, 8193)]:
        add("normal_%dx%d" % shape, rng.standard_normal(shape) * 3, [0, 1, 2, 3, 4, 5, 100])
        add("uniform_%dx%d" % shape, rng.random(shape), [0, 1, 2, 3, 4, 5, 6, 100])
    # bool: x*x is x (logical and), x.sum() counts the Trues.
    add("bool_37x29", rng.integers(0, 2, size=(37, 29)).astype(bool), [0, 1, 2, 100])
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump(cases, f)
    print("wrote %d cases" % len(cases))


if __name__ == "__main__":
    main(sys.argv[1])
