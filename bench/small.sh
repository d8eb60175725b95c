#!/usr/bin/env bash
# Many small files (issue 13, goal 1): 2000 files of 64×64 (symmetric
# positive definite, so that chol and eigh accept them), each of chol, det,
# eigh and svdvals. blasbatch is a whole process (start, list and read the
# files, compute, write JSON Lines to a file on disk, default plan); NumPy
# is compute only — np.linalg.cholesky, slogdet, eigvalsh,
# svd(compute_uv=False) on arrays loaded beforehand, the question's fork +
# Queue with one worker per core and OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1
# (bench/np_kernels.py), timed from the first fork to the last join. The
# two sides alternate in each round; medians of ROUNDS and the ratio
# (NumPy's seconds over blasbatch's: the bar is 0.7). NumPy's arrays are in
# its memory before its clock starts; blasbatch's files are put in the page
# cache before each of its runs (bench/pagecache.py warm: this project's
# VMs page out files idle for some seconds; bench/cold.sh times runs from
# disk). Then the system calls
# per file of one blasbatch run of each kernel (strace -f -c, when strace is
# installed), less those of a run over one file.
#
#   bench/small.sh [ROUNDS] [KERNELS...]     (default 7; chol det eigh svdvals)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}; shift || true
KERNELS=${*:-chol det eigh svdvals}
BB=${BB:-bin/blasbatch} PY=/usr/bin/python3 WORK=${WORK:-/tmp/blasbatch-small}
C=$(nproc) N=2000
. bench/lib.sh
[ -x "$BB" ] || { echo "no $BB: run make build first" >&2; exit 2; }
mkdir -p "$WORK"
D=$WORK/spd-64
[ -f "$D/m01999.npy" ] || $PY bench/gen_kernel_inputs.py spd 64 $N "$D"
mkdir -p "$WORK/one" && cp "$D/m00000.npy" "$WORK/one/"
echo "| kernel | blasbatch s | NumPy s | ratio | system calls per file |"
echo "|---|---:|---:|---:|---:|"
for k in $KERNELS; do
  : >"$WORK/t"
  for r in $(seq "$ROUNDS"); do
    $PY bench/pagecache.py warm "$D"
    b=$(secs "$BB" run -quiet -kernel "$k" -jsonl "$WORK/r.jsonl" "$D")
    p=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $PY bench/np_kernels.py "$k" "$D" "$C" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
    echo "$b $p" >>"$WORK/t"
  done
  [ "$(wc -l <"$WORK/r.jsonl")" = $N ] || { echo "$k: $(wc -l <"$WORK/r.jsonl") records, want $N" >&2; exit 1; }
  calls=n/a
  if command -v strace >/dev/null; then
    # futex, nanosleep and sched_yield are the Go runtime's and the
    # threads' own scheduling, not file access: left out.
    only() { strace -f -c -o "$WORK/st" "$BB" run -quiet -kernel "$k" -jsonl "$WORK/s.jsonl" "$1" >/dev/null 2>&1
      awk '$1 ~ /^[0-9.]+$/ && $NF!="total" && $NF!="futex" && $NF!="nanosleep" && $NF!="sched_yield" {s+=$4} END{print s}' "$WORK/st"; }
    all=$(only "$D") one=$(only "$WORK/one")
    calls=$(awk -v a="$all" -v o="$one" -v n=$N 'BEGIN{printf "%.1f", (a-o)/(n-1)}')
  fi
  mb=$(cut -d' ' -f1 "$WORK/t" | median); mp=$(cut -d' ' -f2 "$WORK/t" | median)
  awk -v k="$k" -v b="$mb" -v p="$mp" -v c="$calls" 'BEGIN{printf "| %s | %.4f | %.4f | %.2f | %s |\n", k, b, p, p/b, c}'
done
echo
echo "$N files of 64×64; blasbatch: whole process, default plan, -jsonl to a file; NumPy $($PY -c 'import numpy; print(numpy.__version__)'): compute only, $C worker processes × 1 thread; medians of $ROUNDS; $($BB env 2>/dev/null | head -1 || true); $C CPUs; $(date -u +%FT%TZ)"
