// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfqueue/packet.hpp"

#include <cstdio>

#include <linux/netfilter/nfnetlink_queue.h>

#include "nfactor/nfnl/codec.hpp"

namespace nfactor::nfqueue {

bool queue_packet::is_gso() const noexcept {
  return skb_info && (*skb_info & NFQA_SKB_GSO) != 0;
}

std::string to_string(const queue_packet& p) {
  std::string out = "queue " + std::to_string(p.queue) + " id " +
                    std::to_string(p.id) + " " +
                    nfnl::to_string(static_cast<nfnl::family>(p.family)) + " " +
                    nflog::hook_name(p.family, p.hook);
  auto dev = [&](const char* what, const std::optional<std::uint32_t>& idx,
                 const std::optional<std::string>& name) {
    if (!idx)
      return;
    out += std::string{" "} + what + " ";
    out += name ? *name : std::to_string(*idx);
  };
  dev("in", p.indev, p.indev_name);
  dev("out", p.outdev, p.outdev_name);
  dev("physin", p.physindev, p.physindev_name);
  dev("physout", p.physoutdev, p.physoutdev_name);
  if (p.mark) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%x", *p.mark);
    out += std::string{" mark "} + buf;
  }
  if (p.uid)
    out += " uid " + std::to_string(*p.uid);
  if (p.gid)
    out += " gid " + std::to_string(*p.gid);
  if (p.payload)
    out += " len " + std::to_string(p.cap_len.value_or(
                         static_cast<std::uint32_t>(p.payload->size())));
  if (p.is_gso())
    out += " gso";
  return out;
}

} // namespace nfactor::nfqueue
