// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/limit.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_LIMIT_RATE, &limit::rate),
                                 field(NFTA_LIMIT_UNIT, &limit::unit),
                                 field(NFTA_LIMIT_BURST, &limit::burst),
                                 field(NFTA_LIMIT_TYPE, &limit::type),
                                 field(NFTA_LIMIT_FLAGS, &limit::flags)};

void render(const limit& x, std::string& out) {
  std::string_view unit = "error";
  switch (x.unit) {
  case 1:
    unit = "second";
    break;
  case 60:
    unit = "minute";
    break;
  case 60 * 60:
    unit = "hour";
    break;
  case 60 * 60 * 24:
    unit = "day";
    break;
  case 60 * 60 * 24 * 7:
    unit = "week";
    break;
  default:
    break;
  }
  cat(out, "[ limit rate ", x.rate, "/", unit, " burst ", x.burst, " type ",
      x.type == NFT_LIMIT_PKT_BYTES ? "bytes" : "packets", " flags ",
      hexnum{x.flags}, " ]");
}

} // namespace

const expr_kind& limit::kind() {
  static const expr_kind k = make_kind<limit, &rows, &render>("limit");
  return k;
}

} // namespace nfactor::nft::expr
