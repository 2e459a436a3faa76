// SPDX-License-Identifier: Apache-2.0
// Captures real kernel messages as fuzz seeds: GETGEN replies, dumps of a
// varied ruleset, commit notifications and error acks with extack, each
// from a scratch namespace. Usage: capture_seeds CORPUS_DIR (run as root).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "netns_fixture.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/sys/request.hpp"

using namespace nfactor;
namespace fs = std::filesystem;

namespace {

// A ruleset that makes the kernel use many attribute shapes.
constexpr const char* ruleset = R"(
table inet seeds {
  set addrs { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1 } }
  map ports { type inet_service : verdict; elements = { 22 : accept, 80 : drop } }
  counter hits { }
  quota q { over 10 mbytes }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @addrs counter accept
    tcp dport vmap @ports
    meta mark set 0x10 log prefix "seed " group 3 snaplen 64
    ct state established,related accept
    udp dport 53 limit rate 10/second accept
    ip6 nexthdr icmpv6 reject
    iifname "lo" counter name "hits"
  }
  chain spare { }
}
table ip nat {
  chain post {
    type nat hook postrouting priority 100;
    masquerade
  }
}
)";

struct writer {
  fs::path dir;
  int n = 0;
  void save(const std::string& what, byte_view bytes) {
    auto p = dir / (what + "-" + std::to_string(n++));
    std::ofstream out{p, std::ios::binary};
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
};

void dump_kind(sys::socket& s, writer& w, std::uint8_t msg, const char* what) {
  byte_buffer req;
  nl::message_writer mw{req};
  auto seq = s.next_seq();
  mw.begin(nfnl::nlmsg_type(nfnl::subsys::nftables, msg),
           NLM_F_REQUEST | NLM_F_DUMP, seq);
  mw.put_nfgenmsg(NFPROTO_UNSPEC);
  mw.end();
  auto st = sys::dump(s, req, seq, what, [&](const nl::message& m) {
    w.save(what, m.bytes);
    return result<void>{};
  });
  if (!st)
    std::fprintf(stderr, "%s\n", st.err().message().c_str());
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  writer w{fs::path{argv[1]} / "fuzz_nl_message"};
  fs::create_directories(w.dir);
  test::scratch_netns netns;
  sys::socket_options o;
  o.ns = netns.ns();
  auto s = sys::socket::open(o);
  o.groups = {NFNLGRP_NFTABLES};
  o.rcvbuf = 4 << 20;
  auto mon = sys::socket::open(o);
  if (!s || !mon) {
    std::fprintf(stderr, "cannot open sockets\n");
    return 1;
  }
  auto rs = netns.exec("printf '%s\\n' " + test::shell_quote(ruleset)
                       + " | nft -f -");
  if (rs.status != 0) {
    std::fprintf(stderr, "nft -f failed: %s\n", rs.output.c_str());
    return 1;
  }
  netns.exec("nft delete chain inet seeds spare; nft flush set inet seeds addrs");
  std::vector<std::uint8_t> buf(1 << 16);
  for (;;) {
    auto r = mon->recv(buf);
    if (!r || r->status != sys::recv_status::data)
      break;
    w.save("notify", byte_view{buf.data(), r->size});
  }
  byte_buffer req;
  auto seq = s->next_seq();
  nft::append_getgen(req, seq);
  (void) sys::request(*s, req, seq, "getgen", [&](const nl::message& m) {
    w.save("gen", m.bytes);
    return result<void>{};
  });
  dump_kind(*s, w, NFT_MSG_GETTABLE, "table");
  dump_kind(*s, w, NFT_MSG_GETCHAIN, "chain");
  dump_kind(*s, w, NFT_MSG_GETRULE, "rule");
  dump_kind(*s, w, NFT_MSG_GETSET, "set");
  dump_kind(*s, w, NFT_MSG_GETOBJ, "obj");
  // An error with extended ACK: a table request without a name.
  req.clear();
  nl::message_writer mw{req};
  seq = s->next_seq();
  mw.begin(nfnl::nlmsg_type(nfnl::subsys::nftables, NFT_MSG_GETTABLE),
           NLM_F_REQUEST | NLM_F_ACK, seq);
  mw.put_nfgenmsg(NFPROTO_INET);
  mw.attr_str(NFTA_TABLE_NAME, "missing");
  mw.end();
  if (s->send(req)) {
    (void) s->wait_readable(std::chrono::seconds(2));
    if (auto r = s->recv(buf); r && r->status == sys::recv_status::data)
      w.save("error", byte_view{buf.data(), r->size});
  }
  std::printf("captured %d seeds into %s\n", w.n, w.dir.c_str());
  return 0;
}
