// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/hash.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_HASH_SREG, &hash::sreg),
                                 field(NFTA_HASH_DREG, &hash::dreg),
                                 field(NFTA_HASH_LEN, &hash::len),
                                 field(NFTA_HASH_MODULUS, &hash::modulus),
                                 field(NFTA_HASH_SEED, &hash::seed),
                                 field(NFTA_HASH_OFFSET, &hash::offset),
                                 field(NFTA_HASH_TYPE, &hash::type)};

void render(const hash& x, std::string& out) {
  if (x.type == NFT_HASH_SYM) {
    cat(out, "[ hash reg ", x.dreg, " = symhash() % mod ", x.modulus, " ");
  } else {
    cat(out, "[ hash reg ", x.dreg, " = jhash(reg ", x.sreg.value_or(0), ", ",
        x.len.value_or(0), ", ", hexnum{x.seed.value_or(0)}, ") % mod ",
        x.modulus, " ");
  }
  if (x.offset.value_or(0))
    cat(out, "offset ", *x.offset, " ");
  out += "]";
}

} // namespace

const expr_kind& hash::kind() {
  static const expr_kind k = make_kind<hash, &rows, &render>("hash");
  return k;
}

} // namespace nfactor::nft::expr
