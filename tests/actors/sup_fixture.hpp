// SPDX-License-Identifier: Apache-2.0
// Shared by the supervision tests: an actor system with nfactor's types, a
// scoped actor that observes a supervisor's state changes, and a printer so
// BOOST_TEST can show a child's state. Every wait is for a message; `patience`
// only bounds a broken test.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <sstream>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include "actor_system_fixture.hpp"
#include "netns_fixture.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/system.hpp"

namespace nfactor::actors::sup {
inline std::ostream& boost_test_print_type(std::ostream& os, child_state s) {
  return os << to_string(s);
}
} // namespace nfactor::actors::sup

namespace nfactor::test {

/// Bounds a wait in a broken test; never a timing check.
inline constexpr auto patience = std::chrono::seconds{10};

/// Bound NFLOG groups → owner port id, from the namespace's
/// /proc/net/netfilter/nfnetlink_log (the kernel's own account).
inline std::map<unsigned, std::uint32_t> nflog_groups(const scratch_netns& n) {
  auto out = n.exec("cat /proc/net/netfilter/nfnetlink_log");
  BOOST_REQUIRE_MESSAGE(out.status == 0, out.output);
  std::map<unsigned, std::uint32_t> groups;
  std::istringstream in{out.output};
  unsigned group = 0;
  std::uint32_t portid = 0;
  std::string rest;
  while (in >> group >> portid && std::getline(in, rest))
    groups[group] = portid;
  return groups;
}

/// Fault injection without a hook in the actor: replaces this process's
/// first NETLINK_NETFILTER socket whose address matches `which` with
/// /dev/null (dup2), as a stray close would. The kernel releases what the
/// socket held (groups, subscriptions); the owner's next recv fails with
/// ENOTSOCK. True if a socket was replaced.
inline bool
replace_netfilter_socket(const std::function<bool(const sockaddr_nl&)>& which) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir)
    return false;
  int target = -1;
  while (auto* ent = ::readdir(dir)) {
    int fd = std::atoi(ent->d_name);
    if (fd <= 2 || fd == ::dirfd(dir))
      continue;
    int domain = 0, proto = 0;
    socklen_t len = sizeof(int);
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
        domain != AF_NETLINK)
      continue;
    len = sizeof(int);
    if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0 ||
        proto != NETLINK_NETFILTER)
      continue;
    sockaddr_nl nl{};
    socklen_t alen = sizeof(nl);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&nl), &alen) == 0 &&
        which(nl)) {
      target = fd;
      break;
    }
  }
  ::closedir(dir);
  if (target < 0)
    return false;
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  bool ok = null >= 0 && ::dup2(null, target) == target;
  if (null >= 0)
    ::close(null);
  return ok;
}

/// An actor system with nfactor's message types and a scoped actor that
/// observes supervisors.
struct sup_fixture : actor_system_fixture {
  caf::scoped_actor self;

  sup_fixture() : self(sys) {}

  /// `o` with this test's scoped actor as the observer.
  actors::sup::options observed(actors::sup::options o = {}) {
    o.observer = caf::actor{self};
    return o;
  }

  /// An owner that does nothing but exist. (Function-based actors get an
  /// argument here: for none, CAF 0.17.6 dereferences a null argument
  /// tuple, which UBSan reports.)
  caf::actor spawn_owner() {
    return sys.spawn(
        [](caf::event_based_actor*, const std::string&) -> caf::behavior {
          return {[](const std::string&) {
          }};
        },
        std::string{"owner"});
  }

  /// The next state change a supervisor reports.
  actors::sup::child_info next_event() {
    actors::sup::child_info out;
    self->receive([&](const actors::sup::child_info& x) { out = x; },
                  caf::after(patience) >>
                      [] { BOOST_FAIL("no state change within patience"); });
    return out;
  }

  /// Skips reports until `name` is in state `st`.
  actors::sup::child_info await(const std::string& name,
                                actors::sup::child_state st) {
    for (;;) {
      auto x = next_event();
      if (x.name == name && x.state == st)
        return x;
    }
  }

  /// Asks `s` about child `name`.
  actors::sup::child_info whereis(const actors::sup::supervisor& s,
                                  const std::string& name) {
    actors::sup::child_info out;
    self->request(s, patience, actors::sup::whereis_atom_v, name)
        .receive([&](const actors::sup::child_info& x) { out = x; },
                 [](const caf::error& e) {
                   BOOST_FAIL("whereis failed: " << caf::to_string(e));
                 });
    return out;
  }

  /// Waits for the monitored `s` to go down (skipping state reports);
  /// returns its exit reason.
  caf::error await_down(const actors::sup::supervisor& s) {
    caf::error reason;
    bool seen = false;
    while (!seen)
      self->receive(
          [&](caf::down_msg& dm) {
            if (dm.source == caf::actor_cast<caf::actor_addr>(s)) {
              reason = std::move(dm.reason);
              seen = true;
            }
          },
          [](const actors::sup::child_info&) {},
          caf::after(patience) >>
              [] { BOOST_FAIL("supervisor did not stop within patience"); });
    return reason;
  }
};

} // namespace nfactor::test
