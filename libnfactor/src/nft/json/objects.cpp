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

// -- set key and data types ---------------------------------------------------

enum class shape : std::uint8_t { integer, ipv4, ipv6, ether, ifname };

struct dtype {
  std::string_view name;
  std::uint32_t id; // nft's datatype id (NFTA_SET_KEY_TYPE)
  std::uint32_t len;
  bool big_endian;
  shape kind;
};

constexpr std::array<dtype, 7> dtypes{{
    {"ipv4_addr", 7, 4, true, shape::ipv4},
    {"ipv6_addr", 8, 16, true, shape::ipv6},
    {"ether_addr", 9, 6, true, shape::ether},
    {"inet_proto", 12, 1, true, shape::integer},
    {"inet_service", 13, 2, true, shape::integer},
    {"mark", 19, 4, false, shape::integer},
    {"ifname", 41, 16, false, shape::ifname},
}};

const dtype& find_dtype(const value& v, const std::string& path) {
  if (!v.is_string())
    fail(path, "concatenated and typeof set types are not supported");
  auto name = v.get<std::string>();
  for (auto& d : dtypes)
    if (d.name == name)
      return d;
  fail(path, "unsupported set type '" + name + "'");
}

byte_buffer scalar_bytes(const dtype& t, const value& v,
                         const std::string& path) {
  byte_buffer out(t.len, 0);
  switch (t.kind) {
  case shape::integer: {
    std::uint64_t n = 0;
    if (t.name == "inet_proto" && v.is_string()) {
      static constexpr std::array<std::pair<std::string_view, int>, 4> names{
          {{"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"icmpv6", 58}}};
      auto s = v.get<std::string>();
      auto it = std::find_if(names.begin(), names.end(),
                             [&](auto& p) { return p.first == s; });
      if (it == names.end())
        fail(path, "unknown protocol '" + s + "'");
      n = static_cast<std::uint64_t>(it->second);
    } else {
      n = need_uint(v, path,
                    t.len >= 8 ? UINT64_MAX
                               : (std::uint64_t{1} << (8 * t.len)) - 1);
    }
    for (std::uint32_t i = 0; i < t.len; ++i) {
      auto byte = static_cast<std::uint8_t>(n >> (8 * i));
      out[t.big_endian ? t.len - 1 - i : i] = byte;
    }
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

// A closed interval of big-endian byte strings.
struct interval {
  byte_buffer from, to;
};

interval interval_of(const dtype& t, const value& v, const std::string& path) {
  if (auto* r = member(v, "range")) {
    if (!r->is_array() || r->size() != 2)
      fail(path, "a range has two ends");
    return {scalar_bytes(t, (*r)[0], path + ".range[0]"),
            scalar_bytes(t, (*r)[1], path + ".range[1]")};
  }
  if (auto* p = member(v, "prefix")) {
    auto from = scalar_bytes(t, p->contains("addr") ? (*p)["addr"] : value{},
                             path + ".prefix.addr");
    auto len = need_uint(p->contains("len") ? (*p)["len"] : value{},
                         path + ".prefix.len", 8 * t.len);
    auto to = from;
    for (std::size_t bit = len; bit < 8 * t.len; ++bit) {
      from[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
      to[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
    }
    return {from, to};
  }
  auto x = scalar_bytes(t, v, path);
  return {x, x};
}

// Adds one to a big-endian byte string; false on overflow.
bool increment(byte_buffer& b) {
  for (auto i = b.size(); i-- > 0;)
    if (++b[i] != 0)
      return true;
  return false;
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

// nft's set user data: key (and data) byte order, so nft lists the set as
// it lists one it made (NFTNL_UDATA_SET_KEYBYTEORDER = 0, DATABYTEORDER =
// 1; BYTEORDER_HOST_ENDIAN = 1, BYTEORDER_BIG_ENDIAN = 2).
byte_buffer set_userdata(const dtype& key, const dtype* data) {
  byte_buffer u;
  auto tlv = [&](std::uint8_t type, std::uint32_t v) {
    u.push_back(type);
    u.push_back(4);
    for (int i = 0; i < 4; ++i)
      u.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  tlv(0, key.big_endian ? 2 : 1);
  if (data)
    tlv(1, data->big_endian ? 2 : 1);
  return u;
}

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

set_and_elems read_set(const value& v, bool is_map, const std::string& path) {
  set_and_elems out;
  auto& s = out.s;
  s.family = family_of(v, path);
  s.table = need_string(v, "table", path);
  s.name = need_string(v, "name", path);
  const auto& key =
      find_dtype(v.contains("type") ? v["type"] : value{}, path + ".type");
  s.key_type = key.id;
  s.key_len = key.len;
  std::uint32_t flags = 0;
  const dtype* data = nullptr;
  bool verdicts = false;
  if (is_map) {
    flags |= NFT_SET_MAP;
    auto* m = member(v, "map");
    if (!m)
      fail(path, "a map needs \"map\" (its data type)");
    if (m->is_string() && m->get<std::string>() == "verdict") {
      verdicts = true;
      s.data_type = NFT_DATA_VERDICT;
      s.data_len = 0;
    } else {
      data = &find_dtype(*m, path + ".map");
      s.data_type = data->id;
      s.data_len = data->len;
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
  s.flags = flags;
  if (auto* t = member(v, "timeout"))
    s.timeout = need_uint(*t, path + ".timeout", UINT32_MAX) * 1000;
  if (auto* g = member(v, "gc-interval"))
    s.gc_interval = static_cast<std::uint32_t>(
        need_uint(*g, path + ".gc-interval", UINT32_MAX / 1000) * 1000);
  if (auto* sz = member(v, "size"))
    s.desc = set_desc{.size = static_cast<std::uint32_t>(
                          need_uint(*sz, path + ".size", UINT32_MAX)),
                      .concat = {}};
  if (auto* pol = member(v, "policy")) {
    auto p = pol->is_string() ? pol->get<std::string>() : std::string{};
    if (p == "performance")
      s.policy = NFT_SET_POL_PERFORMANCE;
    else if (p == "memory")
      s.policy = NFT_SET_POL_MEMORY;
    else
      fail(path + ".policy", "unknown set policy " + pol->dump());
  }
  s.userdata = set_userdata(key, data);
  if (auto res = validate(s); !res)
    fail(path, res.err().message());

  auto* elems = member(v, "elem");
  if (!elems)
    return out;
  if (!elems->is_array())
    fail(path + ".elem", "needs an array");
  elem_list l;
  l.family = s.family;
  l.table = s.table;
  l.set = s.name;
  bool ranges = flags & NFT_SET_INTERVAL;
  struct item {
    interval key;
    std::optional<nft::data> value;
    std::optional<std::uint64_t> timeout;
  };
  std::vector<item> items;
  for (std::size_t i = 0; i < elems->size(); ++i) {
    auto p = path + ".elem[" + std::to_string(i) + "]";
    const value* k = &(*elems)[i];
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
    it.key = interval_of(key, *k, p);
    if (!ranges && it.key.from != it.key.to)
      fail(p, "ranges and prefixes need an interval set");
    if (d)
      it.value = verdicts ? verdict_of(*d, p + "[1]")
                          : make_value(scalar_bytes(*data, *d, p + "[1]"));
    items.push_back(std::move(it));
  }
  if (!ranges) {
    for (auto& it : items) {
      set_elem e;
      e.key = make_value(it.key.from);
      e.value = std::move(it.value);
      e.timeout = it.timeout;
      l.elems.push_back(std::move(e));
    }
  } else {
    // nft's interval encoding: start elements, and an end element flagged
    // INTERVAL_END one past each range; a leading end element at zero when
    // the first range does not start there.
    std::sort(items.begin(), items.end(),
              [](auto& a, auto& b) { return a.key.from < b.key.from; });
    if (!items.empty() &&
        std::any_of(items.front().key.from.begin(),
                    items.front().key.from.end(), [](auto b) { return b; })) {
      set_elem z;
      z.key = make_value(byte_buffer(key.len, 0));
      z.flags = NFT_SET_ELEM_INTERVAL_END;
      l.elems.push_back(std::move(z));
    }
    for (auto& it : items) {
      set_elem e;
      e.key = make_value(it.key.from);
      e.value = std::move(it.value);
      e.timeout = it.timeout;
      l.elems.push_back(std::move(e));
      auto end = it.key.to;
      if (increment(end)) {
        set_elem x;
        x.key = make_value(end);
        x.flags = NFT_SET_ELEM_INTERVAL_END;
        l.elems.push_back(std::move(x));
      }
    }
  }
  out.elems = std::move(l);
  return out;
}

rule read_rule(const value& v, const std::string& path, bool need_expr,
               bool keep_handle) {
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
    read_statements(*e, r, path + ".expr");
  else if (need_expr)
    fail(path, "a rule needs \"expr\"");
  return r;
}

// Reads `{"<kind>": {...}}` and appends the operations with verb `vb`.
void read_object(const value& item, verb vb, const std::string& path,
                 std::vector<operation>& out) {
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
      auto s = read_set(v, kind == "map", p);
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
    out.push_back({vb,
                   read_rule(v, p, vb != verb::remove,
                             vb == verb::remove || vb == verb::replace),
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
  auto rank = [](const operation& op) {
    return op.object.index();
  };
  static_assert(std::is_same_v<std::variant_alternative_t<0, object>, table>);
  static_assert(std::is_same_v<std::variant_alternative_t<1, object>, chain>);
  static_assert(std::is_same_v<std::variant_alternative_t<2, object>, set>);
  static_assert(
      std::is_same_v<std::variant_alternative_t<3, object>, elem_list>);
  static_assert(std::is_same_v<std::variant_alternative_t<4, object>, rule>);
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
  for (auto& d : dtypes)
    if (d.id == id)
      return d.name.data(); // literals: NUL-terminated
  return nullptr;
}

result<std::vector<operation>> read(std::string_view text) {
  try {
    auto doc = value::parse(text.begin(), text.end(), nullptr, false);
    if (doc.is_discarded())
      return make_error(errc::invalid_argument, "read nft json",
                        "not valid JSON");
    auto* list = member(doc, "nftables");
    if (!list || !list->is_array())
      return make_error(errc::invalid_argument, "read nft json",
                        "expected an object with an \"nftables\" array");
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
      bool done = false;
      for (auto& [name, vb] : cmds) {
        if (auto* c = member(item, name); c && item.size() == 1) {
          read_object(*c, vb, p + "." + std::string{name}, out);
          done = true;
          break;
        }
      }
      if (!done)
        read_object(item, verb::add, p, out);
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
            if constexpr (std::is_same_v<T, rule>)
              b.fail(make_error(errc::invalid_argument, "flush",
                                "a rule cannot be flushed"));
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
        } else if constexpr (std::is_same_v<T, elem_list>) {
          out += " element " + fam(o.family) + " " + o.table + " " + o.set +
                 " (" + std::to_string(o.elems.size()) + " elements)";
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

} // namespace nfactor::nft::json
