// SPDX-License-Identifier: Apache-2.0
// Boost.Test printers for the trace types (nft/packet_trace.hpp).
#pragma once

#include <optional>
#include <ostream>

#include "nfactor/nft/packet_trace.hpp"

namespace nfactor::nft {

inline std::ostream& boost_test_print_type(std::ostream& os, trace_type t) {
  return os << to_string(t);
}

inline std::ostream& boost_test_print_type(std::ostream& os, trace_end e) {
  return os << to_string(e);
}

} // namespace nfactor::nft
