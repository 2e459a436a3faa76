// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/group.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "nfactor/nflog/config.hpp"

namespace nfactor::nflog {

namespace {

// /proc/net follows the reading thread's namespace; run_in() reads it from
// a helper thread inside `ns`.
constexpr const char* proc_path =
    "/proc/thread-self/net/netfilter/nfnetlink_log";

} // namespace

result<std::vector<group_binding>> read_bindings(const sys::netns& ns) {
  return sys::run_in_for(ns, [&]() -> result<std::vector<group_binding>> {
    std::ifstream in{proc_path};
    if (!in)
      return errno_error("read nfnetlink_log bindings", proc_path);
    std::vector<group_binding> out;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields{line};
      unsigned group = 0, mode = 0;
      group_binding b;
      if (fields >> group >> b.portid >> b.qlen >> mode >> b.copy_range >>
          b.flush_timeout >> b.use) {
        b.group = static_cast<std::uint16_t>(group);
        b.copy_mode = static_cast<std::uint8_t>(mode);
        out.push_back(b);
      }
    }
    return out;
  });
}

std::optional<group_binding> find_binding(const sys::netns& ns,
                                          std::uint16_t group) {
  auto all = read_bindings(ns);
  if (!all)
    return std::nullopt;
  for (const auto& b : *all)
    if (b.group == group)
      return b;
  return std::nullopt;
}

result<void> bind_group(sys::socket& sock, std::uint16_t group,
                        const sys::exchange_options& opts) {
  auto op = "NFULNL_CFG_CMD_BIND group " + std::to_string(group);
  byte_buffer req;
  auto seq = sock.next_seq();
  append_bind(req, seq, group);
  auto st = sys::request(sock, req, seq, op, {}, opts);
  if (st)
    return st;
  auto e = std::move(st).err();
  auto owner = [&]() -> std::string {
    if (auto b = find_binding(sock.ns(), group))
      return " (netlink portid " + std::to_string(b->portid) + ")";
    return {};
  };
  if (e.errno_value() == EPERM)
    e.detail = "group " + std::to_string(group) +
               " is bound by another socket" + owner();
  else if (e.errno_value() == EBUSY)
    e.detail = "group " + std::to_string(group) +
               " is already bound by this socket (netlink portid " +
               std::to_string(sock.portid()) + ")";
  return e;
}

result<void> unbind_group(sys::socket& sock, std::uint16_t group,
                          const sys::exchange_options& opts) {
  byte_buffer req;
  auto seq = sock.next_seq();
  append_unbind(req, seq, group);
  return sys::request(sock, req, seq,
                      "NFULNL_CFG_CMD_UNBIND group " + std::to_string(group),
                      {}, opts);
}

} // namespace nfactor::nflog
