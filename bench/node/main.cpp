// SPDX-License-Identifier: Apache-2.0
// NFLOG events per second and loss, locally and across nodes. Run by
// bench/node/run.sh inside a private namespace (through the peer-bench
// harness, which sends the traffic); prints one JSON line on SIGINT.
//
//   --mode=local  a log listener and a counting owner (one actor system)
//   --mode=node   a node and a client session, each in its own actor
//                 system of this process, joined by BASP over mutual TLS
//                 on 127.0.0.1 (--certs=DIR from scripts/node-test-certs)
//
// Both modes end in a handler that gets decoded `log_event`s (the local
// owner from its listener; across nodes the session, which decodes what
// the node shipped). The CPU figure is getrusage(RUSAGE_SELF) at the end:
// every thread of the process — listener, node, both middlemen (BASP and
// TLS, both directions), session, schedulers — for its whole life,
// start-up and TLS handshake included; the traffic generator and the
// kernel's NFLOG work for the sender are not in it (the same in both
// modes).
// GCC 12 reports a false -Wmaybe-uninitialized for the constant
// initializer of nflog::options::families when inlined into main.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include <pthread.h>
#include <sys/resource.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/log_listener.hpp"
#include "nfactor/actors/node/client.hpp"
#include "nfactor/actors/node/node.hpp"

namespace node = nfactor::actors::node;
using nfactor::actors::log_batch;
using nfactor::actors::log_loss;
using nfactor::actors::log_started;

namespace {

class bench_config : public node::config {
 public:
  std::string mode = "node";
  std::uint16_t group = 5;
  std::string certs;
  std::uint32_t in_flight = 8;
  std::size_t max_batch = 1024;
  std::uint64_t max_held = 0;

  bench_config() {
    opt_group{custom_options_, "global"}
        .add(mode, "mode", "local or node")
        .add(group, "group,g", "NFLOG group")
        .add(certs, "certs", "directory made by scripts/node-test-certs")
        .add(in_flight, "in-flight", "batches in flight per subscription")
        .add(max_batch, "max-batch", "most events per batch")
        .add(max_held, "max-held",
             "events held per subscription without credit (node default "
             "if 0)");
  }
};

struct counters {
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> overruns{0};
  std::atomic<std::uint64_t> kernel_lost{0};
  std::atomic<std::uint64_t> node_dropped{0};
};

// The local owner: counts and acknowledges.
nfactor::actors::log_batch_owner::behavior_type
counting_owner(nfactor::actors::log_batch_owner::pointer, counters* c) {
  return {
      [](log_started&) {},
      [c](log_batch& b) {
        c->events += b.events.size();
        ++c->batches;
      },
      [c](log_loss& l) {
        c->overruns += l.overruns;
        c->kernel_lost += l.lost;
      },
  };
}

double cpu_seconds(long sec, long usec) {
  return static_cast<double>(sec) + static_cast<double>(usec) / 1e6;
}

} // namespace

int main(int argc, char** argv) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  bench_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::fprintf(stderr, "nfactor-bench-node: %s\n", cfg.render(err).c_str());
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  bool across = cfg.mode == "node";
  if (across && !cfg.insecure) {
    cfg.openssl_certificate = cfg.certs + "/node.pem";
    cfg.openssl_key = cfg.certs + "/node.key";
    cfg.openssl_cafile = cfg.certs + "/ca.pem";
  }
  if (auto ok =
          across ? cfg.prepare_security("127.0.0.1") : nfactor::result<void>{};
      !ok) {
    std::fprintf(stderr, "nfactor-bench-node: %s\n",
                 ok.err().message().c_str());
    return 2;
  }
  bool tls = cfg.security().tls();
  nfactor::actors::log_listener_options lopts;
  lopts.nflog.group = cfg.group;
  lopts.nflog.mode = nfactor::nflog::copy_mode::packet;
  lopts.max_batch = cfg.max_batch;
  counters c;
  {
    caf::actor_system sys{cfg};
    // The client side gets its own actor system (its own middleman), as a
    // collector on another host would; certificates of the client.
    node::config ccfg;
    std::unique_ptr<caf::actor_system> csys;
    std::vector<caf::actor_addr> to_stop;
    if (!across) {
      auto owner = sys.spawn(counting_owner, &c);
      auto l = nfactor::actors::start_log_listener(sys, owner, lopts);
      if (!l) {
        std::fprintf(stderr, "listener: %s\n",
                     nfactor::actors::describe(l.error()).c_str());
        return 1;
      }
      to_stop.push_back(owner.address());
    } else {
      node::node_options nopts;
      nopts.name = "bench";
      nopts.groups = {cfg.group};
      nopts.log = lopts;
      nopts.default_in_flight = cfg.in_flight;
      nopts.max_in_flight = std::max<std::uint32_t>(cfg.in_flight, 64);
      if (cfg.max_held > 0)
        nopts.max_held_events = cfg.max_held;
      auto n = node::spawn_node(sys, nopts);
      if (!n) {
        std::fprintf(stderr, "node: %s\n",
                     nfactor::actors::describe(n.error()).c_str());
        return 1;
      }
      to_stop.push_back(n->address());
      auto port = node::publish(*n, 0, "127.0.0.1", tls);
      if (!port) {
        std::fprintf(stderr, "publish: %s\n",
                     caf::to_string(port.error()).c_str());
        return 1;
      }
      if (tls) {
        ccfg.openssl_certificate = cfg.certs + "/client.pem";
        ccfg.openssl_key = cfg.certs + "/client.key";
        ccfg.openssl_cafile = cfg.certs + "/ca.pem";
      } else {
        ccfg.insecure = true;
      }
      // The collector's system runs with the same scheduler and middleman
      // settings as the node's (`--scheduler.*`, `--middleman.*`,
      // `--work-stealing.*` on the command line).
      for (const char* section : {"scheduler", "middleman", "work-stealing"})
        if (auto i = cfg.content.find(section); i != cfg.content.end())
          ccfg.content[section] = i->second;
      if (auto ok = ccfg.prepare_security("127.0.0.1"); !ok) {
        std::fprintf(stderr, "client: %s\n", ok.err().message().c_str());
        return 2;
      }
      csys = std::make_unique<caf::actor_system>(ccfg);
      node::session_options so;
      so.where = {"127.0.0.1", *port};
      so.tls = tls;
      so.groups = {cfg.group};
      so.max_in_flight = cfg.in_flight;
      node::session_handler h;
      h.batch = [&c](const node::node_caps&, log_batch& b) {
        c.events += b.events.size();
        ++c.batches;
      };
      h.kernel_loss = [&c](const node::node_caps&, const log_loss& l) {
        c.overruns += l.overruns;
        c.kernel_lost += l.lost;
      };
      h.network_loss = [&c](const node::node_caps&, const node::node_loss& l) {
        c.node_dropped += l.events;
      };
      h.trouble = [](const node::endpoint& ep, const caf::error& e) {
        std::fprintf(stderr, "%s: %s\n", ep.to_string().c_str(),
                     nfactor::actors::describe(e).c_str());
      };
      auto s = node::spawn_session(*csys, so, h);
      to_stop.push_back(s.address());
    }
    int sig = 0;
    sigwait(&stop, &sig);
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    // Events dropped by the node but never reported (the notice waits for
    // the next batch that goes out) are not in node_dropped.
    std::printf("{\"mode\":\"%s\",\"tls\":%s,\"events\":%llu,"
                "\"batches\":%llu,\"enobufs\":%llu,\"kernel_lost\":%llu,"
                "\"node_dropped\":%llu,\"cpu_user_s\":%.3f,"
                "\"cpu_sys_s\":%.3f,\"max_rss_kib\":%ld}\n",
                cfg.mode.c_str(), tls ? "true" : "false",
                static_cast<unsigned long long>(c.events.load()),
                static_cast<unsigned long long>(c.batches.load()),
                static_cast<unsigned long long>(c.overruns.load()),
                static_cast<unsigned long long>(c.kernel_lost.load()),
                static_cast<unsigned long long>(c.node_dropped.load()),
                cpu_seconds(ru.ru_utime.tv_sec, ru.ru_utime.tv_usec),
                cpu_seconds(ru.ru_stime.tv_sec, ru.ru_stime.tv_usec),
                ru.ru_maxrss);
    std::fflush(stdout);
    for (auto& a : to_stop)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    csys.reset();
  }
  return 0;
}
