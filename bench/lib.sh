# Helpers the bench scripts source (after setting WORK, a scratch folder).

# median: the median of the numbers on standard input, one a line.
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.4f", m}'; }

# secs CMD...: the wall seconds of a whole command; its standard output is
# dropped, its standard error shown only if it fails (and then secs fails).
secs() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }; local e=$EPOCHREALTIME; awk -v s="$s" -v e="$e" 'BEGIN{printf "%.4f", e-s}'; }
