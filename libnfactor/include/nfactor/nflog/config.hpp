// SPDX-License-Identifier: Apache-2.0
//
// NFLOG configuration (NFULNL_MSG_CONFIG, <linux/netfilter/nfnetlink_log.h>).
// Every config message is an nfnetlink message of subsystem NFNL_SUBSYS_ULOG
// whose nfgenmsg carries the family (PF_BIND/PF_UNBIND) or AF_UNSPEC, and
// res_id = the group (big-endian):
//
//   nlmsghdr | nfgenmsg {family, v0, res_id = group (BE16)} | attributes
//
//   NFULA_CFG_CMD      struct nfulnl_msg_config_cmd  {u8 command}
//   NFULA_CFG_MODE     struct nfulnl_msg_config_mode {BE32 range, u8 mode, pad}
//   NFULA_CFG_NLBUFSIZ BE32 bytes       NFULA_CFG_TIMEOUT BE32 1/100 s
//   NFULA_CFG_QTHRESH  BE32 packets     NFULA_CFG_FLAGS   BE16 NFULNL_CFG_F_*
//
// The kernel applies a message's command first, then the other attributes,
// and refuses anything but BIND for a group this socket has not bound.
#pragma once

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ratio>
#include <vector>

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nfnl/config.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::nflog {

/// How much of each packet the kernel copies (NFULNL_COPY_*): the one
/// enum both per-packet subsystems share.
using copy_mode = nfnl::copy_mode;
using nfnl::to_string;

/// The kernel flush timeout unit: 1/100 s (NFULA_CFG_TIMEOUT).
using centiseconds = std::chrono::duration<std::uint32_t, std::centi>;

/// Largest copy range the kernel honours (NFULNL_COPY_RANGE_MAX in
/// net/netfilter/nfnetlink_log.c: 0xffff minus an attribute header).
inline constexpr std::uint32_t max_copy_range = nfnl::max_copy_range;

/// Largest per-instance batch buffer the kernel accepts (it clamps
/// NFULA_CFG_NLBUFSIZ to 131072).
inline constexpr std::uint32_t max_nlbufsiz = 131072;

/// The largest datagram the kernel sends a group whose batch size is
/// `nlbufsiz`. A batch is not bounded by nlbufsiz itself: the kernel
/// allocates its buffer for max(nlbufsiz, the first event) and fills it
/// to the size the allocator granted, a power of two (whole pages beyond
/// 8 KiB) less the buffer's bookkeeping. With enough events per batch
/// (`qthresh`) a 131072-byte nlbufsiz gives datagrams of up to 256 KiB.
/// One event is at most a 64 KiB packet and its attributes.
[[nodiscard]] constexpr std::size_t
largest_datagram(std::uint32_t nlbufsiz) noexcept {
  constexpr std::size_t largest_event = 65535 + 4096;
  constexpr std::size_t bookkeeping = 1024; // skb_shared_info, alignment
  return std::bit_ceil(std::max<std::size_t>(nlbufsiz, largest_event) +
                       bookkeeping);
}

/// Optional per-event attributes the kernel adds when asked
/// (NFULA_CFG_FLAGS).
struct log_flags {
  /// NFULNL_CFG_F_SEQ: a per-group sequence number (NFULA_SEQ) on every
  /// event. On by default: its gaps give the exact number of events lost
  /// in a receive buffer overrun, for 4 bytes per event.
  bool seq = true;
  /// NFULNL_CFG_F_SEQ_GLOBAL: a sequence number shared by all groups of
  /// the namespace (NFULA_SEQ_GLOBAL). Off by default.
  bool seq_global = false;
  /// NFULNL_CFG_F_CONNTRACK: the packet's conntrack entry (NFULA_CT,
  /// NFULA_CT_INFO). Off by default: it costs a lookup and ~150 bytes per
  /// event, and needs conntrack to be active in the namespace.
  bool conntrack = false;

  /// The NFULNL_CFG_F_* bit mask.
  [[nodiscard]] std::uint16_t to_wire() const noexcept;

  friend bool operator==(const log_flags&, const log_flags&) = default;
};

/// Everything a listener needs to bind and configure one NFLOG group.
///
/// The defaults are the values measured on our machines to give zero loss
/// at ~0.8 Mpps with a lone event still delivered within ~10 ms (see
/// DESIGN.md, "Kernel facts"); the kernel's own defaults (qthresh 100,
/// 1 s timeout, ~4 KiB batches, 208 KiB receive buffer) delay lone
/// events by a second and lose 1-10% in bursts.
struct options {
  /// The NFLOG group, 1..65535 (nft `log group G`). Required: 0 is
  /// refused so that a forgotten group is an error, not a silent bind.
  std::uint16_t group = 0;
  /// The namespace whose packets to log. Default: the caller's.
  sys::netns ns = sys::netns::current();
  /// How much of each packet to copy. Default `meta`: metadata is what
  /// most owners log, and it keeps events small.
  copy_mode mode = copy_mode::meta;
  /// With `copy_mode::packet`, the most payload bytes per event
  /// (1..max_copy_range); 0 (the default) means the whole packet, up to
  /// max_copy_range. Must be 0 for the other modes. A rule's own `snaplen`
  /// cuts shorter still.
  std::uint32_t copy_range = 0;
  /// NFULA_CFG_QTHRESH: events the kernel queues before it sends a batch,
  /// 1..1024 (a batch also ends when its buffer is full, see
  /// `largest_datagram`). Default 64: one datagram per 64 events of a
  /// burst.
  std::uint32_t qthresh = 64;
  /// NFULA_CFG_TIMEOUT: how long the kernel holds a partial batch, at most
  /// 60 s; 0 means no timer (a partial batch waits for `qthresh`).
  /// Default 1 (10 ms): a lone event arrives within 10 ms.
  centiseconds flush_timeout{1};
  /// NFULA_CFG_NLBUFSIZ: the size of one kernel batch, 4096..131072 bytes.
  /// Default 131072 (the kernel's maximum): fewest datagrams per event.
  std::uint32_t nlbufsiz = max_nlbufsiz;
  /// Per-event extras (sequence numbers, conntrack).
  log_flags flags;
  /// Families to PF_BIND (ipv4, ipv6, bridge, arp). Default ipv4 + ipv6.
  /// PF_BIND is a no-op since Linux 3.17 but harmless, and older kernels
  /// need it to log a family at all.
  std::vector<nfnl::family> families{nfnl::family::ipv4, nfnl::family::ipv6};
  /// Receive buffer to ask for (SO_RCVBUFFORCE), 4 KiB..1 GiB. Default
  /// 8 MiB: with the batching above it absorbed 1M events at ~0.8 Mpps
  /// without loss; the granted size is reported by the listener.
  int rcvbuf = 8 << 20;
  /// Resolve interface indexes to names (in the group's namespace) and
  /// fill `*_name` fields of events. Default on; names are cached per
  /// index and refreshed after a second.
  bool resolve_names = true;

  /// Success, or an `errc::invalid_argument` error that names the first
  /// option out of range and its allowed range.
  [[nodiscard]] result<void> validate() const;
};

// -- request builders
// ---------------------------------------------------------- Each appends one
// NFULNL_MSG_CONFIG message with NLM_F_REQUEST | NLM_F_ACK and sequence number
// `seq` to `out`.

/// NFULNL_CFG_CMD_PF_BIND for `f` (res_id 0).
void append_pf_bind(byte_buffer& out, std::uint32_t seq, nfnl::family f);

/// NFULNL_CFG_CMD_PF_UNBIND for `f` (res_id 0). Before Linux 3.17 this
/// detached the logger of every listener of that family; do not send it
/// casually.
void append_pf_unbind(byte_buffer& out, std::uint32_t seq, nfnl::family f);

/// NFULNL_CFG_CMD_BIND of `group`.
void append_bind(byte_buffer& out, std::uint32_t seq, std::uint16_t group);

/// NFULNL_CFG_CMD_UNBIND of `group`.
void append_unbind(byte_buffer& out, std::uint32_t seq, std::uint16_t group);

/// NFULA_CFG_MODE: copy mode and range for `group`.
void append_mode(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                 copy_mode mode, std::uint32_t range);

/// NFULA_CFG_FLAGS (BE16) for `group`.
void append_flags(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                  log_flags flags);

/// NFULA_CFG_QTHRESH (BE32) for `group`.
void append_qthresh(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                    std::uint32_t qthresh);

/// NFULA_CFG_TIMEOUT (BE32, 1/100 s) for `group`.
void append_timeout(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                    centiseconds timeout);

/// NFULA_CFG_NLBUFSIZ (BE32) for `group`.
void append_nlbufsiz(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                     std::uint32_t bytes);

} // namespace nfactor::nflog
