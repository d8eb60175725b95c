#!/usr/bin/env bash
# Times the question's real need — a Python function that calls into C,
# over many files — through blasbatch exec -py against what users run
# instead (the commands of ../shared/anchors/exec_anchors.py): joblib
# Parallel(n_jobs=cores) from a fresh interpreter, and GNU parallel with
# one interpreter per file. Whole wall times; the three commands alternate
# in every round; medians and ratios at the end. Also reports what
# exec -plan measure chose, and why.
#
#   bench/exec.sh [ROUNDS] [FILES] [SIZE]     (defaults 5, 100, 250; needs bin/blasbatch,
#                                            /usr/bin/python3 with NumPy, SciPy, joblib; GNU parallel)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}; FILES=${2:-100}; SIZE=${3:-250}
PY=/usr/bin/python3
BB=$PWD/bin/blasbatch
WORK=${WORK:-/tmp/blasbatch-exec-bench}
[ -x "$BB" ] || { echo "build first: make build" >&2; exit 2; }
command -v parallel >/dev/null || { echo "GNU parallel is missing: make deps" >&2; exit 2; }
mkdir -p "$WORK"
cp bench/exec_analysis.py "$WORK/"
cd "$WORK"
unset OMP_NUM_THREADS OPENBLAS_NUM_THREADS MKL_NUM_THREADS
D=data-$FILES-$SIZE
[ -f "$D/m$(printf %05d $((FILES-1))).npy" ] || "$BB" gen -size "$SIZE" -count "$FILES" -dir "$D" >/dev/null
CORES=$(nproc)
now() { date +%s.%N; }
secs() { local t0 t1; t0=$(now); "$@" >last.out 2>&1 || { cat last.out >&2; return 1; }; t1=$(now); echo "$t1 - $t0" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
joblib_code="import glob, os; from joblib import Parallel, delayed; from exec_analysis import analyze; Parallel(n_jobs=$CORES)(delayed(analyze)(p) for p in sorted(q for q in glob.glob(os.path.join('$D', '*')) if os.path.isfile(q)))"
one="import sys; from exec_analysis import analyze; analyze(sys.argv[1])"
export PYTHONPATH=$WORK

echo "== $(date -u +%FT%TZ) $CORES CPUs; $FILES files of ${SIZE}×${SIZE}; $("$BB" env | head -1)"
"$BB" exec -v -plan measure -wisdom "$WORK/wisdom.json" -python $PY -py exec_analysis:analyze -jsonl measure.jsonl ::: "$D" 2>&1 | grep -E "plan:|measured|stopped|not tried|chose|wisdom|items ok" | sed 's/^/   /'
: >times.tsv
for r in $(seq "$ROUNDS"); do
  bb=$(secs "$BB" exec -quiet -python $PY -py exec_analysis:analyze -jsonl bb.jsonl ::: "$D")
  jl=$(secs $PY -c "$joblib_code")
  gp=$(secs parallel -q -j "$CORES" $PY -c "$one" ::: "$D"/*.npy)
  printf '%s\t%s\t%s\n' "$bb" "$jl" "$gp" >>times.tsv
  echo "round $r: blasbatch exec -py ${bb}s, joblib ${jl}s, GNU parallel ${gp}s"
done
mb=$(cut -f1 times.tsv | median); mj=$(cut -f2 times.tsv | median); mg=$(cut -f3 times.tsv | median)
echo
echo "$FILES files of ${SIZE}×${SIZE}, the same function, whole wall times, medians of $ROUNDS:"
echo "   blasbatch exec -py (default plan)             ${mb}s"
echo "   joblib Parallel(n_jobs=$CORES), fresh interpreter ${mj}s   ratio = $(echo "$mj / $mb" | bc -l | cut -c1-5)×"
echo "   GNU parallel, one interpreter per file        ${mg}s   ratio = $(echo "$mg / $mb" | bc -l | cut -c1-5)×"
