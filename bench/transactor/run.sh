#!/bin/bash
# run.sh [-k "1000 10000 50000"] [-r REPS]: nfactor's commit of one table, a
# base chain and K rules (`ip saddr A udp dport P counter accept`) next to
# `nft -f` of the same ruleset (../shared/peer-bench/nft_batch.sh), each run
# in a fresh `unshare -n` namespace, interleaved (nft, nfactor, nfactor
# --ack) so that all three see the same load. Both are timed the same way
# (benchutil.py: the whole process's wall time and wait4 max RSS). Prints
# the load, JSON lines, a table of medians, and the issue's targets at the
# largest K as "target: ... met/missed" (medians of the per-repetition
# ratios nfactor/nft).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-$HERE/../../build/bench/transactor/nfactor_bench_transactor}
PEER=${PEER:-/work/shared/peer-bench}
KS="1000 10000 50000" REPS=3
while getopts "k:r:" o; do
	case $o in k) KS=$OPTARG ;; r) REPS=$OPTARG ;; *) sed -n '2,10p' "$0"; exit 2 ;; esac
done
OUT=$(mktemp /tmp/nfactor_tx_bench.XXXXXX.jsonl)
echo "load before: $(uptime)"

# One nfactor run in a fresh namespace: benchutil's figures plus the
# program's own (build_s, commit_s), and a check that nft lists K rules.
nfactor_run() { # K REP TOOL [--ack]
	unshare -n bash -c '
		set -e
		ip link set lo up
		python3 "$0/benchutil.py" run --out "$1.out" -- "$2" "$3" $5 >"$1.run"
		n=$(nft list ruleset | grep -c "counter packets" || true)
		[ "$n" = "$3" ] || echo "WARN: listed $n rules, expected $3" >&2
		jq -c --slurpfile own "$1.out" "{wall_s, user_s, sys_s, maxrss_kb, rc}
			+ {build_s: \$own[0].build_s, commit_s: \$own[0].commit_s}" "$1.run"
	' "$PEER" "$OUT.tmp" "$BIN" "$1" "${4:-}" |
		jq -c --argjson k "$1" --argjson rep "$2" --arg tool "$3" \
			'{k: $k, tool: $tool, rep: $rep} + .'
}

for k in $KS; do
	for rep in $(seq "$REPS"); do
		"$PEER/nft_batch.sh" -k "$k" -r 1 2>/dev/null |
			jq -c --argjson rep "$rep" 'select(.op == "load") |
				{k, tool: "nft -f", rep: $rep, wall_s, user_s, sys_s, maxrss_kb, rc}'
		nfactor_run "$k" "$rep" nfactor
		nfactor_run "$k" "$rep" "nfactor --ack" --ack
	done
done | tee "$OUT"
rm -f "$OUT.tmp" "$OUT.tmp.out" "$OUT.tmp.run"
echo "load after: $(uptime)"

echo "medians of $REPS runs (wall and max RSS of the whole process):"
jq -s -r '
	def med: sort | .[length / 2 | floor];
	group_by(.k)[] | group_by(.tool)[] |
	"\(.[0].k)\t\(.[0].tool)\twall \(map(.wall_s) | med) s\tcpu \(map(.user_s + .sys_s) | med * 1000 | round / 1000) s\tmaxrss \(map(.maxrss_kb) | med / 1024 * 10 | round / 10) MiB"' "$OUT"

# The targets, at the largest K: per-repetition ratios to nft, median.
KMAX=$(tr ' ' '\n' <<<"$KS" | sort -n | tail -1)
jq -s -r --argjson k "$KMAX" '
	def med: sort | .[length / 2 | floor];
	def r3: . * 1000 | round / 1000;
	map(select(.k == $k)) as $runs |
	[$runs[] | select(.tool == "nft -f")] as $nft |
	[$runs[] | select(.tool == "nfactor")] as $nf |
	[range(0; [$nft, $nf] | map(length) | min) | . as $i |
		{t: ($nf[$i].wall_s / $nft[$i].wall_s),
		 c: (($nf[$i].user_s + $nf[$i].sys_s) / ($nft[$i].user_s + $nft[$i].sys_s)),
		 m: ($nf[$i].maxrss_kb / $nft[$i].maxrss_kb)}] as $ratios |
	($ratios | map(.t) | med) as $t | ($ratios | map(.m) | med) as $m |
	"at K = \($k): nfactor wall \($nf | map(.wall_s) | med) s vs nft \($nft | map(.wall_s) | med) s; max RSS \($nf | map(.maxrss_kb) | med / 1024 | r3) MiB vs \($nft | map(.maxrss_kb) | med / 1024 | r3) MiB; CPU (user+sys) ratio \($ratios | map(.c) | med | r3)",
	"target: time <= 1/3 nft: \(if $t <= 1/3 then "met" else "missed" end) (ratio \($t | r3))",
	"target: memory <= 1/4 nft: \(if $m <= 1/4 then "met" else "missed" end) (ratio \($m | r3))"' "$OUT"
echo "raw: $OUT"
