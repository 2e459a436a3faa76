// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/snapshot.hpp"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/gen.hpp"

namespace nfactor::nft {

namespace {

// One dump attempt; `mismatch` is set when a part carried another
// generation than `gen`.
struct attempt {
  sys::socket& sock;
  const pull_options& opts;
  std::uint16_t gen16;
  bool mismatch = false;

  // A dump filter: string attributes of the request (table, chain, set).
  using filter = std::initializer_list<std::pair<std::uint16_t, std::string>>;

  template <class F>
  result<void> run(std::uint8_t msg, std::uint8_t family, const char* op,
                   F&& on_msg, filter by = {}) {
    byte_buffer req;
    auto seq = sock.next_seq();
    nl::message_writer w{req};
    w.begin(nfnl::nlmsg_type(nfnl::subsys::nftables, msg),
            NLM_F_REQUEST | NLM_F_DUMP, seq);
    w.put_nfgenmsg(family);
    for (const auto& [type, value] : by)
      w.attr_str(type, value);
    w.end();
    return sys::dump(
        sock, req, seq, op,
        [&](const nl::message& m) -> result<void> {
          auto hdr = nfnl::decode_nfgenmsg(m.payload);
          if (!hdr)
            return std::move(hdr).err();
          if (hdr->res_id != gen16)
            mismatch = true;
          return on_msg(m);
        },
        opts.exchange);
  }
};

bool wanted(const pull_options& o, std::uint8_t family,
            const std::string& table) {
  return !o.table ||
         (*o.table == table && (o.family == 0 || o.family == family));
}

template <class T, class Decode>
auto collect(std::vector<T>& out, const pull_options& o, Decode decode) {
  return [&out, &o, decode](const nl::message& m) -> result<void> {
    auto x = decode(m);
    if (!x)
      return std::move(x).err();
    if constexpr (requires { x->table; }) {
      if constexpr (std::is_same_v<T, table>) {
      } else if (!wanted(o, x->family, x->table)) {
        return {};
      }
    }
    out.push_back(std::move(*x));
    return {};
  };
}

result<void> dump_once(attempt& a, ruleset& rs) {
  const auto& o = a.opts;
  auto tables_cb = [&](const nl::message& m) -> result<void> {
    auto t = decode_table(m);
    if (!t)
      return std::move(t).err();
    if (wanted(o, t->family, t->name))
      rs.tables.push_back(std::move(*t));
    return {};
  };
  if (auto st = a.run(NFT_MSG_GETTABLE, o.family, "dump tables", tables_cb);
      !st)
    return st;
  if (auto st = a.run(NFT_MSG_GETCHAIN, o.family, "dump chains",
                      collect(rs.chains, o, decode_chain));
      !st)
    return st;
  if (o.rules_per_chain) {
    // The kernel resumes each dump part by walking the rule lists from
    // the start; per chain the walk is that chain's, not everything
    // before it (snapshot.hpp).
    for (const auto& c : rs.chains)
      if (auto st =
              a.run(NFT_MSG_GETRULE, c.family, "dump rules",
                    collect(rs.rules, o, decode_rule),
                    {{NFTA_RULE_TABLE, c.table}, {NFTA_RULE_CHAIN, c.name}});
          !st)
        return st;
  } else if (auto st = a.run(NFT_MSG_GETRULE, o.family, "dump rules",
                             collect(rs.rules, o, decode_rule));
             !st) {
    return st;
  }
  std::vector<set> sets;
  if (auto st = a.run(NFT_MSG_GETSET, o.family, "dump sets",
                      collect(sets, o, decode_set));
      !st)
    return st;
  for (auto& s : sets) {
    set_with_elems sw{std::move(s), {}};
    if (o.elements) {
      auto st = a.run(NFT_MSG_GETSETELEM, sw.set.family, "dump set elements",
                      [&](const nl::message& m) -> result<void> {
                        auto l = decode_elems(m);
                        if (!l)
                          return std::move(l).err();
                        for (auto& e : l->elems)
                          sw.elems.push_back(std::move(e));
                        return {};
                      },
                      {{NFTA_SET_ELEM_LIST_TABLE, sw.set.table},
                       {NFTA_SET_ELEM_LIST_SET, sw.set.name}});
      if (!st)
        return st;
    }
    rs.sets.push_back(std::move(sw));
  }
  if (auto st = a.run(NFT_MSG_GETOBJ, o.family, "dump objects",
                      collect(rs.objects, o, decode_object));
      !st)
    return st;
  if (auto st = a.run(NFT_MSG_GETFLOWTABLE, o.family, "dump flowtables",
                      collect(rs.flowtables, o, decode_flowtable));
      !st)
    return st;
  return {};
}

bool retryable(const error& e) {
  return e.code == make_error_code(errc::dump_interrupted) ||
         e.errno_value() == EINTR || e.errno_value() == EAGAIN ||
         e.errno_value() == ENOENT; // a set vanished between dumps
}

} // namespace

result<ruleset> pull(sys::socket& sock, const pull_options& opts) {
  std::string why = "no attempt";
  for (int i = 1; i <= std::max(1, opts.max_attempts); ++i) {
    auto g1 = get_gen(sock, opts.exchange);
    if (!g1)
      return std::move(g1).err();
    ruleset rs;
    rs.gen_id = g1->id;
    attempt a{sock, opts, static_cast<std::uint16_t>(g1->id & 0xffff)};
    auto st = dump_once(a, rs);
    if (!st) {
      if (!retryable(st.err()))
        return std::move(st).err();
      why = st.err().message();
      continue;
    }
    auto g2 = get_gen(sock, opts.exchange);
    if (!g2)
      return std::move(g2).err();
    if (g2->id != g1->id) {
      why = "generation moved from " + std::to_string(g1->id) + " to " +
            std::to_string(g2->id);
      continue;
    }
    if (a.mismatch) {
      why = "a dump part carried another generation than " +
            std::to_string(g1->id);
      continue;
    }
    rs.attempts = static_cast<std::uint32_t>(i);
    return rs;
  }
  return make_error(errc::inconsistent, "pull nf_tables ruleset",
                    std::to_string(opts.max_attempts) +
                        " attempts; last: " + why);
}

result<ruleset> pull(sys::socket& sock, commit_framer& tail,
                     const pull_options& opts) {
  auto rs = pull(sock, opts);
  if (rs)
    tail.set_min_gen(rs->gen_id);
  return rs;
}

std::vector<change> ruleset::as_changes() const {
  std::vector<change> out;
  out.reserve(tables.size() + chains.size() + rules.size() + 2 * sets.size() +
              objects.size() + flowtables.size());
  for (const auto& t : tables)
    out.push_back(change{true, 0, t});
  for (const auto& s : sets) {
    out.push_back(change{true, 0, s.set});
    if (!s.elems.empty())
      out.push_back(change{true, 0,
                           elem_list{s.set.family, s.set.table, s.set.name,
                                     std::nullopt, s.elems}});
  }
  for (const auto& o : objects)
    out.push_back(change{true, 0, o});
  for (const auto& f : flowtables)
    out.push_back(change{true, 0, f});
  for (const auto& c : chains)
    out.push_back(change{true, 0, c});
  for (const auto& r : rules)
    out.push_back(change{true, 0, r});
  return out;
}

ruleset from_changes(std::uint32_t gen_id, std::vector<change> changes) {
  ruleset rs;
  rs.gen_id = gen_id;
  for (auto& c : changes)
    apply(rs, c);
  return rs;
}

namespace {

template <class T>
bool same_key(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, rule>)
    // A rule without a handle (a desired state's) is no other rule.
    return a.family == b.family && a.table == b.table && a.chain == b.chain &&
           a.handle && a.handle == b.handle;
  else
    return identity(a) == identity(b);
}

template <class T>
void upsert(std::vector<T>& v, const T& x, bool added) {
  auto it = std::find_if(v.begin(), v.end(),
                         [&](const T& y) { return same_key(y, x); });
  if (!added) {
    if (it != v.end())
      v.erase(it);
    return;
  }
  if (it != v.end())
    *it = x;
  else
    v.push_back(x);
}

template <class T>
void drop_table(std::vector<T>& v, const table& t) {
  std::erase_if(
      v, [&](const T& x) { return x.family == t.family && x.table == t.name; });
}

} // namespace

void apply(ruleset& rs, const change& c) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, table>) {
          upsert(rs.tables, x, c.added);
          if (!c.added) {
            drop_table(rs.chains, x);
            drop_table(rs.rules, x);
            drop_table(rs.objects, x);
            drop_table(rs.flowtables, x);
            std::erase_if(rs.sets, [&](const set_with_elems& s) {
              return s.set.family == x.family && s.set.table == x.name;
            });
          }
        } else if constexpr (std::is_same_v<T, chain>) {
          upsert(rs.chains, x, c.added);
          if (!c.added)
            std::erase_if(rs.rules, [&](const rule& r) {
              return r.family == x.family && r.table == x.table &&
                     r.chain == x.name;
            });
        } else if constexpr (std::is_same_v<T, rule>) {
          upsert(rs.rules, x, c.added);
        } else if constexpr (std::is_same_v<T, set>) {
          auto it = std::find_if(
              rs.sets.begin(), rs.sets.end(),
              [&](const set_with_elems& s) { return same_key(s.set, x); });
          if (!c.added) {
            if (it != rs.sets.end())
              rs.sets.erase(it);
          } else if (it != rs.sets.end()) {
            it->set = x;
          } else {
            rs.sets.push_back(set_with_elems{x, {}});
          }
        } else if constexpr (std::is_same_v<T, elem_list>) {
          auto it = std::find_if(
              rs.sets.begin(), rs.sets.end(), [&](const set_with_elems& s) {
                return s.set.family == x.family && s.set.table == x.table &&
                       s.set.name == x.set;
              });
          if (it == rs.sets.end())
            return;
          for (const auto& e : x.elems) {
            auto same = [&](const set_elem& y) {
              return y.key == e.key && y.key_end == e.key_end &&
                     y.flags.value_or(0) == e.flags.value_or(0);
            };
            auto at = std::find_if(it->elems.begin(), it->elems.end(), same);
            if (c.added) {
              if (at == it->elems.end())
                it->elems.push_back(e);
              else
                *at = e;
            } else if (at != it->elems.end()) {
              it->elems.erase(at);
            }
          }
        } else if constexpr (std::is_same_v<T, object>) {
          upsert(rs.objects, x, c.added);
        } else if constexpr (std::is_same_v<T, flowtable>) {
          upsert(rs.flowtables, x, c.added);
        }
      },
      c.entity);
}

} // namespace nfactor::nft
