// SPDX-License-Identifier: Apache-2.0
// Shared by the fuzz targets: what a decoder may answer bad input with.
#pragma once

#include "nfactor/error.hpp"

namespace nfactor::fuzz {

/// True when `e` is a decoder's typed refusal of bad input: truncated,
/// bad_attribute or bad_message, with a message saying what was wrong.
inline bool typed_decode_error(const error& e) {
  auto c = e.code;
  return !e.message().empty() && (c == make_error_code(errc::truncated) ||
                                  c == make_error_code(errc::bad_attribute) ||
                                  c == make_error_code(errc::bad_message));
}

} // namespace nfactor::fuzz
