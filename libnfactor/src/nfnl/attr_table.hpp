// SPDX-License-Identifier: Apache-2.0
//
// Descriptor tables for nfnetlink packet messages (private to libnfactor).
// NFLOG events and NFQUEUE packets carry mostly the same attribute shapes
// (BE32 ifindexes and marks, BE64 timestamps, a hardware address struct, a
// ctnetlink nest, a VLAN nest, opaque bytes): each shape here reads one
// attribute into a member of the decoded value and writes it back, and a
// table of `row`s maps attribute types to shapes. A decoder is one loop
// over its table (`decode_attrs`), an encoder one walk (`encode_attrs`), so
// a new attribute is one new row in the subsystem's table.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <endian.h>
#include <linux/netlink.h>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nflog/conntrack.hpp"
#include "nfactor/nflog/event.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nfnl::table {

using writer = nl::message_writer;
/// The storage decoded bytes live in (see `nflog::shared_bytes`).
using owner_ref = const std::shared_ptr<const void>&;

/// The attribute being decoded: the hot path's inline stand-in for an
/// `nl::attr_reader` positioned on it, with the same exact-length checks
/// and error texts. Nests are read with a real `nl::attr_reader`
/// (`nested()`, then `adopt()` its error).
class cursor {
 public:
  explicit cursor(std::string_view op) noexcept : op_(op) {}

  void on(std::uint16_t type, byte_view payload) noexcept {
    type_ = type;
    payload_ = payload;
  }
  [[nodiscard]] byte_view bytes() const noexcept { return payload_; }
  std::uint16_t u16_be() noexcept {
    return __builtin_bswap16(read_int<std::uint16_t>());
  }
  std::uint32_t u32_be() noexcept {
    return __builtin_bswap32(read_int<std::uint32_t>());
  }
  /// Text up to the first NUL (or the end).
  std::string_view str() const noexcept {
    auto* p = reinterpret_cast<const char*>(payload_.data());
    auto n = payload_.size();
    if (auto* nul = static_cast<const char*>(std::memchr(p, 0, n)))
      n = static_cast<std::size_t>(nul - p);
    return {p, n};
  }
  template <class T>
  T fixed() noexcept {
    T out{};
    if (check_len(sizeof(T)))
      std::memcpy(&out, payload_.data(), sizeof(T));
    return out;
  }
  [[nodiscard]] nl::attr_reader nested() const noexcept {
    return nl::attr_reader{payload_, op_};
  }
  void adopt(const nl::attr_reader& in) {
    if (auto& e = in.err(); e && ok())
      fail(e->code, e->detail);
  }
  void fail(std::string detail) {
    fail(make_error_code(errc::bad_attribute), std::move(detail));
  }
  void fail(std::error_code code, std::string detail) {
    if (!ok())
      return;
    code_ = code;
    detail_ = std::move(detail);
  }
  [[nodiscard]] bool ok() const noexcept { return !code_; }
  [[nodiscard]] std::error_code code() const noexcept { return code_; }
  [[nodiscard]] std::string& detail() noexcept { return detail_; }

 private:
  bool check_len(std::size_t want) {
    if (payload_.size() == want) [[likely]]
      return true;
    fail("attribute type " + std::to_string(type_) + " has " +
         std::to_string(payload_.size()) + " payload bytes, expected " +
         std::to_string(want));
    return false;
  }
  template <class T>
  T read_int() noexcept {
    T out = 0;
    if (check_len(sizeof(T)))
      std::memcpy(&out, payload_.data(), sizeof(T));
    return out;
  }

  std::string_view op_;
  std::uint16_t type_ = 0;
  byte_view payload_;
  std::error_code code_;
  std::string detail_;
};

namespace detail {
template <class M>
struct member_of;
template <class C, class T>
struct member_of<T C::*> {
  using object = C;
};
} // namespace detail

/// The struct a member pointer `M` points into.
template <auto M>
using object_of = typename detail::member_of<decltype(M)>::object;

// -- wire shapes ------------------------------------------------------------
// Each shape reads one attribute into the member `M` (an optional) of the
// decoded value and writes it back when present.

/// A BE16 integer.
template <auto M>
struct be16 {
  using value = object_of<M>;
  static void read(cursor& r, value& e, owner_ref) { e.*M = r.u16_be(); }
  static void write(writer& w, std::uint16_t t, const value& e) {
    if (e.*M)
      w.attr_u16_be(t, *(e.*M));
  }
};

/// A BE32 integer.
template <auto M>
struct be32 {
  using value = object_of<M>;
  static void read(cursor& r, value& e, owner_ref) { e.*M = r.u32_be(); }
  static void write(writer& w, std::uint16_t t, const value& e) {
    if (e.*M)
      w.attr_u32_be(t, *(e.*M));
  }
};

/// A NUL-terminated string (the kernel includes the NUL).
template <auto M>
struct cstring {
  using value = object_of<M>;
  static void read(cursor& r, value& e, owner_ref) { (e.*M).emplace(r.str()); }
  static void write(writer& w, std::uint16_t t, const value& e) {
    if (e.*M)
      w.attr_str(t, *(e.*M));
  }
};

/// Opaque bytes, shared with the datagram (no copy).
template <auto M>
struct blob {
  using value = object_of<M>;
  static void read(cursor& r, value& e, owner_ref owner) {
    (e.*M).emplace(owner, r.bytes());
  }
  static void write(writer& w, std::uint16_t t, const value& e) {
    if (e.*M)
      w.attr_bytes(t, *(e.*M));
  }
};

/// A BE64 seconds + microseconds struct (nfulnl_msg_packet_timestamp,
/// nfqnl_msg_packet_timestamp) into an `nflog::timestamp`.
template <class Wire, auto M>
struct timestamp {
  using value = object_of<M>;
  static void read(cursor& r, value& e, owner_ref) {
    auto ts = r.fixed<Wire>();
    if (r.ok())
      e.*M = nflog::timestamp{static_cast<std::int64_t>(be64toh(ts.sec)),
                              static_cast<std::int64_t>(be64toh(ts.usec))};
  }
  static void write(writer& w, std::uint16_t t, const value& e) {
    if (!(e.*M))
      return;
    Wire ts{};
    ts.sec = htobe64(static_cast<std::uint64_t>((e.*M)->sec));
    ts.usec = htobe64(static_cast<std::uint64_t>((e.*M)->usec));
    w.attr_bytes(t, {reinterpret_cast<const std::uint8_t*>(&ts), sizeof(ts)});
  }
};

/// A BE16 length, pad, 8 address bytes struct (nfulnl_msg_packet_hw,
/// nfqnl_msg_packet_hw) into an `nflog::hw_address`.
template <class Wire, auto M>
struct hw_addr {
  using value = object_of<M>;
  static void read(cursor& r, value& e, owner_ref) {
    auto hw = r.fixed<Wire>();
    if (!r.ok())
      return;
    auto a = nflog::hw_address::from_wire(hw.hw_addrlen, hw.hw_addr);
    if (!a) {
      r.fail("hw_addrlen " + std::to_string(be16toh(hw.hw_addrlen)) +
             " exceeds 8 bytes");
      return;
    }
    e.*M = *a;
  }
  static void write(writer& w, std::uint16_t t, const value& e) {
    if (!(e.*M))
      return;
    Wire hw{};
    hw.hw_addrlen = htobe16((e.*M)->len);
    std::memcpy(hw.hw_addr, (e.*M)->bytes.data(), sizeof(hw.hw_addr));
    w.attr_bytes(t, {reinterpret_cast<const std::uint8_t*>(&hw), sizeof(hw)});
  }
};

/// A ctnetlink nest (NFULA_CT, NFQA_CT): the raw bytes into `Raw` and the
/// parsed entry into `Parsed`.
template <auto Raw, auto Parsed>
struct ct_nest {
  using value = object_of<Raw>;
  static void read(cursor& r, value& e, owner_ref owner) {
    (e.*Raw).emplace(owner, r.bytes());
    auto in = r.nested();
    e.*Parsed = nflog::decode_conntrack(in);
    r.adopt(in);
  }
  static void write(writer& w, std::uint16_t t, const value& e) {
    // The raw nest byte for byte (re-nesting would count the padding of
    // an odd-length payload as part of it).
    if (e.*Raw)
      w.attr_bytes(static_cast<std::uint16_t>(t | NLA_F_NESTED), *(e.*Raw));
  }
};

/// A VLAN nest of `Proto` and `Tci` (BE16 each) into an `nflog::vlan_tag`
/// (NFULA_VLAN, NFQA_VLAN).
template <auto M, std::uint16_t Proto, std::uint16_t Tci>
struct vlan_nest {
  using value = object_of<M>;
  static void read(cursor& r, value& e, owner_ref) {
    nflog::vlan_tag v;
    auto in = r.nested();
    while (in.next()) {
      if (in.type() == Proto)
        v.proto = in.u16_be();
      else if (in.type() == Tci)
        v.tci = in.u16_be();
    }
    r.adopt(in);
    if (r.ok())
      e.*M = v;
  }
  static void write(writer& w, std::uint16_t t, const value& e) {
    if (!(e.*M))
      return;
    auto tok = w.begin_nested(t);
    w.attr_u16_be(Proto, (e.*M)->proto);
    w.attr_u16_be(Tci, (e.*M)->tci);
    w.end_nested(tok);
  }
};

// -- tables -----------------------------------------------------------------

/// One attribute of a message kind: its type, its name, and how it is read
/// into and written from a `Value`.
template <class Value>
struct row {
  std::uint16_t type;
  std::string_view name;
  void (*read)(cursor&, Value&, owner_ref);
  void (*write)(writer&, std::uint16_t, const Value&);
};

/// One row: the attribute constant, its name (spelt once), its shape.
#define NFACTOR_ATTR_ROW(attr, ...)                                            \
  { attr, #attr, &__VA_ARGS__::read, &__VA_ARGS__::write }

/// `rows` indexed by attribute type (0..Max), for a constant-time lookup
/// per attribute.
template <std::size_t Max, class Value, std::size_t N>
constexpr std::array<const row<Value>*, Max + 1>
index_rows(const row<Value> (&rows)[N]) {
  std::array<const row<Value>*, Max + 1> out{};
  for (const auto& r : rows)
    out[r.type] = &r;
  return out;
}

/// The name of attribute `type` in `by_type`, or "".
template <class Index>
constexpr std::string_view name_of(const Index& by_type,
                                   std::uint16_t type) noexcept {
  if (type < by_type.size() && by_type[type])
    return by_type[type]->name;
  return {};
}

/// Reads the attributes in `attrs` into `out` through `by_type`, skipping
/// types the table does not know (newer kernels add attributes). False,
/// with `err` set (named `op` and the attribute), on the first malformed
/// one. The attribute walk of `nl::attr_reader::next()`, inline: this loop
/// runs for every attribute of every packet.
template <class Value, std::size_t K>
bool decode_attrs(byte_view attrs,
                  const std::array<const row<Value>*, K>& by_type, Value& out,
                  std::optional<error>& err, owner_ref owner,
                  std::string_view op) {
  const auto size = attrs.size();
  cursor r{op};
  for (std::size_t off = 0; off < size;) {
    auto left = size - off;
    if (left < NLA_HDRLEN) [[unlikely]] {
      err = make_error(errc::truncated, std::string{op},
                       "attribute header at offset " + std::to_string(off) +
                           " needs " + std::to_string(NLA_HDRLEN) + " bytes, " +
                           std::to_string(left) + " left");
      return false;
    }
    std::uint16_t len = 0;
    std::uint16_t raw_type = 0;
    std::memcpy(&len, attrs.data() + off, 2);
    std::memcpy(&raw_type, attrs.data() + off + 2, 2);
    std::uint16_t t = raw_type & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN || len > left) [[unlikely]] {
      err = make_error(errc::truncated, std::string{op},
                       "attribute type " + std::to_string(t) + " at offset " +
                           std::to_string(off) + " has length " +
                           std::to_string(len) + ", " + std::to_string(left) +
                           " bytes left");
      return false;
    }
    if (t < by_type.size() && by_type[t]) {
      r.on(t, attrs.subspan(off + NLA_HDRLEN, len - NLA_HDRLEN));
      by_type[t]->read(r, out, owner);
      if (!r.ok()) [[unlikely]] {
        err = make_error(r.code(), std::string{op},
                         std::string{by_type[t]->name} + ": " + r.detail());
        return false;
      }
    }
    off += std::min<std::size_t>(NLA_ALIGN(len), left);
  }
  return true;
}

/// Decodes `msg` into `out` (reset first) with `fresh(msg, out, err,
/// owner)`, the decoder of a message kind. The decoded bytes refer into
/// `storage` when given; otherwise the message's bytes are copied once
/// into a block of the value's own.
template <class Value, class Fresh>
result<void> decode_into(const nl::message& msg, Value& out,
                         const std::shared_ptr<const void>& storage,
                         Fresh fresh) {
  out = Value{};
  std::optional<error> err;
  if (storage) {
    if (!fresh(msg, out, err, storage))
      return std::move(*err);
    return {};
  }
  auto block =
      std::make_shared<byte_buffer>(msg.payload.begin(), msg.payload.end());
  nl::message m = msg;
  m.payload = byte_view{*block};
  if (!fresh(m, out, err, block))
    return std::move(*err);
  return {};
}

/// Decodes `msg` with `fresh` into a new element at the end of `out`,
/// removed again on error (which goes to `err`).
template <class Value, class Fresh>
bool decode_back(const nl::message& msg, std::vector<Value>& out,
                 std::optional<error>& err,
                 const std::shared_ptr<const void>& storage, Fresh fresh) {
  if (fresh(msg, out.emplace_back(), err, storage))
    return true;
  out.pop_back();
  return false;
}

/// Writes every present attribute of `v`, in table order.
template <class Value, std::size_t N>
void encode_attrs(writer& w, const row<Value> (&rows)[N], const Value& v) {
  for (const auto& r : rows)
    r.write(w, r.type, v);
}

} // namespace nfactor::nfnl::table
