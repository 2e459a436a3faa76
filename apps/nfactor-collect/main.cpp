// SPDX-License-Identifier: Apache-2.0
// nfactor-collect: connects to one or more nodes, subscribes to NFLOG
// groups and writes the merged stream as JSON lines tagged by node. After a
// node restarts (or the connection drops) it reconnects, resubscribes and
// writes a "resync" line; a stream the node restarted after a failure
// gives a "restarted" line; losses are written as "loss" / "kernel_loss".
//
//   nfactor-collect --node=10.0.0.1:4242,10.0.0.2:4242 --group=5
//     --openssl.certificate=client.pem --openssl.key=client.key
//     --openssl.cafile=ca.pem
#include <atomic>
#include <chrono>
#include <csignal>
#include <deque>
#include <memory>
#include <optional>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

#include <caf/all.hpp>

#include "json.hpp"
#include "metrics.hpp"
#include "node_app.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/node/client.hpp"

namespace node = nfactor::actors::node;

namespace {

class collect_config : public node::config {
 public:
  std::string nodes;
  std::string groups;
  std::string output;
  std::uint32_t in_flight = 0;
  std::uint32_t retry_ms = 500;
  std::uint32_t slow_us = 0;
  bool count_only = false;
  bool ruleset = false;
  std::string metrics;

  collect_config() {
    opt_group{custom_options_, "global"}
        .add(nodes, "node,n", "nodes to collect from: HOST:PORT[,HOST:PORT]")
        .add(groups, "group,g", "NFLOG groups to subscribe to, e.g. 5 or 5,6")
        .add(output, "output,o", "write JSON lines here (default: stdout)")
        .add(in_flight, "in-flight",
             "unanswered batches per subscription (0: the node's default)")
        .add(retry_ms, "retry-ms", "pause between reconnection attempts")
        .add(slow_us, "slow-us",
             "sleep this long per batch (to try a slow collector)")
        .add(ruleset, "ruleset",
             "also stream ruleset commits (and snapshots after connects)")
        .add(count_only, "count-only",
             "write no event lines, only notices and a final count")
        .add(metrics, "metrics", nfactor::app::metrics::option_help);
  }
};

// Serialises lines from all sessions into one stream.
class writer {
 public:
  explicit writer(std::FILE* out) : out_(out) {}

  void write(const nlohmann::json& j) {
    auto line = j.dump();
    line.push_back('\n');
    std::lock_guard<std::mutex> guard{mtx_};
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
  }

  void write_batch(const std::string& node_name,
                   const nfactor::actors::log_batch& b) {
    std::string text;
    for (const auto& ev : b.events) {
      text += nfactor::collect::log_line(node_name, ev).dump();
      text.push_back('\n');
    }
    std::lock_guard<std::mutex> guard{mtx_};
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
  }

 private:
  std::mutex mtx_;
  std::FILE* out_;
};

/// What one node's session brought, for the metrics page (written by the
/// session's handlers, read by the metrics thread).
struct node_counters {
  std::string where;
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> shed{0};
  std::atomic<std::uint64_t> kernel_lost{0};
  std::atomic<std::uint64_t> enobufs{0};
  std::atomic<std::uint64_t> restarts{0};
  std::atomic<bool> connected{false};
};

std::string metrics_page(const std::deque<node_counters>& nodes) {
  namespace m = nfactor::app::metrics;
  m::exposition page;
  auto n = [](const std::atomic<std::uint64_t>& v) {
    return static_cast<double>(v.load());
  };
  for (const auto& c : nodes) {
    m::labels l{{"node", c.where}};
    page.counter("nfactor_received_total", "Events received from the node.", l,
                 n(c.events));
    m::labels shed = l, kernel = l;
    shed.emplace_back("where", "node");
    kernel.emplace_back("where", "kernel");
    page.counter("nfactor_lost_total",
                 "Events lost: shed at the node (collector too slow) or "
                 "dropped by the node's kernel (receive buffer overflow).",
                 shed, n(c.shed));
    page.counter("nfactor_lost_total", "", kernel, n(c.kernel_lost));
    page.counter("nfactor_enobufs_total",
                 "Receive buffer overflow episodes of the node's listeners.", l,
                 n(c.enobufs));
    page.counter("nfactor_restarts_total",
                 "Streams the node restarted after a failure.", l,
                 n(c.restarts));
    page.gauge("nfactor_collect_connected",
               "1 while the session is connected to the node.", l,
               c.connected ? 1 : 0);
  }
  m::add_process(page);
  return page.text();
}

} // namespace

int main(int argc, char** argv) {
  auto stop_signals = nfactor::app::block_signals({SIGINT, SIGTERM});

  collect_config cfg;
  if (auto code =
          nfactor::app::parse_config(cfg, argc, argv, "nfactor-collect"))
    return *code;
  std::vector<node::endpoint> endpoints;
  for (const auto& text : nfactor::app::split_list(cfg.nodes)) {
    auto ep = node::parse_endpoint(text);
    if (!ep) {
      std::fprintf(stderr, "nfactor-collect: %s\n", ep.err().message().c_str());
      return 2;
    }
    endpoints.push_back(*ep);
  }
  if (endpoints.empty()) {
    std::fprintf(stderr, "nfactor-collect: no --node given\n");
    return 2;
  }
  auto groups = nfactor::app::parse_groups(cfg.groups);
  if (!groups) {
    std::fprintf(stderr, "nfactor-collect: %s\n",
                 groups.err().message().c_str());
    return 2;
  }
  for (const auto& ep : endpoints)
    if (auto ok = node::validate(cfg.security(), ep.host); !ok) {
      std::fprintf(stderr, "nfactor-collect: %s: %s\n", ep.to_string().c_str(),
                   ok.err().message().c_str());
      return 2;
    }
  auto metrics_at = nfactor::app::metrics::parse_option(cfg.metrics);
  if (!metrics_at) {
    std::fprintf(stderr, "nfactor-collect: %s\n",
                 metrics_at.err().message().c_str());
    return 2;
  }
  node::prepare(cfg, cfg.security());
  std::FILE* out = stdout;
  if (!cfg.output.empty()) {
    out = std::fopen(cfg.output.c_str(), "a");
    if (!out) {
      std::perror(cfg.output.c_str());
      return 2;
    }
  }
  writer w{out};
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> dropped{0};
  std::deque<node_counters> per_node; // stable addresses for the handlers
  for (const auto& ep : endpoints)
    per_node.emplace_back().where = ep.to_string();
  auto metrics_server =
      nfactor::app::metrics::serve("nfactor-collect", *metrics_at, [&per_node] {
        return metrics_page(per_node);
      });
  if (!metrics_server) {
    std::fprintf(stderr, "nfactor-collect: %s\n",
                 metrics_server.err().message().c_str());
    return 2;
  }
  caf::actor_system sys{cfg};
  std::vector<node::session> sessions;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const auto& ep = endpoints[i];
    auto& counters = per_node[i];
    node::session_options so;
    so.where = ep;
    so.tls = cfg.security().tls();
    so.groups = *groups;
    so.max_in_flight = cfg.in_flight;
    so.ruleset = cfg.ruleset;
    so.retry = std::chrono::milliseconds{cfg.retry_ms};
    node::session_handler h;
    auto where = ep.to_string();
    h.connected = [&w, &counters,
                   where](const node::node_caps& caps,
                          std::optional<std::uint64_t> previous) {
      counters.connected = true;
      w.write(nfactor::collect::connected_line(caps, where, previous));
    };
    h.batch = [&, slow = cfg.slow_us, quiet = cfg.count_only](
                  const node::node_caps& caps, nfactor::actors::log_batch& b) {
      events += b.events.size();
      counters.events += b.events.size();
      if (!quiet)
        w.write_batch(caps.name, b);
      if (slow > 0)
        std::this_thread::sleep_for(std::chrono::microseconds{slow});
    };
    h.kernel_loss = [&w, &counters](const node::node_caps& caps,
                                    const nfactor::actors::log_loss& l) {
      counters.kernel_lost += l.lost;
      counters.enobufs += l.overruns;
      w.write(nfactor::collect::kernel_loss_line(caps.name, l));
    };
    h.network_loss = [&](const node::node_caps& caps,
                         const node::node_loss& l) {
      dropped += l.events;
      counters.shed += l.events;
      w.write(nfactor::collect::loss_line(caps.name, l));
    };
    h.commit = [&w](const node::node_caps& caps, nfactor::nft::transaction& t) {
      w.write(nfactor::collect::commit_line(caps.name, t));
    };
    h.snapshot = [&w](const node::node_caps& caps, nfactor::nft::ruleset& r) {
      w.write(nfactor::collect::snapshot_line(caps.name, r));
    };
    h.ruleset_loss = [&w](const node::node_caps& caps,
                          const nfactor::actors::resync_needed& r) {
      w.write(nfactor::collect::ruleset_loss_line(caps.name, r));
    };
    h.restarted = [&w, &counters](const node::node_caps& caps,
                                  const node::stream_restarted& r) {
      ++counters.restarts;
      w.write(nfactor::collect::restarted_line(caps.name, r));
    };
    h.trouble = [&w, &counters, where](const node::endpoint&,
                                       const caf::error& e) {
      counters.connected = false;
      w.write(
          nfactor::collect::trouble_line(where, nfactor::actors::describe(e)));
    };
    sessions.push_back(node::spawn_session(sys, so, std::move(h)));
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  metrics_server->reset(); // before the sessions it reads
  for (auto& s : sessions)
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  w.write({{"type", "summary"},
           {"events", events.load()},
           {"dropped_by_nodes", dropped.load()}});
  return 0;
}
