// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nl/message.hpp"

#include <cstring>

#include <linux/netlink.h>

#include "nfactor/nl/attr.hpp"

namespace nfactor::nl {

bool message_reader::next() noexcept {
  if (err_ || rest_.empty())
    return false;
  if (rest_.size() < NLMSG_HDRLEN) {
    err_ = make_error(errc::truncated, "read netlink datagram",
                      "header at offset " + std::to_string(offset_) +
                          " needs " + std::to_string(NLMSG_HDRLEN) +
                          " bytes, " + std::to_string(rest_.size()) + " left");
    return false;
  }
  nlmsghdr hdr;
  std::memcpy(&hdr, rest_.data(), sizeof(hdr));
  if (hdr.nlmsg_len < NLMSG_HDRLEN || hdr.nlmsg_len > rest_.size()) {
    err_ = make_error(errc::bad_message, "read netlink datagram",
                      "message at offset " + std::to_string(offset_) +
                          " claims " + std::to_string(hdr.nlmsg_len) +
                          " bytes, " + std::to_string(rest_.size()) + " left");
    return false;
  }
  msg_.type = hdr.nlmsg_type;
  msg_.flags = hdr.nlmsg_flags;
  msg_.seq = hdr.nlmsg_seq;
  msg_.portid = hdr.nlmsg_pid;
  msg_.bytes = rest_.first(hdr.nlmsg_len);
  msg_.payload = msg_.bytes.subspan(NLMSG_HDRLEN);
  auto step = std::min<std::size_t>(NLMSG_ALIGN(hdr.nlmsg_len), rest_.size());
  rest_ = rest_.subspan(step);
  offset_ += step;
  return true;
}

result<ack> decode_ack(const message& msg) {
  static constexpr std::string_view op = "decode NLMSG_ERROR";
  if (msg.type != NLMSG_ERROR)
    return make_error(errc::bad_message, std::string{op},
                      "message type " + std::to_string(msg.type));
  if (msg.payload.size() < sizeof(nlmsgerr))
    return make_error(errc::truncated, std::string{op},
                      std::to_string(msg.payload.size()) +
                          " payload bytes, need " +
                          std::to_string(sizeof(nlmsgerr)));
  nlmsgerr raw;
  std::memcpy(&raw, msg.payload.data(), sizeof(raw));
  ack out;
  if (raw.error > 0 || raw.error < -4095)
    return make_error(errc::bad_message, std::string{op},
                      "error field " + std::to_string(raw.error) +
                          " is not a negative errno");
  out.error = -raw.error;
  out.seq = raw.msg.nlmsg_seq;
  out.request_type = raw.msg.nlmsg_type;
  auto tlv_start = sizeof(nlmsgerr);
  if (!(msg.flags & NLM_F_CAPPED) && raw.msg.nlmsg_len > NLMSG_HDRLEN)
    tlv_start += NLMSG_ALIGN(raw.msg.nlmsg_len - NLMSG_HDRLEN);
  if (!(msg.flags & NLM_F_ACK_TLVS))
    return out;
  if (tlv_start > msg.payload.size())
    return make_error(errc::truncated, std::string{op},
                      "extended ACK starts past the end of the message");
  attr_reader attrs{msg.payload.subspan(tlv_start), op};
  while (attrs.next()) {
    switch (attrs.type()) {
    case NLMSGERR_ATTR_MSG:
      out.extack = attrs.string();
      break;
    case NLMSGERR_ATTR_OFFS:
      out.extack_offset = attrs.u32_ne();
      break;
    default:
      break;
    }
  }
  if (auto st = attrs.status(); !st)
    return std::move(st).err();
  return out;
}

error ack_error(const ack& a, std::string op) {
  auto e = make_error(errno_code(a.error), std::move(op));
  e.seq = a.seq;
  e.extack = a.extack;
  e.extack_offset = a.extack_offset;
  return e;
}

} // namespace nfactor::nl
