// SPDX-License-Identifier: Apache-2.0
//
// The NFQUEUE packet codec: one descriptor table maps every NFQA_*
// attribute of NFQNL_MSG_PACKET to its wire shape and its `queue_packet`
// member (src/nfqueue/decode.cpp, shapes shared with NFLOG in
// src/nfnl/attr_table.hpp). The decoder is one loop over that table; the
// encoder (for tests, replay and fuzzing) walks the same table, so a new
// attribute is one new row.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nfqueue/packet.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nfqueue {

/// True when `msg` is a queued packet (NFQNL_MSG_PACKET).
[[nodiscard]] bool is_packet(const nl::message& msg) noexcept;

/// Decodes an NFQNL_MSG_PACKET message into `out` (which is reset first).
/// Malformed input, or a packet without NFQA_PACKET_HDR (no id to give a
/// verdict on), gives an error naming the attribute; unknown attributes
/// are skipped. Interface names are left empty.
///
/// The packet's `shared_bytes` refer into `storage` when given (it must
/// keep the bytes of `msg` alive); without it, the message's bytes are
/// copied once into a block of the packet's own.
[[nodiscard]] result<void>
decode_packet(const nl::message& msg, queue_packet& out,
              const std::shared_ptr<const void>& storage = nullptr);

/// Decodes an NFQNL_MSG_PACKET message (see above for `storage`).
[[nodiscard]] result<queue_packet>
decode_packet(const nl::message& msg,
              const std::shared_ptr<const void>& storage = nullptr);

/// Decodes an NFQNL_MSG_PACKET message into a new element at the end of
/// `out` (removed again on error, which then goes to `err`). The queue
/// handle's hot path; `storage` keeps `msg`'s bytes alive (required).
[[nodiscard]] bool
decode_packet_back(const nl::message& msg, std::vector<queue_packet>& out,
                   std::optional<error>& err,
                   const std::shared_ptr<const void>& storage);

/// Reads only the packet id of an NFQNL_MSG_PACKET message (what a
/// verdict needs when the rest failed to decode), if it is there.
[[nodiscard]] std::optional<std::uint32_t>
peek_packet_id(const nl::message& msg) noexcept;

/// Appends `p` as an NFQNL_MSG_PACKET message (header fields `seq`,
/// flags 0) to `out`: every present attribute of the table, in table
/// order. The parsed `conntrack` and the interface names are not encoded
/// (the raw `ct` bytes are).
void append_packet(byte_buffer& out, const queue_packet& p,
                   std::uint32_t seq = 0);

/// The NFQA_* name of attribute type `type` ("NFQA_MARK"), or "" when the
/// decoder does not know it.
[[nodiscard]] std::string_view attribute_name(std::uint16_t type) noexcept;

} // namespace nfactor::nfqueue
