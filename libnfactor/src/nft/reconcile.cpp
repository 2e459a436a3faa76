// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/reconcile.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <linux/netfilter/nf_tables.h>

#include "nfactor/nft/batch_ops.hpp"
#include "nfactor/nft/expr.hpp"

namespace nfactor::nft {

namespace {

// A map key owning copies of the entry's identity (snapshot.hpp).
template <class T>
auto key_of(const T& x) {
  return std::apply([](const auto&... p) { return std::make_tuple(p...); },
                    identity(x));
}
using table_key = decltype(key_of(table{}));
using obj_key = decltype(key_of(chain{}));
using typed_key = decltype(key_of(object{}));

obj_key chain_of(const rule& r) {
  return {r.family, r.table, r.chain};
}

bool is_anonymous(const set& s) {
  return s.flags.value_or(0) & NFT_SET_ANONYMOUS;
}

// The anonymous set a rule's lookup refers to: by batch id in a desired
// state, by the kernel's name ("__set3") in a pulled one.
const set_with_elems* anonymous_of(const ruleset& rs, const rule& r,
                                   const expr::lookup& l) {
  for (auto& s : rs.sets)
    if (is_anonymous(s.set) && s.set.family == r.family &&
        s.set.table == r.table &&
        (l.set_id ? s.set.id == l.set_id : s.set.name == l.set))
      return &s;
  return nullptr;
}

std::string elem_key(const set_elem& e);
std::string elem_value(const set_elem& e);

// An anonymous set's identity: its definition and sorted elements.
std::string contents(const set_with_elems& s) {
  std::vector<std::string> elems;
  for (auto& e : s.elems)
    elems.push_back(elem_key(e) + "=" + elem_value(e));
  std::sort(elems.begin(), elems.end());
  std::string out = "{" + std::to_string(s.set.key_type.value_or(0)) + ":" +
                    std::to_string(s.set.data_type.value_or(0)) + ":" +
                    std::to_string(s.set.flags.value_or(0));
  for (auto& e : elems)
    out += " " + e;
  return out + "}";
}

// A rule's identity for the diff: its expressions as libnftnl renders
// them and its user data. Kernel dumps differ from what was sent in state
// (counter values) and in defaults made explicit (lookup flags 0); both
// are normalised away. A lookup in an anonymous set is named by the set's
// contents, which a dump and a desired state share, not by its name.
std::string fingerprint(const rule& r, const ruleset& rs) {
  auto exprs = r.exprs;
  for (auto& e : exprs) {
    if (auto* c = std::get_if<expr::counter>(&e.value))
      *c = expr::counter{};
    if (auto* l = std::get_if<expr::lookup>(&e.value)) {
      if (l->flags == 0u)
        l->flags.reset();
      if (auto* anon = anonymous_of(rs, r, *l)) {
        l->set = contents(*anon);
        l->set_id.reset();
      }
    }
  }
  auto out = render(exprs);
  if (r.userdata)
    out += "|" + to_hex(*r.userdata);
  return out;
}

bool same_hook(const chain& a, const chain& b) {
  if (a.hook.has_value() != b.hook.has_value())
    return false;
  if (!a.hook)
    return true;
  auto devs = [](const hook& h) {
    std::vector<std::string> d = h.devices.value_or(std::vector<std::string>{});
    if (h.device)
      d.push_back(*h.device);
    std::sort(d.begin(), d.end());
    return d;
  };
  return a.hook->num == b.hook->num &&
         a.hook->priority.value_or(0) == b.hook->priority.value_or(0) &&
         a.type.value_or("filter") == b.type.value_or("filter") &&
         devs(*a.hook) == devs(*b.hook);
}

bool same_definition(const set& a, const set& b) {
  constexpr std::uint32_t user_flags =
      NFT_SET_CONSTANT | NFT_SET_INTERVAL | NFT_SET_MAP | NFT_SET_TIMEOUT |
      NFT_SET_EVAL | NFT_SET_OBJECT | NFT_SET_CONCAT;
  return (a.flags.value_or(0) & user_flags) ==
             (b.flags.value_or(0) & user_flags) &&
         a.key_type.value_or(0) == b.key_type.value_or(0) &&
         a.key_len.value_or(0) == b.key_len.value_or(0) &&
         a.data_type.value_or(0) == b.data_type.value_or(0) &&
         a.obj_type.value_or(0) == b.obj_type.value_or(0) &&
         a.timeout.value_or(0) == b.timeout.value_or(0);
}

// How an existing named object becomes the desired one. Only the
// definition counts, never the running state (a counter's packets, a
// quota's consumed bytes): a quota's limit is updated in place (NEWOBJ on
// an existing quota), a limit's definition can only be replaced (the
// kernel keeps an existing limit as it is); counters and object types
// nfactor keeps as raw bytes are left alone.
enum class object_change { none, update, replace };

object_change change_of(const object& cur, const object& want) {
  if (!cur.state || !want.state)
    return object_change::none;
  if (auto* w = std::get_if<expr::quota>(&*want.state)) {
    auto* c = std::get_if<expr::quota>(&*cur.state);
    return c && c->bytes == w->bytes && c->flags == w->flags
               ? object_change::none
               : object_change::update;
  }
  if (auto* w = std::get_if<expr::limit>(&*want.state)) {
    auto* c = std::get_if<expr::limit>(&*cur.state);
    return c && *c == *w ? object_change::none : object_change::replace;
  }
  return object_change::none;
}

std::string elem_key(const set_elem& e) {
  std::string k;
  if (e.key)
    k += to_hex(e.key->value);
  if (e.key_end)
    k += "-" + to_hex(e.key_end->value);
  k += "/" + std::to_string(e.flags.value_or(0));
  return k;
}

std::string elem_value(const set_elem& e) {
  std::string v;
  if (e.value) {
    v += to_hex(e.value->value);
    if (e.value->verdict)
      v += "v" + std::to_string(e.value->verdict->code) +
           e.value->verdict->chain.value_or("");
  }
  v += e.objref.value_or("");
  return v;
}

// The origin tag of `x`, an element of `xs`, from `tags` (parallel to
// `xs`); "" when it has none.
template <class T>
const std::string& tag_of(const std::vector<T>& xs, const T* x,
                          const std::vector<std::string>& tags) {
  static const std::string none;
  auto i = static_cast<std::size_t>(x - xs.data());
  return i < tags.size() ? tags[i] : none;
}

template <class T, class K>
std::map<K, const T*> index(const std::vector<T>& xs, K (*key)(const T&)) {
  std::map<K, const T*> out;
  for (auto& x : xs)
    out.emplace(key(x), &x);
  return out;
}

} // namespace

std::size_t plan(const ruleset& cur, const ruleset& want, batch& b,
                 std::vector<std::string>* origins) {
  auto before = b.size();
  const auto first_origin = origins ? origins->size() : 0;
  // Tags the operations added since the last call with `tag`.
  auto mark = [&](const std::string& tag) {
    if (origins)
      origins->resize(first_origin + (b.size() - before), tag);
  };
  const auto& tags = want.origins;
  auto table_tag = [&](std::uint8_t f,
                       const std::string& t) -> const std::string& {
    static const std::string none;
    for (std::size_t i = 0; i < want.tables.size(); ++i)
      if (want.tables[i].family == f && want.tables[i].name == t)
        return tag_of(want.tables, &want.tables[i], tags.tables);
    return none;
  };
  std::set<table_key> owned;
  for (auto& t : want.tables)
    owned.insert(key_of(t));
  auto in_owned = [&](std::uint8_t f, const std::string& t) {
    return owned.count({f, t}) > 0;
  };
  auto cur_tables = index<table, table_key>(cur.tables, &key_of<table>);
  auto cur_chains = index<chain, obj_key>(cur.chains, &key_of<chain>);
  auto want_chains = index<chain, obj_key>(want.chains, &key_of<chain>);
  std::map<obj_key, const set_with_elems*> cur_sets, want_sets;
  // Anonymous sets live and die with their rules (below).
  for (auto& s : cur.sets)
    if (!is_anonymous(s.set))
      cur_sets.emplace(key_of(s.set), &s);
  for (auto& s : want.sets)
    if (!is_anonymous(s.set))
      want_sets.emplace(key_of(s.set), &s);
  auto cur_objs = index<object, typed_key>(cur.objects, &key_of<object>);
  auto want_objs = index<object, typed_key>(want.objects, &key_of<object>);
  std::map<obj_key, std::vector<const rule*>> cur_rules, want_rules;
  for (auto& r : cur.rules)
    if (in_owned(r.family, r.table))
      cur_rules[chain_of(r)].push_back(&r);
  for (auto& r : want.rules)
    want_rules[chain_of(r)].push_back(&r);

  // 1. Tables, sets, objects and chains that must exist first.
  for (auto& t : want.tables)
    if (!cur_tables.count(key_of(t))) {
      add(b, t);
      mark(tag_of(want.tables, &t, tags.tables));
    }
  std::set<obj_key> recreated_sets;
  for (auto& [k, ws] : want_sets) {
    const auto& set_tag = tag_of(want.sets, ws, tags.sets);
    auto it = cur_sets.find(k);
    if (it != cur_sets.end() && !same_definition(it->second->set, ws->set)) {
      remove(b, it->second->set);
      recreated_sets.insert(k);
    }
    if (it == cur_sets.end() || recreated_sets.count(k)) {
      add(b, ws->set);
      if (!ws->elems.empty())
        add(b, elem_list{.family = ws->set.family,
                         .table = ws->set.table,
                         .set = ws->set.name,
                         .set_id = {},
                         .elems = ws->elems});
      mark(set_tag);
      continue;
    }
    std::map<std::string, const set_elem*> have;
    for (auto& e : it->second->elems)
      have.emplace(elem_key(e), &e);
    elem_list add_l{.family = ws->set.family,
                    .table = ws->set.table,
                    .set = ws->set.name,
                    .set_id = {},
                    .elems = {}};
    elem_list del_l = add_l;
    std::set<std::string> wanted;
    for (auto& e : ws->elems) {
      auto key = elem_key(e);
      wanted.insert(key);
      auto h = have.find(key);
      if (h == have.end()) {
        add_l.elems.push_back(e);
      } else if (elem_value(*h->second) != elem_value(e)) {
        del_l.elems.push_back(*h->second);
        add_l.elems.push_back(e);
      }
    }
    for (auto& [key, e] : have)
      if (!wanted.count(key))
        del_l.elems.push_back(*e);
    if (!del_l.elems.empty())
      remove(b, del_l);
    if (!add_l.elems.empty())
      add(b, add_l);
    mark(set_tag);
  }
  for (auto& [k, o] : want_objs) {
    auto it = cur_objs.find(k);
    auto how = it == cur_objs.end() ? object_change::update
                                    : change_of(*it->second, *o);
    if (how == object_change::none)
      continue;
    if (how == object_change::replace)
      remove(b, *it->second);
    add(b, *o);
    mark(tag_of(want.objects, o, tags.objects));
  }
  std::set<obj_key> recreated_chains;
  for (auto& c : want.chains) {
    auto it = cur_chains.find(key_of(c));
    if (it == cur_chains.end()) {
      add(b, c);
    } else if (!same_hook(*it->second, c)) {
      remove(b, *it->second); // takes its rules with it
      add(b, c);
      recreated_chains.insert(key_of(c));
    } else if (c.policy && it->second->policy != c.policy) {
      add(b, c); // NEWCHAIN on an existing chain updates its policy
    }
    mark(tag_of(want.chains, &c, tags.chains));
  }

  // 2. Rules, chain by chain.
  std::set<obj_key> chains;
  for (auto& [k, v] : cur_rules)
    chains.insert(k);
  for (auto& [k, v] : want_rules)
    chains.insert(k);
  for (auto& k : chains) {
    if (!want_chains.count(k))
      continue; // the chain goes away with its rules below
    std::vector<const rule*> have;
    if (!recreated_chains.count(k))
      have = cur_rules[k];
    auto& wanted = want_rules[k];
    std::vector<std::string> hf, wf;
    for (auto* r : have)
      hf.push_back(fingerprint(*r, cur));
    for (auto* r : wanted)
      wf.push_back(fingerprint(*r, want));
    std::size_t head = 0;
    while (head < hf.size() && head < wf.size() && hf[head] == wf[head])
      ++head;
    std::size_t tail = 0;
    while (tail < hf.size() - head && tail < wf.size() - head &&
           hf[hf.size() - 1 - tail] == wf[wf.size() - 1 - tail])
      ++tail;
    for (std::size_t i = head; i < hf.size() - tail; ++i)
      remove(b, *have[i]);
    mark(tag_of(want.chains, want_chains[k], tags.chains));
    for (std::size_t i = head; i < wf.size() - tail; ++i) {
      rule r = *wanted[i];
      r.handle.reset();
      r.position.reset();
      // Its anonymous sets first, in the same batch (found by set id).
      for (auto& e : r.exprs)
        if (auto* l = e.get_if<expr::lookup>(); l && l->set_id)
          if (auto* anon = anonymous_of(want, r, *l)) {
            add(b, anon->set);
            if (!anon->elems.empty())
              add(b, elem_list{.family = anon->set.family,
                               .table = anon->set.table,
                               .set = anon->set.name,
                               .set_id = anon->set.id,
                               .elems = anon->elems});
          }
      if (tail > 0) {
        r.position = have[hf.size() - tail]->handle;
        insert(b, r); // before the kept tail, in order
      } else {
        add(b, r);
      }
      mark(tag_of(want.rules, wanted[i], tags.rules));
    }
  }

  // 3. What the owned tables have and the desired state lacks.
  for (auto& [k, c] : cur_chains)
    if (in_owned(c->family, c->table) && !want_chains.count(k)) {
      remove(b, *c);
      mark(table_tag(c->family, c->table));
    }
  for (auto& [k, s] : cur_sets)
    if (in_owned(s->set.family, s->set.table) && !want_sets.count(k)) {
      remove(b, s->set);
      mark(table_tag(s->set.family, s->set.table));
    }
  for (auto& [k, o] : cur_objs)
    if (in_owned(o->family, o->table) && !want_objs.count(k)) {
      remove(b, *o);
      mark(table_tag(o->family, o->table));
    }
  return b.size() - before;
}

result<reconcile_result> reconcile(sys::socket& sock, const ruleset& desired,
                                   const reconcile_options& opts) {
  // The loop below ends with the last conflict; with no attempt there is
  // none to return.
  if (opts.max_attempts <= 0)
    return make_error(errc::invalid_argument, "nft::reconcile",
                      "max_attempts must be at least 1, got " +
                          std::to_string(opts.max_attempts));
  reconcile_result out;
  std::optional<error> last;
  for (int attempt = 1; attempt <= opts.max_attempts; ++attempt) {
    out.attempts = static_cast<std::uint32_t>(attempt);
    auto cur = pull(sock);
    if (!cur)
      return std::move(cur).err();
    batch b;
    std::vector<std::string> origins;
    auto n = plan(*cur, desired, b, &origins);
    if (n == 0) {
      out.genid = cur->gen_id;
      out.operations = 0;
      return out;
    }
    auto enc = std::move(b).finish();
    if (!enc)
      return std::move(enc).err();
    if (opts.before_commit)
      opts.before_commit(attempt);
    auto co = opts.commit;
    co.genid = cur->gen_id;
    auto r = commit(sock, *enc, co);
    if (r) {
      out.genid = r->genid;
      out.operations = static_cast<std::uint32_t>(n);
      out.commit = *r;
      return out;
    }
    if (r.err().code != make_error_code(errc::conflict)) {
      auto e = std::move(r).err();
      // Name the desired object behind the refused operation.
      if (auto* op = enc->find_seq(e.seq);
          op && op->index < origins.size() && !origins[op->index].empty())
        e.op = origins[op->index] + ": " + e.op;
      return e;
    }
    last = std::move(r).err();
  }
  last->detail += "; gave up after " + std::to_string(opts.max_attempts) +
                  " reconcile attempts";
  return std::move(*last);
}

} // namespace nfactor::nft
