// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/rt.hpp"

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
    std::tuple{field(NFTA_RT_KEY, &rt::key), field(NFTA_RT_DREG, &rt::dreg)};

constexpr std::array<std::string_view, 5> keys{"classid", "nexthop4",
                                               "nexthop6", "tcpmss", "ipsec"};

void render(const rt& x, std::string& out) {
  cat(out, "[ rt load ", name_of(keys, x.key), " => reg ", x.dreg, " ]");
}

} // namespace

const expr_kind& rt::kind() {
  static const expr_kind k = make_kind<rt, &rows, &render>("rt");
  return k;
}

} // namespace nfactor::nft::expr
