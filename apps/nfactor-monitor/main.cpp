// SPDX-License-Identifier: Apache-2.0
//
// nfactor-monitor: prints every nf_tables commit (its generation, the
// committing pid and process name, then its changes) as text close to
// `nft monitor` or as JSON lines. With --snapshot it first prints the
// current ruleset; the monitor's pull raises its minimum generation to the
// snapshot's, so every later commit is printed exactly once and none that
// the snapshot already holds (race-free snapshot + tail). A loss of
// notifications (ENOBUFS) is printed as a resync line; with
// --auto-resync a fresh snapshot follows it. With --trace it prints packet
// traces instead (trace_main.hpp).
//
// Exit codes: 0 stopped by a signal, 1 runtime failure, 2 bad command line.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/monitor.hpp"
#include "nfactor/actors/nft_types.hpp"
#include "nfactor/actors/system.hpp"
#include "app_common.hpp"
#include "metrics.hpp"
#include "render.hpp"
#include "trace_main.hpp"

namespace {

using namespace nfactor;

using app::exit_bad_input;
using app::exit_failure;

void emit(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

/// The metrics page: the monitor's counters, the ruleset generation it
/// last delivered, and the process's.
std::string metrics_page(caf::actor_system& system,
                         const actors::monitor_actor& mon) {
  namespace m = app::metrics;
  caf::scoped_actor self{system};
  m::exposition page;
  self->request(mon, std::chrono::seconds(2), actors::stats_atom_v)
      .receive(
          [&](const actors::monitor_stats& s) {
            m::add_stats(page, {}, s.common);
            m::add_in_flight(page, {}, s.in_flight);
            page.gauge("nfactor_ruleset_generation",
                       "Ruleset generation of the last commit delivered.", {},
                       s.last_gen);
            page.counter("nfactor_monitor_commits_total", "Commits delivered.",
                         {}, static_cast<double>(s.transactions));
            page.counter("nfactor_monitor_resyncs_total",
                         "Snapshots sent after a loss (--auto-resync).", {},
                         static_cast<double>(s.resyncs));
            page.counter("nfactor_decode_errors_total",
                         "Messages that failed to decode and were skipped.", {},
                         static_cast<double>(s.decode_errors));
          },
          [](const caf::error&) {});
  m::add_process(page);
  return page.text();
}

} // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Prints nf_tables commits with their generation and "
               "committer, like `nft monitor`, without silent loss.",
               "nfactor-monitor"};
  std::string netns;
  bool json = false;
  bool snapshot = false;
  bool auto_resync = false;
  int rcvbuf = actors::monitor_options{}.rcvbuf;
  cli.add_option("--netns", netns, "network namespace (ip netns name)");
  cli.add_flag("--json", json, "one JSON object per commit and line");
  cli.add_flag("--snapshot", snapshot,
               "print the current ruleset first (snapshot + tail)");
  cli.add_flag("--auto-resync", auto_resync,
               "after a loss, print a fresh snapshot");
  cli.add_option("--rcvbuf", rcvbuf, "socket receive buffer, bytes")
      ->check(CLI::Range(4096, 1 << 30))
      ->capture_default_str();
  bool trace = false;
  app::trace_cli tc;
  cli.add_flag("--trace", trace,
               "print packet traces (nft monitor trace) instead of commits");
  cli.add_flag("--nftrace", tc.nftrace,
               "with --trace: mark every packet with a scoped nftrace table");
  cli.add_option("--nftrace-rate", tc.nftrace_rate,
                 "packets per second the scoped table marks at most")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  cli.add_option("--nftrace-seconds", tc.nftrace_seconds,
                 "remove the scoped table after this many seconds")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  cli.add_option("--nftrace-packets", tc.nftrace_packets,
                 "remove the scoped table after this many marked packets "
                 "(0: no limit)")
      ->capture_default_str();
  std::string metrics;
  cli.add_option("--metrics", metrics, app::metrics::option_help);
  cli.footer("Exit codes: 0 stopped by SIGINT/SIGTERM, 1 failure, 2 bad "
             "command line.");
  if (auto rc = app::parse(cli, argc, argv))
    return *rc;
  auto ns = netns.empty() ? sys::netns::current() : sys::netns::named(netns);
  if (auto fd = ns.open(); !netns.empty() && !fd) {
    std::cerr << "nfactor-monitor: " << fd.err().message() << "\n";
    return exit_bad_input;
  }

  auto metrics_at = app::metrics::parse_option(metrics);
  if (!metrics_at) {
    std::cerr << "nfactor-monitor: " << metrics_at.err().message() << "\n";
    return exit_bad_input;
  }

  auto sigs = app::take_signals({SIGINT, SIGTERM});
  app::config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  if (trace) {
    tc.json = json;
    if (cli.count("--rcvbuf") > 0)
      tc.rcvbuf = rcvbuf;
    return app::run_trace(system, self, ns, tc, sigs);
  }

  actors::monitor_options mo;
  mo.ns = ns;
  mo.rcvbuf = rcvbuf;
  mo.auto_resync = auto_resync;
  auto spawned =
      actors::spawn_monitor(system, caf::actor_cast<caf::actor>(self), mo);
  if (!spawned) {
    std::cerr << "nfactor-monitor: " << actors::describe(spawned.error())
              << "\n";
    return exit_bad_input;
  }
  auto mon = std::move(*spawned);
  self->monitor(mon);
  // Bound here, before this thread enters the monitored namespace: the
  // endpoint belongs to the daemon's own namespace.
  auto metrics_server =
      app::metrics::serve("nfactor-monitor", *metrics_at,
                          [&system, mon] { return metrics_page(system, mon); });
  if (!metrics_server) {
    std::cerr << "nfactor-monitor: " << metrics_server.err().message() << "\n";
    self->send_exit(mon, caf::exit_reason::user_shutdown);
    return exit_bad_input;
  }
  // This thread prints, and rules name interfaces by index (iif, oif):
  // resolve them in the monitored namespace, as `nft monitor` run there
  // does, not in ours.
  if (auto in = app::enter(ns); !in) {
    std::cerr << "nfactor-monitor: " << in.err().message() << "\n";
    self->send_exit(mon, caf::exit_reason::user_shutdown);
    return exit_failure;
  }

  int rc = 0;
  bool running = true;
  app::set_cache sets;
  // A pull first, printed with --snapshot: it also gives the set
  // definitions elements and anonymous sets print with, and raises the
  // monitor's minimum generation to it (no commit printed twice).
  self->request(mon, caf::infinite, actors::pull_atom::value, std::uint8_t{0},
                std::string{})
      .receive(
          [&](const nft::ruleset& rs) {
            if (snapshot)
              emit(json ? app::json_line(rs, sets) : app::text(rs, sets));
            else
              sets.seed(rs);
          },
          [&](const caf::error& e) {
            std::cerr << "nfactor-monitor: snapshot failed: "
                      << actors::describe(e) << "\n";
            rc = exit_failure;
            running = false;
          });
  if (running)
    std::cerr << "nfactor-monitor: listening" << std::endl;
  while (running) {
    self->receive(
        [&](const nft::transaction& t) {
          emit(json ? app::json_line(t, sets) : app::text(t, sets));
        },
        [&](const actors::resync_needed& r) {
          std::string line =
              json
                  ? "{\"resync\":{\"after_gen\":" + std::to_string(r.last_gen) +
                        ",\"overruns\":" + std::to_string(r.overruns) +
                        ",\"dropped_pending\":" +
                        std::to_string(r.dropped_pending) + "}}\n"
                  : "# resync needed: notifications lost after gen " +
                        std::to_string(r.last_gen) + " (" +
                        std::to_string(r.overruns) + " overruns, " +
                        std::to_string(r.dropped_pending) +
                        " changes of an unfinished commit dropped)\n";
          emit(line);
          std::cerr << "nfactor-monitor: notifications lost after gen "
                    << r.last_gen << std::endl;
        },
        [&](const nft::ruleset& rs) {
          emit(json ? app::json_line(rs, sets) : app::text(rs, sets));
        },
        [&](const caf::down_msg& dm) {
          std::cerr << "nfactor-monitor: monitor stopped: "
                    << actors::describe(dm.reason) << std::endl;
          rc = exit_failure;
          running = false;
        },
        caf::after(std::chrono::milliseconds(200)) >> [] {});
    if (app::signalled(sigs))
      running = false;
  }
  metrics_server->reset(); // before the monitor it asks goes
  self->send_exit(mon, caf::exit_reason::user_shutdown);
  std::fflush(stdout);
  return rc;
}
