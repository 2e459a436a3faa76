// SPDX-License-Identifier: Apache-2.0
//
// The nf_tables ruleset generation (NFT_MSG_GETGEN / NFT_MSG_NEWGEN,
// <linux/netfilter/nf_tables.h>): NFTA_GEN_ID (u32 BE), NFTA_GEN_PROC_PID
// (u32 BE) and NFTA_GEN_PROC_NAME (string). The kernel fills the process
// fields from the task that runs the code: in a commit notification that
// is the committing process, in a GETGEN reply it is the asking one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/error.hpp"
#include "nfactor/nl/message.hpp"
#include "nfactor/sys/request.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::nft {

/// A ruleset generation and the process the kernel attached to it.
struct gen_info {
  /// The generation id; it grows by one with every commit.
  std::uint32_t id = 0;
  /// Pid of the process: the committer in a NEWGEN notification, the
  /// requester in a GETGEN reply. Absent if the kernel did not send it.
  std::optional<std::uint32_t> proc_pid;
  /// Name (comm) of that process, when reported.
  std::optional<std::string> proc_name;

  friend bool operator==(const gen_info&, const gen_info&) = default;
};

/// Decodes a NEWGEN message (a GETGEN reply or a commit notification).
[[nodiscard]] result<gen_info> decode_gen(const nl::message& msg);

/// Appends a GETGEN request with sequence number `seq` to `out`.
void append_getgen(byte_buffer& out, std::uint32_t seq);

/// Asks the kernel for the current generation of `sock`'s namespace.
[[nodiscard]] result<gen_info> get_gen(sys::socket& sock,
                                       const sys::exchange_options& opts = {});

} // namespace nfactor::nft
