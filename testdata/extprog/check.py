"""Checks extprog's output against NumPy: argv[1] is the input directory,
stdin the JSON lines extprog printed. Exits non-zero with a message."""
import json, os, sys
import numpy as np

d = sys.argv[1]
want = {}
for name in sorted(os.listdir(d)):
    try:
        a = np.load(os.path.join(d, name))
    except Exception:
        continue
    want[os.path.join(d, name)] = a
runs = [json.loads(l) for l in sys.stdin]
assert len(runs) == 4, f"{len(runs)} runs"
for r in runs:
    s = r["summary"]
    assert not r.get("error"), r.get("error")
    assert s["OK"] == len(want) and s["Failed"] == 1 and s["Items"] == len(want) + 1, s
    assert s["OK"] + s["Failed"] + s["Abandoned"] + s["NotStarted"] + s["Skipped"] == s["Items"], s
    got = {rec["input"]: rec for rec in r["records"]}
    assert len(got) == len(want) + 1, sorted(got)
    for path, a in want.items():
        rec = got[path]
        assert rec["ok"], rec
        if r["kernel"] == "svdvals":
            ref, vals = np.linalg.svd(a, compute_uv=False), rec["singular_values"]
        else:
            ref, vals = a.sum(axis=1), rec["row_sums"]
            other = rec["pid"] != r["pid"]
            assert other == r["isolate"], f"isolate={r['isolate']} but computed by pid {rec['pid']} (program {r['pid']})"
        err = np.max(np.abs(np.array(vals) - ref)) / max(1.0, np.max(np.abs(ref)))
        assert err < 1e-12, f"{r['kernel']} {path}: off by {err}"
    bad = [rec for rec in r["records"] if not rec["ok"]]
    assert len(bad) == 1 and "bad.npy" in bad[0]["input"] and bad[0]["error"], bad
print("ok")
