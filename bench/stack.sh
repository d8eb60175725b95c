#!/usr/bin/env bash
# Tiny matrices from one stack (issue 13, goal 3): 100,000 × 16×16 in one
# .npy, svdvals. blasbatch is a whole process (start, read the stack,
# compute, write JSON Lines to a file on disk with the default -sync);
# NumPy is np.linalg.svd(a, compute_uv=False) on the stack loaded
# beforehand, one thread (OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1), timed
# inside Python. The two sides alternate in each round; medians of ROUNDS
# and the ratio (NumPy's seconds over blasbatch's; the bar is 1.9 on 2
# cores, whose limit is 2). The stack is put in the page cache before each
# blasbatch run (bench/pagecache.py warm), as NumPy's is in its memory
# before its clock starts. The singular values of the first items are
# compared with NumPy's.
#
#   bench/stack.sh [ROUNDS] [COUNT] [N]     (defaults 7, 100000, 16)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7} COUNT=${2:-100000} N=${3:-16}
BB=${BB:-bin/blasbatch} PY=/usr/bin/python3 WORK=${WORK:-/tmp/blasbatch-stack}
. bench/lib.sh
[ -x "$BB" ] || { echo "no $BB: run make build first" >&2; exit 2; }
mkdir -p "$WORK"
S=$WORK/stack-$COUNT-$N.npy
[ -f "$S" ] || $PY -c "import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(5).standard_normal(($COUNT, $N, $N)))" "$S"
: >"$WORK/t"
for r in $(seq "$ROUNDS"); do
  $PY bench/pagecache.py warm "$S"
  b=$(secs "$BB" run -quiet -kernel svdvals -jsonl "$WORK/r.jsonl" "$S")
  p=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $PY -c "
import numpy as np, sys, time
a = np.load(sys.argv[1])
t = time.perf_counter(); np.linalg.svd(a, compute_uv=False); print(time.perf_counter() - t)" "$S")
  echo "$b $p" >>"$WORK/t"
done
check=$($PY -c "
import json, sys, numpy as np
a = np.load(sys.argv[1], mmap_mode='r')
got = {}
with open(sys.argv[2]) as f:
    for line in f:
        r = json.loads(line)
        got[r['input']] = r['singular_values']
n, worst = 0, 0.0
for i in range(0, a.shape[0], max(1, a.shape[0] // 1000)):
    s = np.linalg.svd(a[i], compute_uv=False)
    g = np.array(got[sys.argv[1] + '[%d]' % i])
    worst = max(worst, float(np.abs(g - s).max() / s[0])); n += 1
print('%d records; %d items compared with NumPy, largest difference %.1e of σ₁' % (len(got), n, worst))
" "$S" "$WORK/r.jsonl")
mb=$(cut -d' ' -f1 "$WORK/t" | median); mp=$(cut -d' ' -f2 "$WORK/t" | median)
echo "| workload | blasbatch s | NumPy s | ratio |"
echo "|---|---:|---:|---:|"
awk -v b="$mb" -v p="$mp" -v c="$COUNT" -v n="$N" 'BEGIN{printf "| %d × %d×%d svdvals, one .npy | %.4f | %.4f | %.2f |\n", c, n, n, b, p, p/b}'
echo
echo "$check"
echo "blasbatch: whole process, default plan, -jsonl to a file (default -sync); NumPy $($PY -c 'import numpy; print(numpy.__version__)'): svd(compute_uv=False) on the stack, 1 thread, compute only; medians of $ROUNDS; $($BB env 2>/dev/null | head -1 || true); $(nproc) CPUs; $(date -u +%FT%TZ)"
