// SPDX-License-Identifier: Apache-2.0
//
// Reconcile: bring the kernel's ruleset to a desired state with the
// smallest batch, guarded by the generation it was computed from.
//
//   pull (consistent snapshot at gen G) -> plan (diff) -> commit guarded by
//   G -> on errc::conflict (someone committed in between) pull again and
//   re-plan, up to `max_attempts` times.
//
// Ownership: the desired state names whole tables. Inside each of them,
// whatever the desired state lacks is deleted and whatever it has is
// added or updated; other tables are never touched. A second reconcile of
// the same desired state plans nothing and commits nothing.
//
// Diff rules: chains are added when missing, updated in place when only
// the policy differs, and replaced (deleted with their rules, re-added)
// when hook, priority, type or device differ. Rules of a chain are
// compared in order (expressions rendered as libnftnl does, counter values
// ignored): the common head and tail are kept, the middle is deleted by
// handle and the desired middle inserted before the kept tail (or
// appended). Sets are replaced when their definition differs, otherwise
// only missing elements are added and extra ones deleted. Named objects
// are keyed by family, table, name and type (a counter and a quota may
// share a name); they are added when missing, a quota whose bytes or
// flags differ is updated in place (its consumed bytes kept), a limit
// whose definition differs is replaced (which the kernel refuses with
// EBUSY while a rule refers to it); running state (counter values, quota
// consumed) never counts as a difference.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/error.hpp"
#include "nfactor/nft/batch.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "nfactor/nft/transaction.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::nft {

/// Adds to `b` the operations that turn `current` into `desired` (see the
/// diff rules above); returns how many it added.
///
/// With `origins`, it also appends one entry per added operation (in
/// batch order, so they line up with `b`'s operations): the tag
/// (`desired.origins`) of the desired object the operation comes from. An
/// operation that adds or updates an object is tagged with that object
/// (a set's elements and a rule's anonymous set with the set or rule); one
/// that deletes is tagged with the desired object that decided it: the
/// chain whose rules are trimmed, the chain, set or object replaced, or
/// the owning table for what it no longer lists. Untagged: "".
std::size_t plan(const ruleset& current, const ruleset& desired, batch& b,
                 std::vector<std::string>* origins = nullptr);

/// How to reconcile.
struct reconcile_options {
  /// Pulls and guarded commits before giving up with the last conflict
  /// (default 5). Must be at least 1: otherwise `reconcile()` returns
  /// `errc::invalid_argument` without touching the kernel.
  int max_attempts = 5;
  /// Options of each commit (the generation guard is set by reconcile).
  commit_options commit;
  /// Called after each plan, just before its guarded commit, with the
  /// attempt number (observability; tests use it to commit in between).
  std::function<void(int attempt)> before_commit;
};

/// What a reconcile did.
struct reconcile_result {
  /// The generation after the reconcile (unchanged when nothing to do).
  std::uint32_t genid = 0;
  /// Operations committed; 0 when the kernel already matched.
  std::uint32_t operations = 0;
  /// Pull-plan-commit rounds (1 unless a conflict forced a retry).
  std::uint32_t attempts = 0;
  /// The commit, when there was one.
  std::optional<commit_result> commit;
};

/// Reconciles the ruleset of `sock`'s namespace with `desired`.
///
/// When the kernel refuses an operation, the error names it as `commit()`
/// does; if the desired object behind it has an origin tag (see `plan()`),
/// the error's `op` is prefixed with it: "nftables[2].rule: NEWRULE #2
/// rule ip t c".
[[nodiscard]] result<reconcile_result>
reconcile(sys::socket& sock, const ruleset& desired,
          const reconcile_options& opts = {});

} // namespace nfactor::nft
