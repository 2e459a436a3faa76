// SPDX-License-Identifier: Apache-2.0
//
// nf_tables flowtables (NFT_MSG_NEWFLOWTABLE / DELFLOWTABLE):
// NFTA_FLOWTABLE_TABLE, NFTA_FLOWTABLE_NAME, NFTA_FLOWTABLE_USE,
// NFTA_FLOWTABLE_HANDLE, NFTA_FLOWTABLE_FLAGS, NFTA_FLOWTABLE_HOOK (nested:
// NFTA_FLOWTABLE_HOOK_NUM, _PRIORITY, _DEVS with NFTA_DEVICE_NAME each).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nft {

/// The hook of a flowtable.
struct flowtable_hook {
  std::optional<std::uint32_t> num;
  std::optional<std::int32_t> priority;
  std::optional<std::vector<std::string>> devices;
  friend bool operator==(const flowtable_hook&,
                         const flowtable_hook&) = default;
};

/// A flowtable.
struct flowtable {
  /// NFPROTO_* family (nfgenmsg).
  std::uint8_t family = 0;
  /// Table name.
  std::string table;
  /// Flowtable name.
  std::string name;
  /// Number of references (kernel-reported).
  std::optional<std::uint32_t> use;
  /// Kernel handle.
  std::optional<std::uint64_t> handle;
  /// NFT_FLOWTABLE_HW_OFFLOAD, NFT_FLOWTABLE_COUNTER.
  std::optional<std::uint32_t> flags;
  /// Hook and devices.
  std::optional<flowtable_hook> hook;

  friend bool operator==(const flowtable&, const flowtable&) = default;
};

/// Decodes a NEWFLOWTABLE or DELFLOWTABLE message.
[[nodiscard]] result<flowtable> decode_flowtable(const nl::message& msg);

/// Writes the attributes of `f`.
void encode(nl::message_writer& w, const flowtable& f);

/// Appends a complete nf_tables message for `f` to `out`.
void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const flowtable& f);

} // namespace nfactor::nft
