// SPDX-License-Identifier: Apache-2.0
//
// nf_tables set elements (NFT_MSG_NEWSETELEM / DELSETELEM):
// NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_ELEMENTS
// (nested list; each NFTA_LIST_ELEM holds NFTA_SET_ELEM_KEY (data),
// NFTA_SET_ELEM_KEY_END, NFTA_SET_ELEM_DATA (data or verdict),
// NFTA_SET_ELEM_EXPR(ESSIONS), NFTA_SET_ELEM_OBJREF, NFTA_SET_ELEM_FLAGS
// (NFT_SET_ELEM_INTERVAL_END, _CATCHALL), NFTA_SET_ELEM_TIMEOUT,
// NFTA_SET_ELEM_EXPIRATION (u64 BE, ms), NFTA_SET_ELEM_USERDATA).
// An interval set stores a range as a start element and an end element
// flagged NFT_SET_ELEM_INTERVAL_END (or one element with KEY_END).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nft/data.hpp"
#include "nfactor/nft/expr.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nft {

/// One set element.
struct set_elem {
  /// The key.
  std::optional<data> key;
  /// End of a range (sets with NFT_SET_CONCAT | NFT_SET_INTERVAL).
  std::optional<data> key_end;
  /// Mapped data or verdict (maps).
  std::optional<data> value;
  /// Expressions (counter, ...) attached to this element.
  std::vector<expression> exprs;
  /// Object name (object maps).
  std::optional<std::string> objref;
  /// NFT_SET_ELEM_INTERVAL_END, NFT_SET_ELEM_CATCHALL.
  std::optional<std::uint32_t> flags;
  /// Timeout in milliseconds.
  std::optional<std::uint64_t> timeout;
  /// Time left in milliseconds (kernel-reported).
  std::optional<std::uint64_t> expiration;
  /// Opaque user data.
  std::optional<byte_buffer> userdata;

  /// True when this element closes an interval.
  [[nodiscard]] bool is_interval_end() const noexcept;

  friend bool operator==(const set_elem&, const set_elem&) = default;
};

/// The elements of one set, as one NEWSETELEM/DELSETELEM message carries.
struct elem_list {
  /// NFPROTO_* family (nfgenmsg).
  std::uint8_t family = 0;
  /// Table name.
  std::string table;
  /// Set name.
  std::string set;
  /// Set id within a batch.
  std::optional<std::uint32_t> set_id;
  /// The elements.
  std::vector<set_elem> elems;

  friend bool operator==(const elem_list&, const elem_list&) = default;
};

/// Decodes a NEWSETELEM or DELSETELEM message.
[[nodiscard]] result<elem_list> decode_elems(const nl::message& msg);

/// Writes the attributes of `l`.
void encode(nl::message_writer& w, const elem_list& l);

/// Appends a complete nf_tables message for `l` to `out`.
void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const elem_list& l);

} // namespace nfactor::nft
