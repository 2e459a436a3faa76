// SPDX-License-Identifier: Apache-2.0
//
// nf_tables named (stateful) objects (NFT_MSG_NEWOBJ / DELOBJ):
// NFTA_OBJ_TABLE, NFTA_OBJ_NAME, NFTA_OBJ_TYPE (NFT_OBJECT_COUNTER,
// _QUOTA, _LIMIT, ...), NFTA_OBJ_USE, NFTA_OBJ_DATA (nested: the same
// attributes as the expression of that name), NFTA_OBJ_HANDLE,
// NFTA_OBJ_USERDATA.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nft/expr/counter.hpp"
#include "nfactor/nft/expr/limit.hpp"
#include "nfactor/nft/expr/quota.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nft {

/// The state of an object: counter, quota, limit, or the raw NFTA_OBJ_DATA
/// payload of any other type (re-encoded unchanged).
using object_data =
    std::variant<byte_buffer, expr::counter, expr::quota, expr::limit>;

/// A named object.
struct object {
  /// NFPROTO_* family (nfgenmsg).
  std::uint8_t family = 0;
  /// Table name.
  std::string table;
  /// Object name.
  std::string name;
  /// NFT_OBJECT_* type.
  std::uint32_t type = 0;
  /// Number of references (kernel-reported).
  std::optional<std::uint32_t> use;
  /// The object's state; absent in some delete notifications.
  std::optional<object_data> state;
  /// Kernel handle.
  std::optional<std::uint64_t> handle;
  /// Opaque user data.
  std::optional<byte_buffer> userdata;

  friend bool operator==(const object&, const object&) = default;
};

/// Decodes a NEWOBJ or DELOBJ message.
[[nodiscard]] result<object> decode_object(const nl::message& msg);

/// Writes the attributes of `o`.
void encode(nl::message_writer& w, const object& o);

/// Appends a complete nf_tables message for `o` to `out`.
void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const object& o);

} // namespace nfactor::nft
