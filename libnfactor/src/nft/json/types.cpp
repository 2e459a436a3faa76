// SPDX-License-Identifier: Apache-2.0
//
// nft's data types as the JSON reader needs them: ids (src/datatype.h of
// nftables, enum datatypes), sizes, byte order, symbols; values and set
// elements of those types.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <arpa/inet.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "names.hpp"
#include "reader.hpp"

namespace nfactor::nft::json::detail {

namespace {

constexpr std::array<name_code, 12> protocols{{
    {"icmp", 1},
    {"igmp", 2},
    {"tcp", 6},
    {"udp", 17},
    {"gre", 47},
    {"esp", 50},
    {"ah", 51},
    {"ipv6-icmp", 58},
    {"icmpv6", 58},
    {"sctp", 132},
    {"udplite", 136},
    {"dccp", 33},
}};

// nf_conntrack_common.h: NF_CT_STATE_BIT(IP_CT_*), INVALID, UNTRACKED.
constexpr std::array<name_code, 5> ct_states{{
    {"invalid", 1},
    {"established", 2},
    {"related", 4},
    {"new", 8},
    {"untracked", 64},
}};

constexpr std::array<name_code, 2> ct_dirs{{{"original", 0}, {"reply", 1}}};

// enum ip_conntrack_status.
constexpr std::array<name_code, 7> ct_status{{
    {"expected", 1},
    {"seen-reply", 2},
    {"assured", 4},
    {"confirmed", 8},
    {"snat", 16},
    {"dnat", 32},
    {"dying", 512},
}};

constexpr std::array<name_code, 2> nfprotos{{
    {"ipv4", NFPROTO_IPV4},
    {"ipv6", NFPROTO_IPV6},
}};

// <linux/if_packet.h> PACKET_*.
constexpr std::array<name_code, 4> pkttypes{{
    {"host", 0},
    {"broadcast", 1},
    {"multicast", 2},
    {"other", 3},
}};

// <linux/rtnetlink.h> RTN_*.
constexpr std::array<name_code, 12> fib_types{{
    {"unspec", 0},
    {"unicast", 1},
    {"local", 2},
    {"broadcast", 3},
    {"anycast", 4},
    {"multicast", 5},
    {"blackhole", 6},
    {"unreachable", 7},
    {"prohibit", 8},
    {"throw", 9},
    {"nat", 10},
    {"xresolve", 11},
}};

constexpr std::array<name_code, 6> ether_types{{
    {"ip", 0x0800},
    {"arp", 0x0806},
    {"ip6", 0x86dd},
    {"8021q", 0x8100}, // as nft lists it; "vlan" reads too
    {"vlan", 0x8100},
    {"8021ad", 0x88a8},
}};

constexpr std::array<name_code, 3> arphrds{{
    {"ether", 1},
    {"loopback", 772},
    {"ipip", 768},
}};

// nftables src/tcp.c (tcp_flag_type), src/icmp.c / src/proto.c
// (icmp_code_type, icmp6_type_type, icmpv6_code_type): what nft lists.
constexpr std::array<name_code, 8> tcp_flags{{
    {"fin", 0x01},
    {"syn", 0x02},
    {"rst", 0x04},
    {"psh", 0x08},
    {"ack", 0x10},
    {"urg", 0x20},
    {"ecn", 0x40},
    {"cwr", 0x80},
}};

constexpr std::array<name_code, 8> icmp_codes{{
    {"net-unreachable", 0},
    {"host-unreachable", 1},
    {"prot-unreachable", 2},
    {"port-unreachable", 3},
    {"frag-needed", 4},
    {"net-prohibited", 9},
    {"host-prohibited", 10},
    {"admin-prohibited", 13},
}};

constexpr std::array<name_code, 18> icmpv6_types{{
    {"destination-unreachable", 1},
    {"packet-too-big", 2},
    {"time-exceeded", 3},
    {"parameter-problem", 4},
    {"echo-request", 128},
    {"echo-reply", 129},
    {"mld-listener-query", 130},
    {"mld-listener-report", 131},
    {"mld-listener-done", 132},
    {"nd-router-solicit", 133},
    {"nd-router-advert", 134},
    {"nd-neighbor-solicit", 135},
    {"nd-neighbor-advert", 136},
    {"nd-redirect", 137},
    {"router-renumbering", 138},
    {"ind-neighbor-solicit", 141},
    {"ind-neighbor-advert", 142},
    {"mld2-listener-report", 143},
}};

constexpr std::array<name_code, 6> icmpv6_codes{{
    {"no-route", 0},
    {"admin-prohibited", 1},
    {"addr-unreachable", 3},
    {"port-unreachable", 4},
    {"policy-fail", 5},
    {"reject-route", 6},
}};

constexpr std::array<name_code, 8> icmp_types{{
    {"echo-reply", 0},
    {"destination-unreachable", 3},
    {"redirect", 5},
    {"echo-request", 8},
    {"router-advertisement", 9},
    {"router-solicitation", 10},
    {"time-exceeded", 11},
    {"parameter-problem", 12},
}};

constexpr std::array<name_code, 2> booleans{{{"false", 0}, {"true", 1}}};

// <linux/pkt_sched.h> TC_H_UNSPEC, TC_H_ROOT.
constexpr std::array<name_code, 2> tc_handles{
    {{"none", 0}, {"root", 0xffffffff}}};

// nftables src/proto.c (dscp_type, ecn_type), as `nft describe ip dscp`
// and `nft describe ip ecn` list them.
constexpr std::array<name_code, 25> dscps{{
    {"cs0", 0x00},  {"cs1", 0x08},  {"cs2", 0x10},   {"cs3", 0x18},
    {"cs4", 0x20},  {"cs5", 0x28},  {"cs6", 0x30},   {"cs7", 0x38},
    {"df", 0x00},   {"be", 0x00},   {"lephb", 0x01}, {"af11", 0x0a},
    {"af12", 0x0c}, {"af13", 0x0e}, {"af21", 0x12},  {"af22", 0x14},
    {"af23", 0x16}, {"af31", 0x1a}, {"af32", 0x1c},  {"af33", 0x1e},
    {"af41", 0x22}, {"af42", 0x24}, {"af43", 0x26},  {"va", 0x2c},
    {"ef", 0x2e},
}};

// nftables src/meta.c (day_type): days of the week, 0 = Sunday.
constexpr std::array<name_code, 7> days{{
    {"Sunday", 0},
    {"Monday", 1},
    {"Tuesday", 2},
    {"Wednesday", 3},
    {"Thursday", 4},
    {"Friday", 5},
    {"Saturday", 6},
}};

constexpr std::array<name_code, 4> ecns{{
    {"not-ect", 0x00},
    {"ect1", 0x01},
    {"ect0", 0x02},
    {"ce", 0x03},
}};

// nft's types by name (ids: nft/datatype.hpp).
constexpr std::array<dtype, 32> dtypes{{
    {"integer", datatype::integer, 4, false, shape::integer},
    {"ipv4_addr", datatype::ipv4_addr, 4, true, shape::ipv4},
    {"ipv6_addr", datatype::ipv6_addr, 16, true, shape::ipv6},
    {"ether_addr", datatype::ether_addr, 6, true, shape::ether},
    {"ether_type", datatype::ether_type, 2, true, shape::integer, ether_types},
    {"inet_proto", datatype::inet_proto, 1, true, shape::integer, protocols},
    {"inet_service", datatype::inet_service, 2, true, shape::integer},
    {"icmp_type", datatype::icmp_type, 1, true, shape::integer, icmp_types},
    {"tcp_flag", datatype::tcp_flag, 1, true, shape::integer, tcp_flags},
    {"icmpv6_type", datatype::icmpv6_type, 1, true, shape::integer,
     icmpv6_types},
    {"icmp_code", datatype::icmp_code, 1, true, shape::integer, icmp_codes},
    {"icmpv6_code", datatype::icmpv6_code, 1, true, shape::integer,
     icmpv6_codes},
    {"mark", datatype::mark, 4, false, shape::integer},
    {"iface_index", datatype::iface_index, 4, false, shape::ifindex},
    {"iface_type", datatype::iface_type, 2, false, shape::integer, arphrds},
    {"uid", datatype::uid, 4, false, shape::integer},
    {"gid", datatype::gid, 4, false, shape::integer},
    {"ct_state", datatype::ct_state, 4, false, shape::integer, ct_states},
    {"ct_dir", datatype::ct_dir, 1, false, shape::integer, ct_dirs},
    {"ct_status", datatype::ct_status, 4, false, shape::integer, ct_status},
    {"pkt_type", datatype::pkt_type, 1, false, shape::integer, pkttypes},
    {"fib_addrtype", datatype::fib_addrtype, 4, false, shape::integer,
     fib_types},
    {"realm", datatype::realm, 4, false, shape::number_text},
    {"boolean", datatype::boolean, 1, false, shape::boolean, booleans},
    {"ifname", datatype::ifname, 16, false, shape::ifname},
    {"nf_proto", datatype::nf_proto, 1, false, shape::integer, nfprotos},
    {"dscp", datatype::dscp, 1, true, shape::integer, dscps},
    {"ecn", datatype::ecn, 1, true, shape::integer, ecns},
    {"time", datatype::time, 8, false, shape::date},
    {"hour", datatype::hour, 4, false, shape::hour},
    {"day", datatype::day, 1, false, shape::integer, days},
    {"classid", datatype::classid, 4, false, shape::tc_handle, tc_handles},
}};

// Integers of fields, by size and byte order (integer_type()).
constexpr auto integers = std::to_array<dtype>({
    {"integer", datatype::integer, 1, false, shape::integer},
    {"integer", datatype::integer, 2, false, shape::integer},
    {"integer", datatype::integer, 4, false, shape::integer},
    {"integer", datatype::integer, 8, false, shape::integer},
    {"integer", datatype::integer, 1, true, shape::integer},
    {"integer", datatype::integer, 2, true, shape::integer},
    // ip6 flowlabel's bytes:
    {"integer", datatype::integer, 3, true, shape::integer},
    {"integer", datatype::integer, 4, true, shape::integer},
    {"integer", datatype::integer, 8, true, shape::integer},
});

std::uint32_t pad4(std::uint32_t n) {
  return (n + 3) / 4 * 4;
}

// Interface index of `name` in the target namespace.
std::optional<std::uint32_t> index_of(const context& cx,
                                      const std::string& name) {
  if (cx.opts && cx.opts->ifindex)
    return cx.opts->ifindex(name);
  auto i = ::if_nametoindex(name.c_str());
  if (i == 0)
    return std::nullopt;
  return i;
}

// nft's meta hour ("17:00", "17:00:05"; local time) as seconds of the
// day in UTC.
std::optional<std::uint64_t> hour_of(const std::string& s) {
  unsigned h = 0, m = 0, sec = 0;
  char tail = 0;
  int n = std::sscanf(s.c_str(), "%2u:%2u:%2u%c", &h, &m, &sec, &tail);
  if ((n != 2 && n != 3) || h > 23 || m > 59 || sec > 59)
    return std::nullopt;
  long day = 86400;
  long t =
      (static_cast<long>(h * 3600 + m * 60 + sec) - utc_offset_now()) % day;
  return static_cast<std::uint64_t>(t < 0 ? t + day : t);
}

// nft's meta time ("2026-01-01 00:00:00", "2026-01-01 00:00",
// "2026-01-01"; local time) as nanoseconds since the epoch.
std::optional<std::uint64_t> date_of(const std::string& s) {
  for (const char* format :
       {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    std::tm tm{};
    tm.tm_isdst = -1;
    const char* end = ::strptime(s.c_str(), format, &tm);
    if (!end || *end)
      continue;
    auto t = std::mktime(&tm);
    if (t < 0)
      return std::nullopt;
    return static_cast<std::uint64_t>(t) * 1000000000ull;
  }
  return std::nullopt;
}

} // namespace

long utc_offset_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  return tm.tm_gmtoff;
}

const dtype* find_dtype(std::string_view name) {
  for (auto& d : dtypes)
    if (d.name == name)
      return &d;
  return nullptr;
}

const dtype* dtype_by_id(std::uint32_t id) {
  for (auto& d : dtypes)
    if (type_id(d.id) == id)
      return &d;
  return nullptr;
}

const dtype& integer_type(std::uint32_t len, bool big_endian) {
  for (auto& d : integers)
    if (d.len == len && d.big_endian == big_endian)
      return d;
  return dtypes[0];
}

const dtype& rt_type(const rt_key& k) {
  auto* t = find_dtype(k.type);
  return t ? *t : integer_type(k.len, false);
}

const dtype& exthdr_type(const exthdr_field& f) {
  auto* t = find_dtype(f.field.empty() ? "boolean" : f.dtype);
  return t ? *t : integer_type(f.len, true);
}

std::optional<std::uint64_t> symbol(const dtype& t, std::string_view name) {
  return code_of(t.symbols, name);
}

std::optional<std::string_view> symbol_name(const dtype& t, std::uint64_t v) {
  if (v > UINT32_MAX)
    return std::nullopt;
  return name_of(t.symbols, static_cast<std::uint32_t>(v));
}

std::uint32_t key_type::id() const {
  std::uint32_t id = 0;
  for (auto* p : parts)
    id = (id << datatype_bits) | type_id(p->id);
  return id;
}

std::uint32_t key_type::len() const {
  if (parts.size() == 1)
    return parts[0]->len;
  std::uint32_t n = 0;
  for (auto* p : parts)
    n += pad4(p->len);
  return n;
}

byte_buffer scalar_bytes(const dtype& t, const value& v,
                         const std::string& path, const context& cx) {
  byte_buffer out(t.len, 0);
  switch (t.kind) {
  case shape::integer:
  case shape::ifindex:
  case shape::boolean:
  case shape::number_text: {
    std::uint64_t n = 0;
    if (v.is_boolean()) {
      n = v.get<bool>() ? 1 : 0;
    } else if (v.is_string()) {
      auto s = v.get<std::string>();
      std::optional<std::uint64_t> x = symbol(t, s);
      // nft lists an index (or realm) without a name as a number in a
      // string ("0").
      if (!x && t.kind != shape::integer && !s.empty() &&
          s.find_first_not_of("0123456789") == std::string::npos &&
          s.size() < 11)
        x = std::stoull(s);
      if (!x && t.kind == shape::ifindex)
        x = index_of(cx, s);
      if (!x && t.name == "uid")
        if (auto* pw = ::getpwnam(s.c_str()))
          x = pw->pw_uid;
      if (!x && t.name == "gid")
        if (auto* gr = ::getgrnam(s.c_str()))
          x = gr->gr_gid;
      if (!x)
        fail(path, "unknown " + std::string{t.name} + " '" + s + "'");
      n = *x;
    } else {
      n = need_uint(v, path,
                    t.len >= 8 ? UINT64_MAX
                               : (std::uint64_t{1} << (8 * t.len)) - 1);
    }
    if (t.len < 8 && n >> (8 * t.len))
      fail(path, "value " + std::to_string(n) + " does not fit " +
                     std::string{t.name});
    store_uint(out, n, t.big_endian ? byte_order::big : byte_order::host);
    return out;
  }
  case shape::hour:
  case shape::date: {
    auto s = v.is_string() ? v.get<std::string>() : std::string{};
    auto n = t.kind == shape::hour ? hour_of(s) : date_of(s);
    if (!n)
      fail(path, "needs a " +
                     std::string{t.kind == shape::hour
                                     ? "time of day (\"17:00\")"
                                     : "date (\"2026-01-01 00:00:00\")"} +
                     ", not " + v.dump());
    store_uint(out, *n, byte_order::host);
    return out;
  }
  case shape::tc_handle: {
    // nft's tchandle_type_parse: a symbol, or "major:minor" in hex.
    unsigned major = 0, minor = 0;
    char tail = 0;
    auto s = v.is_string() ? v.get<std::string>() : std::string{};
    auto x = symbol(t, s);
    if (!x && std::sscanf(s.c_str(), "%x:%x%c", &major, &minor, &tail) == 2 &&
        major <= 0xffff && minor <= 0xffff)
      x = std::uint64_t{major} << 16 | minor;
    if (!x)
      fail(path,
           "needs a tc handle (\"1:2\", \"none\", \"root\"), not " + v.dump());
    auto n = static_cast<std::uint32_t>(*x);
    std::memcpy(out.data(), &n, 4); // host order
    return out;
  }
  case shape::ipv4:
  case shape::ipv6: {
    if (!v.is_string())
      fail(path, "needs an address, not " + v.dump());
    auto s = v.get<std::string>();
    if (::inet_pton(t.kind == shape::ipv4 ? AF_INET : AF_INET6, s.c_str(),
                    out.data()) != 1)
      fail(path, "'" + s + "' is not an address");
    return out;
  }
  case shape::ether: {
    unsigned b[6];
    char tail = 0;
    if (!v.is_string() ||
        std::sscanf(v.get<std::string>().c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c",
                    &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
      fail(path, "needs a MAC address, not " + v.dump());
    for (int i = 0; i < 6; ++i)
      out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(b[i]);
    return out;
  }
  case shape::ifname: {
    if (!v.is_string() || v.get<std::string>().empty() ||
        v.get<std::string>().size() >= t.len)
      fail(path, "needs an interface name of 1 to 15 bytes");
    auto s = v.get<std::string>();
    std::memcpy(out.data(), s.data(), s.size());
    return out;
  }
  }
  return out;
}

byte_buffer key_bytes(const key_type& k, const value& v,
                      const std::string& path, const context& cx) {
  if (k.parts.size() == 1)
    return scalar_bytes(*k.parts[0], v, path, cx);
  auto* c = member(v, "concat");
  if (!c || !c->is_array() || c->size() != k.parts.size())
    fail(path, "needs {\"concat\": [...]} of " +
                   std::to_string(k.parts.size()) + " values");
  byte_buffer out;
  for (std::size_t i = 0; i < k.parts.size(); ++i) {
    auto b = scalar_bytes(*k.parts[i], (*c)[i],
                          path + ".concat[" + std::to_string(i) + "]", cx);
    b.resize(pad4(static_cast<std::uint32_t>(b.size())), 0);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

data verdict_of(const value& v, const std::string& path) {
  if (!v.is_object() || v.size() != 1)
    fail(path, "needs a verdict ({\"accept\": null}, ...)");
  auto first = v.begin(); // items() would dangle: it is a temporary
  const std::string k = first.key();
  const value& x = first.value();
  if (k == "accept")
    return make_verdict(NF_ACCEPT);
  if (k == "drop")
    return make_verdict(NF_DROP);
  if (k == "return")
    return make_verdict(NFT_RETURN);
  if (k == "continue")
    return make_verdict(NFT_CONTINUE);
  if (k == "jump" || k == "goto")
    return make_verdict(k == "jump" ? NFT_JUMP : NFT_GOTO,
                        need_string(x, "target", path + "." + k));
  fail(path, "unknown verdict '" + k + "'");
}

byte_buffer set_userdata(const key_type& key, const dtype* data) {
  // NFTNL_UDATA_SET_KEYBYTEORDER = 0, DATABYTEORDER = 1;
  // BYTEORDER_HOST_ENDIAN = 1, BYTEORDER_BIG_ENDIAN = 2.
  byte_buffer u;
  auto tlv = [&](std::uint8_t type, std::uint32_t v) {
    u.push_back(type);
    u.push_back(4);
    u.resize(u.size() + 4);
    store_uint(std::span{u}.last(4), v, byte_order::host);
  };
  if (key.parts.size() == 1)
    tlv(0, key.parts[0]->big_endian ? 2 : 1);
  if (data)
    tlv(1, data->big_endian ? 2 : 1);
  return u;
}

namespace {

// A closed interval of big-endian byte strings.
struct interval {
  byte_buffer from, to;
};

interval interval_of(const key_type& k, const value& v, const std::string& path,
                     const context& cx) {
  if (k.parts.size() != 1)
    return {key_bytes(k, v, path, cx), key_bytes(k, v, path, cx)};
  const auto& t = *k.parts[0];
  if (auto* r = member(v, "range")) {
    if (!r->is_array() || r->size() != 2)
      fail(path, "a range has two ends");
    return {scalar_bytes(t, (*r)[0], path + ".range[0]", cx),
            scalar_bytes(t, (*r)[1], path + ".range[1]", cx)};
  }
  if (auto* p = member(v, "prefix")) {
    auto from =
        scalar_bytes(t, field_or_null(*p, "addr"), path + ".prefix.addr", cx);
    auto len =
        need_uint(field_or_null(*p, "len"), path + ".prefix.len", 8 * t.len);
    auto to = from;
    for (std::size_t bit = len; bit < 8 * t.len; ++bit) {
      from[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
      to[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
    }
    return {from, to};
  }
  auto x = scalar_bytes(t, v, path, cx);
  return {x, x};
}

// Adds one to a big-endian byte string; false on overflow.
bool increment(byte_buffer& b) {
  for (auto i = b.size(); i-- > 0;)
    if (++b[i] != 0)
      return true;
  return false;
}

} // namespace

std::vector<set_elem> read_elements(const value& elems, const set_spec& spec,
                                    const std::string& path,
                                    const context& cx) {
  if (!elems.is_array())
    fail(path, "needs an array");
  bool is_map = spec.data || spec.verdicts || spec.objects;
  struct item {
    interval key;
    std::optional<nft::data> value;
    std::optional<std::string> objref;
    std::optional<std::uint64_t> timeout;
  };
  std::vector<item> items;
  for (std::size_t i = 0; i < elems.size(); ++i) {
    auto p = path + "[" + std::to_string(i) + "]";
    const value* k = &elems[i];
    const value* d = nullptr;
    if (is_map) {
      if (!k->is_array() || k->size() != 2)
        fail(p, "a map element is [key, value]");
      d = &(*k)[1];
      k = &(*k)[0];
    }
    item it;
    if (auto* e = member(*k, "elem")) {
      if (auto* to = member(*e, "timeout"))
        it.timeout = need_uint(*to, p + ".elem.timeout", UINT32_MAX) * 1000;
      k = member(*e, "val");
      if (!k)
        fail(p + ".elem", "needs \"val\"");
    }
    it.key = interval_of(spec.key, *k, p, cx);
    if (!spec.interval && it.key.from != it.key.to)
      fail(p, "ranges and prefixes need an interval set");
    if (d && spec.objects) {
      if (!d->is_string())
        fail(p + "[1]", "needs an object name");
      it.objref = d->get<std::string>();
    } else if (d) {
      it.value = spec.verdicts
                     ? verdict_of(*d, p + "[1]")
                     : make_value(scalar_bytes(*spec.data, *d, p + "[1]", cx));
    }
    items.push_back(std::move(it));
  }
  std::vector<set_elem> out;
  // An element of `it`'s start (for an interval set: a range's start).
  auto start = [&](item& it) {
    set_elem e;
    e.key = make_value(it.key.from);
    e.value = std::move(it.value);
    e.objref = std::move(it.objref);
    e.timeout = it.timeout;
    out.push_back(std::move(e));
  };
  if (!spec.interval) {
    for (auto& it : items)
      start(it);
    return out;
  }
  // nft's interval encoding: start elements, and an end element flagged
  // INTERVAL_END one past each range; a leading end element at zero when
  // the first range does not start there.
  std::sort(items.begin(), items.end(),
            [](auto& a, auto& b) { return a.key.from < b.key.from; });
  if (!items.empty() &&
      std::any_of(items.front().key.from.begin(), items.front().key.from.end(),
                  [](auto b) { return b; })) {
    set_elem z;
    z.key = make_value(byte_buffer(spec.key.len(), 0));
    z.flags = NFT_SET_ELEM_INTERVAL_END;
    out.push_back(std::move(z));
  }
  for (auto& it : items) {
    start(it);
    auto end = it.key.to;
    if (increment(end)) {
      set_elem x;
      x.key = make_value(end);
      x.flags = NFT_SET_ELEM_INTERVAL_END;
      out.push_back(std::move(x));
    }
  }
  return out;
}

} // namespace nfactor::nft::json::detail
