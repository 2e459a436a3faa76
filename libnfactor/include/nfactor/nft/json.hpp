// SPDX-License-Identifier: Apache-2.0
//
// Reading a ruleset in nft's JSON schema (libnftables-json(5), what
// `nft -j list ruleset` prints) into typed batch operations, and rules
// back into nft's words. Its own library, nfactor::json (the core has no
// JSON dependency). Pure functions from text to values: no sockets, no
// exceptions escape (what touches JSON returns `result<T>`), every problem
// is an error naming the JSON object it came from
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
// Rules accept what nft lists for the expressions of the transactor's
// table (expr.hpp), encoded as nft encodes them: matches (==, !=, <, >,
// in; values, prefixes, ranges, named sets "@s", anonymous sets
// {"set": [...]}) on payload fields, meta, ct, fib and numgen operands and
// their concatenations {"concat": [...]}; verdict maps {"vmap": ...};
// counter, quota and limit (inline, or a named object by name), log,
// ct count, meta mark set, payload, meta and ct set {"mangle": ...},
// synproxy, notrack, masquerade, redirect, snat/dnat, reject, queue and
// the verdicts. Named counters, quotas and limits are
// objects. Anything else is an error naming it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nfactor/error.hpp"
#include "nfactor/nft/batch.hpp"
#include "nfactor/nft/chain.hpp"
#include "nfactor/nft/elem.hpp"
#include "nfactor/nft/object.hpp"
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
using object = std::variant<table, chain, set, elem_list, rule, flush_ruleset,
                            nft::object>;

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

/// How to read.
struct read_options {
  /// Interface name -> index for `iif`/`oif` values (nft resolves names
  /// where it runs; nfactor-apply resolves them in the target namespace).
  /// Unset: if_nametoindex() in the caller's namespace.
  std::function<std::optional<std::uint32_t>(const std::string&)> ifindex;
};

/// Reads `text` (a JSON document with an "nftables" array) into operations,
/// in document order; a set's elements follow the set, an anonymous set
/// ("__set%d", with a batch set id) precedes its rule. The first problem
/// is returned as an error (errc::invalid_argument) whose detail starts
/// with the JSON path.
[[nodiscard]] result<std::vector<operation>>
read(std::string_view text, const read_options& opts = {});

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

/// The ruleset `ops` describe, for `nft::reconcile` (the transactor's):
/// every add/create operation's object, anonymous sets with their
/// elements, each tagged in `ruleset::origins` with the JSON path of the
/// operation it came from. Other verbs are an error naming their JSON
/// path.
[[nodiscard]] result<ruleset> to_ruleset(const std::vector<operation>& ops);

// -- writing: expressions back to nft's words ------------------------------
//
// The writers that build JSON values return results: a value the JSON
// library refuses (a string that is not UTF-8) is an error naming the rule
// or set ("rule inet t c handle 4: ..."), never an exception.

/// Finds a set of a rule's table by name (anonymous sets: "__set0"), for
/// showing a lookup's elements inline as nft does; nullptr when unknown.
using set_finder = std::function<const set_with_elems*(
    std::uint8_t family, const std::string& table, const std::string& name)>;

/// The statements of `r` as nft's JSON schema lists them (the "expr" array
/// of `nft -j list ruleset`, as JSON text), for the expressions nft emits
/// for the statements `read()` knows: implied dependencies (meta l4proto
/// before a port) are dropped as nft drops them. An expression it cannot
/// place is kept as {"nfactor": "[ libnftnl rendering ]"}.
[[nodiscard]] result<std::string> statements_json(const rule& r,
                                                  const set_finder& sets = {});

/// The statements of `r` in nft syntax, as `nft monitor` prints them:
/// "ip saddr 10.0.0.1 udp dport 53 counter packets 0 bytes 0 accept".
[[nodiscard]] result<std::string> rule_text(const rule& r,
                                            const set_finder& sets = {});

/// Elements of `s` in nft syntax: "{ 10.0.0.1, 10.0.0.0/8, 22 : accept }"
/// (interval start/end elements folded into prefixes and ranges).
[[nodiscard]] result<std::string>
elements_text(const set& s, const std::vector<set_elem>& elems);

/// The same elements as nft's JSON lists them (a JSON array, as text).
[[nodiscard]] result<std::string>
elements_json_text(const set& s, const std::vector<set_elem>& elems);

/// A set's definition in nft syntax: "{ type ipv4_addr; flags interval; }".
[[nodiscard]] std::string set_type_text(const set& s);

} // namespace nfactor::nft::json
