// SPDX-License-Identifier: Apache-2.0
// nfactor_ct_raw_loop: the limit for conntrack events, libmnl and nothing
// else. Joins NEW and DESTROY (and UPDATE with -u), then blocks in
// mnl_socket_recvfrom and counts the messages by type without decoding
// their attributes; ENOBUFS is counted and reading goes on. On
// SIGINT/SIGTERM prints one JSON line: {"new","update","destroy",
// "enobufs","dropped"} (dropped: the socket's SO_MEMINFO drop counter).
//
// Usage: nfactor_ct_raw_loop [-b RCVBUF] [-u]   (default rcvbuf 8 MiB)
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstdint>

#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <libmnl/libmnl.h>

namespace {

volatile std::sig_atomic_t stop = 0;

void on_signal(int) {
  stop = 1;
}

} // namespace

int main(int argc, char** argv) {
  int rcvbuf = 8 << 20;
  bool updates = false;
  for (int opt; (opt = ::getopt(argc, argv, "b:u")) != -1;) {
    if (opt == 'b')
      rcvbuf = std::atoi(optarg);
    else if (opt == 'u')
      updates = true;
    else {
      std::fprintf(stderr, "usage: %s [-b RCVBUF] [-u]\n", argv[0]);
      return 2;
    }
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal; // no SA_RESTART: the blocking recv returns EINTR
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  unsigned groups = NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_DESTROY;
  if (updates)
    groups |= NF_NETLINK_CONNTRACK_UPDATE;
  if (!nl || mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
    std::perror("mnl_socket");
    return 1;
  }
  int fd = mnl_socket_get_fd(nl);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  std::fprintf(stderr, "nfactor_ct_raw_loop: listening\n");
  static char buf[65536];
  std::uint64_t created = 0, updated = 0, destroyed = 0, enobufs = 0;
  while (!stop) {
    auto n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n < 0) {
      if (errno == ENOBUFS)
        ++enobufs;
      else if (errno != EINTR) {
        std::perror("recv");
        break;
      }
      continue;
    }
    auto len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(buf); mnl_nlmsg_ok(h, len);
         h = mnl_nlmsg_next(h, &len)) {
      if ((h->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
        continue;
      switch (h->nlmsg_type & 0xff) {
      case IPCTNL_MSG_CT_NEW:
        if (h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL))
          ++created;
        else
          ++updated;
        break;
      case IPCTNL_MSG_CT_DELETE:
        ++destroyed;
        break;
      default:
        break;
      }
    }
  }
  std::uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t mlen = sizeof mem;
  std::uint32_t dropped = 0;
  if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &mlen) == 0)
    dropped = mem[SK_MEMINFO_DROPS];
  std::printf("{\"new\":%llu,\"update\":%llu,\"destroy\":%llu,\"enobufs\":%llu,"
              "\"dropped\":%u}\n",
              static_cast<unsigned long long>(created),
              static_cast<unsigned long long>(updated),
              static_cast<unsigned long long>(destroyed),
              static_cast<unsigned long long>(enobufs), dropped);
  mnl_socket_close(nl);
  return 0;
}
