// SPDX-License-Identifier: Apache-2.0
// nfactor_nflog_bench: an owner actor that receives every NFLOG event of a
// group through the log listener actor, fully decoded, and counts them.
// Prints one JSON line in the format peer-bench's nflog_throughput.sh reads
// ("events", "enobufs"). Its CPU figures are named process_cpu_* (whole
// life, CAF start-up included), so the script measures the process's CPU
// over the traffic window from /proc/PID/stat instead (listener thread,
// owner and CAF's scheduler threads together); listener_cpu_s is the
// listener thread alone.
//
// Usage: nfactor_nflog_bench [-g GROUP] [-b RCVBUF] [-q QTHRESH]
//                            [-B NLBUFSIZ] [-i IDLE_MS] [-M MAX_S] [-d]
//   -d  spawn the owner detached (its own thread, blocking on its mailbox)
//       instead of on CAF's work-stealing scheduler, whose idle workers
//       poll with 50 us naps between bursts of batches.
//   -t  CAF scheduler threads (scheduler.max-threads; default: CAF's).
//   -m  keep glibc's default malloc trimming. By default the bench raises
//       M_TRIM_THRESHOLD and M_MMAP_THRESHOLD (mallopt), as a high-rate
//       logger should: events are allocated on the listener's thread and
//       freed on the owner's, and with the defaults glibc hands the memory
//       back to the kernel and faults it in again, batch after batch.
// Stops on SIGINT/SIGTERM, or IDLE_MS after the last event once events
// have been seen, or after MAX_S seconds.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "app_common.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/log_listener.hpp"
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
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> payload_bytes{0};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> losses{0};
  // Steady-clock nanoseconds of the first and the last batch.
  std::atomic<std::int64_t> first_ns{0};
  std::atomic<std::int64_t> last_ns{0};
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

log_batch_owner::behavior_type counting_owner(log_batch_owner::pointer,
                                              tally* t) {
  return {
      [](log_started&) {},
      [t](log_batch& b) {
        std::uint64_t bytes = 0;
        for (const auto& e : b.events)
          if (e.payload)
            bytes += e.payload->size();
        t->events.fetch_add(b.events.size(), std::memory_order_relaxed);
        t->payload_bytes.fetch_add(bytes, std::memory_order_relaxed);
        t->batches.fetch_add(1, std::memory_order_relaxed);
        auto now = now_ns();
        if (t->first_ns.load(std::memory_order_relaxed) == 0)
          t->first_ns.store(now, std::memory_order_relaxed);
        t->last_ns.store(now, std::memory_order_relaxed);
      },
      [t](log_loss& l) {
        t->losses.fetch_add(l.overruns, std::memory_order_relaxed);
      },
  };
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
}

} // namespace

int main(int argc, char** argv) {
  log_listener_options o;
  o.nflog.group = 5;
  o.nflog.mode = nflog::copy_mode::packet;
  int idle_ms = 1000, max_s = 300, opt;
  bool detached = false;
  int threads = 0;
  bool keep_malloc_defaults = false;
  while ((opt = ::getopt(argc, argv, "g:b:q:B:i:M:dt:m")) != -1) {
    switch (opt) {
    case 'g':
      o.nflog.group = static_cast<std::uint16_t>(std::atoi(optarg));
      break;
    case 'b':
      o.nflog.rcvbuf = std::atoi(optarg);
      break;
    case 'q':
      o.nflog.qthresh = static_cast<std::uint32_t>(std::atoi(optarg));
      break;
    case 'B':
      o.nflog.nlbufsiz = static_cast<std::uint32_t>(std::atoi(optarg));
      break;
    case 'i':
      idle_ms = std::atoi(optarg);
      break;
    case 'M':
      max_s = std::atoi(optarg);
      break;
    case 'd':
      detached = true;
      break;
    case 't':
      threads = std::atoi(optarg);
      break;
    case 'm':
      keep_malloc_defaults = true;
      break;
    default:
      std::fprintf(
          stderr,
          "usage: %s [-g G] [-b RCVBUF] [-q QTHRESH] "
          "[-B NLBUFSIZ] [-i IDLE_MS] [-M MAX_S] [-d] [-t THREADS] [-m]\n",
          argv[0]);
      return 2;
    }
  }
  if (!keep_malloc_defaults)
    app::keep_heap();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  caf::actor_system_config cfg;
  add_message_types(cfg);
  if (threads > 0)
    cfg.set("scheduler.max-threads", threads);
  caf::actor_system sys{cfg};
  tally t;
  auto owner = detached ? sys.spawn<caf::detached>(counting_owner, &t)
                        : sys.spawn(counting_owner, &t);
  auto l = start_log_listener(sys, owner, o);
  if (!l) {
    std::fprintf(stderr, "nfactor_nflog_bench: %s\n",
                 describe(l.error()).c_str());
    caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::fprintf(stderr, "nfactor_nflog_bench: bound group %u\n", o.nflog.group);

  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  auto last_change = start;
  std::uint64_t last = 0;
  while (!stop_requested) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    auto now = clock::now();
    auto seen = t.events.load();
    if (seen != last) {
      last = seen;
      last_change = now;
    } else if (seen > 0 &&
               now - last_change > std::chrono::milliseconds{idle_ms}) {
      break;
    }
    if (now - start > std::chrono::seconds{max_s})
      break;
  }

  log_stats s;
  {
    caf::scoped_actor self{sys};
    self->request(*l, std::chrono::seconds{10}, stats_atom_v)
        .receive([&](const log_stats& x) { s = x; },
                 [&](caf::error& e) {
                   std::fprintf(stderr, "stats: %s\n", describe(e).c_str());
                 });
    self->request(*l, std::chrono::seconds{10}, stop_atom_v)
        .receive([] {}, [](caf::error&) {});
  }
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto events = t.events.load();
  double active_s = static_cast<double>(t.last_ns - t.first_ns) / 1e9;
  double owner_eps = active_s > 0 ? static_cast<double>(events) / active_s : 0;
  std::printf("{\"tool\":\"nfactor_nflog_bench\",\"owner\":\"%s\","
              "\"malloc\":\"%s\",\"group\":%u,"
              "\"qthresh\":%u,"
              "\"nlbufsiz\":%u,\"rcvbuf\":%d,\"events\":%llu,\"received\":%llu,"
              "\"lost\":%llu,\"enobufs\":%llu,\"decode_errors\":%llu,"
              "\"datagrams\":%llu,\"batches\":%llu,\"payload_bytes\":%llu,"
              "\"active_s\":%.6f,\"owner_events_per_s\":%.0f,"
              "\"listener_cpu_s\":%.3f,\"process_cpu_user_s\":%.3f,\"process_"
              "cpu_sys_s\":%.3f}\n",
              detached ? "detached" : "scheduled",
              keep_malloc_defaults ? "default" : "tuned", o.nflog.group,
              o.nflog.qthresh, o.nflog.nlbufsiz, s.common.rcvbuf.value_or(0),
              static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(s.common.received),
              static_cast<unsigned long long>(s.common.lost),
              static_cast<unsigned long long>(s.common.enobufs),
              static_cast<unsigned long long>(s.decode_errors),
              static_cast<unsigned long long>(s.datagrams),
              static_cast<unsigned long long>(t.batches.load()),
              static_cast<unsigned long long>(t.payload_bytes.load()), active_s,
              owner_eps, static_cast<double>(s.cpu_us) / 1e6,
              seconds(ru.ru_utime), seconds(ru.ru_stime));
  std::fprintf(stderr,
               "nfactor_nflog_bench: %llu events delivered in %llu batches, "
               "%llu lost, %llu ENOBUFS, listener thread cpu %.3fs\n",
               static_cast<unsigned long long>(events),
               static_cast<unsigned long long>(t.batches.load()),
               static_cast<unsigned long long>(s.common.lost),
               static_cast<unsigned long long>(s.common.enobufs),
               static_cast<double>(s.cpu_us) / 1e6);
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  return 0;
}
