// SPDX-License-Identifier: Apache-2.0
// The JSON lines nfactor-collect writes: one object per event or notice,
// each tagged with the node it came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "nfactor/actors/log_types.hpp"
#include "nfactor/actors/nft_types.hpp"
#include "nfactor/actors/node/types.hpp"
#include "nfactor/nflog/event.hpp"

namespace nfactor::collect {

/// {"node", "type": "log", every field of `ev` that is present}; byte
/// strings as lowercase hex without separators.
[[nodiscard]] nlohmann::json log_line(const std::string& node,
                                      const nflog::log_event& ev);

/// {"node", "type": "kernel_loss", ...} (events the node's kernel dropped).
[[nodiscard]] nlohmann::json kernel_loss_line(const std::string& node,
                                              const actors::log_loss& l);

/// {"node", "type": "loss", ...} (batches the node dropped for us).
[[nodiscard]] nlohmann::json loss_line(const std::string& node,
                                       const actors::node::node_loss& l);

/// {"node", "type": "connected" or "resync", "endpoint", "incarnation",
/// "previous_incarnation", "restarted"}.
[[nodiscard]] nlohmann::json
connected_line(const actors::node::node_caps& caps, const std::string& endpoint,
               std::optional<std::uint64_t> previous);

/// {"node", "type": "commit", "gen", "pid", "comm", "changes": [{"op":
/// "add"|"delete", "kind", "family", "table", "name"/"chain"/"set",
/// "handle", "exprs" (libnftnl rendering, rules only)}]}.
[[nodiscard]] nlohmann::json commit_line(const std::string& node,
                                         const nft::transaction& t);

/// {"node", "type": "snapshot", "gen", "tables", "chains", "rules",
/// "sets", "objects", "flowtables"} (counts).
[[nodiscard]] nlohmann::json snapshot_line(const std::string& node,
                                           const nft::ruleset& r);

/// {"node", "type": "ruleset_loss", "overruns", "last_gen"}.
[[nodiscard]] nlohmann::json ruleset_loss_line(const std::string& node,
                                               const actors::resync_needed& r);

/// {"node", "type": "restarted", "source", "restarts", "reason"}: the node
/// restarted a failed stream source; resynchronise.
[[nodiscard]] nlohmann::json
restarted_line(const std::string& node,
               const actors::node::stream_restarted& r);

/// {"type": "disconnected", "endpoint", "error"}.
[[nodiscard]] nlohmann::json trouble_line(const std::string& endpoint,
                                          const std::string& error);

} // namespace nfactor::collect
