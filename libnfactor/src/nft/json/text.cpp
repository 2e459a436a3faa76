// SPDX-License-Identifier: Apache-2.0
//
// nft's JSON statements → nft syntax, as `nft monitor` prints them
// ("ip saddr 10.0.0.1 udp dport 53 counter packets 0 bytes 0 accept"),
// and the public entry points of the writer.
#include <cstdio>
#include <stdexcept>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "names.hpp"
#include "writer.hpp"

namespace nfactor::nft::json {

namespace detail {

namespace {

std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

std::string operand_text(const value& v) {
  if (auto* p = member(v, "payload")) {
    if (p->contains("protocol"))
      return (*p)["protocol"].get<std::string>() + " " +
             (*p)["field"].get<std::string>();
    return "@" + (*p)["base"].get<std::string>() + "," +
           std::to_string((*p)["offset"].get<std::uint64_t>()) + "," +
           std::to_string((*p)["len"].get<std::uint64_t>());
  }
  if (auto* m = member(v, "meta")) {
    auto k = (*m)["key"].get<std::string>();
    if (k == "iif" || k == "oif" || k == "iifname" || k == "oifname")
      return k;
    return "meta " + k;
  }
  if (auto* c = member(v, "ct"))
    return "ct " + (*c)["key"].get<std::string>();
  if (auto* fb = member(v, "fib")) {
    std::string s = "fib";
    std::string sep = " ";
    for (auto& fl : (*fb)["flags"]) {
      s += sep + fl.get<std::string>();
      sep = " . ";
    }
    return s + " " + (*fb)["result"].get<std::string>();
  }
  if (auto* n = member(v, "numgen")) {
    std::string s = "numgen " + (*n)["mode"].get<std::string>() + " mod " +
                    std::to_string((*n)["mod"].get<std::uint64_t>());
    if (auto off = (*n)["offset"].get<std::uint64_t>())
      s += " offset " + std::to_string(off);
    return s;
  }
  if (auto* so = member(v, "socket"))
    return "socket " + (*so)["key"].get<std::string>();
  for (const char* name : {"jhash", "symhash"})
    if (auto* h = member(v, name)) {
      std::string s = name;
      if (auto* e = member(*h, "expr"))
        s += " " + operand_text(*e);
      s += " mod " + std::to_string((*h)["mod"].get<std::uint64_t>());
      if (auto* seed = member(*h, "seed")) {
        char buf[24];
        std::snprintf(
            buf, sizeof buf, " seed 0x%llx",
            static_cast<unsigned long long>(seed->get<std::uint64_t>()));
        s += buf;
      }
      if (auto* off = member(*h, "offset"))
        s += " offset " + value_text(*off, false);
      return s;
    }
  if (auto* rt = member(v, "rt")) {
    std::string s = "rt ";
    if (auto* fam = member(*rt, "family"))
      s += fam->get<std::string>() + " ";
    return s + (*rt)["key"].get<std::string>();
  }
  for (const char* name : {"exthdr", "tcp option"})
    if (auto* x = member(v, name)) {
      // nft names a header's field without "exthdr": "frag id".
      auto* f = member(*x, "field");
      std::string s = f && std::string_view{name} == "exthdr"
                          ? std::string{}
                          : std::string{name} + " ";
      s += (*x)["name"].get<std::string>();
      if (f)
        s += " " + f->get<std::string>();
      return s;
    }
  if (auto* c = member(v, "concat")) {
    std::string s;
    for (auto& p : *c)
      s += (s.empty() ? "" : " . ") + operand_text(p);
    return s;
  }
  return v.dump();
}

// Elements "{ k, k : v }"; keys in quotes when `quoted` (interface names).
std::string braced(const value& list, bool hex, bool quoted) {
  std::string out;
  for (auto& e : list) {
    std::string one;
    if (e.is_array() && e.size() == 2)
      one = value_text(e[0], hex) + " : " + value_text(e[1], false);
    else
      one = value_text(e, hex);
    if (quoted)
      one = quote(one);
    out += (out.empty() ? "" : ", ") + one;
  }
  return "{ " + out + " }";
}

} // namespace

// Marks print as nft prints them (0x%08x); the rest as plain values.
std::string value_text(const value& v, bool hex) {
  if (v.is_boolean()) // a presence check
    return v.get<bool>() ? "exists" : "missing";
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number_unsigned()) {
    if (hex) {
      char buf[24];
      std::snprintf(buf, sizeof buf, "0x%08llx",
                    static_cast<unsigned long long>(v.get<std::uint64_t>()));
      return buf;
    }
    return std::to_string(v.get<std::uint64_t>());
  }
  if (v.is_array()) {
    std::string s;
    for (auto& x : v)
      s += (s.empty() ? "" : ",") + value_text(x, hex);
    return s;
  }
  if (auto* p = member(v, "prefix"))
    return value_text((*p)["addr"], hex) + "/" +
           std::to_string((*p)["len"].get<std::uint64_t>());
  if (auto* r = member(v, "range"))
    return value_text((*r)[0], hex) + "-" + value_text((*r)[1], hex);
  if (auto* c = member(v, "concat")) {
    std::string s;
    for (auto& p : *c)
      s += (s.empty() ? "" : " . ") + value_text(p, hex);
    return s;
  }
  if (auto* s = member(v, "set"))
    return braced(*s, hex, false);
  if (v.is_object() && v.size() == 1) {
    // A verdict.
    auto it = v.begin();
    if (it.value().is_null())
      return it.key();
    if (auto* t = member(it.value(), "target"))
      return it.key() + " " + t->get<std::string>();
  }
  return v.dump();
}

namespace {

bool is_hex(const value& left) {
  if (auto* m = member(left, "meta"))
    return (*m)["key"] == "mark";
  if (auto* c = member(left, "ct"))
    return (*c)["key"] == "mark";
  return false;
}

// A field of flags (tcp flags, ct state): nft prints its "==" (without
// an operator it tests bits).
bool is_flags(const value& left) {
  std::string a, b;
  if (auto* p = member(left, "payload"); p && p->contains("protocol")) {
    a = (*p)["protocol"].get<std::string>();
    b = (*p)["field"].get<std::string>();
  } else if (auto* c = member(left, "ct")) {
    a = "ct";
    b = (*c)["key"].get<std::string>();
  }
  for (auto& f : known_fields())
    if (f.a == a && f.b == b)
      return f.fld->kind == front::field::shape::bits;
  return false;
}

std::string quoted_if_name(const value& left, const value& right, bool hex) {
  auto s = value_text(right, hex);
  if (auto* m = member(left, "meta")) {
    auto k = (*m)["key"].get<std::string>();
    if ((k == "iifname" || k == "oifname" || k == "iif" || k == "oif") &&
        right.is_string())
      return quote(s);
  }
  return s;
}

} // namespace

std::string statement_text(const value& st, std::uint8_t family) {
  auto it = st.begin();
  const std::string k = it.key();
  const value& v = it.value();
  if (k == "match") {
    const auto& left = v["left"];
    auto op = v["op"].get<std::string>();
    if (auto* a = member(left, "&")) {
      // nft: "tcp flags syn / syn,ack", "ip frag-off & 8191 != 0".
      const auto& mask = (*a)[1];
      bool hex = is_hex((*a)[0]);
      auto s = operand_text((*a)[0]) + " ";
      if (mask.is_string() || mask.is_array())
        return s + (op == "==" ? "" : op + " ") +
               value_text(v["right"], false) + " / " + value_text(mask, false);
      return s + "& " + value_text(mask, hex) + " " + op + " " +
             value_text(v["right"], hex);
    }
    bool hex = is_hex(left);
    std::string right = quoted_if_name(left, v["right"], hex);
    std::string s = operand_text(left) + " ";
    if ((op != "==" || is_flags(left)) && op != "in")
      s += op + " ";
    return s + right;
  }
  if (k == "vmap")
    return operand_text(v["key"]) + " vmap " + value_text(v["data"], false);
  if (k == "counter") {
    if (v.is_string())
      return "counter name " + quote(v.get<std::string>());
    return "counter packets " +
           std::to_string(v["packets"].get<std::uint64_t>()) + " bytes " +
           std::to_string(v["bytes"].get<std::uint64_t>());
  }
  if (k == "quota" || k == "limit") {
    if (v.is_string())
      return k + " name " + quote(v.get<std::string>());
    if (k == "quota")
      return std::string{"quota "} + (v.contains("inv") ? "over " : "") +
             std::to_string(v["val"].get<std::uint64_t>()) + " " +
             v["val_unit"].get<std::string>();
    std::string s = "limit rate ";
    if (v.contains("inv"))
      s += "over ";
    s += std::to_string(v["rate"].get<std::uint64_t>());
    if (v.contains("rate_unit"))
      s += " " + v["rate_unit"].get<std::string>();
    s += "/" + v["per"].get<std::string>();
    auto b = v["burst"].get<std::uint64_t>();
    if (v.contains("burst_unit") && b)
      s += " burst " + std::to_string(b) + " " +
           v["burst_unit"].get<std::string>();
    else if (!v.contains("burst_unit") && b != 5)
      s += " burst " + std::to_string(b) + " packets";
    return s;
  }
  if (k == "log") {
    std::string s = "log";
    if (v.is_object()) {
      if (v.contains("prefix"))
        s += " prefix " + quote(v["prefix"].get<std::string>());
      if (v.contains("level"))
        s += " level " + value_text(v["level"], false);
      if (v.contains("snaplen"))
        s += " snaplen " + value_text(v["snaplen"], false);
      if (v.contains("group"))
        s += " group " + value_text(v["group"], false);
      if (v.contains("queue-threshold"))
        s += " queue-threshold " + value_text(v["queue-threshold"], false);
    }
    return s;
  }
  if (k == "mangle") {
    bool hex = is_hex(v["key"]);
    const auto& val = v["value"];
    return operand_text(v["key"]) + " set " +
           (val.is_object() ? operand_text(val) : value_text(val, hex));
  }
  if (k == "ct count")
    return std::string{"ct count "} + (v.contains("inv") ? "over " : "") +
           value_text(v["val"], false);
  if (k == "redirect")
    return v.is_null() ? "redirect"
                       : "redirect to :" + value_text(v["port"], false);
  if (k == "snat" || k == "dnat") {
    std::string s = k + " to ";
    if (v.contains("family"))
      s = k + " " + v["family"].get<std::string>() + " to ";
    return s + v["addr"].get<std::string>();
  }
  if (k == "masquerade" || k == "notrack")
    return k;
  if (k == "reject") {
    if (v.is_null())
      return "reject";
    if (v["type"] == "tcp reset")
      return "reject with tcp reset";
    // The family's default code prints as a bare reject.
    auto type = v["type"].get<std::string>();
    if (v["expr"] == "port-unreachable" &&
        ((type == "icmp" && family == NFPROTO_IPV4) ||
         (type == "icmpv6" && family == NFPROTO_IPV6) ||
         (type == "icmpx" && family == NFPROTO_INET)))
      return "reject";
    return "reject with " + v["type"].get<std::string>() + " " +
           value_text(v["expr"], false);
  }
  if (k == "queue") {
    std::string s = "queue";
    if (v.contains("flags"))
      s += " flags bypass";
    return s + " to " + value_text(v["num"], false);
  }
  if (k == "set")
    return v["op"].get<std::string>() + " " + v["set"].get<std::string>() +
           " { " + operand_text(v["elem"]) + " }";
  if (k == "dup") {
    if (family == NFPROTO_NETDEV)
      return "dup to " + quote(v["addr"].get<std::string>());
    std::string s = "dup to " + v["addr"].get<std::string>();
    if (v.contains("dev"))
      s += " device " + quote(v["dev"].get<std::string>());
    return s;
  }
  if (k == "fwd") {
    if (!v.contains("addr"))
      return "fwd to " + quote(v["dev"].get<std::string>());
    return "fwd " + v["family"].get<std::string>() + " to " +
           v["addr"].get<std::string>() + " device " +
           quote(v["dev"].get<std::string>());
  }
  if (k == "synproxy") {
    // nft prints mss and wscale together (0 when not given).
    std::string s = "synproxy";
    if (!v.is_object())
      return s;
    if (v.contains("mss") || v.contains("wscale"))
      s += " mss " + value_text(v.value("mss", 0), false) + " wscale " +
           value_text(v.value("wscale", 0), false);
    for (auto& fl : v.value("flags", value::array()))
      s += " " + fl.get<std::string>();
    return s;
  }
  if (k == "nfactor")
    return v.get<std::string>();
  (void)family;
  return value_text(st, false);
}

} // namespace detail

using namespace detail;

namespace {

std::string family_name(std::uint8_t f) {
  return std::string{nfnl::to_string(static_cast<nfnl::family>(f))};
}

std::string where(const rule& r) {
  auto out = "rule " + family_name(r.family) + " " + r.table + " " + r.chain;
  if (r.handle)
    out += " handle " + std::to_string(*r.handle);
  return out;
}

std::string where(const set& s) {
  return "set " + family_name(s.family) + " " + s.table + " " + s.name;
}

// The boundary of the writer: it builds nlohmann values, which throw
// (dump() refuses a string that is not UTF-8, such as a log prefix or a
// comment the kernel holds); the caller gets an error naming the object
// it wrote instead.
template <class F>
result<std::string> guarded(const char* op, const std::string& object,
                            F&& write) {
  try {
    return write();
  } catch (const nlohmann::json::exception& e) {
    return make_error(errc::invalid_argument, op, object + ": " + e.what());
  } catch (const std::logic_error& e) {
    return make_error(errc::invalid_argument, op, object + ": " + e.what());
  }
}

} // namespace

result<std::string> statements_json(const rule& r, const set_finder& sets) {
  return guarded("nft::json::statements_json", where(r), [&] {
    return statement_writer{r, sets}.run().dump();
  });
}

result<std::string> rule_text(const rule& r, const set_finder& sets) {
  return guarded("nft::json::rule_text", where(r), [&] {
    auto stmts = statement_writer{r, sets}.run();
    std::string s;
    for (auto& st : stmts)
      s += (s.empty() ? "" : " ") + statement_text(st, r.family);
    return s;
  });
}

result<std::string> elements_text(const set& s,
                                  const std::vector<set_elem>& elems) {
  return guarded("nft::json::elements_text", where(s), [&] {
    return braced(elements_json(s, elems),
                  s.key_type == type_id(datatype::mark),
                  s.key_type == type_id(datatype::ifname));
  });
}

result<std::string> elements_json_text(const set& s,
                                       const std::vector<set_elem>& elems) {
  return guarded("nft::json::elements_json_text", where(s),
                 [&] { return elements_json(s, elems).dump(); });
}

std::string set_type_text(const set& s) {
  auto k = key_of_set(s);
  std::string t;
  for (auto* p : k.parts)
    t += (t.empty() ? "" : " . ") + std::string{p->name};
  if (t.empty())
    t = "type " + std::to_string(s.key_type.value_or(0));
  if (s.flags.value_or(0) & NFT_SET_OBJECT) {
    t += " : " +
         std::string{
             name_of(object_types, s.obj_type.value_or(0)).value_or("?")};
  } else if (s.is_map()) {
    if (s.data_type == static_cast<std::uint32_t>(NFT_DATA_VERDICT))
      t += " : verdict";
    else if (auto* d = dtype_by_id(s.data_type.value_or(0)))
      t += " : " + std::string{d->name};
  }
  std::string out = "{ type " + t + ";";
  std::string flags;
  auto fl = s.flags.value_or(0);
  static constexpr std::pair<std::uint32_t, const char*> names[] = {
      {NFT_SET_CONSTANT, "constant"},
      {NFT_SET_INTERVAL, "interval"},
      {NFT_SET_TIMEOUT, "timeout"},
      {NFT_SET_EVAL, "dynamic"}};
  for (auto& [bit, name] : names)
    if (fl & bit)
      flags += (flags.empty() ? "" : ",") + std::string{name};
  if (!flags.empty())
    out += " flags " + flags + ";";
  return out + " }";
}

} // namespace nfactor::nft::json
