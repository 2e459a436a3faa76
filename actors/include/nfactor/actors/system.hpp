// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>

namespace nfactor::actors {

/// Registers every nfactor message type with `cfg`, under the same names on
/// every node. Call once before constructing the `caf::actor_system`.
///
/// @par Example
/// @code
/// caf::actor_system_config cfg;
/// nfactor::actors::add_message_types(cfg);
/// caf::actor_system sys{cfg};
/// @endcode
void add_message_types(caf::actor_system_config& cfg);

} // namespace nfactor::actors
