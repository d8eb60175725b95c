#!/usr/bin/env bash
# Times blasbatch against the anchors in ../shared/anchors on the same files,
# alternating the commands in every round, and prints medians and ratios.
#
#   bench/anchor.sh [ROUNDS]        (default 5; needs bin/blasbatch, NumPy, /usr/bin/time)
#
# Workloads (issue "Batch SVD over NumPy files"):
#   A. 16 × 1000×1000 full SVD (the question's): blasbatch default split as a
#      whole process that reads the files, vs seed_svd_scaling.py (compute
#      only, best of 1 and 2 workers), pool_map_svd.py, and blasbatch -outer 1
#      -inner 1 (the single-worker rate for the physical limit).
#   B. one stacked .npy of 100000 16×16, svdvals to JSON Lines, vs NumPy's
#      stacked np.linalg.svd(a, compute_uv=False) on the same file.
#   C. 1000 files of 256×256, svd: peak RSS.
# blasbatch's inputs are put in the page cache before each of its runs
# (bench/pagecache.py warm), as NumPy's are in its memory before its clock
# starts: this project's VMs page out files idle for some seconds
# (bench/cold.sh times runs from disk).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
ANCHORS=${ANCHORS:-../shared/anchors}
PY=/usr/bin/python3
BB=bin/blasbatch
WORK=${WORK:-/tmp/blasbatch-anchor}
mkdir -p "$WORK"
[ -x "$BB" ] || { echo "build first: make build" >&2; exit 2; }
[ -d "$ANCHORS" ] || { echo "no anchors at $ANCHORS (set ANCHORS=)" >&2; exit 2; }
unset OMP_NUM_THREADS OPENBLAS_NUM_THREADS

now() { date +%s.%N; }
# secs CMD...: wall seconds of a whole command, its output to $WORK/last.out
secs() { local t0 t1; t0=$(now); "$@" >"$WORK/last.out" 2>&1 || { cat "$WORK/last.out" >&2; return 1; }; t1=$(now); echo "$t1 - $t0" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

echo "== $(date -u +%FT%TZ) $(nproc) CPUs; $($BB env | head -1)"

# ---- A: the question's workload
A=$WORK/seed16
[ -f "$A/m00015.npy" ] || $PY "$ANCHORS/gen_seed_npy.py" "$A" 1000 16
: >"$WORK/A.tsv"
for r in $(seq "$ROUNDS"); do
  $PY bench/pagecache.py warm "$A"
  bb=$(secs $BB run -quiet -kernel svd -jsonl "$WORK/A.jsonl" "$A")
  $PY bench/pagecache.py warm "$A"
  bb11=$(secs $BB run -quiet -kernel svd -outer 1 -inner 1 -jsonl /dev/null "$A")
  # The question's method at every sensible split of the cores: W worker
  # processes × OMP_NUM_THREADS=1, and 1 worker × all cores; keep the best.
  OMP_NUM_THREADS=1 $PY "$ANCHORS/seed_svd_scaling.py" --dir "$A" --workers "1,$(nproc)" >"$WORK/seed.out"
  OMP_NUM_THREADS=$(nproc) $PY "$ANCHORS/seed_svd_scaling.py" --dir "$A" --workers 1 >>"$WORK/seed.out"
  seed=$(awk '{for(i=1;i<=NF;i++) if($i ~ /^seconds=/){split($i,a,"="); print a[2]}}' "$WORK/seed.out" | sort -g | head -1)
  sed "s/^/    /" "$WORK/seed.out"
  pool=$($PY "$ANCHORS/pool_map_svd.py" "$A" "$(nproc)" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
  printf '%s\t%s\t%s\t%s\n' "$bb" "$bb11" "$seed" "$pool" >>"$WORK/A.tsv"
  echo "A round $r: blasbatch default ${bb}s, 1x1 ${bb11}s, NumPy fork+Queue best ${seed}s, Pool.map ${pool}s"
done
mA=$(cut -f1 "$WORK/A.tsv" | median); m11=$(cut -f2 "$WORK/A.tsv" | median)
mS=$(cut -f3 "$WORK/A.tsv" | median); mP=$(cut -f4 "$WORK/A.tsv" | median)
echo
echo "A. 16 × 1000×1000 svd, medians of $ROUNDS:"
echo "   blasbatch default (whole process, reads files)   ${mA}s"
echo "   blasbatch -outer 1 -inner 1 (whole process)        ${m11}s"
echo "   NumPy fork+Queue, best worker count (compute only) ${mS}s   ratio NumPy/blasbatch = $(echo "$mS / $mA" | bc -l | cut -c1-5)"
echo "   NumPy Pool.map (compute only)                      ${mP}s   ratio Pool.map/blasbatch = $(echo "$mP / $mA" | bc -l | cut -c1-5)"
echo "   physical limit: $(nproc) × 1x1 rate → $(echo "$m11 / $(nproc)" | bc -l | cut -c1-5)s; fraction reached = $(echo "($m11 / $(nproc)) / $mA" | bc -l | cut -c1-5)"

# ---- B: 100000 stacked 16×16, svdvals
B=$WORK/stack16.npy
[ -f "$B" ] || $BB gen -size 16 -count 100000 -stack "$B"
cat >"$WORK/np_stack.py" <<'PY'
import sys, time, numpy as np
t0 = time.perf_counter(); a = np.load(sys.argv[1]); t1 = time.perf_counter()
s = np.linalg.svd(a, compute_uv=False); t2 = time.perf_counter()
print(f"load={t1-t0:.3f} svd={t2-t1:.3f} checksum={s.sum():.6e}")
PY
: >"$WORK/B.tsv"
for r in $(seq "$ROUNDS"); do
  $PY bench/pagecache.py warm "$B"
  bb=$(secs $BB run -quiet -kernel svdvals -jsonl "$WORK/B.jsonl" "$B")
  npw=$(secs $PY "$WORK/np_stack.py" "$B"); npc=$(sed -n 's/.*svd=\([0-9.]*\).*/\1/p' "$WORK/last.out")
  printf '%s\t%s\t%s\n' "$bb" "$npw" "$npc" >>"$WORK/B.tsv"
  echo "B round $r: blasbatch ${bb}s (whole process), NumPy ${npw}s whole process / ${npc}s svd call only"
done
mB=$(cut -f1 "$WORK/B.tsv" | median); mNw=$(cut -f2 "$WORK/B.tsv" | median); mNc=$(cut -f3 "$WORK/B.tsv" | median)
echo
echo "B. 100000 × 16×16 svdvals from one stacked .npy, medians of $ROUNDS:"
echo "   blasbatch whole process (read, compute, write JSON Lines) ${mB}s"
echo "   NumPy np.linalg.svd(a, compute_uv=False) call only         ${mNc}s   ratio = $(echo "$mNc / $mB" | bc -l | cut -c1-5)"
echo "   NumPy whole process (start, load, svd)                     ${mNw}s   ratio = $(echo "$mNw / $mB" | bc -l | cut -c1-5)"

# ---- C: 1000 files of 256×256, peak RSS
C=$WORK/files256
[ -f "$C/m00999.npy" ] || $BB gen -size 256 -count 1000 -dir "$C"
/usr/bin/time -f '%M %e' -o "$WORK/C.time" $BB run -quiet -kernel svd -jsonl "$WORK/C.jsonl" "$C"
read -r kb el <"$WORK/C.time"
echo
echo "C. 1000 files of 256×256 svd: peak RSS $((kb / 1024)) MiB, ${el}s, $(wc -l <"$WORK/C.jsonl") records"
