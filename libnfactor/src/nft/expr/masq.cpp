// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/masq.hpp"

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
    std::tuple{field(NFTA_MASQ_FLAGS, &masq::flags),
               field(NFTA_MASQ_REG_PROTO_MIN, &masq::reg_proto_min),
               field(NFTA_MASQ_REG_PROTO_MAX, &masq::reg_proto_max)};

void render(const masq& x, std::string& out) {
  out += "[ masq ";
  nat_regs(out, "proto_min proto_max", {x.reg_proto_min, x.reg_proto_max},
           x.flags);
}

} // namespace

const expr_kind& masq::kind() {
  static const expr_kind k = make_kind<masq, &rows, &render>("masq");
  return k;
}

} // namespace nfactor::nft::expr
