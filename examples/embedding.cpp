// SPDX-License-Identifier: Apache-2.0
// Embedding nfactor in a CAF application: the application's own actor owns
// a child that a supervisor restarts when it fails and lets go when the
// owner goes away. README.md shows this file verbatim; ctest builds and
// runs it (actors.example_embedding) and checks the README copy.
#include <cerrno>
#include <chrono>
#include <iostream>

#include <caf/all.hpp>

#include <nfactor/actors/error.hpp>
#include <nfactor/actors/sup/failure.hpp>
#include <nfactor/actors/sup/owner.hpp>
#include <nfactor/actors/sup/supervisor.hpp>
#include <nfactor/actors/system.hpp>

namespace sup = nfactor::actors::sup;
using namespace std::chrono_literals;
using fault_atom = caf::atom_constant<caf::atom("fault")>;
constexpr fault_atom fault_atom_v{};

// A child keeping nfactor's contract, as the socket actors do: it stops
// normally when its owner goes down and fails with the real cause.
caf::behavior worker(caf::event_based_actor* self, caf::actor owner) {
  self->set_exception_handler(sup::keep_cause);
  sup::stop_with_owner(self, owner);
  return {[=](fault_atom) {
    sup::fail_with(self, nfactor::make_error(nfactor::errno_code(EBADF), "recv",
                                             "fd closed under me"));
  }};
}

int main() {
  caf::actor_system_config cfg;
  nfactor::actors::add_message_types(cfg); // every nfactor message type
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  // The application's actor that the worker serves.
  auto owner = sys.spawn(
      [](const std::string& prefix) -> caf::behavior {
        return {[=](const std::string& event) {
          std::cout << prefix << event;
        }};
      },
      std::string{"app: "});

  sup::options opts;
  opts.max_restarts = 3; // at most 3 restarts ...
  opts.window = 10s;     // ... in 10 s
  opts.backoff = 10ms;   // wait before each restart
  opts.observer = caf::actor{self};
  auto s = sup::spawn_supervisor(
      sys, opts, {sup::child("worker", [owner](caf::actor_system& sys) {
        return sys.spawn(worker, owner); // same config on every restart
      })});

  bool ok = true;
  auto next = [&] { // the supervisor reports every state change
    sup::child_info x;
    self->receive([&](const sup::child_info& y) { x = y; },
                  caf::after(10s) >> [&] { ok = false; });
    std::cout << x.name << ": " << to_string(x.state) << ", restarts "
              << x.restarts;
    if (x.last_reason)
      std::cout << ", last reason: " << sup::describe(x.last_reason);
    std::cout << '\n';
    return x;
  };

  auto first = next(); // worker: running
  self->send(first.handle, fault_atom_v);
  next(); // worker: restarting (the real cause)
  next(); // worker: running again
  self->send_exit(owner, caf::exit_reason::user_shutdown);
  auto last = next(); // worker: stopped, not restarted
  ok = ok && last.state == sup::child_state::stopped &&
       sup::is_normal_exit(last.last_reason);

  self->send_exit(s, caf::exit_reason::user_shutdown);
  return ok ? 0 : 1;
}
