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

// -- JSON writing: a cursor into a reserved tail ------------------------------
//
// Each helper writes at `p` and returns the end. `append_json` reserves an
// upper bound of the event's text first, so nothing here checks capacity.

template <std::size_t N>
char* literal(char* p, const char (&s)[N]) {
  std::memcpy(p, s, N - 1);
  return p + N - 1;
}

char* number(char* p, std::uint64_t v) {
  return std::to_chars(p, p + 20, v).ptr;
}

// A JSON string: runs without escapes are copied in one piece. At most
// 2 + 6 * s.size() characters.
char* text(char* p, std::string_view s) {
  *p++ = '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    std::memcpy(p, s.data() + run, i - run);
    p += i - run;
    run = i + 1;
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = static_cast<char>(c);
    } else {
      p = literal(p, "\\u00");
      *p++ = hex_digits[c >> 4];
      *p++ = hex_digits[c & 15];
    }
  }
  std::memcpy(p, s.data() + run, s.size() - run);
  p += s.size() - run;
  *p++ = '"';
  return p;
}

// `key` is the literal `,"name":` (every key but the first has a comma).
template <std::size_t N, class T>
char* opt_number(char* p, const char (&key)[N], const std::optional<T>& v) {
  if (v)
    p = number(literal(p, key), *v);
  return p;
}

template <std::size_t N, std::size_t M>
char* device(char* p, const char (&name_key)[N], const char (&index_key)[M],
             const std::optional<std::uint32_t>& index,
             const std::optional<std::string>& name) {
  if (!index)
    return p;
  if (name)
    p = text(literal(p, name_key), *name);
  return number(literal(p, index_key), *index);
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

// `b` in lower-case hex, quoted.
char* hex(char* p, byte_view b) {
  *p++ = '"';
  for (auto c : b) {
    std::memcpy(p, &hex_pairs[2 * c], 2);
    p += 2;
  }
  *p++ = '"';
  return p;
}

// "00:11:22:33:44:55", quoted (as hw_address::to_string, without its
// string).
char* hw_address(char* p, const nflog::hw_address& a) {
  *p++ = '"';
  for (std::size_t i = 0; i < a.len && i < a.bytes.size(); ++i) {
    if (i)
      *p++ = ':';
    std::memcpy(p, &hex_pairs[2 * a.bytes[i]], 2);
    p += 2;
  }
  *p++ = '"';
  return p;
}

// Unix seconds with six decimals.
char* seconds(char* p, const nflog::timestamp& t) {
  p = number(p, static_cast<std::uint64_t>(t.sec));
  auto usec = static_cast<long long>(t.usec % 1000000);
  if (usec < 0) { // never sent by a kernel; printed as printf did
    char frac[16];
    auto n = std::snprintf(frac, sizeof frac, ".%06lld", usec);
    n = std::clamp(n, 0, 8);
    std::memcpy(p, frac, static_cast<std::size_t>(n));
    return p + n;
  }
  *p = '.';
  for (int i = 6; i > 0; --i) {
    p[i] = static_cast<char>('0' + usec % 10);
    usec /= 10;
  }
  return p + 7;
}

std::size_t text_bound(const std::optional<std::string>& s) {
  return s ? 2 + 6 * s->size() : 0;
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

char* text_buffer::reserve(std::size_t n) {
  if (capacity_ - size_ < n) {
    auto grown = std::max(capacity_ * 2, size_ + n);
    auto bigger = std::make_unique_for_overwrite<char[]>(grown);
    if (size_)
      std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = grown;
  }
  return data_.get() + size_;
}

void append_json(text_buffer& out, const nflog::log_event& ev) {
  // Every fixed part (keys, numbers, addresses) fits in 1024 characters
  // (about 660 at most);
  // strings may escape every character, payload bytes take two each.
  auto bound = 1024 + text_bound(ev.prefix) + text_bound(ev.indev_name) +
               text_bound(ev.outdev_name) + text_bound(ev.physindev_name) +
               text_bound(ev.physoutdev_name) +
               (ev.payload ? 2 * ev.payload->size() : 0);
  char* p = out.reserve(bound);
  p = number(literal(p, "{\"group\":"), ev.group);
  p = text(literal(p, ",\"family\":"),
           nfnl::to_string(static_cast<nfnl::family>(ev.family)));
  if (ev.hook)
    p = text(literal(p, ",\"hook\":"), nflog::hook_name(ev.family, *ev.hook));
  if (ev.prefix)
    p = text(literal(p, ",\"prefix\":"), *ev.prefix);
  p = device(p, ",\"indev\":", ",\"indev_index\":", ev.indev, ev.indev_name);
  p = device(p, ",\"outdev\":", ",\"outdev_index\":", ev.outdev,
             ev.outdev_name);
  p = device(p, ",\"physindev\":", ",\"physindev_index\":", ev.physindev,
             ev.physindev_name);
  p = device(p, ",\"physoutdev\":", ",\"physoutdev_index\":", ev.physoutdev,
             ev.physoutdev_name);
  p = opt_number(p, ",\"mark\":", ev.mark);
  p = opt_number(p, ",\"uid\":", ev.uid);
  p = opt_number(p, ",\"gid\":", ev.gid);
  p = opt_number(p, ",\"seq\":", ev.seq);
  p = opt_number(p, ",\"seq_global\":", ev.seq_global);
  if (ev.timestamp)
    p = seconds(literal(p, ",\"timestamp\":"), *ev.timestamp);
  p = opt_number(p, ",\"hw_protocol\":", ev.hw_protocol);
  p = opt_number(p, ",\"hw_type\":", ev.hwtype);
  if (ev.hwaddr)
    p = hw_address(literal(p, ",\"hw_addr\":"), *ev.hwaddr);
  if (ev.payload) {
    p = number(literal(p, ",\"payload_len\":"), ev.payload->size());
    p = hex(literal(p, ",\"payload\":"), *ev.payload);
    if (auto s = summarize(*ev.payload)) {
      p = text(literal(p, ",\"src\":"), s->src);
      p = text(literal(p, ",\"dst\":"), s->dst);
      p = literal(p, ",\"proto\":");
      if (auto* name = proto_name(s->proto))
        p = text(p, name);
      else
        p = number(p, s->proto);
      p = opt_number(p, ",\"sport\":", s->sport);
      p = opt_number(p, ",\"dport\":", s->dport);
    }
  }
  p = literal(p, "}\n");
  out.commit(p);
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
