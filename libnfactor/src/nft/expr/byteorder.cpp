// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/byteorder.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_BYTEORDER_SREG, &byteorder::sreg),
                                 field(NFTA_BYTEORDER_DREG, &byteorder::dreg),
                                 field(NFTA_BYTEORDER_OP, &byteorder::op),
                                 field(NFTA_BYTEORDER_LEN, &byteorder::len),
                                 field(NFTA_BYTEORDER_SIZE, &byteorder::size)};

void render(const byteorder& x, std::string& out) {
  cat(out, "[ byteorder reg ", x.dreg, " = ",
      x.op == NFT_BYTEORDER_NTOH ? "ntoh" : "hton", "(reg ", x.sreg, ", ",
      x.size, ", ", x.len, ") ]");
}

} // namespace

const expr_kind& byteorder::kind() {
  static const expr_kind k = make_kind<byteorder, &rows, &render>("byteorder");
  return k;
}

} // namespace nfactor::nft::expr
