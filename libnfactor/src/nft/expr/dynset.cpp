// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr/dynset.hpp"

#include <string>
#include <tuple>

#include <linux/netfilter/nf_tables.h>

#include "../fields.hpp"

namespace nfactor::nft::expr {

namespace {

using namespace nft::detail;

// Kernel dump order (nft_dynset_dump): the expressions come between the
// timeout and the flags.
constexpr auto rows =
    std::tuple{field(NFTA_DYNSET_SREG_KEY, &dynset::sreg_key),
               field(NFTA_DYNSET_SREG_DATA, &dynset::sreg_data),
               field(NFTA_DYNSET_OP, &dynset::op),
               field(NFTA_DYNSET_SET_NAME, &dynset::set_name),
               field(NFTA_DYNSET_SET_ID, &dynset::set_id),
               field(NFTA_DYNSET_TIMEOUT, &dynset::timeout)};

constexpr auto tail_rows = std::tuple{field(NFTA_DYNSET_FLAGS, &dynset::flags)};

constexpr std::array<std::string_view, 3> ops{"add", "update", "delete"};

void encode(const expression& e, nl::message_writer& w) {
  const auto& x = std::get<dynset>(e.value);
  encode_rows(x, w, rows);
  if (x.exprs.size() == 1) {
    auto nest = w.begin_nested(NFTA_DYNSET_EXPR);
    encode_expression(w, x.exprs.front());
    w.end_nested(nest);
  } else if (x.exprs.size() > 1) {
    encode_expressions(w, NFTA_DYNSET_EXPRESSIONS, x.exprs);
  }
  encode_rows(x, w, tail_rows);
}

void decode(nl::attr_reader& r, expression& e) {
  dynset x;
  while (r.next()) {
    auto t = r.type();
    if (t == NFTA_DYNSET_EXPR) {
      decode_expression(r.nested(), x.exprs.emplace_back());
      continue;
    }
    if (t == NFTA_DYNSET_EXPRESSIONS) {
      decode_expressions(r.nested(), x.exprs);
      continue;
    }
    if (!match_row(r, x, rows))
      match_row(r, x, tail_rows);
  }
  e.value = std::move(x);
}

void render_dynset(const expression& e, std::string& out) {
  const auto& x = std::get<dynset>(e.value);
  cat(out, "[ dynset ", name_of(ops, x.op), " reg_key ", x.sreg_key, " set ",
      x.set_name, " ");
  if (x.sreg_data)
    cat(out, "sreg_data ", *x.sreg_data, " ");
  if (x.timeout.value_or(0))
    cat(out, "timeout ", *x.timeout, "ms ");
  for (const auto& sub : x.exprs)
    cat(out, "expr ", render(sub), " ");
  out += "]";
}

} // namespace

bool operator==(const dynset& a, const dynset& b) {
  return a.set_name == b.set_name && a.set_id == b.set_id && a.op == b.op &&
         a.sreg_key == b.sreg_key && a.sreg_data == b.sreg_data &&
         a.timeout == b.timeout && a.flags == b.flags && a.exprs == b.exprs;
}

const expr_kind& dynset::kind() {
  static const expr_kind k{
      "dynset", index_of<dynset, expression::variant>::value,
      true,     &encode,
      &decode,  &render_dynset};
  return k;
}

} // namespace nfactor::nft::expr
