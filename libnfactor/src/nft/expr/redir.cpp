// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/redir.hpp"

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
    std::tuple{field(NFTA_REDIR_REG_PROTO_MIN, &redir::reg_proto_min),
               field(NFTA_REDIR_REG_PROTO_MAX, &redir::reg_proto_max),
               field(NFTA_REDIR_FLAGS, &redir::flags)};

void render(const redir& x, std::string& out) {
  out += "[ redir ";
  nat_regs(out, "proto_min proto_max", {x.reg_proto_min, x.reg_proto_max},
           x.flags);
}

} // namespace

const expr_kind& redir::kind() {
  static const expr_kind k = make_kind<redir, &rows, &render>("redir");
  return k;
}

} // namespace nfactor::nft::expr
