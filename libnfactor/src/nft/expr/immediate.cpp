// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/immediate.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_IMMEDIATE_DREG, &immediate::dreg),
                                 field(NFTA_IMMEDIATE_DATA, &immediate::value)};

void render(const immediate& x, std::string& out) {
  cat(out, "[ immediate reg ", x.dreg, " ", x.value, "]");
}

} // namespace

const expr_kind& immediate::kind() {
  static const expr_kind k = make_kind<immediate, &rows, &render>("immediate");
  return k;
}

} // namespace nfactor::nft::expr
