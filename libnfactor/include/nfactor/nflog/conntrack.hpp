// SPDX-License-Identifier: Apache-2.0
//
// The conntrack entry NFLOG attaches with NFULNL_CFG_F_CONNTRACK: NFULA_CT
// is a nest of ctnetlink attributes (CTA_*), the layout ctnetlink events
// and dumps use, so it is decoded by the one conntrack table
// (nfactor/ct/entry.hpp); these names are NFLOG's spelling of it.
#pragma once

#include "nfactor/ct/entry.hpp"

namespace nfactor::nflog {

using ip_address = ct::ip_address;
using ct_tuple = ct::tuple;
using conntrack = ct::entry;

/// Reads the CTA_* attributes of `attrs` (the payload of NFULA_CT) into a
/// `conntrack`; errors go to `attrs`' error slot, unknown attributes are
/// skipped.
inline conntrack decode_conntrack(nl::attr_reader& attrs) {
  return ct::decode_entry(attrs);
}

/// Decodes a NFULA_CT payload on its own.
[[nodiscard]] inline result<conntrack> decode_conntrack(byte_view payload) {
  return ct::decode_entry(payload);
}

} // namespace nfactor::nflog
