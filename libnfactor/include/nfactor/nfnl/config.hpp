// SPDX-License-Identifier: Apache-2.0
//
// What the per-packet subsystems' configuration shares: NFLOG
// (NFULNL_MSG_CONFIG) and NFQUEUE (NFQNL_MSG_CONFIG) bind an instance,
// PF_BIND families, and set how much of each packet is copied, with the
// same copy modes and the same limits. nflog::options and
// nfqueue::options validate and encode through these.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nl/attr.hpp"

namespace nfactor::nfnl {

/// How much of each packet the kernel copies: the same values for NFLOG
/// (NFULNL_COPY_*) and NFQUEUE (NFQNL_COPY_*).
enum class copy_mode : std::uint8_t {
  /// No packet data (NFULNL_COPY_NONE). NFQUEUE refuses to queue to an
  /// instance in this mode (it is a queue bound but not configured).
  none = NFULNL_COPY_NONE,
  /// Metadata only: interfaces, mark, uid, ... but no payload.
  meta = NFULNL_COPY_META,
  /// Metadata and payload, up to the options' `copy_range` bytes.
  packet = NFULNL_COPY_PACKET,
};
static_assert(NFULNL_COPY_NONE == NFQNL_COPY_NONE &&
              NFULNL_COPY_META == NFQNL_COPY_META &&
              NFULNL_COPY_PACKET == NFQNL_COPY_PACKET);

/// The name of `m` ("none", "meta", "packet").
const char* to_string(copy_mode m) noexcept;

/// Largest copy range either kernel subsystem honours (0xffff minus an
/// attribute header: NFULNL_COPY_RANGE_MAX, and NFQUEUE's clamp).
inline constexpr std::uint32_t max_copy_range = 0xffff - 4;

/// The checks both subsystems' `options::validate()` make. Each error is
/// `errc::invalid_argument` with `op` as its operation.
struct option_checks {
  /// The operation errors name ("validate NFLOG options").
  std::string_view op;
  /// What the subsystem does with a packet, for messages ("logged").
  std::string_view verb;

  /// An invalid-argument error with `detail`.
  error bad(std::string detail) const;
  /// `range` must be 0 unless `m` is packet, and at most max_copy_range.
  /// `none_allowed` false: copy_mode none is refused (NFQUEUE).
  result<void> copy(copy_mode m, std::uint32_t range, bool none_allowed) const;
  /// At least one family, each of ipv4, ipv6, bridge or arp.
  result<void> families(const std::vector<family>& fs) const;
  /// 4096 bytes..1 GiB.
  result<void> rcvbuf(int bytes) const;
};

/// Starts a config request (type `msg` of `s`, NLM_F_REQUEST | NLM_F_ACK,
/// sequence `seq`) for instance `res_id` with nfgen family `fam`; the
/// caller adds attributes and ends it.
void begin_config(nl::message_writer& w, std::uint32_t seq, subsys s,
                  std::uint8_t msg, std::uint8_t fam, std::uint16_t res_id);

/// Appends one config request (type `msg` of `s`, NLM_F_REQUEST |
/// NLM_F_ACK, sequence `seq`) for instance `res_id` with nfgen family
/// `fam` and one attribute `attr` holding `value`.
void append_config(byte_buffer& out, std::uint32_t seq, subsys s,
                   std::uint8_t msg, std::uint8_t fam, std::uint16_t res_id,
                   std::uint16_t attr, byte_view value);

/// The same with a 32-bit big-endian attribute.
void append_config_u32(byte_buffer& out, std::uint32_t seq, subsys s,
                       std::uint8_t msg, std::uint16_t res_id,
                       std::uint16_t attr, std::uint32_t value);

/// The bytes of a kernel struct, for `append_config`.
template <class T>
byte_view bytes_of(const T& x) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(&x), sizeof(T)};
}

} // namespace nfactor::nfnl
