// SPDX-License-Identifier: Apache-2.0
//
// nf_tables sets and maps (NFT_MSG_NEWSET / DELSET): NFTA_SET_TABLE,
// NFTA_SET_NAME, NFTA_SET_HANDLE, NFTA_SET_FLAGS (NFT_SET_CONSTANT,
// _INTERVAL, _MAP, _TIMEOUT, _EVAL, _OBJECT, _CONCAT, _EXPR),
// NFTA_SET_KEY_TYPE, NFTA_SET_KEY_LEN, NFTA_SET_DATA_TYPE,
// NFTA_SET_DATA_LEN, NFTA_SET_OBJ_TYPE, NFTA_SET_TIMEOUT (u64 BE, ms),
// NFTA_SET_GC_INTERVAL, NFTA_SET_USERDATA, NFTA_SET_POLICY,
// NFTA_SET_DESC (nested: NFTA_SET_DESC_SIZE, NFTA_SET_DESC_CONCAT),
// NFTA_SET_EXPR / NFTA_SET_EXPRESSIONS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nft/expr.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nft {

/// One field of a concatenated key (NFTA_SET_FIELD_LEN).
struct set_field {
  std::uint32_t len = 0;
  friend bool operator==(const set_field&, const set_field&) = default;
};

/// NFTA_SET_DESC: the declared size and the concatenation fields.
struct set_desc {
  std::optional<std::uint32_t> size;
  std::optional<std::vector<set_field>> concat;
  friend bool operator==(const set_desc&, const set_desc&) = default;
};

/// A set or map.
struct set {
  /// NFPROTO_* family (nfgenmsg).
  std::uint8_t family = 0;
  /// Table name.
  std::string table;
  /// Set name.
  std::string name;
  /// Kernel handle.
  std::optional<std::uint64_t> handle;
  /// NFT_SET_* flags.
  std::optional<std::uint32_t> flags;
  /// Key data type (nft's datatype id, concatenations packed).
  std::optional<std::uint32_t> key_type;
  /// Key length in bytes.
  std::optional<std::uint32_t> key_len;
  /// Data type of a map (NFT_DATA_VERDICT for verdict maps).
  std::optional<std::uint32_t> data_type;
  /// Data length of a map.
  std::optional<std::uint32_t> data_len;
  /// Object type of an object map (NFT_OBJECT_*).
  std::optional<std::uint32_t> obj_type;
  /// Default element timeout in milliseconds.
  std::optional<std::uint64_t> timeout;
  /// Garbage collection interval in milliseconds.
  std::optional<std::uint32_t> gc_interval;
  /// NFT_SET_POL_PERFORMANCE or NFT_SET_POL_MEMORY.
  std::optional<std::uint32_t> policy;
  /// Opaque user data.
  std::optional<byte_buffer> userdata;
  /// Size and concatenation description.
  std::optional<set_desc> desc;
  /// Set id within a batch.
  std::optional<std::uint32_t> id;
  /// Expressions attached to every element (NFTA_SET_EXPR when one,
  /// NFTA_SET_EXPRESSIONS when more).
  std::vector<expression> exprs;

  /// True when the set is a map (NFT_SET_MAP).
  [[nodiscard]] bool is_map() const noexcept;

  friend bool operator==(const set&, const set&) = default;
};

/// Decodes a NEWSET or DELSET message.
[[nodiscard]] result<set> decode_set(const nl::message& msg);

/// Writes the attributes of `s`.
void encode(nl::message_writer& w, const set& s);

/// Appends a complete nf_tables message for `s` to `out`.
void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const set& s);

} // namespace nfactor::nft
