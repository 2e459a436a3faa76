// SPDX-License-Identifier: Apache-2.0
//
// Binding NFLOG groups, and who holds them. The kernel lists the bound
// groups of a namespace in /proc/net/netfilter/nfnetlink_log, one line per
// group (net/netfilter/nfnetlink_log.c, seq_show):
//
//   group portid qlen copy_mode copy_range flush_timeout use
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "nfactor/error.hpp"
#include "nfactor/sys/netns.hpp"
#include "nfactor/sys/request.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::nflog {

/// One line of /proc/net/netfilter/nfnetlink_log.
struct group_binding {
  std::uint16_t group = 0;
  /// Netlink port id of the socket that bound the group.
  std::uint32_t portid = 0;
  /// Events queued in the kernel, not yet sent.
  std::uint32_t qlen = 0;
  std::uint8_t copy_mode = 0;
  std::uint32_t copy_range = 0;
  /// Flush timeout in 1/100 s.
  std::uint32_t flush_timeout = 0;
  std::uint32_t use = 0;

  friend bool operator==(const group_binding&, const group_binding&) = default;
};

/// Reads the bound groups of namespace `ns`.
[[nodiscard]] result<std::vector<group_binding>>
read_bindings(const sys::netns& ns);

/// The binding of `group` in `ns`, if the group is bound (and the file is
/// readable).
[[nodiscard]] std::optional<group_binding> find_binding(const sys::netns& ns,
                                                        std::uint16_t group);

/// Binds `group` to `sock` (NFULNL_CFG_CMD_BIND, acknowledged). A group
/// that another socket holds gives EPERM, one that this socket already
/// holds EBUSY; both errors name the group and, when
/// /proc/net/netfilter/nfnetlink_log says so, the owner's port id.
[[nodiscard]] result<void> bind_group(sys::socket& sock, std::uint16_t group,
                                      const sys::exchange_options& opts = {});

/// Unbinds `group` from `sock` (NFULNL_CFG_CMD_UNBIND, acknowledged).
[[nodiscard]] result<void> unbind_group(sys::socket& sock, std::uint16_t group,
                                        const sys::exchange_options& opts = {});

} // namespace nfactor::nflog
