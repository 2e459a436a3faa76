// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/counter.hpp"

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
    std::tuple{field(NFTA_COUNTER_BYTES, &counter::bytes),
               field(NFTA_COUNTER_PACKETS, &counter::packets)};

void render(const counter& x, std::string& out) {
  cat(out, "[ counter pkts ", x.packets, " bytes ", x.bytes, " ]");
}

} // namespace

const expr_kind& counter::kind() {
  static const expr_kind k = make_kind<counter, &rows, &render>("counter");
  return k;
}

} // namespace nfactor::nft::expr
