#!/usr/bin/env bash
# bench/nflog/run.sh: NFLOG throughput of the log listener actor side by side
# with peer-bench's raw libmnl limit, measured the same way in one run
# (peer-bench's nflog_throughput.sh: private netns, `log group 5` on UDP
# output, the generator flat out, CPU of the listener process).
#
# Usage: bench/nflog/run.sh [-n PACKETS] [-r RUNS] [-p PEER_BENCH_DIR] [-b BUILD_DIR] [-a|-l]
#   -n packets per run (default 1000000, 64-byte UDP payloads)
#   -r runs per listener (default 3; the median is reported); the runs of
#      the listeners alternate, so each sees the same machine load
#   -a all listeners (default: the limit and the detached owner, the pair
#      the target is about)
#   -l the limit and the nfactor-log daemon (--json FILE, --pcap FILE):
#      whole-process CPU per event, targets <=3x (json) and <=2x (pcap);
#      with ulogd2's JSON output beside them as the peer when ulogd is
#      installed (apt-get install ulogd2 ulogd2-json)
#   -L NFACTOR_LOG another nfactor-log binary to measure with -l (default
#      BUILD_DIR/apps/nfactor-log/nfactor-log)
#   -p peer-bench sources (default ../shared/peer-bench next to the repo,
#      else /work/shared/peer-bench); built into a scratch directory
#   -b the nfactor build directory (default build)
# Needs root. Prints one JSON line per run and a table at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=1000000 RUNS=3 PEER="" BUILD=$ROOT/build ALL=0 LOGD=0 LOG=""
while getopts "n:r:p:b:alL:" o; do
  case $o in
  n) N=$OPTARG ;; r) RUNS=$OPTARG ;; p) PEER=$OPTARG ;; b) BUILD=$OPTARG ;;
  a) ALL=1 ;; l) LOGD=1 ;; L) LOG=$OPTARG ;;
  *) sed -n '2,22p' "$0"; exit 2 ;;
  esac
done
if [ -z "$PEER" ]; then
  for d in "$ROOT/../shared/peer-bench" /work/shared/peer-bench; do
    [ -f "$d/nflog_throughput.sh" ] && { PEER=$d; break; }
  done
fi
[ -n "$PEER" ] || { echo "run.sh: peer-bench not found (-p DIR)" >&2; exit 1; }
BENCH=$BUILD/bench/nflog/nfactor_nflog_bench
[ -n "$LOG" ] || LOG=$BUILD/apps/nfactor-log/nfactor-log
if [ "$LOGD" = 1 ]; then
  [ -x "$LOG" ] || { echo "run.sh: build $LOG first" >&2; exit 1; }
else
  [ -x "$BENCH" ] || { echo "run.sh: build $BENCH first" >&2; exit 1; }
fi

SCRATCH=$(mktemp -d /tmp/nfactor-nflog-bench.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
cp -r "$PEER"/. "$SCRATCH/pb"
make -s -C "$SCRATCH/pb" nflog_gen nflog_limit >/dev/null

declare -A LISTENERS=(
  [1-limit]="limit-big"
  [2-nfactor-detached-owner]="$BENCH -d -g {G} -i 600000"
  [3-nfactor-scheduled-owner-1-thread]="$BENCH -t 1 -g {G} -i 600000"
  [4-nfactor-scheduled-owner]="$BENCH -g {G} -i 600000"
  [5-nfactor-detached-owner-malloc-defaults]="$BENCH -d -m -g {G} -i 600000"
  [6-nfactor-log-json]="$LOG -g {G} --json {OUT}/events.json"
  [7-nfactor-log-pcap]="$LOG -g {G} --pcap {OUT}/events.pcap"
  [8-nfactor-log-json-null]="$LOG -g {G} --json /dev/null"
  [9-nfactor-log-pcap-null]="$LOG -g {G} --pcap /dev/null"
  [u-ulogd-json]="ulogd-json-big"
)
# How nflog_throughput.sh counts a listener's events (default: its JSON
# line). nfactor-log's pcap records are counted here after the run; with
# /dev/null as the output (everything but the file system's cost) its
# final "written N events" line counts.
declare -A COUNT=(
  [6-nfactor-log-json]="lines:{OUT}/events.json"
  [7-nfactor-log-pcap]="lines:/dev/null"
  [8-nfactor-log-json-null]="lines:/dev/null"
  [9-nfactor-log-pcap-null]="lines:/dev/null"
)
NAMES=$(printf '%s\n' "${!LISTENERS[@]}" | sort)
if [ "$LOGD" = 1 ]; then
  NAMES="1-limit 6-nfactor-log-json 7-nfactor-log-pcap 8-nfactor-log-json-null 9-nfactor-log-pcap-null"
  # The peer: ulogd2's JSON output, same kernel settings (qthresh 64,
  # 8 MiB receive buffer).
  if command -v ulogd >/dev/null &&
    [ -f /usr/lib/x86_64-linux-gnu/ulogd/ulogd_output_JSON.so ]; then
    NAMES="$NAMES u-ulogd-json"
  else
    echo "run.sh: ulogd2 not installed (apt-get install ulogd2 ulogd2-json): no peer row" >&2
  fi
elif [ "$ALL" != 1 ]; then
  NAMES="1-limit 2-nfactor-detached-owner"
fi
# Records in a pcap file (after its 24-byte header, each record's 16-byte
# header gives its captured length).
pcap_records() {
  python3 -c 'import struct,sys
f=open(sys.argv[1],"rb"); f.read(24); n=0
while True:
    h=f.read(16)
    if len(h)<16: break
    f.seek(struct.unpack("=IIII",h)[2],1); n+=1
print(n)' "$1"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
RESULTS=$SCRATCH/results.jsonl
for run in $(seq "$RUNS"); do
  for name in $NAMES; do
    out=$SCRATCH/$name-$run
    "$SCRATCH/pb/nflog_throughput.sh" -o "$out" -n "$N" \
      -c "${COUNT[$name]:-json}" "${LISTENERS[$name]}" >"$out.json" 2>/dev/null
    ev=
    case $name in
    7-nfactor-log-pcap) ev=$(pcap_records "$out/events.pcap") ;;
    *-null) ev=$(sed -n 's/.*: written \([0-9]*\) events.*/\1/p' "$out/listener.err" | tail -1) ;;
    esac
    if [ -n "$ev" ]; then # events: the pcap's records, the written count
      jq -c --argjson ev "$ev" '.events = $ev |
        .loss_pct = (((.sent - $ev) * 10000 / .sent | round) / 100) |
        .cpu_us_per_event = (if $ev > 0 then (.listener_cpu_s * 1e8 / $ev | round / 100) else null end)' \
        "$out.json" >"$out.fixed" && mv "$out.fixed" "$out.json"
    fi
    rm -f "$out/events.json" "$out/events.pcap" "$out/ulogd.json" # up to ~0.5 GB per run
    [ -s "$out/listener.out" ] || echo '{}' >"$out/listener.out"
    jq -c --arg name "${name#*-}" --slurpfile l "$out/listener.out" \
      '{name: $name} + . + {eps: ($l[0].owner_events_per_s //
        (if $l[0].active_s > 0 then $l[0].events / $l[0].active_s else null end)),
        listener_thread_cpu_s: $l[0].listener_cpu_s,
       load: ($load | tonumber)}' --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
      "$out.json" |
      tee -a "$RESULTS"
  done
done
echo
# events/s: delivered to the owner actor (nfactor) or counted (the limit),
# first to last event; cpu: whole listener process, getrusage.
# x_raw: the median CPU per event over the raw loop's median, same runs.
printf '%-40s %9s %8s %8s %10s %12s %6s\n' listener events loss% enobufs \
  events/s cpu_us/event x_raw
jq -rs '([.[] | select(.name == "limit") | .cpu_us_per_event] | sort |
    .[(length / 2 | floor)]) as $raw |
  group_by(.name)[] | sort_by(.cpu_us_per_event) | .[(length / 2 | floor)] |
  [.name, .events, .loss_pct, (.enobufs // "-"),
   ((.eps // 0) | floor), .cpu_us_per_event,
   (if $raw > 0 then (.cpu_us_per_event / $raw * 100 | round / 100)
    else "-" end)] | @tsv' "$RESULTS" |
  while IFS=$'\t' read -r name ev loss enob eps cpu ratio; do
    printf '%-40s %9s %8s %8s %10s %12s %6s\n' "$name" "$ev" "$loss" "$enob" \
      "$eps" "$cpu" "$ratio"
  done

if [ "$LOGD" = 1 ]; then
  # nfactor-log: the whole daemon process (listener, writer, CAF) against
  # the raw loop's process, CPU per event; zero loss.
  jq -rs '
    def median: sort | .[(length / 2 | floor)];
    ([.[] | select(.name == "limit") | .cpu_us_per_event] | median) as $raw |
    ([.[] | .load] | median) as $load |
    "raw limit: \($raw) us/event (median); load average \($load) (median)",
    (["nfactor-log-json", 3], ["nfactor-log-pcap", 2],
     ["nfactor-log-json-null", 3], ["nfactor-log-pcap-null", 2]) as [$n, $k] |
    ([.[] | select(.name == $n) | .cpu_us_per_event] | median) as $cpu |
    ([.[] | select(.name == $n) | .loss_pct] | max) as $loss |
    "target: \($n) <=\($k)x raw with 0 loss: " +
    (if $cpu <= $k * $raw and $loss == 0 then "met" else "missed" end) +
    " (\($cpu) us/event, ratio \($cpu / $raw * 100 | round / 100), worst loss \($loss)%)"' "$RESULTS"
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

# The issue's target: the listener thread's CPU per event (fully decoding,
# delivering to an owner actor) at most 2x the raw counting loop's, with
# zero loss. Medians of the runs, each from the same run sequence.
jq -rs '
  def median: sort | .[(length / 2 | floor)];
  ([.[] | select(.name == "limit") | .cpu_us_per_event] | median) as $raw |
  ([.[] | select(.name == "nfactor-detached-owner") |
    .listener_thread_cpu_s * 1e6 / .events] | median) as $nf |
  ([.[] | select(.name == "nfactor-detached-owner") | .loss_pct] | max) as $loss |
  ([.[] | .load] | median) as $load |
  "raw limit: \($raw) us/event (median); nfactor listener thread: " +
  "\($nf * 1000 | round / 1000) us/event (median); worst loss \($loss)%; " +
  "load average \($load) (median)",
  "target: <=2x raw: " +
  (if $nf <= 2 * $raw and $loss == 0 then "met" else "missed" end) +
  " (ratio \($nf / $raw * 100 | round / 100))"' "$RESULTS"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
