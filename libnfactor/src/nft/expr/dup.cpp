// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/dup.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_DUP_SREG_ADDR, &dup::sreg_addr),
                                 field(NFTA_DUP_SREG_DEV, &dup::sreg_dev)};

void render(const dup& x, std::string& out) {
  out += "[ dup ";
  if (x.sreg_addr)
    cat(out, "sreg_addr ", *x.sreg_addr, " ");
  if (x.sreg_dev)
    cat(out, "sreg_dev ", *x.sreg_dev, " ");
  out += "]";
}

} // namespace

const expr_kind& dup::kind() {
  static const expr_kind k = make_kind<dup, &rows, &render>("dup");
  return k;
}

} // namespace nfactor::nft::expr
