// SPDX-License-Identifier: Apache-2.0
//
// Netlink attributes (struct nlattr, <linux/netlink.h>):
//
//   0               2               4
//   +---------------+---------------+-------------------------+- - -+
//   |   nla_len     |   nla_type    |  payload (nla_len - 4)  | pad |
//   +---------------+---------------+-------------------------+- - -+
//   nla_type carries NLA_F_NESTED (0x8000) and NLA_F_NET_BYTEORDER (0x4000);
//   each attribute starts on a 4-byte boundary.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"

namespace nfactor::nl {

/// Reads a stream of netlink attributes from a borrowed byte view.
///
/// `next()` steps through the attributes and checks every header against
/// the bytes that remain; typed getters demand the exact payload length.
/// The first problem is recorded and ends the iteration; callers check
/// `ok()` or `status()` once at the end. Nested readers share the error
/// slot of the reader they came from, so one check covers the whole tree.
/// Unknown attribute types are simply the caller's to skip.
///
/// The reader never reads outside the view and never throws.
class attr_reader {
 public:
  /// Reads the attributes in `attrs`; `op` names the decoding operation in
  /// any recorded error ("decode NFLOG packet").
  explicit attr_reader(byte_view attrs, std::string_view op = "decode") noexcept
    : rest_(attrs), op_(op) {}

  /// Moves to the next attribute; false at the end or after an error.
  /// Inline: the one attribute walk, also on the hot paths of the NFLOG
  /// decoder and the node's packer, which run it for every attribute.
  bool next() noexcept {
    if (!ok() || rest_.empty())
      return false;
    if (rest_.size() < header_len) [[unlikely]]
      return fail_header();
    std::uint16_t len = 0;
    std::uint16_t raw_type = 0;
    std::memcpy(&len, rest_.data(), 2);
    std::memcpy(&raw_type, rest_.data() + 2, 2);
    if (len < header_len || len > rest_.size()) [[unlikely]]
      return fail_length(len, raw_type);
    type_ = raw_type & type_mask;
    nested_flag_ = (raw_type & nested_bit) != 0;
    payload_ = rest_.subspan(header_len, len - header_len);
    auto step = std::min<std::size_t>((len + 3u) & ~3u, rest_.size());
    rest_ = rest_.subspan(step);
    offset_ += step;
    return true;
  }

  /// The current attribute's type, without the NESTED/BYTEORDER flags.
  [[nodiscard]] std::uint16_t type() const noexcept { return type_; }

  /// True when the current attribute carries NLA_F_NESTED.
  [[nodiscard]] bool nested_flag() const noexcept { return nested_flag_; }

  /// The current attribute's payload (without padding).
  [[nodiscard]] byte_view bytes() const noexcept { return payload_; }

  std::uint8_t u8() noexcept { return read_int<std::uint8_t>(false); }
  std::uint16_t u16_be() noexcept { return read_int<std::uint16_t>(true); }
  std::uint16_t u16_ne() noexcept { return read_int<std::uint16_t>(false); }
  std::uint32_t u32_be() noexcept { return read_int<std::uint32_t>(true); }
  std::uint32_t u32_ne() noexcept { return read_int<std::uint32_t>(false); }
  std::uint64_t u64_be() noexcept { return read_int<std::uint64_t>(true); }
  std::uint64_t u64_ne() noexcept { return read_int<std::uint64_t>(false); }

  /// The payload as text up to the first NUL (or the end, if none).
  std::string_view str() noexcept;

  /// The payload as an owned string (see `str()`).
  std::string string() { return std::string{str()}; }

  /// A reader over the current attribute's payload that shares this
  /// reader's error slot.
  [[nodiscard]] attr_reader nested() noexcept;

  /// The payload as a trivially copyable struct of exactly `sizeof(T)` bytes
  /// (copied, so alignment does not matter).
  template <class T>
  T fixed() noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    T out{};
    if (check_len(sizeof(T), true))
      std::memcpy(&out, payload_.data(), sizeof(T));
    return out;
  }

  /// Like `fixed()`, but accepts payloads longer than `T` (kernel structs
  /// that may grow in newer kernels); the extra bytes are ignored.
  template <class T>
  T prefix() noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    T out{};
    if (check_len(sizeof(T), false))
      std::memcpy(&out, payload_.data(), sizeof(T));
    return out;
  }

  /// Records `detail` as this reader's error unless one is already there.
  void fail(std::string detail, errc code = errc::bad_attribute);

  /// True while no error has been recorded.
  [[nodiscard]] bool ok() const noexcept { return !slot(); }

  /// The first recorded error, if any.
  [[nodiscard]] const std::optional<error>& err() const noexcept {
    return slot();
  }

  /// Success, or the first recorded error.
  [[nodiscard]] result<void> status() const {
    if (auto& e = slot())
      return *e;
    return {};
  }

 private:
  // NLA_HDRLEN, NLA_F_NESTED and NLA_TYPE_MASK of <linux/netlink.h>
  // (checked against it in attr.cpp; this header stays free of uapi).
  static constexpr std::size_t header_len = 4;
  static constexpr std::uint16_t nested_bit = 0x8000;
  static constexpr std::uint16_t type_mask = 0x3fff;

  // Record why `next()` stops (out of line: the cold paths).
  bool fail_header() noexcept;
  bool fail_length(std::uint16_t len, std::uint16_t raw_type) noexcept;

  attr_reader(byte_view attrs, std::string_view op,
              std::optional<error>* shared) noexcept
    : rest_(attrs), op_(op), shared_(shared) {}

  std::optional<error>& slot() noexcept { return shared_ ? *shared_ : own_; }
  const std::optional<error>& slot() const noexcept {
    return shared_ ? *shared_ : own_;
  }

  bool check_len(std::size_t want, bool exact) noexcept;

  template <class T>
  T read_int(bool big_endian) noexcept {
    T out = 0;
    if (!check_len(sizeof(T), true))
      return 0;
    std::memcpy(&out, payload_.data(), sizeof(T));
    if (big_endian && sizeof(T) > 1) {
      if constexpr (sizeof(T) == 2)
        out = static_cast<T>(__builtin_bswap16(out));
      else if constexpr (sizeof(T) == 4)
        out = static_cast<T>(__builtin_bswap32(out));
      else if constexpr (sizeof(T) == 8)
        out = static_cast<T>(__builtin_bswap64(out));
    }
    return out;
  }

  byte_view rest_;
  byte_view payload_;
  std::size_t offset_ = 0;
  std::uint16_t type_ = 0;
  bool nested_flag_ = false;
  std::string_view op_;
  std::optional<error>* shared_ = nullptr;
  std::optional<error> own_;
};

/// Appends netlink messages and their attributes to a growing buffer.
///
/// Messages are written in place (so batches of many messages need no
/// copies); `begin()` starts a message and `end()` fixes its length. Puts
/// never fail one by one: an attribute that cannot be encoded (a payload
/// over 65531 bytes, an unbalanced nest) is recorded and surfaces once
/// from `status()`.
class message_writer {
 public:
  /// Writes into `out`, appending after whatever it already holds.
  explicit message_writer(byte_buffer& out) noexcept : out_(&out) {}

  /// Starts a message with a netlink header; returns its offset in the
  /// buffer.
  std::size_t begin(std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                    std::uint32_t portid = 0);

  /// Appends an nfgenmsg header (res_id is written big-endian).
  void put_nfgenmsg(std::uint8_t family, std::uint16_t res_id = 0,
                    std::uint8_t version = 0);

  /// Appends raw bytes padded to 4 bytes (a fixed family header).
  void put_raw(byte_view bytes);

  void attr_u8(std::uint16_t type, std::uint8_t v);
  void attr_u16_be(std::uint16_t type, std::uint16_t v);
  void attr_u32_be(std::uint16_t type, std::uint32_t v);
  void attr_u32_ne(std::uint16_t type, std::uint32_t v);
  void attr_u64_be(std::uint16_t type, std::uint64_t v);

  /// A NUL-terminated string attribute.
  void attr_str(std::uint16_t type, std::string_view v);

  /// An attribute with an arbitrary payload.
  void attr_bytes(std::uint16_t type, byte_view v);

  /// An attribute with an empty payload.
  void attr_flag(std::uint16_t type) { attr_bytes(type, {}); }

  /// Opens a nested attribute (NLA_F_NESTED set); pass the token to
  /// `end_nested()`.
  [[nodiscard]] std::size_t begin_nested(std::uint16_t type);

  /// Closes the nested attribute opened with `token`.
  void end_nested(std::size_t token);

  /// Fixes the length of the message opened by `begin()`; returns the
  /// message's size in bytes.
  std::size_t end();

  /// Success, or the first encoding error.
  [[nodiscard]] result<void> status() const {
    if (err_)
      return *err_;
    return {};
  }

  /// The buffer written to.
  [[nodiscard]] byte_buffer& buffer() noexcept { return *out_; }

 private:
  void put_attr(std::uint16_t type, byte_view v, bool nul_terminate);
  void fail(std::string detail);
  void pad();

  byte_buffer* out_;
  std::size_t msg_start_ = 0;
  bool in_message_ = false;
  int open_nests_ = 0;
  std::optional<error> err_;
};

} // namespace nfactor::nl
