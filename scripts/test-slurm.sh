#!/usr/bin/env bash
# A real Slurm on this host (one node, as root): installs Debian's slurm-wlm
# and munge if missing, starts munged, slurmctld and slurmd, runs blasbatch
# as a 4-task array (1 CPU each) over a few hundred small matrices, merges,
# and checks the merged records equal a single-machine run; then cancels one
# task of a second array, shows merge reports the hole, resubmits only that
# index and checks the set completes; then pastes the printed submit line.
# The scripts are written into a -dir whose name has a space, the run names
# its inputs and results by relative paths, and jobs are submitted from
# other directories: the jobs must run where blasbatch slurm was run. An
# -sbatch value with spaces, quotes and # must reach Slurm as one argument.
# Stops every service it started, and waits for them to exit.
#
#   scripts/test-slurm.sh        (make test-slurm; needs root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
W=$(mktemp -d /tmp/blasbatch-slurm.XXXXXX)
say() { echo "test-slurm: $*"; }
fail() { say "FAIL: $*"; exit 1; }
# stop PIDFILE: signal the daemon it names, and wait (up to 10 s) for it to
# exit; then SIGKILL.
stop() {
  local p
  [ -f "$1" ] || return 0
  p=$(cat "$1")
  kill "$p" 2>/dev/null || return 0
  for _ in $(seq 40); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.25; done
  kill -9 "$p" 2>/dev/null || true
}
# ourSteps: the slurmstepd processes of this test's slurmd (their environment
# names this test's slurm.conf), by pid.
ourSteps() {
  local p
  for p in $(pgrep -x slurmstepd || true); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$W/slurm.conf"; then echo "$p"; fi
  done
}
cleanup() {
  if [ -f "$W/slurmctld.pid" ] && [ -n "${SLURM_CONF:-}" ]; then
    ids=$(squeue -h -o %A 2>/dev/null || true)
    [ -n "$ids" ] && scancel $ids 2>/dev/null || true
    for _ in $(seq 40); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.25; done
  fi
  stop "$W/slurmd.pid"
  for p in $(ourSteps); do kill -9 "$p" 2>/dev/null || true; done
  stop "$W/slurmctld.pid"
  stop "$W/munged.pid"
  left=$(ourSteps)
  [ -z "$left" ] || say "warning: slurmstepd still running: $left"
}
trap cleanup EXIT

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
[ -x bin/blasbatch ] || make build >/dev/null
BB=$ROOT/bin/blasbatch

# munge: a key, and a daemon with its own socket and pid file.
mkdir -p "$W/munge"
dd if=/dev/urandom of="$W/munge/key" bs=1024 count=1 status=none
chown munge:munge "$W/munge" "$W/munge/key" 2>/dev/null || true
chmod 700 "$W/munge"; chmod 400 "$W/munge/key"
MUNGE_SOCK=$W/munge/munge.socket
munged --force --key-file="$W/munge/key" --socket="$MUNGE_SOCK" --pid-file="$W/munged.pid" --log-file="$W/munged.log" --seed-file="$W/munge/seed"

H=$(hostname -s); C=$(nproc)
mkdir -p "$W/state" "$W/spool"
cat >"$W/slurm.conf" <<CONF
ClusterName=blasbatchtest
SlurmctldHost=$H
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
NodeName=$H CPUs=$C State=UNKNOWN
PartitionName=test Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$W/slurm.conf
slurmctld -i
slurmd
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.5; done
sinfo -h -o %T | grep -q idle || fail "the node never became idle: $(sinfo 2>&1; tail -5 "$W/slurmd.log")"
say "slurm up: $(sinfo -h -o '%P %D %c %T')"

waitjobs() { for _ in $(seq 240); do [ -z "$(squeue -h)" ] && return 0; sleep 0.5; done; fail "jobs still queued: $(squeue)"; }
same() { /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
def load(p):
    return {r["input"]: r.get("singular_values") for r in map(json.loads, open(p)) if r["ok"]}
a, b = load(sys.argv[1]), load(sys.argv[2])
sys.exit(0 if a == b and len(a) > 0 else 1)
PY
}

# The workload: a few hundred small matrices, files and a stack, named by
# paths relative to $W, where blasbatch slurm runs; the scripts go into a
# directory whose name has a space.
$BB gen -size 24 -count 200 -dir "$W/in" >/dev/null
$BB gen -size 16 -count 100 -stack "$W/in/stack.npy" >/dev/null
cd "$W"
$BB run -quiet -kernel svdvals -jsonl single.jsonl in
JOB="$W/job dir"
mkdir -p "$JOB"
COMMENT="blasbatch test \"q\" #1 it's a\\b"

t0=$SECONDS
out=$($BB slurm -array 4 -cpus-per-task 1 -dir "$JOB" -sbatch "--comment=$COMMENT" -submit -- run -v -kernel svdvals -jsonl results.jsonl in)
echo "$out"
id=$(echo "$out" | sed -n 's/^array job \([0-9]*\) .*/\1/p')
[ -n "$id" ] || fail "no array job id in: $out"
info=$(scontrol show job "$id" | sed 's/[[:space:]]*$//')
echo "$info" | grep -qxF "   Comment=$COMMENT" || fail "-sbatch --comment did not reach Slurm as one argument: $(echo "$info" | grep -i comment)"
echo "$info" | grep -qxF "   WorkDir=$W" || fail "the array job does not run in $W: $(echo "$info" | grep WorkDir)"
waitjobs
out=$(cat "$W"/blasbatch-merge-*.out)
echo "$out" | grep -q "incomplete" && fail "merge: $out"
same "$W/single.jsonl" "$W/results.jsonl" || fail "merged records differ from the single run"
n=$(wc -l <"$W/results.jsonl")
for f in "$W"/blasbatch-*_*.out; do
  grep -q "on 1 cores" "$f" || fail "$f: the task did not plan for its 1-CPU allocation: $(cat "$f")"
done
say "array of 4 × 1 CPU from \"$JOB\", relative inputs: merged $n records = single run; every task planned for 1 core; --comment kept whole ($((SECONDS - t0)) s)"

# A cancelled task: merge reports it; resubmitting only that index completes
# the set. Submitted from another directory: the jobs still run in $W.
rm -f "$W"/blasbatch-*.out
sed -i "s|results.jsonl|results2.jsonl|g" "$JOB/blasbatch-array.sbatch"
cd /
id=$(sbatch --parsable --hold "$JOB/blasbatch-array.sbatch" | cut -d';' -f1)
scancel "${id}_2"
scontrol release "$id"
waitjobs
cd "$W"
if $BB merge -jsonl results2.jsonl in 2>"$W/merge2.err"; then fail "merge with task 2 cancelled said complete"; fi
grep -q "shard 2 of 4: no file" "$W/merge2.err" || fail "merge did not name the missing shard: $(cat "$W/merge2.err")"
cd /
sbatch --parsable --array=2 "$JOB/blasbatch-array.sbatch" >/dev/null
waitjobs
ls "$W"/blasbatch-*_2.out >/dev/null 2>&1 || fail "task 2's output is not in $W"
cd "$W"
$BB merge -jsonl results2.jsonl in || fail "merge after resubmitting task 2"
same "$W/single.jsonl" "$W/results2.jsonl" || fail "after the resubmission the records differ from the single run"
say "cancelled task 2: merge listed it; resubmitting only --array=2 (from /) completed the set"

# The printed submit line, pasted into a shell in another directory.
rm -f "$W"/blasbatch-*.out
out=$($BB slurm -array 2 -dir "$JOB" -- run -quiet -kernel svdvals -jsonl results3.jsonl in)
line=$(echo "$out" | tail -n 1)
(cd / && bash -c "$line" >/dev/null) || fail "the printed submit line failed: $line"
waitjobs
out=$(cat "$W"/blasbatch-merge-*.out)
echo "$out" | grep -q "incomplete" && fail "merge after the pasted line: $out"
same "$W/single.jsonl" "$W/results3.jsonl" || fail "after the pasted submit line the records differ from the single run"
say "the printed submit line, pasted in /: array and merge completed the set"
# A sharded exec: a Python function over the files, one array task a
# shard, merged; every file exactly one ok record, with the result the
# function gives when called directly.
rm -f "$W"/blasbatch-*.out
cat >"$W/fsum.py" <<'PY'
import numpy as np
def total(path):
    return float(np.load(path).sum())
PY
out=$($BB slurm -array 3 -cpus-per-task 1 -dir "$JOB" -submit -- exec -python /usr/bin/python3 -py fsum:total -jsonl exec.jsonl ::: in)
echo "$out"
waitjobs
out=$(cat "$W"/blasbatch-merge-*.out)
echo "$out" | grep -q "incomplete" && fail "exec merge: $out"
/usr/bin/python3 - "$W/exec.jsonl" "$W/in" <<'PY' || fail "the sharded exec's merged records are wrong"
import json, os, sys, numpy as np
recs = [json.loads(l) for l in open(sys.argv[1])]
files = sorted(f for f in os.listdir(sys.argv[2]) if not f.startswith("."))
got = {r["input"]: r for r in recs}
assert len(recs) == len(files) == len(got), (len(recs), len(files))
for f in files:
    r = got[os.path.join("in", f)]
    assert r["ok"] and r["kernel"] == "exec", r
    assert r["result"] == float(np.load(os.path.join(sys.argv[2], f)).sum()), r
PY
say "exec -py as an array of 3: merged $(wc -l <"$W/exec.jsonl") records, each the function's own result"
say "PASS ($((SECONDS)) s)"
