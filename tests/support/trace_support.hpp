// SPDX-License-Identifier: Apache-2.0
// For the trace suites (kernel and actors): a traced ruleset.
#pragma once

namespace nfactor::test {

/// A ruleset that traces ICMP and UDP from its first output rule: a jump
/// that returns, a goto, a drop (UDP to 9999) and an accept.
inline const char* const traced_ruleset = R"(
table ip t {
  chain sub {
    udp dport 9999 drop
    return
  }
  chain sub2 {
    meta mark set 0x2a
  }
  chain out {
    type filter hook output priority filter; policy accept;
    meta l4proto { icmp, udp } meta nftrace set 1
    udp dport 9997 goto sub2
    ip daddr 127.0.0.1 jump sub
    icmp type echo-request accept
  }
  chain in {
    type filter hook input priority filter; policy accept;
    ct state established,related accept
  }
}
)";

} // namespace nfactor::test
