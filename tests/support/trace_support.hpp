// SPDX-License-Identifier: Apache-2.0
// For the trace suites (kernel, actors, apps): a traced ruleset, a
// ruleset that traces nothing itself, and a scoped nftrace for UDP.
#pragma once

#include <cstdint>
#include <string>

#include <boost/test/unit_test.hpp>

#include "nfactor/nft/nftrace.hpp"
#include "nfactor/nft/rule_builder.hpp"

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

/// A ruleset without nftrace of its own: UDP to 9999 is dropped.
inline const char* const dropping_ruleset = R"(
table ip t {
  chain out {
    type filter hook output priority filter; policy accept;
    udp dport 9999 drop
  }
}
)";

/// A scoped nftrace (inet table `table`) for UDP to `port`.
inline nft::nftrace_scope udp_scope(const std::string& table,
                                    std::uint16_t port) {
  nft::nftrace_scope s;
  s.table = table;
  auto m = nft::front::rule_builder{nfnl::family::inet, table, "x"}
               .match(nft::front::udp::dport, port)
               .build();
  BOOST_REQUIRE(m.has_value());
  s.match = m->exprs;
  return s;
}

} // namespace nfactor::test
