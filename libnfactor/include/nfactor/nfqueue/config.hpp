// SPDX-License-Identifier: Apache-2.0
//
// NFQUEUE configuration (NFQNL_MSG_CONFIG,
// <linux/netfilter/nfnetlink_queue.h>). Every config message is an nfnetlink
// message of subsystem NFNL_SUBSYS_QUEUE whose nfgenmsg carries AF_UNSPEC and
// res_id = the queue number (BE16):
//
//   nlmsghdr | nfgenmsg {AF_UNSPEC, v0, res_id = queue (BE16)} | attributes
//
//   NFQA_CFG_CMD          struct nfqnl_msg_config_cmd {u8 command, pad,
//                                                      BE16 pf}
//   NFQA_CFG_PARAMS       struct nfqnl_msg_config_params {BE32 range,
//                                                         u8 mode} (packed)
//   NFQA_CFG_QUEUE_MAXLEN BE32 packets
//   NFQA_CFG_MASK         BE32 NFQA_CFG_F_* bits to change
//   NFQA_CFG_FLAGS        BE32 their new values (the kernel wants both)
//
// The kernel (net/netfilter/nfnetlink_queue.c, nfqnl_recv_config) refuses
// a queue held by another socket with EPERM, a second BIND from the holder
// with EBUSY, and settings for a queue nobody bound with ENODEV.
// PF_BIND/PF_UNBIND are accepted and ignored since Linux 3.8.
#pragma once

#include <cstdint>
#include <vector>

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nfnl/config.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::nfqueue {

/// How much of each packet the kernel copies (NFQNL_COPY_*): the one
/// enum both per-packet subsystems share.
using copy_mode = nfnl::copy_mode;
using nfnl::to_string;

/// Largest copy range the kernel honours (NFQNL_MAX_COPY_RANGE in
/// net/netfilter/nfnetlink_queue.c: 0xffff minus an attribute header).
inline constexpr std::uint32_t max_copy_range = nfnl::max_copy_range;

/// The kernel's own queue length when none is configured
/// (NFQNL_QMAX_DEFAULT).
inline constexpr std::uint32_t kernel_default_maxlen = 1024;

/// Per-queue behaviour switches (NFQA_CFG_FLAGS with NFQA_CFG_MASK).
struct queue_flags {
  /// NFQA_CFG_F_FAIL_OPEN: when the queue is full, accept packets instead
  /// of dropping them. Off by default: a verdict queue is usually a
  /// security decision, and failing open lets unchecked packets through.
  bool fail_open = false;
  /// NFQA_CFG_F_CONNTRACK: the packet's conntrack entry (NFQA_CT,
  /// NFQA_CT_INFO). Off by default; needs conntrack active in the
  /// namespace (a rule that uses `ct`).
  bool conntrack = false;
  /// NFQA_CFG_F_GSO: hand over GSO packets unsegmented (one large payload,
  /// NFQA_SKB_INFO says so). Off by default: the kernel segments them, so
  /// every payload is one wire-sized packet whose checksums a rewrite can
  /// keep right.
  bool gso = false;
  /// NFQA_CFG_F_UID_GID: the owning socket's uid and gid (NFQA_UID,
  /// NFQA_GID). Off by default.
  bool uid_gid = false;
  /// NFQA_CFG_F_SECCTX: the packet's security context (NFQA_SECCTX).
  /// Off by default; needs CONFIG_NETWORK_SECMARK.
  bool secctx = false;

  /// The NFQA_CFG_F_* value bits.
  [[nodiscard]] std::uint32_t to_wire() const noexcept;
  /// Every bit this struct controls (the NFQA_CFG_MASK nfactor sends, so
  /// a flag left false is cleared, never inherited).
  static constexpr std::uint32_t mask = NFQA_CFG_F_FAIL_OPEN |
                                        NFQA_CFG_F_CONNTRACK | NFQA_CFG_F_GSO |
                                        NFQA_CFG_F_UID_GID | NFQA_CFG_F_SECCTX;

  friend bool operator==(const queue_flags&, const queue_flags&) = default;
};

/// Everything needed to bind and configure one NFQUEUE queue.
struct options {
  /// The queue number, 0..65535 (iptables `-j NFQUEUE --queue-num N`,
  /// nft `queue num N`). Default 0. Wider than 16 bits so that a number
  /// from a command line or policy file is refused by `validate()`, not
  /// truncated.
  std::uint32_t queue = 0;
  /// The namespace whose packets to queue. Default: the caller's.
  sys::netns ns = sys::netns::current();
  /// How much of each packet to copy. Default `packet`: a verdict usually
  /// depends on the payload.
  copy_mode mode = copy_mode::packet;
  /// With `copy_mode::packet`, the most payload bytes per packet
  /// (1..max_copy_range); 0 (the default) means the whole packet. Must be
  /// 0 for `meta`. A payload rewrite needs the whole packet.
  std::uint32_t copy_range = 0;
  /// NFQA_CFG_QUEUE_MAXLEN: packets the kernel holds waiting for a verdict
  /// before it drops (or, with `fail_open`, accepts) new ones, 1..1048576.
  /// Default 8192, not the kernel's 1024: packets waiting in the receive
  /// buffer and in the owner's batches all count against it, and bursts
  /// past 1024 are what fills kernel logs with "nf_queue: full at 1024
  /// entries, dropping packet(s)". Each held packet keeps its buffer
  /// (~2-4 KiB), so 8192 bounds the kernel's memory at ~32 MiB.
  std::uint32_t max_queue_len = 8192;
  /// Behaviour switches (all off by default).
  queue_flags flags;
  /// Families to PF_BIND first (ipv4, ipv6, bridge, arp). Default ipv4 +
  /// ipv6. PF_BIND is a no-op since Linux 3.8 but harmless, and older
  /// kernels need it to queue a family at all.
  std::vector<nfnl::family> families{nfnl::family::ipv4, nfnl::family::ipv6};
  /// Receive buffer to ask for (SO_RCVBUFFORCE), 4 KiB..1 GiB. Default
  /// 8 MiB: room for a few thousand queued packets, so a burst waits in
  /// the buffer instead of overrunning it (ENOBUFS).
  int rcvbuf = 8 << 20;
  /// Resolve interface indexes to names (in the queue's namespace) and
  /// fill the `*_name` fields of packets. Default off: a verdict path
  /// rarely needs names, and indexes are exact.
  bool resolve_names = false;

  /// Success, or an `errc::invalid_argument` error that names the first
  /// option out of range and its allowed range.
  [[nodiscard]] result<void> validate() const;
};

// -- request builders ---------------------------------------------------------
// Each appends one NFQNL_MSG_CONFIG message with NLM_F_REQUEST | NLM_F_ACK
// and sequence number `seq` to `out`.

/// NFQNL_CFG_CMD_PF_BIND for `f` (res_id 0, pf in the command).
void append_pf_bind(byte_buffer& out, std::uint32_t seq, nfnl::family f);

/// NFQNL_CFG_CMD_PF_UNBIND for `f`. Before Linux 3.8 this detached the
/// queue handler of every listener of that family; do not send it
/// casually.
void append_pf_unbind(byte_buffer& out, std::uint32_t seq, nfnl::family f);

/// NFQNL_CFG_CMD_BIND of `queue`.
void append_bind(byte_buffer& out, std::uint32_t seq, std::uint16_t queue);

/// NFQNL_CFG_CMD_UNBIND of `queue`. The kernel drops every packet still
/// waiting for a verdict (send verdicts first).
void append_unbind(byte_buffer& out, std::uint32_t seq, std::uint16_t queue);

/// NFQA_CFG_PARAMS: copy mode and range for `queue`.
void append_params(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                   copy_mode mode, std::uint32_t range);

/// NFQA_CFG_QUEUE_MAXLEN (BE32) for `queue`.
void append_max_queue_len(byte_buffer& out, std::uint32_t seq,
                          std::uint16_t queue, std::uint32_t packets);

/// NFQA_CFG_FLAGS and NFQA_CFG_MASK (BE32 each) for `queue`: sets the
/// bits of `mask` to their values in `flags`.
void append_flags(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                  queue_flags flags, std::uint32_t mask = queue_flags::mask);

} // namespace nfactor::nfqueue
