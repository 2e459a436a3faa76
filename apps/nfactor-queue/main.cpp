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
// Exit codes: 0 stopped by a signal, 1 runtime failure (e.g. the queue is
// bound by another program and the supervisor gave up), 2 bad command
// line or policy.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include "app_common.hpp"
#include "metrics.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/queue_listener.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/sup/type_ids.hpp"
#include "nfactor/nflog/event.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nfqueue/policy.hpp"

namespace {

using namespace nfactor;
using namespace std::chrono_literals;
namespace sup = actors::sup;
using nfqueue::verdict_kind;

using app::exit_bad_input;
using app::exit_failure;

constexpr const char* prog = "nfactor-queue";

void note(const std::string& text) {
  app::say(prog, text);
}

// -- the policy in force ------------------------------------------------------

/// A policy with its rules' texts and hit counters; replaced as a whole
/// on SIGHUP (the decider picks up the new one with its next batch).
struct active_policy {
  nfqueue::policy pol;
  /// Canonical text of each rule (JSON lines, metrics).
  std::vector<std::string> texts;
  /// Packets each rule decided; the last entry counts the default.
  std::unique_ptr<std::atomic<std::uint64_t>[]> hits;

  explicit active_policy(nfqueue::policy p) : pol(std::move(p)) {
    for (const auto& r : pol.rules)
      texts.push_back(nfqueue::to_string(r));
    hits = std::make_unique<std::atomic<std::uint64_t>[]>(texts.size() + 1);
  }
};

/// Where the policy comes from, to build it again on SIGHUP.
struct policy_source {
  std::vector<std::string> rules;
  std::string file;
  std::optional<std::string> fallback;

  /// The policy: the --rule rules first (the command line wins), then the
  /// file's; the default from --default, else the file's, else accept.
  result<nfqueue::policy> load() const {
    nfqueue::policy out;
    for (const auto& text : rules) {
      auto r = nfqueue::parse_rule(text);
      if (!r) {
        auto e = std::move(r).err();
        e.op = "--rule: " + e.op;
        return e;
      }
      out.rules.push_back(std::move(*r));
    }
    if (!file.empty()) {
      std::ifstream in{file};
      if (!in.is_open())
        return errno_error("cannot read policy file " + file);
      std::stringstream text;
      text << in.rdbuf();
      auto p = nfqueue::parse_policy_json(text.str(), file);
      if (!p)
        return std::move(p).err();
      for (auto& r : p->rules)
        out.rules.push_back(std::move(r));
      out.fallback = p->fallback;
    }
    if (fallback) {
      auto a = nfqueue::parse_action(*fallback);
      if (!a) {
        auto e = std::move(a).err();
        e.op = "--default: " + e.op;
        return e;
      }
      out.fallback = *a;
    }
    return out;
  }
};

/// What the decider counts, read by the metrics and stats of the main
/// thread.
struct shared_state {
  std::atomic<std::shared_ptr<const active_policy>> policy;
  /// Decisions by the deciding action's kind (policy_action::kind:
  /// accept, drop, mark, queue, repeat).
  std::array<std::atomic<std::uint64_t>, 5> verdicts{};
  /// Loss reports, and what they counted.
  std::atomic<std::uint64_t> loss_reports{0};
  std::atomic<std::uint64_t> lost{0};
  /// When the first and the last batch came (steady clock, ns; 0: none).
  std::atomic<std::int64_t> first_batch_ns{0};
  std::atomic<std::int64_t> last_batch_ns{0};
  /// JSON lines written, and lines that could not be.
  std::atomic<std::uint64_t> lines{0};
  std::atomic<std::uint64_t> unwritten{0};
};

// -- JSON lines ---------------------------------------------------------------

void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

const char* family_name(std::uint8_t f) {
  switch (f) {
  case NFPROTO_IPV4:
    return "ip";
  case NFPROTO_IPV6:
    return "ip6";
  case NFPROTO_BRIDGE:
    return "bridge";
  case NFPROTO_ARP:
    return "arp";
  default:
    return "unknown";
  }
}

const char* proto_name(std::uint8_t p) {
  switch (p) {
  case IPPROTO_TCP:
    return "tcp";
  case IPPROTO_UDP:
    return "udp";
  case IPPROTO_UDPLITE:
    return "udplite";
  case IPPROTO_SCTP:
    return "sctp";
  case IPPROTO_ICMP:
    return "icmp";
  case IPPROTO_ICMPV6:
    return "icmpv6";
  default:
    return nullptr;
  }
}

/// One decision as a JSON line (keys in docs/apps/nfactor-queue.md).
void append_line(std::string& out, const nfqueue::queue_packet& p,
                 const nfqueue::decision& d, const active_policy& ap) {
  auto num = [&](const char* key, std::uint64_t v) {
    out += ",\"";
    out += key;
    out += "\":";
    out += std::to_string(v);
  };
  auto str = [&](const char* key, std::string_view v) {
    out += ",\"";
    out += key;
    out += "\":";
    append_escaped(out, v);
  };
  out += "{\"queue\":" + std::to_string(p.queue);
  num("id", p.id);
  str("family", family_name(p.family));
  str("hook", nflog::hook_name(p.family, p.hook));
  auto h = nfqueue::packet_headers::read(p.payload ? p.payload->view()
                                                   : byte_view{});
  if (h.protocol) {
    if (auto name = proto_name(*h.protocol))
      str("proto", name);
    else
      num("proto", *h.protocol);
  }
  if (h.version != 0) {
    char text[INET6_ADDRSTRLEN];
    int af = h.version == 4 ? AF_INET : AF_INET6;
    str("src", ::inet_ntop(af, h.saddr.data(), text, sizeof(text)));
    if (h.sport)
      num("sport", *h.sport);
    str("dst", ::inet_ntop(af, h.daddr.data(), text, sizeof(text)));
    if (h.dport)
      num("dport", *h.dport);
  }
  if (p.payload)
    num("len", p.cap_len ? *p.cap_len : p.payload->size());
  if (p.mark)
    num("mark", *p.mark);
  if (p.uid)
    num("uid", *p.uid);
  if (p.gid)
    num("gid", *p.gid);
  if (p.indev_name)
    str("indev", *p.indev_name);
  else if (p.indev)
    num("indev", *p.indev);
  if (p.outdev_name)
    str("outdev", *p.outdev_name);
  else if (p.outdev)
    num("outdev", *p.outdev);
  str("verdict", nfqueue::to_string(d.verdict.kind));
  if (d.verdict.mark)
    num("set_mark", *d.verdict.mark);
  if (d.verdict.kind == verdict_kind::queue)
    num("to_queue", d.verdict.target_queue);
  if (d.rule) {
    num("rule", *d.rule + 1);
    str("rule_text", ap.texts[*d.rule]);
  } else {
    out += ",\"default\":true";
  }
  out += "}\n";
}

/// The JSON output: standard output ("-") or a file (appended to).
class json_output {
 public:
  std::string open(const std::string& path) {
    if (path == "-") {
      fd_ = STDOUT_FILENO;
      return {};
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0)
      return "cannot open " + path + ": " + std::strerror(errno);
    owned_ = true;
    return {};
  }
  ~json_output() {
    if (owned_)
      ::close(fd_);
  }
  [[nodiscard]] bool on() const noexcept { return fd_ >= 0; }
  /// Writes all of `text`; false on failure.
  bool write(std::string_view text) {
    while (!text.empty()) {
      auto n = ::write(fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

 private:
  int fd_ = -1;
  bool owned_ = false;
};

// -- the decider actor --------------------------------------------------------

using decider = actors::queue_owner::extend<caf::reacts_to<sup::child_info>>;

struct decider_state {
  std::shared_ptr<shared_state> shared;
  std::shared_ptr<json_output> out;
  std::string buf;
  bool write_failing = false;
};

decider::behavior_type
decider_actor(decider::stateful_pointer<decider_state> self,
              std::shared_ptr<shared_state> shared,
              std::shared_ptr<json_output> out) {
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
            append_line(st.buf, p, d, *ap);
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

// -- stats and metrics --------------------------------------------------------

std::optional<actors::queue_stats>
ask_listener(caf::scoped_actor& self, const sup::supervisor& supervisor) {
  std::optional<actors::queue_stats> out;
  std::vector<sup::child_info> kids;
  self->request(supervisor, 2s, sup::children_atom_v)
      .receive([&](std::vector<sup::child_info>& k) { kids = std::move(k); },
               [](caf::error&) {});
  for (auto& k : kids) {
    auto l = sup::handle_as<actors::queue_listener>(k);
    if (!l)
      continue;
    self->request(l, 2s, actors::stats_atom_v)
        .receive([&](const actors::queue_stats& s) { out = s; },
                 [](caf::error&) {});
  }
  return out;
}

// By policy_action::kind.
const char* const verdict_names[] = {"accept", "drop", "mark", "queue",
                                     "repeat"};

std::string metrics_page(caf::actor_system& system,
                         const sup::supervisor& supervisor,
                         const shared_state& st, std::uint16_t queue) {
  namespace m = app::metrics;
  caf::scoped_actor self{system};
  m::exposition page;
  m::labels q{{"queue", std::to_string(queue)}};
  if (auto s = ask_listener(self, supervisor)) {
    m::add_stats(page, q, s->common);
    m::add_in_flight(page, q, static_cast<double>(s->in_flight));
    auto c = [&](const char* name, const char* help, std::uint64_t v) {
      page.counter(name, help, q, static_cast<double>(v));
    };
    c("nfactor_queue_timed_out_total",
      "Packets that got the timeout verdict: no verdict in time.",
      s->timed_out);
    c("nfactor_queue_decode_errors_total",
      "Packets that failed to decode (given the timeout verdict).",
      s->decode_errors);
    c("nfactor_queue_verdict_errors_total", "Verdicts the kernel refused.",
      s->verdict_errors);
    c("nfactor_queue_verdict_messages_total",
      "Verdict messages sent to the kernel (batch verdicts included).",
      s->verdicts);
    page.gauge("nfactor_queue_pending",
               "Packets read and waiting for their verdict.", q,
               static_cast<double>(s->pending));
    page.gauge("nfactor_queue_kernel_queued",
               "Packets the kernel holds for this queue (queue_total).", q,
               static_cast<double>(s->queue_total));
    page.counter("nfactor_queue_kernel_dropped_total",
                 "Packets the kernel dropped: queue full (queue_dropped) or "
                 "not deliverable to the socket (user_dropped).",
                 {{"queue", std::to_string(queue)}, {"reason", "queue_full"}},
                 static_cast<double>(s->queue_dropped));
    page.counter("nfactor_queue_kernel_dropped_total",
                 "Packets the kernel dropped: queue full (queue_dropped) or "
                 "not deliverable to the socket (user_dropped).",
                 {{"queue", std::to_string(queue)}, {"reason", "socket"}},
                 static_cast<double>(s->user_dropped));
  }
  for (std::size_t k = 0; k < 5; ++k)
    page.counter(
        "nfactor_queue_verdicts_total",
        "Packets the policy decided, by verdict (mark: accepted "
        "with a new mark).",
        {{"queue", std::to_string(queue)}, {"verdict", verdict_names[k]}},
        static_cast<double>(st.verdicts[k].load()));
  auto ap = st.policy.load();
  for (std::size_t i = 0; i <= ap->texts.size(); ++i)
    page.counter("nfactor_queue_rule_hits_total",
                 "Packets each rule decided (rule=\"default\": no rule "
                 "matched), since the policy was loaded.",
                 {{"queue", std::to_string(queue)},
                  {"rule", i < ap->texts.size() ? std::to_string(i + 1)
                                                : std::string{"default"}}},
                 static_cast<double>(ap->hits[i].load()));
  page.counter("nfactor_queue_json_lines_total", "JSON lines written.", q,
               static_cast<double>(st.lines.load()));
  page.counter("nfactor_queue_json_unwritten_total",
               "Decisions whose JSON line could not be written.", q,
               static_cast<double>(st.unwritten.load()));
  m::add_process(page);
  return page.text();
}

std::string stats_line(const actors::queue_stats& s, const shared_state& st) {
  const auto& c = s.common;
  std::string out = "queue " + std::to_string(s.queue) + ": received " +
                    std::to_string(c.received) + ", answered " +
                    std::to_string(c.delivered) + ", lost " +
                    std::to_string(c.lost) + ", in flight " +
                    std::to_string(s.in_flight) + ", timed out " +
                    std::to_string(s.timed_out) + ", verdicts";
  for (std::size_t k = 0; k < 5; ++k)
    out += std::string{" "} + verdict_names[k] + " " +
           std::to_string(st.verdicts[k].load());
  out += ", kernel queued " + std::to_string(s.queue_total) + " dropped " +
         std::to_string(s.queue_dropped + s.user_dropped) + ", restarts " +
         std::to_string(c.restarts);
  return out;
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
  policy_source source{rules, policy_file,
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
  auto out = std::make_shared<json_output>();
  if (json_on)
    if (auto err = out->open(json); !err.empty()) {
      note(err);
      return exit_bad_input;
    }
  auto shared = std::make_shared<shared_state>();
  shared->policy.store(std::make_shared<const active_policy>(std::move(*pol)));
  note("policy: " + std::to_string(shared->policy.load()->texts.size()) +
       " rules, default " +
       verdict_names[static_cast<std::size_t>(
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
  auto so = app::daemon_supervision(caf::actor_cast<caf::actor>(d));
  auto supervisor = sup::spawn_supervisor(system, so, std::move(children));
  self->monitor(supervisor);

  int rc = 0;
  bool running = true;
  auto q16 = static_cast<std::uint16_t>(queue);
  auto metrics_server = app::metrics::serve(
      prog, *metrics_at, [&system, supervisor, shared, q16] {
        return metrics_page(system, supervisor, *shared, q16);
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
            std::make_shared<const active_policy>(std::move(*fresh)));
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
      if (auto s = ask_listener(self, supervisor))
        note("stats " + stats_line(*s, *shared));
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
  std::string totals = "decided";
  for (std::size_t k = 0; k < 5; ++k)
    totals += std::string{" "} + verdict_names[k] + " " +
              std::to_string(shared->verdicts[k].load());
  char span[64];
  std::snprintf(
      span, sizeof(span), " (first to last batch %.3f s)",
      static_cast<double>(shared->last_batch_ns - shared->first_batch_ns) /
          1e9);
  note(totals + span);
  note("stopped");
  return rc;
}
