// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/event.hpp"

#include <cstdio>
#include <cstring>
#include <ostream>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter_arp.h>

#include "nfactor/nfnl/codec.hpp"

namespace nfactor::nflog {

shared_bytes::shared_bytes(byte_view bytes)
  : size_(static_cast<std::uint32_t>(bytes.size())) {
  auto block = std::make_shared_for_overwrite<std::uint8_t[]>(bytes.size());
  if (!bytes.empty())
    std::memcpy(block.get(), bytes.data(), bytes.size());
  data_ = std::shared_ptr<const std::uint8_t>(block, block.get());
}

bool shared_bytes::equal(byte_view a, byte_view b) noexcept {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

std::ostream& operator<<(std::ostream& os, const shared_bytes& x) {
  return os << to_hex(x.view());
}

std::string hw_address::to_string() const {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < len && i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof(buf), i ? ":%02x" : "%02x", bytes[i]);
    out += buf;
  }
  return out;
}

std::optional<hw_address>
hw_address::from_wire(std::uint16_t be_len,
                      const std::uint8_t (&addr)[8]) noexcept {
  hw_address a;
  a.len = ntohs(be_len);
  if (a.len > a.bytes.size())
    return std::nullopt;
  std::memcpy(a.bytes.data(), addr, a.len);
  return a;
}

const char* hook_name(std::uint8_t family, std::uint8_t hook) noexcept {
  if (family == NFPROTO_ARP) {
    switch (hook) {
    case NF_ARP_IN:
      return "input";
    case NF_ARP_OUT:
      return "output";
    case NF_ARP_FORWARD:
      return "forward";
    default:
      return "unknown";
    }
  }
  if (family == NFPROTO_NETDEV) {
    switch (hook) {
    case NF_NETDEV_INGRESS:
      return "ingress";
    case NF_NETDEV_EGRESS:
      return "egress";
    default:
      return "unknown";
    }
  }
  // ip, ip6, inet and bridge share the NF_INET_* numbering.
  switch (hook) {
  case NF_INET_PRE_ROUTING:
    return "prerouting";
  case NF_INET_LOCAL_IN:
    return "input";
  case NF_INET_FORWARD:
    return "forward";
  case NF_INET_LOCAL_OUT:
    return "output";
  case NF_INET_POST_ROUTING:
    return "postrouting";
  default:
    return "unknown";
  }
}

std::string to_string(const log_event& ev) {
  std::string out = "group " + std::to_string(ev.group) + ' ' +
                    nfnl::to_string(static_cast<nfnl::family>(ev.family));
  if (ev.hook)
    out += std::string{" "} + hook_name(ev.family, *ev.hook);
  if (ev.prefix)
    out += " prefix \"" + *ev.prefix + '"';
  auto dev = [&](const char* what, const std::optional<std::uint32_t>& idx,
                 const std::optional<std::string>& name) {
    if (!idx)
      return;
    out += std::string{" "} + what + ' ';
    out += name ? *name : std::to_string(*idx);
  };
  dev("in", ev.indev, ev.indev_name);
  dev("out", ev.outdev, ev.outdev_name);
  dev("physin", ev.physindev, ev.physindev_name);
  dev("physout", ev.physoutdev, ev.physoutdev_name);
  if (ev.mark)
    out += " mark 0x" + [&] {
      char buf[12];
      std::snprintf(buf, sizeof(buf), "%x", *ev.mark);
      return std::string{buf};
    }();
  if (ev.uid)
    out += " uid " + std::to_string(*ev.uid);
  if (ev.gid)
    out += " gid " + std::to_string(*ev.gid);
  if (ev.seq)
    out += " seq " + std::to_string(*ev.seq);
  if (ev.hwaddr)
    out += " hwaddr " + ev.hwaddr->to_string();
  if (ev.vlan)
    out += " vlan " + std::to_string(ev.vlan->tci & 0x0fff);
  if (ev.conntrack && ev.conntrack->id)
    out += " ct id " + std::to_string(*ev.conntrack->id);
  if (ev.payload)
    out += " len " + std::to_string(ev.payload->size());
  return out;
}

} // namespace nfactor::nflog
