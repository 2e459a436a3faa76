#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# NFQUEUE throughput, side by side in one run: peer-bench's
# libnetfilter_queue loop (per-packet and batch verdicts: the limit) and
# the queue listener actor with an accept-all owner (batch verdicts on and
# off), and the nfactor-queue program with a one-rule policy
# (app_consumer.sh), each through nfqueue_throughput.sh (own namespace, iptables
# NFQUEUE rule, nflog_gen flat out to 127.0.0.1). Prints their JSON lines.
# The peer tools are built from a copy in a scratch directory (needs
# libmnl-dev and libnetfilter-queue-dev).
#   bench/queue/run.sh BUILD_DIR [-n PACKETS] [-s BYTES]
set -euo pipefail
B=$(cd "$1" && pwd); shift
SRC=${PEER_BENCH:-/work/shared/peer-bench}
P=$(mktemp -d /tmp/nfactor-queue-bench.XXXXXX)
trap 'rm -rf "$P"' EXIT
cp "$SRC"/*.c "$SRC"/*.sh "$SRC"/Makefile "$P"/
make -s -C "$P" nflog_gen nfqueue_limit
BIN=$B/bench/queue/nfactor_queue_bench
APP="$(cd "$(dirname "$0")" && pwd)/app_consumer.sh $B/apps/nfactor-queue/nfactor-queue {Q} 3"
for consumer in limit limit-batch "$BIN -q {Q} -t 3" "$BIN -q {Q} -t 3 -n" \
                "$APP"; do
  echo "== $consumer"
  "$P/nfqueue_throughput.sh" "$@" "$consumer"
done
