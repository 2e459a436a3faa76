// SPDX-License-Identifier: Apache-2.0
// The transactor actor against nf_tables in a scratch namespace: commits,
// typed errors, two transactors racing on one generation, provenance, and
// the fault contract under a supervisor (a broken socket restarts it, a
// refused batch does not).
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include <unistd.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <caf/all.hpp>

#include "netns_fixture.hpp"
#include "sup_fixture.hpp"
#include "tx_helpers.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/transactor.hpp"

namespace tx_transactor {
using namespace nfactor;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;
using nfactor::test::tables;
namespace sup = nfactor::actors::sup;

struct tx_fixture : netns_fixture, test::sup_fixture {
  actors::transactor_options options() const {
    actors::transactor_options o;
    o.ns = netns.ns();
    return o;
  }
  actors::transactor spawn() {
    return actors::spawn_transactor(sys, options());
  }
};

// Sends a request and waits for its reply or error.
template <class R, class... Ts>
caf::expected<R> ask(caf::actor_system& sys, const actors::transactor& tx,
                     Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<R> out{caf::sec::request_timeout};
  self->request(tx, std::chrono::seconds(30), std::forward<Ts>(xs)...)
      .receive([&](R& r) { out = std::move(r); },
               [&](caf::error& e) { out = std::move(e); });
  return out;
}

// The error of `x`, or "ok" (Boost evaluates messages of passing checks).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{"ok"} : actors::describe(x.error());
}

} // namespace tx_transactor

BOOST_AUTO_TEST_SUITE(tx_transactor,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(commit_replies_with_generation_and_identity,
                        tx_fixture) {
  auto tx = spawn();
  auto g = ask<nft::gen_info>(sys, tx, actors::get_gen_atom_v);
  BOOST_REQUIRE(g);
  auto r =
      ask<nft::commit_result>(sys, tx, actors::commit_atom_v, tables({"a"}));
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_TEST(r->changed);
  BOOST_TEST(r->genid == g->id + 1);
  auto id = ask<actors::tx_identity>(sys, tx, actors::ident_atom_v);
  BOOST_REQUIRE(id);
  BOOST_TEST(id->portid == r->portid);
  BOOST_TEST(id->pid == static_cast<std::uint32_t>(::getpid()));
  BOOST_REQUIRE(id->recent.size() == 1u);
  BOOST_TEST((id->recent.front() == *r));
  BOOST_TEST((test::listed_tables(netns) == std::set<std::string>{"a"}));
}

BOOST_FIXTURE_TEST_CASE(errors_arrive_typed_and_attributed, tx_fixture) {
  auto tx = spawn();
  auto r = ask<nft::commit_result>(sys, tx, actors::commit_atom_v,
                                   tables({"x", "y"}, nft::verb::create));
  BOOST_REQUIRE(r);
  auto again = ask<nft::commit_result>(sys, tx, actors::commit_atom_v,
                                       tables({"z", "y"}, nft::verb::create));
  BOOST_REQUIRE(!again);
  auto e = actors::from_caf_error(again.error());
  BOOST_TEST(e.errno_value() == EEXIST);
  BOOST_TEST(e.op == "NEWTABLE #1 table inet y");
  BOOST_TEST((test::listed_tables(netns) == std::set<std::string>{"x", "y"}));
  auto st = ask<actors::tx_stats>(sys, tx, actors::stats_atom_v);
  BOOST_REQUIRE(st);
  BOOST_TEST(st->commits == 1u);
  BOOST_TEST(st->failures == 1u);
  BOOST_TEST(st->common.restarts == 0u);
  BOOST_TEST(st->common.rcvbuf.has_value());
}

BOOST_FIXTURE_TEST_CASE(racing_transactors_one_wins_one_conflicts, tx_fixture) {
  auto tx1 = spawn();
  auto tx2 = spawn();
  auto g = ask<nft::gen_info>(sys, tx1, actors::get_gen_atom_v);
  BOOST_REQUIRE(g);
  // Both start from generation g; both requests are in flight at once.
  caf::scoped_actor self{sys};
  int wins = 0;
  int conflicts = 0;
  auto on_ok = [&](nft::commit_result& r) {
    ++wins;
    BOOST_TEST(r.genid == g->id + 1);
  };
  auto on_err = [&](caf::error& e) {
    if (e == errc::conflict)
      ++conflicts;
    else
      BOOST_ERROR("unexpected " << actors::describe(e));
  };
  auto h1 = self->request(tx1, std::chrono::seconds(30), actors::commit_atom_v,
                          tables({"one"}), g->id);
  auto h2 = self->request(tx2, std::chrono::seconds(30), actors::commit_atom_v,
                          tables({"two"}), g->id);
  h1.receive(on_ok, on_err);
  h2.receive(on_ok, on_err);
  BOOST_TEST(wins == 1);
  BOOST_TEST(conflicts == 1);
  BOOST_TEST(test::listed_tables(netns).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(racing_reconciles_converge, tx_fixture) {
  // Two transactors reconcile the same desired state at once: both
  // succeed, one commits, the other finds (after a conflict and a re-pull,
  // or at once) nothing left to do.
  nft::ruleset want;
  nft::table t;
  t.family = NFPROTO_INET;
  t.name = "both";
  want.tables.push_back(t);
  for (auto n : {"a", "b", "c"}) {
    nft::chain c;
    c.family = NFPROTO_INET;
    c.table = "both";
    c.name = n;
    want.chains.push_back(c);
  }
  auto tx1 = spawn();
  auto tx2 = spawn();
  caf::scoped_actor self{sys};
  std::vector<nft::reconcile_result> done;
  auto on_ok = [&](nft::reconcile_result& r) {
    done.push_back(r);
  };
  auto on_err = [&](caf::error& e) {
    BOOST_ERROR("reconcile failed: " << actors::describe(e));
  };
  auto h1 = self->request(tx1, std::chrono::seconds(30),
                          actors::reconcile_atom_v, want);
  auto h2 = self->request(tx2, std::chrono::seconds(30),
                          actors::reconcile_atom_v, want);
  h1.receive(on_ok, on_err);
  h2.receive(on_ok, on_err);
  BOOST_REQUIRE(done.size() == 2u);
  int committed = 0;
  for (auto& r : done)
    committed += r.commit.has_value() ? 1 : 0;
  BOOST_TEST(committed == 1);
  BOOST_TEST(done[0].genid == done[1].genid);
  auto listing = netns.nft("list table inet both");
  for (auto n : {"chain a", "chain b", "chain c"})
    BOOST_TEST(listing.find(n) != std::string::npos);
  auto again =
      ask<nft::reconcile_result>(sys, tx1, actors::reconcile_atom_v, want);
  BOOST_REQUIRE_MESSAGE(again, why(again));
  BOOST_TEST(again->operations == 0u);
}

BOOST_FIXTURE_TEST_CASE(batches_serialize_for_remote_nodes, tx_fixture) {
  auto b = tables({"a", "b"});
  auto back = round_trip(b);
  BOOST_TEST(back.body == b.body);
  BOOST_REQUIRE(back.ops.size() == 2u);
  BOOST_TEST(back.ops[1].object == "table inet b");
  BOOST_TEST(back.ops[1].offset == b.ops[1].offset);
}

BOOST_FIXTURE_TEST_CASE(a_broken_socket_restarts_under_a_supervisor,
                        tx_fixture) {
  auto s = sup::spawn_supervisor(sys, observed(),
                                 {actors::transactor_child("tx", options())});
  auto first = await("tx", sup::child_state::running);
  auto tx1 = sup::handle_as<actors::transactor>(first);

  // The kernel refusing a batch is an ordinary reply: no restart.
  auto ok = ask<nft::commit_result>(sys, tx1, actors::commit_atom_v,
                                    tables({"x"}, nft::verb::create));
  BOOST_REQUIRE_MESSAGE(ok, why(ok));
  auto dup = ask<nft::commit_result>(sys, tx1, actors::commit_atom_v,
                                     tables({"x"}, nft::verb::create));
  BOOST_REQUIRE(!dup);
  BOOST_TEST(actors::from_caf_error(dup.error()).errno_value() == EEXIST);
  auto stale = ask<nft::commit_result>(sys, tx1, actors::commit_atom_v,
                                       tables({"z"}), ok->genid - 1);
  BOOST_REQUIRE(!stale);
  BOOST_TEST((stale.error() == errc::conflict));
  auto still = whereis(s, "tx");
  BOOST_TEST(still.state == sup::child_state::running);
  BOOST_TEST(still.handle == first.handle);
  BOOST_TEST(still.restarts == 0u);

  // Its socket breaks (the descriptor becomes /dev/null, as after a stray
  // close): the commit fails with the real cause, and so does the actor.
  auto id = ask<actors::tx_identity>(sys, tx1, actors::ident_atom_v);
  BOOST_REQUIRE(id);
  BOOST_REQUIRE(test::replace_netfilter_socket(
      [&](const sockaddr_nl& nl) { return nl.nl_pid == id->portid; }));
  auto broken =
      ask<nft::commit_result>(sys, tx1, actors::commit_atom_v, tables({"y"}));
  BOOST_REQUIRE(!broken);
  BOOST_TEST_MESSAGE("commit on the broken socket: " << why(broken));
  BOOST_TEST(actors::from_caf_error(broken.error()).errno_value() == ENOTSOCK);
  auto failed = await("tx", sup::child_state::restarting);
  BOOST_TEST_MESSAGE(
      "transactor failed with: " << actors::describe(failed.last_reason));
  BOOST_TEST(actors::from_caf_error(failed.last_reason).errno_value() ==
             ENOTSOCK);

  // The new incarnation opened a new socket and commits.
  auto second = await("tx", sup::child_state::running);
  BOOST_TEST(second.restarts == 1u);
  auto tx2 = sup::handle_as<actors::transactor>(second);
  auto again =
      ask<nft::commit_result>(sys, tx2, actors::commit_atom_v, tables({"y"}));
  BOOST_REQUIRE_MESSAGE(again, why(again));
  BOOST_TEST(again->changed);
  BOOST_TEST((test::listed_tables(netns) == std::set<std::string>{"x", "y"}));
  auto st = ask<actors::tx_stats>(sys, tx2, actors::stats_atom_v);
  BOOST_REQUIRE(st);
  BOOST_TEST(st->common.restarts == 1u);
  BOOST_TEST(st->commits == 1u);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
