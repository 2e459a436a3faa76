// SPDX-License-Identifier: Apache-2.0
//
// nfactor-conntrack: prints connection tracking events as `conntrack -E
// -o extended,id` does (or as JSON lines): a flow's start (NEW) and its end
// (DESTROY, with both directions' counters and, with
// nf_conntrack_timestamp, its duration). --dump prints the table like
// `conntrack -L -o extended,id` and exits. With --snapshot the table comes
// first and events follow without loss or repetition (see docs/
// conntrack.md). A loss (ENOBUFS) is printed as a resync line and a fresh
// table follows unless --no-resync. --expect adds the helpers'
// expectations (`conntrack -E expect`; with --dump, `conntrack -L expect`).
//
// The monitor runs under a supervisor: a monitor that fails is restarted
// (with backoff, at most 5 times in 10 s), the restart is reported on
// stderr and counted in the restarts metric, and a fresh table follows
// unless --no-resync (events of the gap are lost). SIGUSR1 makes the
// monitor fail on purpose, a drill for that path and its alerting.
//
// Exit codes: 0 done (--dump) or stopped by a signal, 1 runtime failure
// (the supervisor gave up), 2 bad command line.
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
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/ct/ops.hpp"
#include "nfactor/ct/text.hpp"
#include "app_common.hpp"
#include "ct_json.hpp"
#include "metrics.hpp"
#include "supervised.hpp"

namespace {

using namespace nfactor;

using app::exit_bad_input;
using app::exit_failure;
using namespace std::chrono_literals;
namespace sup = actors::sup;

constexpr const char* prog = "nfactor-conntrack";
constexpr const char* child_name = "conntrack";

void note(const std::string& text) {
  app::say(prog, text);
}

void emit(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

std::string line(const ct::event& ev, bool json, bool listing) {
  if (json)
    return app::ct_event_json(ev).dump() + "\n";
  return (listing ? ct::to_text(ev.ct, ev.family) : ct::to_text(ev)) + "\n";
}

// An expectation as `conntrack -E expect` (or, `listing`, `-L expect`)
// prints it, or as JSON.
std::string line(const ct::exp_event& ev, bool json, bool listing) {
  if (json)
    return app::ct_exp_event_json(ev).dump() + "\n";
  return (listing ? ct::to_text(ev.exp) : ct::to_text(ev)) + "\n";
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
  std::array<std::atomic<std::uint64_t>, 3> expectations{};
  std::atomic<std::uint64_t> entries{0};

  static void count(std::array<std::atomic<std::uint64_t>, 3>& by_kind,
                    ct::change kind) {
    auto i = static_cast<std::size_t>(kind);
    if (i < by_kind.size())
      by_kind[i].fetch_add(1, std::memory_order_relaxed);
  }
};

/// The running monitor, if the supervisor has one.
actors::conntrack_monitor running_monitor(caf::scoped_actor& self,
                                          const sup::supervisor& supervisor) {
  actors::conntrack_monitor out;
  self->request(supervisor, 2s, sup::whereis_atom_v, std::string{child_name})
      .receive(
          [&](const sup::child_info& ci) {
            out = sup::handle_as<actors::conntrack_monitor>(ci);
          },
          [](const caf::error&) {});
  return out;
}

/// The metrics page: the monitor's counters, the events printed by type,
/// and the process's.
std::string metrics_page(caf::actor_system& system,
                         const sup::supervisor& supervisor,
                         const printed& out) {
  namespace m = app::metrics;
  caf::scoped_actor self{system};
  m::exposition page;
  // Between a failure and its restart there is no monitor to ask: the
  // page then has the app's own counters only.
  if (auto mon = running_monitor(self, supervisor)) {
    self->request(mon, 2s, actors::stats_atom_v)
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
                           "Messages that failed to decode and were skipped.",
                           {}, static_cast<double>(s.decode_errors));
            },
            [](const caf::error&) {});
  }
  static constexpr std::array<const char*, 3> kinds{"new", "update", "destroy"};
  for (std::size_t i = 0; i < kinds.size(); ++i)
    page.counter("nfactor_ct_events_total", "Events printed, by type.",
                 {{"type", kinds[i]}},
                 static_cast<double>(out.events[i].load()));
  for (std::size_t i = 0; i < kinds.size(); ++i)
    page.counter("nfactor_ct_expectation_events_total",
                 "Expectation events printed (--expect), by type.",
                 {{"type", kinds[i]}},
                 static_cast<double>(out.expectations[i].load()));
  page.counter("nfactor_ct_snapshot_entries_total",
               "Table entries printed from snapshots.", {},
               static_cast<double>(out.entries.load()));
  m::add_process(page);
  return page.text();
}

/// Prints what the monitor delivers and what the supervisor reports; the
/// main loop's receive, one message at a time.
struct printer {
  bool json = false;
  printed& counts;

  void operator()(const actors::ct_snapshot& s) {
    std::string out;
    for (const auto& ev : s.entries)
      out += line(ev, json, true);
    counts.entries += s.entries.size();
    emit(out);
    std::fflush(stdout);
  }

  void operator()(const actors::ct_batch& b) {
    print_events(b.events, counts.events);
  }

  void operator()(const actors::ct_exp_batch& b) {
    print_events(b.events, counts.expectations);
  }

  // Entry or expectation events, one line each, counted by kind.
  template <class Event>
  void print_events(const std::vector<Event>& events,
                    std::array<std::atomic<std::uint64_t>, 3>& by_kind) {
    std::string out;
    for (const auto& ev : events) {
      out += line(ev, json, false);
      printed::count(by_kind, ev.kind);
    }
    emit(out);
    std::fflush(stdout);
  }

  void operator()(const actors::ct_resync_needed& r) {
    emit(json ? "{\"resync\":{\"overruns\":" + std::to_string(r.overruns) +
                    ",\"dropped\":" + std::to_string(r.dropped) + "}}\n"
              : "# resync needed: events lost (" + std::to_string(r.overruns) +
                    " overruns, " + std::to_string(r.dropped) + " dropped)\n");
    note("events lost");
  }

  void operator()(const sup::child_info& ci) {
    if (auto report = app::child_report(ci))
      note(*report);
  }
};

// --dump: one exchange, no actors. The filter's protocols are applied
// here (a dump filter matches one tuple, not lists); the mark goes to the
// kernel. With `expectations`, the expectation table instead.
int dump_table(const sys::netns& ns, const ct::event_filter& filter,
               std::optional<std::uint32_t> mark, bool expectations,
               bool json) {
  sys::socket_options so;
  so.ns = ns;
  auto sock = sys::socket::open(so);
  if (!sock) {
    note(sock.err().message());
    return exit_failure;
  }
  auto selected = [&](const std::optional<ct::tuple>& t) {
    auto proto = t ? t->l4proto : std::nullopt;
    return filter.l4protos.empty() ||
           std::find(filter.l4protos.begin(), filter.l4protos.end(),
                     proto.value_or(0)) != filter.l4protos.end();
  };
  std::size_t n = 0;
  result<void> st;
  if (expectations) {
    st = ct::dump_expectations(*sock, 0, [&](ct::exp_event&& ev) {
      if (!selected(ev.exp.expected))
        return;
      emit(line(ev, json, true));
      ++n;
    });
  } else {
    ct::filter f;
    f.mark = mark;
    st = ct::dump(*sock, f, [&](ct::event&& ev) {
      if (!selected(ev.ct.orig))
        return;
      emit(line(ev, json, true));
      ++n;
    });
  }
  if (!st) {
    note(st.err().message());
    return exit_failure;
  }
  std::fflush(stdout);
  note(std::to_string(n) + (expectations ? " expectations" : " entries"));
  return app::exit_ok;
}

// SIGUSR1: the monitor fails on purpose, as a broken socket would make it
// (the supervisor restarts it; the restarts metric counts it).
void fail_monitor(caf::scoped_actor& self, const sup::supervisor& supervisor) {
  auto mon = running_monitor(self, supervisor);
  if (!mon) {
    note("SIGUSR1: no monitor running");
    return;
  }
  note("SIGUSR1: failing the monitor (drill)");
  self->send_exit(mon, actors::to_caf_error(make_error(
                           errc::actor_failure, "SIGUSR1", "failure drill")));
}

} // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Prints connection tracking events (flow start, flow end with "
               "counters and duration) like `conntrack -E`, or the table "
               "like `conntrack -L`, without silent loss.",
               prog};
  std::string netns;
  bool json = false;
  bool dump = false;
  bool snapshot = false;
  bool updates = false;
  bool expect = false;
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
  cli.add_flag("--expect", expect,
               "also print expectation events (helpers such as ftp; "
               "conntrack -E expect); with --dump, print the expectations "
               "instead of the table (conntrack -L expect)");
  cli.add_flag("--no-resync", no_resync,
               "after a loss or a restart, do not print a fresh table");
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
  cli.footer("Signals: INT/TERM stop; USR1 makes the monitor fail on purpose "
             "(a drill: the supervisor restarts it).\nExit codes: 0 done or "
             "stopped by SIGINT/SIGTERM, 1 failure, 2 bad command line.");
  if (auto rc = app::parse(cli, argc, argv))
    return *rc;

  auto ns = netns.empty() ? sys::netns::current() : sys::netns::named(netns);
  if (auto fd = ns.open(); !netns.empty() && !fd) {
    note(fd.err().message());
    return exit_bad_input;
  }
  auto metrics_at = app::metrics::parse_option(metrics);
  if (!metrics_at) {
    note(metrics_at.err().message());
    return exit_bad_input;
  }
  ct::event_filter filter;
  for (const auto& p : protos) {
    auto n = proto_number(p);
    if (!n) {
      note("unknown protocol: " + p);
      return exit_bad_input;
    }
    filter.l4protos.push_back(*n);
  }
  for (auto [list, out] : {std::pair{&sources, &filter.sources},
                           std::pair{&destinations, &filter.destinations}})
    for (const auto& text : *list) {
      auto p = parse_prefix(text);
      if (!p) {
        note("not an address or prefix: " + text);
        return exit_bad_input;
      }
      out->push_back(*p);
    }

  if (dump)
    return dump_table(ns, filter, mark, expect, json);

  actors::conntrack_monitor_options mo;
  mo.ns = ns;
  mo.rcvbuf = rcvbuf;
  mo.groups.updated = updates;
  mo.groups.exp_created = expect;
  mo.groups.exp_destroyed = expect;
  mo.filter = filter;
  mo.snapshot = snapshot;
  mo.auto_resync = !no_resync;
  mo.reliable = reliable;
  // Checked here, once: the supervisor would retry a bad option in vain.
  if (auto st = mo.validate(); !st) {
    note(st.err().message());
    return exit_bad_input;
  }

  auto sigs = app::take_signals({SIGINT, SIGTERM, SIGUSR1});
  app::config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  auto owner = caf::actor_cast<actors::ct_owner>(self);
  auto so = app::supervision(caf::actor_cast<caf::actor>(self));
  auto supervisor = sup::spawn_supervisor(
      system, so, {actors::conntrack_monitor_child(child_name, owner, mo)});
  self->monitor(supervisor);
  auto counts = std::make_shared<printed>();
  auto metrics_server =
      app::metrics::serve(prog, *metrics_at, [&system, supervisor, counts] {
        return metrics_page(system, supervisor, *counts);
      });
  int rc = 0;
  bool running = true;
  if (!metrics_server) {
    note(metrics_server.err().message());
    rc = exit_bad_input;
    running = false;
  }
  printer print{json, *counts};
  while (running) {
    self->receive([&](const actors::ct_started&) { note("listening"); },
                  [&](const actors::ct_snapshot& s) { print(s); },
                  [&](const actors::ct_batch& b) { print(b); },
                  [&](const actors::ct_exp_batch& b) { print(b); },
                  [&](const actors::ct_resync_needed& r) { print(r); },
                  [&](const sup::child_info& ci) { print(ci); },
                  [&](const caf::down_msg& dm) {
                    // The supervisor gave up (or failed): the reason names the
                    // child and its last failure.
                    note(sup::describe(dm.reason));
                    rc = exit_failure;
                    running = false;
                  },
                  caf::after(std::chrono::milliseconds(200)) >> [] {});
    timespec zero{0, 0};
    siginfo_t info;
    int sig = ::sigtimedwait(&sigs, &info, &zero);
    if (sig == SIGINT || sig == SIGTERM)
      running = false;
    else if (sig == SIGUSR1 && running)
      fail_monitor(self, supervisor);
  }
  if (metrics_server)
    metrics_server->reset(); // before the monitor it asks goes
  if (rc == 0 || rc == exit_bad_input) {
    // The supervisor stops the monitor (which closes its sockets).
    self->send_exit(supervisor, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {},
                  caf::after(std::chrono::seconds(10)) >> [] {});
  }
  std::fflush(stdout);
  return rc;
}
