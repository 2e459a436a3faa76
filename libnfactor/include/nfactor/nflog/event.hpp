// SPDX-License-Identifier: Apache-2.0
//
// One logged packet (NFULNL_MSG_PACKET, <linux/netfilter/nfnetlink_log.h>):
//
//   nlmsghdr | nfgenmsg {family, v0, res_id = group (BE16)} | NFULA_* ...
//
// Which attributes the kernel sends depends on the hook, the copy mode, the
// flags and the packet (net/netfilter/nfnetlink_log.c, __build_packet_message):
// every one is optional here, and absent is not zero.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "nfactor/boxed.hpp"
#include "nfactor/bytes.hpp"
#include "nfactor/nflog/conntrack.hpp"

namespace nfactor::nflog {

/// Read-only bytes of one attribute that share the storage of the datagram
/// they came in: decoding copies a datagram once into a reference-counted
/// block, and every event's payload, hardware header, conntrack and layer-2
/// bytes point into it (no allocation per event). Copying is cheap and
/// safe; the block lives as long as any `shared_bytes` refers to it (so
/// keeping one payload keeps its datagram, at most `nlbufsiz` bytes). Built
/// from a `byte_buffer` (tests, replay) it owns a copy of its own.
class shared_bytes {
 public:
  shared_bytes() noexcept = default;

  /// Copies `bytes` into a block of its own.
  explicit shared_bytes(byte_view bytes);

  /// Copies `bytes` into a block of its own.
  shared_bytes(const byte_buffer& bytes) // NOLINT: implicit on purpose
    : shared_bytes(byte_view{bytes}) {}

  /// Refers to `bytes`, which lie inside the storage `owner` keeps alive.
  shared_bytes(const std::shared_ptr<const void>& owner,
               byte_view bytes) noexcept
    : data_(owner, bytes.data()),
      size_(static_cast<std::uint32_t>(bytes.size())) {}

  [[nodiscard]] const std::uint8_t* data() const noexcept {
    return data_.get();
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const std::uint8_t* begin() const noexcept { return data(); }
  [[nodiscard]] const std::uint8_t* end() const noexcept {
    return data() + size_;
  }
  [[nodiscard]] std::uint8_t operator[](std::size_t i) const noexcept {
    return data()[i];
  }
  /// The bytes as a view (valid while this object lives).
  [[nodiscard]] byte_view view() const noexcept { return {data(), size_}; }
  operator byte_view() const noexcept { return view(); } // NOLINT
  /// An owned copy.
  [[nodiscard]] byte_buffer to_buffer() const { return {begin(), end()}; }

  /// Compares the bytes, not the storage.
  friend bool operator==(const shared_bytes& a,
                         const shared_bytes& b) noexcept {
    return equal(a.view(), b.view());
  }
  friend bool operator==(const shared_bytes& a, const byte_buffer& b) noexcept {
    return equal(a.view(), byte_view{b});
  }

  /// Hex pairs ("45 00 00 54"), for test failure messages.
  friend std::ostream& operator<<(std::ostream& os, const shared_bytes& x);

 private:
  static bool equal(byte_view a, byte_view b) noexcept;

  std::shared_ptr<const std::uint8_t> data_;
  std::uint32_t size_ = 0;
};

/// When the packet was received (NFULA_TIMESTAMP), Unix time.
struct timestamp {
  std::int64_t sec = 0;
  std::int64_t usec = 0;

  friend bool operator==(const timestamp&, const timestamp&) = default;
};

/// The link-layer source address (NFULA_HWADDR, struct nfulnl_msg_packet_hw).
struct hw_address {
  /// Valid bytes in `bytes` (at most 8).
  std::uint16_t len = 0;
  std::array<std::uint8_t, 8> bytes{};

  /// "00:11:22:33:44:55".
  [[nodiscard]] std::string to_string() const;

  /// The address in the kernel's struct of NFULA_HWADDR (and NFQA_HWADDR):
  /// its big-endian length field `be_len` and its 8 address bytes; nullopt
  /// when the length exceeds 8. The one reader of that struct for the
  /// decoders and nfactor-log's JSON.
  [[nodiscard]] static std::optional<hw_address>
  from_wire(std::uint16_t be_len, const std::uint8_t (&addr)[8]) noexcept;

  friend bool operator==(const hw_address&, const hw_address&) = default;
};

/// VLAN tag of the packet (the NFULA_VLAN nest).
struct vlan_tag {
  /// NFULA_VLAN_PROTO: the tag protocol (0x8100, 0x88a8).
  std::uint16_t proto = 0;
  /// NFULA_VLAN_TCI: priority, DEI and VLAN id.
  std::uint16_t tci = 0;

  friend bool operator==(const vlan_tag&, const vlan_tag&) = default;
};

/// One NFLOG event, owned (safe to keep and to send between actors).
///
/// Every attribute is optional: absent means the kernel did not send it,
/// not zero. Byte-valued attributes are `shared_bytes` into the datagram
/// the event came in (see there); the parsed conntrack entry, large and
/// rare, is `boxed`.
struct log_event {
  /// The packet's protocol family (nfgenmsg.nfgen_family: NFPROTO_*).
  std::uint8_t family = 0;
  /// The NFLOG group (nfgenmsg.res_id).
  std::uint16_t group = 0;

  /// NFULA_PACKET_HDR: the link-layer protocol (ETH_P_*, host order).
  std::optional<std::uint16_t> hw_protocol;
  /// NFULA_PACKET_HDR: the netfilter hook (NF_INET_*).
  std::optional<std::uint8_t> hook;
  /// NFULA_MARK (the kernel sends it only when non-zero).
  std::optional<std::uint32_t> mark;
  /// NFULA_TIMESTAMP.
  std::optional<nflog::timestamp> timestamp;
  /// NFULA_IFINDEX_* and, when resolved, the interface names.
  std::optional<std::uint32_t> indev;
  std::optional<std::uint32_t> outdev;
  std::optional<std::uint32_t> physindev;
  std::optional<std::uint32_t> physoutdev;
  std::optional<std::string> indev_name;
  std::optional<std::string> outdev_name;
  std::optional<std::string> physindev_name;
  std::optional<std::string> physoutdev_name;
  /// NFULA_HWADDR.
  std::optional<hw_address> hwaddr;
  /// NFULA_PAYLOAD: the packet from the network header on (copy mode
  /// packet only, cut to the copy range or the rule's snaplen).
  std::optional<shared_bytes> payload;
  /// NFULA_PREFIX (nft always sends one, possibly empty).
  std::optional<std::string> prefix;
  /// NFULA_UID / NFULA_GID of the socket that owns the packet.
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  /// NFULA_SEQ (per group) and NFULA_SEQ_GLOBAL (per namespace).
  std::optional<std::uint32_t> seq;
  std::optional<std::uint32_t> seq_global;
  /// NFULA_HWTYPE (ARPHRD_*), NFULA_HWLEN, NFULA_HWHEADER.
  std::optional<std::uint16_t> hwtype;
  std::optional<std::uint16_t> hwlen;
  std::optional<shared_bytes> hwheader;
  /// NFULA_CT (raw ctnetlink attributes) and its parsed fields.
  std::optional<shared_bytes> ct;
  boxed<nflog::conntrack> conntrack;
  /// NFULA_CT_INFO (enum ip_conntrack_info).
  std::optional<std::uint32_t> ctinfo;
  /// NFULA_VLAN.
  std::optional<vlan_tag> vlan;
  /// NFULA_L2HDR: the full link-layer header (bridge family).
  std::optional<shared_bytes> l2hdr;

  friend bool operator==(const log_event&, const log_event&) = default;
};

/// One of an event's four interfaces: the member holding its index
/// (NFULA_IFINDEX_*) and the member holding its name.
struct interface_member {
  std::optional<std::uint32_t> log_event::*index;
  std::optional<std::string> log_event::*name;
};

/// The four interfaces of an event (in, out, physical in, physical out),
/// listed once for every place that handles them together.
inline constexpr std::array<interface_member, 4> interface_members{{
    {&log_event::indev, &log_event::indev_name},
    {&log_event::outdev, &log_event::outdev_name},
    {&log_event::physindev, &log_event::physindev_name},
    {&log_event::physoutdev, &log_event::physoutdev_name},
}};

/// Names the interfaces of `ev` whose index is set: `name_of(index)`
/// returns a `const std::string*` to the name, or nullptr to leave the
/// name as it is (unknown). The one fill of the four names, for a local
/// listener (its name cache) and a batch's receiver (the batch's names).
template <class NameOf>
void fill_interface_names(log_event& ev, NameOf&& name_of) {
  for (const auto& m : interface_members)
    if (const auto& idx = ev.*m.index)
      if (const std::string* name = name_of(*idx))
        ev.*m.name = *name;
}

/// One line for logs: "group 5 ip output prefix "x" out lo uid 0 len 84".
[[nodiscard]] std::string to_string(const log_event& ev);

/// The name of netfilter hook `hook` in `family` ("input", "output", ...).
[[nodiscard]] const char* hook_name(std::uint8_t family,
                                    std::uint8_t hook) noexcept;

} // namespace nfactor::nflog
