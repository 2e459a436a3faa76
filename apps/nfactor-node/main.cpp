// SPDX-License-Identifier: Apache-2.0
// nfactor-node: publishes this host's netfilter actors (NFLOG groups, on
// demand) to remote clients over mutual TLS, until SIGINT or SIGTERM.
//
//   nfactor-node --group=5,6 --port=4242 --bind=10.0.0.1
//     --openssl.certificate=node.pem --openssl.key=node.key
//     --openssl.cafile=ca.pem
//   nfactor-node --group=5 --bind=127.0.0.1 --insecure
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pthread.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "metrics.hpp"
#include "node_app.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/node/node.hpp"
#include "nfactor/actors/node/security.hpp"

namespace node = nfactor::actors::node;

namespace {

class node_config : public node::config {
 public:
  std::uint16_t port = 4242;
  std::string bind;
  std::string groups;
  std::string netns;
  std::string name;
  std::string copy = "meta";
  std::uint32_t copy_range = 0;
  std::uint32_t default_in_flight = 32;
  std::uint32_t max_in_flight = 256;
  std::size_t max_batch = 1024;
  bool ruleset = true;
  std::string metrics;

  node_config() {
    opt_group{custom_options_, "global"}
        .add(port, "port,p", "TCP port to listen on (0: any free port)")
        .add(bind, "bind,b", "address to listen on (default: every interface)")
        .add(groups, "group,g", "NFLOG groups offered, e.g. 5 or 5,6")
        .add(netns, "netns",
             "network namespace (/run/netns/NAME) whose packets to log")
        .add(name, "name", "node name reported to clients (default: host)")
        .add(copy, "copy", "NFLOG copy mode: none, meta or packet")
        .add(copy_range, "copy-range",
             "payload bytes per event with --copy=packet (0: all)")
        .add(default_in_flight, "in-flight",
             "unanswered batches per subscriber by default")
        .add(max_in_flight, "max-in-flight",
             "most unanswered batches a subscriber may ask for")
        .add(max_batch, "max-batch", "most events per batch")
        .add(ruleset, "ruleset",
             "offer ruleset changes and snapshots (default true; "
             "--ruleset=false to turn off)")
        .add(metrics, "metrics", nfactor::app::metrics::option_help);
  }
};

nfactor::result<node::node_options> make_options(const node_config& cfg) {
  node::node_options o;
  auto groups = nfactor::app::parse_groups(cfg.groups);
  if (!groups)
    return groups.err();
  o.groups = *groups;
  if (cfg.name.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    o.name = host;
  } else {
    o.name = cfg.name;
  }
  o.netns_name = cfg.netns;
  if (!cfg.netns.empty()) {
    o.log.nflog.ns = nfactor::sys::netns::named(cfg.netns);
    o.monitor.ns = o.log.nflog.ns;
    o.tx.ns = o.log.nflog.ns;
  }
  o.ruleset = cfg.ruleset;
  if (cfg.copy == "none")
    o.log.nflog.mode = nfactor::nflog::copy_mode::none;
  else if (cfg.copy == "meta")
    o.log.nflog.mode = nfactor::nflog::copy_mode::meta;
  else if (cfg.copy == "packet")
    o.log.nflog.mode = nfactor::nflog::copy_mode::packet;
  else
    return nfactor::make_error(nfactor::errc::invalid_argument, "--copy",
                               "'" + cfg.copy + "': want none, meta or packet");
  o.log.nflog.copy_range = cfg.copy_range;
  o.log.max_batch = cfg.max_batch;
  o.default_in_flight = cfg.default_in_flight;
  o.max_in_flight = cfg.max_in_flight;
  if (auto ok = o.validate(); !ok)
    return ok.err();
  return o;
}

/// The metrics page: per subscription what the node sent and shed, the
/// node's kernel-side losses and restarts, and the process's.
std::string metrics_page(caf::actor_system& sys, const node::node_actor& n) {
  namespace m = nfactor::app::metrics;
  caf::scoped_actor self{sys};
  m::exposition page;
  self->request(n, std::chrono::seconds(2), nfactor::actors::stats_atom_v)
      .receive(
          [&](const node::node_stats& s) {
            for (const auto& sub : s.subscriptions) {
              m::labels l{{"source", sub.source},
                          {"subscription", std::to_string(sub.id)}};
              page.counter("nfactor_delivered_total",
                           "Events sent to the subscriber.", l,
                           static_cast<double>(sub.events_sent));
              page.counter("nfactor_lost_total",
                           "Events shed at the node (subscriber too slow).", l,
                           static_cast<double>(sub.events_dropped));
              m::add_in_flight(page, l, sub.in_flight);
            }
            for (auto g : s.bound_groups)
              page.gauge("nfactor_node_group_bound",
                         "NFLOG groups bound now (1 per group).",
                         {{"group", std::to_string(g)}}, 1);
            page.counter("nfactor_enobufs_total",
                         "Receive buffer overflow episodes of the node's "
                         "listeners.",
                         {}, static_cast<double>(s.kernel_overruns));
            page.counter("nfactor_restarts_total",
                         "Restarts of the node's listeners, monitor and "
                         "transactor.",
                         {}, static_cast<double>(s.restarts));
          },
          [](const caf::error&) {});
  m::add_process(page);
  return page.text();
}

// Prints what the node reports (restarts, supervisors that gave up): the
// node is library code and prints nothing itself.
// (It takes the program's name: CAF 0.17.6 dereferences a null argument
// tuple when a function-based actor is spawned without arguments.)
caf::behavior print_reports(caf::event_based_actor*, std::string program) {
  return {
      [program](const node::node_report& r) {
        std::fprintf(stderr, "%s: %s\n", program.c_str(), to_string(r).c_str());
      },
  };
}

} // namespace

int main(int argc, char** argv) {
  // Every thread (CAF's included) inherits the mask; main waits for them.
  auto stop_signals = nfactor::app::block_signals({SIGINT, SIGTERM});

  node_config cfg;
  if (auto code = nfactor::app::parse_config(cfg, argc, argv, "nfactor-node"))
    return *code;
  auto metrics_at = nfactor::app::metrics::parse_option(cfg.metrics);
  if (!metrics_at) {
    std::fprintf(stderr, "nfactor-node: %s\n",
                 metrics_at.err().message().c_str());
    return 2;
  }
  auto opts = make_options(cfg);
  if (!opts) {
    std::fprintf(stderr, "nfactor-node: %s\n", opts.err().message().c_str());
    return 2;
  }
  if (auto ok = cfg.prepare_security(cfg.bind); !ok) {
    std::fprintf(stderr, "nfactor-node: %s\n", ok.err().message().c_str());
    return 2;
  }
  bool tls = cfg.security().tls();
  caf::actor_system sys{cfg};
  auto reports = sys.spawn(print_reports, std::string{"nfactor-node"});
  opts->observer = reports;
  auto stop_reports = [&] {
    caf::anon_send_exit(reports, caf::exit_reason::user_shutdown);
  };
  auto n = node::spawn_node(sys, *opts);
  if (!n) {
    std::fprintf(stderr, "nfactor-node: %s\n",
                 nfactor::actors::describe(n.error()).c_str());
    stop_reports();
    return 1;
  }
  auto port = node::publish(*n, cfg.port, cfg.bind, tls);
  if (!port) {
    std::fprintf(stderr, "nfactor-node: cannot listen on %s:%u: %s\n",
                 cfg.bind.empty() ? "*" : cfg.bind.c_str(), cfg.port,
                 caf::to_string(port.error()).c_str());
    caf::anon_send_exit(*n, caf::exit_reason::user_shutdown);
    stop_reports();
    return 1;
  }
  auto metrics_server = nfactor::app::metrics::serve(
      "nfactor-node", *metrics_at,
      [&sys, nd = *n] { return metrics_page(sys, nd); });
  if (!metrics_server) {
    std::fprintf(stderr, "nfactor-node: %s\n",
                 metrics_server.err().message().c_str());
    caf::anon_send_exit(*n, caf::exit_reason::user_shutdown);
    stop_reports();
    return 2;
  }
  std::printf("nfactor-node %s listening on %s:%u (%s), groups %s\n",
              opts->name.c_str(), cfg.bind.empty() ? "*" : cfg.bind.c_str(),
              *port, tls ? "mutual TLS" : "insecure, loopback only",
              cfg.groups.c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::printf("nfactor-node: %s, stopping\n",
              sig == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  metrics_server->reset(); // before the node it asks goes
  caf::anon_send_exit(*n, caf::exit_reason::user_shutdown);
  stop_reports();
  return 0;
}
