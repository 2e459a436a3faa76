#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Monitor and snapshot benchmark, side by side with nft in the same run.
# Usage (root): bench/monitor/run.sh BUILD_DIR PEER_BENCH_DIR [K...]
# Environment: RUNS (default 3) repetitions, medians reported;
#   MAX_PART (default 1024, the monitor's default) the monitor's part size (0: whole commits);
#   PEERS=0 skips the nft -j monitor runs (monitor_bench.sh).
# For each K (default 50000 200000) and run, in a fresh `unshare -n`
# namespace:
#   1. nfactor: monitor actor, one `nft -f` commit of K rules
#      (PEER_BENCH_DIR/gen_ruleset.sh K), lag from nft's exit to the last
#      rule event delivered to the owner, loss, auto-resync;
#   2. the snapshot of those K rules: nft::pull() vs `nft -j list ruleset`
#      (same namespace, one after the other);
#   3. for K >= 200000, the resync: the same commit with a receive buffer
#      too small for it (RESYNC_RCVBUF, default 16 MiB), so the monitor
#      loses events and its auto-resync snapshot brings all K rules; the
#      lag is then the time to the resync snapshot;
# then PEER_BENCH_DIR/monitor_bench.sh -m json (nft -j monitor) RUNS times.
# Prints the JSON lines, a median table and one "target: ... met/missed"
# line per issue target (50k lag <= 0.2 s with no loss; 200k+ no loss
# with the default receive buffer, and the forced resync's time; 50k dump
# <= 1/5 of nft's time).
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
PEER=$(cd "${2:?peer-bench dir}" && pwd)
shift 2
KS=${*:-50000 200000}
RUNS=${RUNS:-3}
MAX_PART=${MAX_PART:-1024}
RESYNC_RCVBUF=${RESYNC_RCVBUF:-16777216}
BIN=$BUILD/bench/monitor/nfactor_monitor_bench
TMP=$(mktemp -d /tmp/nfmonbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg), max_part $MAX_PART, runs $RUNS"
for k in $KS; do
  "$PEER/gen_ruleset.sh" "$k" >"$TMP/rules-$k.nft"
  for r in $(seq "$RUNS"); do
    unshare -n bash -c "ip link set lo up; '$BIN' commit '$TMP/rules-$k.nft' $k 0 $MAX_PART && '$BIN' dump $k" |
      tee -a "$TMP/nfactor-$k.jsonl"
    if [ "$k" -ge 200000 ]; then
      unshare -n bash -c "ip link set lo up; '$BIN' commit '$TMP/rules-$k.nft' $k $RESYNC_RCVBUF $MAX_PART" |
        tee -a "$TMP/resync-$k.jsonl"
    fi
  done
done
if [ "${PEERS:-1}" != 0 ]; then
  "$PEER/monitor_bench.sh" -k "$KS" -r "$RUNS" -m json | tee "$TMP/peer.jsonl"
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for k in $KS; do
  f=$TMP/nfactor-$k.jsonl
  python3 - "$k" "$f" "$TMP/peer.jsonl" "$TMP/resync-$k.jsonl" <<'PY'
import json, statistics, sys
k = int(sys.argv[1])
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
mon = [r for r in rows if r.get("tool") == "nfactor monitor"]
dump = [r for r in rows if "nfactor_pull_s" in r]
try:
    peer = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
    peer = [r for r in peer if r.get("k") == k]
except OSError:
    peer = []
med = lambda xs: statistics.median(xs) if xs else float("nan")
lag = med([r["lag_after_commit_s"] for r in mon])
lost = max([r["lost"] for r in mon] or [0])
print(f"K={k} nfactor monitor: commit {med([r['commit_s'] for r in mon]):.2f} s, "
      f"lag after commit {lag:.3f} s (runs: {', '.join('%.3f' % r['lag_after_commit_s'] for r in mon)}), "
      f"max lost {lost}, parts {med([r['parts'] for r in mon])}, cpu {med([r['monitor_cpu_s'] for r in mon]):.2f} s")
if peer:
    print(f"K={k} nft -j monitor: lag after commit {med([r.get('lag_after_commit_s') or float('nan') for r in peer]):.3f} s, "
          f"rule events {', '.join(str(r.get('rule_events')) for r in peer)}, lost-event lines {max(r.get('lost_event_msgs', 0) for r in peer)}")
ratios = [r["nfactor_pull_s"] / r["nft_j_list_s"] for r in dump if r["nft_j_list_s"] > 0]
cpu_ratios = [r["nfactor_pull_cpu_s"] / r["nft_j_list_cpu_s"] for r in dump if r["nft_j_list_cpu_s"] > 0]
print(f"K={k} dump: nft::pull {med([r['nfactor_pull_s'] for r in dump]):.3f} s "
      f"(cpu {med([r['nfactor_pull_cpu_s'] for r in dump]):.3f}), nft -j list ruleset "
      f"{med([r['nft_j_list_s'] for r in dump]):.3f} s (cpu {med([r['nft_j_list_cpu_s'] for r in dump]):.3f}), "
      f"ratio {med(ratios):.3f} (runs: {', '.join('%.3f' % x for x in ratios)}), cpu ratio {med(cpu_ratios):.3f}")
if k == 50000:
    ok = lag <= 0.2 and lost == 0
    print(f"target: 50k commit, all events delivered <= 0.2 s after the commit returns: "
          f"median {lag:.3f} s, lost {lost}: {'met' if ok else 'missed'}")
    r = med(ratios)
    print(f"target: 50k dump <= 1/5 of nft -j list ruleset: median ratio {r:.3f}: {'met' if r <= 0.2 else 'missed'}")
elif k >= 200000:
    ok = bool(mon) and all(r["lost"] == 0 for r in mon)
    print(f"target: {k // 1000}k commit, 0 lost in every run (default rcvbuf "
          f"{mon[0]['rcvbuf'] if mon else 0} granted): lost per run "
          f"{', '.join(str(r['lost']) for r in mon)}, lag {lag:.3f} s: {'met' if ok else 'missed'}")
    try:
        rs = [json.loads(l) for l in open(sys.argv[4]) if l.strip()]
    except OSError:
        rs = []
    if rs:
        conv = all(r["lost"] == 0 or (r["resync"] and r["resync_rules"] == k) for r in rs)
        print(f"target: {k // 1000}k forced loss (rcvbuf {rs[0]['rcvbuf']} granted): resync snapshot "
              f"{'has all rules' if conv else 'INCOMPLETE'}, time to it after the commit "
              f"{med([r['resync_done_after_commit_s'] for r in rs]):.3f} s (runs: "
              f"{', '.join('%.3f' % r['resync_done_after_commit_s'] for r in rs)}), lost "
              f"{', '.join(str(r['lost']) for r in rs)}: {'met' if conv else 'missed'}")
PY
done
