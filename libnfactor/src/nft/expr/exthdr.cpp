// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/exthdr.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_EXTHDR_DREG, &exthdr::dreg),
                                 field(NFTA_EXTHDR_SREG, &exthdr::sreg),
                                 field(NFTA_EXTHDR_TYPE, &exthdr::type),
                                 field(NFTA_EXTHDR_OFFSET, &exthdr::offset),
                                 field(NFTA_EXTHDR_LEN, &exthdr::len),
                                 field(NFTA_EXTHDR_FLAGS, &exthdr::flags),
                                 field(NFTA_EXTHDR_OP, &exthdr::op)};

constexpr std::array<std::string_view, 5> ops{" ipv6", " tcpopt", " ipv4",
                                              " sctp", " dccp"};

void render(const exthdr& x, std::string& out) {
  auto op = name_of(ops, x.op.value_or(NFT_EXTHDR_OP_IPV6));
  if (x.sreg) {
    cat(out, "[ exthdr write", op, " reg ", *x.sreg, " => ", x.len, "b @ ",
        x.type, " + ", x.offset, " ]");
    return;
  }
  cat(out, "[ exthdr load", op, " ", x.len, "b @ ", x.type, " + ", x.offset,
      x.flags.value_or(0) & NFT_EXTHDR_F_PRESENT ? " present" : "", " => reg ",
      x.dreg.value_or(0), " ]");
}

} // namespace

const expr_kind& exthdr::kind() {
  static const expr_kind k = make_kind<exthdr, &rows, &render>("exthdr");
  return k;
}

} // namespace nfactor::nft::expr
