// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/config.hpp"

#include <string>

#include <linux/netlink.h>

#include "nfactor/nl/attr.hpp"

namespace nfactor::nflog {

namespace {

constexpr std::string_view op = "validate NFLOG options";

error bad(std::string detail) {
  return make_error(errc::invalid_argument, std::string{op}, std::move(detail));
}

// Starts an NFULNL_MSG_CONFIG message for (family, group).
void begin_config(nl::message_writer& w, std::uint32_t seq, std::uint8_t family,
                  std::uint16_t group) {
  w.begin(nfnl::nlmsg_type(nfnl::subsys::ulog, NFULNL_MSG_CONFIG),
          NLM_F_REQUEST | NLM_F_ACK, seq);
  w.put_nfgenmsg(family, group);
}

void append_cmd(byte_buffer& out, std::uint32_t seq, std::uint8_t family,
                std::uint16_t group, std::uint8_t command) {
  nl::message_writer w{out};
  begin_config(w, seq, family, group);
  nfulnl_msg_config_cmd cmd{command};
  w.attr_bytes(NFULA_CFG_CMD,
               {reinterpret_cast<const std::uint8_t*>(&cmd), sizeof(cmd)});
  w.end();
}

void append_u32(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                std::uint16_t type, std::uint32_t v) {
  nl::message_writer w{out};
  begin_config(w, seq, AF_UNSPEC, group);
  w.attr_u32_be(type, v);
  w.end();
}

} // namespace

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

std::uint16_t log_flags::to_wire() const noexcept {
  std::uint16_t out = 0;
  if (seq)
    out |= NFULNL_CFG_F_SEQ;
  if (seq_global)
    out |= NFULNL_CFG_F_SEQ_GLOBAL;
  if (conntrack)
    out |= NFULNL_CFG_F_CONNTRACK;
  return out;
}

result<void> options::validate() const {
  if (group == 0)
    return bad("group is required and must be 1..65535 (got 0)");
  switch (mode) {
  case copy_mode::none:
  case copy_mode::meta:
    if (copy_range != 0)
      return bad("copy_range " + std::to_string(copy_range) +
                 " needs copy_mode packet (copy_mode is " + to_string(mode) +
                 ")");
    break;
  case copy_mode::packet:
    if (copy_range > max_copy_range)
      return bad("copy_range must be 0 (whole packet) or 1.." +
                 std::to_string(max_copy_range) + " (got " +
                 std::to_string(copy_range) + ")");
    break;
  default:
    return bad("copy_mode " + std::to_string(static_cast<int>(mode)) +
               " is not none, meta or packet");
  }
  if (qthresh < 1 || qthresh > 1024)
    return bad("qthresh must be 1..1024 (got " + std::to_string(qthresh) + ")");
  if (flush_timeout > centiseconds{6000})
    return bad("flush_timeout must be at most 60 s = 6000 cs (got " +
               std::to_string(flush_timeout.count()) + " cs)");
  if (nlbufsiz < 4096 || nlbufsiz > max_nlbufsiz)
    return bad("nlbufsiz must be 4096.." + std::to_string(max_nlbufsiz) +
               " bytes (got " + std::to_string(nlbufsiz) + ")");
  if (families.empty())
    return bad("families must name at least one of ipv4, ipv6, bridge, arp");
  for (auto f : families) {
    switch (f) {
    case nfnl::family::ipv4:
    case nfnl::family::ipv6:
    case nfnl::family::bridge:
    case nfnl::family::arp:
      break;
    default:
      return bad(std::string{"family "} + nfnl::to_string(f) + " (" +
                 std::to_string(static_cast<int>(f)) +
                 ") cannot be logged; use ipv4, ipv6, bridge or arp");
    }
  }
  if (rcvbuf < 4096 || rcvbuf > (1 << 30))
    return bad("rcvbuf must be 4096 bytes..1 GiB (got " +
               std::to_string(rcvbuf) + ")");
  return {};
}

void append_pf_bind(byte_buffer& out, std::uint32_t seq, nfnl::family f) {
  append_cmd(out, seq, static_cast<std::uint8_t>(f), 0, NFULNL_CFG_CMD_PF_BIND);
}

void append_pf_unbind(byte_buffer& out, std::uint32_t seq, nfnl::family f) {
  append_cmd(out, seq, static_cast<std::uint8_t>(f), 0,
             NFULNL_CFG_CMD_PF_UNBIND);
}

void append_bind(byte_buffer& out, std::uint32_t seq, std::uint16_t group) {
  append_cmd(out, seq, AF_UNSPEC, group, NFULNL_CFG_CMD_BIND);
}

void append_unbind(byte_buffer& out, std::uint32_t seq, std::uint16_t group) {
  append_cmd(out, seq, AF_UNSPEC, group, NFULNL_CFG_CMD_UNBIND);
}

void append_mode(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                 copy_mode mode, std::uint32_t range) {
  nl::message_writer w{out};
  begin_config(w, seq, AF_UNSPEC, group);
  nfulnl_msg_config_mode m{};
  m.copy_range = htonl(range);
  m.copy_mode = static_cast<std::uint8_t>(mode);
  w.attr_bytes(NFULA_CFG_MODE,
               {reinterpret_cast<const std::uint8_t*>(&m), sizeof(m)});
  w.end();
}

void append_flags(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                  log_flags flags) {
  nl::message_writer w{out};
  begin_config(w, seq, AF_UNSPEC, group);
  w.attr_u16_be(NFULA_CFG_FLAGS, flags.to_wire());
  w.end();
}

void append_qthresh(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                    std::uint32_t qthresh) {
  append_u32(out, seq, group, NFULA_CFG_QTHRESH, qthresh);
}

void append_timeout(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                    centiseconds timeout) {
  append_u32(out, seq, group, NFULA_CFG_TIMEOUT, timeout.count());
}

void append_nlbufsiz(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                     std::uint32_t bytes) {
  append_u32(out, seq, group, NFULA_CFG_NLBUFSIZ, bytes);
}

} // namespace nfactor::nflog
