// SPDX-License-Identifier: Apache-2.0
#include "trace_main.hpp"

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <caf/all.hpp>

#include "app_common.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/nftrace.hpp"
#include "nfactor/actors/trace_monitor.hpp"
#include "nfactor/actors/transactor.hpp"
#include "trace_render.hpp"

namespace nfactor::app {

namespace {

void emit(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

} // namespace

int run_trace(caf::actor_system& sys, caf::scoped_actor& self,
              const sys::netns& ns, const trace_cli& cli,
              const sigset_t& sigs) {
  actors::trace_options to;
  to.ns = ns;
  to.rcvbuf = cli.rcvbuf;
  std::optional<actors::nftrace_actor> scope;
  std::optional<actors::transactor> tx;
  if (cli.nftrace) {
    actors::transactor_options txo;
    txo.ns = ns;
    tx = actors::spawn_transactor(sys, txo);
    actors::nftrace_options no;
    no.scope.max_rate = cli.nftrace_rate;
    no.duration = std::chrono::seconds{cli.nftrace_seconds};
    no.max_packets = cli.nftrace_packets;
    scope =
        actors::start_nftrace(sys, *tx, caf::actor_cast<caf::actor>(self), no);
    self->monitor(*scope);
    to.grouping.hidden_tables = {no.scope.table};
    to.traced_sink = caf::actor_cast<caf::actor>(*scope);
  }
  auto spawned =
      actors::start_trace_monitor(sys, caf::actor_cast<caf::actor>(self), to);
  if (!spawned) {
    std::cerr << "nfactor-monitor: " << actors::describe(spawned.error())
              << "\n";
    return exit_bad_input;
  }
  auto mon = std::move(*spawned);
  self->monitor(mon);
  int rc = 0;
  bool running = true;
  // Subscribed and snapshot taken once the monitor answers; then the
  // scope may mark packets.
  self->request(mon, caf::infinite, actors::stats_atom_v)
      .receive([](const actors::trace_stats&) {},
               [&](const caf::error& e) {
                 std::cerr << "nfactor-monitor: trace monitor failed: "
                           << actors::describe(e) << "\n";
                 rc = exit_failure;
                 running = false;
               });
  if (running && scope)
    self->request(*scope, caf::infinite, actors::armed_atom_v)
        .receive([](const nft::commit_result&) {},
                 [&](const caf::error& e) {
                   std::cerr << "nfactor-monitor: nftrace failed: "
                             << actors::describe(e) << "\n";
                   rc = exit_failure;
                   running = false;
                 });
  // Interface names are the traced namespace's.
  if (auto in = enter(ns); running && !in) {
    std::cerr << "nfactor-monitor: " << in.err().message() << "\n";
    rc = exit_failure;
    running = false;
  }
  if (running)
    std::cerr << "nfactor-monitor: tracing" << std::endl;
  while (running) {
    self->receive(
        [&](actors::trace_batch& b) {
          for (const auto& t : b.traces)
            emit(cli.json ? json_line(t) : nft::trace_text(t, ifname));
        },
        [&](const actors::trace_loss& l) {
          emit(cli.json
                   ? "{\"loss\":{\"overruns\":" + std::to_string(l.overruns) +
                         ",\"cut_traces\":" + std::to_string(l.cut_traces) +
                         "}}\n"
                   : "# trace events lost (" + std::to_string(l.overruns) +
                         " overruns, " + std::to_string(l.cut_traces) +
                         " traces cut)\n");
        },
        [&](const caf::down_msg& dm) {
          if (scope && dm.source == scope->address()) {
            // The scope ended (time or packet limit): so does the trace.
            if (dm.reason) {
              std::cerr << "nfactor-monitor: nftrace stopped: "
                        << actors::describe(dm.reason) << std::endl;
              rc = exit_failure;
            } else {
              std::cerr << "nfactor-monitor: nftrace removed" << std::endl;
            }
            scope.reset();
          } else {
            std::cerr << "nfactor-monitor: trace monitor stopped: "
                      << actors::describe(dm.reason) << std::endl;
            rc = exit_failure;
          }
          running = false;
        },
        caf::after(std::chrono::milliseconds(200)) >> [] {});
    if (signalled(sigs))
      running = false;
  }
  // The scope removes its table before it stops: wait for that (bounded).
  if (scope) {
    auto addr = scope->address();
    self->send(*scope, actors::stop_atom_v);
    for (bool gone = false; !gone;)
      self->receive([&](const caf::down_msg& dm) { gone = dm.source == addr; },
                    [&](actors::trace_batch&) {},
                    caf::after(std::chrono::seconds(5)) >>
                        [&] {
                          std::cerr
                              << "nfactor-monitor: nftrace removal timed out"
                              << std::endl;
                          gone = true;
                        });
  }
  self->send_exit(mon, caf::exit_reason::user_shutdown);
  if (tx)
    self->send_exit(*tx, caf::exit_reason::user_shutdown);
  std::fflush(stdout);
  return rc;
}

} // namespace nfactor::app
