// SPDX-License-Identifier: Apache-2.0
#include "format.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <endian.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>

#include "nfactor/nflog/decode.hpp"
#include "nfactor/nflog/packed.hpp"
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

// -- JSON writing: a cursor into a reserved tail ------------------------------
//
// Each helper writes at `p` and returns the end. `append_json` reserves an
// upper bound of the event's text first, so nothing here checks capacity.

template <std::size_t N>
char* literal(char* p, const char (&s)[N]) {
  std::memcpy(p, s, N - 1);
  return p + N - 1;
}

// The decimal text of 0-255, and its length in the last byte.
constexpr auto octet_texts = [] {
  std::array<std::array<char, 4>, 256> t{};
  for (std::size_t i = 0; i < 256; ++i) {
    auto& e = t[i];
    std::size_t n = 0;
    if (i >= 100)
      e[n++] = static_cast<char>('0' + i / 100);
    if (i >= 10)
      e[n++] = static_cast<char>('0' + i / 10 % 10);
    e[n++] = static_cast<char>('0' + i % 10);
    e[3] = static_cast<char>(n);
  }
  return t;
}();

// 0-255 in decimal: one 4-byte copy (the table's length byte is
// overwritten by what follows or lies past the end).
char* octet(char* p, std::uint8_t v) {
  const auto& e = octet_texts[v];
  std::memcpy(p, e.data(), 4);
  return p + e[3];
}

// The two decimal digits of 0-99, in memory order.
constexpr auto digit_pairs = [] {
  std::array<char, 200> t{};
  for (std::size_t i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// The decimal digits of `v` (at least 256), ending at `end`.
void digits(char* end, std::uint32_t v) {
  for (; v >= 100; v /= 100) {
    end -= 2;
    std::memcpy(end, &digit_pairs[2 * (v % 100)], 2);
  }
  if (v >= 10)
    std::memcpy(end - 2, &digit_pairs[2 * v], 2);
  else
    end[-1] = static_cast<char>('0' + v);
}

// Values of 256 and more: 32-bit ones (seq, ports, marks) two digits at a
// time, their length by comparisons (std::to_chars, with its call and
// length loop, cost about twice as much); the rest by std::to_chars.
[[gnu::noinline]] char* big_number(char* p, std::uint64_t v) {
  if (v > 0xffffffff)
    return std::to_chars(p, p + 20, v).ptr;
  auto u = static_cast<std::uint32_t>(v);
  int n = u < 1000         ? 3
          : u < 10000      ? 4
          : u < 100000     ? 5
          : u < 1000000    ? 6
          : u < 10000000   ? 7
          : u < 100000000  ? 8
          : u < 1000000000 ? 9
                           : 10;
  digits(p + n, u);
  return p + n;
}

// Small values (most of an event's numbers: group, indexes, uid, lengths)
// from the table, inline: a call cost as much as the copy.
[[gnu::always_inline]] inline char* number(char* p, std::uint64_t v) {
  if (v < 256)
    return octet(p, static_cast<std::uint8_t>(v));
  return big_number(p, v);
}

// Dotted quad into `out` (room for 16 characters; NUL-terminated), its
// length; inet_ntop formats with printf, which cost more than the rest of
// an event's JSON.
std::uint8_t ipv4_text(char* out, const std::uint8_t* p) {
  char* start = out;
  for (int i = 0; i < 4; ++i) {
    out = octet(out, p[i]);
    *out++ = i < 3 ? '.' : '\0';
  }
  return static_cast<std::uint8_t>(out - start - 1);
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

// A JSON string of text that needs no escapes (names from tables,
// addresses), quoted.
char* plain(char* p, std::string_view s) {
  *p++ = '"';
  std::memcpy(p, s.data(), s.size());
  p += s.size();
  *p++ = '"';
  return p;
}

// An address of `l34_summary`, quoted. Its array is copied whole, 16
// bytes for IPv4 (what lies past `len` is overwritten by what follows or
// lies past the end): a memcpy of the exact length was inlined as
// `rep movsq`, whose start-up cost a fifth of the whole line's time.
char* address(char* p, const char (&s)[46], std::uint8_t len) {
  *p++ = '"';
  if (len <= 16)
    std::memcpy(p, s, 16);
  else
    std::memcpy(p, s, sizeof s);
  p += len;
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
             const std::optional<std::string_view>& name) {
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

#if defined(__SSE2__)
// The hex digits of 16 nibbles (0-15 each): '0' + x, and 'a' - '0' - 10
// more where x > 9.
__m128i hex_digits16(__m128i x) {
  auto letters = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(9)),
                               _mm_set1_epi8('a' - '0' - 10));
  return _mm_add_epi8(_mm_add_epi8(x, _mm_set1_epi8('0')), letters);
}
#endif

#if defined(__SSE2__)
// The 32 hex digits of the 16 bytes at `b`, each byte's high digit first.
void hex16(char* p, const std::uint8_t* b) {
  const auto low = _mm_set1_epi8(0x0f);
  auto v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  auto hi = _mm_and_si128(_mm_srli_epi16(v, 4), low);
  auto lo = _mm_and_si128(v, low);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                   hex_digits16(_mm_unpacklo_epi8(hi, lo)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 16),
                   hex_digits16(_mm_unpackhi_epi8(hi, lo)));
}
#endif

// `b` in lower-case hex, quoted: 16 bytes per step with SSE2 (the payload
// is half an event's JSON), the last step overlapping the one before (the
// same digits written twice); shorter payloads from the table.
char* hex(char* p, byte_view b) {
  *p++ = '"';
  std::size_t i = 0;
#if defined(__SSE2__)
  if (b.size() >= 16) {
    for (; i + 16 <= b.size(); i += 16)
      hex16(p + 2 * i, b.data() + i);
    if (i < b.size())
      hex16(p + 2 * (b.size() - 16), b.data() + b.size() - 16);
    i = b.size();
  }
#endif
  for (; i < b.size(); ++i)
    std::memcpy(p + 2 * i, &hex_pairs[2 * b[i]], 2);
  p += 2 * b.size();
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

std::size_t text_bound(const std::optional<std::string_view>& s) {
  return s ? 2 + 6 * s->size() : 0;
}

// What a JSON line shows of one event: views into its message and the
// batch's name records, nothing owned.
struct json_event {
  std::uint8_t family = 0;
  std::uint16_t group = 0;
  std::optional<std::uint8_t> hook;
  std::optional<std::uint16_t> hw_protocol;
  std::optional<std::string_view> prefix;
  // NFULA_IFINDEX_* in the order of nflog::interface_members (in, out,
  // physical in, physical out), and their names when known.
  std::array<std::optional<std::uint32_t>, 4> dev;
  std::array<std::optional<std::string_view>, 4> dev_name;
  std::optional<std::uint32_t> mark;
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  std::optional<std::uint32_t> seq;
  std::optional<std::uint32_t> seq_global;
  std::optional<nflog::timestamp> timestamp;
  std::optional<std::uint16_t> hwtype;
  std::optional<nflog::hw_address> hwaddr;
  std::optional<byte_view> payload;

  // Forgets the attributes of the event before (read_event sets family and
  // group): one store each, where assigning `json_event{}` zeroed all of
  // it. A member added above is reset here too.
  void clear() {
    hook.reset();
    hw_protocol.reset();
    prefix.reset();
    for (auto& d : dev)
      d.reset();
    for (auto& n : dev_name)
      n.reset();
    mark.reset();
    uid.reset();
    gid.reset();
    seq.reset();
    seq_global.reset();
    timestamp.reset();
    hwtype.reset();
    hwaddr.reset();
    payload.reset();
  }
};

constexpr std::string_view decode_op = "decode NFLOG packet";

// The 8-byte header of a packed batch (nflog/packed.hpp).
constexpr std::size_t packed_header = 8;

// Reads the attributes the line shows, with nflog::decode_packet's checks
// (exact lengths, framing); the rest (conntrack, VLAN, hardware header)
// is not looked at. False and `err` on failure.
bool read_event(const nl::message& m, json_event& ev,
                std::optional<error>& err) {
  if (m.payload.size() < sizeof(nfgenmsg)) {
    err = make_error(errc::truncated, std::string{decode_op},
                     std::to_string(m.payload.size()) +
                         " bytes, the nfgenmsg header needs 4");
    return false;
  }
  ev.family = m.payload[0];
  ev.group = be16(m.payload.data() + 2);
  nl::attr_reader a{m.payload.subspan(sizeof(nfgenmsg)), decode_op};
  while (a.next()) {
    switch (a.type()) {
    case NFULA_PACKET_HDR: {
      auto h = a.fixed<nfulnl_msg_packet_hdr>();
      if (a.ok()) {
        ev.hw_protocol = ntohs(h.hw_protocol);
        ev.hook = h.hook;
      }
      break;
    }
    case NFULA_MARK:
      ev.mark = a.u32_be();
      break;
    case NFULA_TIMESTAMP: {
      auto t = a.fixed<nfulnl_msg_packet_timestamp>();
      if (a.ok())
        ev.timestamp =
            nflog::timestamp{static_cast<std::int64_t>(be64toh(t.sec)),
                             static_cast<std::int64_t>(be64toh(t.usec))};
      break;
    }
    case NFULA_IFINDEX_INDEV:
      ev.dev[0] = a.u32_be();
      break;
    case NFULA_IFINDEX_OUTDEV:
      ev.dev[1] = a.u32_be();
      break;
    case NFULA_IFINDEX_PHYSINDEV:
      ev.dev[2] = a.u32_be();
      break;
    case NFULA_IFINDEX_PHYSOUTDEV:
      ev.dev[3] = a.u32_be();
      break;
    case NFULA_HWADDR: {
      auto hw = a.fixed<nfulnl_msg_packet_hw>();
      if (!a.ok())
        break;
      ev.hwaddr = nflog::hw_address::from_wire(hw.hw_addrlen, hw.hw_addr);
      if (!ev.hwaddr)
        a.fail("hw_addrlen " + std::to_string(be16toh(hw.hw_addrlen)) +
               " exceeds 8 bytes");
      break;
    }
    case NFULA_PAYLOAD:
      ev.payload = a.bytes();
      break;
    case NFULA_PREFIX:
      ev.prefix = a.str();
      break;
    case NFULA_UID:
      ev.uid = a.u32_be();
      break;
    case NFULA_GID:
      ev.gid = a.u32_be();
      break;
    case NFULA_SEQ:
      ev.seq = a.u32_be();
      break;
    case NFULA_SEQ_GLOBAL:
      ev.seq_global = a.u32_be();
      break;
    case NFULA_HWTYPE:
      ev.hwtype = a.u16_be();
      break;
    default:
      break;
    }
  }
  if (!a.ok()) {
    err = *a.err();
    return false;
  }
  return true;
}

// The names of IPPROTO_* values, with their lengths.
std::string_view proto_text(std::uint8_t p) noexcept {
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
    return {};
  }
}

// Family and hook names with their lengths, looked up once: the
// library's functions return C strings, and a strlen() each cost more
// than copying the name.
class name_table {
 public:
  name_table() {
    for (std::size_t f = 0; f < families; ++f) {
      family_[f] = nfnl::to_string(static_cast<nfnl::family>(f));
      for (std::size_t h = 0; h < hooks; ++h)
        hook_[f][h] = nflog::hook_name(static_cast<std::uint8_t>(f),
                                       static_cast<std::uint8_t>(h));
    }
  }
  [[nodiscard]] std::string_view family(std::uint8_t f) const {
    return f < families ? family_[f]
                        : nfnl::to_string(static_cast<nfnl::family>(f));
  }
  [[nodiscard]] std::string_view hook(std::uint8_t f, std::uint8_t h) const {
    return f < families && h < hooks ? hook_[f][h] : nflog::hook_name(f, h);
  }

 private:
  // NFPROTO_* and hook numbers in use are below these.
  static constexpr std::size_t families = 16;
  static constexpr std::size_t hooks = 8;
  std::array<std::string_view, families> family_;
  std::array<std::array<std::string_view, hooks>, families> hook_;
};

const name_table& known_names() {
  static const name_table table;
  return table;
}

// Appends `ev` as one JSON object and a newline.
void append_event(text_buffer& out, const json_event& ev) {
  // Every fixed part (keys, numbers, addresses) fits in 1024 characters
  // (about 660 at most); strings may escape every character, payload
  // bytes take two each.
  auto bound =
      1024 + text_bound(ev.prefix) + (ev.payload ? 2 * ev.payload->size() : 0);
  for (const auto& name : ev.dev_name)
    bound += text_bound(name);
  char* p = out.reserve(bound);
  p = number(literal(p, "{\"group\":"), ev.group);
  const auto& names = known_names();
  p = plain(literal(p, ",\"family\":"), names.family(ev.family));
  if (ev.hook)
    p = plain(literal(p, ",\"hook\":"), names.hook(ev.family, *ev.hook));
  if (ev.prefix)
    p = text(literal(p, ",\"prefix\":"), *ev.prefix);
  p = device(p, ",\"indev\":", ",\"indev_index\":", ev.dev[0], ev.dev_name[0]);
  p = device(p, ",\"outdev\":", ",\"outdev_index\":", ev.dev[1],
             ev.dev_name[1]);
  p = device(p, ",\"physindev\":", ",\"physindev_index\":", ev.dev[2],
             ev.dev_name[2]);
  p = device(p, ",\"physoutdev\":", ",\"physoutdev_index\":", ev.dev[3],
             ev.dev_name[3]);
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
    if (l34_summary s; summarize(*ev.payload, s)) {
      p = address(literal(p, ",\"src\":"), s.src, s.src_len);
      p = address(literal(p, ",\"dst\":"), s.dst, s.dst_len);
      p = literal(p, ",\"proto\":");
      if (auto name = proto_text(s.proto); !name.empty())
        p = plain(p, name);
      else
        p = number(p, s.proto);
      p = opt_number(p, ",\"sport\":", s.sport);
      p = opt_number(p, ",\"dport\":", s.dport);
    }
  }
  p = literal(p, "}\n");
  out.commit(p);
}

// The interface names in force while a batch is read (few: the
// interfaces of one host), as views into its name records.
class batch_names {
 public:
  void set(std::uint32_t ifindex, std::string_view name) {
    for (auto& [i, n] : names_)
      if (i == ifindex) {
        n = name;
        return;
      }
    names_.emplace_back(ifindex, name);
  }
  // The name of `ifindex`, if one is in force and not empty.
  std::optional<std::string_view> find(std::uint32_t ifindex) const {
    for (const auto& [i, n] : names_)
      if (i == ifindex && !n.empty())
        return n;
    return std::nullopt;
  }

 private:
  std::vector<std::pair<std::uint32_t, std::string_view>> names_;
};

} // namespace

const char* proto_name(std::uint8_t p) noexcept {
  auto name = proto_text(p); // views of literals: NUL-terminated
  return name.empty() ? nullptr : name.data();
}

bool summarize(byte_view p, l34_summary& s) {
  if (p.empty())
    return false;
  s.sport.reset();
  s.dport.reset();
  auto version = p[0] >> 4;
  if (version == 4) {
    if (p.size() < 20)
      return false;
    std::size_t ihl = (p[0] & 15u) * 4u;
    if (ihl < 20 || p.size() < ihl)
      return false;
    s.src_len = ipv4_text(s.src, p.data() + 12);
    s.dst_len = ipv4_text(s.dst, p.data() + 16);
    s.proto = p[9];
    // Ports only in the first fragment.
    if ((be16(p.data() + 6) & 0x1fff) == 0)
      ports(s, p.subspan(ihl));
    return true;
  }
  if (version == 6) {
    if (p.size() < 40)
      return false;
    ::inet_ntop(AF_INET6, p.data() + 8, s.src, sizeof s.src);
    ::inet_ntop(AF_INET6, p.data() + 24, s.dst, sizeof s.dst);
    s.src_len = static_cast<std::uint8_t>(std::strlen(s.src));
    s.dst_len = static_cast<std::uint8_t>(std::strlen(s.dst));
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
    return true;
  }
  return false;
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

json_result append_json(text_buffer& out, byte_view batch) {
  json_result r;
  auto count = nflog::packed_count(batch);
  if (!count) {
    r.first_error = std::move(count).err();
    return r;
  }
  if (batch[1] != (std::endian::native == std::endian::little ? 1 : 2)) {
    r.first_error = make_error(errc::bad_message, "unpack events",
                               "netlink layout written on a host of the "
                               "other byte order");
    r.skipped = *count;
    return r;
  }
  batch_names names; // allocates once per batch with names, if at all
  // Reused: constructing them zeroed their ~400 bytes per event.
  json_event ev;
  std::optional<error> err;
  nl::message_reader msgs{batch.subspan(packed_header)};
  while (msgs.next()) {
    const auto& m = msgs.get();
    if (m.type == nflog::name_record_type) {
      if (m.payload.size() < 4)
        break; // as a framing error: the names after it are unknown
      std::uint32_t idx = 0;
      std::memcpy(&idx, m.payload.data(), 4);
      auto text = m.payload.subspan(4);
      names.set(idx, {reinterpret_cast<const char*>(text.data()), text.size()});
      continue;
    }
    if (!nflog::is_packet(m))
      continue;
    ev.clear();
    if (!read_event(m, ev, err)) {
      if (!r.first_error)
        r.first_error = std::move(err);
      err.reset();
      continue;
    }
    for (std::size_t i = 0; i < ev.dev.size(); ++i)
      if (ev.dev[i])
        ev.dev_name[i] = names.find(*ev.dev[i]);
    append_event(out, ev);
    ++r.events;
  }
  if (auto st = msgs.status(); !st && !r.first_error)
    r.first_error = std::move(st).err();
  r.skipped = *count > r.events ? *count - r.events : 0;
  return r;
}

namespace {

// What a pcap record needs to know of a packet message.
struct record_facts {
  bool has_payload = false;
  std::optional<nflog::timestamp> time;
};

// Malformed attributes end the search, not the record.
record_facts inspect(const nl::message& msg) {
  record_facts f;
  nl::attr_reader attrs{msg.payload.subspan(sizeof(nfgenmsg))};
  while (attrs.next()) {
    if (attrs.type() == NFULA_PAYLOAD) {
      f.has_payload = true;
    } else if (attrs.type() == NFULA_TIMESTAMP &&
               attrs.bytes().size() >= sizeof(nfulnl_msg_packet_timestamp)) {
      nfulnl_msg_packet_timestamp raw; // two big-endian u64
      std::memcpy(&raw, attrs.bytes().data(), sizeof raw);
      f.time = nflog::timestamp{static_cast<std::int64_t>(be64toh(raw.sec)),
                                static_cast<std::int64_t>(be64toh(raw.usec))};
    }
  }
  return f;
}

// What follows a metadata-only message: zero padding to 4 bytes, then an
// empty NFULA_PAYLOAD TLV {length 4, type}, in host order.
constexpr std::uint8_t zero_pad[4] = {};
constexpr std::uint16_t empty_payload_tlv[2] = {4, NFULA_PAYLOAD};

} // namespace

std::array<std::uint8_t, pcap_file_header_size> pcap_file_header() noexcept {
  // struct pcap_file_header of <pcap/pcap.h>, version 2.4.
  const std::uint32_t magic = 0xa1b2c3d4, snaplen = 65535,
                      linktype = 239; // LINKTYPE_NFLOG
  const std::uint16_t major = 2, minor = 4;
  std::array<std::uint8_t, pcap_file_header_size> h{}; // thiszone, sigfigs 0
  std::memcpy(&h[0], &magic, 4);
  std::memcpy(&h[4], &major, 2);
  std::memcpy(&h[6], &minor, 2);
  std::memcpy(&h[16], &snaplen, 4);
  std::memcpy(&h[20], &linktype, 4);
  return h;
}

void pcap_batch::add(const void* data, std::size_t size) {
  auto* p = static_cast<const std::uint8_t*>(data);
  if (!pieces_.empty()) {
    auto& last = pieces_.back();
    if (static_cast<std::uint8_t*>(last.iov_base) + last.iov_len == p) {
      last.iov_len += size;
      return;
    }
  }
  // writev() only reads the pieces.
  pieces_.push_back({const_cast<std::uint8_t*>(p), size});
}

void pcap_batch::build(byte_buffer& batch, nflog::timestamp (*now)()) {
  pieces_.clear();
  records_ = 0;
  if (batch.size() < packed_header)
    return;
  std::optional<nflog::timestamp> batch_time; // for events without one
  nl::message_reader msgs{byte_view{batch}.subspan(packed_header)};
  while (msgs.next()) { // reads a header before the record overwrites it
    const auto& m = msgs.get();
    if (!nflog::is_packet(m))
      continue; // interface name records
    // Without an nfgenmsg the record is the payload as it is.
    auto facts = m.payload.size() >= sizeof(nfgenmsg)
                     ? inspect(m)
                     : record_facts{true, std::nullopt};
    if (!facts.time && !batch_time)
      batch_time = now(); // one clock read per batch, not per event
    auto t = facts.time ? *facts.time : *batch_time;
    auto size = m.payload.size();
    auto padded = (size + 3u) & ~std::size_t{3};
    auto caplen = facts.has_payload ? size : padded + sizeof empty_payload_tlv;
    // pcap's header: 32-bit seconds and microseconds, captured and
    // original length (the same: nothing is cut).
    const std::uint32_t h[4] = {
        static_cast<std::uint32_t>(t.sec), static_cast<std::uint32_t>(t.usec),
        static_cast<std::uint32_t>(caplen), static_cast<std::uint32_t>(caplen)};
    auto* at = batch.data() + (m.bytes.data() - batch.data());
    std::memcpy(at, h, sizeof h);
    add(at, sizeof h + size);
    if (!facts.has_payload) {
      if (padded > size)
        add(zero_pad, padded - size);
      add(empty_payload_tlv, sizeof empty_payload_tlv);
    }
    ++records_;
  }
}

} // namespace nfactor::app
