// SPDX-License-Identifier: Apache-2.0
// The queue listener actor with an owner that accepts every batch with one
// verdict, as a consumer for peer-bench's nfqueue_throughput.sh: binds
// queue Q in the current namespace, counts packets until none came for
// `-t` seconds (after the first), then prints one JSON line (packets, CPU
// per packet of the whole process, verdict messages, the kernel's view).
//
//   nfactor_queue_bench -q Q [-t SECONDS] [-n] (-n: batch verdicts off)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/queue_listener.hpp"
#include "nfactor/actors/system.hpp"

using namespace nfactor;

namespace {

std::atomic<std::uint64_t> packets{0};

actors::queue_owner::behavior_type accept_all(actors::queue_owner::pointer) {
  return {
      [](const actors::queue_started&) {},
      [](const actors::queue_batch& b) {
        packets += b.packets.size();
        return actors::queue_answer::all(nfqueue::verdict::accept());
      },
      [](const actors::queue_loss&) {},
  };
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

} // namespace

int main(int argc, char** argv) {
  actors::queue_listener_options o;
  int idle_s = 3;
  for (int c; (c = ::getopt(argc, argv, "q:t:n")) != -1;) {
    if (c == 'q')
      o.queue.queue = static_cast<std::uint32_t>(std::atoi(optarg));
    else if (c == 't')
      idle_s = std::atoi(optarg);
    else if (c == 'n')
      o.batch_verdicts = false;
    else
      return 2;
  }
  caf::actor_system_config cfg;
  actors::add_message_types(cfg);
  caf::actor_system sys{cfg};
  auto owner = sys.spawn(accept_all);
  auto l = actors::start_queue_listener(sys, owner, o);
  if (!l) {
    std::fprintf(stderr, "%s\n", actors::describe(l.error()).c_str());
    return 1;
  }
  using clock = std::chrono::steady_clock;
  std::uint64_t seen = 0;
  auto last = clock::now();
  clock::time_point first{}, end{};
  double cpu0 = cpu_seconds();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    auto n = packets.load();
    auto now = clock::now();
    if (n != seen) {
      if (seen == 0)
        first = now;
      seen = n;
      last = end = now;
    } else if (seen > 0 && now - last > std::chrono::seconds{idle_s}) {
      break;
    } else if (seen == 0 && now - last > std::chrono::seconds{60}) {
      break;
    }
  }
  double cpu = cpu_seconds() - cpu0;
  caf::scoped_actor self{sys};
  actors::queue_stats st;
  self->request(*l, std::chrono::seconds{5}, actors::stats_atom_v)
      .receive([&](const actors::queue_stats& s) { st = s; },
               [](const caf::error&) {});
  double secs = std::chrono::duration<double>(end - first).count();
  std::printf("{\"consumer\":\"nfactor-queue-actor\",\"batch_verdicts\":%s,"
              "\"packets\":%llu,\"seconds\":%.3f,\"pps\":%.0f,"
              "\"cpu_us_per_packet\":%.3f,\"verdict_messages\":%llu,"
              "\"batches\":%llu,\"queue_total\":%llu,\"queue_dropped\":%llu,"
              "\"user_dropped\":%llu}\n",
              o.batch_verdicts ? "true" : "false",
              static_cast<unsigned long long>(seen), secs,
              secs > 0 ? static_cast<double>(seen) / secs : 0.0,
              seen ? cpu * 1e6 / static_cast<double>(seen) : 0.0,
              static_cast<unsigned long long>(st.verdicts),
              static_cast<unsigned long long>(st.messages),
              static_cast<unsigned long long>(st.queue_total),
              static_cast<unsigned long long>(st.queue_dropped),
              static_cast<unsigned long long>(st.user_dropped));
  self->send(*l, actors::stop_atom_v);
  self->send_exit(owner, caf::exit_reason::user_shutdown);
  return 0;
}
