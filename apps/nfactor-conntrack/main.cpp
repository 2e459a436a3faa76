// SPDX-License-Identifier: Apache-2.0
//
// nfactor-conntrack: prints connection tracking events as `conntrack -E
// -o extended,id` does (or as JSON lines): a flow's start (NEW) and its end
// (DESTROY, with both directions' counters and, with
// nf_conntrack_timestamp, its duration). --dump prints the table like
// `conntrack -L -o extended,id` and exits. With --snapshot the table comes
// first and events follow without loss or repetition (see docs/
// conntrack.md). A loss (ENOBUFS) is printed as a resync line and a fresh
// table follows unless --no-resync.
//
// Exit codes: 0 done (--dump) or stopped by a signal, 1 runtime failure,
// 2 bad command line.
#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include "nfactor/actors/conntrack.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/ct/ops.hpp"
#include "nfactor/ct/text.hpp"
#include "app_common.hpp"
#include "ct_json.hpp"
#include "metrics.hpp"

namespace {

using namespace nfactor;

using app::exit_bad_input;
using app::exit_failure;

void emit(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

std::string line(const ct::event& ev, bool json, bool listing) {
  if (json)
    return app::ct_event_json(ev).dump() + "\n";
  return (listing ? ct::to_text(ev.ct, ev.family) : ct::to_text(ev)) + "\n";
}

// "tcp", "udp", "icmp", "icmpv6", "sctp" or a number.
std::optional<std::uint8_t> proto_number(const std::string& name) {
  for (int p = 0; p < 256; ++p)
    if (name == ct::l4proto_name(static_cast<std::uint8_t>(p)))
      return static_cast<std::uint8_t>(p);
  try {
    auto n = std::stoi(name);
    if (n >= 0 && n < 256)
      return static_cast<std::uint8_t>(n);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// "10.0.0.0/8" or an address (a whole-address prefix).
std::optional<ct::prefix> parse_prefix(const std::string& text) {
  auto slash = text.find('/');
  auto addr = ct::ip_address::parse(text.substr(0, slash));
  if (!addr)
    return std::nullopt;
  ct::prefix p{*addr, static_cast<std::uint8_t>(addr->version == 4 ? 32 : 128)};
  if (slash != std::string::npos) {
    try {
      p.length = static_cast<std::uint8_t>(std::stoi(text.substr(slash + 1)));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return p;
}

/// Events printed, by kind (ct::change), and snapshot entries: written
/// by the main thread, read by the metrics thread.
struct printed {
  std::array<std::atomic<std::uint64_t>, 3> events{};
  std::atomic<std::uint64_t> entries{0};

  void count(ct::change kind) {
    auto i = static_cast<std::size_t>(kind);
    if (i < events.size())
      events[i].fetch_add(1, std::memory_order_relaxed);
  }
};

/// The metrics page: the monitor's counters, the events printed by type,
/// and the process's.
std::string metrics_page(caf::actor_system& system,
                         const actors::conntrack_monitor& mon,
                         const printed& out) {
  namespace m = app::metrics;
  caf::scoped_actor self{system};
  m::exposition page;
  self->request(mon, std::chrono::seconds(2), actors::stats_atom_v)
      .receive(
          [&](const actors::ct_monitor_stats& s) {
            m::add_stats(page, {}, s.common);
            m::add_in_flight(page, {}, static_cast<double>(s.in_flight));
            page.counter("nfactor_ct_dropped_events_total",
                         "Events the kernel dropped for the event socket "
                         "(its drop counter; 0 if it offers none).",
                         {}, static_cast<double>(s.dropped));
            page.counter("nfactor_ct_resyncs_total",
                         "Losses reported to the owner (resync needed).", {},
                         static_cast<double>(s.resyncs));
            page.counter("nfactor_ct_snapshots_total",
                         "Snapshots of the table delivered (initial and "
                         "after a loss).",
                         {}, static_cast<double>(s.snapshots));
            page.counter("nfactor_ct_duplicates_total",
                         "NEW events dropped because the snapshot already "
                         "listed their entry.",
                         {}, static_cast<double>(s.duplicates));
            page.counter("nfactor_decode_errors_total",
                         "Messages that failed to decode and were skipped.", {},
                         static_cast<double>(s.decode_errors));
          },
          [](const caf::error&) {});
  static constexpr std::array<const char*, 3> kinds{"new", "update", "destroy"};
  for (std::size_t i = 0; i < kinds.size(); ++i)
    page.counter("nfactor_ct_events_total", "Events printed, by type.",
                 {{"type", kinds[i]}},
                 static_cast<double>(out.events[i].load()));
  page.counter("nfactor_ct_snapshot_entries_total",
               "Table entries printed from snapshots.", {},
               static_cast<double>(out.entries.load()));
  m::add_process(page);
  return page.text();
}

} // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Prints connection tracking events (flow start, flow end with "
               "counters and duration) like `conntrack -E`, or the table "
               "like `conntrack -L`, without silent loss.",
               "nfactor-conntrack"};
  std::string netns;
  bool json = false;
  bool dump = false;
  bool snapshot = false;
  bool updates = false;
  bool no_resync = false;
  bool reliable = false;
  int rcvbuf = 8 << 20;
  std::vector<std::string> protos;
  std::vector<std::string> sources;
  std::vector<std::string> destinations;
  std::optional<std::uint32_t> mark;
  std::string metrics;
  cli.add_option("--netns", netns, "network namespace (ip netns name)");
  cli.add_flag("--json", json, "one JSON object per event or entry and line");
  cli.add_flag("--dump", dump, "print the table (conntrack -L) and exit");
  cli.add_flag("--snapshot", snapshot,
               "print the table first, then events (snapshot + tail)");
  cli.add_flag("--updates", updates,
               "also print UPDATE events (off: they flood busy hosts)");
  cli.add_flag("--no-resync", no_resync,
               "after a loss, do not print a fresh table");
  cli.add_flag("--reliable", reliable,
               "reliable delivery (NETLINK_BROADCAST_ERROR + NO_ENOBUFS; see "
               "docs/conntrack.md for the trade-off)");
  cli.add_option("--rcvbuf", rcvbuf, "event socket receive buffer, bytes")
      ->check(CLI::Range(4096, 1 << 30))
      ->capture_default_str();
  cli.add_option("-p,--proto", protos,
                 "only these protocols (tcp, udp, icmp, ...; in the kernel)");
  cli.add_option("-s,--src", sources,
                 "only these original source prefixes (in the kernel)");
  cli.add_option("-d,--dst", destinations,
                 "only these original destination prefixes (in the kernel)");
  cli.add_option("-m,--mark", mark, "--dump: only entries with this mark");
  cli.add_option("--metrics", metrics, app::metrics::option_help);
  cli.footer("Exit codes: 0 done or stopped by SIGINT/SIGTERM, 1 failure, 2 "
             "bad command line.");
  if (auto rc = app::parse(cli, argc, argv))
    return *rc;

  auto ns = netns.empty() ? sys::netns::current() : sys::netns::named(netns);
  if (auto fd = ns.open(); !netns.empty() && !fd) {
    app::say("nfactor-conntrack", fd.err().message());
    return exit_bad_input;
  }
  auto metrics_at = app::metrics::parse_option(metrics);
  if (!metrics_at) {
    app::say("nfactor-conntrack", metrics_at.err().message());
    return exit_bad_input;
  }
  ct::event_filter filter;
  for (const auto& p : protos) {
    auto n = proto_number(p);
    if (!n) {
      app::say("nfactor-conntrack", "unknown protocol: " + p);
      return exit_bad_input;
    }
    filter.l4protos.push_back(*n);
  }
  for (auto [list, out] : {std::pair{&sources, &filter.sources},
                           std::pair{&destinations, &filter.destinations}})
    for (const auto& text : *list) {
      auto p = parse_prefix(text);
      if (!p) {
        app::say("nfactor-conntrack", "not an address or prefix: " + text);
        return exit_bad_input;
      }
      out->push_back(*p);
    }

  if (dump) {
    // One exchange; no actors needed. The filter's protocol and mark go to
    // the kernel; addresses are selected here (a dump filter matches one
    // tuple, not lists of prefixes).
    sys::socket_options so;
    so.ns = ns;
    auto sock = sys::socket::open(so);
    if (!sock) {
      app::say("nfactor-conntrack", sock.err().message());
      return exit_failure;
    }
    ct::filter f;
    f.mark = mark;
    std::size_t n = 0;
    auto st = ct::dump(*sock, f, [&](ct::event&& ev) {
      auto proto = ev.ct.orig ? ev.ct.orig->l4proto : std::nullopt;
      if (!filter.l4protos.empty() &&
          std::find(filter.l4protos.begin(), filter.l4protos.end(),
                    proto.value_or(0)) == filter.l4protos.end())
        return;
      emit(line(ev, json, true));
      ++n;
    });
    if (!st) {
      app::say("nfactor-conntrack", st.err().message());
      return exit_failure;
    }
    std::fflush(stdout);
    app::say("nfactor-conntrack", std::to_string(n) + " entries");
    return app::exit_ok;
  }

  auto sigs = app::take_signals({SIGINT, SIGTERM});
  app::config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  actors::conntrack_monitor_options mo;
  mo.ns = ns;
  mo.rcvbuf = rcvbuf;
  mo.groups.updated = updates;
  mo.filter = filter;
  mo.snapshot = snapshot;
  mo.auto_resync = !no_resync;
  mo.reliable = reliable;
  auto mon = actors::start_conntrack_monitor(
      system, caf::actor_cast<actors::ct_owner>(self), mo);
  if (!mon) {
    app::say("nfactor-conntrack", actors::describe(mon.error()));
    return exit_failure;
  }
  self->monitor(*mon);
  auto counts = std::make_shared<printed>();
  auto metrics_server = app::metrics::serve(
      "nfactor-conntrack", *metrics_at,
      [&system, m = *mon, counts] { return metrics_page(system, m, *counts); });
  int rc = 0;
  bool running = true;
  if (!metrics_server) {
    app::say("nfactor-conntrack", metrics_server.err().message());
    rc = exit_bad_input;
    running = false;
  }
  while (running) {
    self->receive(
        [&](const actors::ct_started&) {
          app::say("nfactor-conntrack", "listening");
        },
        [&](const actors::ct_snapshot& s) {
          std::string out;
          for (const auto& ev : s.entries)
            out += line(ev, json, true);
          counts->entries += s.entries.size();
          emit(out);
          std::fflush(stdout);
        },
        [&](const actors::ct_batch& b) {
          std::string out;
          for (const auto& ev : b.events) {
            out += line(ev, json, false);
            counts->count(ev.kind);
          }
          emit(out);
          std::fflush(stdout);
        },
        [&](const actors::ct_resync_needed& r) {
          emit(json
                   ? "{\"resync\":{\"overruns\":" + std::to_string(r.overruns) +
                         ",\"dropped\":" + std::to_string(r.dropped) + "}}\n"
                   : "# resync needed: events lost (" +
                         std::to_string(r.overruns) + " overruns, " +
                         std::to_string(r.dropped) + " dropped)\n");
          app::say("nfactor-conntrack", "events lost");
        },
        [&](const caf::down_msg& dm) {
          app::say("nfactor-conntrack",
                   "monitor stopped: " + actors::describe(dm.reason));
          rc = exit_failure;
          running = false;
        },
        caf::after(std::chrono::milliseconds(200)) >> [] {});
    timespec zero{0, 0};
    siginfo_t info;
    int sig = ::sigtimedwait(&sigs, &info, &zero);
    if (sig == SIGINT || sig == SIGTERM)
      running = false;
  }
  if (metrics_server)
    metrics_server->reset(); // before the monitor it asks goes
  self->send_exit(*mon, caf::exit_reason::user_shutdown);
  std::fflush(stdout);
  return rc;
}
