// SPDX-License-Identifier: Apache-2.0
// Message types and atoms of supervision (block nfactor_sup, 600..699).
// Registered by `nfactor::actors::add_message_types(cfg)`.
#pragma once

#include <string>
#include <vector>

#include <caf/type_id.hpp>

#include "nfactor/actors/sup/child_info.hpp"
#include "nfactor/actors/sup/errc.hpp"
#include "nfactor/actors/sup/stats.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(nfactor_sup, 600)
CAF_ADD_TYPE_ID(nfactor_sup, (nfactor::actors::sup::stats))
CAF_ADD_TYPE_ID(nfactor_sup, (nfactor::actors::sup::child_info))
CAF_ADD_TYPE_ID(nfactor_sup, (std::vector<nfactor::actors::sup::child_info>))
CAF_END_TYPE_ID_BLOCK(nfactor_sup)

// Supervisor requests (stop uses the shared `stop_atom`).
CAF_ADD_ATOM(nfactor_sup, nfactor::actors::sup, children_atom, "children")
CAF_ADD_ATOM(nfactor_sup, nfactor::actors::sup, whereis_atom, "whereis")
CAF_ADD_ATOM(nfactor_sup, nfactor::actors::sup, start_child_atom, "startchild")
CAF_ADD_ATOM(nfactor_sup, nfactor::actors::sup, restart_atom, "sup_retry")
