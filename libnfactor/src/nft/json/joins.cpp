// SPDX-License-Identifier: Apache-2.0
//
// nft joins payload matches on adjacent header fields into one load and
// one compare ("tcp sport 1 tcp dport 2": 4 bytes at transport offset 0).
// The reader does the same, so that a rule read from nft's listing is the
// rule nft sent, byte for byte, and reconcile sees no difference. The
// rules below are what nft 1.0.6 does (rule_postprocess, stmt_reduce and
// payload_can_merge in nftables), checked against `nft --debug=netlink`.
#include <algorithm>

#include <linux/netfilter/nf_tables.h>

#include "reader.hpp"

namespace nfactor::nft::json::detail {

namespace {

// A joinable match: its statement, the load and compare it ends with.
struct unit {
  std::size_t stmt;
  expr::payload* load;
  expr::cmp* cmp;
};

// payload_can_merge: adjacent, the joined field fits a register, and the
// join does not lose the kernel's fast path for loads of up to 4 bytes of
// the network or transport header.
bool can_join(const expr::payload& a, const expr::payload& b) {
  auto total = a.len + b.len;
  return a.base == b.base && a.offset + a.len == b.offset &&
         total <= NFT_REG_SIZE &&
         (total <= NFT_REG32_SIZE || a.base == NFT_PAYLOAD_LL_HEADER ||
          a.len > NFT_REG32_SIZE || b.len > NFT_REG32_SIZE);
}

// A field naming the next header's protocol (ether type, ip protocol, ip6
// nexthdr): nft keeps a join at its place, so that the protocol is
// checked before what depends on it.
bool names_protocol(const expr::payload& p) {
  return (p.base == NFT_PAYLOAD_LL_HEADER && p.offset == 12 && p.len == 2) ||
         (p.base == NFT_PAYLOAD_NETWORK_HEADER && p.len == 1 &&
          (p.offset == 9 || p.offset == 6));
}

// The match of `s` as a unit, if its last two expressions are a payload
// load and a compare (== or !=) of what it loaded.
std::optional<unit> as_unit(std::vector<expression>& xs,
                            const statement_span& s, std::size_t index) {
  if (!s.joinable || s.end - s.begin < 2)
    return std::nullopt;
  auto* load = std::get_if<expr::payload>(&xs[s.end - 2].value);
  auto* cmp = std::get_if<expr::cmp>(&xs[s.end - 1].value);
  if (!load || !cmp || !load->dreg || load->sreg || cmp->sreg != *load->dreg ||
      (cmp->op != NFT_CMP_EQ && cmp->op != NFT_CMP_NEQ) ||
      cmp->value.value.size() != load->len)
    return std::nullopt;
  return unit{index, load, cmp};
}

// Joins what `units` can join; marks the statements whose match went into
// another's in `gone`.
void join(std::vector<unit>& units, std::vector<bool>& gone) {
  if (units.size() < 2)
    return;
  std::stable_sort(units.begin(), units.end(), [](auto& a, auto& b) {
    return a.load->offset < b.load->offset;
  });
  auto last = units[0];
  for (std::size_t i = 1; i < units.size(); ++i) {
    auto next = units[i];
    if (!can_join(*last.load, *next.load) || last.cmp->op != next.cmp->op) {
      last = next;
      continue;
    }
    // The joined match takes one statement's place, the other goes.
    auto keep = names_protocol(*next.load) ? next : last;
    auto drop = keep.stmt == next.stmt ? last : next;
    keep.load->offset = last.load->offset;
    keep.load->len = last.load->len + next.load->len;
    auto value = last.cmp->value.value;
    value.insert(value.end(), next.cmp->value.value.begin(),
                 next.cmp->value.value.end());
    keep.cmp->value.value = std::move(value);
    gone[drop.stmt] = true;
    last = keep;
  }
}

} // namespace

void join_payload_matches(std::vector<expression>& xs,
                          const std::vector<statement_span>& spans) {
  std::vector<bool> gone(spans.size(), false);
  std::vector<unit> units;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    auto& s = spans[i];
    if (!s.match) {
      // Another kind of statement ends a run, but only one of two or
      // more matches: a single match waits for the next (nft 1.0.6).
      if (units.size() >= 2) {
        join(units, gone);
        units.clear();
      }
      continue;
    }
    if (auto u = as_unit(xs, s, i))
      units.push_back(*u);
  }
  join(units, gone);
  if (std::find(gone.begin(), gone.end(), true) == gone.end())
    return;
  // A joined-away match loses its load and compare; its dependencies
  // (meta l4proto, ...) stay, as nft keeps them.
  std::vector<expression> out;
  out.reserve(xs.size());
  for (std::size_t i = 0; i < spans.size(); ++i) {
    auto& s = spans[i];
    auto end = gone[i] ? s.end - 2 : s.end;
    for (auto k = s.begin; k < end; ++k)
      out.push_back(std::move(xs[k]));
  }
  xs = std::move(out);
}

} // namespace nfactor::nft::json::detail
