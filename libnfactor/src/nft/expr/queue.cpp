// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/queue.hpp"

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
    field(NFTA_QUEUE_NUM, &queue::num), field(NFTA_QUEUE_TOTAL, &queue::total),
    field(NFTA_QUEUE_FLAGS, &queue::flags),
    field(NFTA_QUEUE_SREG_QNUM, &queue::sreg_qnum)};

void render(const queue& x, std::string& out) {
  out += "[ queue ";
  if (x.num) {
    std::uint32_t last = *x.num + x.total.value_or(1) - 1;
    cat(out, "num ", *x.num);
    if (last > *x.num)
      cat(out, "-", last);
    out += " ";
  }
  if (x.sreg_qnum)
    cat(out, "sreg_qnum ", *x.sreg_qnum, " ");
  if (x.flags && (*x.flags & NFT_QUEUE_FLAG_BYPASS))
    out += "bypass ";
  if (x.flags && (*x.flags & NFT_QUEUE_FLAG_CPU_FANOUT))
    out += "fanout ";
  out += "]";
}

} // namespace

const expr_kind& queue::kind() {
  static const expr_kind k = make_kind<queue, &rows, &render>("queue");
  return k;
}

} // namespace nfactor::nft::expr
