#!/usr/bin/env bash
# A real Slurm on this host (one node, as root): installs Debian's slurm-wlm
# and munge if missing, starts munged, slurmctld and slurmd, runs blasbatch
# as a 4-task array (1 CPU each) over a few hundred small matrices, merges,
# and checks the merged records equal a single-machine run; then cancels one
# task of a second array, shows merge reports the hole, resubmits only that
# index and checks the set completes. Stops every service it started.
#
#   scripts/test-slurm.sh        (make test-slurm; needs root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
W=$(mktemp -d /tmp/blasbatch-slurm.XXXXXX)
say() { echo "test-slurm: $*"; }
fail() { say "FAIL: $*"; exit 1; }
started=()
cleanup() {
  for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$W/slurmctld.pid" ] && kill "$(cat "$W/slurmctld.pid")" 2>/dev/null || true
  [ -f "$W/slurmd.pid" ] && kill "$(cat "$W/slurmd.pid")" 2>/dev/null || true
  pkill -f "slurmstepd" 2>/dev/null || true
  [ -f "$W/munged.pid" ] && kill "$(cat "$W/munged.pid")" 2>/dev/null || true
  # Leave nothing running: wait for the daemons to finish shutting down.
  for _ in $(seq 40); do pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || break; sleep 0.25; done
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

# The workload: a few hundred small matrices, files and a stack.
$BB gen -size 24 -count 200 -dir "$W/in" >/dev/null
$BB gen -size 16 -count 100 -stack "$W/in/stack.npy" >/dev/null
$BB run -quiet -kernel svdvals -jsonl "$W/single.jsonl" "$W/in"

t0=$SECONDS
cd "$W"
$BB slurm -array 4 -cpus-per-task 1 -dir "$W" -submit -- run -v -kernel svdvals -jsonl "$W/results.jsonl" "$W/in"
waitjobs
out=$(cat "$W"/blasbatch-merge-*.out)
echo "$out" | grep -q "incomplete" && fail "merge: $out"
same "$W/single.jsonl" "$W/results.jsonl" || fail "merged records differ from the single run"
n=$(wc -l <"$W/results.jsonl")
for f in "$W"/blasbatch-*_*.out; do
  grep -q "on 1 cores" "$f" || fail "$f: the task did not plan for its 1-CPU allocation: $(cat "$f")"
done
say "array of 4 × 1 CPU: merged $n records = single run; every task planned for 1 core ($((SECONDS - t0)) s)"

# A cancelled task: merge reports it; resubmitting only that index completes the set.
rm -f "$W"/blasbatch-*.out
sed -i "s|results.jsonl|results2.jsonl|g" "$W/blasbatch-array.sbatch"
id=$(sbatch --parsable --hold "$W/blasbatch-array.sbatch" | cut -d';' -f1)
scancel "${id}_2"
scontrol release "$id"
waitjobs
if $BB merge -jsonl "$W/results2.jsonl" "$W/in" 2>"$W/merge2.err"; then fail "merge with task 2 cancelled said complete"; fi
grep -q "shard 2 of 4: no file" "$W/merge2.err" || fail "merge did not name the missing shard: $(cat "$W/merge2.err")"
sbatch --parsable --array=2 "$W/blasbatch-array.sbatch" >/dev/null
waitjobs
$BB merge -jsonl "$W/results2.jsonl" "$W/in" || fail "merge after resubmitting task 2"
same "$W/single.jsonl" "$W/results2.jsonl" || fail "after the resubmission the records differ from the single run"
say "cancelled task 2: merge listed it; resubmitting only --array=2 completed the set"
say "PASS ($((SECONDS)) s)"
