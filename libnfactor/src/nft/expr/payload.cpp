// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/payload.hpp"

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
    std::tuple{field(NFTA_PAYLOAD_DREG, &payload::dreg),
               field(NFTA_PAYLOAD_SREG, &payload::sreg),
               field(NFTA_PAYLOAD_BASE, &payload::base),
               field(NFTA_PAYLOAD_OFFSET, &payload::offset),
               field(NFTA_PAYLOAD_LEN, &payload::len),
               field(NFTA_PAYLOAD_CSUM_TYPE, &payload::csum_type),
               field(NFTA_PAYLOAD_CSUM_OFFSET, &payload::csum_offset),
               field(NFTA_PAYLOAD_CSUM_FLAGS, &payload::csum_flags)};

constexpr std::array<std::string_view, 4> bases{"link", "network", "transport",
                                                "inner"};

void render(const payload& x, std::string& out) {
  auto base = name_of(bases, x.base);
  if (x.sreg) {
    cat(out, "[ payload write reg ", *x.sreg, " => ", x.len, "b @ ", base,
        " header + ", x.offset, " csum_type ", x.csum_type.value_or(0),
        " csum_off ", x.csum_offset.value_or(0), " csum_flags ",
        hexnum{x.csum_flags.value_or(0)}, " ]");
    return;
  }
  cat(out, "[ payload load ", x.len, "b @ ", base, " header + ", x.offset,
      " => reg ", x.dreg.value_or(0), " ]");
}

} // namespace

const expr_kind& payload::kind() {
  static const expr_kind k = make_kind<payload, &rows, &render>("payload");
  return k;
}

} // namespace nfactor::nft::expr
