// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/ct.hpp"

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

constexpr auto rows = std::tuple{
    field(NFTA_CT_DREG, &ct::dreg), field(NFTA_CT_SREG, &ct::sreg),
    field(NFTA_CT_KEY, &ct::key), field(NFTA_CT_DIRECTION, &ct::direction)};

constexpr std::array<std::string_view, 24> keys{
    "state",     "direction",  "status",  "mark",    "secmark",  "expiration",
    "helper",    "l3protocol", "src",     "dst",     "protocol", "proto_src",
    "proto_dst", "label",      "packets", "bytes",   "avgpkt",   "zone",
    "event",     "src_ip",     "dst_ip",  "src_ip6", "dst_ip6",  "id"};

void render(const ct& x, std::string& out) {
  auto key = name_of(keys, x.key);
  if (x.sreg) {
    cat(out, "[ ct set ", key, " with reg ", *x.sreg, " ]");
    return;
  }
  cat(out, "[ ct load ", key, " => reg ", x.dreg.value_or(0), " ");
  if (x.direction)
    cat(out, ", dir ", *x.direction == 0 ? "original" : "reply", " ");
  out += "]";
}

} // namespace

const expr_kind& ct::kind() {
  static const expr_kind k = make_kind<ct, &rows, &render>("ct");
  return k;
}

} // namespace nfactor::nft::expr
