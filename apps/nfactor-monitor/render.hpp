// SPDX-License-Identifier: Apache-2.0
//
// How nfactor-monitor prints commits (no CAF): text close to `nft -a
// monitor` (nft syntax: "add rule ip t c ip saddr 10.0.0.1 counter packets
// 0 bytes 0 accept # handle 4", one line per element as nft prints them),
// or one JSON object per commit with the same data (rules as nft's JSON
// statements). Each commit is headed by its generation, the committing
// pid and process name.
#pragma once

#include <map>
#include <string>
#include <tuple>

#include "nfactor/nft/event.hpp"
#include "nfactor/nft/json.hpp"
#include "nfactor/nft/snapshot.hpp"

namespace nfactor::app {

/// The sets the monitor has seen (from the snapshot and the stream), so
/// elements print with their set's types and anonymous sets inline.
class set_cache {
 public:
  /// Replaces the cache with the sets of `rs`.
  void seed(const nft::ruleset& rs);
  /// Follows one change (NEWSET, DELSET, NEWSETELEM, DELSETELEM, DELTABLE).
  void update(const nft::change& c);
  /// The set, or nullptr.
  [[nodiscard]] const nft::set_with_elems* find(std::uint8_t family,
                                                const std::string& table,
                                                const std::string& name) const;
  /// A finder for nft::json::rule_text.
  [[nodiscard]] nft::json::set_finder finder() const;

 private:
  std::map<std::tuple<std::uint8_t, std::string, std::string>,
           nft::set_with_elems>
      sets_;
};

/// The lines of one change ("add rule ip t c ... # handle 4"); empty for
/// what nft monitor does not show (adding anonymous sets).
[[nodiscard]] std::string text(const nft::change& c, const set_cache& sets);

/// A commit: "# new generation 42 by process 1234 (nft)", then its
/// changes; a part of a large commit (`partial`): "# part of a commit",
/// then its changes. Updates `sets` as it goes.
[[nodiscard]] std::string text(const nft::transaction& t, set_cache& sets);

/// A snapshot: "# snapshot generation 41", then every object as an add.
[[nodiscard]] std::string text(const nft::ruleset& rs, set_cache& sets);

/// One JSON line: {"gen":42,"pid":1234,"comm":"nft","changes":[...]}
/// (with "partial":true for a part of a large commit).
[[nodiscard]] std::string json_line(const nft::transaction& t, set_cache& sets);

/// One JSON line: {"snapshot":{"gen":41,"changes":[...]}}.
[[nodiscard]] std::string json_line(const nft::ruleset& rs, set_cache& sets);

} // namespace nfactor::app
