// SPDX-License-Identifier: Apache-2.0
// `inspect()` for libnfactor's conntrack value types (nfactor/ct/entry.hpp,
// nfactor/ct/expect.hpp),
// in their own namespace (for ADL), so libnfactor stays free of CAF. Shared
// by the NFLOG event (its NFULA_CT entry) and the conntrack actors.
#pragma once

#include <caf/meta/type_name.hpp>

#include "nfactor/actors/inspect.hpp"
#include "nfactor/ct/entry.hpp"
#include "nfactor/ct/expect.hpp"

namespace nfactor::ct {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ip_address& x) {
  return f(caf::meta::type_name("nfactor::ct::ip_address"), x.version, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tuple& x) {
  using actors::opt;
  return f(caf::meta::type_name("nfactor::ct::tuple"), opt(x.src), opt(x.dst),
           opt(x.l4proto), opt(x.src_port), opt(x.dst_port), opt(x.echo_id),
           opt(x.icmp_type), opt(x.icmp_code), opt(x.zone));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, counters& x) {
  return f(caf::meta::type_name("nfactor::ct::counters"), x.packets, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tcp_flags& x) {
  return f(caf::meta::type_name("nfactor::ct::tcp_flags"), x.flags, x.mask);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seq_adj& x) {
  return f(caf::meta::type_name("nfactor::ct::seq_adj"), x.correction_pos,
           x.offset_before, x.offset_after);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry& x) {
  using actors::opt;
  return f(
      caf::meta::type_name("nfactor::ct::entry"), opt(x.orig), opt(x.reply),
      opt(x.status), opt(x.tcp_state), opt(x.id), opt(x.mark), opt(x.timeout),
      opt(x.use), opt(x.zone), opt(x.master), opt(x.tcp_wscale_orig),
      opt(x.tcp_wscale_reply), opt(x.tcp_flags_orig), opt(x.tcp_flags_reply),
      opt(x.sctp_state), opt(x.sctp_vtag_orig), opt(x.sctp_vtag_reply),
      opt(x.dccp_state), opt(x.dccp_role), opt(x.counters_orig),
      opt(x.counters_reply), opt(x.timestamp_start), opt(x.timestamp_stop),
      opt(x.labels), opt(x.labels_mask), opt(x.mark_mask), opt(x.status_mask),
      opt(x.secctx), opt(x.helper), opt(x.seq_adj_orig), opt(x.seq_adj_reply));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, expectation& x) {
  using actors::opt;
  return f(caf::meta::type_name("nfactor::ct::expectation"), opt(x.master),
           opt(x.expected), opt(x.mask), opt(x.timeout), opt(x.id),
           opt(x.helper), opt(x.zone), opt(x.flags), opt(x.expect_class),
           opt(x.nat_dir), opt(x.nat_tuple), opt(x.function));
}

} // namespace nfactor::ct
