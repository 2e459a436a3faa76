#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# nfactor-queue (the program users run) as a consumer for peer-bench's
# nfqueue_throughput.sh: starts it on queue Q with a rule every packet is
# checked against (and none matches: the payload search runs over every
# packet) and the default accept, watches the queue's last packet id in
# /proc/net/netfilter/nfnetlink_queue, and once no packet came for IDLE
# seconds (after the first) reads the program's CPU time and stops it
# with SIGTERM. Prints one JSON line like nfactor_queue_bench's: packets
# it decided and the time from its first to its last batch (from its
# "decided ..." line on exit), packets per second over that time, CPU µs
# per packet of the whole process (start-up included), the kernel's drop
# counters.
#   bench/queue/app_consumer.sh NFACTOR_QUEUE_BIN Q [IDLE_S] [EXTRA_ARGS...]
set -euo pipefail
BIN=$1 Q=$2 IDLE=${3:-3}
shift $(( $# >= 3 ? 3 : $# ))
ERR=$(mktemp /tmp/nfactor-queue-app.XXXXXX)
trap 'rm -f "$ERR"' EXIT
"$BIN" --queue "$Q" --rule 'drop udp payload "nfactor-never-sent"' \
  --default accept "$@" 2>"$ERR" &
pid=$!
# Waits until no packet came for IDLE seconds (after the first; the
# queue's last packet id, every 50 ms), at most 60 s without any.
ids() { awk -v q="$Q" '$1 == q {print $8}' /proc/net/netfilter/nfnetlink_queue 2>/dev/null; }
seen=0 quiet=0 waited=0
while [ "$quiet" -lt $(( IDLE * 20 )) ] && [ "$waited" -lt 1200 ]; do
  sleep 0.05
  id=$(ids); id=${id:-0}
  if [ "$id" != "$seen" ]; then seen=$id quiet=0; elif [ "$seen" != 0 ]; then quiet=$(( quiet + 1 )); fi
  waited=$(( seen == 0 ? waited + 1 : 0 ))
done
read -r ut st < <(awk '{print $14, $15}' "/proc/$pid/stat")
read -r qd ud < <(awk -v q="$Q" '$1 == q {print $6, $7}' /proc/net/netfilter/nfnetlink_queue)
kill -TERM "$pid"; wait "$pid" || true
tck=$(getconf CLK_TCK)
decided=$(grep -o 'decided accept [0-9]* drop [0-9]* mark [0-9]*' "$ERR" | awk '{print $3 + $5 + $7}')
decided=${decided:-0}
secs=$(grep -o 'first to last batch [0-9.]* s' "$ERR" | awk '{print $5}')
awk -v n="$decided" -v s="${secs:-0}" -v cpu="$(( ut + st ))" \
    -v tck="$tck" -v qd="${qd:-0}" -v ud="${ud:-0}" 'BEGIN {
  c = cpu / tck
  pps = (s > 0) ? n / s : 0; us = (n > 0) ? c * 1e6 / n : 0
  printf "{\"consumer\":\"nfactor-queue-app\",\"packets\":%d,\"seconds\":%.3f,\"pps\":%.0f,\"cpu_us_per_packet\":%.3f,\"queue_dropped\":%d,\"user_dropped\":%d}\n", n, s, pps, us, qd, ud
}'
