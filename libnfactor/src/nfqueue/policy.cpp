// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfqueue/policy.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <netinet/in.h>

#include "policy_values.hpp"

namespace nfactor::nfqueue {

// -- values -------------------------------------------------------------------

namespace detail {

namespace {

struct proto_entry {
  const char* name;
  std::uint8_t number;
};

// The protocols the syntax names (IPPROTO_* of <netinet/in.h>).
constexpr proto_entry protocols[] = {
    {"tcp", IPPROTO_TCP},         {"udp", IPPROTO_UDP},
    {"udplite", IPPROTO_UDPLITE}, {"sctp", IPPROTO_SCTP},
    {"icmp", IPPROTO_ICMP},       {"icmpv6", IPPROTO_ICMPV6},
    {"gre", IPPROTO_GRE},         {"esp", IPPROTO_ESP},
    {"ah", IPPROTO_AH},
};

bool has_ports(std::uint8_t p) {
  return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_UDPLITE ||
         p == IPPROTO_SCTP;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<std::uint64_t> number(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 20)
    return std::nullopt;
  std::uint64_t v = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (s.size() > 10)
      return std::nullopt;
    for (auto c : s.substr(2)) {
      int d = hex_digit(c);
      if (d < 0)
        return std::nullopt;
      v = v * 16 + static_cast<std::uint64_t>(d);
    }
  } else {
    for (auto c : s) {
      if (c < '0' || c > '9' || v > max)
        return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
  }
  if (v > max)
    return std::nullopt;
  return v;
}

std::optional<ip_prefix> prefix(std::string_view s) {
  auto slash = s.find('/');
  std::string addr{s.substr(0, slash)};
  ip_prefix p;
  if (::inet_pton(AF_INET, addr.c_str(), p.bytes.data()) == 1) {
    p.version = 4;
    p.length = 32;
  } else if (::inet_pton(AF_INET6, addr.c_str(), p.bytes.data()) == 1) {
    p.version = 6;
    p.length = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string_view::npos) {
    auto len = number(s.substr(slash + 1), p.length);
    if (!len || s.substr(slash + 1).starts_with("0x"))
      return std::nullopt;
    p.length = static_cast<std::uint8_t>(*len);
  }
  // Canonical: host bits cleared, so equal prefixes compare equal.
  for (unsigned bit = p.length; bit < (p.version == 4 ? 32u : 128u); ++bit)
    p.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  return p;
}

std::optional<port_range> ports(std::string_view s) {
  auto dash = s.find('-');
  auto lo = number(s.substr(0, dash), 0xffff);
  if (!lo)
    return std::nullopt;
  port_range r{static_cast<std::uint16_t>(*lo),
               static_cast<std::uint16_t>(*lo)};
  if (dash != std::string_view::npos) {
    auto hi = number(s.substr(dash + 1), 0xffff);
    if (!hi || *hi < *lo)
      return std::nullopt;
    r.hi = static_cast<std::uint16_t>(*hi);
  }
  return r;
}

std::optional<mark_match> mark(std::string_view s) {
  auto slash = s.find('/');
  auto v = number(s.substr(0, slash), 0xffffffff);
  if (!v)
    return std::nullopt;
  mark_match m{static_cast<std::uint32_t>(*v), 0xffffffff};
  if (slash != std::string_view::npos) {
    auto mask = number(s.substr(slash + 1), 0xffffffff);
    if (!mask)
      return std::nullopt;
    m.mask = static_cast<std::uint32_t>(*mask);
  }
  m.value &= m.mask;
  return m;
}

std::optional<std::uint8_t> protocol(std::string_view s) {
  for (const auto& p : protocols)
    if (s == p.name)
      return p.number;
  if (auto n = number(s, 255))
    return static_cast<std::uint8_t>(*n);
  return std::nullopt;
}

const char* protocol_name(std::uint8_t p) noexcept {
  for (const auto& e : protocols)
    if (e.number == p)
      return e.name;
  return nullptr;
}

std::optional<std::uint8_t> family(std::string_view s) {
  if (s == "ip")
    return NFPROTO_IPV4;
  if (s == "ip6")
    return NFPROTO_IPV6;
  return std::nullopt;
}

std::optional<byte_buffer> hex_bytes(std::string_view s) {
  if (!s.starts_with("0x") || s.size() < 4 || s.size() % 2 != 0)
    return std::nullopt;
  byte_buffer out;
  for (std::size_t i = 2; i < s.size(); i += 2) {
    int hi = hex_digit(s[i]);
    int lo = hex_digit(s[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

bool ifname(std::string_view s) {
  return !s.empty() && s.size() < IFNAMSIZ &&
         std::none_of(s.begin(), s.end(), [](char c) {
           return c == '/' || c == '"' || c == '\\' ||
                  std::isspace(static_cast<unsigned char>(c)) ||
                  !std::isprint(static_cast<unsigned char>(c));
         });
}

bool ports_possible(const policy_rule& r) {
  return !r.protocol || has_ports(*r.protocol);
}

std::string quoted(std::string_view s) {
  if (s.empty())
    return "end of rule";
  return "\"" + std::string{s} + "\"";
}

error fail(std::string op, std::string where, std::string_view expected,
           std::string found) {
  return make_error(errc::invalid_argument, std::move(op),
                    where + ": expected " + std::string{expected} + ", found " +
                        found);
}

} // namespace detail

bool ip_prefix::contains(std::uint8_t addr_version,
                         const std::uint8_t* addr) const noexcept {
  if (addr_version != version)
    return false;
  unsigned full = length / 8u;
  if (std::memcmp(bytes.data(), addr, full) != 0)
    return false;
  unsigned rest = length % 8u;
  if (rest == 0)
    return true;
  auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
  return (addr[full] & mask) == bytes[full];
}

std::string to_string(const ip_prefix& p) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(p.version == 4 ? AF_INET : AF_INET6, p.bytes.data(), text,
              sizeof(text));
  std::string out = text;
  if (p.length != (p.version == 4 ? 32 : 128))
    out += "/" + std::to_string(p.length);
  return out;
}

verdict policy_action::to_verdict() const {
  using k = kind;
  verdict v;
  switch (what) {
  case k::accept:
    v = verdict::accept();
    break;
  case k::drop:
    v = verdict::drop();
    break;
  case k::mark:
    v = verdict::accept();
    v.mark = set_mark;
    break;
  case k::queue:
    v = verdict::to_queue(target_queue, bypass);
    break;
  case k::repeat:
    v = verdict::repeat();
    v.mark = set_mark;
    break;
  }
  return v;
}

// -- text form ----------------------------------------------------------------

namespace {

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%x", v);
  return buf;
}

std::string render_action(const policy_action& a) {
  using k = policy_action::kind;
  switch (a.what) {
  case k::accept:
    return "accept";
  case k::drop:
    return "drop";
  case k::mark:
    return "mark " + std::to_string(a.set_mark.value_or(0));
  case k::queue:
    return "queue " + std::to_string(a.target_queue) +
           (a.bypass ? " bypass" : "");
  case k::repeat:
    return a.set_mark ? "mark " + std::to_string(*a.set_mark) + " repeat"
                      : std::string{"repeat"};
  }
  return "accept";
}

// Printable bytes as a quoted string, others as 0x hex.
std::string render_bytes(const byte_buffer& b) {
  bool text = std::all_of(b.begin(), b.end(),
                          [](std::uint8_t c) { return c >= 0x20 && c < 0x7f; });
  std::string out;
  if (text) {
    out = "\"";
    for (auto c : b) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += static_cast<char>(c);
    }
    return out + "\"";
  }
  out = "0x";
  for (auto c : b) {
    char buf[3];
    std::snprintf(buf, sizeof(buf), "%02x", c);
    out += buf;
  }
  return out;
}

std::string render_ports(const port_range& r) {
  return r.lo == r.hi ? std::to_string(r.lo)
                      : std::to_string(r.lo) + "-" + std::to_string(r.hi);
}

} // namespace

std::string to_string(const policy_rule& r) {
  std::string out = render_action(r.action);
  auto add = [&](const std::string& s) {
    out += " " + s;
  };
  if (r.family)
    add(*r.family == NFPROTO_IPV6 ? "ip6" : "ip");
  if (r.protocol) {
    auto name = detail::protocol_name(*r.protocol);
    add(name ? std::string{name} : "proto " + std::to_string(*r.protocol));
  }
  if (r.saddr)
    add("saddr " + to_string(*r.saddr));
  if (r.daddr)
    add("daddr " + to_string(*r.daddr));
  if (r.sport)
    add("sport " + render_ports(*r.sport));
  if (r.dport)
    add("dport " + render_ports(*r.dport));
  if (r.uid)
    add("uid " + std::to_string(*r.uid));
  if (r.gid)
    add("gid " + std::to_string(*r.gid));
  if (r.mark)
    add("mark " + (r.mark->mask == 0xffffffff
                       ? std::to_string(r.mark->value)
                       : hex(r.mark->value) + "/" + hex(r.mark->mask)));
  if (r.iif)
    add("iif " + *r.iif);
  if (r.oif)
    add("oif " + *r.oif);
  for (const auto& p : r.payload)
    add("payload " + render_bytes(p));
  return out;
}

namespace {

struct token {
  std::string text;
  /// 1-based column of its first character.
  std::size_t column = 0;
  bool quoted = false;
};

// Splits at blanks; "..." is one token with its escapes resolved.
result<std::vector<token>> lex(std::string_view s, const std::string& op) {
  std::vector<token> out;
  std::size_t i = 0;
  auto at = [](std::size_t col) {
    return "column " + std::to_string(col);
  };
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    token t;
    t.column = i + 1;
    if (s[i] != '"') {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])))
        t.text += s[i++];
      out.push_back(std::move(t));
      continue;
    }
    t.quoted = true;
    ++i;
    bool closed = false;
    while (i < s.size()) {
      char c = s[i++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\') {
        t.text += c;
        continue;
      }
      auto esc_col = i; // the backslash, 1-based
      char e = i < s.size() ? s[i++] : '\0';
      if (e == '"' || e == '\\') {
        t.text += e;
      } else if (e == 'n') {
        t.text += '\n';
      } else if (e == 't') {
        t.text += '\t';
      } else if (auto b = e == 'x' ? detail::hex_bytes(
                                         "0x" + std::string{s.substr(i, 2)})
                                   : std::nullopt;
                 b && b->size() == 1) {
        t.text += static_cast<char>((*b)[0]);
        i += 2;
      } else {
        return detail::fail(op, at(esc_col),
                            "an escape (\\\" \\\\ \\n \\t \\xHH)",
                            detail::quoted(s.substr(esc_col - 1, 2)));
      }
    }
    if (!closed)
      return detail::fail(op, at(t.column), "a closing quote", "end of rule");
    out.push_back(std::move(t));
  }
  return out;
}

class rule_parser {
 public:
  rule_parser(std::string_view text, std::vector<token> tokens)
    : op_("rule \"" + std::string{text} + "\""), end_col_(text.size() + 1),
      tokens_(std::move(tokens)) {}

  result<policy_rule> run() {
    if (auto a = action(); !a)
      return std::move(a).err();
    while (pos_ < tokens_.size())
      if (auto m = match(); !m)
        return std::move(m).err();
    return rule_;
  }

  result<policy_action> action_only() {
    if (auto a = action(); !a)
      return std::move(a).err();
    if (pos_ < tokens_.size())
      return fail("end of the verdict", tokens_[pos_]);
    return rule_.action;
  }

 private:
  error fail(std::string_view expected, const token& t) const {
    return detail::fail(op_, "column " + std::to_string(t.column), expected,
                        t.quoted ? "a quoted string" : detail::quoted(t.text));
  }
  error fail_end(std::string_view expected) const {
    return detail::fail(op_, "column " + std::to_string(end_col_), expected,
                        "end of rule");
  }
  error fail_here(std::string_view expected) const {
    return pos_ < tokens_.size() ? fail(expected, tokens_[pos_])
                                 : fail_end(expected);
  }

  // The next token if it is a word (not a quoted string).
  const token* word() const {
    return pos_ < tokens_.size() && !tokens_[pos_].quoted ? &tokens_[pos_]
                                                          : nullptr;
  }

  template <class T, class F>
  result<T> value(std::string_view expected, F read) {
    auto w = word();
    if (!w)
      return fail_here(expected);
    auto v = read(std::string_view{w->text});
    if (!v)
      return fail(expected, *w);
    ++pos_;
    return static_cast<T>(*v);
  }

  result<void> action() {
    using k = policy_action::kind;
    auto w = word();
    if (!w)
      return fail_here(detail::expect_action);
    auto& a = rule_.action;
    const auto& t = w->text;
    if (t == "accept") {
      a.what = k::accept;
    } else if (t == "drop") {
      a.what = k::drop;
    } else if (t == "repeat") {
      a.what = k::repeat;
    } else if (t == "mark") {
      ++pos_;
      auto m = value<std::uint32_t>(
          "a mark to set (0-0xffffffff)",
          [](std::string_view s) { return detail::number(s, 0xffffffff); });
      if (!m)
        return std::move(m).err();
      a.what = k::mark;
      a.set_mark = *m;
      if (auto r = word(); r && r->text == "repeat") {
        a.what = k::repeat;
        ++pos_;
      }
      return {};
    } else if (t == "queue") {
      ++pos_;
      auto q =
          value<std::uint16_t>(detail::expect_queue, [](std::string_view s) {
            return detail::number(s, 0xffff);
          });
      if (!q)
        return std::move(q).err();
      a.what = k::queue;
      a.target_queue = *q;
      if (auto b = word(); b && b->text == "bypass") {
        a.bypass = true;
        ++pos_;
      }
      return {};
    } else {
      return fail(detail::expect_action, *w);
    }
    ++pos_;
    return {};
  }

  // Sets `slot` once; a second time is an error at the keyword.
  template <class T>
  result<void> once(std::optional<T>& slot, T v, const token& keyword) {
    if (slot)
      return fail("each match once", keyword);
    slot = std::move(v);
    return {};
  }

  result<void> match() {
    const auto& kw = tokens_[pos_];
    if (kw.quoted)
      return fail(detail::expect_match, kw);
    const auto& t = kw.text;
    if (auto f = detail::family(t)) {
      ++pos_;
      auto addr = rule_.saddr ? rule_.saddr : rule_.daddr;
      if (!rule_.family && addr && (*f == NFPROTO_IPV4) != (addr->version == 4))
        return fail(std::string{"the family of the addresses ("} +
                        (addr->version == 4 ? "ip" : "ip6") + ")",
                    kw);
      return once(rule_.family, *f, kw);
    }
    if (t != "proto") {
      for (auto n : {"tcp", "udp", "udplite", "sctp", "icmp", "icmpv6", "gre",
                     "esp", "ah"})
        if (t == n) {
          ++pos_;
          return set_protocol(*detail::protocol(t), kw);
        }
    }
    ++pos_;
    if (t == "proto") {
      auto p = value<std::uint8_t>(detail::expect_proto, detail::protocol);
      if (!p)
        return std::move(p).err();
      return set_protocol(*p, kw);
    }
    if (t == "saddr" || t == "daddr") {
      auto p = value<ip_prefix>(detail::expect_prefix, detail::prefix);
      if (!p)
        return std::move(p).err();
      auto& other = t == "saddr" ? rule_.daddr : rule_.saddr;
      if (other && other->version != p->version)
        return fail("an address of the same family as the other address",
                    tokens_[pos_ - 1]);
      if (rule_.family && (*rule_.family == NFPROTO_IPV4) != (p->version == 4))
        return fail(std::string{"an address of family "} +
                        (*rule_.family == NFPROTO_IPV4 ? "ip" : "ip6"),
                    tokens_[pos_ - 1]);
      return once(t == "saddr" ? rule_.saddr : rule_.daddr, *p, kw);
    }
    if (t == "sport" || t == "dport") {
      if (!detail::ports_possible(rule_))
        return fail("a match other than ports (the protocol has none)", kw);
      auto p = value<port_range>(detail::expect_ports, detail::ports);
      if (!p)
        return std::move(p).err();
      return once(t == "sport" ? rule_.sport : rule_.dport, *p, kw);
    }
    if (t == "uid" || t == "gid") {
      auto n = value<std::uint32_t>(detail::expect_id, [](std::string_view s) {
        return detail::number(s, 0xffffffff);
      });
      if (!n)
        return std::move(n).err();
      return once(t == "uid" ? rule_.uid : rule_.gid, *n, kw);
    }
    if (t == "mark") {
      auto m = value<mark_match>(detail::expect_mark, detail::mark);
      if (!m)
        return std::move(m).err();
      return once(rule_.mark, *m, kw);
    }
    if (t == "iif" || t == "oif") {
      auto n =
          value<std::string>(detail::expect_ifname, [](std::string_view s) {
            return detail::ifname(s) ? std::optional<std::string>{s}
                                     : std::nullopt;
          });
      if (!n)
        return std::move(n).err();
      return once(t == "iif" ? rule_.iif : rule_.oif, *n, kw);
    }
    if (t == "payload") {
      constexpr auto expected = "a quoted string or 0x hex bytes";
      if (pos_ >= tokens_.size())
        return fail_end(expected);
      const auto& v = tokens_[pos_];
      if (v.quoted) {
        if (v.text.empty())
          return fail("a non-empty string", v);
        rule_.payload.emplace_back(v.text.begin(), v.text.end());
      } else if (auto b = detail::hex_bytes(v.text)) {
        rule_.payload.push_back(std::move(*b));
      } else {
        return fail(expected, v);
      }
      ++pos_;
      return {};
    }
    --pos_;
    return fail(detail::expect_match, kw);
  }

  result<void> set_protocol(std::uint8_t p, const token& kw) {
    if (rule_.protocol)
      return fail("each match once", kw);
    rule_.protocol = p;
    if ((rule_.sport || rule_.dport) && !detail::ports_possible(rule_))
      return fail("a protocol with ports (tcp, udp, udplite, sctp)", kw);
    return {};
  }

  std::string op_;
  std::size_t end_col_;
  std::vector<token> tokens_;
  std::size_t pos_ = 0;
  policy_rule rule_;
};

} // namespace

result<policy_rule> parse_rule(std::string_view text) {
  std::string op = "rule \"" + std::string{text} + "\"";
  auto tokens = lex(text, op);
  if (!tokens)
    return std::move(tokens).err();
  return rule_parser{text, std::move(*tokens)}.run();
}

result<policy_action> parse_action(std::string_view text) {
  std::string op = "rule \"" + std::string{text} + "\"";
  auto tokens = lex(text, op);
  if (!tokens)
    return std::move(tokens).err();
  auto a = rule_parser{text, std::move(*tokens)}.action_only();
  if (!a)
    a.err().op = "verdict \"" + std::string{text} + "\"";
  return a;
}

// -- matching -----------------------------------------------------------------

packet_headers packet_headers::read(byte_view p) noexcept {
  packet_headers h;
  if (p.empty())
    return h;
  std::size_t off = 0;
  std::uint8_t next = 0;
  bool later_fragment = false;
  if ((p[0] >> 4) == 4) {
    std::size_t ihl = (p[0] & 0x0fu) * 4u;
    if (p.size() < 20 || ihl < 20 || p.size() < ihl)
      return h;
    h.version = 4;
    std::memcpy(h.saddr.data(), p.data() + 12, 4);
    std::memcpy(h.daddr.data(), p.data() + 16, 4);
    next = p[9];
    off = ihl;
    later_fragment = ((p[6] & 0x1fu) << 8 | p[7]) != 0;
  } else if ((p[0] >> 4) == 6) {
    if (p.size() < 40)
      return h;
    h.version = 6;
    std::memcpy(h.saddr.data(), p.data() + 8, 16);
    std::memcpy(h.daddr.data(), p.data() + 24, 16);
    next = p[6];
    off = 40;
    // Extension headers (hop-by-hop, routing, destination options,
    // fragment, AH), a bounded number of them.
    for (int n = 0; n < 8; ++n) {
      if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
          next == IPPROTO_DSTOPTS) {
        if (p.size() < off + 2)
          return h;
        next = p[off];
        off += (p[off + 1] + 1u) * 8u;
      } else if (next == IPPROTO_FRAGMENT) {
        if (p.size() < off + 8)
          return h;
        later_fragment = ((p[off + 2] << 8 | p[off + 3]) & 0xfff8) != 0;
        next = p[off];
        off += 8;
      } else if (next == IPPROTO_AH) {
        if (p.size() < off + 2)
          return h;
        next = p[off];
        off += (p[off + 1] + 2u) * 4u;
      } else {
        break;
      }
    }
    if (off > p.size())
      return h;
  } else {
    return h;
  }
  h.protocol = next;
  if (later_fragment)
    return h;
  auto l4 = p.subspan(off);
  std::size_t header = 0;
  switch (next) {
  case IPPROTO_TCP:
    header = l4.size() >= 13 ? (l4[12] >> 4) * 4u : 20u;
    header = std::max<std::size_t>(header, 20);
    break;
  case IPPROTO_UDP:
  case IPPROTO_UDPLITE:
  case IPPROTO_ICMP:
  case IPPROTO_ICMPV6:
    header = 8;
    break;
  case IPPROTO_SCTP:
    header = 12;
    break;
  default:
    break;
  }
  bool ported = next == IPPROTO_TCP || next == IPPROTO_UDP ||
                next == IPPROTO_UDPLITE || next == IPPROTO_SCTP;
  if (ported && l4.size() >= 4) {
    h.sport = static_cast<std::uint16_t>(l4[0] << 8 | l4[1]);
    h.dport = static_cast<std::uint16_t>(l4[2] << 8 | l4[3]);
  }
  if (l4.size() >= header)
    h.l4_payload = l4.subspan(header);
  return h;
}

bool matches(const policy_rule& r, const queue_packet& p,
             const packet_headers& h) noexcept {
  if (r.family && p.family != *r.family)
    return false;
  if (r.protocol && h.protocol != r.protocol)
    return false;
  if (r.saddr && !r.saddr->contains(h.version, h.saddr.data()))
    return false;
  if (r.daddr && !r.daddr->contains(h.version, h.daddr.data()))
    return false;
  auto in = [](const port_range& range, std::optional<std::uint16_t> port) {
    return port && *port >= range.lo && *port <= range.hi;
  };
  if (r.sport && !in(*r.sport, h.sport))
    return false;
  if (r.dport && !in(*r.dport, h.dport))
    return false;
  if (r.uid && p.uid != r.uid)
    return false;
  if (r.gid && p.gid != r.gid)
    return false;
  if (r.mark && (p.mark.value_or(0) & r.mark->mask) != r.mark->value)
    return false;
  if (r.iif && p.indev_name != r.iif)
    return false;
  if (r.oif && p.outdev_name != r.oif)
    return false;
  for (const auto& needle : r.payload)
    if (std::search(h.l4_payload.begin(), h.l4_payload.end(), needle.begin(),
                    needle.end()) == h.l4_payload.end())
      return false;
  return true;
}

decision policy::decide(const queue_packet& p) const {
  auto h = packet_headers::read(p.payload ? p.payload->view() : byte_view{});
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (matches(rules[i], p, h))
      return {rules[i].action.to_verdict(), i};
  return {fallback.to_verdict(), std::nullopt};
}

bool policy::needs_uid_gid() const noexcept {
  return std::any_of(rules.begin(), rules.end(),
                     [](const policy_rule& r) { return r.needs_uid_gid(); });
}

bool policy::needs_names() const noexcept {
  return std::any_of(rules.begin(), rules.end(),
                     [](const policy_rule& r) { return r.needs_names(); });
}

} // namespace nfactor::nfqueue
