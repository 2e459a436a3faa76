// SPDX-License-Identifier: Apache-2.0
// The transactor actor: the write side of nf_tables.
//
//   client -- commit_atom, encoded_batch [, genid] --> transactor
//          <-- commit_result {genid, changed, portid, seq, acked, bytes}
//              | error (op #index, errno, extack) | errc::conflict
//   client -- reconcile_atom, ruleset (desired) --> reconcile_result
//              (pull, minimal batch, guarded commit, bounded retry)
//   client -- get_gen_atom --> gen_info;  ident_atom --> tx_identity
//   client -- stats_atom --> tx_stats {common (sup::stats), commits, ...}
//
// It owns one NETLINK_NETFILTER socket (optionally in another network
// namespace) on its own thread (spawned detached). Requests are handled one
// at a time in mailbox order, so commits never interleave. Each commit is
// one datagram the kernel applies all or nothing (see nft/transaction.hpp).
// Unlike the listeners it needs no poll loop: the kernel answers a batch
// inside the sendmsg() call, so a request is served start to end on the
// actor's own thread and the mailbox is read between requests.
//
// Faults: a kernel's refusal of a batch (EINVAL, ENOENT, EEXIST, ERESTART
// as `conflict`, ...) is that request's error reply; the transactor goes
// on. A broken socket (`sys::is_socket_failure`: EBADF, ENOTSOCK,
// ECONNREFUSED, ...) is replied to as well, and then ends the actor with
// that error as its exit reason (`sup::fail_with`), so a supervisor
// restarts it (`transactor_child`) and the new incarnation opens a new
// socket.
//
// Provenance: a commit's NEWGEN notification carries the transactor's port
// id in nlmsg_pid and the commit's `seq` in nlmsg_seq (plus this process's
// pid in NFTA_GEN_PROC_PID). A monitor compares those with `tx_identity` /
// `commit_result` to tell this transactor's commits from everyone else's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/inspect.hpp"
#include "nfactor/actors/nft_types.hpp"
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/type_ids.hpp"
#include "nfactor/nft/batch.hpp"
#include "nfactor/nft/reconcile.hpp"
#include "nfactor/nft/transaction.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::actors {

/// Who a transactor is on the wire: what a monitor matches NEWGEN against.
struct tx_identity {
  /// The socket's netlink port id (NEWGEN nlmsg_pid of its commits).
  std::uint32_t portid = 0;
  /// This process's pid (NFTA_GEN_PROC_PID of its commits).
  std::uint32_t pid = 0;
  /// The namespace the socket lives in, in words.
  std::string netns;
  /// Commits that changed the ruleset, with their generation and seq.
  std::vector<nft::commit_result> recent;

  friend bool operator==(const tx_identity&, const tx_identity&) = default;
};

/// Counters of a transactor.
struct tx_stats {
  /// What every socket actor reports: restarts, uptime, granted rcvbuf,
  /// ENOBUFS episodes (replies lost in a commit); it reads no events, so
  /// received, delivered and lost stay 0.
  sup::stats common;
  /// Commits (and reconciles that committed) that succeeded.
  std::uint64_t commits = 0;
  /// Guarded commits refused because the generation moved.
  std::uint64_t conflicts = 0;
  /// Other failed commits and reconciles.
  std::uint64_t failures = 0;
  /// Operations in successful commits.
  std::uint64_t operations = 0;
  /// Bytes sent in successful commits.
  std::uint64_t bytes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tx_identity& x) {
  return f(caf::meta::type_name("nfactor::actors::tx_identity"), x.portid,
           x.pid, x.netns, x.recent);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tx_stats& x) {
  return f(caf::meta::type_name("nfactor::actors::tx_stats"), x.common,
           x.commits, x.conflicts, x.failures, x.operations, x.bytes);
}

} // namespace nfactor::actors

namespace nfactor::nft {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_op& x) {
  return f(caf::meta::type_name("nfactor::nft::batch_op"), x.index, x.msg_type,
           x.flags, x.object, x.seq, x.offset);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, encoded_batch& x) {
  return f(caf::meta::type_name("nfactor::nft::encoded_batch"), x.body, x.ops,
           x.begin_seq);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, commit_result& x) {
  return f(caf::meta::type_name("nfactor::nft::commit_result"), x.genid,
           x.changed, x.portid, x.seq, x.acked, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reconcile_result& x) {
  return f(caf::meta::type_name("nfactor::nft::reconcile_result"), x.genid,
           x.operations, x.attempts, actors::opt(x.commit));
}

} // namespace nfactor::nft

CAF_BEGIN_TYPE_ID_BLOCK(nfactor_tx, 500)
CAF_ADD_TYPE_ID(nfactor_tx, (nfactor::nft::encoded_batch))
CAF_ADD_TYPE_ID(nfactor_tx, (nfactor::nft::commit_result))
CAF_ADD_TYPE_ID(nfactor_tx, (nfactor::actors::tx_identity))
CAF_ADD_TYPE_ID(nfactor_tx, (nfactor::actors::tx_stats))
CAF_ADD_TYPE_ID(nfactor_tx, (nfactor::nft::reconcile_result))
CAF_END_TYPE_ID_BLOCK(nfactor_tx)

CAF_ADD_ATOM(nfactor_tx, nfactor::actors, commit_atom, "commit")
CAF_ADD_ATOM(nfactor_tx, nfactor::actors, ident_atom, "ident")
CAF_ADD_ATOM(nfactor_tx, nfactor::actors, reconcile_atom, "reconcile")

namespace nfactor::actors {

/// The transactor as clients see it.
using transactor = caf::typed_actor<
    caf::replies_to<commit_atom, nft::encoded_batch>::with<nft::commit_result>,
    caf::replies_to<commit_atom, nft::encoded_batch,
                    std::uint32_t>::with<nft::commit_result>,
    caf::replies_to<reconcile_atom, nft::ruleset>::with<nft::reconcile_result>,
    caf::replies_to<get_gen_atom>::with<nft::gen_info>,
    caf::replies_to<ident_atom>::with<tx_identity>,
    caf::replies_to<stats_atom>::with<tx_stats>>;

/// Options of a transactor.
struct transactor_options {
  /// The namespace whose ruleset it writes. Default: the caller's.
  sys::netns ns = sys::netns::current();
  /// Longest wait for the kernel's replies to one commit.
  std::chrono::milliseconds timeout{30000};
  /// How many recent commits `ident_atom` reports (for monitors).
  std::size_t keep_recent = 64;
  /// Pull-plan-commit rounds a reconcile may take.
  int reconcile_attempts = 5;
  /// Ask the kernel for an ack per operation (`nft::commit_options`).
  /// Default off: errors are attributed either way, and it is faster.
  bool ack_each = false;
  /// How often this transactor was restarted, for `stats` (a supervisor's
  /// start function passes `start_context::restarts`).
  std::uint32_t restarts = 0;
};

/// Spawns a transactor (detached). A failure to open the socket ends it
/// with that error as its exit reason.
[[nodiscard]] transactor spawn_transactor(caf::actor_system& sys,
                                          transactor_options opts = {});

/// A supervisor's child spec for a transactor with `opts`: every restart
/// spawns a new one (with a new socket) and counts in `stats`.
///
/// @par Example
/// @code
/// auto s = sup::spawn_supervisor(sys, {}, {transactor_child("tx", opts)});
/// @endcode
[[nodiscard]] sup::child_spec
transactor_child(std::string name, transactor_options opts = {},
                 sup::restart_type restart = sup::restart_type::transient);

} // namespace nfactor::actors
