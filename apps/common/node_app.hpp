// SPDX-License-Identifier: Apache-2.0
//
// What nfactor-node and nfactor-collect share: both take CAF's own options
// (`node::config`: --openssl.*, --insecure, a config file) and lists such
// as --group=5,6, which CAF may hand over as "[5, 6]".
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>

#include "app_common.hpp"
#include "nfactor/error.hpp"

namespace nfactor::app {

/// Parses the command line into `cfg`; an exit code when the program
/// should end now: 0 after --help, `exit_bad_input` (after a line on
/// stderr naming `prog`) for a bad command line.
inline std::optional<int> parse_config(caf::actor_system_config& cfg, int argc,
                                       char** argv, const char* prog) {
  if (auto err = cfg.parse(argc, argv)) {
    std::fprintf(stderr, "%s: %s\n", prog, cfg.render(err).c_str());
    return exit_bad_input;
  }
  if (cfg.cli_helptext_printed)
    return exit_ok;
  return std::nullopt;
}

/// The items of a list option ("a,b", "[a, b]", "[\"a\", \"b\"]"),
/// trimmed; empty items are left out.
inline std::vector<std::string> split_list(std::string text) {
  std::vector<std::string> out;
  for (char& c : text)
    if (c == '[' || c == ']' || c == '"')
      c = ' ';
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find(',', pos);
    if (end == std::string::npos)
      end = text.size();
    auto item = text.substr(pos, end - pos);
    auto first = item.find_first_not_of(' ');
    if (first != std::string::npos)
      out.push_back(item.substr(first, item.find_last_not_of(' ') - first + 1));
    pos = end + 1;
  }
  return out;
}

/// NFLOG groups from a list option (`option` names it in the error), each
/// 1..65535.
inline result<std::vector<std::uint16_t>>
parse_groups(const std::string& text, const char* option = "--group") {
  std::vector<std::uint16_t> out;
  for (const auto& item : split_list(text)) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc{} || p != item.data() + item.size() || v == 0 ||
        v > 65535)
      return make_error(errc::invalid_argument, option,
                        "'" + item + "' is not a group 1..65535");
    out.push_back(static_cast<std::uint16_t>(v));
  }
  return out;
}

} // namespace nfactor::app
