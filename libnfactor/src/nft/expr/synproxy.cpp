// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/synproxy.hpp"

#include <string>
#include <tuple>

#include <linux/netfilter/nf_tables.h>

#include "../fields.hpp"

namespace nfactor::nft::expr {

namespace {

using namespace nft::detail;

constexpr auto rows = std::tuple{field(NFTA_SYNPROXY_MSS, &synproxy::mss),
                                 field(NFTA_SYNPROXY_WSCALE, &synproxy::wscale),
                                 field(NFTA_SYNPROXY_FLAGS, &synproxy::flags)};

// libnftnl prints mss and wscale only.
void render(const synproxy& x, std::string& out) {
  cat(out, "[ synproxy mss ", x.mss, " wscale ", x.wscale, " ]");
}

} // namespace

const expr_kind& synproxy::kind() {
  static const expr_kind k = make_kind<synproxy, &rows, &render>("synproxy");
  return k;
}

} // namespace nfactor::nft::expr
