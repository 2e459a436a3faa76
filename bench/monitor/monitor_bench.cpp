// SPDX-License-Identifier: Apache-2.0
// nf_tables monitor and snapshot benchmark.
//
//   nfactor_monitor_bench commit RULES_FILE K [RCVBUF [MAX_PART]]
//     (in a scratch netns) spawns the monitor actor (default rcvbuf,
//     auto_resync, commits in parts of MAX_PART changes, default 1024; 0
//     for whole commits), runs `nft -f RULES_FILE` (one commit of K
//     rules), and prints one JSON line: commit_s (nft's wall time),
//     lag_after_commit_s (nft exit → the last rule event delivered to the
//     owner), rule_events, lost (K - rule_events), overruns, rcvbuf,
//     parts, monitor_cpu_s (the whole process, owner included); on a loss
//     also the fresh snapshot's rule count and when it arrived.
//   nfactor_monitor_bench dump K [nonft]       (ruleset already loaded)
//     times nft::pull() and `nft -j list ruleset` of the same ruleset
//     (wall and CPU time, nft's from wait4).
//   nfactor_monitor_bench print
//     prints "add rule FAMILY TABLE CHAIN HANDLE" per rule event, one line
//     each, for peer-bench/monitor_bench.sh -c ... -p "add rule".
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/resource.h>

#include <caf/all.hpp>

#include "nfactor/actors/monitor.hpp"
#include "nfactor/actors/system.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/snapshot.hpp"

using namespace nfactor;
using clk = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double secs(clk::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct config : caf::actor_system_config {
  config() { actors::add_message_types(*this); }
};

double cpu_s(int who = RUSAGE_SELF) {
  rusage u{};
  ::getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::size_t rule_adds(const nft::transaction& t) {
  std::size_t n = 0;
  for (const auto& c : t.changes)
    n += c.added && std::holds_alternative<nft::rule>(c.entity);
  return n;
}

int commit(const char* file, std::size_t k, int rcvbuf, std::size_t part) {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  actors::monitor_options o;
  o.auto_resync = true;
  o.max_part = part;
  if (rcvbuf > 0)
    o.rcvbuf = rcvbuf;
  auto spawned = actors::spawn_monitor(sys, caf::actor{self}, o);
  if (!spawned) {
    std::fprintf(stderr, "%s\n", caf::to_string(spawned.error()).c_str());
    return 1;
  }
  auto mon = std::move(*spawned);
  actors::monitor_stats st;
  self->request(mon, 5s, actors::stats_atom_v)
      .receive([&](const actors::monitor_stats& s) { st = s; },
               [](caf::error& e) {
                 std::fprintf(stderr, "%s\n", caf::to_string(e).c_str());
                 std::exit(1);
               });
  auto cpu0 = cpu_s();
  auto t0 = clk::now();
  auto cmd = std::string{"nft -f "} + file;
  if (std::system(cmd.c_str()) != 0)
    return 1;
  auto t1 = clk::now();
  std::size_t events = 0;
  std::size_t snapshot_rules = 0;
  bool resync = false;
  bool done = false;
  auto t2 = t1;
  auto t3 = t1;
  while (!done && events < k) {
    self->receive(
        [&](const nft::transaction& t) {
          events += rule_adds(t);
          t2 = clk::now();
        },
        [&](const actors::resync_needed&) {
          resync = true;
          t2 = clk::now();
        },
        [&](const nft::ruleset& rs) {
          snapshot_rules = rs.rules.size();
          t3 = clk::now();
          done = true;
        },
        caf::after(120s) >> [&] { done = true; });
  }
  self->request(mon, 5s, actors::stats_atom_v)
      .receive([&](const actors::monitor_stats& s) { st = s; },
               [](caf::error&) {});
  std::printf("{\"tool\": \"nfactor monitor\", \"k\": %zu, \"commit_s\": %.3f, "
              "\"lag_after_commit_s\": %.3f, \"all_events_s\": %.3f, "
              "\"rule_events\": %zu, \"lost\": %zu, \"overruns\": %llu, "
              "\"rcvbuf\": %d, \"resync\": %s, \"resync_rules\": %zu, "
              "\"resync_done_after_commit_s\": %.3f, \"parts\": %llu, "
              "\"max_part\": %zu, \"stalls\": %llu, "
              "\"monitor_cpu_s\": %.3f}\n",
              k, secs(t1 - t0), secs(t2 - t1), secs(t2 - t0), events,
              k > events ? k - events : 0,
              static_cast<unsigned long long>(st.common.enobufs),
              st.common.rcvbuf.value_or(0), resync ? "true" : "false",
              snapshot_rules, resync ? secs(t3 - t1) : 0.0,
              static_cast<unsigned long long>(st.parts), part,
              static_cast<unsigned long long>(st.stalls), cpu_s() - cpu0);
  anon_send_exit(mon, caf::exit_reason::user_shutdown);
  return 0;
}

int dump(std::size_t k, bool with_nft) {
  auto s = sys::socket::open({});
  if (!s)
    return 1;
  auto c0 = cpu_s();
  auto t0 = clk::now();
  auto rs = nft::pull(*s);
  auto t1 = clk::now();
  auto c1 = cpu_s();
  if (!rs) {
    std::fprintf(stderr, "%s\n", rs.err().message().c_str());
    return 1;
  }
  auto nc0 = cpu_s(RUSAGE_CHILDREN);
  auto t2 = clk::now();
  if (with_nft && std::system("nft -j list ruleset > /dev/null") != 0)
    return 1;
  auto t3 = clk::now();
  auto nc1 = cpu_s(RUSAGE_CHILDREN);
  std::printf("{\"k\": %zu, \"nfactor_pull_s\": %.3f, \"rules\": %zu, "
              "\"attempts\": %u, \"nft_j_list_s\": %.3f, "
              "\"nfactor_pull_cpu_s\": %.3f, \"nft_j_list_cpu_s\": %.3f}\n",
              k, secs(t1 - t0), rs->rules.size(), rs->attempts, secs(t3 - t2),
              c1 - c0, nc1 - nc0);
  return 0;
}

int print() {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto spawned = actors::spawn_monitor(sys, caf::actor{self});
  if (!spawned) {
    std::fprintf(stderr, "%s\n", caf::to_string(spawned.error()).c_str());
    return 1;
  }
  auto mon = std::move(*spawned);
  std::setvbuf(stdout, nullptr, _IOFBF, 1 << 20);
  for (;;) {
    self->receive(
        [&](const nft::transaction& t) {
          for (const auto& c : t.changes) {
            std::visit(
                [&](const auto& x) {
                  using T = std::decay_t<decltype(x)>;
                  const char* op = c.added ? "add" : "delete";
                  if constexpr (std::is_same_v<T, nft::rule>)
                    std::printf(
                        "%s rule %s %s %s %llu\n", op,
                        nfnl::to_string(static_cast<nfnl::family>(x.family)),
                        x.table.c_str(), x.chain.c_str(),
                        static_cast<unsigned long long>(x.handle.value_or(0)));
                  else if constexpr (std::is_same_v<T, nft::table>)
                    std::printf(
                        "%s table %s %s\n", op,
                        nfnl::to_string(static_cast<nfnl::family>(x.family)),
                        x.name.c_str());
                  else if constexpr (std::is_same_v<T, nft::chain>)
                    std::printf(
                        "%s chain %s %s %s\n", op,
                        nfnl::to_string(static_cast<nfnl::family>(x.family)),
                        x.table.c_str(), x.name.c_str());
                  else
                    std::printf("%s %s\n", op, nft::kind_name(c.entity));
                },
                c.entity);
          }
          if (!t.partial)
            std::printf("# new generation %u by process %u (%s)\n", t.gen_id,
                        t.proc_pid.value_or(0),
                        t.proc_name.value_or("").c_str());
          std::fflush(stdout);
        },
        [&](const actors::resync_needed&) {
          std::printf("# ERROR: We lost some netlink events!\n");
          std::fflush(stdout);
        });
  }
}

} // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "commit" && argc >= 4)
    return commit(argv[2], std::strtoul(argv[3], nullptr, 10),
                  argc > 4 ? std::atoi(argv[4]) : 0,
                  argc > 5 ? std::strtoul(argv[5], nullptr, 10) : 1024);
  if (mode == "dump" && argc >= 3)
    return dump(std::strtoul(argv[2], nullptr, 10),
                argc == 3 || std::string{argv[3]} != "nonft");
  if (mode == "print")
    return print();
  std::fprintf(stderr, "usage: %s commit RULES K | dump K | print\n", argv[0]);
  return 2;
}
