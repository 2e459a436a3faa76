// SPDX-License-Identifier: Apache-2.0
// `inspect()` overloads for libnfactor value types shared by all actors.
// They live in the types' own namespaces (found by ADL) but here, so that
// libnfactor stays free of CAF.
#pragma once

#include <caf/meta/type_name.hpp>

#include "nfactor/actors/inspect.hpp"
#include "nfactor/nft/gen.hpp"

namespace nfactor::nft {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gen_info& x) {
  return f(caf::meta::type_name("nfactor::nft::gen_info"), x.id,
           actors::opt(x.proc_pid), actors::opt(x.proc_name));
}

} // namespace nfactor::nft
