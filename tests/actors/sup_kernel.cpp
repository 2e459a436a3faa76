// SPDX-License-Identifier: Apache-2.0
// The supervisor with a real socket-owning child in a scratch namespace.
// The child is a minimal NFLOG binder (NFULNL_CFG_CMD_BIND with raw
// libnfactor calls, just enough for these tests; the real listener is
// nfactor::actors::log): it binds in make_behavior, releases in on_exit,
// and fails on an injected fault. /proc/net/netfilter/nfnetlink_log of the
// namespace is the oracle for who owns a group.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <map>
#include <sstream>
#include <string>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>

#include <caf/all.hpp>

#include "netns_fixture.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/actors/sup/owner.hpp"
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/system.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/sys/request.hpp"
#include "nfactor/sys/socket.hpp"
#include "sup_fixture.hpp"

using namespace nfactor;
using namespace std::chrono_literals;
namespace sup = nfactor::actors::sup;

namespace {

using fault_atom = caf::atom_constant<caf::atom("fault")>;
using portid_atom = caf::atom_constant<caf::atom("portid")>;
constexpr fault_atom fault_atom_v{};
constexpr portid_atom portid_atom_v{};

using test::patience;

// NFULNL_MSG_CONFIG with one NFULA_CFG_CMD for `group`.
result<void> nflog_cmd(sys::socket& sock, std::uint16_t group, std::uint8_t cmd,
                       const std::string& op) {
  byte_buffer buf;
  nl::message_writer w{buf};
  auto seq = sock.next_seq();
  w.begin(nfnl::nlmsg_type(nfnl::subsys::ulog, NFULNL_MSG_CONFIG),
          NLM_F_REQUEST | NLM_F_ACK, seq);
  w.put_nfgenmsg(AF_UNSPEC, group);
  w.attr_u8(NFULA_CFG_CMD, cmd);
  w.end();
  if (auto st = w.status(); !st)
    return st;
  return sys::request(sock, buf, seq, op);
}

std::string bind_op(std::uint16_t group) {
  return "NFULNL_CFG_CMD_BIND group " + std::to_string(group);
}

// A socket-owning child reduced to its contract: open + bind when started,
// UNBIND + close in on_exit, fail with the real error, stop with its owner.
class nflog_child : public caf::event_based_actor {
 public:
  nflog_child(caf::actor_config& cfg, sys::netns ns, std::uint16_t group,
              caf::actor owner, std::uint32_t restarts)
    : caf::event_based_actor(cfg), ns_(std::move(ns)), group_(group),
      owner_(std::move(owner)), stats_(restarts) {}

  caf::behavior make_behavior() override {
    set_exception_handler(sup::keep_cause);
    sup::stop_with_owner(this, owner_);
    sys::socket_options o;
    o.ns = ns_;
    auto sock = sys::socket::open(o);
    if (!sock) {
      sup::fail_with(this, sock.err());
      return {};
    }
    sock_.emplace(std::move(*sock));
    if (auto st =
            nflog_cmd(*sock_, group_, NFULNL_CFG_CMD_BIND, bind_op(group_));
        !st) {
      sup::fail_with(this, st.err());
      return {};
    }
    stats_->rcvbuf = sock_->rcvbuf();
    return {
        [this](portid_atom) { return sock_->portid(); },
        [this](actors::stats_atom) { return stats_.snapshot(); },
        [this](fault_atom) {
          // The fd goes away under the actor; the next recv reports it.
          sock_->close();
          std::uint8_t buf[64];
          auto r = sock_->recv(buf);
          sup::fail_with(this, r ? make_error(errc::closed, "recv",
                                              "socket closed under the actor")
                                 : r.err());
        },
    };
  }

  void on_exit() override {
    if (sock_ && sock_->is_open())
      (void)nflog_cmd(*sock_, group_, NFULNL_CFG_CMD_UNBIND, "UNBIND");
    sock_.reset();
  }

 private:
  sys::netns ns_;
  std::uint16_t group_;
  caf::actor owner_;
  sup::stats_keeper stats_;
  std::optional<sys::socket> sock_;
};

sup::child_spec nflog_spec(sys::netns ns, std::uint16_t group,
                           caf::actor owner = {}) {
  return sup::child(
      "nflog-" + std::to_string(group), [=](const sup::start_context& ctx) {
        return ctx.sys.spawn<nflog_child>(ns, group, owner, ctx.restarts);
      });
}

struct fixture : test::netns_fixture, test::sup_fixture {
  std::uint32_t portid_of(const caf::actor& child) {
    std::uint32_t out = 0;
    self->request(child, patience, portid_atom_v)
        .receive([&](std::uint32_t p) { out = p; },
                 [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(sup_kernel,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(restart_rebinds_the_group, fixture) {
  auto s = sup::spawn_supervisor(sys, observed(), {nflog_spec(netns.ns(), 7)});
  auto first = await("nflog-7", sup::child_state::running);
  auto p1 = portid_of(first.handle);
  BOOST_TEST(test::nflog_groups(netns)[7] == p1);

  self->send(first.handle, fault_atom_v);
  auto failed = await("nflog-7", sup::child_state::restarting);
  auto why = actors::from_caf_error(failed.last_reason);
  BOOST_TEST_MESSAGE(
      "child failed with: " << actors::describe(failed.last_reason));
  BOOST_TEST(why.op == "recv");

  // The new incarnation bound the group again: its own old binding was
  // released in on_exit, so no EPERM.
  auto second = await("nflog-7", sup::child_state::running);
  BOOST_TEST(second.restarts == 1u);
  auto p2 = portid_of(second.handle); // may equal p1: the pid is reused
  auto groups = test::nflog_groups(netns);
  BOOST_TEST(groups.size() == 1u);
  BOOST_TEST(groups[7] == p2);

  sup::stats st;
  self->request(second.handle, patience, actors::stats_atom_v)
      .receive([&](const sup::stats& x) { st = x; },
               [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_TEST(st.restarts == 1u);
  BOOST_TEST(st.rcvbuf.has_value());

  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(foreign_owner_makes_every_restart_fail_with_eperm,
                        fixture) {
  // Somebody else owns group 8 for the whole test.
  sys::socket_options o;
  o.ns = netns.ns();
  auto other = sys::socket::open(o);
  NFACTOR_REQUIRE_OK(other);
  auto bound = nflog_cmd(*other, 8, NFULNL_CFG_CMD_BIND, bind_op(8));
  NFACTOR_REQUIRE_OK(bound);

  sup::options opts;
  opts.max_restarts = 3;
  opts.window = std::chrono::minutes{10};
  auto s =
      sup::spawn_supervisor(sys, observed(opts), {nflog_spec(netns.ns(), 8)});
  self->monitor(s);
  unsigned failures = 0;
  caf::error reason;
  bool down = false;
  while (!down)
    self->receive(
        [&](const sup::child_info& x) {
          if (x.state == sup::child_state::restarting ||
              x.state == sup::child_state::stopped) {
            ++failures;
            BOOST_TEST(actors::from_caf_error(x.last_reason).errno_value() ==
                       EPERM);
          }
        },
        [&](caf::down_msg& dm) {
          reason = std::move(dm.reason);
          down = true;
        },
        caf::after(patience) >> [] { BOOST_FAIL("supervisor never gave up"); });
  BOOST_TEST(failures == 4u); // the first start and 3 restarts
  auto limit = sup::as_restart_limit(reason);
  BOOST_REQUIRE_MESSAGE(limit.has_value(), caf::to_string(reason));
  BOOST_TEST(limit->child == "nflog-8");
  BOOST_TEST(limit->restarts == 3u);
  auto last = actors::from_caf_error(limit->last_reason);
  BOOST_TEST(last.errno_value() == EPERM);
  BOOST_TEST(last.op == bind_op(8));
  auto text = sup::describe(reason);
  BOOST_TEST_MESSAGE("supervisor exit: " << text);
  BOOST_TEST(text.find("NFULNL_CFG_CMD_BIND group 8") != std::string::npos);
  // The foreign binding is untouched.
  BOOST_TEST(test::nflog_groups(netns)[8] == other->portid());
}

BOOST_FIXTURE_TEST_CASE(owner_down_releases_the_group, fixture) {
  auto owner = spawn_owner();
  auto s = sup::spawn_supervisor(sys, observed(),
                                 {nflog_spec(netns.ns(), 9, owner)});
  auto child = await("nflog-9", sup::child_state::running);
  BOOST_TEST(test::nflog_groups(netns).count(9) == 1u);
  self->send_exit(owner, caf::exit_reason::kill);
  auto x = await("nflog-9", sup::child_state::stopped);
  BOOST_TEST(sup::is_normal_exit(x.last_reason));
  BOOST_TEST(x.restarts == 0u);
  // on_exit ran before the supervisor saw the child down.
  BOOST_TEST(test::nflog_groups(netns).count(9) == 0u);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
