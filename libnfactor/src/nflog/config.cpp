// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/config.hpp"

#include <string>

#include <linux/netlink.h>

#include "nfactor/nfnl/config.hpp"

namespace nfactor::nflog {

namespace {

constexpr nfnl::option_checks checks{"validate NFLOG options", "logged"};

void append_cmd(byte_buffer& out, std::uint32_t seq, std::uint8_t family,
                std::uint16_t group, std::uint8_t command) {
  nfulnl_msg_config_cmd cmd{command};
  nfnl::append_config(out, seq, nfnl::subsys::ulog, NFULNL_MSG_CONFIG, family,
                      group, NFULA_CFG_CMD, nfnl::bytes_of(cmd));
}

void append_u32(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                std::uint16_t type, std::uint32_t v) {
  nfnl::append_config_u32(out, seq, nfnl::subsys::ulog, NFULNL_MSG_CONFIG,
                          group, type, v);
}

} // namespace

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
    return checks.bad("group is required and must be 1..65535 (got 0)");
  if (auto ok = checks.copy(mode, copy_range, true); !ok)
    return ok;
  if (qthresh < 1 || qthresh > 1024)
    return checks.bad("qthresh must be 1..1024 (got " +
                      std::to_string(qthresh) + ")");
  if (flush_timeout > centiseconds{6000})
    return checks.bad("flush_timeout must be at most 60 s = 6000 cs (got " +
                      std::to_string(flush_timeout.count()) + " cs)");
  if (nlbufsiz < 4096 || nlbufsiz > max_nlbufsiz)
    return checks.bad("nlbufsiz must be 4096.." + std::to_string(max_nlbufsiz) +
                      " bytes (got " + std::to_string(nlbufsiz) + ")");
  if (auto ok = checks.families(families); !ok)
    return ok;
  return checks.rcvbuf(rcvbuf);
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
  nfulnl_msg_config_mode m{};
  m.copy_range = htonl(range);
  m.copy_mode = static_cast<std::uint8_t>(mode);
  nfnl::append_config(out, seq, nfnl::subsys::ulog, NFULNL_MSG_CONFIG,
                      AF_UNSPEC, group, NFULA_CFG_MODE, nfnl::bytes_of(m));
}

void append_flags(byte_buffer& out, std::uint32_t seq, std::uint16_t group,
                  log_flags flags) {
  std::uint16_t wire = htons(flags.to_wire());
  nfnl::append_config(out, seq, nfnl::subsys::ulog, NFULNL_MSG_CONFIG,
                      AF_UNSPEC, group, NFULA_CFG_FLAGS, nfnl::bytes_of(wire));
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
