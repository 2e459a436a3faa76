// SPDX-License-Identifier: Apache-2.0
#include "policy_state.hpp"

#include <fstream>
#include <sstream>

namespace nfactor::app {

active_policy::active_policy(nfqueue::policy p) : pol(std::move(p)) {
  for (const auto& r : pol.rules)
    texts.push_back(nfqueue::to_string(r));
  hits = std::make_unique<std::atomic<std::uint64_t>[]>(texts.size() + 1);
}

result<nfqueue::policy> policy_source::load() const {
  nfqueue::policy out;
  for (const auto& text : rules) {
    auto r = nfqueue::parse_rule(text);
    if (!r) {
      auto e = std::move(r).err();
      e.op = "--rule: " + e.op;
      return e;
    }
    out.rules.push_back(std::move(*r));
  }
  if (!file.empty()) {
    std::ifstream in{file};
    if (!in.is_open())
      return errno_error("cannot read policy file " + file);
    std::stringstream text;
    text << in.rdbuf();
    auto p = nfqueue::parse_policy_json(text.str(), file);
    if (!p)
      return std::move(p).err();
    for (auto& r : p->rules)
      out.rules.push_back(std::move(r));
    out.fallback = p->fallback;
  }
  if (fallback) {
    auto a = nfqueue::parse_action(*fallback);
    if (!a) {
      auto e = std::move(a).err();
      e.op = "--default: " + e.op;
      return e;
    }
    out.fallback = *a;
  }
  return out;
}

} // namespace nfactor::app
