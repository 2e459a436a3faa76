// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/range.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_RANGE_SREG, &range::sreg),
                                 field(NFTA_RANGE_OP, &range::op),
                                 field(NFTA_RANGE_FROM_DATA, &range::from),
                                 field(NFTA_RANGE_TO_DATA, &range::to)};

void render(const range& x, std::string& out) {
  cat(out, "[ range ", x.op == NFT_RANGE_NEQ ? "neq" : "eq", " reg ", x.sreg,
      " ", x.from, x.to, "]");
}

} // namespace

const expr_kind& range::kind() {
  static const expr_kind k = make_kind<range, &rows, &render>("range");
  return k;
}

} // namespace nfactor::nft::expr
