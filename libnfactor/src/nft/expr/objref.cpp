// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/objref.hpp"

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

constexpr auto rows = std::tuple{field(NFTA_OBJREF_IMM_NAME, &objref::imm_name),
                                 field(NFTA_OBJREF_IMM_TYPE, &objref::imm_type),
                                 field(NFTA_OBJREF_SET_SREG, &objref::set_sreg),
                                 field(NFTA_OBJREF_SET_NAME, &objref::set_name),
                                 field(NFTA_OBJREF_SET_ID, &objref::set_id)};

void render(const objref& x, std::string& out) {
  if (x.set_name || x.set_sreg) {
    cat(out, "[ objref sreg ", x.set_sreg.value_or(0), " set ",
        x.set_name.value_or(""), " ");
    if (x.set_id)
      cat(out, "id ", *x.set_id, " ");
    out += "]";
    return;
  }
  cat(out, "[ objref type ", x.imm_type.value_or(0), " name ",
      x.imm_name.value_or(""), " ]");
}

} // namespace

const expr_kind& objref::kind() {
  static const expr_kind k = make_kind<objref, &rows, &render>("objref");
  return k;
}

} // namespace nfactor::nft::expr
