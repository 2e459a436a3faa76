// SPDX-License-Identifier: Apache-2.0
//
// Values of nft's types as nft lists them in JSON: addresses, symbols,
// numbers, verdicts, keys of sets and their elements (intervals folded
// into prefixes and ranges).
#include <algorithm>
#include <cstdio>
#include <ctime>

#include <net/if.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "writer.hpp"

namespace nfactor::nft::json::detail {

namespace {

// nft's order of set elements: by value (host-order types compared as
// numbers, that is from their last byte).
bool value_less(const dtype* t, const byte_buffer& a, const byte_buffer& b) {
  if (t && !t->big_endian)
    return std::lexicographical_compare(a.rbegin(), a.rend(), b.rbegin(),
                                        b.rend());
  return a < b;
}

// A key of `k` from its bytes: a scalar, or {"concat": [...]}.
value key_json(const key_type& k, byte_view b) {
  if (k.parts.size() == 1)
    return scalar_json(k.parts[0], b);
  value parts = value::array();
  std::size_t off = 0;
  for (auto* p : k.parts) {
    auto n = std::min<std::size_t>(p->len, b.size() > off ? b.size() - off : 0);
    parts.push_back(scalar_json(p, b.subspan(off, n)));
    off += (p->len + 3) / 4 * 4;
  }
  return value{{"concat", parts}};
}

// Subtracts one from a big-endian byte string.
void decrement(byte_buffer& b) {
  for (auto i = b.size(); i-- > 0;)
    if (b[i]-- != 0)
      break;
}

} // namespace

std::uint64_t number(const dtype& t, byte_view b) {
  return load_uint(b, t.big_endian ? byte_order::big : byte_order::host);
}

value scalar_json(const dtype* t, byte_view b) {
  if (!t) {
    std::string hex = "0x";
    char buf[4];
    for (auto x : b) {
      std::snprintf(buf, sizeof buf, "%02x", x);
      hex += buf;
    }
    return hex;
  }
  switch (t->kind) {
  case shape::ipv4:
  case shape::ipv6: {
    char buf[INET6_ADDRSTRLEN] = {};
    std::uint8_t a[16] = {};
    std::copy_n(b.begin(), std::min<std::size_t>(b.size(), 16), a);
    ::inet_ntop(t->kind == shape::ipv4 ? AF_INET : AF_INET6, a, buf,
                sizeof buf);
    return std::string{buf};
  }
  case shape::ether: {
    char buf[18];
    if (b.size() < 6)
      return "?";
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5]);
    return std::string{buf};
  }
  case shape::ifname: {
    std::string s(b.begin(), b.end());
    return s.substr(0, s.find('\0'));
  }
  case shape::integer: {
    auto n = number(*t, b);
    if (auto name = symbol_name(*t, n))
      return std::string{*name};
    return n;
  }
  case shape::boolean:
    return number(*t, b) != 0;
  case shape::number_text:
    return std::to_string(number(*t, b));
  case shape::hour: {
    // As nft prints it: local time, seconds only when there are some.
    long day = 86400;
    long s =
        (static_cast<long>(number(*t, b) % 86400) + utc_offset_now()) % day;
    s = s < 0 ? s + day : s;
    char buf[16];
    if (s % 60)
      std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60,
                    s % 60);
    else
      std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 3600, s / 60 % 60);
    return std::string{buf};
  }
  case shape::date: {
    std::time_t secs = static_cast<std::time_t>(number(*t, b) / 1000000000ull);
    std::tm tm{};
    char buf[32] = {};
    if (::localtime_r(&secs, &tm))
      std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return std::string{buf};
  }
  case shape::tc_handle: {
    auto n = number(*t, b);
    if (auto name = symbol_name(*t, n))
      return std::string{*name};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%x:%x", static_cast<unsigned>(n >> 16),
                  static_cast<unsigned>(n & 0xffff));
    return std::string{buf};
  }
  case shape::ifindex: {
    // As nft lists it: the name where the lister runs, else the number
    // as a string.
    auto n = number(*t, b);
    char name[IF_NAMESIZE] = {};
    if (n && ::if_indextoname(static_cast<unsigned>(n), name))
      return std::string{name};
    return std::to_string(n);
  }
  }
  return nullptr;
}

// An integer of `len` bytes in the given byte order as JSON.
value integer_json(const dtype* t, byte_view b, bool big_endian) {
  if (!t || (t->kind != shape::integer && t->kind != shape::hour &&
             t->kind != shape::date))
    return scalar_json(t, b);
  dtype d = *t;
  d.big_endian = big_endian;
  d.len = static_cast<std::uint32_t>(b.size());
  return scalar_json(&d, b);
}

namespace {

// NFTNL_UDATA_SET_KEYBYTEORDER of `s`'s userdata is BYTEORDER_BIG_ENDIAN:
// an integer key of a network order field (ip length { 100, 200 }).
bool key_big_endian(const set& s) {
  if (!s.userdata)
    return false;
  const auto& u = *s.userdata;
  for (std::size_t i = 0; i + 2 <= u.size(); i += 2 + u[i + 1])
    if (u[i] == 0 && u[i + 1] == 4 && i + 6 <= u.size())
      return load_uint(byte_view{u}.subspan(i + 2, 4), byte_order::host) == 2;
  return false;
}

} // namespace

key_type key_of_set(const set& s) {
  key_type k;
  auto id = s.key_type.value_or(0);
  if (auto* t = dtype_by_id(id)) {
    if (t->kind == shape::integer && !t->big_endian && key_big_endian(s))
      if (auto& be = integer_type(s.key_len.value_or(t->len), true);
          be.big_endian)
        t = &be;
    k.parts.push_back(t);
    return k;
  }
  // A concatenation: datatype_bits per part, the first part highest.
  std::vector<const dtype*> parts;
  while (id) {
    auto* t = dtype_by_id(id & ((1u << datatype_bits) - 1));
    if (!t)
      return key_type{};
    parts.insert(parts.begin(), t);
    id >>= datatype_bits;
  }
  k.parts = std::move(parts);
  return k;
}

value verdict_json(const verdict& v) {
  switch (v.code) {
  case NF_ACCEPT:
    return {{"accept", nullptr}};
  case NF_DROP:
    return {{"drop", nullptr}};
  case NFT_RETURN:
    return {{"return", nullptr}};
  case NFT_CONTINUE:
    return {{"continue", nullptr}};
  case NFT_JUMP:
    return {{"jump", {{"target", v.chain.value_or("")}}}};
  case NFT_GOTO:
    return {{"goto", {{"target", v.chain.value_or("")}}}};
  default:
    return {{"verdict", v.code}};
  }
}

// The prefix length of [from, to] when it is one, else -1.
int prefix_len(const byte_buffer& from, const byte_buffer& to) {
  std::size_t bits = from.size() * 8;
  std::size_t len = 0;
  while (len < bits) {
    auto mask = static_cast<std::uint8_t>(0x80 >> (len % 8));
    if ((from[len / 8] & mask) != (to[len / 8] & mask))
      break;
    ++len;
  }
  for (auto i = len; i < bits; ++i) {
    auto mask = static_cast<std::uint8_t>(0x80 >> (i % 8));
    if ((from[i / 8] & mask) || !(to[i / 8] & mask))
      return -1;
  }
  return static_cast<int>(len);
}

// Elements as nft lists them: interval start/end pairs folded into
// prefixes and ranges; map elements as [key, data].
value elements_json(const set& s, const std::vector<set_elem>& elems) {
  auto k = key_of_set(s);
  const dtype* data = s.data_type ? dtype_by_id(*s.data_type) : nullptr;
  bool interval = s.flags.value_or(0) & NFT_SET_INTERVAL;
  value out = value::array();
  const dtype* order = k.parts.size() == 1 ? k.parts[0] : nullptr;
  std::vector<set_elem> sorted = elems;
  std::stable_sort(sorted.begin(), sorted.end(), [&](auto& a, auto& b) {
    if (!a.key || !b.key)
      return static_cast<bool>(b.key);
    if (a.key->value == b.key->value)
      return a.is_interval_end() && !b.is_interval_end();
    return value_less(order, a.key->value, b.key->value);
  });
  auto with_data = [&](value key, const set_elem& e) {
    if (e.objref)
      return value::array({key, *e.objref});
    if (!e.value)
      return key;
    if (e.value->verdict)
      return value::array({key, verdict_json(*e.value->verdict)});
    return value::array({key, scalar_json(data, e.value->value)});
  };
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const auto& e = sorted[i];
    if (!e.key || e.is_interval_end())
      continue;
    if (k.parts.empty()) {
      out.push_back(with_data(scalar_json(nullptr, e.key->value), e));
      continue;
    }
    value key = key_json(k, e.key->value);
    if (interval && k.parts.size() == 1) {
      byte_buffer from = e.key->value, to;
      if (e.key_end)
        to = e.key_end->value;
      else if (i + 1 < sorted.size() && sorted[i + 1].is_interval_end() &&
               sorted[i + 1].key) {
        to = sorted[i + 1].key->value;
        decrement(to);
      } else {
        to = byte_buffer(from.size(), 0xff);
      }
      if (from != to) {
        auto len = prefix_len(from, to);
        if (len >= 0 && k.parts[0]->kind != shape::integer)
          key = {{"prefix",
                  {{"addr", scalar_json(k.parts[0], from)}, {"len", len}}}};
        else
          key = {{"range", value::array({scalar_json(k.parts[0], from),
                                         scalar_json(k.parts[0], to)})}};
      }
    }
    out.push_back(with_data(std::move(key), e));
  }
  return out;
}

} // namespace nfactor::nft::json::detail
