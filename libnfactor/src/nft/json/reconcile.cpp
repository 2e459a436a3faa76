// SPDX-License-Identifier: Apache-2.0
//
// The difference between a snapshot and a desired ruleset, as operations.
#include <map>
#include <set>
#include <string>
#include <tuple>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/json.hpp"

namespace nfactor::nft::json {

namespace {

using key = std::tuple<std::uint8_t, std::string, std::string>;

key table_key(const table& t) {
  return {t.family, t.name, {}};
}
key chain_key(const chain& c) {
  return {c.family, c.table, c.name};
}
key rule_chain(const rule& r) {
  return {r.family, r.table, r.chain};
}
key set_key(const set& s) {
  return {s.family, s.table, s.name};
}

std::string label(const key& k, const char* what) {
  return "current " + std::string{what} + " " +
         nfnl::to_string(static_cast<nfnl::family>(std::get<0>(k))) + " " +
         std::get<1>(k) + (std::get<2>(k).empty() ? "" : " ") + std::get<2>(k);
}

// A rule as compared: expressions without counter values, and user data.
std::pair<std::vector<expression>, std::optional<byte_buffer>>
comparable(const rule& r) {
  auto exprs = r.exprs;
  // Counter values, and what the kernel fills in for defaults (bitwise op
  // BOOL, lookup flags 0, log level warn, no
  // code for a TCP reset, nat addr_max = addr_min and NF_NAT_RANGE_MAP_IPS), so
  // a rule from the kernel equals the rule it was made from.
  for (auto& e : exprs) {
    if (auto* c = std::get_if<expr::counter>(&e.value)) {
      *c = expr::counter{};
    } else if (auto* b = std::get_if<expr::bitwise>(&e.value)) {
      if (b->op == NFT_BITWISE_BOOL)
        b->op.reset();
    } else if (auto* lg = std::get_if<expr::log>(&e.value)) {
      if (!lg->group && lg->level == 4u) // syslog, default level warn
        lg->level.reset();
      if (!lg->group && lg->flags == 0u)
        lg->flags.reset();
    } else if (auto* r = std::get_if<expr::reject>(&e.value)) {
      if (r->type == NFT_REJECT_TCP_RST)
        r->icmp_code.reset();
    } else if (auto* l = std::get_if<expr::lookup>(&e.value)) {
      if (l->flags == 0u)
        l->flags.reset();
    } else if (auto* n = std::get_if<expr::nat>(&e.value)) {
      if (n->reg_addr_max == n->reg_addr_min)
        n->reg_addr_max.reset();
      if (n->reg_addr_min && n->flags)
        *n->flags &= ~std::uint32_t{NF_NAT_RANGE_MAP_IPS};
      if (n->flags == 0u)
        n->flags.reset();
    }
  }
  return {std::move(exprs), r.userdata};
}

bool same_definition(const set& a, const set& b) {
  return a.flags.value_or(0) == b.flags.value_or(0) &&
         a.key_type == b.key_type && a.key_len == b.key_len &&
         a.data_type == b.data_type &&
         // the kernel reports sizeof(struct nft_verdict) for verdict maps
         (a.data_type == NFT_DATA_VERDICT ||
          a.data_len.value_or(0) == b.data_len.value_or(0));
}

bool same_chain(const chain& a, const chain& b) {
  return a.hook == b.hook && a.type == b.type &&
         a.policy.value_or(NF_ACCEPT) == b.policy.value_or(NF_ACCEPT);
}

// An element as compared: key, range end, data and the interval-end flag,
// written out as text.
using elem_key = std::string;

void put(std::string& out, const std::optional<data>& d) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '|';
  if (!d)
    return;
  for (auto b : d->value) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  if (d->verdict)
    out += "v" + std::to_string(d->verdict->code) + ":" +
           d->verdict->chain.value_or("");
}

elem_key elem_of(const set_elem& e) {
  std::string k;
  put(k, e.key);
  put(k, e.key_end);
  put(k, e.value);
  k += e.is_interval_end() ? "|end" : "|";
  return k;
}

} // namespace

std::vector<operation> reconcile(const ruleset& current,
                                 const std::vector<operation>& desired) {
  // What is wanted.
  std::set<key> want_tables, want_chains;
  std::map<key, const set*> want_sets;
  std::map<key, std::vector<const rule*>> want_rules;
  std::map<key, const chain*> want_chain_def;
  std::vector<const operation*> tail;
  for (auto& op : desired) {
    if (op.v != verb::add) {
      tail.push_back(&op);
      continue;
    }
    if (auto* t = std::get_if<table>(&op.object))
      want_tables.insert(table_key(*t));
    else if (auto* c = std::get_if<chain>(&op.object)) {
      want_chains.insert(chain_key(*c));
      want_chain_def[chain_key(*c)] = c;
    } else if (auto* s = std::get_if<set>(&op.object))
      want_sets[set_key(*s)] = s;
    else if (auto* r = std::get_if<rule>(&op.object))
      want_rules[rule_chain(*r)].push_back(r);
  }
  auto in_wanted_table = [&](std::uint8_t f, const std::string& t) {
    return want_tables.count({f, t, {}}) > 0;
  };

  // What is there.
  std::set<key> have_tables;
  std::map<key, const chain*> have_chains;
  std::map<key, std::vector<const rule*>> have_rules;
  std::map<key, const set_with_elems*> have_sets;
  for (auto& t : current.tables)
    have_tables.insert(table_key(t));
  for (auto& c : current.chains)
    have_chains[chain_key(c)] = &c;
  for (auto& r : current.rules)
    have_rules[rule_chain(r)].push_back(&r);
  for (auto& s : current.sets)
    if (!(s.set.flags.value_or(0) & NFT_SET_ANONYMOUS))
      have_sets[set_key(s.set)] = &s;

  std::vector<operation> out;
  // Sets to re-create; their tables' chains are refilled so no rule
  // refers to the old set when it is deleted.
  std::set<key> recreate_sets;
  std::set<std::pair<std::uint8_t, std::string>> refill_tables;
  for (auto& [k, s] : have_sets) {
    auto it = want_sets.find(k);
    if (!in_wanted_table(std::get<0>(k), std::get<1>(k)))
      continue;
    if (it == want_sets.end() || !same_definition(s->set, *it->second)) {
      recreate_sets.insert(k);
      refill_tables.insert({std::get<0>(k), std::get<1>(k)});
    }
  }
  // 1. Empty the chains that go away or change.
  std::set<key> refill, drop_chains;
  for (auto& [k, c] : have_chains) {
    if (!in_wanted_table(std::get<0>(k), std::get<1>(k)))
      continue;
    bool keep = want_chains.count(k) > 0;
    auto& have = have_rules[k];
    auto& want = want_rules[k];
    bool differs = have.size() != want.size();
    for (std::size_t i = 0; !differs && i < have.size(); ++i)
      differs = comparable(*have[i]) != comparable(*want[i]);
    if (refill_tables.count({std::get<0>(k), std::get<1>(k)}) && !have.empty())
      differs = true;
    if (!keep) {
      drop_chains.insert(k);
      if (!have.empty())
        out.push_back({verb::flush, *c, label(k, "chain")});
    } else if (differs) {
      refill.insert(k);
      if (!have.empty())
        out.push_back({verb::flush, *c, label(k, "chain")});
    }
  }
  // 2. Delete what is not wanted.
  for (auto& k : drop_chains)
    out.push_back({verb::remove, *have_chains[k], label(k, "chain")});
  for (auto& k : recreate_sets)
    out.push_back({verb::remove, have_sets[k]->set, label(k, "set")});
  for (auto& t : current.tables)
    if (!want_tables.count(table_key(t)))
      out.push_back({verb::remove, t, label(table_key(t), "table")});

  // 3. Add what is missing, in the document's order.
  for (auto& op : desired) {
    if (op.v != verb::add)
      continue;
    std::visit(
        [&](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, table>) {
            if (!have_tables.count(table_key(o)))
              out.push_back(op);
          } else if constexpr (std::is_same_v<T, chain>) {
            auto it = have_chains.find(chain_key(o));
            if (it == have_chains.end() || !same_chain(*it->second, o))
              out.push_back(op);
          } else if constexpr (std::is_same_v<T, set>) {
            auto k = set_key(o);
            if (!have_sets.count(k) || recreate_sets.count(k))
              out.push_back(op);
          } else if constexpr (std::is_same_v<T, elem_list>) {
            key k{o.family, o.table, o.set};
            auto it = have_sets.find(k);
            if (it == have_sets.end() || recreate_sets.count(k)) {
              out.push_back(op);
              return;
            }
            std::set<elem_key> want, have;
            for (auto& e : o.elems)
              want.insert(elem_of(e));
            for (auto& e : it->second->elems)
              have.insert(elem_of(e));
            elem_list add = o, del = o;
            add.elems.clear();
            del.elems.clear();
            for (auto& e : it->second->elems) {
              if (want.count(elem_of(e)))
                continue;
              set_elem d; // what DELSETELEM needs: the key and its flags
              d.key = e.key;
              d.key_end = e.key_end;
              d.flags = e.flags;
              del.elems.push_back(std::move(d));
            }
            for (auto& e : o.elems)
              if (!have.count(elem_of(e)))
                add.elems.push_back(e);
            if (!del.elems.empty())
              out.push_back({verb::remove, std::move(del), op.path});
            if (!add.elems.empty())
              out.push_back({verb::add, std::move(add), op.path});
          } else if constexpr (std::is_same_v<T, rule>) {
            auto k = rule_chain(o);
            if (!have_chains.count(k) || refill.count(k))
              out.push_back(op);
          } else {
            out.push_back(op);
          }
        },
        op.object);
  }
  for (auto* op : tail)
    out.push_back(*op);
  return out;
}

} // namespace nfactor::nft::json
