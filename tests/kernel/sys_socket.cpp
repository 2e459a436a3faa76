// SPDX-License-Identifier: Apache-2.0
// The netlink socket and namespaces against the real kernel; every test
// that changes netfilter state does it in its own scratch namespace.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>

#include "netns_fixture.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/sys/socket.hpp"

namespace sys_socket {
using namespace nfactor;
using namespace nfactor::sys;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;
using nfactor::test::scratch_netns;

ino_t inode_of(const std::string& path) {
  struct stat st {};
  BOOST_REQUIRE_MESSAGE(::stat(path.c_str(), &st) == 0, "stat " << path);
  return st.st_ino;
}

// The calling thread's namespace, as an inode.
ino_t own_netns() {
  return inode_of("/proc/thread-self/ns/net");
}

} // namespace sys_socket

BOOST_AUTO_TEST_SUITE(sys_socket, *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(opens_with_portid_and_seq, netns_fixture) {
  socket_options o;
  o.ns = netns.ns();
  auto s = socket::open(o);
  NFACTOR_REQUIRE_OK(s);
  BOOST_TEST(s->is_open());
  BOOST_TEST(s->fd() >= 0);
  BOOST_TEST(s->portid() != 0u);
  auto a = s->next_seq();
  BOOST_TEST(s->next_seq() == a + 1);
  BOOST_TEST(s->rcvbuf() > 0);
  s->close();
  BOOST_TEST(!s->is_open());
  auto r = s->send(std::vector<std::uint8_t>(16, 0));
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.err().code == make_error_code(errc::closed));
}

BOOST_FIXTURE_TEST_CASE(rcvbuf_force_reports_the_granted_size, netns_fixture) {
  socket_options o;
  o.ns = netns.ns();
  o.rcvbuf = 8 << 20;
  auto s = socket::open(o);
  NFACTOR_REQUIRE_OK(s);
  // The kernel doubles the request for bookkeeping; as root, FORCE lets it
  // exceed net.core.rmem_max.
  BOOST_TEST(s->rcvbuf() == 16 << 20);
  auto g = s->set_rcvbuf(1 << 20);
  NFACTOR_REQUIRE_OK(g);
  BOOST_TEST(*g == 2 << 20);
  auto bad = s->set_rcvbuf(-1);
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.err().code == make_error_code(errc::invalid_argument));
}

BOOST_FIXTURE_TEST_CASE(socket_in_named_netns_sees_that_ruleset,
                        netns_fixture) {
  scratch_netns other;
  socket_options in_a;
  in_a.ns = netns.ns();
  socket_options in_b;
  in_b.ns = other.ns();
  auto before = own_netns();
  auto a = socket::open(in_a);
  auto b = socket::open(in_b);
  NFACTOR_REQUIRE_OK(a);
  NFACTOR_REQUIRE_OK(b);
  BOOST_TEST(own_netns() == before); // the caller never moved
  auto a0 = nft::get_gen(*a);
  auto b0 = nft::get_gen(*b);
  NFACTOR_REQUIRE_OK(a0);
  NFACTOR_REQUIRE_OK(b0);
  netns.nft("add table inet t1");
  netns.nft("add table inet t2");
  netns.nft("add table ip t3");
  auto a1 = nft::get_gen(*a);
  auto b1 = nft::get_gen(*b);
  NFACTOR_REQUIRE_OK(a1);
  NFACTOR_REQUIRE_OK(b1);
  BOOST_TEST(a1->id == a0->id + 3);
  // The untouched namespace stands for every other one: the host's
  // generation is not read (anything else on the machine may commit).
  BOOST_TEST(b1->id == b0->id);
}

BOOST_FIXTURE_TEST_CASE(netns_by_path_fd_and_pid, netns_fixture) {
  auto probe = [&](const sys::netns& ns) {
    socket_options o;
    o.ns = ns;
    auto s = socket::open(o);
    NFACTOR_REQUIRE_OK(s);
    auto g = nft::get_gen(*s);
    NFACTOR_REQUIRE_OK(g);
    return g->id;
  };
  auto by_name = probe(netns.ns());
  BOOST_TEST(probe(sys::netns::at_path("/run/netns/" + netns.name())) ==
             by_name);
  auto fd = netns.ns().open();
  NFACTOR_REQUIRE_OK(fd);
  BOOST_TEST(probe(sys::netns::from_fd(fd->get())) == by_name);

  // A process living in the namespace: `ip netns exec` execs sleep in place.
  pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::execlp("ip", "ip", "netns", "exec", netns.name().c_str(), "sleep", "30",
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto want = inode_of("/run/netns/" + netns.name());
  auto proc = "/proc/" + std::to_string(child) + "/ns/net";
  for (int i = 0; i < 500 && inode_of(proc) != want; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_REQUIRE(inode_of(proc) == want);
  netns.nft("add table ip marker");
  BOOST_TEST(probe(sys::netns::of_pid(child)) == by_name + 1);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

BOOST_AUTO_TEST_CASE(bad_namespace_names_are_clear_errors) {
  for (auto name : {"", "..", "a/b", "../../etc"}) {
    socket_options o;
    o.ns = sys::netns::named(name);
    auto s = socket::open(o);
    BOOST_REQUIRE(!s);
    BOOST_TEST(s.err().code == make_error_code(errc::invalid_argument),
               nfactor::test::why(s));
  }
  socket_options o;
  o.ns = sys::netns::named("nfactor-no-such-namespace");
  auto s = socket::open(o);
  BOOST_REQUIRE(!s);
  BOOST_TEST(s.err().errno_value() == ENOENT);
  BOOST_TEST(s.err().message().find("nfactor-no-such-namespace") !=
             std::string::npos);
  o.ns = sys::netns::of_pid(-3);
  BOOST_TEST(!socket::open(o));
}

BOOST_FIXTURE_TEST_CASE(overrun_is_a_distinct_outcome, netns_fixture) {
  socket_options o;
  o.ns = netns.ns();
  o.rcvbuf = 1; // the kernel rounds this up to its minimum (~2 KiB)
  o.groups = {NFNLGRP_NFTABLES};
  auto s = socket::open(o);
  NFACTOR_REQUIRE_OK(s);
  std::string script = "add table ip flood\nadd chain ip flood c\n";
  for (int i = 0; i < 200; ++i)
    script += "add rule ip flood c counter\n";
  netns.nft_script(script);
  std::vector<std::uint8_t> buf(default_recv_buffer);
  bool overrun = false;
  for (int i = 0; i < 1000 && !overrun; ++i) {
    auto r = s->recv(buf);
    NFACTOR_REQUIRE_OK(r);
    if (r->status == recv_status::overrun)
      overrun = true;
    else if (r->status == recv_status::would_block)
      break;
  }
  BOOST_TEST(overrun);
  // The socket keeps working after the overrun.
  netns.nft("add table ip after");
  auto ready = s->wait_readable(std::chrono::seconds(5));
  NFACTOR_REQUIRE_OK(ready);
  BOOST_TEST(*ready);
  auto r = s->recv(buf);
  NFACTOR_REQUIRE_OK(r);
  BOOST_TEST((r->status == recv_status::data));
}

BOOST_AUTO_TEST_SUITE_END()
