#!/usr/bin/env bash
# Nothing regresses (issue 13, goal 4): 100,000 files of 4×4 (svd, the
# default kernel) — wall time and peak RSS of a whole run (GNU time), the
# bars being faster than before and under 128 MiB — and 1000 files of
# 256×256 (peak RSS under 64 MiB). With BB_OLD=path to an earlier build,
# each round runs the two builds alternately and the table has both. The
# files are put in the page cache before each run (bench/pagecache.py
# warm): this project's VMs page out files idle for some seconds.
#
#   bench/tiny.sh [ROUNDS]     (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
BB=${BB:-bin/blasbatch} PY=/usr/bin/python3 WORK=${WORK:-/tmp/blasbatch-tiny}
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
[ -x "$BB" ] || { echo "no $BB: run make build first" >&2; exit 2; }
mkdir -p "$WORK"
gen() { [ -f "$1/m$(printf %06d $(($2 - 1))).npy" ] || $PY -c "
import numpy as np, os, sys
d, count, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(7)
for i in range(count):
    np.save(os.path.join(d, 'm%06d.npy' % i), rng.random((n, n)))" "$1" "$2" "$3"; }
gen "$WORK/t4" 100000 4
gen "$WORK/s256" 1000 256
# one: a whole run of BIN over DIR; prints "seconds max-RSS-KiB".
one() { $PY bench/pagecache.py warm "$2"; /usr/bin/time -f "%e %M" -o "$WORK/time" "$1" run -quiet -jsonl "$WORK/r.jsonl" "$2" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
  [ "$(wc -l <"$WORK/r.jsonl")" = "$3" ] || { echo "$1 $2: $(wc -l <"$WORK/r.jsonl") records, want $3" >&2; exit 1; }
  cat "$WORK/time"; }
builds="$BB"; [ -n "${BB_OLD:-}" ] && builds="$BB_OLD $BB"
echo "| workload | build | seconds | peak RSS MiB | bar |"
echo "|---|---|---:|---:|---|"
for w in "t4 100000 4×4 faster, < 128 MiB" "s256 1000 256×256 < 64 MiB"; do
  set -- $w; d=$1 n=$2 shape=$3; shift 3; bar="$*"
  k=0; for b in $builds; do k=$((k+1)); : >"$WORK/t.$k"; done
  for r in $(seq "$ROUNDS"); do
    k=0; for b in $builds; do k=$((k+1)); one "$b" "$WORK/$d" "$n" >>"$WORK/t.$k"; done
  done
  k=0
  for b in $builds; do
    k=$((k+1)); s=$(cut -d' ' -f1 "$WORK/t.$k" | median); m=$(cut -d' ' -f2 "$WORK/t.$k" | sort -g | tail -1)
    awk -v w="$n files of $shape" -v b="$b" -v s="$s" -v m="$m" -v bar="$bar" 'BEGIN{printf "| %s | %s | %s | %.0f | %s |\n", w, b, s, m/1024, bar}'
  done
done
echo
echo "seconds: median of $ROUNDS whole runs; peak RSS: the largest of them (GNU time's maximum resident set); builds alternated in each round; $(nproc) CPUs; $(date -u +%FT%TZ)"
