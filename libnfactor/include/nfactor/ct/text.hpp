// SPDX-License-Identifier: Apache-2.0
// Conntrack entries and events as one line of text, in the layout of
// conntrack-tools (`conntrack -L -o extended,id` and `conntrack -E`), so
// the tool can serve as an oracle and its users read what they know.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/ct/entry.hpp"
#include "nfactor/ct/expect.hpp"
#include "nfactor/ct/message.hpp"

namespace nfactor::ct {

/// The TCP state's name as conntrack prints it ("ESTABLISHED"), or
/// "UNKNOWN".
[[nodiscard]] const char* tcp_state_name(std::uint8_t state) noexcept;

/// The protocol's name as conntrack prints it ("tcp", "icmpv6"), or
/// "unknown".
[[nodiscard]] const char* l4proto_name(std::uint8_t proto) noexcept;

/// One line for `e` of family `family` (AF_INET/AF_INET6), as
/// `conntrack -L -o extended,id` prints it: family, protocol, timeout,
/// state, both tuples with their counters, flags, mark, secctx, zone,
/// delta-time (seconds since the start timestamp, given `now_ns`), use,
/// id. Members the entry lacks are left out.
[[nodiscard]] std::string
to_text(const entry& e, std::uint8_t family,
        std::optional<std::uint64_t> now_ns = std::nullopt);

/// `to_text` of the event's entry after its kind in brackets
/// ("[NEW] ipv4 2 udp 17 30 src=..."), as `conntrack -E -o extended,id`
/// prints it; a DESTROY with timestamps says how long the flow lived
/// (delta-time, from its start and stop).
[[nodiscard]] std::string to_text(const event& ev);

/// One line for `e` as `conntrack -L expect` prints it: timeout, proto,
/// the expected, mask and master tuples (mask-src=, master-src=, ...),
/// zone, flags (PERMANENT,INACTIVE,USERSPACE), class and helper.
[[nodiscard]] std::string to_text(const expectation& e);

/// `to_text` of the event's expectation after its kind ("    [NEW] 300
/// proto=6 ..."), as `conntrack -E expect` prints it.
[[nodiscard]] std::string to_text(const exp_event& ev);

} // namespace nfactor::ct
