// SPDX-License-Identifier: Apache-2.0
// The log listener's memory under a slow owner and a packet flood.
//
// A supervised log listener (default options: 8 MiB rcvbuf, batches of up
// to 1024 events, at most 65536 events in flight) serves an owner that
// spends --owner-us microseconds per event, while a flood of --packets
// 64-byte UDP datagrams is logged (nft `log group 5`) in a scratch
// namespace. A sampler reads the process's VmRSS every 20 ms. Printed:
// RSS before / peak / after, what was sent, received, delivered, and lost
// as the listener reported it (log_loss, exact from NFLOG sequence gaps).
// With the owner slower than the flood the listener stops reading once
// its credits are spent: the kernel drops (ENOBUFS) and the loss is
// reported, while memory stays bounded by max_in_flight.
//
// Needs root (creates and deletes namespace nfactor-rss-PID).
// Usage: bench_sup_listener_rss [--packets=N] [--owner-us=U]
// [--max-in-flight=M]
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/log_listener.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/system.hpp"
#include "nfactor/sys/netns.hpp"

namespace sup = nfactor::actors::sup;
namespace act = nfactor::actors;
using namespace std::chrono_literals;

namespace {

long rss_kib() {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::atol(line.c_str() + 6);
  return -1;
}

int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}

struct counts {
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> loss_reports{0};
  std::atomic<std::uint64_t> lost{0};
  std::atomic<std::uint64_t> overruns{0};
};

// An owner that spends `per_event` on every event of a batch.
act::log_batch_owner::behavior_type
slow_owner(act::log_batch_owner::pointer, counts* c,
           std::chrono::microseconds per_event) {
  return {
      [](const act::log_started&) {},
      [=](const act::log_batch& b) {
        auto until = std::chrono::steady_clock::now() +
                     per_event * static_cast<long>(b.events.size());
        while (std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(until - std::chrono::steady_clock::now());
        c->delivered += b.events.size();
        ++c->batches;
      },
      [=](const act::log_loss& l) {
        ++c->loss_reports;
        c->lost += l.lost;
        c->overruns += l.overruns;
      },
  };
}

// Sends `n` 64-byte UDP datagrams to 127.0.0.1:9999 with sendmmsg.
long flood(long n) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9999);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  char payload[64] = {};
  constexpr int batch = 64;
  iovec iov[batch];
  mmsghdr msgs[batch];
  for (int i = 0; i < batch; ++i) {
    iov[i] = {payload, sizeof(payload)};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof(to);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  long sent = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (sent < n && std::chrono::steady_clock::now() < deadline) {
    int k = static_cast<int>(std::min<long>(batch, n - sent));
    int r = ::sendmmsg(fd, msgs, k, 0);
    if (r > 0)
      sent += r;
  }
  ::close(fd);
  return sent;
}

long arg(int argc, char** argv, const std::string& name, long def) {
  auto prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0)
      return std::atol(argv[i] + prefix.size());
  return def;
}

} // namespace

int main(int argc, char** argv) {
  const long packets = arg(argc, argv, "packets", 1000000);
  const long owner_us = arg(argc, argv, "owner-us", 5);
  const long max_in_flight = arg(argc, argv, "max-in-flight", 65536);
  if (::geteuid() != 0) {
    std::cerr << "needs root (creates a network namespace)\n";
    return 77;
  }
  const std::string ns = "nfactor-rss-" + std::to_string(::getpid());
  if (sh("ip netns add " + ns) != 0 ||
      sh("ip -n " + ns + " link set lo up") != 0 ||
      sh("ip netns exec " + ns +
         " nft 'add table inet b; "
         "add chain inet b out { type filter hook output priority 0; }; "
         "add rule inet b out udp dport 9999 log group 5; "
         "add chain inet b in { type filter hook input priority 0; }; "
         "add rule inet b in udp dport 9999 drop'") != 0) {
    sh("ip netns del " + ns + " 2>/dev/null");
    return 1;
  }
  int status = 0;
  {
    caf::actor_system_config cfg;
    act::add_message_types(cfg);
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    counts c;
    auto owner = sys.spawn<caf::detached>(slow_owner, &c,
                                          std::chrono::microseconds{owner_us});
    act::log_listener_options lo;
    lo.nflog.group = 5;
    lo.nflog.ns = nfactor::sys::netns::named(ns);
    lo.max_in_flight = static_cast<std::size_t>(max_in_flight);
    sup::options so;
    so.observer = caf::actor{self};
    auto s = sup::spawn_supervisor(
        sys, so, {sup::child("log-5", [=](caf::actor_system& sys) {
          return act::spawn_log_listener(sys, owner, lo);
        })});
    sup::child_info child;
    self->receive([&](const sup::child_info& x) { child = x; },
                  caf::after(10s) >> [] {});
    auto listener = sup::handle_as<act::log_listener>(child);
    auto stats = [&] {
      act::log_stats st;
      self->request(listener, 10s, act::stats_atom_v)
          .receive([&](const act::log_stats& x) { st = x; },
                   [](const caf::error&) {});
      return st;
    };
    stats(); // the group is bound once the listener answers

    std::atomic<bool> sampling{true};
    std::atomic<long> peak{0};
    const long before = rss_kib();
    std::thread sampler{[&] {
      while (sampling) {
        peak = std::max(peak.load(), rss_kib());
        std::this_thread::sleep_for(20ms);
      }
    }};
    auto t0 = std::chrono::steady_clock::now();
    long sent = 0;
    (void)nfactor::sys::run_in(nfactor::sys::netns::named(ns),
                               [&] { sent = flood(packets); });
    auto t_sent = std::chrono::steady_clock::now();
    // Drain: wait until the listener's counters stop moving.
    act::log_stats st = stats(), prev;
    do {
      prev = st;
      std::this_thread::sleep_for(300ms);
      st = stats();
    } while (st.common.received + st.common.lost !=
                 prev.common.received + prev.common.lost ||
             st.in_flight != 0);
    auto t_done = std::chrono::steady_clock::now();
    sampling = false;
    sampler.join();
    const long after = rss_kib();
    auto secs = [](auto d) {
      return std::chrono::duration<double>(d).count();
    };
    std::printf(
        "{\"packets\":%ld,\"sent\":%ld,\"owner_us_per_event\":%ld,"
        "\"max_in_flight\":%ld,\"received\":%llu,\"delivered\":%llu,"
        "\"lost_reported\":%llu,\"lost_listener\":%llu,\"enobufs\":%llu,"
        "\"loss_reports\":%llu,\"unaccounted\":%lld,\"rss_before_kib\":%ld,"
        "\"rss_peak_kib\":%ld,\"rss_after_kib\":%ld,\"flood_s\":%.2f,"
        "\"drain_s\":%.2f,\"rcvbuf\":%d}\n",
        packets, sent, owner_us, max_in_flight,
        static_cast<unsigned long long>(st.common.received),
        static_cast<unsigned long long>(c.delivered.load()),
        static_cast<unsigned long long>(c.lost.load()),
        static_cast<unsigned long long>(st.common.lost),
        static_cast<unsigned long long>(st.common.enobufs),
        static_cast<unsigned long long>(c.loss_reports.load()),
        static_cast<long long>(sent) -
            static_cast<long long>(st.common.received + st.common.lost),
        before, peak.load(), after, secs(t_sent - t0), secs(t_done - t_sent),
        st.common.rcvbuf.value_or(0));
    std::fprintf(stderr,
                 "sent %ld, listener received %llu, owner got %llu, lost "
                 "%llu (reported to the owner: %llu in %llu reports, %llu "
                 "ENOBUFS); RSS %ld -> peak %ld -> %ld KiB\n",
                 sent, static_cast<unsigned long long>(st.common.received),
                 static_cast<unsigned long long>(c.delivered.load()),
                 static_cast<unsigned long long>(st.common.lost),
                 static_cast<unsigned long long>(c.lost.load()),
                 static_cast<unsigned long long>(c.loss_reports.load()),
                 static_cast<unsigned long long>(st.common.enobufs), before,
                 peak.load(), after);
    self->send_exit(s, caf::exit_reason::user_shutdown);
    self->send_exit(owner, caf::exit_reason::user_shutdown);
  }
  sh("ip netns del " + ns);
  return status;
}
