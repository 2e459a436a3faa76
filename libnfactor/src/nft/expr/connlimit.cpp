// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/connlimit.hpp"

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
    std::tuple{field(NFTA_CONNLIMIT_COUNT, &connlimit::count),
               field(NFTA_CONNLIMIT_FLAGS, &connlimit::flags)};

void render(const connlimit& x, std::string& out) {
  out += "[ connlimit count ";
  cat(out, x.count, " flags ");
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", x.flags);
  cat(out, buf, " ]");
}

} // namespace

const expr_kind& connlimit::kind() {
  static const expr_kind k = make_kind<connlimit, &rows, &render>("connlimit");
  return k;
}

} // namespace nfactor::nft::expr
