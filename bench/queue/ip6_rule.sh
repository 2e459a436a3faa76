#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Queues IPv6 too: adds the ip6tables twin of nfqueue_throughput.sh's
# iptables rule (UDP to port 9999 -> queue Q) in the current namespace
# (the harness's private one: the consumer runs there), then runs the
# consumer. run.sh uses it for the rows whose generator sends to ::1.
#   bench/queue/ip6_rule.sh Q CONSUMER...
set -euo pipefail
Q=$1; shift
ip6tables -A OUTPUT -p udp --dport 9999 -j NFQUEUE --queue-num "$Q"
exec "$@"
