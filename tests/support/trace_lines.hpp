// SPDX-License-Identifier: Apache-2.0
// Lines of `nft monitor trace` text (nft's or nft::trace_text's), for the
// trace suites that compare the two.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace nfactor::test {

/// The lines of `text`, without their newlines.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

/// True for a "packet:" line (nft decodes every header field there, nfactor
/// fewer: compared apart from the others).
inline bool is_packet_line(const std::string& l) {
  return l.find(" packet: ") != std::string::npos;
}

} // namespace nfactor::test
