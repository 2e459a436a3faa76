// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/lookup.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_LOOKUP_SET, &lookup::set),
                                 field(NFTA_LOOKUP_SET_ID, &lookup::set_id),
                                 field(NFTA_LOOKUP_SREG, &lookup::sreg),
                                 field(NFTA_LOOKUP_DREG, &lookup::dreg),
                                 field(NFTA_LOOKUP_FLAGS, &lookup::flags)};

void render(const lookup& x, std::string& out) {
  cat(out, "[ lookup reg ", x.sreg, " set ", x.set, " ");
  if (x.dreg)
    cat(out, "dreg ", *x.dreg, " ");
  if (x.flags)
    cat(out, hexnum{*x.flags}, " ");
  out += "]";
}

} // namespace

const expr_kind& lookup::kind() {
  static const expr_kind k = make_kind<lookup, &rows, &render>("lookup");
  return k;
}

} // namespace nfactor::nft::expr
