// SPDX-License-Identifier: Apache-2.0
// The queue listener actor with an owner that accepts every batch with one
// verdict, as a consumer for peer-bench's nfqueue_throughput.sh: binds
// queue Q in the current namespace, counts packets until none came for
// `-t` seconds (after the first), then prints one JSON line: packets,
// packets per second from the first to the last batch, CPU per packet of
// the whole process, verdict messages, the kernel's view, and the
// listener's verdict latency (median and p99 over every packet: from the
// listener reading it off the socket to its verdict going out).
//
// Where the owner runs:
//   (default)   in the listener's actor system
//   -r          in a second actor system of this process, with its own
//               middleman: published on 127.0.0.1, the listener's system
//               connects to it, and batches and answers cross BASP over
//               loopback TCP (plain, as nodes may on loopback)
//   -r -T DIR   the same over mutual TLS with the certificates of
//               scripts/node-test-certs DIR (node.* for the owner's side,
//               client.* for the listener's)
// Both systems run with the nodes' configuration (node::config: every
// nfactor message type, CAF's `sharing` scheduler), as do the apps.
//
//   nfactor_queue_bench -q Q [-t SECONDS] [-n] [-r [-T CERT_DIR]]
//   (-n: batch verdicts off)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/node/security.hpp"
#include "nfactor/actors/queue_listener.hpp"

using namespace nfactor;
namespace node = actors::node;

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

// A configuration for one side: plain TCP on loopback without
// certificates, or TLS with `certs`/`name`.{pem,key}.
bool prepare(node::config& cfg, const std::string& certs,
             const std::string& name) {
  if (certs.empty()) {
    cfg.insecure = true;
  } else {
    cfg.openssl_certificate = certs + "/" + name + ".pem";
    cfg.openssl_key = certs + "/" + name + ".key";
    cfg.openssl_cafile = certs + "/ca.pem";
  }
  if (auto ok = cfg.prepare_security("127.0.0.1"); !ok) {
    std::fprintf(stderr, "%s\n", ok.err().message().c_str());
    return false;
  }
  return true;
}

// Waits until packets have come and then none for `idle`; the first and
// last time the count moved.
std::pair<std::chrono::steady_clock::time_point,
          std::chrono::steady_clock::time_point>
await_idle(std::chrono::seconds idle) {
  using clock = std::chrono::steady_clock;
  std::uint64_t seen = 0;
  auto last = clock::now();
  clock::time_point first{}, end{};
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    auto n = packets.load();
    auto now = clock::now();
    if (n != seen) {
      if (seen == 0)
        first = now;
      seen = n;
      last = end = now;
    } else if (now - last > (seen > 0 ? idle : std::chrono::seconds{60})) {
      return {first, end};
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  actors::queue_listener_options o;
  int idle_s = 3;
  bool remote = false;
  std::string certs;
  for (int c; (c = ::getopt(argc, argv, "q:t:nrT:")) != -1;) {
    if (c == 'q')
      o.queue.queue = static_cast<std::uint32_t>(std::atoi(optarg));
    else if (c == 't')
      idle_s = std::atoi(optarg);
    else if (c == 'n')
      o.batch_verdicts = false;
    else if (c == 'r')
      remote = true;
    else if (c == 'T')
      certs = optarg;
    else
      return 2;
  }
  const char* mode = !remote         ? "local"
                     : certs.empty() ? "remote"
                                     : "remote-tls";
  node::config lcfg;
  node::config ocfg;
  if (remote &&
      !(prepare(lcfg, certs, "client") && prepare(ocfg, certs, "node")))
    return 2;
  caf::actor_system sys{lcfg};
  std::unique_ptr<caf::actor_system> owner_sys;
  actors::queue_owner owner;
  caf::actor owner_here; // to stop it on its own system
  if (!remote) {
    owner = sys.spawn(accept_all);
    owner_here = caf::actor_cast<caf::actor>(owner);
  } else {
    owner_sys = std::make_unique<caf::actor_system>(ocfg);
    auto spawned = owner_sys->spawn(accept_all);
    owner_here = caf::actor_cast<caf::actor>(spawned);
    auto port = node::publish(spawned, 0, "127.0.0.1", !certs.empty());
    if (!port) {
      std::fprintf(stderr, "publish: %s\n",
                   caf::to_string(port.error()).c_str());
      return 1;
    }
    auto proxy = node::connect<actors::queue_owner>(sys, "127.0.0.1", *port,
                                                    !certs.empty());
    if (!proxy) {
      std::fprintf(stderr, "connect: %s\n",
                   caf::to_string(proxy.error()).c_str());
      return 1;
    }
    owner = *proxy;
  }
  auto l = actors::start_queue_listener(sys, owner, o);
  if (!l) {
    std::fprintf(stderr, "%s\n", actors::describe(l.error()).c_str());
    return 1;
  }
  double cpu0 = cpu_seconds();
  auto [first, end] = await_idle(std::chrono::seconds{idle_s});
  double cpu = cpu_seconds() - cpu0;
  auto seen = packets.load();
  caf::scoped_actor self{sys};
  actors::queue_stats st;
  self->request(*l, std::chrono::seconds{5}, actors::stats_atom_v)
      .receive([&](const actors::queue_stats& s) { st = s; },
               [](const caf::error&) {});
  double secs = std::chrono::duration<double>(end - first).count();
  std::printf("{\"consumer\":\"nfactor-queue-actor\",\"owner\":\"%s\","
              "\"batch_verdicts\":%s,\"packets\":%llu,\"seconds\":%.3f,"
              "\"pps\":%.0f,\"cpu_us_per_packet\":%.3f,"
              "\"verdict_messages\":%llu,\"batches\":%llu,"
              "\"latency_p50_us\":%lld,\"latency_p99_us\":%lld,"
              "\"latency_samples\":%llu,\"timed_out\":%llu,"
              "\"queue_total\":%llu,\"queue_dropped\":%llu,"
              "\"user_dropped\":%llu}\n",
              mode, o.batch_verdicts ? "true" : "false",
              static_cast<unsigned long long>(seen), secs,
              secs > 0 ? static_cast<double>(seen) / secs : 0.0,
              seen ? cpu * 1e6 / static_cast<double>(seen) : 0.0,
              static_cast<unsigned long long>(st.verdicts),
              static_cast<unsigned long long>(st.messages),
              static_cast<long long>(st.verdict_latency.quantile(0.5).count()),
              static_cast<long long>(st.verdict_latency.quantile(0.99).count()),
              static_cast<unsigned long long>(st.verdict_latency.total()),
              static_cast<unsigned long long>(st.timed_out),
              static_cast<unsigned long long>(st.queue_total),
              static_cast<unsigned long long>(st.queue_dropped),
              static_cast<unsigned long long>(st.user_dropped));
  std::fflush(stdout);
  self->send(*l, actors::stop_atom_v);
  caf::anon_send_exit(owner_here, caf::exit_reason::user_shutdown);
  owner_sys.reset();
  return 0;
}
