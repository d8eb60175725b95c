#!/usr/bin/env bash
# Does the default plan keep up with the best forced split? For three
# workloads — one large matrix, hundreds of tiny ones, three mid-size ones —
# times `blasbatch run` with no split flags (the planner's choice) and with
# every in-process split that fits the cores, alternating them in each round,
# and prints the medians and the ratio default / best forced.
#
#   bench/plan_check.sh [ROUNDS]     (default 3; needs bin/blasbatch)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
BB=bin/blasbatch
WORK=${WORK:-/tmp/blasbatch-plan}
WISDOM=$WORK/wisdom.json
mkdir -p "$WORK"
C=$(nproc)
. bench/lib.sh

[ -f "$WORK/large/m00000.npy" ] || $BB gen -size 2000 -count 1 -dir "$WORK/large"
[ -f "$WORK/tiny/m00399.npy" ] || $BB gen -size 24 -count 400 -dir "$WORK/tiny"
[ -f "$WORK/mid3/m00002.npy" ] || $BB gen -size 800 -count 3 -dir "$WORK/mid3"

splits=("1 1")
for ((o = 2; o <= C; o *= 2)); do splits+=("$o 1"); done
for ((i = 2; i <= C; i *= 2)); do splits+=("1 $i"); done

echo "| workload | plan chosen | default s | best forced split | its s | default / best |"
echo "|---|---|---:|---|---:|---:|"
for w in large tiny mid3; do
  D=$WORK/$w
  plan=$($BB plan -kernel svd -wisdom "$WISDOM" "$D" | sed -n 2p | sed 's/^plan: //; s/; predicted.*//')
  : >"$WORK/$w.tsv"
  for r in $(seq "$ROUNDS"); do
    line="default $(secs $BB run -quiet -kernel svd -wisdom "$WISDOM" -jsonl /dev/null "$D")"
    for s in "${splits[@]}"; do
      set -- $s
      line+=$'\n'"${1}x${2} $(secs $BB run -quiet -kernel svd -outer "$1" -inner "$2" -jsonl /dev/null "$D")"
    done
    echo "$line" >>"$WORK/$w.tsv"
  done
  def=$(awk '$1=="default"{print $2}' "$WORK/$w.tsv" | median)
  best=""; bestn=""
  for s in "${splits[@]}"; do
    set -- $s; n="${1}x${2}"
    m=$(awk -v n="$n" '$1==n{print $2}' "$WORK/$w.tsv" | median)
    if [ -z "$best" ] || awk -v a="$m" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$m; bestn=$n; fi
  done
  echo "| $w | $plan | $def | $bestn | $best | $(awk -v a="$def" -v b="$best" 'BEGIN{printf "%.3f", a/b}') |"
done
echo
echo "medians of $ROUNDS rounds, commands alternated within each round; $(date -u +%FT%TZ); $($BB env | head -1)"
