// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/nftrace.hpp"

#include <linux/netfilter/nf_tables.h>

#include "nfactor/nflog/event.hpp"
#include "nfactor/nft/batch_ops.hpp"

namespace nfactor::nft {

namespace {

table table_of(const nftrace_scope& s, bool with_flags) {
  table t;
  t.family = static_cast<std::uint8_t>(s.family);
  t.name = s.table;
  if (with_flags && s.owned)
    t.flags = NFT_TABLE_F_OWNER;
  return t;
}

} // namespace

void add_nftrace(batch& b, const nftrace_scope& s) {
  if (s.hooks.empty()) {
    b.fail(make_error(errc::invalid_argument, "add nftrace",
                      "no hook to trace at"));
    return;
  }
  // create, not add: an existing table of that name is another trace's
  // (or a leftover), and adding rules to it would trace twice.
  create(b, table_of(s, true));
  for (auto num : s.hooks) {
    chain c;
    c.family = static_cast<std::uint8_t>(s.family);
    c.table = s.table;
    c.name = nflog::hook_name(c.family, static_cast<std::uint8_t>(num));
    c.hook = hook{num, s.priority, std::nullopt, std::nullopt};
    c.type = "filter";
    c.policy = NF_ACCEPT;
    create(b, c);
    front::rule_builder rb{s.family, s.table, c.name};
    for (const auto& e : s.match)
      rb.then(e);
    if (s.max_rate > 0)
      rb.limit({.rate = s.max_rate, .unit = 1, .burst = s.max_rate});
    auto r = rb.trace().comment("nfactor trace").build();
    if (!r) {
      b.fail(std::move(r).err());
      return;
    }
    add(b, *r);
  }
}

void remove_nftrace(batch& b, const nftrace_scope& s) {
  remove(b, table_of(s, false));
}

} // namespace nfactor::nft
