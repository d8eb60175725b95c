#!/usr/bin/env bash
# Inputs on disk, not in memory: each run starts with its input files
# dropped from the page cache (bench/pagecache.py cold: fdatasync, then
# POSIX_FADV_DONTNEED), as files written long ago are — and as this
# project's VMs leave any file idle for some seconds (DAMON pages it out).
# Workloads: 2000 files of 64×64 (chol) and the question's 16 files of
# 1000×1000 (svd). Sides, alternated in each round: blasbatch (whole
# process, default plan, -jsonl to a file), BB_OLD if set (an earlier
# build), and NumPy's whole job — start, import, np.load of every file,
# then the question's fork + Queue compute (bench/np_kernels.py, one worker
# per core, one thread each). Medians of ROUNDS; the same blasbatch with
# the inputs in memory for reference.
#
#   bench/cold.sh [ROUNDS]     (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
BB=${BB:-bin/blasbatch} PY=/usr/bin/python3 WORK=${WORK:-/tmp/blasbatch-cold}
C=$(nproc)
. bench/lib.sh
[ -x "$BB" ] || { echo "no $BB: run make build first" >&2; exit 2; }
mkdir -p "$WORK"
[ -f "$WORK/spd-64/m01999.npy" ] || $PY bench/gen_kernel_inputs.py spd 64 2000 "$WORK/spd-64"
[ -f "$WORK/seed16/m00015.npy" ] || $BB gen -dir "$WORK/seed16" -size 1000 -count 16 >/dev/null
builds="$BB"; [ -n "${BB_OLD:-}" ] && builds="$BB_OLD $BB"
echo "| workload | side | inputs | seconds |"
echo "|---|---|---|---:|"
for w in "chol spd-64 2000 64×64" "svd seed16 16 1000×1000"; do
  read -r k d n shape <<<"$w"; D=$WORK/$d
  : >"$WORK/t"
  for r in $(seq "$ROUNDS"); do
    for b in $builds; do
      $PY bench/pagecache.py cold "$D"
      echo "$b cold $(secs "$b" run -quiet -kernel "$k" -jsonl "$WORK/r.jsonl" "$D")" >>"$WORK/t"
      [ "$(wc -l <"$WORK/r.jsonl")" = "$n" ] || { echo "$b $k: $(wc -l <"$WORK/r.jsonl") records, want $n" >&2; exit 1; }
    done
    $PY bench/pagecache.py cold "$D"
    echo "numpy cold $(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 secs $PY bench/np_kernels.py "$k" "$D" "$C")" >>"$WORK/t"
    $PY bench/pagecache.py warm "$D"
    echo "$BB warm $(secs "$BB" run -quiet -kernel "$k" -jsonl "$WORK/r.jsonl" "$D")" >>"$WORK/t"
  done
  for side in $builds numpy; do
    for temp in cold warm; do
      m=$(awk -v s="$side" -v c="$temp" '$1==s && $2==c {print $3}' "$WORK/t" | { grep . || true; } | median)
      [ -n "$m" ] && [ "$m" != "0.0000" ] && echo "| $n files of $shape, $k | $side | $temp | $m |"
    done
  done
done
echo
echo "blasbatch: whole process, default plan; NumPy $($PY -c 'import numpy; print(numpy.__version__)'): whole process (start, np.load of every file, fork + Queue compute, $C workers × 1 thread); medians of $ROUNDS; $(nproc) CPUs; $(date -u +%FT%TZ)"
