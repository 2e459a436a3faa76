// SPDX-License-Identifier: Apache-2.0
//
// The wire shape of a plain attribute value, chosen by its C++ type
// (private to libnfactor; STYLE rules 4 and 7). Shared by the attribute
// tables of nf_tables (nft/fields.hpp) and ctnetlink (ct/rows.hpp):
//
//   std::uint8_t             u8
//   std::uint16_t/32/64      u16/u32/u64 big-endian
//   std::int32_t             s32 big-endian
//   std::string              NUL-terminated string
//   byte_buffer              raw bytes
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "nfactor/bytes.hpp"
#include "nfactor/nl/attr.hpp"

namespace nfactor::nl {

/// A type with a plain attribute wire shape (see the file comment).
template <class V>
concept attr_scalar = std::is_same_v<V, std::uint8_t> ||
    std::is_same_v<V, std::uint16_t> || std::is_same_v<V, std::uint32_t> ||
    std::is_same_v<V, std::int32_t> || std::is_same_v<V, std::uint64_t> ||
    std::is_same_v<V, std::string> || std::is_same_v<V, byte_buffer>;

/// Reads the current attribute of `r` into `v`.
template <attr_scalar V>
void read_scalar(attr_reader& r, V& v) {
  if constexpr (std::is_same_v<V, std::uint8_t>)
    v = r.u8();
  else if constexpr (std::is_same_v<V, std::uint16_t>)
    v = r.u16_be();
  else if constexpr (std::is_same_v<V, std::uint32_t>)
    v = r.u32_be();
  else if constexpr (std::is_same_v<V, std::int32_t>)
    v = static_cast<std::int32_t>(r.u32_be());
  else if constexpr (std::is_same_v<V, std::uint64_t>)
    v = r.u64_be();
  else if constexpr (std::is_same_v<V, std::string>)
    v = r.string();
  else
    v.assign(r.bytes().begin(), r.bytes().end());
}

/// Appends `v` as an attribute of `type`.
template <attr_scalar V>
void write_scalar(message_writer& w, std::uint16_t type, const V& v) {
  if constexpr (std::is_same_v<V, std::uint8_t>)
    w.attr_u8(type, v);
  else if constexpr (std::is_same_v<V, std::uint16_t>)
    w.attr_u16_be(type, v);
  else if constexpr (std::is_same_v<V, std::uint32_t>)
    w.attr_u32_be(type, v);
  else if constexpr (std::is_same_v<V, std::int32_t>)
    w.attr_u32_be(type, static_cast<std::uint32_t>(v));
  else if constexpr (std::is_same_v<V, std::uint64_t>)
    w.attr_u64_be(type, v);
  else if constexpr (std::is_same_v<V, std::string>)
    w.attr_str(type, v);
  else
    w.attr_bytes(type, v);
}

} // namespace nfactor::nl
