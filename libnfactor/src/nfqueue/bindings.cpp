// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfqueue/bindings.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include <linux/netlink.h>

#include "nfactor/nl/attr.hpp"

namespace nfactor::nfqueue {

namespace {

// /proc/net follows the reading thread's namespace; run_in_for() reads it
// from a helper thread inside `ns`.
constexpr const char* proc_path =
    "/proc/thread-self/net/netfilter/nfnetlink_queue";

std::string queue_name(std::uint16_t q) {
  return "queue " + std::to_string(q);
}

} // namespace

result<std::vector<queue_binding>> read_bindings(const sys::netns& ns) {
  return sys::run_in_for(ns, [&]() -> result<std::vector<queue_binding>> {
    std::ifstream in{proc_path};
    if (!in)
      return errno_error("read nfnetlink_queue bindings", proc_path);
    std::vector<queue_binding> out;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields{line};
      unsigned queue = 0, mode = 0;
      queue_binding b;
      if (fields >> queue >> b.portid >> b.queue_total >> mode >>
          b.copy_range >> b.queue_dropped >> b.user_dropped >> b.id_sequence) {
        b.queue = static_cast<std::uint16_t>(queue);
        b.copy_mode = static_cast<std::uint8_t>(mode);
        out.push_back(b);
      }
    }
    return out;
  });
}

std::optional<queue_binding> find_binding(const sys::netns& ns,
                                          std::uint16_t queue) {
  auto all = read_bindings(ns);
  if (!all)
    return std::nullopt;
  for (const auto& b : *all)
    if (b.queue == queue)
      return b;
  return std::nullopt;
}

void append_bind_configured(byte_buffer& out, std::uint32_t seq,
                            const options& o) {
  const auto q = static_cast<std::uint16_t>(o.queue);
  nl::message_writer w{out};
  w.begin(nfnl::nlmsg_type(nfnl::subsys::queue, NFQNL_MSG_CONFIG),
          NLM_F_REQUEST | NLM_F_ACK, seq);
  w.put_nfgenmsg(AF_UNSPEC, q);
  nfqnl_msg_config_cmd cmd{};
  cmd.command = NFQNL_CFG_CMD_BIND;
  w.attr_bytes(NFQA_CFG_CMD,
               {reinterpret_cast<const std::uint8_t*>(&cmd), sizeof(cmd)});
  nfqnl_msg_config_params p{};
  p.copy_range = htonl(o.copy_range);
  p.copy_mode = static_cast<std::uint8_t>(o.mode);
  w.attr_bytes(NFQA_CFG_PARAMS,
               {reinterpret_cast<const std::uint8_t*>(&p), sizeof(p)});
  w.attr_u32_be(NFQA_CFG_QUEUE_MAXLEN, o.max_queue_len);
  w.attr_u32_be(NFQA_CFG_MASK, queue_flags::mask);
  w.attr_u32_be(NFQA_CFG_FLAGS, o.flags.to_wire());
  w.end();
}

result<void> bind_queue(sys::socket& sock, const options& o,
                        const sys::exchange_options& ex) {
  const auto q = static_cast<std::uint16_t>(o.queue);
  auto op = "NFQNL_CFG_CMD_BIND " + queue_name(q);
  byte_buffer req;
  auto seq = sock.next_seq();
  append_bind_configured(req, seq, o);
  auto st = sys::request(sock, req, seq, op, {}, ex);
  if (st)
    return st;
  auto e = std::move(st).err();
  switch (e.errno_value()) {
  case EPERM: {
    auto owner = find_binding(sock.ns(), q);
    e.detail =
        queue_name(q) + " is bound by another socket" +
        (owner ? " (netlink portid " + std::to_string(owner->portid) + ")"
               : std::string{});
    e.code = make_error_code(errc::busy);
    break;
  }
  case EBUSY:
    e.detail = queue_name(q) +
               " is already bound by this socket (netlink portid " +
               std::to_string(sock.portid()) + ")";
    e.code = make_error_code(errc::busy);
    break;
  case EOPNOTSUPP:
    e.detail = "the kernel cannot honour the queue flags";
    if (o.flags.conntrack)
      e.detail += "; conntrack needs CONFIG_NF_CT_NETLINK and conntrack "
                  "glue (CONFIG_NETFILTER_NETLINK_GLUE_CT)";
    if (o.flags.secctx)
      e.detail += "; secctx needs CONFIG_NETWORK_SECMARK";
    break;
  default:
    break;
  }
  return e;
}

result<void> unbind_queue(sys::socket& sock, std::uint16_t queue,
                          const sys::exchange_options& ex) {
  byte_buffer req;
  auto seq = sock.next_seq();
  append_unbind(req, seq, queue);
  return sys::request(sock, req, seq,
                      "NFQNL_CFG_CMD_UNBIND " + queue_name(queue), {}, ex);
}

} // namespace nfactor::nfqueue
