// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/system.hpp"

#include <caf/actor_system_config.hpp>

#include "nfactor/actors/ct_types.hpp"
#include "nfactor/actors/log_types.hpp"
#include "nfactor/actors/node/types.hpp"
#include "nfactor/actors/sup/type_ids.hpp"
#include "nfactor/actors/trace_types.hpp"
#include "nfactor/actors/nft_types.hpp"
#include "nfactor/actors/queue_types.hpp"
#include "nfactor/actors/transactor.hpp"
#include "nfactor/actors/type_ids.hpp"

namespace nfactor::actors {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::nfactor_core>();
  cfg.add_message_types<caf::id_block::nfactor_log>();
  cfg.add_message_types<caf::id_block::nfactor_sup>();
  cfg.add_message_types<caf::id_block::nfactor_nft>();
  cfg.add_message_types<caf::id_block::nfactor_tx>();
  cfg.add_message_types<caf::id_block::nfactor_node>();
  cfg.add_message_types<caf::id_block::nfactor_queue>();
  cfg.add_message_types<caf::id_block::nfactor_trace>();
  cfg.add_message_types<caf::id_block::nfactor_ct>();
}

} // namespace nfactor::actors
