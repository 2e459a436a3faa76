// SPDX-License-Identifier: Apache-2.0
//
// nf_tables chains (NFT_MSG_NEWCHAIN / DELCHAIN): NFTA_CHAIN_TABLE,
// NFTA_CHAIN_NAME, NFTA_CHAIN_HANDLE, then for base chains NFTA_CHAIN_HOOK
// (nested: NFTA_HOOK_HOOKNUM, NFTA_HOOK_PRIORITY (s32 BE), NFTA_HOOK_DEV
// or NFTA_HOOK_DEVS), NFTA_CHAIN_POLICY, NFTA_CHAIN_TYPE,
// NFTA_CHAIN_COUNTERS; then NFTA_CHAIN_FLAGS, NFTA_CHAIN_USE,
// NFTA_CHAIN_USERDATA.
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

/// The hook of a base chain (or of a flowtable).
struct hook {
  /// NF_INET_* / NF_NETDEV_* hook number.
  std::optional<std::uint32_t> num;
  /// Priority (signed).
  std::optional<std::int32_t> priority;
  /// The single device of a netdev chain (NFTA_HOOK_DEV).
  std::optional<std::string> device;
  /// Devices (NFTA_HOOK_DEVS, one NFTA_DEVICE_NAME each).
  std::optional<std::vector<std::string>> devices;

  friend bool operator==(const hook&, const hook&) = default;
};

/// Chain counters (NFTA_CHAIN_COUNTERS).
struct chain_counters {
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
  friend bool operator==(const chain_counters&,
                         const chain_counters&) = default;
};

/// A chain: a base chain has `hook`, `type` and `policy`.
struct chain {
  /// NFPROTO_* family (nfgenmsg).
  std::uint8_t family = 0;
  /// Table name.
  std::string table;
  /// Chain name.
  std::string name;
  /// Kernel handle.
  std::optional<std::uint64_t> handle;
  /// Hook of a base chain.
  std::optional<nft::hook> hook;
  /// Default policy of a base chain (NF_ACCEPT / NF_DROP).
  std::optional<std::uint32_t> policy;
  /// Chain type of a base chain ("filter", "nat", "route").
  std::optional<std::string> type;
  /// Counters of a base chain.
  std::optional<chain_counters> counters;
  /// NFT_CHAIN_BASE, NFT_CHAIN_HW_OFFLOAD, NFT_CHAIN_BINDING.
  std::optional<std::uint32_t> flags;
  /// Number of references (kernel-reported).
  std::optional<std::uint32_t> use;
  /// Opaque user data (nft's comment TLVs).
  std::optional<byte_buffer> userdata;
  /// Chain id within a batch (NFTA_CHAIN_ID, for rules that refer to a
  /// chain created in the same batch).
  std::optional<std::uint32_t> id;

  /// True for a base chain (one with a hook).
  [[nodiscard]] bool is_base() const noexcept { return hook.has_value(); }

  friend bool operator==(const chain&, const chain&) = default;
};

/// Decodes a NEWCHAIN or DELCHAIN message.
[[nodiscard]] result<chain> decode_chain(const nl::message& msg);

/// Writes the attributes of `c`.
void encode(nl::message_writer& w, const chain& c);

/// Appends a complete nf_tables message for `c` to `out`.
void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const chain& c);

} // namespace nfactor::nft
