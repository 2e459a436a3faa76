// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/numgen.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_NG_DREG, &numgen::dreg),
                                 field(NFTA_NG_MODULUS, &numgen::modulus),
                                 field(NFTA_NG_TYPE, &numgen::type),
                                 field(NFTA_NG_OFFSET, &numgen::offset)};

void render(const numgen& x, std::string& out) {
  cat(out, "[ numgen reg ", x.dreg, " = ",
      x.type == NFT_NG_RANDOM ? "random" : "inc", " mod ", x.modulus, " ");
  if (x.offset.value_or(0))
    cat(out, "offset ", *x.offset, " ");
  out += "]";
}

} // namespace

const expr_kind& numgen::kind() {
  static const expr_kind k = make_kind<numgen, &rows, &render>("numgen");
  return k;
}

} // namespace nfactor::nft::expr
