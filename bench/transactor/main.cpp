// SPDX-License-Identifier: Apache-2.0
// nfactor_bench_transactor K [--ack]: builds and commits, in the current
// network namespace, the ruleset of ../shared/peer-bench/gen_ruleset.sh K:
//   table ip bench { chain input { type filter hook input priority 0;
//     policy accept; ip saddr 10.A.B.C udp dport P counter accept ... } }
// and prints one JSON line: k, build_s (rules + encoding), commit_s (send
// and the kernel's verdict), wall_s, maxrss_kb, bytes, genid. `--ack` asks
// for an ack per operation (nft::commit_options::ack_each; default off).
// Run it in a fresh namespace (`unshare -n`), one K per process so maxrss
// is per K.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/resource.h>

#include "nfactor/nft/batch_ops.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "nfactor/nft/transaction.hpp"

using namespace nfactor;
using clk = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s K [--ack]\n", argv[0]);
    return 2;
  }
  nft::commit_options opts;
  opts.ack_each = argc > 2 && std::string{argv[2]} == "--ack";
  const long k = std::strtol(argv[1], nullptr, 10);
  auto t0 = clk::now();
  nft::batch b;
  b.reserve(static_cast<std::size_t>(k) * 420 + 4096,
            static_cast<std::size_t>(k) + 2);
  nft::table t;
  t.family = NFPROTO_IPV4;
  t.name = "bench";
  nft::add(b, t);
  nft::chain c;
  c.family = NFPROTO_IPV4;
  c.table = "bench";
  c.name = "input";
  c.hook = nft::hook{
      .num = NF_INET_LOCAL_IN, .priority = 0, .device = {}, .devices = {}};
  c.type = "filter";
  c.policy = NF_ACCEPT;
  nft::add(b, c);
  char addr[32];
  for (long i = 0; i < k; ++i) {
    std::snprintf(addr, sizeof addr, "10.%ld.%ld.%ld", (i / 65536) % 256,
                  (i / 256) % 256, i % 256);
    auto r = nft::front::rule_builder{nfnl::family::ipv4, "bench", "input"}
                 .match(nft::front::ip::saddr, addr)
                 .match(nft::front::udp::dport, 1024 + i % 60000)
                 .counter()
                 .accept()
                 .build();
    if (!r) {
      std::fprintf(stderr, "%s\n", r.err().message().c_str());
      return 1;
    }
    nft::add(b, *r);
  }
  auto enc = std::move(b).finish();
  if (!enc) {
    std::fprintf(stderr, "%s\n", enc.err().message().c_str());
    return 1;
  }
  auto t1 = clk::now();
  auto sock = sys::socket::open();
  if (!sock) {
    std::fprintf(stderr, "%s\n", sock.err().message().c_str());
    return 1;
  }
  auto res = nft::commit(*sock, *enc, opts);
  auto t2 = clk::now();
  if (!res) {
    std::fprintf(stderr, "%s\n", res.err().message().c_str());
    return 1;
  }
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](auto d) {
    return std::chrono::duration<double>(d).count();
  };
  auto tv = [](timeval t) {
    return double(t.tv_sec) + t.tv_usec / 1e6;
  };
  std::printf("{\"k\": %ld, \"build_s\": %.4f, \"commit_s\": %.4f, "
              "\"wall_s\": %.4f, \"maxrss_kb\": %ld, \"bytes\": %zu, "
              "\"acked\": %u, \"genid\": %u, \"ack_each\": %s, "
              "\"user_s\": %.4f, \"sys_s\": %.4f}\n",
              k, s(t1 - t0), s(t2 - t1), s(t2 - t0), ru.ru_maxrss, res->bytes,
              res->acked, res->genid, opts.ack_each ? "true" : "false",
              tv(ru.ru_utime), tv(ru.ru_stime));
  return 0;
}
