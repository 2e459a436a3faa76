// SPDX-License-Identifier: Apache-2.0
// nfactor_ct_bench: the conntrack monitor actor with an owner that counts
// the events of each batch by type (fully decoded `ct::event`s, as every
// owner gets them). On SIGINT/SIGTERM prints one JSON line:
// {"new","update","destroy","resyncs","dropped","enobufs","batches",
// "datagrams"}; the CPU is measured by run.sh from /proc (the whole
// process: monitor thread, owner and CAF's threads).
//
// Usage: nfactor_ct_bench [-b RCVBUF] [-u] [-s] [-d]
//   -b event socket receive buffer (default 8 MiB, the monitor's default)
//   -u also UPDATE events
//   -s auto-resync on loss (default off here: the bench counts the events
//      themselves, not snapshots)
//   -d spawn the owner detached (default: on CAF's scheduler, the
//      `sharing` policy of the apps, whose workers sleep until there is
//      work)
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <unistd.h>

#include <caf/all.hpp>

#include "app_common.hpp"
#include "nfactor/actors/conntrack.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/system.hpp"

using namespace nfactor;
using namespace nfactor::actors;

namespace {

std::atomic<bool> stop_requested{false};

void on_signal(int) {
  stop_requested = true;
}

// What the owner saw; written by the owner only, read at the end.
struct tally {
  std::atomic<std::uint64_t> by_kind[3] = {};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> resyncs{0};
};

ct_owner::behavior_type counting_owner(ct_owner::pointer, tally* t) {
  return {
      [](ct_started&) {},
      [](ct_snapshot&) {},
      [t](ct_batch& b) {
        std::uint64_t n[3] = {};
        for (const auto& ev : b.events) {
          auto k = static_cast<std::size_t>(ev.kind);
          if (k < 3)
            ++n[k];
        }
        for (std::size_t k = 0; k < 3; ++k)
          t->by_kind[k].fetch_add(n[k], std::memory_order_relaxed);
        t->batches.fetch_add(1, std::memory_order_relaxed);
      },
      [](ct_exp_batch&) {}, // expectation groups are not joined
      [t](ct_resync_needed&) {
        t->resyncs.fetch_add(1, std::memory_order_relaxed);
      },
  };
}

} // namespace

int main(int argc, char** argv) {
  conntrack_monitor_options o;
  o.auto_resync = false;
  bool detached = false;
  for (int opt; (opt = ::getopt(argc, argv, "b:usd")) != -1;) {
    switch (opt) {
    case 'b':
      o.rcvbuf = std::atoi(optarg);
      break;
    case 'u':
      o.groups.updated = true;
      break;
    case 's':
      o.auto_resync = true;
      break;
    case 'd':
      detached = true;
      break;
    default:
      std::fprintf(stderr, "usage: %s [-b RCVBUF] [-u] [-s] [-d]\n", argv[0]);
      return 2;
    }
  }
  app::keep_heap();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  app::config cfg; // the apps' configuration: the `sharing` scheduler
  caf::actor_system sys{cfg};
  tally t;
  auto owner = detached ? sys.spawn<caf::detached>(counting_owner, &t)
                        : sys.spawn(counting_owner, &t);
  auto m = start_conntrack_monitor(sys, owner, o);
  if (!m) {
    std::fprintf(stderr, "nfactor_ct_bench: %s\n", describe(m.error()).c_str());
    caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::fprintf(stderr, "nfactor_ct_bench: listening\n");
  while (!stop_requested)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  ct_monitor_stats s;
  {
    caf::scoped_actor self{sys};
    self->request(*m, std::chrono::seconds{10}, stats_atom_v)
        .receive([&](const ct_monitor_stats& x) { s = x; },
                 [&](caf::error& e) {
                   std::fprintf(stderr, "stats: %s\n", describe(e).c_str());
                 });
    self->request(*m, std::chrono::seconds{10}, stop_atom_v)
        .receive([] {}, [](caf::error&) {});
  }
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  std::printf("{\"new\":%llu,\"update\":%llu,\"destroy\":%llu,\"resyncs\":%llu,"
              "\"dropped\":%llu,\"enobufs\":%llu,\"batches\":%llu,"
              "\"datagrams\":%llu}\n",
              static_cast<unsigned long long>(t.by_kind[0].load()),
              static_cast<unsigned long long>(t.by_kind[1].load()),
              static_cast<unsigned long long>(t.by_kind[2].load()),
              static_cast<unsigned long long>(t.resyncs.load()),
              static_cast<unsigned long long>(s.dropped),
              static_cast<unsigned long long>(s.common.enobufs),
              static_cast<unsigned long long>(t.batches.load()),
              static_cast<unsigned long long>(s.datagrams));
  std::fflush(stdout);
  return 0;
}
