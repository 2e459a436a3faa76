// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/fib.hpp"

#include <array>
#include <cstdio>
#include <string>
#include <tuple>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "../fields.hpp"

namespace nfactor::nft::expr {

namespace {

using namespace nft::detail;

constexpr auto rows = std::tuple{field(NFTA_FIB_DREG, &fib::dreg),
                                 field(NFTA_FIB_RESULT, &fib::result),
                                 field(NFTA_FIB_FLAGS, &fib::flags)};

constexpr std::array<std::string_view, 5> flag_names{"saddr", "daddr", "mark",
                                                     "iif", "oif"};
constexpr std::array<std::string_view, 4> results{"unknown", "oif", "oifname",
                                                  "type"};

void render(const fib& x, std::string& out) {
  out += "[ fib ";
  bool first = true;
  for (std::size_t i = 0; i < flag_names.size(); ++i) {
    if (!(x.flags & (1u << i)))
      continue;
    if (!first)
      out += ". ";
    cat(out, flag_names[i], " ");
    first = false;
  }
  cat(out, name_of(results, x.result));
  if (x.flags & NFTA_FIB_F_PRESENT)
    out += " present";
  cat(out, " => reg ", x.dreg, " ]");
}

} // namespace

const expr_kind& fib::kind() {
  static const expr_kind k = make_kind<fib, &rows, &render>("fib");
  return k;
}

} // namespace nfactor::nft::expr
