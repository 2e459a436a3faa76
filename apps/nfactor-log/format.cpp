// SPDX-License-Identifier: Apache-2.0
#include "format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <endian.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nl/attr.hpp"

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

// Dotted quad into `out` (NUL-terminated); inet_ntop formats with printf,
// which cost more than the rest of an event's JSON.
void ipv4_text(char* out, const std::uint8_t* p) {
  for (int i = 0; i < 4; ++i) {
    auto [end, ec] = std::to_chars(out, out + 3, p[i]);
    (void)ec;
    out = end;
    *out++ = i < 3 ? '.' : '\0';
  }
}

// -- JSON writing: appends, no allocation once `out` has grown ----------------

template <std::size_t N>
void literal(std::string& out, const char (&s)[N]) {
  out.append(s, N - 1);
}

void number(std::string& out, std::uint64_t v) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

// A JSON string: runs without escapes are appended in one piece.
void text(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      literal(out, "\\u00");
      out += hex_digits[c >> 4];
      out += hex_digits[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// `key` is the literal `,"name":` (every key but the first has a comma).
template <std::size_t N, class T>
void opt_number(std::string& out, const char (&key)[N],
                const std::optional<T>& v) {
  if (v) {
    literal(out, key);
    number(out, *v);
  }
}

template <std::size_t N, std::size_t M>
void device(std::string& out, const char (&name_key)[N],
            const char (&index_key)[M],
            const std::optional<std::uint32_t>& index,
            const std::optional<std::string>& name) {
  if (!index)
    return;
  if (name) {
    literal(out, name_key);
    text(out, *name);
  }
  literal(out, index_key);
  number(out, *index);
}

// The two hex digits of every byte value, in memory order.
constexpr auto hex_pairs = [] {
  std::array<char, 512> t{};
  for (std::size_t i = 0; i < 256; ++i) {
    t[2 * i] = hex_digits[i >> 4];
    t[2 * i + 1] = hex_digits[i & 15];
  }
  return t;
}();

// `b` in lower-case hex, quoted: written in place, one table copy per byte.
void hex(std::string& out, byte_view b) {
  auto at = out.size();
  out.resize(at + 2 + 2 * b.size());
  char* p = out.data() + at;
  *p++ = '"';
  for (auto c : b) {
    std::memcpy(p, &hex_pairs[2 * c], 2);
    p += 2;
  }
  *p = '"';
}

// "00:11:22:33:44:55", quoted (as hw_address::to_string, without its
// string).
void hw_address(std::string& out, const nflog::hw_address& a) {
  out += '"';
  for (std::size_t i = 0; i < a.len && i < a.bytes.size(); ++i) {
    if (i)
      out += ':';
    out += hex_digits[a.bytes[i] >> 4];
    out += hex_digits[a.bytes[i] & 15];
  }
  out += '"';
}

// Unix seconds with six decimals.
void seconds(std::string& out, const nflog::timestamp& t) {
  number(out, static_cast<std::uint64_t>(t.sec));
  auto usec = static_cast<long long>(t.usec % 1000000);
  char frac[8];
  if (usec < 0) { // never sent by a kernel; printed as printf did
    auto n = std::snprintf(frac, sizeof frac, ".%06lld", usec);
    out.append(frac, static_cast<std::size_t>(std::max(n, 0)));
    return;
  }
  frac[0] = '.';
  for (int i = 6; i > 0; --i) {
    frac[i] = static_cast<char>('0' + usec % 10);
    usec /= 10;
  }
  out.append(frac, 7);
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
    ipv4_text(s.src, p.data() + 12);
    ipv4_text(s.dst, p.data() + 16);
    s.proto = p[9];
    // Ports only in the first fragment.
    if ((be16(p.data() + 6) & 0x1fff) == 0)
      ports(s, p.subspan(ihl));
    return s;
  }
  if (version == 6) {
    if (p.size() < 40)
      return std::nullopt;
    ::inet_ntop(AF_INET6, p.data() + 8, s.src, sizeof s.src);
    ::inet_ntop(AF_INET6, p.data() + 24, s.dst, sizeof s.dst);
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
  literal(out, "{\"group\":");
  number(out, ev.group);
  literal(out, ",\"family\":");
  text(out, nfnl::to_string(static_cast<nfnl::family>(ev.family)));
  if (ev.hook) {
    literal(out, ",\"hook\":");
    text(out, nflog::hook_name(ev.family, *ev.hook));
  }
  if (ev.prefix) {
    literal(out, ",\"prefix\":");
    text(out, *ev.prefix);
  }
  device(out, ",\"indev\":", ",\"indev_index\":", ev.indev, ev.indev_name);
  device(out, ",\"outdev\":", ",\"outdev_index\":", ev.outdev, ev.outdev_name);
  device(out, ",\"physindev\":", ",\"physindev_index\":", ev.physindev,
         ev.physindev_name);
  device(out, ",\"physoutdev\":", ",\"physoutdev_index\":", ev.physoutdev,
         ev.physoutdev_name);
  opt_number(out, ",\"mark\":", ev.mark);
  opt_number(out, ",\"uid\":", ev.uid);
  opt_number(out, ",\"gid\":", ev.gid);
  opt_number(out, ",\"seq\":", ev.seq);
  opt_number(out, ",\"seq_global\":", ev.seq_global);
  if (ev.timestamp) {
    literal(out, ",\"timestamp\":");
    seconds(out, *ev.timestamp);
  }
  opt_number(out, ",\"hw_protocol\":", ev.hw_protocol);
  opt_number(out, ",\"hw_type\":", ev.hwtype);
  if (ev.hwaddr) {
    literal(out, ",\"hw_addr\":");
    hw_address(out, *ev.hwaddr);
  }
  if (ev.payload) {
    literal(out, ",\"payload_len\":");
    number(out, ev.payload->size());
    literal(out, ",\"payload\":");
    hex(out, *ev.payload);
    if (auto s = summarize(*ev.payload)) {
      literal(out, ",\"src\":");
      text(out, s->src);
      literal(out, ",\"dst\":");
      text(out, s->dst);
      literal(out, ",\"proto\":");
      if (auto* name = proto_name(s->proto))
        text(out, name);
      else
        number(out, s->proto);
      opt_number(out, ",\"sport\":", s->sport);
      opt_number(out, ",\"dport\":", s->dport);
    }
  }
  literal(out, "}\n");
}

nflog_record make_nflog_record(const nl::message& msg, byte_buffer& scratch) {
  nflog_record rec{msg.payload, std::nullopt};
  if (msg.payload.size() < sizeof(nfgenmsg))
    return rec;
  bool has_payload = false;
  nl::attr_reader attrs{msg.payload.subspan(sizeof(nfgenmsg))};
  while (attrs.next()) {
    if (attrs.type() == NFULA_PAYLOAD) {
      has_payload = true;
    } else if (attrs.type() == NFULA_TIMESTAMP &&
               attrs.bytes().size() >= sizeof(nfulnl_msg_packet_timestamp)) {
      nfulnl_msg_packet_timestamp raw; // two big-endian u64
      std::memcpy(&raw, attrs.bytes().data(), sizeof raw);
      rec.time = nflog::timestamp{static_cast<std::int64_t>(be64toh(raw.sec)),
                                  static_cast<std::int64_t>(be64toh(raw.usec))};
    }
  }
  if (!has_payload) {
    // tcpdump needs the payload TLV, even when empty.
    scratch.assign(msg.payload.begin(), msg.payload.end());
    scratch.resize((scratch.size() + 3u) & ~std::size_t{3});
    const std::uint16_t tlv[2] = {4, NFULA_PAYLOAD};
    auto at = scratch.size();
    scratch.resize(at + sizeof tlv);
    std::memcpy(scratch.data() + at, tlv, sizeof tlv);
    rec.bytes = scratch;
  }
  return rec;
}

} // namespace nfactor::app
