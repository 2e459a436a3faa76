#!/usr/bin/env bash
# bench/conntrack/run.sh: conntrack events, every listener in one run on the
# same burst: `conntrack -E -o xml` (the peer tool), a raw libmnl loop that
# only counts (the limit), the monitor actor with a counting owner, and the
# nfactor-conntrack app (--json >/dev/null).
#
# Each listener in turn, in a scratch namespace (`ct state new counter`,
# nf_conntrack_acct=1, nf_conntrack_udp_timeout=1): start it, send N short
# UDP flows to 127.0.0.1 (distinct source ports, nfactor_ct_flow_gen, flat
# out or -r paced), flush the table (`conntrack -F`: N DESTROY events at
# once), wait until the listener's CPU time stands still, stop it. Every
# run should see N NEW + N DESTROY events; loss is what is missing. CPU is
# the listener process's (all threads, /proc/PID/task/*/schedstat) from
# just before the flows until it went idle, per event received.
#
# Usage: bench/conntrack/run.sh [-n FLOWS] [-r FLOWS_PER_S] [-R RUNS] [-b BUILD_DIR]
#   -n flows per run (default 100000: 200000 events)
#   -r pace the generator (flows/s; default 0, flat out)
#   -R runs per listener (default 3, median; the listeners alternate)
#   -b the nfactor build directory (default build)
# Needs root and conntrack(8). Prints one JSON line per run and a table.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=100000 RATE=0 RUNS=3 BUILD=$ROOT/build
while getopts "n:r:R:b:" o; do
  case $o in
  n) N=$OPTARG ;; r) RATE=$OPTARG ;; R) RUNS=$OPTARG ;; b) BUILD=$OPTARG ;;
  *) sed -n '2,22p' "$0"; exit 2 ;;
  esac
done
GEN=$BUILD/bench/conntrack/nfactor_ct_flow_gen
RAW=$BUILD/bench/conntrack/nfactor_ct_raw_loop
ACT=$BUILD/bench/conntrack/nfactor_ct_bench
APP=$BUILD/apps/nfactor-conntrack/nfactor-conntrack
for b in "$GEN" "$RAW" "$ACT" "$APP"; do
  [ -x "$b" ] || { echo "run.sh: build $b first" >&2; exit 1; }
done
command -v conntrack >/dev/null || { echo "run.sh: needs conntrack(8)" >&2; exit 1; }

NS=nfactor-ctbench-$$
SCRATCH=$(mktemp -d /tmp/nfactor-ct-bench.XXXXXX)
SINK=""
cleanup() {
  [ -n "$SINK" ] && kill "$SINK" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
ip netns add "$NS"
# (Background processes are started with `ip netns exec` itself, which
# execs the program: $! is its pid, for CPU times and signals.)
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up
nsx nft -f - <<'NFT'
table inet ctbench {
  chain out {
    type filter hook output priority 0;
    ct state new counter
  }
}
NFT
nsx sysctl -qw net.netfilter.nf_conntrack_acct=1 \
  net.netfilter.nf_conntrack_udp_timeout=1 \
  net.netfilter.nf_conntrack_udp_timeout_stream=1
# A sink on the destination port, so no datagram is answered with an ICMP
# error (a full sink drops silently).
ip netns exec "$NS" python3 -c 'import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",9999))
time.sleep(1e9)' &
SINK=$!

# Nanoseconds on CPU of every thread of PID so far.
cpu_ns() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s+=$1} END {printf "%d", s}'
}
# Waits until PID has used less than 2 ms of CPU in the last 0.5 s (at
# most 120 s): done with the burst. (Not "no CPU at all": CAF's idle
# scheduler threads wake every 10 ms.)
await_idle() {
  local pid=$1 i now
  local -a seen=()
  for i in $(seq 0 1199); do
    now=$(cpu_ns "$pid")
    seen[i]=$now
    if [ "$i" -ge 5 ] && [ $((now - seen[i - 5])) -lt 2000000 ]; then
      return 0
    fi
    sleep 0.1
  done
}
now_ns() { date +%s%N; }

# run NAME: one run of one listener; prints a JSON line.
run() {
  local name=$1 out=$SCRATCH/$1.out err=$SCRATCH/$1.err pid ready=""
  nsx conntrack -F >/dev/null 2>&1 || true
  case $name in
  conntrack-E)
    ip netns exec "$NS" conntrack -E -o xml -e NEW,DESTROY >"$out" 2>"$err" & pid=$! ;;
  raw-libmnl)
    ip netns exec "$NS" "$RAW" >"$out" 2>"$err" & pid=$!; ready="listening" ;;
  actor)
    ip netns exec "$NS" "$ACT" >"$out" 2>"$err" & pid=$!; ready="listening" ;;
  app-json)
    ip netns exec "$NS" "$APP" --json -p udp --metrics 127.0.0.1:0 >/dev/null 2>"$err" & pid=$!
    ready="metrics on" ;;
  esac
  for _ in $(seq 1 100); do
    if [ -z "$ready" ]; then sleep 0.5; break; fi
    grep -q "$ready" "$err" 2>/dev/null && break
    sleep 0.05
  done
  [ "$name" = app-json ] && for _ in $(seq 1 100); do
    grep -q listening "$err" && break; sleep 0.05; done
  local c0 t0 gen c1 t1
  c0=$(cpu_ns "$pid"); t0=$(now_ns)
  gen=$(nsx "$GEN" -n "$N" -r "$RATE")
  nsx conntrack -F >/dev/null 2>&1
  await_idle "$pid"
  c1=$(cpu_ns "$pid"); t1=$(( $(now_ns) - 500000000 ))
  local new=0 destroy=0 dropped=null
  case $name in
  conntrack-E)
    kill -INT "$pid"; wait "$pid" || true
    new=$(grep -c 'type="new"' "$out" || true)
    destroy=$(grep -c 'type="destroy"' "$out" || true) ;;
  raw-libmnl|actor)
    kill -TERM "$pid"; wait "$pid" || true
    new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["new"])' "$out")
    destroy=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["destroy"])' "$out")
    dropped=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dropped"])' "$out") ;;
  app-json)
    local where page
    where=$(sed -n 's|.*metrics on http://\([^/]*\)/metrics.*|\1|p' "$err")
    page=$(nsx curl -s "http://$where/metrics")
    new=$(awk '/^nfactor_ct_events_total\{type="new"\}/ {print $2}' <<<"$page")
    destroy=$(awk '/^nfactor_ct_events_total\{type="destroy"\}/ {print $2}' <<<"$page")
    dropped=$(awk '/^nfactor_ct_dropped_events_total/ {print $2}' <<<"$page")
    kill -TERM "$pid"; wait "$pid" || true ;;
  esac
  python3 - "$name" "$N" "$new" "$destroy" "$dropped" "$c0" "$c1" "$t0" "$t1" "$gen" <<'PY'
import json, sys
name, n, new, destroy, dropped, c0, c1, t0, t1, gen = sys.argv[1:]
n, new, destroy = int(n), int(float(new)), int(float(destroy))
got = new + destroy
cpu_us = (int(c1) - int(c0)) / 1e3
wall = (int(t1) - int(t0)) / 1e9
print(json.dumps({"listener": name, "flows": n, "expected": 2 * n,
                  "new": new, "destroy": destroy, "received": got,
                  "loss_pct": round(100.0 * (2 * n - got) / (2 * n), 3),
                  "dropped": None if dropped == "null" else int(float(dropped)),
                  "events_per_s": round(got / wall) if wall > 0 else 0,
                  "cpu_us_per_event": round(cpu_us / got, 3) if got else None,
                  "gen_flows_per_s": json.loads(gen)["rate"]}))
PY
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
NAMES="conntrack-E raw-libmnl actor app-json"
RESULTS=$SCRATCH/results.jsonl
for r in $(seq 1 "$RUNS"); do
  for name in $NAMES; do
    run "$name" | tee -a "$RESULTS"
  done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "command: bench/conntrack/run.sh -n $N -r $RATE -R $RUNS"
echo "flows $N per run ($((2 * N)) events), generator rate ${RATE/#0/flat out}, $RUNS runs, median; load average $LOAD0 -> $LOAD1"
python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
names = []
for r in rows:
    if r["listener"] not in names:
        names.append(r["listener"])
def med(name, key):
    vals = [r[key] for r in rows if r["listener"] == name and r[key] is not None]
    return statistics.median(vals) if vals else None
def worst(name, key):
    return max(r[key] for r in rows if r["listener"] == name)
raw = med("raw-libmnl", "cpu_us_per_event")
print(f'{"listener":<12} {"gen flows/s":>11} {"received":>9} {"loss %":>7} '
      f'{"worst %":>7} {"dropped":>8} {"events/s":>9} {"CPU us/ev":>9} {"x raw":>6}')
for n in names:
    cpu = med(n, "cpu_us_per_event")
    d = med(n, "dropped")
    print(f'{n:<12} {med(n, "gen_flows_per_s"):>11.0f} {med(n, "received"):>9.0f} '
          f'{med(n, "loss_pct"):>7.2f} {worst(n, "loss_pct"):>7.2f} '
          f'{"-" if d is None else f"{d:.0f}":>8} '
          f'{med(n, "events_per_s"):>9.0f} {cpu:>9.3f} {cpu / raw if raw else 0:>6.2f}')
print("(medians over the runs; worst %: the run that lost most; dropped: the "
      "kernel's drop counter of the listener's socket, - where unknown)")
PY
