// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/rule_builder.hpp"

#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>

namespace nfactor::nft::front {

namespace {

constexpr std::uint32_t reg = NFT_REG_1;

// An address with an optional prefix length ("10.0.0.0/8").
struct prefixed {
  byte_buffer bytes;
  std::uint32_t prefix = 0;
};

std::optional<prefixed> parse_address(std::string_view text, int af) {
  auto slash = text.find('/');
  std::string addr{text.substr(0, slash)};
  prefixed out;
  out.bytes.resize(af == AF_INET ? 4 : 16);
  if (::inet_pton(af, addr.c_str(), out.bytes.data()) != 1)
    return std::nullopt;
  out.prefix = static_cast<std::uint32_t>(out.bytes.size() * 8);
  if (slash != std::string_view::npos) {
    auto p = text.substr(slash + 1);
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (ec != std::errc{} || end != p.data() + p.size() || n == 0 ||
        n > out.prefix)
      return std::nullopt;
    out.prefix = n;
  }
  return out;
}

// `v` as a `len`-byte integer in host order (meta mark, ct state,
// iiftype: the kernel compares them as native integers).
data host_value(std::uint64_t v, std::uint32_t len) {
  data d;
  d.value.resize(len);
  store_uint(d.value, v, byte_order::host);
  return d;
}

// True when `v` fits in the `f.len` bytes of integer field `f`.
bool fits(const field& f, std::uint64_t v) {
  return f.len >= 8 || (v >> (8 * f.len)) == 0;
}

// `v` as integer field `f` holds it: its width, its byte order.
data integer(const field& f, std::uint64_t v) {
  return f.kind == field::shape::integer_be ? make_be(v, f.len)
                                            : host_value(v, f.len);
}

} // namespace

rule_builder::rule_builder(nfnl::family family, std::string table,
                           std::string chain) {
  r_.family = static_cast<std::uint8_t>(family);
  r_.table = std::move(table);
  r_.chain = std::move(chain);
  if (family == nfnl::family::ipv4)
    l3_ = NFPROTO_IPV4;
  else if (family == nfnl::family::ipv6)
    l3_ = NFPROTO_IPV6;
}

void rule_builder::fail(std::string detail) {
  if (!err_)
    err_ = make_error(errc::invalid_argument,
                      "build rule " + r_.table + " " + r_.chain,
                      std::move(detail));
}

void rule_builder::depend(expression load, data value) {
  dependencies_.push_back(r_.exprs.size());
  r_.exprs.push_back(std::move(load));
  r_.exprs.push_back(
      expr::cmp{.sreg = reg, .op = NFT_CMP_EQ, .value = std::move(value)});
}

void rule_builder::need(const field& f) {
  auto family = static_cast<nfnl::family>(r_.family);
  auto meta = [](std::uint32_t key) {
    return expression{expr::meta{.key = key, .dreg = reg, .sreg = {}}};
  };
  // The 2-byte type field at `offset` of the frame (Ethernet or VLAN).
  auto frame_type = [](std::uint32_t offset) {
    expr::payload p;
    p.dreg = reg;
    p.base = NFT_PAYLOAD_LL_HEADER;
    p.offset = offset;
    p.len = 2;
    return expression{p};
  };
  if (f.ether && !ether_ && family != nfnl::family::bridge) {
    depend(meta(NFT_META_IIFTYPE), host_value(ARPHRD_ETHER, 2));
    ether_ = true;
  }
  if (f.ethertype && ethertype_ != f.ethertype) {
    depend(frame_type(12), make_be(f.ethertype, 2));
    ethertype_ = f.ethertype;
  }
  if (f.nfproto && l3_ != f.nfproto) {
    if (l3_ != 0 || family == nfnl::family::arp) {
      fail(std::string{f.name} + " cannot match in this family");
      return;
    }
    auto type = make_be(f.nfproto == NFPROTO_IPV4 ? ETH_P_IP : ETH_P_IPV6, 2);
    // As nft picks it: the type field of the last header the rule matched
    // (a VLAN tag's, or outside bridge tables the Ethernet header's);
    // else in a bridge or netdev table the frame's protocol, and in an
    // inet table the hook's network protocol.
    if (ethertype_ == ETH_P_8021Q || ether_ ||
        (f.typed_in_bridge && family == nfnl::family::bridge))
      depend(frame_type(ethertype_ == ETH_P_8021Q ? 16 : 12), std::move(type));
    else if (family == nfnl::family::bridge || family == nfnl::family::netdev)
      depend(meta(NFT_META_PROTOCOL), std::move(type));
    else
      depend(meta(NFT_META_NFPROTO), make_be(f.nfproto, 1));
    l3_ = f.nfproto;
  }
  if (f.l4proto && l4_ != f.l4proto) {
    depend(meta(NFT_META_L4PROTO), make_be(f.l4proto, 1));
    l4_ = f.l4proto;
  }
}

void rule_builder::load(const field& f) {
  switch (f.from) {
  case field::source::payload: {
    expr::payload p;
    p.dreg = reg;
    p.base = f.key;
    p.offset = f.offset;
    p.len = f.len;
    r_.exprs.push_back(p);
    break;
  }
  case field::source::meta:
    r_.exprs.push_back(expr::meta{.key = f.key, .dreg = reg, .sreg = {}});
    break;
  case field::source::ct: {
    expr::ct c;
    c.dreg = reg;
    c.key = f.key;
    r_.exprs.push_back(c);
    break;
  }
  }
}

void rule_builder::learn(const field& f, std::uint64_t n) {
  auto nfproto_of_type = [](std::uint64_t t) -> std::uint8_t {
    return t == ETH_P_IP ? NFPROTO_IPV4 : t == ETH_P_IPV6 ? NFPROTO_IPV6 : 0;
  };
  std::uint8_t l3 = 0;
  bool payload = f.from == field::source::payload;
  if (f.from == field::source::meta && f.key == NFT_META_NFPROTO &&
      r_.family == NFPROTO_INET)
    l3 = static_cast<std::uint8_t>(n);
  else if (f.from == field::source::meta && f.key == NFT_META_PROTOCOL &&
           (r_.family == NFPROTO_BRIDGE || r_.family == NFPROTO_NETDEV))
    l3 = nfproto_of_type(n); // inet: nft checks meta nfproto all the same
  else if (f.from == field::source::meta && f.key == NFT_META_L4PROTO)
    l4_ = static_cast<std::uint8_t>(n);
  else if (f.from == field::source::meta && f.key == NFT_META_IIFTYPE &&
           n == ARPHRD_ETHER)
    ether_ = true;
  else if (payload && f.key == NFT_PAYLOAD_LL_HEADER && f.len == 2 &&
           f.offset == 12) {
    ethertype_ = static_cast<std::uint16_t>(n);
    l3 = nfproto_of_type(n);
  } else if (payload && f.key == NFT_PAYLOAD_LL_HEADER && f.len == 2 &&
             f.offset == 16 && f.ethertype == ETH_P_8021Q) {
    l3 = nfproto_of_type(n); // vlan type
  } else if (payload && f.key == NFT_PAYLOAD_NETWORK_HEADER && f.len == 1 &&
             ((f.nfproto == NFPROTO_IPV4 && f.offset == 9) ||
              (f.nfproto == NFPROTO_IPV6 && f.offset == 6))) {
    l4_ = static_cast<std::uint8_t>(n); // ip protocol, ip6 nexthdr
  }
  if (l3 && !l3_)
    l3_ = l3;
}

rule_builder& rule_builder::match(const field& f, const value& v, cmp_op op) {
  need(f);
  if (const auto* n = std::get_if<std::uint64_t>(&v.v);
      n && op == cmp_op::eq && f.kind != field::shape::bits)
    learn(f, *n);
  auto cmp = [&](data d) {
    r_.exprs.push_back(expr::cmp{.sreg = reg,
                                 .op = static_cast<std::uint32_t>(op),
                                 .value = std::move(d)});
  };
  const auto* num = std::get_if<std::uint64_t>(&v.v);
  const auto* text = std::get_if<std::string>(&v.v);
  switch (f.kind) {
  case field::shape::integer_be:
  case field::shape::integer_ne:
  case field::shape::bits: {
    if (!num) {
      fail(std::string{f.name} + " takes a number");
      break;
    }
    if (!fits(f, *num)) {
      fail(std::string{f.name} + " value " + std::to_string(*num) +
           " does not fit in " + std::to_string(f.len) + " bytes");
      break;
    }
    load(f);
    if (f.kind == field::shape::bits) {
      // "ct state established,related": any of the bits set.
      expr::bitwise b;
      b.sreg = reg;
      b.dreg = reg;
      b.len = f.len;
      b.mask = host_value(*num, f.len);
      b.xor_ = host_value(0, f.len);
      r_.exprs.push_back(std::move(b));
      r_.exprs.push_back(
          expr::cmp{.sreg = reg,
                    .op = op == cmp_op::eq ? NFT_CMP_NEQ : NFT_CMP_EQ,
                    .value = host_value(0, f.len)});
    } else {
      cmp(integer(f, *num));
    }
    break;
  }
  case field::shape::ifname:
    if (!text || text->empty() || text->size() >= f.len) {
      fail(std::string{f.name} + " takes an interface name of 1 to 15 bytes");
      break;
    }
    load(f);
    cmp(make_string(*text, f.len));
    break;
  case field::shape::ipv4:
  case field::shape::ipv6: {
    auto a = text
                 ? parse_address(*text, f.kind == field::shape::ipv4 ? AF_INET
                                                                     : AF_INET6)
                 : std::nullopt;
    if (!a) {
      fail(std::string{f.name} + ": '" + (text ? *text : std::string{"?"}) +
           "' is not an address[/prefix]");
      break;
    }
    // Byte-aligned prefixes load only their bytes; others load the whole
    // field and mask it (what nft emits for both).
    auto bytes = a->prefix % 8 ? f.len : a->prefix / 8;
    auto sub = f;
    sub.len = bytes;
    load(sub);
    a->bytes.resize(bytes);
    if (a->prefix % 8) {
      byte_buffer mask(bytes, 0);
      for (std::uint32_t bit = 0; bit < a->prefix; ++bit)
        mask[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
      for (std::size_t i = 0; i < bytes; ++i)
        a->bytes[i] &= mask[i];
      expr::bitwise b;
      b.sreg = reg;
      b.dreg = reg;
      b.len = bytes;
      b.mask = make_value(mask);
      b.xor_ = make_value(byte_buffer(bytes, 0));
      r_.exprs.push_back(std::move(b));
    }
    cmp(make_value(a->bytes));
    break;
  }
  }
  return *this;
}

rule_builder& rule_builder::match(const field& f, range_of r, bool negate) {
  need(f);
  if (f.kind != field::shape::integer_be &&
      f.kind != field::shape::integer_ne) {
    fail(std::string{f.name} + " cannot match a range");
    return *this;
  }
  if (r.from > r.to || !fits(f, r.to)) {
    fail(std::string{f.name} + " range " + std::to_string(r.from) + "-" +
         std::to_string(r.to) + " is empty or too wide");
    return *this;
  }
  load(f);
  // nft sends an == range of a network-order field as two comparisons
  // (netlink_gen_range), and the kernel lists what it was sent.
  if (!negate && f.kind == field::shape::integer_be) {
    r_.exprs.push_back(
        expr::cmp{.sreg = reg, .op = NFT_CMP_GTE, .value = integer(f, r.from)});
    r_.exprs.push_back(
        expr::cmp{.sreg = reg, .op = NFT_CMP_LTE, .value = integer(f, r.to)});
    return *this;
  }
  r_.exprs.push_back(expr::range{.sreg = reg,
                                 .op = negate ? NFT_RANGE_NEQ : NFT_RANGE_EQ,
                                 .from = integer(f, r.from),
                                 .to = integer(f, r.to)});
  return *this;
}

rule_builder& rule_builder::match_set(const field& f, std::string set,
                                      bool negate) {
  need(f);
  if (set.empty()) {
    fail("a set lookup needs a set name");
    return *this;
  }
  load(f);
  expr::lookup l;
  l.set = std::move(set);
  l.sreg = reg;
  if (negate)
    l.flags = NFT_LOOKUP_F_INV;
  r_.exprs.push_back(std::move(l));
  return *this;
}

rule_builder& rule_builder::counter() {
  return then(expr::counter{});
}

rule_builder& rule_builder::log(const log_options& o) {
  expr::log l;
  l.prefix = o.prefix;
  l.group = o.group;
  l.snaplen = o.snaplen;
  l.qthreshold = o.qthreshold;
  l.level = o.level;
  l.flags = o.flags;
  if (l.group && l.level)
    fail("log to a group (NFLOG) takes no syslog level");
  return then(std::move(l));
}

rule_builder& rule_builder::limit(const limit_options& o) {
  if (o.rate == 0 || o.unit == 0) {
    fail("limit needs a rate and a unit above zero");
    return *this;
  }
  expr::limit l;
  l.rate = o.rate;
  l.unit = o.unit;
  l.burst = o.burst;
  l.type = o.bytes ? NFT_LIMIT_PKT_BYTES : NFT_LIMIT_PKTS;
  l.flags = o.over ? NFT_LIMIT_F_INV : 0;
  return then(l);
}

rule_builder& rule_builder::set_mark(std::uint32_t mark) {
  r_.exprs.push_back(
      expr::immediate{.dreg = reg, .value = host_value(mark, 4)});
  expr::meta m;
  m.key = NFT_META_MARK;
  m.sreg = reg;
  return then(m);
}

rule_builder& rule_builder::notrack() {
  return then(expr::notrack{});
}

rule_builder& rule_builder::masquerade() {
  return then(expr::masq{});
}

rule_builder& rule_builder::nat(std::uint32_t type, std::string_view addr) {
  auto a4 = parse_address(addr, AF_INET);
  auto a6 = a4 ? std::nullopt : parse_address(addr, AF_INET6);
  if ((!a4 && !a6) || addr.find('/') != std::string_view::npos) {
    fail("nat: '" + std::string{addr} + "' is not an address");
    return *this;
  }
  auto& a = a4 ? *a4 : *a6;
  r_.exprs.push_back(
      expr::immediate{.dreg = reg, .value = make_value(a.bytes)});
  expr::nat n;
  n.type = type;
  n.family = a4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
  n.reg_addr_min = reg;
  return then(n);
}

rule_builder& rule_builder::snat(std::string_view addr) {
  return nat(NFT_NAT_SNAT, addr);
}

rule_builder& rule_builder::dnat(std::string_view addr) {
  return nat(NFT_NAT_DNAT, addr);
}

rule_builder& rule_builder::reject(bool tcp_reset) {
  expr::reject r;
  if (tcp_reset) {
    need(tcp::dport); // adds the l4proto tcp dependency only
    r.type = NFT_REJECT_TCP_RST;
    r.icmp_code = 0;
  } else if (r_.family == NFPROTO_IPV4 || r_.family == NFPROTO_IPV6) {
    r.type = NFT_REJECT_ICMP_UNREACH;
    r.icmp_code = r_.family == NFPROTO_IPV4 ? 3 : 4; // port unreachable
  } else {
    r.type = NFT_REJECT_ICMPX_UNREACH;
    r.icmp_code = NFT_REJECT_ICMPX_PORT_UNREACH;
  }
  return then(r);
}

rule_builder& rule_builder::queue(std::uint16_t num, bool bypass) {
  expr::queue q;
  q.num = num;
  q.total = 1;
  if (bypass)
    q.flags = NFT_QUEUE_FLAG_BYPASS;
  return then(q);
}

rule_builder& rule_builder::verdict(std::int32_t code,
                                    std::optional<std::string> chain) {
  if (chain && chain->empty()) {
    fail("jump and goto need a chain name");
    return *this;
  }
  return then(expr::immediate{.dreg = NFT_REG_VERDICT,
                              .value = make_verdict(code, std::move(chain))});
}

rule_builder& rule_builder::accept() {
  return verdict(NF_ACCEPT, {});
}
rule_builder& rule_builder::drop() {
  return verdict(NF_DROP, {});
}
rule_builder& rule_builder::ret() {
  return verdict(NFT_RETURN, {});
}
rule_builder& rule_builder::next() {
  return verdict(NFT_CONTINUE, {});
}
rule_builder& rule_builder::jump(std::string chain) {
  return verdict(NFT_JUMP, std::move(chain));
}
rule_builder& rule_builder::go_to(std::string chain) {
  return verdict(NFT_GOTO, std::move(chain));
}

rule_builder& rule_builder::then(expression e) {
  r_.exprs.push_back(std::move(e));
  return *this;
}

rule_builder& rule_builder::require(const field& f) {
  need(f);
  return *this;
}

rule_builder& rule_builder::comment(std::string_view text) {
  if (text.size() > 128)
    fail("comments are limited to 128 bytes");
  else
    r_.userdata = comment_userdata(text);
  return *this;
}

result<rule> rule_builder::build() const& {
  if (err_)
    return *err_;
  return r_;
}

result<rule> rule_builder::build() && {
  if (err_)
    return std::move(*err_);
  return std::move(r_);
}

} // namespace nfactor::nft::front
