// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/notrack.hpp"

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

constexpr auto rows = std::tuple<>{};

void render(const notrack&, std::string& out) {
  out += "[ notrack ]";
}

} // namespace

const expr_kind& notrack::kind() {
  static const expr_kind k = make_kind<notrack, &rows, &render>("notrack");
  return k;
}

} // namespace nfactor::nft::expr
