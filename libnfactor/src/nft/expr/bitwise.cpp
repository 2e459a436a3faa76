// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/bitwise.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_BITWISE_SREG, &bitwise::sreg),
                                 field(NFTA_BITWISE_DREG, &bitwise::dreg),
                                 field(NFTA_BITWISE_LEN, &bitwise::len),
                                 field(NFTA_BITWISE_OP, &bitwise::op),
                                 field(NFTA_BITWISE_MASK, &bitwise::mask),
                                 field(NFTA_BITWISE_XOR, &bitwise::xor_),
                                 field(NFTA_BITWISE_DATA, &bitwise::shift)};

void render(const bitwise& x, std::string& out) {
  auto op = x.op.value_or(NFT_BITWISE_BOOL);
  cat(out, "[ bitwise reg ", x.dreg, " = ( reg ", x.sreg, " ");
  if (op == NFT_BITWISE_BOOL) {
    cat(out, "& ", x.mask.value_or(data{}), ") ^ ", x.xor_.value_or(data{}),
        "]");
  } else if (op == NFT_BITWISE_LSHIFT || op == NFT_BITWISE_RSHIFT) {
    cat(out, op == NFT_BITWISE_LSHIFT ? "<< " : ">> ", x.shift.value_or(data{}),
        ") ]");
  } else {
    cat(out, "op ", op, " ) ]");
  }
}

} // namespace

const expr_kind& bitwise::kind() {
  static const expr_kind k = make_kind<bitwise, &rows, &render>("bitwise");
  return k;
}

} // namespace nfactor::nft::expr
