// SPDX-License-Identifier: Apache-2.0
//
// The NFLOG event codec: one descriptor table maps every NFULA_* attribute
// to its wire shape and its `log_event` member (src/nflog/decode.cpp). The
// decoder is one loop over that table; the encoder (for tests, replay and
// fuzzing) walks the same table, so a new attribute is one new row.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nflog/event.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nflog {

/// True when `msg` is an NFLOG packet event (NFULNL_MSG_PACKET).
[[nodiscard]] bool is_packet(const nl::message& msg) noexcept;

/// Decodes an NFULNL_MSG_PACKET message into `out` (which is reset first).
/// Malformed input gives an error naming the attribute; unknown attributes
/// are skipped. Interface names are left empty (see `ifname_cache`).
///
/// The event's `shared_bytes` refer into `storage` when given (it must keep
/// the bytes of `msg` alive: the datagram's block); without it, the
/// message's bytes are copied once into a block of the event's own.
[[nodiscard]] result<void>
decode_packet(const nl::message& msg, log_event& out,
              const std::shared_ptr<const void>& storage = nullptr);

/// Decodes an NFULNL_MSG_PACKET message (see above for `storage`).
[[nodiscard]] result<log_event>
decode_packet(const nl::message& msg,
              const std::shared_ptr<const void>& storage = nullptr);

/// Decodes an NFULNL_MSG_PACKET message into a new element at the end of
/// `out` (removed again on error, which then goes to `err`): no temporary,
/// no move, no result object per event. The listener's hot path; `storage`
/// keeps `msg`'s bytes alive (required).
[[nodiscard]] bool
decode_packet_back(const nl::message& msg, std::vector<log_event>& out,
                   std::optional<error>& err,
                   const std::shared_ptr<const void>& storage);

/// Appends `ev` as an NFULNL_MSG_PACKET message (header fields `seq`,
/// flags 0) to `out`: every present attribute of the table, in table
/// order. The parsed `conntrack` and the interface names are not encoded
/// (the raw `ct` bytes are).
void append_packet(byte_buffer& out, const log_event& ev,
                   std::uint32_t seq = 0);

/// The NFULA_* name of attribute type `type` ("NFULA_MARK"), or "" when
/// the decoder does not know it.
[[nodiscard]] std::string_view attribute_name(std::uint16_t type) noexcept;

} // namespace nfactor::nflog
