// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfqueue/config.hpp"

#include <string>

#include <linux/netlink.h>

#include "nfactor/nfnl/config.hpp"

namespace nfactor::nfqueue {

namespace {

constexpr nfnl::option_checks checks{"validate NFQUEUE options", "queued"};

void append_cmd(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                std::uint8_t command, std::uint16_t pf) {
  nfqnl_msg_config_cmd cmd{};
  cmd.command = command;
  cmd.pf = htons(pf);
  nfnl::append_config(out, seq, nfnl::subsys::queue, NFQNL_MSG_CONFIG,
                      AF_UNSPEC, queue, NFQA_CFG_CMD, nfnl::bytes_of(cmd));
}

} // namespace

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
    return checks.bad("queue must be 0..65535 (got " + std::to_string(queue) +
                      ")");
  if (auto ok = checks.copy(mode, copy_range, false); !ok)
    return ok;
  if (max_queue_len < 1 || max_queue_len > (1u << 20))
    return checks.bad("max_queue_len must be 1..1048576 packets (got " +
                      std::to_string(max_queue_len) + ")");
  if (auto ok = checks.families(families); !ok)
    return ok;
  return checks.rcvbuf(rcvbuf);
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
  nfqnl_msg_config_params p{};
  p.copy_range = htonl(range);
  p.copy_mode = static_cast<std::uint8_t>(mode);
  nfnl::append_config(out, seq, nfnl::subsys::queue, NFQNL_MSG_CONFIG,
                      AF_UNSPEC, queue, NFQA_CFG_PARAMS, nfnl::bytes_of(p));
}

void append_max_queue_len(byte_buffer& out, std::uint32_t seq,
                          std::uint16_t queue, std::uint32_t packets) {
  nfnl::append_config_u32(out, seq, nfnl::subsys::queue, NFQNL_MSG_CONFIG,
                          queue, NFQA_CFG_QUEUE_MAXLEN, packets);
}

void append_flags(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                  queue_flags flags, std::uint32_t mask) {
  nl::message_writer w{out};
  nfnl::begin_config(w, seq, nfnl::subsys::queue, NFQNL_MSG_CONFIG, AF_UNSPEC,
                     queue);
  w.attr_u32_be(NFQA_CFG_MASK, mask);
  w.attr_u32_be(NFQA_CFG_FLAGS, flags.to_wire() & mask);
  w.end();
}

} // namespace nfactor::nfqueue
