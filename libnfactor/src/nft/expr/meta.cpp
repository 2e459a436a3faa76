// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/meta.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_META_KEY, &meta::key),
                                 field(NFTA_META_DREG, &meta::dreg),
                                 field(NFTA_META_SREG, &meta::sreg)};

constexpr std::array<std::string_view, 37> keys{
    "len",     "protocol", "priority",    "mark",        "iif",
    "oif",     "iifname",  "oifname",     "iiftype",     "oiftype",
    "skuid",   "skgid",    "nftrace",     "rtclassid",   "secmark",
    "nfproto", "l4proto",  "bri_iifname", "bri_oifname", "pkttype",
    "cpu",     "iifgroup", "oifgroup",    "cgroup",      "random",
    "secpath", "iifkind",  "oifkind",     "bri_iifpvid", "bri_iifvproto",
    "time",    "day",      "hour",        "sdif",        "sdifname",
    "broute",  ""};

void render(const meta& x, std::string& out) {
  auto key = name_of(keys, x.key);
  if (x.sreg)
    cat(out, "[ meta set ", key, " with reg ", *x.sreg, " ]");
  else
    cat(out, "[ meta load ", key, " => reg ", x.dreg.value_or(0), " ]");
}

} // namespace

const expr_kind& meta::kind() {
  static const expr_kind k = make_kind<meta, &rows, &render>("meta");
  return k;
}

} // namespace nfactor::nft::expr
