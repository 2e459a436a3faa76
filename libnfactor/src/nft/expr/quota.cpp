// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/quota.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_QUOTA_BYTES, &quota::bytes),
                                 field(NFTA_QUOTA_CONSUMED, &quota::consumed),
                                 field(NFTA_QUOTA_FLAGS, &quota::flags)};

void render(const quota& x, std::string& out) {
  cat(out, "[ quota bytes ", x.bytes, " consumed ", x.consumed.value_or(0),
      " flags ", x.flags, " ]");
}

} // namespace

const expr_kind& quota::kind() {
  static const expr_kind k = make_kind<quota, &rows, &render>("quota");
  return k;
}

} // namespace nfactor::nft::expr
