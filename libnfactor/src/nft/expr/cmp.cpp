// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/cmp.hpp"

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

constexpr auto rows =
    std::tuple{field(NFTA_CMP_SREG, &cmp::sreg), field(NFTA_CMP_OP, &cmp::op),
               field(NFTA_CMP_DATA, &cmp::value)};

constexpr std::array<std::string_view, 6> ops{"eq",  "neq", "lt",
                                              "lte", "gt",  "gte"};

void render(const cmp& x, std::string& out) {
  cat(out, "[ cmp ", name_of(ops, x.op), " reg ", x.sreg, " ", x.value, "]");
}

} // namespace

const expr_kind& cmp::kind() {
  static const expr_kind k = make_kind<cmp, &rows, &render>("cmp");
  return k;
}

} // namespace nfactor::nft::expr
