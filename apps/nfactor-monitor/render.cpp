// SPDX-License-Identifier: Apache-2.0
#include "render.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nflog/event.hpp"

namespace nfactor::app {

namespace {

using nlohmann::json;

// The writer's text; when it could not write the object, the error in
// its place, so the line still shows what changed.
std::string text_or_error(const result<std::string>& r) {
  return r ? *r : "[nfactor: " + r.err().message() + "]";
}

// The writer's JSON array; when it failed, one {"nfactor": error} entry,
// as the writer keeps an expression it cannot place.
json json_or_error(const result<std::string>& r) {
  if (r)
    return json::parse(*r);
  return json::array({json{{"nfactor", r.err().message()}}});
}

std::string fam(std::uint8_t f) {
  return nfnl::to_string(static_cast<nfnl::family>(f));
}

bool anonymous(const nft::set& s) {
  return s.flags.value_or(0) & NFT_SET_ANONYMOUS;
}

// nft's names of the standard priorities (nft list shows them so).
std::string priority_text(const nft::chain& c) {
  auto p = c.hook->priority.value_or(0);
  auto hook = c.hook->num.value_or(0);
  struct named {
    std::int32_t prio;
    const char* name;
    int hook; // -1: any
  };
  static constexpr named names[] = {{-300, "raw", -1},
                                    {-150, "mangle", -1},
                                    {-100, "dstnat", NF_INET_PRE_ROUTING},
                                    {0, "filter", -1},
                                    {50, "security", -1},
                                    {100, "srcnat", NF_INET_POST_ROUTING}};
  if (c.family == NFPROTO_IPV4 || c.family == NFPROTO_IPV6 ||
      c.family == NFPROTO_INET)
    for (auto& n : names)
      if (n.prio == p &&
          (n.hook < 0 || static_cast<std::uint32_t>(n.hook) == hook))
        return n.name;
  return std::to_string(p);
}

std::string chain_body(const nft::chain& c) {
  if (!c.hook)
    return {};
  std::string s = " { type " + c.type.value_or("filter");
  if (c.hook->num)
    s += std::string{" hook "} +
         nflog::hook_name(c.family, static_cast<std::uint8_t>(*c.hook->num));
  if (c.hook->device)
    s += " device \"" + *c.hook->device + "\"";
  s += " priority " + priority_text(c) + ";";
  if (c.policy)
    s += std::string{" policy "} + (*c.policy == NF_DROP ? "drop" : "accept") +
         ";";
  return s + " }";
}

const char* object_kind(std::uint32_t type) {
  switch (type) {
  case NFT_OBJECT_COUNTER:
    return "counter";
  case NFT_OBJECT_QUOTA:
    return "quota";
  case NFT_OBJECT_LIMIT:
    return "limit";
  default:
    return "object";
  }
}

const char* verb_of(const nft::change& c) {
  if (!c.added)
    return "delete";
  return (c.flags & NLM_F_REPLACE) &&
                 std::holds_alternative<nft::rule>(c.entity)
             ? "replace"
             : "add";
}

// The set an element list belongs to (its definition, for types).
nft::set set_of(const nft::elem_list& l, const set_cache& sets) {
  if (auto* s = sets.find(l.family, l.table, l.set))
    return s->set;
  nft::set s;
  s.family = l.family;
  s.table = l.table;
  s.name = l.set;
  return s;
}

json change_json(const nft::change& c, const set_cache& sets) {
  json j;
  j["op"] = verb_of(c);
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        json d;
        d["family"] = fam(o.family);
        std::string kind;
        if constexpr (std::is_same_v<T, nft::table>) {
          kind = "table";
          d["name"] = o.name;
          if (o.handle)
            d["handle"] = *o.handle;
        } else if constexpr (std::is_same_v<T, nft::chain>) {
          kind = "chain";
          d["table"] = o.table;
          d["name"] = o.name;
          if (o.handle)
            d["handle"] = *o.handle;
          if (o.hook) {
            d["type"] = o.type.value_or("filter");
            if (o.hook->num)
              d["hook"] = nflog::hook_name(
                  o.family, static_cast<std::uint8_t>(*o.hook->num));
            d["prio"] = o.hook->priority.value_or(0);
            if (o.policy)
              d["policy"] = *o.policy == NF_DROP ? "drop" : "accept";
          }
        } else if constexpr (std::is_same_v<T, nft::rule>) {
          kind = "rule";
          d["table"] = o.table;
          d["chain"] = o.chain;
          if (o.handle)
            d["handle"] = *o.handle;
          if (o.position)
            d["position"] = *o.position;
          if (auto cm = o.comment())
            d["comment"] = *cm;
          if (c.added)
            d["expr"] =
                json_or_error(nft::json::statements_json(o, sets.finder()));
        } else if constexpr (std::is_same_v<T, nft::set>) {
          kind = o.is_map() ? "map" : "set";
          d["table"] = o.table;
          d["name"] = o.name;
          if (o.handle)
            d["handle"] = *o.handle;
          if (c.added) {
            d["type"] = nft::json::set_type_text(o);
            if (o.flags)
              d["flags"] = *o.flags;
          }
        } else if constexpr (std::is_same_v<T, nft::elem_list>) {
          kind = "element";
          d["table"] = o.table;
          d["name"] = o.set;
          d["elem"] = json_or_error(
              nft::json::elements_json_text(set_of(o, sets), o.elems));
        } else if constexpr (std::is_same_v<T, nft::object>) {
          kind = object_kind(o.type);
          d["table"] = o.table;
          d["name"] = o.name;
          if (o.handle)
            d["handle"] = *o.handle;
        } else if constexpr (std::is_same_v<T, nft::flowtable>) {
          kind = "flowtable";
          d["table"] = o.table;
          d["name"] = o.name;
        }
        j[kind] = std::move(d);
      },
      c.entity);
  return j;
}

} // namespace

void set_cache::seed(const nft::ruleset& rs) {
  sets_.clear();
  for (auto& s : rs.sets)
    sets_[{s.set.family, s.set.table, s.set.name}] = s;
}

void set_cache::update(const nft::change& c) {
  if (auto* s = std::get_if<nft::set>(&c.entity)) {
    if (c.added)
      sets_[{s->family, s->table, s->name}] = {*s, {}};
    else
      sets_.erase({s->family, s->table, s->name});
  } else if (auto* l = std::get_if<nft::elem_list>(&c.entity)) {
    auto it = sets_.find({l->family, l->table, l->set});
    if (it == sets_.end())
      return;
    auto& elems = it->second.elems;
    if (c.added) {
      elems.insert(elems.end(), l->elems.begin(), l->elems.end());
    } else {
      for (auto& e : l->elems)
        std::erase_if(elems, [&](const nft::set_elem& x) {
          return x.key == e.key && x.flags == e.flags;
        });
    }
  } else if (auto* t = std::get_if<nft::table>(&c.entity); t && !c.added) {
    std::erase_if(sets_, [&](auto& kv) {
      return std::get<0>(kv.first) == t->family &&
             std::get<1>(kv.first) == t->name;
    });
  }
}

const nft::set_with_elems* set_cache::find(std::uint8_t family,
                                           const std::string& table,
                                           const std::string& name) const {
  auto it = sets_.find({family, table, name});
  return it == sets_.end() ? nullptr : &it->second;
}

nft::json::set_finder set_cache::finder() const {
  return [this](std::uint8_t f, const std::string& t, const std::string& n) {
    return find(f, t, n);
  };
}

std::string text(const nft::change& c, const set_cache& sets) {
  std::string v = verb_of(c);
  std::string out;
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, nft::table>) {
          out = v + " table " + fam(o.family) + " " + o.name + "\n";
        } else if constexpr (std::is_same_v<T, nft::chain>) {
          out = v + " chain " + fam(o.family) + " " + o.table + " " + o.name +
                (c.added ? chain_body(o) : "") + "\n";
        } else if constexpr (std::is_same_v<T, nft::rule>) {
          out = v + " rule " + fam(o.family) + " " + o.table + " " + o.chain;
          if (!c.added) {
            out += " handle " + std::to_string(o.handle.value_or(0)) + "\n";
            return;
          }
          out += " " + text_or_error(nft::json::rule_text(o, sets.finder()));
          if (auto cm = o.comment())
            out += " comment \"" + *cm + "\"";
          if (o.handle)
            out += " # handle " + std::to_string(*o.handle);
          out += "\n";
        } else if constexpr (std::is_same_v<T, nft::set>) {
          // nft monitor shows no anonymous set being added.
          if (c.added && anonymous(o))
            return;
          out = v + (o.is_map() ? " map " : " set ") + fam(o.family) + " " +
                o.table + " " + o.name +
                (c.added ? " " + nft::json::set_type_text(o) : "") + "\n";
        } else if constexpr (std::is_same_v<T, nft::elem_list>) {
          auto s = set_of(o, sets);
          if (anonymous(s) || o.set.starts_with("__"))
            return;
          // One line per element, as nft monitor prints them; an interval
          // start and its end element make one line.
          for (std::size_t i = 0; i < o.elems.size(); ++i) {
            std::vector<nft::set_elem> one{o.elems[i]};
            if (o.elems[i].is_interval_end())
              continue;
            if (i + 1 < o.elems.size() && o.elems[i + 1].is_interval_end())
              one.push_back(o.elems[i + 1]);
            out += v + " element " + fam(o.family) + " " + o.table + " " +
                   o.set + " " +
                   text_or_error(nft::json::elements_text(s, one)) + "\n";
          }
        } else if constexpr (std::is_same_v<T, nft::object>) {
          out = v + " " + object_kind(o.type) + " " + fam(o.family) + " " +
                o.table + " " + o.name;
          if (c.added && o.state) {
            if (auto* ct = std::get_if<nft::expr::counter>(&*o.state))
              out += " { packets " + std::to_string(ct->packets) + " bytes " +
                     std::to_string(ct->bytes) + " }";
            else if (auto* q = std::get_if<nft::expr::quota>(&*o.state))
              out += std::string{" { "} +
                     (q->flags & NFT_QUOTA_F_INV ? "over " : "") +
                     std::to_string(q->bytes) + " bytes used " +
                     std::to_string(q->consumed.value_or(0)) + " bytes }";
          }
          out += "\n";
        } else if constexpr (std::is_same_v<T, nft::flowtable>) {
          out = v + " flowtable " + fam(o.family) + " " + o.table + " " +
                o.name + "\n";
        }
      },
      c.entity);
  return out;
}

namespace {

// The kernel notifies set elements one by one; an interval's start and end
// element print as one line, so runs of element changes of one set are
// joined first.
std::vector<nft::change> joined(const std::vector<nft::change>& in) {
  std::vector<nft::change> out;
  for (auto& c : in) {
    auto* l = std::get_if<nft::elem_list>(&c.entity);
    auto* prev =
        out.empty() ? nullptr : std::get_if<nft::elem_list>(&out.back().entity);
    if (l && prev && out.back().added == c.added && prev->family == l->family &&
        prev->table == l->table && prev->set == l->set) {
      prev->elems.insert(prev->elems.end(), l->elems.begin(), l->elems.end());
      continue;
    }
    out.push_back(c);
  }
  return out;
}

} // namespace

std::string text(const nft::transaction& t, set_cache& sets) {
  std::string s;
  if (t.partial) { // a large commit's part: its gen comes with the last one
    s = "# part of a commit\n";
  } else {
    s = "# new generation " + std::to_string(t.gen_id);
    if (t.proc_pid)
      s += " by process " + std::to_string(*t.proc_pid);
    if (t.proc_name)
      s += " (" + *t.proc_name + ")";
    s += "\n";
  }
  for (auto& c : joined(t.changes)) {
    sets.update(c);
    s += text(c, sets);
  }
  return s;
}

std::string text(const nft::ruleset& rs, set_cache& sets) {
  sets.seed(rs);
  std::string s = "# snapshot generation " + std::to_string(rs.gen_id) + "\n";
  for (auto& c : rs.as_changes())
    s += text(c, sets);
  return s + "# end of snapshot\n";
}

std::string json_line(const nft::transaction& t, set_cache& sets) {
  json j;
  j["gen"] = t.gen_id;
  if (t.proc_pid)
    j["pid"] = *t.proc_pid;
  if (t.proc_name)
    j["comm"] = *t.proc_name;
  json changes = json::array();
  for (auto& c : joined(t.changes)) {
    sets.update(c);
    changes.push_back(change_json(c, sets));
  }
  j["changes"] = std::move(changes);
  if (t.partial)
    j["partial"] = true;
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string json_line(const nft::ruleset& rs, set_cache& sets) {
  sets.seed(rs);
  json changes = json::array();
  for (auto& c : rs.as_changes())
    changes.push_back(change_json(c, sets));
  json j;
  j["snapshot"] = {{"gen", rs.gen_id}, {"changes", std::move(changes)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace nfactor::app
