// SPDX-License-Identifier: Apache-2.0
//
// The JSON form of a queue policy (built into nfactor::json, which keeps
// nlohmann_json and its exceptions inside). Values are read by the same
// readers as the text form (policy_values.hpp).
#include "nfactor/nfqueue/policy.hpp"

#include <string>

#include <arpa/inet.h>
#include <linux/netfilter.h>

#include <nlohmann/json.hpp>

#include "policy_values.hpp"

namespace nfactor::nfqueue {

namespace {

using json = nlohmann::json;

class json_reader {
 public:
  explicit json_reader(std::string op) : op_(std::move(op)) {}

  result<policy> run(const json& doc) {
    policy out;
    const json* rules = &doc;
    if (doc.is_object()) {
      for (const auto& [key, v] : doc.items())
        if (key != "rules" && key != "default")
          return fail("top level", "the key \"rules\" or \"default\"",
                      "\"" + key + "\"");
      if (!doc.contains("rules"))
        return fail("top level", "a key \"rules\" (a list of rules)", "none");
      rules = &doc["rules"];
      if (doc.contains("default")) {
        const auto& d = doc["default"];
        if (!d.is_string())
          return fail("key \"default\"", "a verdict (\"accept\", \"drop\")",
                      found(d));
        auto a = parse_action(d.get<std::string>());
        if (!a)
          return fail("key \"default\"", "a verdict (\"accept\", \"drop\")",
                      found(d));
        out.fallback = *a;
      }
    }
    if (!rules->is_array())
      return fail("top level", "a list of rules, or an object with \"rules\"",
                  found(*rules));
    std::size_t n = 0;
    for (const auto& r : *rules) {
      ++n;
      auto rule = read_rule(r, n);
      if (!rule)
        return std::move(rule).err();
      out.rules.push_back(std::move(*rule));
    }
    return out;
  }

 private:
  static std::string found(const json& v) {
    auto text = v.dump();
    if (text.size() > 40)
      text = text.substr(0, 37) + "...";
    return text;
  }

  error fail(const std::string& where, std::string_view expected,
             std::string found) const {
    return detail::fail(op_, where, expected, std::move(found));
  }

  result<policy_rule> read_rule(const json& r, std::size_t n) {
    const std::string where = "rule " + std::to_string(n);
    if (r.is_string()) {
      auto text = r.get<std::string>();
      auto rule = parse_rule(text);
      if (!rule) {
        auto e = std::move(rule).err();
        e.op = op_;
        e.detail = where + " \"" + text + "\", " + e.detail;
        return e;
      }
      return rule;
    }
    if (!r.is_object())
      return fail(where, "a rule (an object or a string)", found(r));
    policy_rule out;
    auto key_where = [&](const std::string& k) {
      return where + ", key \"" + k + "\"";
    };
    // A string value read by `read` (the text form's reader), or an error
    // naming the key.
    auto text_value = [&](const std::string& key, const json& v,
                          std::string_view expected, auto read)
        -> result<std::decay_t<decltype(*read(std::string_view{}))>> {
      if (!v.is_string())
        return fail(key_where(key), expected, found(v));
      auto s = v.get<std::string>();
      auto x = read(std::string_view{s});
      if (!x)
        return fail(key_where(key), expected, found(v));
      return *x;
    };
    // A number (or a string the text form reads) up to `max`.
    auto number = [&](const std::string& key, const json& v,
                      std::string_view expected,
                      std::uint64_t max) -> result<std::uint64_t> {
      if (v.is_number_unsigned() && v.get<std::uint64_t>() <= max)
        return v.get<std::uint64_t>();
      if (v.is_string())
        if (auto x = detail::number(v.get<std::string>(), max))
          return *x;
      return fail(key_where(key), expected, found(v));
    };
    if (!r.contains("action"))
      return fail(where, "a key \"action\"", "none");
    // Not a structured binding: lambdas below capture the key (clang 14,
    // the fuzzing compiler, refuses to capture bindings).
    for (auto it = r.begin(); it != r.end(); ++it) {
      const std::string key = it.key();
      const json& v = it.value();
      if (key == "action") {
        // Read after the loop (it needs set_mark, to_queue, bypass).
      } else if (key == "set_mark") {
        auto m = number(key, v, "a mark to set (0-0xffffffff)", 0xffffffff);
        if (!m)
          return std::move(m).err();
        out.action.set_mark = static_cast<std::uint32_t>(*m);
      } else if (key == "to_queue") {
        auto q = number(key, v, detail::expect_queue, 0xffff);
        if (!q)
          return std::move(q).err();
        out.action.target_queue = static_cast<std::uint16_t>(*q);
      } else if (key == "bypass") {
        if (!v.is_boolean())
          return fail(key_where(key), "true or false", found(v));
        out.action.bypass = v.get<bool>();
      } else if (key == "family") {
        auto f = text_value(key, v, detail::expect_family, detail::family);
        if (!f)
          return std::move(f).err();
        out.family = *f;
      } else if (key == "proto") {
        if (v.is_number_unsigned() && v.get<std::uint64_t>() <= 255) {
          out.protocol = static_cast<std::uint8_t>(v.get<std::uint64_t>());
        } else {
          auto p = text_value(key, v, detail::expect_proto, detail::protocol);
          if (!p)
            return std::move(p).err();
          out.protocol = *p;
        }
      } else if (key == "saddr" || key == "daddr") {
        auto p = text_value(key, v, detail::expect_prefix, detail::prefix);
        if (!p)
          return std::move(p).err();
        (key == "saddr" ? out.saddr : out.daddr) = *p;
      } else if (key == "sport" || key == "dport") {
        constexpr auto expected =
            "a port or port range (N, \"N-M\" or [N, M], 0-65535, N <= M)";
        port_range range;
        if (v.is_number_unsigned() && v.get<std::uint64_t>() <= 0xffff) {
          range.lo = range.hi = static_cast<std::uint16_t>(v.get<unsigned>());
        } else if (v.is_array() && v.size() == 2 && v[0].is_number_unsigned() &&
                   v[1].is_number_unsigned() &&
                   v[0].get<std::uint64_t>() <= v[1].get<std::uint64_t>() &&
                   v[1].get<std::uint64_t>() <= 0xffff) {
          range.lo = static_cast<std::uint16_t>(v[0].get<unsigned>());
          range.hi = static_cast<std::uint16_t>(v[1].get<unsigned>());
        } else {
          auto p = text_value(key, v, expected, detail::ports);
          if (!p)
            return std::move(p).err();
          range = *p;
        }
        (key == "sport" ? out.sport : out.dport) = range;
      } else if (key == "uid" || key == "gid") {
        auto id = number(key, v, detail::expect_id, 0xffffffff);
        if (!id)
          return std::move(id).err();
        (key == "uid" ? out.uid : out.gid) = static_cast<std::uint32_t>(*id);
      } else if (key == "mark") {
        if (v.is_number_unsigned() && v.get<std::uint64_t>() <= 0xffffffff) {
          out.mark = mark_match{v.get<std::uint32_t>(), 0xffffffff};
        } else {
          auto m = text_value(key, v, detail::expect_mark, detail::mark);
          if (!m)
            return std::move(m).err();
          out.mark = *m;
        }
      } else if (key == "iif" || key == "oif") {
        auto name =
            text_value(key, v, detail::expect_ifname, [](std::string_view s) {
              return detail::ifname(s) ? std::optional<std::string>{s}
                                       : std::nullopt;
            });
        if (!name)
          return std::move(name).err();
        (key == "iif" ? out.iif : out.oif) = *name;
      } else if (key == "payload" || key == "payload_hex") {
        bool hex = key == "payload_hex";
        auto expected = hex ? "hex bytes (\"0x6576\") or a list of them"
                            : "a non-empty string or a list of them";
        auto one = [&](const json& x) -> result<void> {
          if (!x.is_string() || x.get<std::string>().empty())
            return fail(key_where(key), expected, found(x));
          auto s = x.get<std::string>();
          if (!hex) {
            out.payload.emplace_back(s.begin(), s.end());
            return {};
          }
          auto b = detail::hex_bytes(s.starts_with("0x") ? s : "0x" + s);
          if (!b)
            return fail(key_where(key), expected, found(x));
          out.payload.push_back(std::move(*b));
          return {};
        };
        if (v.is_array()) {
          if (v.empty())
            return fail(key_where(key), expected, found(v));
          for (const auto& x : v)
            if (auto st1 = one(x); !st1)
              return std::move(st1).err();
        } else if (auto st1 = one(v); !st1) {
          return std::move(st1).err();
        }
      } else {
        return fail(where,
                    "a key of a rule (action, set_mark, to_queue, "
                    "bypass, family, proto, saddr, daddr, sport, "
                    "dport, uid, gid, mark, iif, oif, payload, "
                    "payload_hex)",
                    "\"" + key + "\"");
      }
    }
    return finish(r, std::move(out), where, key_where("action"));
  }

  // The action (with set_mark, to_queue and bypass read), and the checks
  // the text parser makes as it goes.
  result<policy_rule> finish(const json& r, policy_rule out,
                             const std::string& where,
                             const std::string& action_where) {
    using k = policy_action::kind;
    const auto& a = r["action"];
    constexpr auto expected =
        "an action (\"accept\", \"drop\", \"mark\", \"queue\", \"repeat\")";
    if (!a.is_string())
      return fail(action_where, expected, found(a));
    auto name = a.get<std::string>();
    auto& act = out.action;
    if (name == "accept")
      act.what = k::accept;
    else if (name == "drop")
      act.what = k::drop;
    else if (name == "mark")
      act.what = k::mark;
    else if (name == "queue")
      act.what = k::queue;
    else if (name == "repeat")
      act.what = k::repeat;
    else
      return fail(action_where, expected, found(a));
    if (act.what == k::mark && !act.set_mark)
      return fail(where, "a key \"set_mark\" with action \"mark\"", "none");
    if (act.set_mark && act.what != k::mark && act.what != k::repeat)
      return fail(where + ", key \"set_mark\"",
                  "no mark to set with action \"" + name + "\"", "one");
    if (act.what == k::queue && !r.contains("to_queue"))
      return fail(where, "a key \"to_queue\" with action \"queue\"", "none");
    if (act.what != k::queue &&
        (r.contains("to_queue") || r.contains("bypass")))
      return fail(where + ", key \"" +
                      (r.contains("to_queue") ? "to_queue" : "bypass") + "\"",
                  "no queue with action \"" + name + "\"", "one");
    if ((out.sport || out.dport) && !detail::ports_possible(out))
      return fail(where + ", key \"proto\"",
                  "a protocol with ports (tcp, udp, udplite, sctp) when the "
                  "rule matches ports",
                  found(r["proto"]));
    if (out.saddr && out.daddr && out.saddr->version != out.daddr->version)
      return fail(where + ", key \"daddr\"",
                  "an address of the same family as the other address",
                  found(r["daddr"]));
    for (auto* p : {&out.saddr, &out.daddr})
      if (*p && out.family &&
          (*out.family == NFPROTO_IPV4) != ((*p)->version == 4))
        return fail(where + ", key \"" + (p == &out.saddr ? "saddr" : "daddr") +
                        "\"",
                    std::string{"an address of family "} +
                        (*out.family == NFPROTO_IPV4 ? "ip" : "ip6"),
                    found(r[p == &out.saddr ? "saddr" : "daddr"]));
    return out;
  }

  std::string op_;
};

} // namespace

result<policy> parse_policy_json(std::string_view text,
                                 std::string_view source) {
  std::string op =
      source.empty() ? std::string{"policy"} : "policy " + std::string{source};
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return make_error(errc::invalid_argument, op,
                      "byte " + std::to_string(e.byte) +
                          ": expected valid JSON, found a syntax error (" +
                          e.what() + ")");
  } catch (const std::exception& e) { // a number out of range, ...
    return make_error(errc::invalid_argument, op,
                      std::string{"expected valid JSON, found "} + e.what());
  }
  try {
    return json_reader{op}.run(doc);
  } catch (const std::exception& e) { // not expected: every type is checked
    return make_error(errc::invalid_argument, op, e.what());
  }
}

} // namespace nfactor::nfqueue
