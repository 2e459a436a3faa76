// SPDX-License-Identifier: Apache-2.0
//
// Trace events (trace.hpp) grouped into the path of one packet through one
// base chain, with every rule named.
//
// The kernel numbers the events of a packet with one trace id, but a packet
// passes several base chains (one per hook and table, e.g. output, then
// input after loopback) and each ends with its own verdict. So a
// `packet_trace` is one base chain's evaluation: its first event carries
// the packet (interfaces, headers), the rules it matched follow, jumps into
// regular chains included, and it ends with the verdict that decided it (a
// rule's accept/drop/queue, or the policy). The same packet in the next
// base chain gives the next `packet_trace`, often with the same id.
//
// `trace_assembler` does the grouping, as a pure function of events and
// the caller's clock: no sockets, no threads. `trace_resolver` names the
// rules: a ruleset snapshot kept current with the commits the monitor sees
// after it, so a rule added after tracing started is named too. The name is
// the rule in nft syntax with nfactor::json's `nft::json::rule_name`, or
// libnftnl's rendering of its expressions without it (the core has no JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "nfactor/nft/event.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "nfactor/nft/trace.hpp"

namespace nfactor::nft {

/// One event of a packet's path, with its rule when it names one.
struct trace_step {
  trace_event event;
  /// The rule's statements in nft syntax ("ip daddr 127.0.0.1 jump sub"),
  /// once resolved; unset for events without a rule handle and for rules
  /// the resolver does not know.
  std::optional<std::string> rule;

  friend bool operator==(const trace_step&, const trace_step&) = default;
};

/// Why a packet trace was closed.
enum class trace_end : std::uint8_t {
  /// Its base chain's verdict arrived (`ends_base_chain`).
  verdict = 0,
  /// No event arrived for `assembler_options::timeout`.
  timeout = 1,
  /// Closed early: the same id entered another base chain, or the trace
  /// hit `max_steps`, or more than `max_open` traces were open.
  cut = 2,
  /// Events were lost (the socket overflowed); the path may have gaps.
  lost = 3,
  /// The monitor stopped before the verdict.
  stopped = 4,
};

/// The name of `e` ("verdict", "timeout", "cut", "lost", "stopped").
[[nodiscard]] std::string_view to_string(trace_end e) noexcept;

/// The path of one packet through one base chain.
struct packet_trace {
  /// The trace id (the same in every step).
  std::uint32_t id = 0;
  /// The events in kernel order.
  std::vector<trace_step> steps;
  /// Why the trace was closed.
  trace_end end = trace_end::verdict;

  /// The step that carries the packet (interfaces, headers), normally the
  /// first; nullptr when it was not seen.
  [[nodiscard]] const trace_event* packet() const noexcept;

  /// The verdict that decided the packet in this base chain (NF_ACCEPT,
  /// NF_DROP, ...), when `end == verdict`.
  [[nodiscard]] std::optional<std::int32_t> verdict() const noexcept;

  friend bool operator==(const packet_trace&, const packet_trace&) = default;
};

/// How `trace_assembler` groups.
struct assembler_options {
  /// A trace with no event for this long is closed (`trace_end::timeout`).
  /// Default 1 s: the events of one base chain come within microseconds;
  /// a missing verdict means a lost event or a stolen packet.
  std::chrono::milliseconds timeout{1000};
  /// Open traces at most; beyond it the oldest is closed (`cut`).
  /// Default 4096.
  std::size_t max_open = 4096;
  /// Steps per trace at most; a longer one is closed (`cut`) and the rest
  /// of its events start a new trace. Default 1024.
  std::size_t max_steps = 1024;
  /// Events of these tables are dropped before grouping (the table of a
  /// scoped nftrace rule, nftrace.hpp, whose only news is "this rule set
  /// nftrace"). Default: none.
  std::vector<std::string> hidden_tables;
};

/// Groups trace events into packet traces.
class trace_assembler {
 public:
  using clock = std::chrono::steady_clock;

  explicit trace_assembler(assembler_options opts = {});

  /// Feeds one event received at `now`; appends the traces it closes to
  /// `out` (its own when it ends the base chain, an open one it cuts).
  void feed(trace_event e, clock::time_point now,
            std::vector<packet_trace>& out);

  /// Closes the traces idle since `now - timeout` into `out`.
  void expire(clock::time_point now, std::vector<packet_trace>& out);

  /// Closes every open trace into `out` with `why` (`lost` after an
  /// overflow, `stopped` at the end).
  void close_all(trace_end why, std::vector<packet_trace>& out);

  /// The earliest time an open trace can expire, if any is open.
  [[nodiscard]] std::optional<clock::time_point> next_expiry() const;

  /// Number of open traces.
  [[nodiscard]] std::size_t open() const noexcept { return open_.size(); }

  /// Events dropped because their table is hidden.
  [[nodiscard]] std::uint64_t hidden() const noexcept { return hidden_; }

  [[nodiscard]] const assembler_options& options() const noexcept {
    return opts_;
  }

 private:
  struct open_trace {
    packet_trace trace;
    clock::time_point last;
    std::uint64_t order = 0;
  };

  void close(std::uint32_t id, trace_end why, std::vector<packet_trace>& out);

  assembler_options opts_;
  std::unordered_map<std::uint32_t, open_trace> open_;
  std::uint64_t next_order_ = 0;
  std::uint64_t hidden_ = 0;
};

/// How a rule is named in a trace: its statements in nft syntax
/// (`nft::json::rule_name`, nfactor::json), given the ruleset for its sets;
/// nullopt when it cannot be named.
using rule_namer =
    std::function<std::optional<std::string>(const rule&, const ruleset&)>;

/// Names the rules of packet traces: a ruleset kept current with commits.
class trace_resolver {
 public:
  /// Names rules with `namer`; without one, with libnftnl's rendering of
  /// their expressions ("[ payload load 2b @ transport header + 2 => reg 1 ]
  /// ...").
  explicit trace_resolver(rule_namer namer = {}) : namer_(std::move(namer)) {}

  /// Starts from snapshot `rs`.
  explicit trace_resolver(ruleset rs, rule_namer namer = {})
    : rules_(std::move(rs)), namer_(std::move(namer)) {}

  /// Replaces the ruleset (a new snapshot after a loss).
  void reset(ruleset rs);

  /// Applies a commit (or a part of one) that followed the snapshot.
  void apply(const transaction& t);

  /// The rule with `handle` in `family`'s table `table`, or nullptr.
  [[nodiscard]] const rule* find(std::uint8_t family, const std::string& table,
                                 std::uint64_t handle) const;

  /// The name of `r` (see the constructor).
  [[nodiscard]] std::optional<std::string> text(const rule& r) const;

  /// Sets `rule` in every step of `t` whose rule is known.
  void resolve(packet_trace& t) const;

  /// The ruleset as it stands.
  [[nodiscard]] const ruleset& rules() const noexcept { return rules_; }

 private:
  using key = std::tuple<std::uint8_t, std::string, std::uint64_t>;
  ruleset rules_;
  rule_namer namer_;
  // Rule index by (family, table, handle), rebuilt on the first lookup
  // after a change.
  mutable std::map<key, std::size_t> index_;
  mutable bool stale_ = true;
};

/// Interface index -> name, for the packet line; nullopt when unknown.
using ifname_lookup = std::function<std::optional<std::string>(std::uint32_t)>;

/// `t` as `nft monitor trace` prints it, one line per event:
///
///   trace id 2013dc05 ip t out packet: oif "lo" ip saddr 127.0.0.1 ...
///   trace id 2013dc05 ip t out rule ip daddr 127.0.0.1 jump sub (verdict jump
///   sub) trace id 2013dc05 ip t sub rule return (verdict return) trace id
///   2013dc05 ip t out policy accept meta mark 0x0000002a
///
/// The rule, verdict and policy lines are nft's; the packet line is
/// shorter (interfaces, addresses, protocol, ports; nft decodes every
/// header field). The mark shows on policy and return lines, as in nft. A rule
/// the resolver did not know reads "unknown rule handle N"; the event nft skips
/// (a chain running out of rules, no handle) is skipped too. No trailing
/// spaces.
[[nodiscard]] std::string trace_text(const packet_trace& t,
                                     const ifname_lookup& ifname = {});

/// nft's word for a trace's verdict: "accept", "drop", "jump sub",
/// "goto c", "return", "continue", "queue", "stolen".
[[nodiscard]] std::string verdict_text(const verdict& v);

} // namespace nfactor::nft
