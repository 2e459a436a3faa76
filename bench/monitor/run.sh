#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Monitor and snapshot benchmark, side by side with nft in the same run.
# Usage (root): bench/monitor/run.sh BUILD_DIR PEER_BENCH_DIR [K...]
# For each K (default 50000 200000), in a fresh `unshare -n` namespace:
#   1. nfactor: monitor actor, one `nft -f` commit of K rules
#      (PEER_BENCH_DIR/gen_ruleset.sh K), lag from nft's exit to the last
#      rule event delivered to the owner, loss;
#   2. the snapshot of those K rules: nft::pull() vs `nft -j list ruleset`;
#   3. PEER_BENCH_DIR/monitor_bench.sh -m json (nft -j monitor) and -c with
#      `nfactor_monitor_bench print` (both measured by the same script).
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
PEER=$(cd "${2:?peer-bench dir}" && pwd)
shift 2
KS=${*:-50000 200000}
BIN=$BUILD/bench/monitor/nfactor_monitor_bench
TMP=$(mktemp -d /tmp/nfmonbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
for k in $KS; do
  "$PEER/gen_ruleset.sh" "$k" >"$TMP/rules-$k.nft"
  unshare -n bash -c "ip link set lo up; '$BIN' commit '$TMP/rules-$k.nft' $k && '$BIN' dump $k"
done
"$PEER/monitor_bench.sh" -k "$KS" -r 1 -m json
"$PEER/monitor_bench.sh" -k "$KS" -r 1 -c "$BIN print" -p "add rule "
