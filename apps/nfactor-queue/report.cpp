// SPDX-License-Identifier: Apache-2.0
#include "report.hpp"

#include <cstdio>

#include "metrics.hpp"
#include "supervised.hpp"

namespace nfactor::app {

namespace {

// " accept A drop D mark M queue Q repeat R".
std::string decisions_text(const shared_state& st) {
  std::string out;
  for (std::size_t k = 0; k < action_kinds; ++k)
    out += std::string{" "} + action_names[k] + " " +
           std::to_string(st.verdicts[k].load());
  return out;
}

} // namespace

std::optional<actors::queue_stats>
ask_listener(caf::scoped_actor& self,
             const actors::sup::supervisor& supervisor) {
  std::optional<actors::queue_stats> out;
  for (auto& r : ask_listeners<actors::queue_listener, actors::queue_stats>(
           self, supervisor))
    if (r.stats)
      out = std::move(*r.stats);
  return out;
}

std::string metrics_page(caf::actor_system& system,
                         const actors::sup::supervisor& supervisor,
                         const shared_state& st, std::uint16_t queue) {
  namespace m = metrics;
  caf::scoped_actor self{system};
  m::exposition page;
  const auto q_label = std::to_string(queue);
  m::labels q{{"queue", q_label}};
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
    auto dropped = [&](const char* reason, std::uint64_t v) {
      page.counter("nfactor_queue_kernel_dropped_total",
                   "Packets the kernel dropped: queue full (queue_dropped) "
                   "or not deliverable to the socket (user_dropped).",
                   {{"queue", q_label}, {"reason", reason}},
                   static_cast<double>(v));
    };
    dropped("queue_full", s->queue_dropped);
    dropped("socket", s->user_dropped);
  }
  for (std::size_t k = 0; k < action_kinds; ++k)
    page.counter("nfactor_queue_verdicts_total",
                 "Packets the policy decided, by verdict (mark: accepted "
                 "with a new mark).",
                 {{"queue", q_label}, {"verdict", action_names[k]}},
                 static_cast<double>(st.verdicts[k].load()));
  auto ap = st.policy.load();
  for (std::size_t i = 0; i <= ap->texts.size(); ++i)
    page.counter("nfactor_queue_rule_hits_total",
                 "Packets each rule decided (rule=\"default\": no rule "
                 "matched), since the policy was loaded.",
                 {{"queue", q_label},
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
  return "queue " + std::to_string(s.queue) + ": received " +
         std::to_string(c.received) + ", answered " +
         std::to_string(c.delivered) + ", lost " + std::to_string(c.lost) +
         ", in flight " + std::to_string(s.in_flight) + ", timed out " +
         std::to_string(s.timed_out) + ", verdicts" + decisions_text(st) +
         ", kernel queued " + std::to_string(s.queue_total) + " dropped " +
         std::to_string(s.queue_dropped + s.user_dropped) + ", restarts " +
         std::to_string(c.restarts);
}

std::string totals_line(const shared_state& st) {
  char span[64];
  std::snprintf(span, sizeof(span), " (first to last batch %.3f s)",
                static_cast<double>(st.last_batch_ns - st.first_batch_ns) /
                    1e9);
  return "decided" + decisions_text(st) + span;
}

} // namespace nfactor::app
