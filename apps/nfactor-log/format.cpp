// SPDX-License-Identifier: Apache-2.0
#include "format.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>

#include "nfactor/nfnl/codec.hpp"

namespace nfactor::app {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

void ports(l34_summary& s, byte_view l4) {
  if ((s.proto == IPPROTO_TCP || s.proto == IPPROTO_UDP ||
       s.proto == IPPROTO_UDPLITE || s.proto == IPPROTO_SCTP ||
       s.proto == IPPROTO_DCCP) &&
      l4.size() >= 4) {
    s.sport = be16(l4.data());
    s.dport = be16(l4.data() + 2);
  }
}

std::string address(int af, const std::uint8_t* p) {
  char buf[INET6_ADDRSTRLEN];
  ::inet_ntop(af, p, buf, sizeof buf);
  return buf;
}

// -- JSON writing -------------------------------------------------------------

void key(std::string& out, const char* k) {
  out += out.back() == '{' ? "\"" : ",\"";
  out += k;
  out += "\":";
}

void number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void text(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex_digits[c >> 4];
      out += hex_digits[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

template <class T>
void opt_number(std::string& out, const char* k, const std::optional<T>& v) {
  if (v) {
    key(out, k);
    number(out, *v);
  }
}

void device(std::string& out, const char* k,
            const std::optional<std::uint32_t>& index,
            const std::optional<std::string>& name) {
  if (!index)
    return;
  if (name) {
    key(out, k);
    text(out, *name);
  }
  key(out, (std::string{k} + "_index").c_str());
  number(out, *index);
}

void hex(std::string& out, byte_view b) {
  out += '"';
  for (auto c : b) {
    out += hex_digits[c >> 4];
    out += hex_digits[c & 15];
  }
  out += '"';
}

// -- NFLOG TLVs ---------------------------------------------------------------

void tlv(byte_buffer& out, std::uint16_t type, const void* data,
         std::size_t len) {
  len = std::min<std::size_t>(len, 0xffff - 4); // the TLV length is 16 bits
  auto total = static_cast<std::uint16_t>(4 + len);
  auto at = out.size();
  out.resize(at + ((total + 3u) & ~3u), 0);
  std::memcpy(out.data() + at, &total, 2);
  std::memcpy(out.data() + at + 2, &type, 2);
  if (len)
    std::memcpy(out.data() + at + 4, data, len);
}

void tlv_be32(byte_buffer& out, std::uint16_t type,
              const std::optional<std::uint32_t>& v) {
  if (v) {
    auto x = htonl(*v);
    tlv(out, type, &x, 4);
  }
}

std::uint64_t htonll(std::uint64_t v) {
  return (static_cast<std::uint64_t>(htonl(static_cast<std::uint32_t>(v)))
          << 32) |
         htonl(static_cast<std::uint32_t>(v >> 32));
}

} // namespace

const char* proto_name(std::uint8_t p) noexcept {
  switch (p) {
  case IPPROTO_ICMP:
    return "icmp";
  case IPPROTO_IGMP:
    return "igmp";
  case IPPROTO_TCP:
    return "tcp";
  case IPPROTO_UDP:
    return "udp";
  case IPPROTO_GRE:
    return "gre";
  case IPPROTO_ESP:
    return "esp";
  case IPPROTO_AH:
    return "ah";
  case IPPROTO_ICMPV6:
    return "ipv6-icmp";
  case IPPROTO_SCTP:
    return "sctp";
  case IPPROTO_UDPLITE:
    return "udplite";
  case IPPROTO_DCCP:
    return "dccp";
  default:
    return nullptr;
  }
}

std::optional<l34_summary> summarize(byte_view p) {
  if (p.empty())
    return std::nullopt;
  l34_summary s;
  auto version = p[0] >> 4;
  if (version == 4) {
    if (p.size() < 20)
      return std::nullopt;
    std::size_t ihl = (p[0] & 15u) * 4u;
    if (ihl < 20 || p.size() < ihl)
      return std::nullopt;
    s.src = address(AF_INET, p.data() + 12);
    s.dst = address(AF_INET, p.data() + 16);
    s.proto = p[9];
    // Ports only in the first fragment.
    if ((be16(p.data() + 6) & 0x1fff) == 0)
      ports(s, p.subspan(ihl));
    return s;
  }
  if (version == 6) {
    if (p.size() < 40)
      return std::nullopt;
    s.src = address(AF_INET6, p.data() + 8);
    s.dst = address(AF_INET6, p.data() + 24);
    std::uint8_t next = p[6];
    std::size_t off = 40;
    bool first_fragment = true;
    // Skip extension headers (hop-by-hop, routing, fragment, dest opts).
    for (int hops = 0; hops < 8; ++hops) {
      if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
          next == IPPROTO_DSTOPTS) {
        if (p.size() < off + 8)
          break;
        next = p[off];
        off += (p[off + 1] + 1u) * 8u;
      } else if (next == IPPROTO_FRAGMENT) {
        if (p.size() < off + 8)
          break;
        first_fragment = (be16(p.data() + off + 2) & 0xfff8) == 0;
        next = p[off];
        off += 8;
      } else {
        break;
      }
    }
    s.proto = next;
    if (first_fragment && off <= p.size())
      ports(s, p.subspan(off));
    return s;
  }
  return std::nullopt;
}

void append_json(std::string& out, const nflog::log_event& ev) {
  out += '{';
  out += "\"group\":";
  number(out, ev.group);
  key(out, "family");
  text(out, nfnl::to_string(static_cast<nfnl::family>(ev.family)));
  if (ev.hook) {
    key(out, "hook");
    text(out, nflog::hook_name(ev.family, *ev.hook));
  }
  if (ev.prefix) {
    key(out, "prefix");
    text(out, *ev.prefix);
  }
  device(out, "indev", ev.indev, ev.indev_name);
  device(out, "outdev", ev.outdev, ev.outdev_name);
  device(out, "physindev", ev.physindev, ev.physindev_name);
  device(out, "physoutdev", ev.physoutdev, ev.physoutdev_name);
  opt_number(out, "mark", ev.mark);
  opt_number(out, "uid", ev.uid);
  opt_number(out, "gid", ev.gid);
  opt_number(out, "seq", ev.seq);
  opt_number(out, "seq_global", ev.seq_global);
  if (ev.timestamp) {
    key(out, "timestamp");
    number(out, static_cast<std::uint64_t>(ev.timestamp->sec));
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06lld",
                  static_cast<long long>(ev.timestamp->usec % 1000000));
    out += frac;
  }
  opt_number(out, "hw_protocol", ev.hw_protocol);
  opt_number(out, "hw_type", ev.hwtype);
  if (ev.hwaddr) {
    key(out, "hw_addr");
    text(out, ev.hwaddr->to_string());
  }
  if (ev.payload) {
    key(out, "payload_len");
    number(out, ev.payload->size());
    key(out, "payload");
    hex(out, *ev.payload);
    if (auto s = summarize(*ev.payload)) {
      key(out, "src");
      text(out, s->src);
      key(out, "dst");
      text(out, s->dst);
      key(out, "proto");
      if (auto* name = proto_name(s->proto))
        text(out, name);
      else
        number(out, s->proto);
      opt_number(out, "sport", s->sport);
      opt_number(out, "dport", s->dport);
    }
  }
  out += "}\n";
}

byte_buffer nflog_record(const nflog::log_event& ev) {
  byte_buffer out(4, 0);
  out[0] = ev.family;
  out[1] = 0;
  out[2] = static_cast<std::uint8_t>(ev.group >> 8);
  out[3] = static_cast<std::uint8_t>(ev.group);
  if (ev.hw_protocol || ev.hook) {
    nfulnl_msg_packet_hdr h{};
    h.hw_protocol = htons(ev.hw_protocol.value_or(0));
    h.hook = ev.hook.value_or(0);
    tlv(out, NFULA_PACKET_HDR, &h, sizeof h);
  }
  tlv_be32(out, NFULA_MARK, ev.mark);
  if (ev.timestamp) {
    nfulnl_msg_packet_timestamp t{};
    t.sec = htonll(static_cast<std::uint64_t>(ev.timestamp->sec));
    t.usec = htonll(static_cast<std::uint64_t>(ev.timestamp->usec));
    tlv(out, NFULA_TIMESTAMP, &t, sizeof t);
  }
  tlv_be32(out, NFULA_IFINDEX_INDEV, ev.indev);
  tlv_be32(out, NFULA_IFINDEX_OUTDEV, ev.outdev);
  tlv_be32(out, NFULA_IFINDEX_PHYSINDEV, ev.physindev);
  tlv_be32(out, NFULA_IFINDEX_PHYSOUTDEV, ev.physoutdev);
  if (ev.hwaddr) {
    nfulnl_msg_packet_hw hw{};
    hw.hw_addrlen = htons(ev.hwaddr->len);
    std::memcpy(hw.hw_addr, ev.hwaddr->bytes.data(), sizeof hw.hw_addr);
    tlv(out, NFULA_HWADDR, &hw, sizeof hw);
  }
  if (ev.prefix)
    tlv(out, NFULA_PREFIX, ev.prefix->c_str(), ev.prefix->size() + 1);
  tlv_be32(out, NFULA_UID, ev.uid);
  tlv_be32(out, NFULA_GID, ev.gid);
  tlv_be32(out, NFULA_SEQ, ev.seq);
  tlv_be32(out, NFULA_SEQ_GLOBAL, ev.seq_global);
  // tcpdump needs the payload TLV, even when empty.
  const auto& p = ev.payload;
  tlv(out, NFULA_PAYLOAD, p ? p->data() : nullptr, p ? p->size() : 0);
  return out;
}

} // namespace nfactor::app
