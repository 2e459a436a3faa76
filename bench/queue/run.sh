#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# NFQUEUE throughput, side by side in one run, each consumer through
# peer-bench's nfqueue_throughput.sh (own namespace, iptables NFQUEUE rule
# on UDP to port 9999, nflog_gen flat out to 127.0.0.1, N packets):
#   limit, limit-batch  the libnetfilter_queue loop, per-packet and batch
#                       verdicts (the limit)
#   actor, actor-1      the queue listener actor with an accept-all owner,
#                       batch verdicts on and off
#   remote, remote-tls  the same owner in a second actor system, across
#                       BASP over loopback (plain TCP, mutual TLS)
#   app, app-json       nfactor-queue with a one-rule policy (app_consumer.sh),
#                       without and with --json FILE
# for every payload size of -s; at the first size, (-6 on, the default)
# limit-batch and actor again with IPv6 to ::1, and actor, remote and
# remote-tls again under a steady PACE packets/s (-p, default 5000; 10000
# packets) instead of a flood, for their verdict latency without the
# queueing of a flood. nflog_gen sends to ::1 with -d and paces with -r,
# which the harness does not pass, so copies of the harness run next to
# a two-line nflog_gen that adds them; for IPv6 each consumer adds the
# ip6tables rule in its namespace first (ip6_rule.sh).
# Each run of the whole list is one round; -r rounds (the rounds
# alternate the consumers, so each sees the same machine load). Prints a
# JSON line per consumer and round, the load before and after, a table of
# medians and the targets: the actor with batch verdicts at >= 80% of the
# faster C loop's packets/s, and 0 packets left queued everywhere.
# Needs root, iptables/ip6tables, jq, and libmnl-dev + libnetfilter-queue-dev
# for the peer tools (built from a copy in a scratch directory).
#   bench/queue/run.sh BUILD_DIR [-n PACKETS] [-s "64 1400"] [-r ROUNDS]
#                      [-p PACE] [-6|-4]
set -euo pipefail
B=$(cd "$1" && pwd); shift
N=100000 SIZES="64 1400" ROUNDS=3 IPV6=1 PACE=5000
while getopts "n:s:r:p:64" o; do
  case $o in
  n) N=$OPTARG ;; s) SIZES=$OPTARG ;; r) ROUNDS=$OPTARG ;; p) PACE=$OPTARG ;;
  6) IPV6=1 ;; 4) IPV6=0 ;; *) sed -n '2,30p' "$0"; exit 2 ;;
  esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SRC=${PEER_BENCH:-/work/shared/peer-bench}
P=$(mktemp -d /tmp/nfactor-queue-bench.XXXXXX)
trap 'rm -rf "$P"' EXIT
cp "$SRC"/*.c "$SRC"/*.sh "$SRC"/Makefile "$P"/
make -s -C "$P" nflog_gen nfqueue_limit
# Copies of the harness (the same script and limit) whose generator gets
# more arguments: DIR ARGS...
harness() {
  mkdir "$P/$1"
  cp "$P/nfqueue_throughput.sh" "$P/$1/"
  ln -s "$P/nfqueue_limit" "$P/$1/nfqueue_limit"
  printf '#!/bin/sh\nexec %s/nflog_gen "$@" %s\n' "$P" "${*:2}" >"$P/$1/nflog_gen"
  chmod +x "$P/$1/nflog_gen"
}
harness v6 -d ::1
harness paced -r "$PACE" -n 10000 -b 1
"$ROOT/scripts/node-test-certs" "$P/certs" >/dev/null 2>&1

BIN=$B/bench/queue/nfactor_queue_bench
APP="$HERE/app_consumer.sh $B/apps/nfactor-queue/nfactor-queue {Q} 3"
declare -A CMD=(
  [limit]="$P/nfqueue_limit -q {Q} -t 3"
  [limit-batch]="$P/nfqueue_limit -q {Q} -t 3 -B 64"
  [actor]="$BIN -q {Q} -t 3"
  [actor-1]="$BIN -q {Q} -t 3 -n"
  [remote]="$BIN -q {Q} -t 3 -r"
  [remote-tls]="$BIN -q {Q} -t 3 -r -T $P/certs"
  [app]="$APP"
  [app-json]="$APP --json $P/decisions.json"
)
for name in actor remote remote-tls; do CMD[$name-paced]=${CMD[$name]}; done
NAMES="limit limit-batch actor actor-1 remote remote-tls app app-json"
NAMES6="limit-batch actor"
NAMES_PACED="actor-paced remote-paced remote-tls-paced"

results=$P/results
# one NAME SIZE FAMILY HARNESS: a run; its JSON lines merged into one.
one() {
  local cmd=${CMD[$1]}
  [ "$3" = ip6 ] && cmd="$HERE/ip6_rule.sh {Q} $cmd"
  { "$4" -n "$N" -s "$2" "$cmd" 2>/dev/null || true; } | { grep '^{' || true; } |
    jq -sc --arg name "$1" --argjson size "$2" --arg family "$3" '
      (map(select(.tool == "nflog_gen")) | .[0] // {}) as $gen
      | {name: $name, size: $size, family: $family,
         sent: ($gen.sent // 0), gen_pps: ($gen.pps // 0)}
        + (map(select(.tool != "nflog_gen")) | add)' | tee -a "$results"
  rm -f "$P/decisions.json"
}
echo "load before: $(uptime)"
for round in $(seq "$ROUNDS"); do
  for size in $SIZES; do
    for name in $NAMES; do
      one "$name" "$size" ip "$P/nfqueue_throughput.sh"
    done
  done
  if [ "$IPV6" = 1 ]; then
    for name in $NAMES6; do
      one "$name" "${SIZES%% *}" ip6 "$P/v6/nfqueue_throughput.sh"
    done
  fi
  for name in $NAMES_PACED; do
    one "$name" "${SIZES%% *}" ip "$P/paced/nfqueue_throughput.sh"
  done
done
echo "load after: $(uptime)"
echo
jq -rs '
  def med(f): map(f) | sort | .[length / 2 | floor];
  def r1: . * 10 | round / 10;
  group_by([.size, .family, .name])
  | sort_by(.[0].size, .[0].family,
            (.[0].name as $n | ["limit", "limit-batch", "actor", "actor-1",
              "remote", "remote-tls", "app", "app-json", "actor-paced",
              "remote-paced", "remote-tls-paced"] | index($n)))
  | (["bytes", "family", "consumer", "pps", "CPU us/pkt", "verdict p50 us",
      "p99 us", "dropped (queue full)", "left queued"] | @tsv),
    (.[] | [.[0].size, .[0].family, .[0].name, (med(.pps) | round),
            (med(.cpu_us_per_packet) * 100 | round / 100),
            (if .[0].latency_p50_us then med(.latency_p50_us) else "-" end),
            (if .[0].latency_p99_us then med(.latency_p99_us) else "-" end),
            (if .[0].queue_dropped != null then med(.queue_dropped)
             else "-" end),
            (map(.left_queued) | max)] | @tsv)' "$results" |
  column -t -s $'\t'
echo
jq -rs '
  def med(f): map(f) | sort | .[length / 2 | floor];
  def pps(s; f; n): map(select(.size == s and .family == f and .name == n))
                    | med(.pps);
  (map(.left_queued) | max) as $left
  | (map([.size, .family]) | unique[]) as [$s, $f]
  | ([pps($s; $f; "limit"), pps($s; $f; "limit-batch")] | map(. // 0) | max)
      as $c
  | pps($s; $f; "actor") as $a
  | select($a != null)
  | "target: actor (batch verdicts) >= 80% of the C loop, \($s) B \($f): \($a | round) vs \($c | round) pps (\(if $c > 0 then ($a / $c * 100 | round) else 0 end)%): \(if $a >= 0.8 * $c then "met" else "missed" end)"' \
  "$results"
jq -rs '(map(.left_queued) | max) as $l
  | "target: 0 packets left queued after every run: \(if $l == 0 then "met" else "missed (\($l))" end)"' \
  "$results"
