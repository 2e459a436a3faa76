// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/nat.hpp"

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
    std::tuple{field(NFTA_NAT_TYPE, &nat::type),
               field(NFTA_NAT_FAMILY, &nat::family),
               field(NFTA_NAT_REG_ADDR_MIN, &nat::reg_addr_min),
               field(NFTA_NAT_REG_ADDR_MAX, &nat::reg_addr_max),
               field(NFTA_NAT_REG_PROTO_MIN, &nat::reg_proto_min),
               field(NFTA_NAT_REG_PROTO_MAX, &nat::reg_proto_max),
               field(NFTA_NAT_FLAGS, &nat::flags)};

void render(const nat& x, std::string& out) {
  std::string_view fam = x.family == NFPROTO_IPV4   ? "ip"
                         : x.family == NFPROTO_IPV6 ? "ip6"
                         : x.family == NFPROTO_INET ? "inet"
                                                    : "unknown";
  cat(out, "[ nat ", x.type == NFT_NAT_SNAT ? "snat" : "dnat", " ", fam, " ");
  nat_regs(out, "addr_min addr_max proto_min proto_max",
           {x.reg_addr_min, x.reg_addr_max, x.reg_proto_min, x.reg_proto_max},
           x.flags);
}

} // namespace

const expr_kind& nat::kind() {
  static const expr_kind k = make_kind<nat, &rows, &render>("nat");
  return k;
}

} // namespace nfactor::nft::expr
