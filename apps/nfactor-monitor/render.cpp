// SPDX-License-Identifier: Apache-2.0
#include "render.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nflog/event.hpp"
#include "nfactor/nft/json.hpp"

namespace nfactor::app {

namespace {

using nlohmann::json;

std::string fam(std::uint8_t f) {
  return nfnl::to_string(static_cast<nfnl::family>(f));
}

std::string data_text(const nft::data& d) {
  std::string s;
  nft::render_data(d, s);
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

std::string chain_body(const nft::chain& c) {
  if (!c.hook)
    return {};
  std::string s = " { type " + c.type.value_or("?");
  if (c.hook->num)
    s += std::string{" hook "} +
         nflog::hook_name(c.family, static_cast<std::uint8_t>(*c.hook->num));
  if (c.hook->device)
    s += " device \"" + *c.hook->device + "\"";
  if (c.hook->priority)
    s += " priority " + std::to_string(*c.hook->priority);
  s += ";";
  if (c.policy)
    s += std::string{" policy "} + (*c.policy == NF_DROP ? "drop" : "accept") +
         ";";
  return s + " }";
}

std::string set_body(const nft::set& s) {
  std::string b = " { type ";
  auto type = [](const std::optional<std::uint32_t>& t) {
    if (!t)
      return std::string{"?"};
    if (*t == static_cast<std::uint32_t>(NFT_DATA_VERDICT))
      return std::string{"verdict"};
    auto* n = nft::json::datatype_name(*t);
    return n ? std::string{n} : "type " + std::to_string(*t);
  };
  b += type(s.key_type);
  if (s.is_map())
    b += " : " + type(s.data_type);
  b += ";";
  if (s.flags && *s.flags)
    b += " flags 0x" + [&] {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%x", *s.flags);
      return std::string{buf};
    }() + ";";
  return b + " }";
}

struct described {
  std::string kind;
  std::string head; // "ip t c"
  std::string body; // " { ... }" or elements
  std::vector<std::string> lines;
  json j;
};

described describe(const nft::entity& e) {
  described d;
  d.kind = nft::kind_name(e);
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        d.j["family"] = fam(o.family);
        if constexpr (std::is_same_v<T, nft::table>) {
          d.head = fam(o.family) + " " + o.name;
          d.j["name"] = o.name;
          if (o.handle)
            d.j["handle"] = *o.handle;
        } else if constexpr (std::is_same_v<T, nft::chain>) {
          d.head = fam(o.family) + " " + o.table + " " + o.name;
          d.body = chain_body(o);
          d.j["table"] = o.table;
          d.j["name"] = o.name;
          if (o.handle)
            d.j["handle"] = *o.handle;
          if (o.hook) {
            if (o.type)
              d.j["type"] = *o.type;
            if (o.hook->num)
              d.j["hook"] = nflog::hook_name(
                  o.family, static_cast<std::uint8_t>(*o.hook->num));
            if (o.hook->priority)
              d.j["prio"] = *o.hook->priority;
            if (o.policy)
              d.j["policy"] = *o.policy == NF_DROP ? "drop" : "accept";
          }
        } else if constexpr (std::is_same_v<T, nft::rule>) {
          d.head = fam(o.family) + " " + o.table + " " + o.chain;
          d.j["table"] = o.table;
          d.j["chain"] = o.chain;
          if (o.handle) {
            d.body = " handle " + std::to_string(*o.handle);
            d.j["handle"] = *o.handle;
          }
          if (o.position)
            d.j["position"] = *o.position;
          if (auto c = o.comment()) {
            d.body += " comment \"" + *c + "\"";
            d.j["comment"] = *c;
          }
          json exprs = json::array();
          for (auto& x : o.exprs) {
            auto r = nft::render(x);
            d.lines.push_back(r);
            exprs.push_back(r);
          }
          d.j["expr"] = exprs;
        } else if constexpr (std::is_same_v<T, nft::set>) {
          d.kind = o.is_map() ? "map" : "set";
          d.head = fam(o.family) + " " + o.table + " " + o.name;
          d.body = set_body(o);
          d.j["table"] = o.table;
          d.j["name"] = o.name;
          if (o.handle)
            d.j["handle"] = *o.handle;
          if (o.key_type) {
            auto* n = nft::json::datatype_name(*o.key_type);
            d.j["type"] = n ? json(n) : json(*o.key_type);
          }
          if (o.flags)
            d.j["flags"] = *o.flags;
        } else if constexpr (std::is_same_v<T, nft::elem_list>) {
          d.head = fam(o.family) + " " + o.table + " " + o.set;
          d.j["table"] = o.table;
          d.j["name"] = o.set;
          json elems = json::array();
          std::string body;
          for (auto& el : o.elems) {
            std::string s = el.key ? data_text(*el.key) : "*";
            if (el.is_interval_end())
              s += " [end]";
            if (el.value)
              s += " : " + data_text(*el.value);
            body += (body.empty() ? "" : ", ") + s;
            elems.push_back(s);
          }
          d.body = " { " + body + " }";
          d.j["elem"] = elems;
        } else if constexpr (std::is_same_v<T, nft::object>) {
          d.head = fam(o.family) + " " + o.table + " " + o.name;
          d.j["table"] = o.table;
          d.j["name"] = o.name;
          d.j["type"] = o.type;
        } else if constexpr (std::is_same_v<T, nft::flowtable>) {
          d.head = fam(o.family) + " " + o.table + " " + o.name;
          d.j["table"] = o.table;
          d.j["name"] = o.name;
        }
      },
      e);
  return d;
}

const char* verb_of(const nft::change& c) {
  if (!c.added)
    return "delete";
  return (c.flags & NLM_F_REPLACE) &&
                 std::holds_alternative<nft::rule>(c.entity)
             ? "replace"
             : "add";
}

json change_json(const nft::change& c) {
  auto d = describe(c.entity);
  json j;
  j["op"] = verb_of(c);
  j[d.kind] = std::move(d.j);
  return j;
}

} // namespace

std::string text(const nft::change& c) {
  auto d = describe(c.entity);
  std::string s =
      std::string{verb_of(c)} + " " + d.kind + " " + d.head + d.body + "\n";
  for (auto& l : d.lines)
    s += "  " + l + "\n";
  return s;
}

std::string text(const nft::transaction& t) {
  if (t.partial) { // a large commit's part: its gen comes with the last one
    std::string s = "# part of a commit\n";
    for (auto& c : t.changes)
      s += text(c);
    return s;
  }
  std::string s = "# gen " + std::to_string(t.gen_id);
  if (t.proc_pid)
    s += " pid " + std::to_string(*t.proc_pid);
  if (t.proc_name)
    s += " (" + *t.proc_name + ")";
  s += "\n";
  for (auto& c : t.changes)
    s += text(c);
  return s;
}

std::string text(const nft::ruleset& rs) {
  std::string s = "# snapshot gen " + std::to_string(rs.gen_id) + "\n";
  for (auto& c : rs.as_changes())
    s += text(c);
  return s + "# end of snapshot\n";
}

std::string json_line(const nft::transaction& t) {
  json j;
  j["gen"] = t.gen_id;
  if (t.proc_pid)
    j["pid"] = *t.proc_pid;
  if (t.proc_name)
    j["comm"] = *t.proc_name;
  json changes = json::array();
  for (auto& c : t.changes)
    changes.push_back(change_json(c));
  j["changes"] = std::move(changes);
  if (t.partial)
    j["partial"] = true;
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string json_line(const nft::ruleset& rs) {
  json changes = json::array();
  for (auto& c : rs.as_changes())
    changes.push_back(change_json(c));
  json j;
  j["snapshot"] = {{"gen", rs.gen_id}, {"changes", std::move(changes)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace nfactor::app
