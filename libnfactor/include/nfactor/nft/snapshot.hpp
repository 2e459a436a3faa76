// SPDX-License-Identifier: Apache-2.0
//
// A consistent snapshot of the nf_tables ruleset (the "pull" side): dumps
// of tables, chains, rules, sets, set elements, objects and flowtables,
// taken between two GETGEN requests. The dump is consistent when both
// generations agree, every dump message carries the generation's low 16
// bits in nfgenmsg.res_id, and no part has NLM_F_DUMP_INTR; otherwise it is
// retried, and after `max_attempts` the result is `errc::inconsistent`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nft/event.hpp"
#include "nfactor/sys/request.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::nft {

/// A set with its elements.
struct set_with_elems {
  nft::set set;
  std::vector<set_elem> elems;
  friend bool operator==(const set_with_elems&,
                         const set_with_elems&) = default;
};

/// Opaque provenance tags of a desired state's objects, e.g. the JSON path
/// each was read from ("nftables[3].rule"). Each vector parallels the
/// ruleset's vector of the same name: entry i tags its i-th object; a
/// shorter (or empty) vector leaves the rest untagged. A dump never sets
/// them; `reconcile()` uses them to name the object behind a refused
/// operation (reconcile.hpp).
struct origin_tags {
  std::vector<std::string> tables;
  std::vector<std::string> chains;
  std::vector<std::string> rules;
  std::vector<std::string> sets;
  std::vector<std::string> objects;

  friend bool operator==(const origin_tags&, const origin_tags&) = default;
};

/// What names an entry of the ruleset in the kernel (references into it,
/// for comparing and ordering): a table by family and name; a chain, set
/// or flowtable by family, table and name; a named object by those and
/// its type (a counter "x" and a quota "x" are two objects). `apply()` and
/// `reconcile()` both match entries by these.
inline auto identity(const table& t) {
  return std::tie(t.family, t.name);
}
inline auto identity(const chain& c) {
  return std::tie(c.family, c.table, c.name);
}
inline auto identity(const set& s) {
  return std::tie(s.family, s.table, s.name);
}
inline auto identity(const flowtable& f) {
  return std::tie(f.family, f.table, f.name);
}
inline auto identity(const object& o) {
  return std::tie(o.family, o.table, o.name, o.type);
}

/// The ruleset at one generation.
struct ruleset {
  /// The generation the dump is consistent with.
  std::uint32_t gen_id = 0;
  std::vector<table> tables;
  std::vector<chain> chains;
  std::vector<rule> rules;
  std::vector<set_with_elems> sets;
  std::vector<object> objects;
  std::vector<flowtable> flowtables;
  /// Dump attempts it took (1 when the first was consistent).
  std::uint32_t attempts = 0;
  /// Where a desired state's objects came from (see `origin_tags`).
  origin_tags origins;

  /// Every object as a NEW change, in creation order (tables, sets,
  /// elements, objects, flowtables, chains, rules): the wire form and the
  /// form a consumer replays.
  [[nodiscard]] std::vector<change> as_changes() const;

  friend bool operator==(const ruleset&, const ruleset&) = default;
};

/// What to dump.
struct pull_options {
  /// NFPROTO_* family; NFPROTO_UNSPEC (0) for all.
  std::uint8_t family = 0;
  /// Only this table (with `family`), if set.
  std::optional<std::string> table;
  /// Whether to dump set elements.
  bool elements = true;
  /// One rule dump per chain, filtered by table and chain (default true),
  /// rather than one dump of every rule. The kernel sends a dump in parts
  /// of at most 32 KiB and resumes each part by walking the rule lists
  /// from the first rule to its position, so one dump of N rules walks
  /// O(N^2 / rules per part) rules; per chain the walk covers only that
  /// chain. Costs one request per chain; a single long chain gains
  /// nothing. Consistency is checked the same way (every part's
  /// generation, GETGEN before and after).
  bool rules_per_chain = true;
  /// Attempts before giving up with `errc::inconsistent`.
  int max_attempts = 8;
  /// Per-exchange time-out and receive buffer (256 KiB: dump datagrams of
  /// large rulesets).
  sys::exchange_options exchange = [] {
    sys::exchange_options o;
    o.buffer_size = 256 * 1024;
    return o;
  }();
};

/// Takes a consistent snapshot over `sock` (a plain request socket).
[[nodiscard]] result<ruleset> pull(sys::socket& sock,
                                   const pull_options& opts = {});

/// "Subscribe first, then snapshot" without actors: takes a consistent
/// snapshot over `sock` and raises `tail`'s min_gen to its generation.
/// `tail` frames the notifications of a socket that was subscribed to
/// NFNLGRP_NFTABLES *before* this call; feeding it everything read from
/// that socket (before and after the call) yields every commit after the
/// snapshot exactly once and none it contains.
///
/// ```
/// auto mon = sys::socket::open({.groups = {NFNLGRP_NFTABLES}}); // 1.
/// nft::commit_framer tail;
/// auto rs = nft::pull(*req, tail);                // 2. gen, dump, min_gen
/// // 3. recv() from *mon, tail.feed(msg) -> commits with gen_id > rs->gen_id
/// ```
[[nodiscard]] result<ruleset> pull(sys::socket& sock, commit_framer& tail,
                                   const pull_options& opts = {});

/// Rebuilds a ruleset from `changes` (as `as_changes()` produced them).
[[nodiscard]] ruleset from_changes(std::uint32_t gen_id,
                                   std::vector<change> changes);

/// Applies one change to `rs` (add, replace or remove by handle/name):
/// how a consumer keeps a snapshot current from the monitor's stream.
void apply(ruleset& rs, const change& c);

} // namespace nfactor::nft
