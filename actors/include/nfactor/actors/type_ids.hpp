// SPDX-License-Identifier: Apache-2.0
// The project's message types and atoms. Every node must register the same
// set under the same names: call `nfactor::actors::add_message_types(cfg)`.
//
// Each area has its own block so areas can grow without renumbering each
// other: core 200..299, log listener 300..399, monitor 400..499, transactor
// 500..599, supervision 600..699, node 700..799, queue listener 800..899
// (queue_types.hpp), conntrack 900..999 (ct_types.hpp), trace monitor
// 1000..1099 (trace_types.hpp).
#pragma once

#include <caf/type_id.hpp>

#include "nfactor/actors/core_types.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(nfactor_core, caf::first_custom_type_id)
CAF_ADD_TYPE_ID(nfactor_core, (nfactor::nft::gen_info))
CAF_END_TYPE_ID_BLOCK(nfactor_core)

// Atoms shared by every socket-owning actor (≤ 10 characters each).
CAF_ADD_ATOM(nfactor_core, nfactor::actors, stats_atom, "stats")
CAF_ADD_ATOM(nfactor_core, nfactor::actors, stop_atom, "stop")
CAF_ADD_ATOM(nfactor_core, nfactor::actors, get_gen_atom, "getgen")
// The self-sent tick of socket actors (`socket_actor`'s default).
CAF_ADD_ATOM(nfactor_core, nfactor::actors, socket_tick_atom, "socktick")
