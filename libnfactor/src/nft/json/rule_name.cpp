// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/json.hpp"

namespace nfactor::nft::json {

std::optional<std::string> rule_name(const rule& r, const ruleset& rs) {
  auto text = rule_text(
      r, [&rs](std::uint8_t f, const std::string& t, const std::string& n) {
        for (const auto& s : rs.sets)
          if (s.set.family == f && s.set.table == t && s.set.name == n)
            return &s;
        return static_cast<const set_with_elems*>(nullptr);
      });
  if (!text)
    return std::nullopt;
  return std::move(*text);
}

} // namespace nfactor::nft::json
