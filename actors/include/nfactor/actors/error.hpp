// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "nfactor/error.hpp"

// nfactor's own conditions travel as `caf::error` in category "nfactor".
CAF_ERROR_CODE_ENUM(nfactor::errc, "nfactor")

namespace nfactor::actors {

/// The `caf::error` category of kernel errnos (code = errno).
inline constexpr caf::atom_value errno_category = caf::atom("errno");

/// Converts a library error for sending between actors (and nodes). The
/// code becomes the `caf::error` code (category "nfactor" or "errno"); op,
/// detail, extack, seq and extack offset travel in the context, so
/// `from_caf_error(to_caf_error(e))` gives `e` back.
[[nodiscard]] caf::error to_caf_error(const error& e);

/// Converts back; errors of other categories (CAF's own `sec`, a user's)
/// become an `error` whose detail holds CAF's rendering of them.
[[nodiscard]] error from_caf_error(const caf::error& e);

/// One line describing any `caf::error`, with nfactor's details in full.
[[nodiscard]] std::string describe(const caf::error& e);

} // namespace nfactor::actors
