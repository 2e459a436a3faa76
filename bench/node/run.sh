#!/usr/bin/env bash
# NFLOG throughput across nodes next to the local figure and the raw
# limit: each configuration runs RUNS times through the peer-bench harness
# (private namespace, `log group 5` on every UDP packet, N packets of 64 B
# flat out from the generator); prints one JSON line per run and a median
# table, the load, and whether the target is met: across nodes (node-tls,
# node and collector in one process) at least 1/3 of the local events per
# CPU-second. CPU is the bench process's own getrusage (every thread of
# listener, node, TLS/BASP on both sides and the collecting session; both
# modes end with decoded events). Needs root and `make -C /work/shared/peer-bench` built into
# $PEER (default: a scratch copy in /tmp).
#   bench/node/run.sh [BUILD_DIR] [N] [RUNS]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
N=${2:-200000}
RUNS=${3:-3}
PEER=${PEER:-/tmp/nfactor-peer-bench}
if [ ! -x "$PEER/nflog_gen" ]; then
  mkdir -p "$PEER" && cp -r /work/shared/peer-bench/. "$PEER/"
  make -s -C "$PEER" nflog_gen nflog_limit >/dev/null
fi
CERTS=$(mktemp -d /tmp/nfactor-bench-certs.XXXXXX)
trap 'rm -rf "$CERTS"' EXIT
"$ROOT/scripts/node-test-certs" "$CERTS"
BIN="$BUILD/bench/node/nfactor-bench-node"
declare -A CMDS=(
  [limit]="limit-big"
  [local]="$BIN --mode=local --group={G}"
  [node-tls]="$BIN --mode=node --group={G} --certs=$CERTS"
  [node-tls-1]="$BIN --mode=node --group={G} --certs=$CERTS --in-flight=1"
)
results=$(mktemp)
echo "load before: $(uptime)"
for name in limit local node-tls node-tls-1; do
  for _ in $(seq "$RUNS"); do
    line=$("$PEER/nflog_throughput.sh" -n "$N" "${CMDS[$name]}" 2>/dev/null)
    echo "$line" | jq -c --arg name "$name" '{name: $name} + .'
    echo "$line" | jq -c --arg name "$name" '{name: $name} + .' >>"$results"
  done
done
echo "load after: $(uptime)"
echo "CPU per event: all threads of the one bench process (listener, node,"
echo "BASP+TLS both ways, session decoding the events), start-up included."
echo
jq -rs 'group_by(.name) | map({name: .[0].name,
  events: (map(.events) | sort | .[length/2|floor]),
  sent: (map(.sent) | sort | .[length/2|floor]),
  loss_pct: (map(100 * (1 - .events / .sent)) | sort | .[length/2|floor]),
  pps: (map(.gen_pps) | sort | .[length/2|floor]),
  cpu_us: (map(.cpu_us_per_event // 0) | sort | .[length/2|floor])})
  | (["config", "sent", "received", "loss %", "offered pps",
      "CPU us/event", "events per CPU-s"] | @tsv),
    (.[] | [.name, .sent, .events, (.loss_pct * 100 | round / 100),
            (.pps | round), (.cpu_us * 100 | round / 100),
            (if .cpu_us > 0 then (1e6 / .cpu_us | round) else 0 end)]
         | @tsv)' \
  "$results" | column -t -s $'\t'
jq -rs 'def med(f): map(f) | sort | .[length/2|floor];
  def rate(n): map(select(.name == n)) | med(if .cpu_us_per_event > 0
    then 1e6 / .cpu_us_per_event else 0 end);
  (rate("local")) as $local | (rate("node-tls")) as $node |
  "target: across nodes >= 1/3 of local events per CPU-second: node-tls \($node | round) vs local \($local | round) (\(if $local > 0 then ($node / $local * 100 | round) else 0 end)% of local) -- \(if $node * 3 >= $local then "met" else "missed" end)"' \
  "$results"
rm -f "$results"
