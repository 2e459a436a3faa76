// SPDX-License-Identifier: Apache-2.0
// nfactor_ct_flow_gen: N short UDP flows to 127.0.0.1, each its own
// conntrack entry (distinct source address/port pairs: ports 1024..61023
// from 127.1.0.0, then 127.1.0.1, ...), one 1-byte datagram each. The
// datagrams are built by hand and sent through a raw socket (IP_HDRINCL)
// with sendmmsg, 64 per call, so the generator is not what limits the
// rate. They pass the output hook like any local packet: conntrack tracks
// them and sends one NEW event per flow.
//
// Usage: nfactor_ct_flow_gen [-n FLOWS] [-r FLOWS_PER_S] [-p DPORT]
//   -n flows (default 100000)
//   -r pace to this many flows per second (default 0: flat out)
//   -p destination port (default 9999; bind a sink there, or the kernel
//      answers every datagram with an ICMP error)
// Prints one JSON line: {"flows":N,"seconds":S,"rate":N/S}.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct datagram {
  iphdr ip;
  udphdr udp;
  char payload[1];
} __attribute__((packed));

constexpr int batch = 64;
constexpr int ports = 60000;

} // namespace

int main(int argc, char** argv) {
  long flows = 100000;
  double rate = 0;
  int dport = 9999;
  for (int opt; (opt = ::getopt(argc, argv, "n:r:p:")) != -1;) {
    switch (opt) {
    case 'n':
      flows = std::atol(optarg);
      break;
    case 'r':
      rate = std::atof(optarg);
      break;
    case 'p':
      dport = std::atoi(optarg);
      break;
    default:
      std::fprintf(stderr, "usage: %s [-n FLOWS] [-r FLOWS_PER_S] [-p DPORT]\n",
                   argv[0]);
      return 2;
    }
  }
  int fd = ::socket(AF_INET, SOCK_RAW, IPPROTO_RAW); // implies IP_HDRINCL
  if (fd < 0) {
    std::perror("socket(SOCK_RAW)");
    return 1;
  }
  int sndbuf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<datagram> pkts(batch);
  std::vector<iovec> iov(batch);
  std::vector<mmsghdr> msgs(batch);
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  long sent = 0;
  while (sent < flows) {
    int n = static_cast<int>(std::min<long>(batch, flows - sent));
    for (int i = 0; i < n; ++i) {
      long f = sent + i;
      auto& p = pkts[i];
      std::memset(&p, 0, sizeof p);
      p.ip.version = 4;
      p.ip.ihl = 5;
      p.ip.ttl = 64;
      p.ip.protocol = IPPROTO_UDP;
      p.ip.tot_len = htons(sizeof p); // the kernel fills id and checksum
      p.ip.saddr = htonl(0x7f010000u + static_cast<std::uint32_t>(f / ports));
      p.ip.daddr = htonl(INADDR_LOOPBACK);
      p.udp.source = htons(static_cast<std::uint16_t>(1024 + f % ports));
      p.udp.dest = htons(static_cast<std::uint16_t>(dport));
      p.udp.len = htons(sizeof p.udp + sizeof p.payload);
      p.payload[0] = 'f';
      iov[i] = {&p, sizeof p};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &to;
      msgs[i].msg_hdr.msg_namelen = sizeof to;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    if (rate > 0) {
      auto due = start + std::chrono::duration_cast<clock::duration>(
                             std::chrono::duration<double>(sent / rate));
      auto wait = due - clock::now();
      if (wait.count() > 0) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait);
        timespec ts{static_cast<time_t>(ns.count() / 1000000000),
                    static_cast<long>(ns.count() % 1000000000)};
        ::nanosleep(&ts, nullptr);
      }
    }
    int done = 0;
    while (done < n) {
      int r = ::sendmmsg(fd, msgs.data() + done,
                         static_cast<unsigned>(n - done), 0);
      if (r < 0) {
        if (errno == ENOBUFS || errno == EAGAIN)
          continue;
        std::perror("sendmmsg");
        return 1;
      }
      done += r;
    }
    sent += n;
  }
  double s = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("{\"flows\":%ld,\"seconds\":%.6f,\"rate\":%.0f}\n", sent, s,
              s > 0 ? static_cast<double>(sent) / s : 0.0);
  ::close(fd);
  return 0;
}
