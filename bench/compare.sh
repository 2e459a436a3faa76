#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/compare.sh: two builds of nfactor side by side in one run, bench by
# bench, each through its own tree's bench/X/run.sh (so an older tree runs
# with the interface of its own time).
#
# Usage (root): bench/compare.sh [-r RUNS] [-s OLD_SRC] [-S NEW_SRC]
#                               OLD_BUILD NEW_BUILD [BENCH...]
#   BENCH: nflog monitor transactor node (default: all four, in this order)
#   -r runs per build and bench (default 3). The runs alternate, old, new,
#      old, new, ..., each run.sh doing one repetition, so both builds see
#      the same machine load.
#   -s / -S the source trees whose run.sh to use (default: the build's
#      CMAKE_HOME_DIRECTORY, from its CMakeCache.txt)
#   -p peer-bench sources (default /work/shared/peer-bench)
# Sizes (moderate: four benches x 2 builds x 3 runs took 7-9 min on
# 2 cores at load 2-11), overridable by environment:
#   NFLOG_N=1000000   packets per nflog run (run.sh -n, -r 1)
#   MONITOR_K=50000   rules per monitor commit (run.sh K, RUNS=1, PEERS=0)
#   TX_K="1000 10000" transactor ruleset sizes (run.sh -k, -r 1)
#   NODE_N=200000     packets per node configuration (run.sh's default)
# Prints each run's figures as JSON lines (into $OUT, default a file in
# /tmp), then per bench a table: the median of each build, new/old, and
# each build's spread (max-min over median), which is the noise to judge
# the ratio by; the load average before and after every run.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=3 OLD_SRC="" NEW_SRC="" PEER=/work/shared/peer-bench
while getopts "r:s:S:p:" o; do
  case $o in
  r) RUNS=$OPTARG ;; s) OLD_SRC=$OPTARG ;; S) NEW_SRC=$OPTARG ;;
  p) PEER=$OPTARG ;;
  *) sed -n '3,27p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n '3,27p' "$0"; exit 2; }
OLD=$(cd "$1" && pwd) NEW=$(cd "$2" && pwd)
shift 2
BENCHES=${*:-nflog monitor transactor node}
NFLOG_N=${NFLOG_N:-1000000}
MONITOR_K=${MONITOR_K:-50000}
TX_K=${TX_K:-1000 10000}
NODE_N=${NODE_N:-200000}

src_of() { # BUILD: the source tree it was configured from
  sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$1/CMakeCache.txt"
}
[ -n "$OLD_SRC" ] || OLD_SRC=$(src_of "$OLD")
[ -n "$NEW_SRC" ] || NEW_SRC=$(src_of "$NEW")
[ -n "$NEW_SRC" ] || NEW_SRC=$(cd "$HERE/.." && pwd)
declare -A SRC=([old]=$OLD_SRC [new]=$NEW_SRC) BUILD=([old]=$OLD [new]=$NEW)

SCRATCH=$(mktemp -d /tmp/nfactor-compare.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
OUT=${OUT:-$(mktemp /tmp/nfactor-compare.XXXXXX.jsonl)}
: >"$OUT"
# One built copy of the peer tools for node/run.sh (nflog/run.sh builds
# its own from -p).
cp -r "$PEER"/. "$SCRATCH/pb"
make -s -C "$SCRATCH/pb" nflog_gen nflog_limit >/dev/null

for tree in old new; do
  echo "# $tree: build ${BUILD[$tree]}, run.sh from ${SRC[$tree]}" \
    "($(git -C "${SRC[$tree]}" rev-parse --short HEAD 2>/dev/null || echo '?'))"
done
echo "# $(date -u +%FT%TZ) runs $RUNS; nflog -n $NFLOG_N, monitor K=$MONITOR_K," \
  "transactor K=\"$TX_K\", node N=$NODE_N; load $(cut -d' ' -f1-3 /proc/loadavg)"

# One repetition of BENCH with TREE's run.sh; its stdout to FILE.
run_one() { # BENCH TREE FILE
  local s=${SRC[$2]} b=${BUILD[$2]}
  case $1 in
  nflog) "$s/bench/nflog/run.sh" -n "$NFLOG_N" -r 1 -p "$PEER" -b "$b" ;;
  monitor) RUNS=1 PEERS=0 "$s/bench/monitor/run.sh" "$b" "$PEER" "$MONITOR_K" ;;
  transactor)
    BIN=$b/bench/transactor/nfactor_bench_transactor PEER=$PEER \
      "$s/bench/transactor/run.sh" -k "$TX_K" -r 1 ;;
  node) PEER=$SCRATCH/pb "$s/bench/node/run.sh" "$b" "$NODE_N" 1 ;;
  *) echo "compare.sh: unknown bench $1" >&2; return 2 ;;
  esac >"$3" 2>"$3.err"
}

# The figures of one run.sh output, as {metric: value} (lower is better
# unless the metric's name says /s).
figures() { # BENCH FILE
  case $1 in
  nflog) jq -c -s '
    (map(select(.name == "limit"))[0]) as $l |
    (map(select(.name == "nfactor-detached-owner"))[0]) as $n |
    {"listener thread CPU us/event": ($n.listener_thread_cpu_s * 1e6 / $n.events),
     "whole process CPU us/event": $n.cpu_us_per_event,
     "events/s to the owner": $n.eps,
     "loss %": $n.loss_pct,
     "raw loop CPU us/event (peer)": $l.cpu_us_per_event}' ;;
  monitor) jq -c -s '
    (map(select(.tool == "nfactor monitor"))[0]) as $m |
    (map(select(has("nfactor_pull_s")))[0]) as $d |
    {"lag after commit s": $m.lag_after_commit_s,
     "all events s": $m.all_events_s,
     "monitor CPU s": $m.monitor_cpu_s,
     "lost": $m.lost,
     "nft -f commit s (peer)": $m.commit_s,
     "nft::pull s": $d.nfactor_pull_s,
     "nft::pull CPU s": $d.nfactor_pull_cpu_s}' ;;
  transactor) jq -c -s '
    map(select(.tool != "nft -f") |
      {("\(.tool) K=\(.k) wall s"): .wall_s,
       ("\(.tool) K=\(.k) CPU s"): (.user_s + .sys_s),
       ("\(.tool) K=\(.k) max RSS MiB"): (.maxrss_kb / 1024)}) +
    map(select(.tool == "nft -f") |
      {("nft -f K=\(.k) wall s (peer)"): .wall_s}) | add' ;;
  node) jq -c -s '
    map({("\(.name) CPU us/event" +
          (if .name == "limit" then " (peer)" else "" end)): .cpu_us_per_event}) +
    map(select(.name != "limit") |
      {("\(.name) loss %"): (100 * (1 - .events / .sent))}) | add' ;;
  esac < <(grep '^{' "$2")
}

for bench in $BENCHES; do
  for run in $(seq "$RUNS"); do
    for tree in old new; do
      f=$SCRATCH/$bench-$tree-$run
      l0=$(cut -d' ' -f1 /proc/loadavg) t0=$(date +%s)
      if ! run_one "$bench" "$tree" "$f"; then
        echo "compare.sh: $bench ($tree, run $run) failed:" >&2
        tail -5 "$f.err" >&2
        continue
      fi
      l1=$(cut -d' ' -f1 /proc/loadavg) t1=$(date +%s)
      # transactor/run.sh leaves its raw lines in /tmp and names the file
      sed -n 's/^raw: //p' "$f" | xargs -r rm -f
      figures "$bench" "$f" |
        jq -c --arg b "$bench" --arg t "$tree" --argjson r "$run" \
          --argjson l0 "$l0" --argjson l1 "$l1" --argjson s $((t1 - t0)) \
          '{bench: $b, tree: $t, run: $r, load_before: $l0, load_after: $l1,
            seconds: $s, figures: .}' | tee -a "$OUT"
    done
  done
done

echo
echo "# median of each build's runs; new/old < 1 is better except for events/s;"
echo "# spread: (max - min) / median of one build's own runs, the noise"
python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
def fmt(x):
    if x is None:
        return "-"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"
for bench in dict.fromkeys(r["bench"] for r in rows):
    rs = [r for r in rows if r["bench"] == bench]
    by = {t: [r for r in rs if r["tree"] == t] for t in ("old", "new")}
    loads = [r[k] for r in rs for k in ("load_before", "load_after")]
    print(f"## {bench}: {len(by['old'])} old and {len(by['new'])} new runs, "
          f"alternating; load average {min(loads):.2f}-{max(loads):.2f} "
          f"(median {statistics.median(loads):.2f}); "
          f"{sum(r['seconds'] for r in rs)} s")
    print()
    print("| figure | old median | new median | new/old | old runs (spread) | new runs (spread) |")
    print("|---|---|---|---|---|---|")
    names = list(dict.fromkeys(k for r in rs for k in r["figures"]))
    for n in names:
        v = {t: [r["figures"].get(n) for r in by[t]] for t in by}
        m = {t: med(v[t]) for t in v}
        ratio = (f"{m['new'] / m['old']:.2f}" if m["old"] and m["new"] is not None
                 else "-")
        def runs(t):
            xs = [x for x in v[t] if x is not None]
            if not xs:
                return "-"
            spread = ((max(xs) - min(xs)) / m[t] * 100) if m[t] else 0
            return ", ".join(fmt(x) for x in v[t]) + f" ({spread:.0f}%)"
        print(f"| {n} | {fmt(m['old'])} | {fmt(m['new'])} | {ratio} | "
              f"{runs('old')} | {runs('new')} |")
    print()
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); runs: $OUT"
