// SPDX-License-Identifier: Apache-2.0
//
// nf_tables tables (NFT_MSG_NEWTABLE / DELTABLE / GETTABLE,
// <linux/netfilter/nf_tables.h>): nfgenmsg.family, then NFTA_TABLE_NAME,
// NFTA_TABLE_FLAGS, NFTA_TABLE_USE, NFTA_TABLE_HANDLE (u64 BE),
// NFTA_TABLE_USERDATA, NFTA_TABLE_OWNER. Notifications and dump replies
// have the same shape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nft {

/// A table.
struct table {
  /// NFPROTO_* family (nfgenmsg).
  std::uint8_t family = 0;
  /// Table name.
  std::string name;
  /// NFT_TABLE_F_DORMANT, NFT_TABLE_F_OWNER, NFT_TABLE_F_PERSIST.
  std::optional<std::uint32_t> flags;
  /// Number of objects in the table (kernel-reported).
  std::optional<std::uint32_t> use;
  /// Kernel handle.
  std::optional<std::uint64_t> handle;
  /// Opaque user data (nft's comment TLVs).
  std::optional<byte_buffer> userdata;
  /// Netlink port id of the owning process (NFT_TABLE_F_OWNER).
  std::optional<std::uint32_t> owner;

  friend bool operator==(const table&, const table&) = default;
};

/// Decodes a NEWTABLE or DELTABLE message.
[[nodiscard]] result<table> decode_table(const nl::message& msg);

/// Writes the attributes of `t` (not the family; see `append`).
void encode(nl::message_writer& w, const table& t);

/// Appends a complete nf_tables message `msg` (NFT_MSG_NEWTABLE, ...)
/// for `t` to `out`.
void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const table& t);

} // namespace nfactor::nft
