// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfnl/config.hpp"

#include <string>

#include <linux/netlink.h>

namespace nfactor::nfnl {

const char* to_string(copy_mode m) noexcept {
  switch (m) {
  case copy_mode::none:
    return "none";
  case copy_mode::meta:
    return "meta";
  case copy_mode::packet:
    return "packet";
  }
  return "unknown";
}

error option_checks::bad(std::string detail) const {
  return make_error(errc::invalid_argument, std::string{op}, std::move(detail));
}

result<void> option_checks::copy(copy_mode m, std::uint32_t range,
                                 bool none_allowed) const {
  switch (m) {
  case copy_mode::none:
    if (!none_allowed)
      return bad("copy_mode none queues nothing; use meta or packet");
    [[fallthrough]];
  case copy_mode::meta:
    if (range != 0)
      return bad("copy_range " + std::to_string(range) +
                 " needs copy_mode packet (copy_mode is " + to_string(m) + ")");
    return {};
  case copy_mode::packet:
    if (range > max_copy_range)
      return bad("copy_range must be 0 (whole packet) or 1.." +
                 std::to_string(max_copy_range) + " (got " +
                 std::to_string(range) + ")");
    return {};
  }
  return bad("copy_mode " + std::to_string(static_cast<int>(m)) + " is not " +
             (none_allowed ? "none, meta or packet" : "meta or packet"));
}

result<void> option_checks::families(const std::vector<family>& fs) const {
  if (fs.empty())
    return bad("families must name at least one of ipv4, ipv6, bridge, arp");
  for (auto f : fs) {
    switch (f) {
    case family::ipv4:
    case family::ipv6:
    case family::bridge:
    case family::arp:
      break;
    default:
      return bad(std::string{"family "} + to_string(f) + " (" +
                 std::to_string(static_cast<int>(f)) + ") cannot be " +
                 std::string{verb} + "; use ipv4, ipv6, bridge or arp");
    }
  }
  return {};
}

result<void> option_checks::rcvbuf(int bytes) const {
  if (bytes < 4096 || bytes > (1 << 30))
    return bad("rcvbuf must be 4096 bytes..1 GiB (got " +
               std::to_string(bytes) + ")");
  return {};
}

void begin_config(nl::message_writer& w, std::uint32_t seq, subsys s,
                  std::uint8_t msg, std::uint8_t fam, std::uint16_t res_id) {
  w.begin(nlmsg_type(s, msg), NLM_F_REQUEST | NLM_F_ACK, seq);
  w.put_nfgenmsg(fam, res_id);
}

void append_config(byte_buffer& out, std::uint32_t seq, subsys s,
                   std::uint8_t msg, std::uint8_t fam, std::uint16_t res_id,
                   std::uint16_t attr, byte_view value) {
  nl::message_writer w{out};
  begin_config(w, seq, s, msg, fam, res_id);
  w.attr_bytes(attr, value);
  w.end();
}

void append_config_u32(byte_buffer& out, std::uint32_t seq, subsys s,
                       std::uint8_t msg, std::uint16_t res_id,
                       std::uint16_t attr, std::uint32_t value) {
  nl::message_writer w{out};
  begin_config(w, seq, s, msg, AF_UNSPEC, res_id);
  w.attr_u32_be(attr, value);
  w.end();
}

} // namespace nfactor::nfnl
