// SPDX-License-Identifier: Apache-2.0
//
// nfactor-queue's JSON lines (no CAF): one object per decision, keys in
// docs/apps/nfactor-queue.md, and the file or standard output they go to.
#pragma once

#include <string>
#include <string_view>

#include "nfactor/nfqueue/packet.hpp"
#include "nfactor/nfqueue/policy.hpp"

namespace nfactor::app {

/// Appends decision `d` on packet `p` as one JSON object and a newline:
/// the packet's queue, id, family, hook, decoded IP and transport headers,
/// length, mark, uid/gid and interfaces (absent values omitted), then the
/// verdict and the deciding rule (1-based, with `rule_text`, its canonical
/// text) or `"default":true`.
void append_decision_json(std::string& out, const nfqueue::queue_packet& p,
                          const nfqueue::decision& d,
                          std::string_view rule_text);

/// Where the JSON lines go: standard output ("-") or a file, appended to.
class json_output {
 public:
  json_output() = default;
  json_output(const json_output&) = delete;
  json_output& operator=(const json_output&) = delete;
  ~json_output();

  /// Opens `path` ("-": standard output); the error text on failure.
  [[nodiscard]] std::string open(const std::string& path);
  /// True once opened.
  [[nodiscard]] bool on() const noexcept { return fd_ >= 0; }
  /// Writes all of `text`; false on failure (errno says why).
  [[nodiscard]] bool write(std::string_view text);

 private:
  int fd_ = -1;
  bool owned_ = false;
};

} // namespace nfactor::app
