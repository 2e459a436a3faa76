// SPDX-License-Identifier: Apache-2.0
//
// Reading a ruleset in nft's JSON schema (libnftables-json(5), what
// `nft -j list ruleset` prints) into typed batch operations. A pure
// function from text to values: no sockets, no exceptions escape, every
// problem is an error naming the JSON object it came from
// ("nftables[7].rule.expr[2]: ...").
//
//   {"nftables": [                                  operations
//     {"metainfo": {...}},                          (ignored)
//     {"table": {"family": "inet", "name": "t"}},   add table inet t
//     {"set": {..., "elem": [...]}},                add set + add elements
//     {"chain": {..., "hook": "input", ...}},       add chain
//     {"rule": {..., "expr": [...]}},               add rule
//     {"flush": {"ruleset": null}},                 flush ruleset
//     {"delete": {"table": {...}}}, {"add": ...}    (commands)
//   ]}
//
// Rules accept the statements nfactor's rule front emits exactly as nft
// does (rule_builder.hpp): matches on ip/ip6 addresses, ip protocol,
// tcp/udp ports, meta l4proto/nfproto/mark/iif/oif/iifname/oifname/skuid/
// skgid, ct state/mark (values, prefixes, ranges, named sets), counter,
// log, limit, meta mark set, notrack, masquerade, snat/dnat to an address,
// reject, queue and the verdicts. Anything else is an error naming it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nfactor/error.hpp"
#include "nfactor/nft/batch.hpp"
#include "nfactor/nft/chain.hpp"
#include "nfactor/nft/elem.hpp"
#include "nfactor/nft/rule.hpp"
#include "nfactor/nft/set.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "nfactor/nft/table.hpp"

namespace nfactor::nft::json {

/// `flush ruleset`: deletes every table of `family` (0: all families).
struct flush_ruleset {
  std::uint8_t family = 0;
  friend bool operator==(const flush_ruleset&, const flush_ruleset&) = default;
};

/// The object of an operation.
using object = std::variant<table, chain, set, elem_list, rule, flush_ruleset>;

/// One operation read from the JSON text.
struct operation {
  /// add, create, remove (nft's delete) or flush.
  verb v = verb::add;
  /// What it acts on.
  json::object object;
  /// The JSON object it came from ("nftables[3].set").
  std::string path;
  friend bool operator==(const operation&, const operation&) = default;
};

/// Reads `text` (a JSON document with an "nftables" array) into operations,
/// in document order; a set's elements follow the set. The first problem
/// is returned as an error (errc::invalid_argument) whose detail starts
/// with the JSON path.
[[nodiscard]] result<std::vector<operation>> read(std::string_view text);

/// A batch built from operations, with the JSON path of each batch
/// operation (same index as `batch.ops`).
struct built_batch {
  encoded_batch batch;
  std::vector<std::string> paths;
};

/// Encodes `ops` into one batch (after `prefix`, e.g. a flush). Errors of
/// the batch builder name the JSON path of the offending operation.
[[nodiscard]] result<built_batch> build(const std::vector<operation>& ops);

/// Adds one operation to `b`.
void append(batch& b, const operation& op);

/// One line per operation for `--dry-run`: "add rule inet t input" and,
/// for rules, the expressions as libnftnl renders them.
[[nodiscard]] std::string describe(const operation& op);

/// nft's name of set key/data type `id` ("ipv4_addr", "inet_service"),
/// for the types the reader knows; nullptr otherwise.
[[nodiscard]] const char* datatype_name(std::uint32_t id) noexcept;

/// The operations that turn `current` into the ruleset `desired` lists
/// (add operations, as `read()` returns for a listing): missing tables,
/// chains, sets and elements are added; extra ones deleted; a chain whose
/// rules differ (counter values and handles aside) is flushed and refilled;
/// a set whose definition differs is re-created. Nothing for what matches.
/// Other verbs in `desired` are kept as they are, after the difference.
[[nodiscard]] std::vector<operation>
reconcile(const ruleset& current, const std::vector<operation>& desired);

} // namespace nfactor::nft::json
