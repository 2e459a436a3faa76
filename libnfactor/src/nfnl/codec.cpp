// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfnl/codec.hpp"

#include <string_view>

#include <linux/netlink.h>

#include "nfactor/nl/attr.hpp"

namespace nfactor::nfnl {

namespace {

struct family_name {
  family value;
  std::string_view name;
};

// nft's own spellings of the families.
constexpr family_name family_names[] = {
    {family::unspec, "unspec"}, {family::inet, "inet"},
    {family::ipv4, "ip"},       {family::arp, "arp"},
    {family::netdev, "netdev"}, {family::bridge, "bridge"},
    {family::ipv6, "ip6"},
};

} // namespace

const char* to_string(family f) noexcept {
  for (auto& fn : family_names)
    if (fn.value == f)
      return fn.name.data();
  return "unknown";
}

std::optional<family> family_from_string(std::string_view name) noexcept {
  for (auto& fn : family_names)
    if (fn.name == name)
      return fn.value;
  return std::nullopt;
}

result<nfgenmsg> decode_nfgenmsg(byte_view payload) {
  if (payload.size() < 4)
    return make_error(errc::truncated, "decode nfgenmsg",
                      std::to_string(payload.size()) +
                          " bytes, the header needs 4");
  nfgenmsg out;
  out.family = payload[0];
  out.version = payload[1];
  out.res_id = static_cast<std::uint16_t>((payload[2] << 8) | payload[3]);
  out.rest = payload.subspan(4);
  return out;
}

void append_batch_begin(byte_buffer& out, subsys target, std::uint32_t seq,
                        std::optional<std::uint32_t> genid) {
  nl::message_writer w{out};
  w.begin(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq);
  w.put_nfgenmsg(NFPROTO_UNSPEC, static_cast<std::uint8_t>(target));
  if (genid)
    w.attr_u32_be(NFNL_BATCH_GENID, *genid);
  w.end();
}

void append_batch_end(byte_buffer& out, subsys target, std::uint32_t seq) {
  nl::message_writer w{out};
  w.begin(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq);
  w.put_nfgenmsg(NFPROTO_UNSPEC, static_cast<std::uint8_t>(target));
  w.end();
}

byte_buffer batch_begin(subsys target, std::optional<std::uint32_t> genid,
                        std::uint32_t seq) {
  byte_buffer out;
  append_batch_begin(out, target, seq, genid);
  return out;
}

byte_buffer batch_end(subsys target, std::uint32_t seq) {
  byte_buffer out;
  append_batch_end(out, target, seq);
  return out;
}

} // namespace nfactor::nfnl
