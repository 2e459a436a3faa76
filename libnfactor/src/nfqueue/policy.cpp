// SPDX-License-Identifier: Apache-2.0
// The text form of queue policies: rendering and the rule parser.
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

} // namespace nfactor::nfqueue
