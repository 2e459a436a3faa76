#!/bin/bash
# run.sh [-k "1000 10000 50000"] [-r REPS]: nfactor's commit of K rules next
# to `nft -f` of the same ruleset (../shared/peer-bench/nft_batch.sh), each
# in a fresh `unshare -n` namespace. Prints JSON lines and a median table.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-$HERE/../../build/bench/transactor/nfactor_bench_transactor}
PEER=${PEER:-/work/shared/peer-bench}
KS="1000 10000 50000" REPS=3
while getopts "k:r:" o; do
	case $o in k) KS=$OPTARG ;; r) REPS=$OPTARG ;; *) sed -n '2,5p' "$0"; exit 2 ;; esac
done
for k in $KS; do
	for rep in $(seq "$REPS"); do for ack in "" --no-ack; do
		unshare -n bash -c '
			set -e; ip link set lo up
			"$0" "$1" $2
			n=$(nft list ruleset | grep -c "counter packets" || true)
			[ "$n" = "$1" ] || echo "WARN: listed $n rules, expected $1" >&2
		' "$BIN" "$k" "$ack" | jq -c --argjson rep "$rep" \
			'. + {tool: (if .ack_each then "nfactor" else "nfactor --no-ack" end), rep: $rep}'
	done; done
done | tee /tmp/nfactor_tx_bench.jsonl
"$PEER/nft_batch.sh" -k "$KS" -r "$REPS" 2>/tmp/nft_batch_summary.txt |
	jq -c 'select(.op == "load") | {k, tool: "nft -f", rep, wall_s, user_s, sys_s, maxrss_kb}' |
	tee /tmp/nft_tx_bench.jsonl
cat /tmp/nfactor_tx_bench.jsonl /tmp/nft_tx_bench.jsonl | jq -s -r '
	group_by(.k)[] | group_by(.tool)[] |
	(map(.wall_s) | sort | .[length/2|floor]) as $w |
	(map(.maxrss_kb) | sort | .[length/2|floor]) as $m |
	(map(.user_s + .sys_s) | sort | .[length/2|floor]) as $c |
	"\(.[0].k)\t\(.[0].tool)\twall \($w) s\tcpu \($c*1000|round/1000) s\tmaxrss \($m/1024|.*10|round/10) MiB"'
