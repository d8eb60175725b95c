#!/usr/bin/python3
"""Fixtures for the gram and hadamard kernels, written and checked by NumPy.

  products_fixtures.py DIR
      writes DIR/gram/ and DIR/hadamard/ (.npy, a 3-D stack, an .npz) and
      DIR/expected.json: per kernel, for each item id the record's scalars
      as NumPy computes them (gram: trace and frobenius of A @ A.T;
      hadamard: the sum of x after x = x * x a hundred times, None where it
      overflows), and for each bad input the word its error must contain.

  products_fixtures.py check SAVED.json
      SAVED.json maps item ids to {"kernel": K, "saved": PATH} for the
      arrays blasbatch --save wrote; each must load in NumPy and equal
      A @ A.T (gram, to 1e-12 relative to its norm) or the repeated
      squaring (hadamard, exactly). Prints "ok".

Hadamard's matrices hold values in (0, 1), which 100 squarings send to 0,
and exact ±1 and 0, which stay 1 and 0: the sum is an exact integer that
Go and NumPy must agree on to the bit. One matrix holds 1.25, which
overflows to inf, so its checksum is null."""
import json, os, re, sys
import numpy as np

REPEAT = 100


def hadamard(a):
    x = np.array(a, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        for _ in range(REPEAT):
            x = x * x
    return x


def load(item):
    """The matrix an item id names: PATH, PATH[i], PATH:NAME, PATH:NAME[i]."""
    idx = None
    m = re.fullmatch(r"(.*)\[(\d+)\]", item)
    if m:
        item, idx = m.group(1), int(m.group(2))
    member = None
    if ".npz:" in item:
        item, member = item.split(".npz:", 1)
        item += ".npz"
    a = np.load(item)
    if member is not None:
        a = a[member]
    if idx is not None:
        a = a[idx]
    return np.asarray(a, dtype=np.float64)


def check(saved_json):
    with open(saved_json) as f:
        saved = json.load(f)
    for item, s in saved.items():
        a, got = load(item), np.load(s["saved"])
        if s["kernel"] == "gram":
            want = a @ a.T
            err = np.linalg.norm(got - want) / np.linalg.norm(want)
            assert got.shape == want.shape and err <= 1e-12, (item, got.shape, want.shape, err)
            assert np.array_equal(got, got.T), (item, "not symmetric")
        else:
            want = hadamard(a)
            assert got.shape == want.shape and np.array_equal(got, want), (item, got, want)
    print("ok")


def write(d):
    rng = np.random.default_rng(17)
    expected = {"gram": {"good": {}, "bad": {}}, "hadamard": {"good": {}, "bad": {}}}

    def gram_good(item, a):
        g = a @ a.T
        expected["gram"]["good"][item] = {"trace": float(np.trace(g)), "frobenius": float(np.linalg.norm(g))}

    def hadamard_good(item, a):
        s = float(hadamard(a).sum())
        expected["hadamard"]["good"][item] = {"checksum": s if np.isfinite(s) else None}

    def put(kernel, name, arr, good):
        p = os.path.join(d, kernel, name)
        np.save(p, arr)
        if arr.ndim == 3:
            for i in range(arr.shape[0]):
                good(f"{p}[{i}]", arr[i])
        else:
            good(p, arr)
        return p

    for k in ("gram", "hadamard"):
        os.makedirs(os.path.join(d, k), exist_ok=True)

    # gram: values in [0.5, 1.5), tall, wide, square, a vector-shaped matrix
    for m, n in [(1, 1), (1, 9), (9, 1), (7, 5), (5, 7), (40, 40), (120, 33)]:
        put("gram", f"a{m}x{n}.npy", 0.5 + rng.random((m, n)), gram_good)
    put("gram", "stack.npy", 0.5 + rng.random((3, 6, 4)), gram_good)
    put("gram", "fortran.npy", np.asfortranarray(0.5 + rng.random((8, 3))), gram_good)
    p = os.path.join(d, "gram", "pair.npz")
    a = 0.5 + rng.random((4, 6))
    np.savez(p, a=a)
    gram_good(p + ":a", a)
    a = 0.5 + rng.random((5, 5)); a[3, 2] = np.nan
    expected["gram"]["bad"][put("gram", "nan.npy", a, lambda *_: None)] = "not finite"

    # hadamard: (0, 1) with exact ±1 and 0 sprinkled in
    def unit(m, n):
        a = rng.random((m, n))
        a.flat[rng.integers(0, m * n, size=max(1, m * n // 5))] = 1.0
        a.flat[rng.integers(0, m * n, size=max(1, m * n // 7))] = -1.0
        a.flat[rng.integers(0, m * n, size=max(1, m * n // 9))] = 0.0
        return a

    for m, n in [(1, 1), (3, 8), (50, 20), (64, 64)]:
        put("hadamard", f"u{m}x{n}.npy", unit(m, n), hadamard_good)
    put("hadamard", "stack.npy", np.stack([unit(4, 4) for _ in range(2)]), hadamard_good)
    a = unit(6, 6); a[1, 1] = 1.25
    put("hadamard", "overflow.npy", a, hadamard_good)
    a = unit(4, 4); a[0, 3] = np.inf
    expected["hadamard"]["bad"][put("hadamard", "inf.npy", a, lambda *_: None)] = "not finite"

    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        write(sys.argv[1])
