// SPDX-License-Identifier: Apache-2.0
//
// nft JSON objects (tables, chains, sets and maps with elements, rules,
// commands) → typed operations; operations → one batch.
#include "nfactor/nft/json.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/batch_ops.hpp"
#include "names.hpp"
#include "operands.hpp"
#include "reader.hpp"

namespace nfactor::nft::json {

namespace detail {

void fail(const std::string& path, std::string what) {
  throw bad_input{path, std::move(what)};
}

const value* member(const value& v, std::string_view key) {
  if (!v.is_object())
    return nullptr;
  auto it = v.find(key);
  return it == v.end() ? nullptr : &*it;
}

std::string need_string(const value& v, std::string_view key,
                        const std::string& path) {
  auto* m = member(v, key);
  if (!m || !m->is_string())
    fail(path, "needs a string \"" + std::string{key} + "\"");
  return m->get<std::string>();
}

const value& field_or_null(const value& v, std::string_view key) {
  static const value null;
  auto* m = member(v, key);
  return m ? *m : null;
}

std::uint64_t need_uint(const value& v, const std::string& path,
                        std::uint64_t max) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() > max)
    fail(path, "needs a number from 0 to " + std::to_string(max) + ", not " +
                   v.dump());
  return v.get<std::uint64_t>();
}

} // namespace detail

namespace {

using namespace detail;

// -- objects ------------------------------------------------------------------

std::uint8_t family_of(const value& v, const std::string& path) {
  auto name = need_string(v, "family", path);
  auto f = nfnl::family_from_string(name);
  if (!f || *f == nfnl::family::unspec)
    fail(path, "unknown family '" + name + "'");
  return static_cast<std::uint8_t>(*f);
}

table read_table(const value& v, const std::string& path) {
  table t;
  t.family = family_of(v, path);
  t.name = need_string(v, "name", path);
  if (auto* fl = member(v, "flags")) {
    std::uint32_t flags = 0;
    auto one = [&](const value& x) {
      auto s = x.is_string() ? x.get<std::string>() : std::string{};
      if (s == "dormant")
        flags |= NFT_TABLE_F_DORMANT;
      else
        fail(path + ".flags", "unsupported table flag " + x.dump());
    };
    if (fl->is_array())
      for (auto& x : *fl)
        one(x);
    else
      one(*fl);
    t.flags = flags;
  }
  return t;
}

chain read_chain(const value& v, const std::string& path) {
  chain c;
  c.family = family_of(v, path);
  c.table = need_string(v, "table", path);
  c.name = need_string(v, "name", path);
  if (member(v, "hook")) {
    nft::hook h;
    auto hk = hook_from_string(c.family, need_string(v, "hook", path));
    if (!hk)
      fail(path + ".hook", hk.err().message());
    h.num = *hk;
    auto* prio = member(v, "prio");
    if (!prio)
      fail(path, "a base chain needs \"prio\"");
    if (prio->is_number_integer()) {
      auto p = prio->get<std::int64_t>();
      if (p < INT32_MIN || p > INT32_MAX)
        fail(path + ".prio", "out of range");
      h.priority = static_cast<std::int32_t>(p);
    } else if (prio->is_string()) {
      auto p = priority_from_string(prio->get<std::string>());
      if (!p)
        fail(path + ".prio", p.err().message());
      h.priority = *p;
    } else {
      fail(path + ".prio", "needs a number or a name");
    }
    if (auto* dev = member(v, "dev")) {
      if (dev->is_string()) {
        h.device = dev->get<std::string>();
      } else if (dev->is_array()) {
        std::vector<std::string> devs;
        for (auto& d : *dev) {
          if (!d.is_string())
            fail(path + ".dev", "devices are strings");
          devs.push_back(d.get<std::string>());
        }
        h.devices = std::move(devs);
      } else {
        fail(path + ".dev", "needs a device name or a list of them");
      }
    }
    c.hook = std::move(h);
    c.type = need_string(v, "type", path);
    auto pol = member(v, "policy") ? need_string(v, "policy", path)
                                   : std::string{"accept"};
    if (pol == "accept")
      c.policy = NF_ACCEPT;
    else if (pol == "drop")
      c.policy = NF_DROP;
    else
      fail(path + ".policy", "unknown policy '" + pol + "'");
  }
  if (auto res = validate(c); !res)
    fail(path, res.err().message());
  return c;
}

struct set_and_elems {
  set s;
  std::optional<elem_list> elems;
};

key_type key_type_of(const value& v, const std::string& path) {
  key_type k;
  auto one = [&](const value& x, const std::string& p) {
    if (!x.is_string())
      fail(p, "needs a type name (typeof is not supported)");
    auto* t = find_dtype(x.get<std::string>());
    if (!t)
      fail(p, "unsupported set type '" + x.get<std::string>() + "'");
    k.parts.push_back(t);
  };
  if (v.is_array()) {
    if (v.size() < 2)
      fail(path, "a concatenated type has two or more parts");
    for (std::size_t i = 0; i < v.size(); ++i)
      one(v[i], path + "[" + std::to_string(i) + "]");
  } else {
    one(v, path);
  }
  return k;
}

set_and_elems read_set(const value& v, bool is_map, const std::string& path,
                       const context& cx) {
  set_and_elems out;
  auto& s = out.s;
  s.family = family_of(v, path);
  s.table = need_string(v, "table", path);
  s.name = need_string(v, "name", path);
  set_spec spec;
  spec.key = key_type_of(field_or_null(v, "type"), path + ".type");
  if (spec.key.parts.size() == 1 &&
      spec.key.parts[0] == find_dtype("integer")) {
    auto it = cx.typeof_keys.find({s.family, s.table, s.name});
    if (it == cx.typeof_keys.end())
      fail(path + ".type",
           "unqualified type integer: its size and byte order are unknown "
           "(nft lists a set declared with typeof so; a rule that looks "
           "it up by name would tell them)");
    spec.key.parts[0] = it->second;
  }
  s.key_type = spec.key.id();
  s.key_len = spec.key.len();
  // A concatenated key alone is no NFT_SET_CONCAT set: nft sends that
  // flag (and the parts' lengths) only for concatenated intervals, which
  // are refused below; the kernel lists what it was sent.
  std::uint32_t flags = 0;
  if (is_map) {
    auto* m = member(v, "map");
    if (!m)
      fail(path, "a map needs \"map\" (its data type)");
    auto mt = m->is_string() ? m->get<std::string>() : std::string{};
    auto obj = code_of(object_types, mt);
    if (mt == "verdict") {
      flags |= NFT_SET_MAP;
      spec.verdicts = true;
      s.data_type = NFT_DATA_VERDICT;
      s.data_len = 0;
    } else if (obj) {
      flags |= NFT_SET_OBJECT;
      spec.objects = true;
      s.obj_type = *obj;
    } else {
      flags |= NFT_SET_MAP;
      spec.data = find_dtype(mt);
      if (!spec.data)
        fail(path + ".map", "unsupported map type " + m->dump());
      s.data_type = type_id(spec.data->id);
      s.data_len = spec.data->len;
    }
  }
  if (auto* fl = member(v, "flags")) {
    if (!fl->is_array())
      fail(path + ".flags", "needs an array");
    for (auto& x : *fl) {
      auto f = x.is_string() ? x.get<std::string>() : std::string{};
      if (f == "constant")
        flags |= NFT_SET_CONSTANT;
      else if (f == "interval")
        flags |= NFT_SET_INTERVAL;
      else if (f == "timeout")
        flags |= NFT_SET_TIMEOUT;
      else if (f == "dynamic")
        flags |= NFT_SET_EVAL;
      else
        fail(path + ".flags", "unsupported set flag " + x.dump());
    }
  }
  spec.interval = flags & NFT_SET_INTERVAL;
  if (spec.interval && spec.key.parts.size() > 1)
    fail(path, "concatenated interval sets are not supported");
  s.flags = flags;
  if (auto* t = member(v, "timeout"))
    s.timeout = need_uint(*t, path + ".timeout", UINT32_MAX) * 1000;
  if (auto* g = member(v, "gc-interval"))
    s.gc_interval = static_cast<std::uint32_t>(
        need_uint(*g, path + ".gc-interval", UINT32_MAX / 1000) * 1000);
  if (auto* sz = member(v, "size")) {
    if (!s.desc)
      s.desc = set_desc{};
    s.desc->size =
        static_cast<std::uint32_t>(need_uint(*sz, path + ".size", UINT32_MAX));
  }
  if (auto* pol = member(v, "policy")) {
    auto p = pol->is_string() ? pol->get<std::string>() : std::string{};
    if (p == "performance")
      s.policy = NFT_SET_POL_PERFORMANCE;
    else if (p == "memory")
      s.policy = NFT_SET_POL_MEMORY;
    else
      fail(path + ".policy", "unknown set policy " + pol->dump());
  }
  s.userdata = set_userdata(spec.key, spec.data);
  if (auto res = validate(s); !res)
    fail(path, res.err().message());

  auto* elems = member(v, "elem");
  if (!elems)
    return out;
  elem_list l;
  l.family = s.family;
  l.table = s.table;
  l.set = s.name;
  l.elems = read_elements(*elems, spec, path + ".elem", cx);
  out.elems = std::move(l);
  return out;
}

// {"counter": {"family", "table", "name", "packets", "bytes"}},
// {"quota": {..., "bytes", "used", "inv"}}, {"limit": {..., "rate",
// "per", "burst", "unit", "inv"}}.
nft::object read_named_object(const std::string& kind, const value& v,
                              const std::string& path, bool need_state) {
  nft::object o;
  o.family = family_of(v, path);
  o.table = need_string(v, "table", path);
  o.name = need_string(v, "name", path);
  auto num = [&](std::string_view k, std::uint64_t dflt) {
    auto* m = member(v, k);
    return m ? need_uint(*m, path + "." + std::string{k}, UINT64_MAX) : dflt;
  };
  auto inv = [&] {
    auto* m = member(v, "inv");
    return m && m->is_boolean() && m->get<bool>();
  };
  if (kind == "counter") {
    o.type = NFT_OBJECT_COUNTER;
    if (need_state)
      o.state =
          expr::counter{.bytes = num("bytes", 0), .packets = num("packets", 0)};
  } else if (kind == "quota") {
    o.type = NFT_OBJECT_QUOTA;
    if (need_state)
      o.state =
          expr::quota{.bytes = num("bytes", 0),
                      .flags = inv() ? std::uint32_t{NFT_QUOTA_F_INV} : 0u,
                      .consumed = num("used", 0)};
  } else {
    o.type = NFT_OBJECT_LIMIT;
    if (need_state) {
      limit_spec l = read_limit_spec(v, path);
      o.state =
          expr::limit{.rate = l.rate,
                      .unit = l.unit,
                      .burst = l.burst,
                      .type = l.bytes ? NFT_LIMIT_PKT_BYTES : NFT_LIMIT_PKTS,
                      .flags = l.over ? std::uint32_t{NFT_LIMIT_F_INV} : 0u};
    }
  }
  return o;
}

rule read_rule(const value& v, const std::string& path, bool need_expr,
               bool keep_handle, context& cx) {
  rule r;
  r.family = family_of(v, path);
  r.table = need_string(v, "table", path);
  r.chain = need_string(v, "chain", path);
  // A listing's handles name the rules there; a new rule gets its own.
  if (auto* h = member(v, "handle"); h && keep_handle)
    r.handle = need_uint(*h, path + ".handle", UINT64_MAX);
  if (auto* c = member(v, "comment")) {
    if (!c->is_string() || c->get<std::string>().size() > 128)
      fail(path + ".comment", "needs a string of at most 128 bytes");
    r.userdata = comment_userdata(c->get<std::string>());
  }
  if (auto* e = member(v, "expr"))
    read_statements(*e, r, path + ".expr", cx);
  else if (need_expr)
    fail(path, "a rule needs \"expr\"");
  return r;
}

// Reads `{"<kind>": {...}}` and appends the operations with verb `vb`.
void read_object(const value& item, verb vb, const std::string& path,
                 std::vector<operation>& out, context& cx) {
  if (!item.is_object() || item.size() != 1)
    fail(path, "needs an object with one member");
  auto first = item.begin(); // items() would dangle: it is a temporary
  const std::string kind = first.key();
  const value& v = first.value();
  auto p = path + "." + kind;
  if (kind == "ruleset") {
    if (vb != verb::flush)
      fail(p, "only \"flush ruleset\" is supported");
    out.push_back({vb, flush_ruleset{}, p});
    return;
  }
  if (!v.is_object())
    fail(p, "needs an object");
  if (kind == "table") {
    out.push_back({vb, read_table(v, p), p});
  } else if (kind == "chain") {
    if (vb == verb::add || vb == verb::create)
      out.push_back({vb, read_chain(v, p), p});
    else {
      chain c;
      c.family = family_of(v, p);
      c.table = need_string(v, "table", p);
      c.name = need_string(v, "name", p);
      out.push_back({vb, std::move(c), p});
    }
  } else if (kind == "set" || kind == "map") {
    if (vb == verb::add || vb == verb::create) {
      auto s = read_set(v, kind == "map", p, cx);
      out.push_back({vb, std::move(s.s), p});
      if (s.elems && !s.elems->elems.empty())
        out.push_back({verb::add, std::move(*s.elems), p + ".elem"});
    } else {
      set s;
      s.family = family_of(v, p);
      s.table = need_string(v, "table", p);
      s.name = need_string(v, "name", p);
      out.push_back({vb, std::move(s), p});
    }
  } else if (kind == "rule") {
    if ((vb == verb::remove || vb == verb::replace) && !member(v, "handle"))
      fail(p, "needs a \"handle\"");
    auto r = read_rule(v, p, vb != verb::remove,
                       vb == verb::remove || vb == verb::replace, cx);
    for (auto& op : cx.pending)
      out.push_back(std::move(op));
    cx.pending.clear();
    out.push_back({vb, std::move(r), p});
  } else if (kind == "counter" || kind == "quota" || kind == "limit") {
    out.push_back(
        {vb,
         read_named_object(kind, v, p, vb == verb::add || vb == verb::create),
         p});
  } else if (kind == "element") {
    // {"element": {"family", "table", "name", "elem": [...]}}: the set's
    // type is not in the object, so only plain typed values are accepted
    // when the target set is declared earlier in the same document.
    fail(p, "element commands are not supported; list elements in the set");
  } else {
    fail(p, "unsupported object '" + kind + "'");
  }
}

// nft lists sets before chains, but a map's elements may jump to a chain:
// within each run of add/create operations, create tables, then chains,
// then sets, elements and rules (the document order otherwise).
void order_adds(std::vector<operation>& ops) {
  // Objects before sets (object maps name them) and rules (they refer to
  // them).
  auto rank = [](const operation& op) {
    return std::visit(
        [](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, table>)
            return 0;
          else if constexpr (std::is_same_v<T, chain>)
            return 1;
          else if constexpr (std::is_same_v<T, nft::object>)
            return 2;
          else if constexpr (std::is_same_v<T, set>)
            return 3;
          else if constexpr (std::is_same_v<T, elem_list>)
            return 4;
          else
            return 5;
        },
        op.object);
  };
  auto is_add = [](const operation& op) {
    return (op.v == verb::add || op.v == verb::create) &&
           !std::holds_alternative<flush_ruleset>(op.object);
  };
  for (auto it = ops.begin(); it != ops.end();) {
    if (!is_add(*it)) {
      ++it;
      continue;
    }
    auto end = std::find_if_not(it, ops.end(), is_add);
    std::stable_sort(it, end, [&](const operation& a, const operation& b) {
      return rank(a) < rank(b);
    });
    it = end;
  }
}

} // namespace

const char* datatype_name(std::uint32_t id) noexcept {
  if (auto* d = dtype_by_id(id))
    return d->name.data(); // literals: NUL-terminated
  return nullptr;
}

namespace {

// The object of `item`: itself, or what a command ("add", ...) wraps.
const value& object_of(const value& item) {
  for (const char* cmd : {"add", "create", "insert", "replace"})
    if (auto* c = member(item, cmd); c && item.size() == 1)
      return *c;
  return item;
}

// Fills cx.typeof_keys from the rules of `list`: a lookup "@s" of one
// field, in a match, a verdict map or a set statement, gives set s the
// field's type. Rules it cannot read are left to read_object to refuse.
void learn_typeof_keys(const value& list, context& cx) {
  for (const auto& item : list) {
    const auto* r = member(object_of(item), "rule");
    const auto* exprs = r ? member(*r, "expr") : nullptr;
    if (!exprs || !exprs->is_array())
      continue;
    auto learn = [&](const value& operand, const value& ref) {
      if (!is_set_ref(ref))
        return;
      try {
        auto ops = read_operands(operand, "");
        if (ops.size() == 1 && !ops[0].mask && ops[0].type)
          cx.typeof_keys.emplace(std::tuple{family_of(*r, ""),
                                            need_string(*r, "table", ""),
                                            ref.get<std::string>().substr(1)},
                                 ops[0].type);
      } catch (const bad_input&) {
      }
    };
    for (const auto& st : *exprs) {
      if (auto* m = member(st, "match"))
        learn(field_or_null(*m, "left"), field_or_null(*m, "right"));
      else if (auto* vm = member(st, "vmap"))
        learn(field_or_null(*vm, "key"), field_or_null(*vm, "data"));
      else if (auto* ss = member(st, "set"))
        learn(field_or_null(*ss, "elem"), field_or_null(*ss, "set"));
      else if (auto* ms = member(st, "map"))
        learn(field_or_null(*ms, "elem"), field_or_null(*ms, "map"));
    }
  }
}

} // namespace

result<std::vector<operation>> read(std::string_view text,
                                    const read_options& opts) {
  context cx;
  cx.opts = &opts;
  try {
    auto doc = value::parse(text.begin(), text.end(), nullptr, false);
    if (doc.is_discarded())
      return make_error(errc::invalid_argument, "read nft json",
                        "not valid JSON");
    auto* list = member(doc, "nftables");
    if (!list || !list->is_array())
      return make_error(errc::invalid_argument, "read nft json",
                        "expected an object with an \"nftables\" array");
    learn_typeof_keys(*list, cx);
    std::vector<operation> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto& item = (*list)[i];
      auto p = "nftables[" + std::to_string(i) + "]";
      if (member(item, "metainfo"))
        continue;
      static constexpr std::array<std::pair<std::string_view, verb>, 6> cmds{
          {{"add", verb::add},
           {"create", verb::create},
           {"insert", verb::insert},
           {"replace", verb::replace},
           {"delete", verb::remove},
           {"flush", verb::flush}}};
      // A JSON library error deeper down (a value of the wrong JSON type)
      // is named by the object it is in.
      try {
        bool done = false;
        for (auto& [name, vb] : cmds) {
          if (auto* c = member(item, name); c && item.size() == 1) {
            read_object(*c, vb, p + "." + std::string{name}, out, cx);
            done = true;
            break;
          }
        }
        if (!done)
          read_object(item, verb::add, p, out, cx);
      } catch (const nlohmann::json::exception& e) {
        fail(p, e.what());
      }
    }
    order_adds(out);
    return out;
  } catch (const bad_input& e) {
    return make_error(errc::invalid_argument, "read nft json",
                      e.path + ": " + e.what);
  } catch (const std::exception& e) {
    return make_error(errc::invalid_argument, "read nft json", e.what());
  }
}

void append(batch& b, const operation& op) {
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, flush_ruleset>) {
          b.op(verb::remove, NFT_MSG_DELTABLE,
               static_cast<nfnl::family>(o.family), "ruleset");
          b.done();
        } else if constexpr (std::is_same_v<T, elem_list>) {
          if (op.v == verb::remove)
            remove(b, o);
          else if (op.v == verb::create)
            create(b, o);
          else
            add(b, o);
        } else {
          switch (op.v) {
          case verb::add:
            add(b, o);
            break;
          case verb::create:
            if constexpr (std::is_same_v<T, rule>)
              add(b, o);
            else
              create(b, o);
            break;
          case verb::remove:
            remove(b, o);
            break;
          case verb::flush:
            if constexpr (std::is_same_v<T, rule> ||
                          std::is_same_v<T, nft::object>)
              b.fail(make_error(errc::invalid_argument, "flush",
                                "only tables, chains and sets can be "
                                "flushed"));
            else
              flush(b, o);
            break;
          case verb::insert:
          case verb::replace:
            if constexpr (std::is_same_v<T, rule>) {
              if (op.v == verb::insert)
                insert(b, o);
              else
                replace(b, o);
            } else {
              b.fail(make_error(errc::invalid_argument, to_string(op.v),
                                "only rules can be inserted or replaced"));
            }
            break;
          }
        }
      },
      op.object);
}

result<built_batch> build(const std::vector<operation>& ops) {
  batch b;
  std::vector<std::string> paths;
  for (auto& op : ops) {
    auto before = b.size();
    append(b, op);
    if (!b.ok()) {
      auto res = std::move(b).finish();
      auto e = std::move(res).err();
      e.detail = op.path + ": " + e.detail;
      return e;
    }
    for (auto i = before; i < b.size(); ++i)
      paths.push_back(op.path);
  }
  auto enc = std::move(b).finish();
  if (!enc)
    return std::move(enc).err();
  return built_batch{std::move(*enc), std::move(paths)};
}

std::string describe(const operation& op) {
  std::string out = to_string(op.v);
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        auto fam = [](std::uint8_t f) {
          return std::string{nfnl::to_string(static_cast<nfnl::family>(f))};
        };
        if constexpr (std::is_same_v<T, flush_ruleset>) {
          out += " ruleset";
        } else if constexpr (std::is_same_v<T, table>) {
          out += " table " + fam(o.family) + " " + o.name;
        } else if constexpr (std::is_same_v<T, chain>) {
          out += " chain " + fam(o.family) + " " + o.table + " " + o.name;
        } else if constexpr (std::is_same_v<T, set>) {
          out += std::string{o.is_map() ? " map " : " set "} + fam(o.family) +
                 " " + o.table + " " + o.name;
          if (o.id)
            out += " (id " + std::to_string(*o.id) + ")";
        } else if constexpr (std::is_same_v<T, elem_list>) {
          out += " element " + fam(o.family) + " " + o.table + " " + o.set +
                 " (" +
                 (o.set_id ? "id " + std::to_string(*o.set_id) + ", " : "") +
                 std::to_string(o.elems.size()) + " elements)";
        } else if constexpr (std::is_same_v<T, nft::object>) {
          static constexpr std::array<const char*, 5> names{
              "object", "counter", "quota", "ct helper", "limit"};
          out += std::string{" "} +
                 (o.type < names.size() ? names[o.type] : "object") + " " +
                 fam(o.family) + " " + o.table + " " + o.name;
        } else if constexpr (std::is_same_v<T, rule>) {
          out += " rule " + fam(o.family) + " " + o.table + " " + o.chain;
          if (o.handle)
            out += " handle " + std::to_string(*o.handle);
          if (auto c = o.comment())
            out += " comment \"" + *c + "\"";
          if (!o.exprs.empty())
            out += "\n" + render(o.exprs);
        }
      },
      op.object);
  return out;
}

result<ruleset> to_ruleset(const std::vector<operation>& ops) {
  ruleset rs;
  for (auto& op : ops) {
    if (op.v != verb::add && op.v != verb::create)
      return make_error(errc::invalid_argument, "reconcile",
                        op.path +
                            ": only a ruleset listing (add "
                            "operations) can be reconciled, not " +
                            std::string{to_string(op.v)});
    bool ok = std::visit(
        [&](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          // Each object is tagged with its JSON path, so a refused
          // reconcile operation names the object it came from.
          auto& tags = rs.origins;
          if constexpr (std::is_same_v<T, table>) {
            rs.tables.push_back(o);
            tags.tables.push_back(op.path);
          } else if constexpr (std::is_same_v<T, chain>) {
            rs.chains.push_back(o);
            tags.chains.push_back(op.path);
          } else if constexpr (std::is_same_v<T, rule>) {
            rs.rules.push_back(o);
            tags.rules.push_back(op.path);
          } else if constexpr (std::is_same_v<T, set>) {
            rs.sets.push_back({o, {}});
            tags.sets.push_back(op.path);
          } else if constexpr (std::is_same_v<T, nft::object>) {
            rs.objects.push_back(o);
            tags.objects.push_back(op.path);
          } else if constexpr (std::is_same_v<T, elem_list>) {
            // The set it fills: by batch id (anonymous) or by name.
            for (auto it = rs.sets.rbegin(); it != rs.sets.rend(); ++it) {
              auto& s = it->set;
              if (s.family == o.family && s.table == o.table &&
                  (o.set_id ? s.id == o.set_id : s.name == o.set)) {
                it->elems.insert(it->elems.end(), o.elems.begin(),
                                 o.elems.end());
                return true;
              }
            }
            return false;
          } else {
            return false;
          }
          return true;
        },
        op.object);
    if (!ok)
      return make_error(errc::invalid_argument, "reconcile",
                        op.path + ": cannot be part of a desired ruleset");
  }
  return rs;
}

} // namespace nfactor::nft::json
