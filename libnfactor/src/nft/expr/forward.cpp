// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/forward.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_FWD_SREG_DEV, &forward::sreg_dev),
                                 field(NFTA_FWD_SREG_ADDR, &forward::sreg_addr),
                                 field(NFTA_FWD_NFPROTO, &forward::nfproto)};

void render(const forward& x, std::string& out) {
  out += "[ fwd ";
  if (x.sreg_dev)
    cat(out, "sreg_dev ", *x.sreg_dev, " ");
  if (x.sreg_addr)
    cat(out, "sreg_addr ", *x.sreg_addr, " ");
  if (x.nfproto)
    cat(out, "nfproto ", *x.nfproto, " ");
  out += "]";
}

} // namespace

const expr_kind& forward::kind() {
  static const expr_kind k = make_kind<forward, &rows, &render>("fwd");
  return k;
}

} // namespace nfactor::nft::expr
