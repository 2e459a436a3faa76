// SPDX-License-Identifier: Apache-2.0
//
// How nfactor-monitor prints commits (no CAF): text close to `nft monitor`
// (rules as the libnftnl expression listing of `nft --debug=netlink`, since
// nfactor does not turn expressions back into nft syntax), or one JSON
// object per commit.
#pragma once

#include <string>

#include "nfactor/nft/event.hpp"
#include "nfactor/nft/snapshot.hpp"

namespace nfactor::app {

/// "add rule ip t c handle 4" and, for rules, one line per expression.
[[nodiscard]] std::string text(const nft::change& c);

/// A commit: "# gen 42 pid 1234 (nft)", then its changes; a part of a
/// large commit (`partial`): "# part of a commit", then its changes.
[[nodiscard]] std::string text(const nft::transaction& t);

/// A snapshot: "# snapshot gen 41", then every object as an add.
[[nodiscard]] std::string text(const nft::ruleset& rs);

/// One JSON line: {"gen":42,"pid":1234,"comm":"nft","changes":[...]}
/// (with "partial":true for a part of a large commit).
[[nodiscard]] std::string json_line(const nft::transaction& t);

/// One JSON line: {"snapshot":{"gen":41,"changes":[...]}}.
[[nodiscard]] std::string json_line(const nft::ruleset& rs);

} // namespace nfactor::app
