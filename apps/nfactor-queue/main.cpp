// SPDX-License-Identifier: Apache-2.0
//
// nfactor-queue: an NFQUEUE verdict daemon. Packets queued by an iptables
// `-j NFQUEUE --queue-num N` rule get the verdict of the first matching
// rule of a policy (--rule, --policy FILE; nfqueue/policy.hpp), or the
// default. One queue listener under a supervisor (a failed listener is
// restarted, its packets settled first); one decider actor applies the
// policy and writes a JSON line per decision.
//
//   supervisor ── listener(queue N) ── queue_batch ─> decider ─> JSON lines
//                                   <─ queue_answer ─┘
//   main thread: signals (HUP reloads --policy, INT/TERM stop), stats
//
// Beside it: policy_state (the policy in force, the decider's counts),
// decision_json (the JSON lines), report (stats line, metrics page).
//
// Exit codes: 0 stopped by a signal, 1 runtime failure (e.g. the queue is
// bound by another program and the supervisor gave up), 2 bad command
// line or policy.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include "app_common.hpp"
#include "decision_json.hpp"
#include "metrics.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/queue_listener.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/sup/type_ids.hpp"
#include "nfactor/nfqueue/policy.hpp"
#include "policy_state.hpp"
#include "report.hpp"
#include "supervised.hpp"

namespace {

using namespace nfactor;
using namespace std::chrono_literals;
namespace sup = actors::sup;

using app::exit_bad_input;
using app::exit_failure;

constexpr const char* prog = "nfactor-queue";

void note(const std::string& text) {
  app::say(prog, text);
}

// -- the decider actor --------------------------------------------------------

using decider = actors::queue_owner::extend<caf::reacts_to<sup::child_info>>;

struct decider_state {
  std::shared_ptr<app::shared_state> shared;
  std::shared_ptr<app::json_output> out;
  std::string buf;
  bool write_failing = false;
};

decider::behavior_type
decider_actor(decider::stateful_pointer<decider_state> self,
              std::shared_ptr<app::shared_state> shared,
              std::shared_ptr<app::json_output> out) {
  self->state.shared = std::move(shared);
  self->state.out = std::move(out);
  return {
      [](const actors::queue_started& s) {
        note("queue " + std::to_string(s.queue) + " bound (portid " +
             std::to_string(s.portid) + ", rcvbuf " + std::to_string(s.rcvbuf) +
             ")");
      },
      [self](const actors::queue_batch& b) {
        auto& st = self->state;
        auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        if (st.shared->first_batch_ns == 0)
          st.shared->first_batch_ns = now;
        st.shared->last_batch_ns = now;
        auto ap = st.shared->policy.load();
        actors::queue_answer a;
        a.verdicts.reserve(b.packets.size());
        st.buf.clear();
        const bool json = st.out->on();
        for (const auto& p : b.packets) {
          auto d = ap->pol.decide(p);
          ++ap->hits[d.rule ? *d.rule : ap->texts.size()];
          const auto& act =
              d.rule ? ap->pol.rules[*d.rule].action : ap->pol.fallback;
          ++st.shared->verdicts[static_cast<std::size_t>(act.what)];
          if (json)
            app::append_decision_json(st.buf, p, d,
                                      d.rule
                                          ? std::string_view{ap->texts[*d.rule]}
                                          : std::string_view{});
          a.verdicts.push_back({p.id, std::move(d.verdict)});
        }
        // One verdict for all: the listener sends one batch verdict.
        if (!a.verdicts.empty() &&
            std::all_of(a.verdicts.begin(), a.verdicts.end(),
                        [&](const actors::packet_verdict& v) {
                          return v.verdict == a.verdicts.front().verdict;
                        })) {
          a.rest = a.verdicts.front().verdict;
          a.verdicts.clear();
        }
        if (json) {
          if (st.out->write(st.buf)) {
            st.shared->lines += b.packets.size();
            st.write_failing = false;
          } else {
            st.shared->unwritten += b.packets.size();
            if (!st.write_failing)
              note(std::string{"cannot write JSON lines: "} +
                   std::strerror(errno) + " (lines not written are counted)");
            st.write_failing = true;
          }
        }
        return a;
      },
      [self](const actors::queue_loss& l) {
        auto& st = *self->state.shared;
        ++st.loss_reports;
        st.lost += l.id_gap + l.queue_dropped;
        note("LOSS queue " + std::to_string(l.queue) + ": " +
             std::to_string(l.id_gap) + " packet ids skipped, " +
             std::to_string(l.overruns) +
             " receive buffer overrun(s); kernel: queue_dropped " +
             std::to_string(l.queue_dropped) + ", user_dropped " +
             std::to_string(l.user_dropped));
      },
      [](const sup::child_info& ci) {
        if (auto line = app::child_report(ci))
          note(*line);
      },
  };
}

// A --timeout-verdict or similar: "accept" or "drop".
std::optional<nfqueue::verdict> accept_or_drop(const std::string& s) {
  if (s == "accept")
    return nfqueue::verdict::accept();
  if (s == "drop")
    return nfqueue::verdict::drop();
  return std::nullopt;
}

} // namespace

int main(int argc, char** argv) {
  app::keep_heap();
  CLI::App cli{"An NFQUEUE verdict daemon: packets queued by `iptables -j "
               "NFQUEUE --queue-num N` get the verdict of the first matching "
               "rule (see docs/apps/nfactor-queue.md for the rule language).",
               prog};
  std::uint32_t queue = 0;
  std::string netns, policy_file, json, metrics;
  std::vector<std::string> rules;
  std::string fallback;
  std::uint32_t copy_range = 0;
  std::uint32_t max_queue_len = nfqueue::options{}.max_queue_len;
  bool fail_open = false;
  std::uint32_t verdict_timeout_ms = 1000;
  std::string timeout_verdict = "drop";
  double stats_interval = 0;
  cli.add_option("-q,--queue", queue, "queue number (iptables --queue-num)")
      ->required()
      ->check(CLI::Range(0, 65535));
  cli.add_option("--netns", netns, "network namespace (ip netns name)");
  cli.add_option("-r,--rule", rules,
                 "a rule, e.g. 'drop udp dport 53 payload \"evil\"' (repeat; "
                 "first match wins, before the --policy rules)");
  cli.add_option("--policy", policy_file,
                 "JSON policy file (rules and default); SIGHUP reloads it");
  cli.add_option("--default", fallback,
                 "verdict when no rule matches: accept, drop, mark N, "
                 "queue N [bypass], repeat [default: the policy file's, else "
                 "accept]");
  cli.add_option("--copy-range", copy_range,
                 "payload bytes copied per packet (0: whole packet); payload "
                 "matches see only these")
      ->check(CLI::Range(0u, nfqueue::max_copy_range))
      ->capture_default_str();
  cli.add_option("--max-queue-len", max_queue_len,
                 "packets the kernel holds waiting for a verdict")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cli.add_flag("--fail-open", fail_open,
               "the kernel accepts packets instead of dropping them while "
               "the queue is full (NFQA_CFG_F_FAIL_OPEN)");
  cli.add_option("--verdict-timeout", verdict_timeout_ms,
                 "ms a packet may wait for its verdict (0: for ever)")
      ->check(CLI::Range(0, 3600 * 1000))
      ->capture_default_str();
  cli.add_option("--timeout-verdict", timeout_verdict,
                 "verdict for packets without one in time, that fail to "
                 "decode, or still held at exit: accept or drop")
      ->capture_default_str();
  cli.add_option("--json", json,
                 "a JSON line per decision to FILE (- or no FILE: stdout)")
      ->expected(0, 1);
  cli.add_option("--metrics", metrics, app::metrics::option_help);
  cli.add_option("--stats-interval", stats_interval,
                 "print stats to stderr every N seconds (0: never)")
      ->check(CLI::Range(0.0, 86400.0));
  cli.footer("Signals: HUP reloads --policy (the old policy stays on an "
             "error), INT/TERM stop (every held packet gets the timeout "
             "verdict, the queue is unbound).\nExit codes: 0 stopped, 1 "
             "failure, 2 bad command line or policy.");
  if (auto rc = app::parse(cli, argc, argv))
    return *rc;
  const bool json_on = cli.count("--json") > 0;
  if (json_on && json.empty())
    json = "-";

  // Everything checked before anything starts.
  app::policy_source source{rules, policy_file,
                            cli.count("--default") ? std::optional{fallback}
                                                   : std::nullopt};
  auto pol = source.load();
  if (!pol) {
    note(pol.err().message());
    return exit_bad_input;
  }
  auto tv = accept_or_drop(timeout_verdict);
  if (!tv) {
    note("--timeout-verdict: expected accept or drop, found \"" +
         timeout_verdict + "\"");
    return exit_bad_input;
  }
  actors::queue_listener_options o;
  o.queue.queue = queue;
  o.queue.ns = netns.empty() ? sys::netns::current() : sys::netns::named(netns);
  o.queue.copy_range = copy_range;
  o.queue.max_queue_len = max_queue_len;
  o.queue.flags.fail_open = fail_open;
  o.queue.flags.uid_gid = json_on || pol->needs_uid_gid();
  o.queue.resolve_names = json_on || pol->needs_names();
  o.verdict_timeout = std::chrono::milliseconds{verdict_timeout_ms};
  o.default_verdict = *tv;
  o.max_in_flight = std::min<std::size_t>(o.max_in_flight, max_queue_len);
  o.max_batch = std::min(o.max_batch, o.max_in_flight);
  if (auto ok = o.validate(); !ok) {
    note(ok.err().message());
    return exit_bad_input;
  }
  if (!netns.empty()) {
    if (auto fd = o.queue.ns.open(); !fd) {
      note(fd.err().message());
      return exit_bad_input;
    }
  }
  auto metrics_at = app::metrics::parse_option(metrics);
  if (!metrics_at) {
    note(metrics_at.err().message());
    return exit_bad_input;
  }
  auto out = std::make_shared<app::json_output>();
  if (json_on)
    if (auto err = out->open(json); !err.empty()) {
      note(err);
      return exit_bad_input;
    }
  auto shared = std::make_shared<app::shared_state>();
  shared->policy.store(
      std::make_shared<const app::active_policy>(std::move(*pol)));
  note("policy: " + std::to_string(shared->policy.load()->texts.size()) +
       " rules, default " +
       app::action_names[static_cast<std::size_t>(
           shared->policy.load()->pol.fallback.what)]);

  auto sigs = app::take_signals({SIGINT, SIGTERM, SIGHUP});
  app::config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};

  // Detached: blocking JSON writes get a thread of their own.
  auto d = system.spawn<caf::detached>(decider_actor, shared, out);
  actors::queue_owner owner = d;
  std::vector<sup::child_spec> children;
  children.push_back(
      actors::queue_listener_child("queue-" + std::to_string(queue), owner, o));
  auto supervisor = sup::spawn_supervisor(
      system, app::supervision(caf::actor_cast<caf::actor>(d)),
      std::move(children));
  self->monitor(supervisor);

  int rc = 0;
  bool running = true;
  auto q16 = static_cast<std::uint16_t>(queue);
  auto metrics_server = app::metrics::serve(
      prog, *metrics_at, [&system, supervisor, shared, q16] {
        return app::metrics_page(system, supervisor, *shared, q16);
      });
  if (!metrics_server) {
    note(metrics_server.err().message());
    rc = exit_bad_input;
    running = false;
  }
  auto stats_every = std::chrono::duration<double>(stats_interval);
  auto next_stats =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::nanoseconds>(stats_every);
  while (running) {
    timespec tick{0, 200 * 1000 * 1000};
    siginfo_t info;
    int sig = ::sigtimedwait(&sigs, &info, &tick);
    if (sig == SIGHUP) {
      auto fresh = source.load();
      if (fresh) {
        shared->policy.store(
            std::make_shared<const app::active_policy>(std::move(*fresh)));
        note("policy reloaded: " +
             std::to_string(shared->policy.load()->texts.size()) + " rules");
      } else {
        note("policy not reloaded, the old one stays: " +
             fresh.err().message());
      }
    } else if (sig == SIGINT || sig == SIGTERM) {
      break;
    }
    if (auto reason = app::take_down(self)) {
      note(sup::describe(*reason));
      rc = exit_failure;
      running = false;
    }
    if (running && stats_interval > 0 &&
        std::chrono::steady_clock::now() >= next_stats) {
      if (auto s = app::ask_listener(self, supervisor))
        note("stats " + app::stats_line(*s, *shared));
      next_stats +=
          std::chrono::duration_cast<std::chrono::nanoseconds>(stats_every);
    }
  }
  // Stop: the supervisor stops the listener, which settles every packet it
  // holds and unbinds the queue; then the decider goes.
  if (metrics_server)
    metrics_server->reset();
  if (rc == 0 || rc == exit_bad_input) {
    self->send_exit(supervisor, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {},
                  caf::after(std::chrono::seconds(10)) >> [] {});
  }
  self->send_exit(d, caf::exit_reason::user_shutdown);
  note(app::totals_line(*shared));
  note("stopped");
  return rc;
}
