// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/log.hpp"

#include <array>
#include <cstdio>
#include <string>
#include <tuple>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_log.h>
#include <linux/netfilter/nf_tables.h>

#include "../fields.hpp"

namespace nfactor::nft::expr {

namespace {

using namespace nft::detail;

constexpr auto rows = std::tuple{field(NFTA_LOG_PREFIX, &log::prefix),
                                 field(NFTA_LOG_GROUP, &log::group),
                                 field(NFTA_LOG_SNAPLEN, &log::snaplen),
                                 field(NFTA_LOG_QTHRESHOLD, &log::qthreshold),
                                 field(NFTA_LOG_LEVEL, &log::level),
                                 field(NFTA_LOG_FLAGS, &log::flags)};

struct flag_name {
  std::uint32_t bit;
  std::string_view name;
};
constexpr std::array<flag_name, 5> flag_names{
    {{NF_LOG_TCPSEQ, "tcpseq"},
     {NF_LOG_TCPOPT, "tcpopt"},
     {NF_LOG_IPOPT, "ipopt"},
     {NF_LOG_UID, "uid"},
     {NF_LOG_MACDECODE, "macdecode"}}};

void render(const log& x, std::string& out) {
  out += "[ log ";
  if (x.prefix)
    cat(out, "prefix ", *x.prefix, " ");
  if (x.group) {
    cat(out, "group ", *x.group, " snaplen ", x.snaplen.value_or(0),
        " qthreshold ", x.qthreshold.value_or(0), " ");
  } else {
    if (x.level)
      cat(out, "level ", *x.level, " ");
    if (x.flags)
      for (const auto& f : flag_names)
        if (*x.flags & f.bit)
          cat(out, f.name, " ");
  }
  out += "]";
}

} // namespace

const expr_kind& log::kind() {
  static const expr_kind k = make_kind<log, &rows, &render>("log");
  return k;
}

} // namespace nfactor::nft::expr
