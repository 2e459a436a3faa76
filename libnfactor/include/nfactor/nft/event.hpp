// SPDX-License-Identifier: Apache-2.0
//
// nf_tables notifications (NFNLGRP_NFTABLES) and commit framing. Within one
// commit the kernel sends the object events (NEW*/DEL* of tables, chains,
// rules, sets, elements, objects, flowtables) first and NEWGEN last
// (nf_tables_commit → nft_commit_notify, then nf_tables_gen_notify). So
// the provenance in a NEWGEN (gen id, committer pid and comm) belongs to
// the events received before it, and `commit_framer` emits one
// `transaction` per NEWGEN.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nft/chain.hpp"
#include "nfactor/nft/elem.hpp"
#include "nfactor/nft/flowtable.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nft/object.hpp"
#include "nfactor/nft/rule.hpp"
#include "nfactor/nft/set.hpp"
#include "nfactor/nft/table.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nft {

/// Any nf_tables object a notification or dump can carry.
using entity =
    std::variant<table, chain, rule, set, elem_list, object, flowtable>;

/// One object event: NFT_MSG_NEW* (`added`) or NFT_MSG_DEL* (removed).
struct change {
  /// True for NEW*, false for DEL*.
  bool added = true;
  /// The nlmsghdr flags (NLM_F_REPLACE on a replaced rule, ...).
  std::uint16_t flags = 0;
  /// The object.
  nft::entity entity;

  friend bool operator==(const change&, const change&) = default;
};

/// One commit: its generation, the committing process, and its changes
/// in kernel order.
///
/// A large commit may come in parts (`commit_framer::take_part`, the
/// monitor's `max_part`): every part but the last has `partial` set and no
/// provenance yet (gen_id 0, no pid or name), because the kernel sends the
/// commit's NEWGEN after all its object events. The last part has
/// `partial` false and carries gen_id and provenance for the whole commit.
struct transaction {
  /// The generation the commit produced (0 in a part with `partial` set).
  std::uint32_t gen_id = 0;
  /// Pid of the committing process.
  std::optional<std::uint32_t> proc_pid;
  /// Name (comm) of the committing process.
  std::optional<std::string> proc_name;
  /// The object events of the commit (of this part), in kernel order.
  std::vector<change> changes;
  /// More changes of the same commit follow in the next transaction.
  bool partial = false;

  friend bool operator==(const transaction&, const transaction&) = default;
};

/// One change with its commit's provenance (the flat per-event form).
struct flat_event {
  std::uint32_t gen_id = 0;
  std::optional<std::uint32_t> proc_pid;
  std::optional<std::string> proc_name;
  nft::change change;

  friend bool operator==(const flat_event&, const flat_event&) = default;
};

/// A decoded notification: an object event or a NEWGEN.
using notification = std::variant<change, gen_info>;

/// Decodes one nf_tables message; nullopt for message types that carry no
/// object (e.g. NFT_MSG_TRACE), an error for malformed ones.
[[nodiscard]] result<std::optional<notification>>
decode_notification(const nl::message& msg);

/// The NFT_MSG_* type of `c` (NEWRULE, DELSET, ...).
[[nodiscard]] std::uint8_t message_type(const change& c) noexcept;

/// The kind of `e` in words ("table", "chain", "rule", "set", "element",
/// "object", "flowtable").
[[nodiscard]] const char* kind_name(const entity& e) noexcept;

/// Appends `changes` as nf_tables messages (the wire form, used to carry
/// transactions between CAF nodes).
void encode_changes(byte_buffer& out, const std::vector<change>& changes);

/// Decodes what `encode_changes` wrote.
[[nodiscard]] result<std::vector<change>> decode_changes(byte_view bytes);

/// The flat per-event form of `t` (every change with the provenance).
[[nodiscard]] std::vector<flat_event> flatten(const transaction& t);

/// Whether a commit of generation `gen` is excluded by the minimum
/// `min_gen` (it is at or below it). A minimum of 0 excludes nothing: the
/// kernel never uses generation 0 (it skips it when the counter wraps), so
/// 0 means no minimum was set, and even a NEWGEN carrying 0 (from a peer
/// other than the kernel) completes its commit.
[[nodiscard]] constexpr bool
excluded_by_min_gen(std::uint32_t gen, std::uint32_t min_gen) noexcept {
  return min_gen != 0 && gen <= min_gen;
}

/// Groups notifications into commits.
class commit_framer {
 public:
  /// Feeds one message; returns the transaction it completes (on NEWGEN).
  /// Messages without an object are ignored.
  [[nodiscard]] result<std::optional<transaction>> feed(const nl::message& msg);

  /// Takes the changes collected so far as a part (`partial` set, no
  /// provenance): the transaction `feed` returns at NEWGEN then holds only
  /// the later changes. Taking parts of a bounded size also bounds the
  /// vector that collects them (no regrowing of one huge vector).
  [[nodiscard]] transaction take_part();

  /// Drops the changes collected so far (after a loss, they cannot be
  /// attributed to a commit).
  void reset() noexcept { pending_.clear(); }

  /// From now on, `feed` drops commits with gen_id <= `gen` (it never
  /// lowers the minimum). `nft::pull(sock, framer)` sets it to the
  /// snapshot's generation. The default, 0, drops nothing
  /// (`excluded_by_min_gen`).
  void set_min_gen(std::uint32_t gen) noexcept {
    min_gen_ = gen > min_gen_ ? gen : min_gen_;
  }

  /// Commits at or below this generation are dropped (none while it is 0).
  [[nodiscard]] std::uint32_t min_gen() const noexcept { return min_gen_; }

  /// Number of changes waiting for their NEWGEN.
  [[nodiscard]] std::size_t pending() const noexcept { return pending_.size(); }

 private:
  std::vector<change> pending_;
  std::uint32_t min_gen_ = 0;
};

} // namespace nfactor::nft
