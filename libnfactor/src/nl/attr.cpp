// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nl/attr.hpp"

#include <linux/netlink.h>

namespace nfactor::nl {

namespace {

constexpr std::size_t align4(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

constexpr std::size_t max_attr_len = 0xffff;

} // namespace

// -- attr_reader --------------------------------------------------------------

bool attr_reader::fail_header() noexcept {
  static_assert(header_len == NLA_HDRLEN && nested_bit == NLA_F_NESTED &&
                type_mask == static_cast<std::uint16_t>(NLA_TYPE_MASK));
  fail("attribute header at offset " + std::to_string(offset_) + " needs " +
           std::to_string(NLA_HDRLEN) + " bytes, " +
           std::to_string(rest_.size()) + " left",
       errc::truncated);
  return false;
}

bool attr_reader::fail_length(std::uint16_t len,
                              std::uint16_t raw_type) noexcept {
  fail("attribute type " + std::to_string(raw_type & NLA_TYPE_MASK) +
           " at offset " + std::to_string(offset_) + " has length " +
           std::to_string(len) + ", " + std::to_string(rest_.size()) +
           " bytes left",
       errc::truncated);
  return false;
}

std::string_view attr_reader::str() noexcept {
  auto* p = reinterpret_cast<const char*>(payload_.data());
  auto n = payload_.size();
  if (auto* nul = static_cast<const char*>(std::memchr(p, 0, n)))
    n = static_cast<std::size_t>(nul - p);
  return {p, n};
}

attr_reader attr_reader::nested() noexcept {
  return attr_reader{payload_, op_, &slot()};
}

void attr_reader::fail(std::string detail, errc code) {
  auto& s = slot();
  if (!s)
    s = make_error(code, std::string{op_}, std::move(detail));
}

bool attr_reader::check_len(std::size_t want, bool exact) noexcept {
  if (payload_.size() == want || (!exact && payload_.size() > want))
    return true;
  fail("attribute type " + std::to_string(type_) + " has " +
       std::to_string(payload_.size()) + " payload bytes, expected " +
       (exact ? "" : "at least ") + std::to_string(want));
  return false;
}

// -- message_writer -----------------------------------------------------------

std::size_t message_writer::begin(std::uint16_t type, std::uint16_t flags,
                                  std::uint32_t seq, std::uint32_t portid) {
  if (in_message_)
    fail("begin() while a message is open");
  pad();
  msg_start_ = out_->size();
  in_message_ = true;
  open_nests_ = 0;
  nlmsghdr hdr{};
  hdr.nlmsg_len = NLMSG_HDRLEN;
  hdr.nlmsg_type = type;
  hdr.nlmsg_flags = flags;
  hdr.nlmsg_seq = seq;
  hdr.nlmsg_pid = portid;
  auto* p = reinterpret_cast<const std::uint8_t*>(&hdr);
  out_->insert(out_->end(), p, p + sizeof(hdr));
  return msg_start_;
}

void message_writer::put_nfgenmsg(std::uint8_t family, std::uint16_t res_id,
                                  std::uint8_t version) {
  std::uint8_t raw[4] = {family, version,
                         static_cast<std::uint8_t>(res_id >> 8),
                         static_cast<std::uint8_t>(res_id & 0xff)};
  put_raw(raw);
}

void message_writer::put_raw(byte_view bytes) {
  out_->insert(out_->end(), bytes.begin(), bytes.end());
  pad();
}

void message_writer::attr_u8(std::uint16_t type, std::uint8_t v) {
  attr_bytes(type, {&v, 1});
}

void message_writer::attr_u16_be(std::uint16_t type, std::uint16_t v) {
  v = __builtin_bswap16(v);
  attr_bytes(type, {reinterpret_cast<const std::uint8_t*>(&v), 2});
}

void message_writer::attr_u32_be(std::uint16_t type, std::uint32_t v) {
  v = __builtin_bswap32(v);
  attr_bytes(type, {reinterpret_cast<const std::uint8_t*>(&v), 4});
}

void message_writer::attr_u32_ne(std::uint16_t type, std::uint32_t v) {
  attr_bytes(type, {reinterpret_cast<const std::uint8_t*>(&v), 4});
}

void message_writer::attr_u64_be(std::uint16_t type, std::uint64_t v) {
  v = __builtin_bswap64(v);
  attr_bytes(type, {reinterpret_cast<const std::uint8_t*>(&v), 8});
}

void message_writer::attr_str(std::uint16_t type, std::string_view v) {
  put_attr(type, {reinterpret_cast<const std::uint8_t*>(v.data()), v.size()},
           true);
}

void message_writer::attr_bytes(std::uint16_t type, byte_view v) {
  put_attr(type, v, false);
}

void message_writer::put_attr(std::uint16_t type, byte_view v, bool nul) {
  auto start = out_->size();
  auto len = NLA_HDRLEN + v.size() + (nul ? 1 : 0);
  if (len > max_attr_len) {
    fail("attribute type " + std::to_string(type) + " has a payload of " +
         std::to_string(v.size()) + " bytes");
    return;
  }
  out_->resize(start + NLA_HDRLEN);
  auto len16 = static_cast<std::uint16_t>(len);
  std::memcpy(out_->data() + start, &len16, 2);
  std::memcpy(out_->data() + start + 2, &type, 2);
  out_->insert(out_->end(), v.begin(), v.end());
  if (nul)
    out_->push_back(0);
  pad();
}

std::size_t message_writer::begin_nested(std::uint16_t type) {
  auto start = out_->size();
  out_->resize(start + NLA_HDRLEN);
  std::uint16_t t = type | NLA_F_NESTED;
  std::memcpy(out_->data() + start + 2, &t, 2);
  ++open_nests_;
  return start;
}

void message_writer::end_nested(std::size_t token) {
  if (open_nests_ == 0 || token + NLA_HDRLEN > out_->size()) {
    fail("end_nested() without a matching begin_nested()");
    return;
  }
  --open_nests_;
  auto len = out_->size() - token;
  if (len > max_attr_len) {
    fail("nested attribute is " + std::to_string(len) + " bytes long");
    len = 0;
  }
  auto len16 = static_cast<std::uint16_t>(len);
  std::memcpy(out_->data() + token, &len16, 2);
}

std::size_t message_writer::end() {
  if (!in_message_) {
    fail("end() without begin()");
    return 0;
  }
  if (open_nests_ != 0)
    fail(std::to_string(open_nests_) + " nested attribute(s) left open");
  in_message_ = false;
  pad();
  auto len = static_cast<std::uint32_t>(out_->size() - msg_start_);
  std::memcpy(out_->data() + msg_start_, &len, 4);
  return len;
}

void message_writer::fail(std::string detail) {
  if (!err_)
    err_ = make_error(errc::invalid_argument, "encode netlink message",
                      std::move(detail));
}

void message_writer::pad() {
  out_->resize(align4(out_->size()));
}

} // namespace nfactor::nl
