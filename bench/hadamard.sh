#!/usr/bin/env bash
# The question's first example, x = x*x 100 times on 4 × 1000×1000: a whole
# `blasbatch run -kernel hadamard` (start, read the files, compute, write
# JSON Lines) beside NumPy's serial map(mmul, matrices) — the question's own
# function, compute only, timed inside Python on matrices loaded before —
# and Pool(nproc).map(mmul, matrices), for float64 in (0,1) and the
# question's int64 random_integers(100) matrices; the two sides alternate
# in each round; medians of ROUNDS, ratios (NumPy's seconds over
# blasbatch's: above 1 means blasbatch is faster), and every file's
# checksum compared with NumPy's int(x.sum()) (x.sum() for floats). The
# files are put in the page cache before each blasbatch run
# (bench/pagecache.py warm), as NumPy's matrices are in its memory.
#
#   bench/hadamard.sh [ROUNDS] [REPEAT]     (defaults 7 and 100)
#
# The int64 row is blasbatch's integer path only once the pipeline hands
# integer items to the kernel's RunInts (kernels.Spec.Integers); before
# that it computes in float64, its checksums are null and the row says so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7} REPEAT=${2:-100}
BB=${BB:-bin/blasbatch} PY=/usr/bin/python3 WORK=${WORK:-/tmp/blasbatch-hadamard}
C=$(nproc)
. bench/lib.sh
[ -x "$BB" ] || { echo "no $BB: run make build first" >&2; exit 2; }
mkdir -p "$WORK"
[ -f "$WORK/int64/m3.npy" ] || $PY bench/hadamard_np.py gen "$WORK"
echo "| dtype | blasbatch s | NumPy map s | ratio | NumPy Pool($C).map s | ratio | checksums |"
echo "|---|---:|---:|---:|---:|---:|---|"
for dt in float64 int64; do
  D=$WORK/$dt; : >"$WORK/t"
  for r in $(seq "$ROUNDS"); do
    $PY bench/pagecache.py warm "$D"
    b=$(secs "$BB" run -quiet -kernel hadamard -repeat "$REPEAT" -jsonl "$WORK/$dt.jsonl" "$D")
    np=$($PY bench/hadamard_np.py time "$D" "$REPEAT" "$C")
    m=$(sed -n 's/.*map=\([0-9.]*\).*/\1/p' <<<"$np"); p=$(sed -n 's/.*pool=\([0-9.]*\).*/\1/p' <<<"$np")
    echo "$b $m $p" >>"$WORK/t"
  done
  ck=$($PY bench/hadamard_np.py compare "$D" "$WORK/$dt.jsonl" || true)
  mb=$(cut -d' ' -f1 "$WORK/t" | median); mm=$(cut -d' ' -f2 "$WORK/t" | median); mp=$(cut -d' ' -f3 "$WORK/t" | median)
  awk -v d="$dt" -v b="$mb" -v m="$mm" -v p="$mp" -v c="$ck" 'BEGIN{printf "| %s | %.4f | %.4f | %.2f | %.4f | %.2f | %s |\n", d, b, m, m/b, p, p/b, c}'
done
echo
echo "blasbatch: whole process, default plan, $($BB env 2>/dev/null | head -1 || true); NumPy $($PY -c 'import numpy; print(numpy.__version__)'): compute only, inside Python; repeat $REPEAT; medians of $ROUNDS; $(nproc) CPUs; $(date -u +%FT%TZ)"
