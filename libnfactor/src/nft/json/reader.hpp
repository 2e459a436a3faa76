// SPDX-License-Identifier: Apache-2.0
//
// Internals of the nft JSON reader (nft/json.hpp), shared by its objects
// part (objects.cpp) and its statements part (statements.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/rule.hpp"

namespace nfactor::nft::json::detail {

using value = nlohmann::json;

/// Thrown inside the reader only; `read()` turns it into an error.
struct bad_input {
  std::string path;
  std::string what;
};

[[noreturn]] void fail(const std::string& path, std::string what);

/// The member `key` of object `v`, or nullptr.
const value* member(const value& v, std::string_view key);
/// The string member `key` (required).
std::string need_string(const value& v, std::string_view key,
                        const std::string& path);
/// A non-negative integer no larger than `max`.
std::uint64_t need_uint(const value& v, const std::string& path,
                        std::uint64_t max);

/// Builds a rule's expressions from its "expr" array (family from `r`).
void read_statements(const value& exprs, rule& r, const std::string& path);

} // namespace nfactor::nft::json::detail
