// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfqueue/config.hpp"

#include <string>

#include <linux/netlink.h>

#include "nfactor/nl/attr.hpp"

namespace nfactor::nfqueue {

namespace {

constexpr std::string_view op = "validate NFQUEUE options";

error bad(std::string detail) {
  return make_error(errc::invalid_argument, std::string{op}, std::move(detail));
}

// Starts an NFQNL_MSG_CONFIG message for `queue`.
void begin_config(nl::message_writer& w, std::uint32_t seq,
                  std::uint16_t queue) {
  w.begin(nfnl::nlmsg_type(nfnl::subsys::queue, NFQNL_MSG_CONFIG),
          NLM_F_REQUEST | NLM_F_ACK, seq);
  w.put_nfgenmsg(AF_UNSPEC, queue);
}

void append_cmd(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                std::uint8_t command, std::uint16_t pf) {
  nl::message_writer w{out};
  begin_config(w, seq, queue);
  nfqnl_msg_config_cmd cmd{};
  cmd.command = command;
  cmd.pf = htons(pf);
  w.attr_bytes(NFQA_CFG_CMD,
               {reinterpret_cast<const std::uint8_t*>(&cmd), sizeof(cmd)});
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

std::uint32_t queue_flags::to_wire() const noexcept {
  std::uint32_t out = 0;
  if (fail_open)
    out |= NFQA_CFG_F_FAIL_OPEN;
  if (conntrack)
    out |= NFQA_CFG_F_CONNTRACK;
  if (gso)
    out |= NFQA_CFG_F_GSO;
  if (uid_gid)
    out |= NFQA_CFG_F_UID_GID;
  if (secctx)
    out |= NFQA_CFG_F_SECCTX;
  return out;
}

result<void> options::validate() const {
  if (queue > 0xffff)
    return bad("queue must be 0..65535 (got " + std::to_string(queue) + ")");
  switch (mode) {
  case copy_mode::meta:
    if (copy_range != 0)
      return bad("copy_range " + std::to_string(copy_range) +
                 " needs copy_mode packet (copy_mode is meta)");
    break;
  case copy_mode::packet:
    if (copy_range > max_copy_range)
      return bad("copy_range must be 0 (whole packet) or 1.." +
                 std::to_string(max_copy_range) + " (got " +
                 std::to_string(copy_range) + ")");
    break;
  case copy_mode::none:
    return bad("copy_mode none queues nothing; use meta or packet");
  default:
    return bad("copy_mode " + std::to_string(static_cast<int>(mode)) +
               " is not meta or packet");
  }
  if (max_queue_len < 1 || max_queue_len > (1u << 20))
    return bad("max_queue_len must be 1..1048576 packets (got " +
               std::to_string(max_queue_len) + ")");
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
                 ") cannot be queued; use ipv4, ipv6, bridge or arp");
    }
  }
  if (rcvbuf < 4096 || rcvbuf > (1 << 30))
    return bad("rcvbuf must be 4096 bytes..1 GiB (got " +
               std::to_string(rcvbuf) + ")");
  return {};
}

void append_pf_bind(byte_buffer& out, std::uint32_t seq, nfnl::family f) {
  append_cmd(out, seq, 0, NFQNL_CFG_CMD_PF_BIND, static_cast<std::uint8_t>(f));
}

void append_pf_unbind(byte_buffer& out, std::uint32_t seq, nfnl::family f) {
  append_cmd(out, seq, 0, NFQNL_CFG_CMD_PF_UNBIND,
             static_cast<std::uint8_t>(f));
}

void append_bind(byte_buffer& out, std::uint32_t seq, std::uint16_t queue) {
  append_cmd(out, seq, queue, NFQNL_CFG_CMD_BIND, 0);
}

void append_unbind(byte_buffer& out, std::uint32_t seq, std::uint16_t queue) {
  append_cmd(out, seq, queue, NFQNL_CFG_CMD_UNBIND, 0);
}

void append_params(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                   copy_mode mode, std::uint32_t range) {
  nl::message_writer w{out};
  begin_config(w, seq, queue);
  nfqnl_msg_config_params p{};
  p.copy_range = htonl(range);
  p.copy_mode = static_cast<std::uint8_t>(mode);
  w.attr_bytes(NFQA_CFG_PARAMS,
               {reinterpret_cast<const std::uint8_t*>(&p), sizeof(p)});
  w.end();
}

void append_max_queue_len(byte_buffer& out, std::uint32_t seq,
                          std::uint16_t queue, std::uint32_t packets) {
  nl::message_writer w{out};
  begin_config(w, seq, queue);
  w.attr_u32_be(NFQA_CFG_QUEUE_MAXLEN, packets);
  w.end();
}

void append_flags(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                  queue_flags flags, std::uint32_t mask) {
  nl::message_writer w{out};
  begin_config(w, seq, queue);
  w.attr_u32_be(NFQA_CFG_MASK, mask);
  w.attr_u32_be(NFQA_CFG_FLAGS, flags.to_wire() & mask);
  w.end();
}

} // namespace nfactor::nfqueue
