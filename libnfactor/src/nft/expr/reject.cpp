// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/reject.hpp"

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
    std::tuple{field(NFTA_REJECT_TYPE, &reject::type),
               field(NFTA_REJECT_ICMP_CODE, &reject::icmp_code)};

void render(const reject& x, std::string& out) {
  cat(out, "[ reject type ", x.type, " code ", x.icmp_code.value_or(0), " ]");
}

} // namespace

const expr_kind& reject::kind() {
  static const expr_kind k = make_kind<reject, &rows, &render>("reject");
  return k;
}

} // namespace nfactor::nft::expr
