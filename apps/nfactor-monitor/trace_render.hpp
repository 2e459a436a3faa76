// SPDX-License-Identifier: Apache-2.0
//
// How nfactor-monitor --trace prints packet traces (no CAF): the lines of
// `nft monitor trace` (nft::trace_text), or one JSON object per trace:
//
//   {"trace":{"id":"2013dc05","family":"ip","table":"t","chain":"out",
//    "end":"verdict","verdict":"accept","packet":{"oif":"lo",...},
//    "steps":[{"chain":"out","type":"rule","handle":9,
//              "rule":"meta l4proto { icmp, udp } meta nftrace set 1",
//              "verdict":"continue"}, ...]}}
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/nft/packet_trace.hpp"

namespace nfactor::app {

/// The name of interface `index` in the calling thread's namespace.
[[nodiscard]] std::optional<std::string> ifname(std::uint32_t index);

/// One JSON line for `t` (see above); headers as hex strings.
[[nodiscard]] std::string json_line(const nft::packet_trace& t);

} // namespace nfactor::app
