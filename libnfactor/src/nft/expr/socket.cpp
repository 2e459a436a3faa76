// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/socket.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_SOCKET_KEY, &socket::key),
                                 field(NFTA_SOCKET_DREG, &socket::dreg),
                                 field(NFTA_SOCKET_LEVEL, &socket::level)};

constexpr std::array<std::string_view, 4> keys{"transparent", "mark",
                                               "wildcard", "cgroupv2"};

void render(const socket& x, std::string& out) {
  cat(out, "[ socket load ", name_of(keys, x.key), " => reg ", x.dreg);
  if (x.level)
    cat(out, " level ", *x.level);
  out += " ]";
}

} // namespace

const expr_kind& socket::kind() {
  static const expr_kind k = make_kind<socket, &rows, &render>("socket");
  return k;
}

} // namespace nfactor::nft::expr
