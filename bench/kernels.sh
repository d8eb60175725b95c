#!/usr/bin/env bash
# Throughput of every kernel at n = 64, 256 and 1000 with blasbatch's
# default plan (a whole process: start, read the files, write JSON Lines)
# beside NumPy with the question's method (bench/np_kernels.py: fork +
# Queue, one worker per core, OMP_NUM_THREADS=1, compute only) on the same
# files; alternated in each round, medians of ROUNDS.
#
#   bench/kernels.sh [ROUNDS] [KERNELS...]     (default 3; all kernels)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; shift || true
KERNELS=${*:-svd svdvals eigh eig qr chol inv det gram matmul hadamard}
BB=bin/blasbatch PY=/usr/bin/python3 WORK=${WORK:-/tmp/blasbatch-kernels}
C=$(nproc)
. bench/lib.sh
count() { case $1 in 64) echo 2000 ;; 256) echo 200 ;; 1000) echo 8 ;; esac; }
kind() { case $1 in chol|eigh) echo spd ;; hadamard) echo unit ;; matmul) echo pair ;; *) echo general ;; esac; }
mkdir -p "$WORK"
echo "| kernel | n | items | blasbatch items/s | NumPy items/s | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
for k in $KERNELS; do
  for n in 64 256 1000; do
    N=$(count $n); D=$WORK/$(kind $k)-$n
    [ -n "$(ls "$D" 2>/dev/null | sed -n "${N}p")" ] || $PY bench/gen_kernel_inputs.py "$(kind $k)" "$n" "$N" "$D"
    : >"$WORK/t"
    for r in $(seq "$ROUNDS"); do
      b=$(secs $BB run -quiet -kernel "$k" -jsonl /dev/null "$D")
      p=$(OMP_NUM_THREADS=1 $PY bench/np_kernels.py "$k" "$D" "$C" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
      echo "$b $p" >>"$WORK/t"
    done
    mb=$(cut -d' ' -f1 "$WORK/t" | median); mp=$(cut -d' ' -f2 "$WORK/t" | median)
    awk -v k="$k" -v n="$n" -v N="$N" -v b="$mb" -v p="$mp" 'BEGIN{printf "| %s | %d | %d | %.0f | %.0f | %.2f |\n", k, n, N, N/b, N/p, p/b}'
  done
done
echo
echo "blasbatch: whole process, default plan; NumPy: compute only, $C worker processes × OMP_NUM_THREADS=1; medians of $ROUNDS; $(date -u +%FT%TZ)"
