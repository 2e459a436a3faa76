// SPDX-License-Identifier: Apache-2.0
//
// nfactor-queue's policy in force and what its decider counts (no CAF):
// the policy is built from --rule, --policy FILE and --default, built
// again on SIGHUP and swapped in whole; the decider counts, the main
// thread reads the counts for stats lines and metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/error.hpp"
#include "nfactor/nfqueue/policy.hpp"

namespace nfactor::app {

/// The names of `policy_action::kind`s, by value: accept, drop, mark
/// (accept with a mark), queue, repeat.
inline constexpr std::size_t action_kinds = 5;
inline constexpr const char* action_names[action_kinds] = {
    "accept", "drop", "mark", "queue", "repeat"};

/// A policy with its rules' texts and hit counters; replaced as a whole
/// on SIGHUP (the decider picks up the new one with its next batch).
struct active_policy {
  nfqueue::policy pol;
  /// Canonical text of each rule (JSON lines, metrics).
  std::vector<std::string> texts;
  /// Packets each rule decided; the last entry counts the default.
  std::unique_ptr<std::atomic<std::uint64_t>[]> hits;

  explicit active_policy(nfqueue::policy p);
};

/// Where the policy comes from, to build it again on SIGHUP.
struct policy_source {
  std::vector<std::string> rules;
  std::string file;
  std::optional<std::string> fallback;

  /// The policy: the --rule rules first (the command line wins), then the
  /// file's; the default from --default, else the file's, else accept.
  /// Errors name the option or the file.
  [[nodiscard]] result<nfqueue::policy> load() const;
};

/// What the decider counts, read by the metrics and stats of the main
/// thread.
struct shared_state {
  std::atomic<std::shared_ptr<const active_policy>> policy;
  /// Decisions by the deciding action's kind (`action_names`).
  std::array<std::atomic<std::uint64_t>, action_kinds> verdicts{};
  /// Loss reports, and what they counted.
  std::atomic<std::uint64_t> loss_reports{0};
  std::atomic<std::uint64_t> lost{0};
  /// When the first and the last batch came (steady clock, ns; 0: none).
  std::atomic<std::int64_t> first_batch_ns{0};
  std::atomic<std::int64_t> last_batch_ns{0};
  /// JSON lines written, and lines that could not be.
  std::atomic<std::uint64_t> lines{0};
  std::atomic<std::uint64_t> unwritten{0};
};

} // namespace nfactor::app
