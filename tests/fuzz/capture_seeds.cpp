// SPDX-License-Identifier: Apache-2.0
// Captures real kernel messages as fuzz seeds: GETGEN replies, dumps of a
// varied ruleset, commit notifications and error acks with extack
// (fuzz_nl_message); notifications of every nf_tables object kind, their
// deletion, element and flowtable dumps, and whole commits in one file
// (fuzz_nft_decode); NFLOG datagrams (fuzz_nflog_decode); NFQUEUE
// datagrams and verdicts (fuzz_nfqueue_decode); conntrack events, dumps
// and statistics (fuzz_ct_decode).
// Each from a scratch namespace. Usage: capture_seeds CORPUS_DIR (root).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <sys/socket.h>

#include "ct_support.hpp"
#include "netns_fixture.hpp"
#include "nfactor/ct/events.hpp"
#include "nfactor/ct/message.hpp"
#include "nfactor/nflog/decode.hpp"
#include "nfactor/nflog/listener.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nfqueue/decode.hpp"
#include "nfactor/nfqueue/queue.hpp"
#include "nfactor/nft/flowtable.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/sys/request.hpp"
#include "traffic.hpp"

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
  writer* also = nullptr; // a second corpus that gets the same seeds
  explicit writer(fs::path d) : dir(std::move(d)) {
    fs::create_directories(dir);
  }
  void save(const std::string& what, byte_view bytes) {
    auto p = dir / (what + "-" + std::to_string(n++));
    std::ofstream out{p, std::ios::binary};
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (also)
      also->save(what, bytes);
  }
};

// Dumps one object kind; `attrs` adds request attributes (GETSETELEM needs
// the table and set).
void dump_kind(sys::socket& s, writer& w, std::uint8_t msg, const char* what,
               std::uint8_t family = NFPROTO_UNSPEC,
               void (*attrs)(nl::message_writer&) = nullptr) {
  byte_buffer req;
  nl::message_writer mw{req};
  auto seq = s.next_seq();
  mw.begin(nfnl::nlmsg_type(nfnl::subsys::nftables, msg),
           NLM_F_REQUEST | NLM_F_DUMP, seq);
  mw.put_nfgenmsg(family);
  if (attrs)
    attrs(mw);
  mw.end();
  auto st = sys::dump(s, req, seq, what, [&](const nl::message& m) {
    w.save(what, m.bytes);
    return result<void>{};
  });
  if (!st)
    std::fprintf(stderr, "%s\n", st.err().message().c_str());
}

// Saves every pending notification datagram, and all of them concatenated
// as one "commits" seed for the nf_tables corpus (several commits, each
// closed by its NEWGEN).
void drain_notifications(sys::socket& mon, writer& w) {
  std::vector<std::uint8_t> buf(1 << 16);
  byte_buffer all;
  for (;;) {
    auto r = mon.recv(buf);
    if (!r || r->status != sys::recv_status::data)
      break;
    w.save("notify", byte_view{buf.data(), r->size});
    all.insert(all.end(), buf.begin(), buf.begin() + r->size);
  }
  if (!all.empty())
    (w.also ? *w.also : w).save("commits", all);
}

// NFLOG events of UDP, TCP SYN and ICMP echo (v4 and v6) on lo, copy mode
// packet, seq + seq_global: every datagram one seed.
int capture_nflog(test::scratch_netns& netns, writer& w) {
  auto rs = netns.exec(
      "nft 'add table inet logt; "
      "add chain inet logt out { type filter hook output priority 0; }; "
      "add chain inet logt in { type filter hook input priority 0; }; "
      "add rule inet logt out ct state new counter; "
      "add rule inet logt out meta mark set 0x2a; "
      "add rule inet logt out udp dport 9999 log group 7 prefix \"udp\"; "
      "add rule inet logt out tcp dport 9998 log group 7 snaplen 40; "
      "add rule inet logt out icmp type echo-request log group 7; "
      "add rule inet logt out icmpv6 type echo-request log group 7; "
      "add rule inet logt in udp dport 9999 log group 7 prefix \"in\"'");
  if (rs.status != 0) {
    std::fprintf(stderr, "nft (nflog rules) failed: %s\n", rs.output.c_str());
    return 1;
  }
  nflog::options o;
  o.group = 7;
  o.ns = netns.ns();
  o.mode = nflog::copy_mode::packet;
  o.copy_range = 96;
  o.qthresh = 1;
  // (No conntrack flag: this kernel lacks CONFIG_NETFILTER_NETLINK_GLUE_CT,
  // so the corpus's NFULA_CT seeds are written by nfactor's encoder.)
  o.flags = {true, true, false};
  o.resolve_names = false;
  auto l = nflog::listener::open(o);
  if (!l) {
    std::fprintf(stderr, "%s\n", l.err().message().c_str());
    return 1;
  }
  test::send_udp(o.ns, AF_INET, 9999, "seed", 2);
  test::send_udp(o.ns, AF_INET6, 9999, "seed6");
  test::send_tcp_syn(o.ns, AF_INET, 9998);
  test::send_echo(o.ns, AF_INET, 7, "ping");
  test::send_echo(o.ns, AF_INET6, 8, "ping6");
  std::vector<std::uint8_t> buf(1 << 16);
  for (;;) {
    auto ready = l->wait_readable(std::chrono::milliseconds(300));
    if (!ready || !*ready)
      break;
    auto n = ::recv(l->fd(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0)
      break;
    w.save("nflog", byte_view{buf.data(), static_cast<std::size_t>(n)});
  }
  return 0;
}

// NFQUEUE packets of UDP, TCP SYN and ICMP echo (v4 and v6) on lo, copy
// mode packet, uid/gid flag, every datagram one seed (given a verdict so
// the next comes); then what nfactor's owners send back: verdicts of every
// kind, with mark, connmark, labels and a payload, single and batch, and a
// packet with every attribute (NFQA_CT as ctnetlink lays it out).
int capture_nfqueue(test::scratch_netns& netns, writer& w) {
  for (const char* tool : {"iptables", "ip6tables"}) {
    auto rs = netns.exec(std::string{tool} +
                         " -w -A OUTPUT -p udp --dport 9997 -j NFQUEUE "
                         "--queue-num 3 && " +
                         tool +
                         " -w -A OUTPUT -p tcp --dport 9996 -j NFQUEUE "
                         "--queue-num 3 && " +
                         tool + " -w -A OUTPUT -p " +
                         (tool[2] == '6' ? "icmpv6" : "icmp") +
                         " -j NFQUEUE --queue-num 3");
    if (rs.status != 0) {
      std::fprintf(stderr, "%s (nfqueue rules) failed: %s\n", tool,
                   rs.output.c_str());
      return 1;
    }
  }
  nfqueue::options o;
  o.queue = 3;
  o.ns = netns.ns();
  o.flags.uid_gid = true;
  auto q = nfqueue::queue_handle::open(o);
  if (!q) {
    std::fprintf(stderr, "%s\n", q.err().message().c_str());
    return 1;
  }
  test::send_udp(o.ns, AF_INET, 9997, "seed", 2);
  test::send_udp(o.ns, AF_INET6, 9997, "seed6");
  test::send_tcp_syn(o.ns, AF_INET, 9996);
  test::send_tcp_syn(o.ns, AF_INET6, 9996);
  test::send_echo(o.ns, AF_INET, 7, "ping");
  test::send_echo(o.ns, AF_INET6, 8, "ping6");
  std::vector<std::uint8_t> buf(1 << 16);
  for (;;) {
    auto ready = q->wait_readable(std::chrono::milliseconds(300));
    if (!ready || !*ready)
      break;
    auto n = ::recv(q->fd(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0)
      break;
    byte_view d{buf.data(), static_cast<std::size_t>(n)};
    w.save("nfqueue", d);
    nl::message_reader r{d};
    if (r.next())
      if (auto id = nfqueue::peek_packet_id(r.get()))
        (void)q->add_verdict(*id, nfqueue::verdict::drop());
    (void)q->flush_verdicts();
  }
  byte_buffer ct;
  nl::message_writer cw{ct};
  cw.begin(0, 0, 0); // a scratch message: only its attributes are kept
  auto orig = cw.begin_nested(CTA_TUPLE_ORIG);
  auto ip = cw.begin_nested(CTA_TUPLE_IP);
  cw.attr_u32_be(CTA_IP_V4_SRC, 0x7f000001u);
  cw.attr_u32_be(CTA_IP_V4_DST, 0x7f000001u);
  cw.end_nested(ip);
  auto proto = cw.begin_nested(CTA_TUPLE_PROTO);
  cw.attr_u8(CTA_PROTO_NUM, IPPROTO_UDP);
  cw.attr_u16_be(CTA_PROTO_SRC_PORT, 40000);
  cw.attr_u16_be(CTA_PROTO_DST_PORT, 9997);
  cw.end_nested(proto);
  cw.end_nested(orig);
  cw.attr_u32_be(CTA_STATUS, 0x188);
  cw.attr_u32_be(CTA_MARK, 0x55);
  cw.attr_u32_be(CTA_ID, 0x1234);
  cw.end();
  nfqueue::queue_packet p;
  p.family = NFPROTO_IPV4;
  p.queue = 3;
  p.id = 77;
  p.hw_protocol = 0x0800;
  p.hook = NF_INET_LOCAL_IN;
  p.indev = 1;
  p.physindev = 2;
  p.outdev = 3;
  p.physoutdev = 4;
  p.priority = 6;
  p.mark = 0x2a;
  p.hwaddr = nflog::hw_address{6, {2, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0}};
  p.vlan = nflog::vlan_tag{0x8100, 0x0064};
  p.l2hdr = byte_buffer(14, 0xcd);
  p.timestamp = nflog::timestamp{1700000000, 123456};
  p.uid = 1000;
  p.gid = 100;
  p.secctx = "system_u:object_r:unlabeled_t:s0";
  p.ct = byte_buffer(ct.begin() + 16, ct.end());
  p.ctinfo = 2;
  p.exp = byte_buffer(8, 0xee);
  p.cap_len = 1500;
  p.skb_info = 2;
  p.payload = byte_buffer{0x45, 0, 0, 0x1d, 0, 0, 0x40, 0, 0x40, 0x11};
  byte_buffer pm;
  nfqueue::append_packet(pm, p, 1);
  w.save("encoded-every-attribute", pm);
  using nfqueue::verdict;
  byte_buffer vs;
  auto full = verdict::accept();
  full.mark = 0x2a;
  full.priority = 3;
  full.connmark = 0x55;
  full.labels = nfqueue::ct_labels{1, 0, 0, 0x80};
  full.labels_mask = nfqueue::ct_labels{0xff, 0, 0, 0xff};
  full.payload = byte_buffer(48, 0x45);
  std::uint32_t id = 1;
  for (const auto& v : {verdict::accept(), verdict::drop(), verdict::repeat(),
                        verdict::stop(), verdict::to_queue(9, true), full})
    nfqueue::append_verdict(vs, 1, 3, id++, v);
  (void)nfqueue::append_verdict_batch(vs, 2, 3, id, verdict::accept());
  w.save("verdicts", vs);
  return 0;
}

// What this kernel cannot send (no nf_flow_table, no conntrack glue for
// NFLOG), written by nfactor's own encoders in the kernel's attribute
// order: an NFLOG event with every attribute (NFULA_CT as ctnetlink lays
// it out: UDP 127.0.0.2:40000 -> 127.0.0.1:53, status, TCP protoinfo,
// timeout, mark, use, id, zone; NFULA_VLAN; NFULA_L2HDR), and a flowtable's
// NEW and DEL messages with hook and devices.
void encoded_seeds(writer& nflog_w, writer& nft_w) {
  byte_buffer ct;
  nl::message_writer cw{ct};
  cw.begin(0, 0, 0);
  for (std::uint16_t dir : {CTA_TUPLE_ORIG, CTA_TUPLE_REPLY}) {
    auto t = cw.begin_nested(dir);
    auto ip = cw.begin_nested(CTA_TUPLE_IP);
    cw.attr_u32_be(CTA_IP_V4_SRC,
                   dir == CTA_TUPLE_ORIG ? 0x7f000002 : 0x7f000001);
    cw.attr_u32_be(CTA_IP_V4_DST,
                   dir == CTA_TUPLE_ORIG ? 0x7f000001 : 0x7f000002);
    cw.end_nested(ip);
    auto proto = cw.begin_nested(CTA_TUPLE_PROTO);
    cw.attr_u8(CTA_PROTO_NUM, IPPROTO_UDP);
    cw.attr_u16_be(CTA_PROTO_SRC_PORT, dir == CTA_TUPLE_ORIG ? 40000 : 53);
    cw.attr_u16_be(CTA_PROTO_DST_PORT, dir == CTA_TUPLE_ORIG ? 53 : 40000);
    cw.end_nested(proto);
    cw.attr_u16_be(CTA_TUPLE_ZONE, 0);
    cw.end_nested(t);
  }
  cw.attr_u32_be(CTA_STATUS, 0x188);
  auto pi = cw.begin_nested(CTA_PROTOINFO);
  auto tcp = cw.begin_nested(CTA_PROTOINFO_TCP);
  cw.attr_u8(CTA_PROTOINFO_TCP_STATE, 3);
  cw.end_nested(tcp);
  cw.end_nested(pi);
  cw.attr_u32_be(CTA_TIMEOUT, 30);
  cw.attr_u32_be(CTA_MARK, 0x2a);
  cw.attr_u32_be(CTA_USE, 1);
  cw.attr_u32_be(CTA_ID, 0x12345678);
  cw.attr_u16_be(CTA_ZONE, 0);
  cw.end();
  nflog::log_event e;
  e.family = NFPROTO_BRIDGE;
  e.group = 7;
  e.hw_protocol = 0x8100;
  e.hook = 1;
  e.mark = 0x2a;
  e.timestamp = nflog::timestamp{1700000000, 123456};
  e.indev = 1;
  e.physindev = 2;
  e.hwaddr = nflog::hw_address{6, {2, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0}};
  e.payload = byte_buffer{0x45, 0, 0, 0x1c, 0, 1, 0, 0, 64, 17};
  e.prefix = "encoded";
  e.uid = 0;
  e.gid = 0;
  e.seq = 1;
  e.seq_global = 1;
  e.hwtype = 1;
  e.hwlen = 14;
  e.hwheader = byte_buffer(14, 0xab);
  e.ct = byte_buffer(ct.begin() + NLMSG_HDRLEN, ct.end());
  e.ctinfo = 2;
  e.vlan = nflog::vlan_tag{0x8100, 0x0064};
  e.l2hdr = byte_buffer(18, 0xcd);
  byte_buffer ev;
  nflog::append_packet(ev, e, 1);
  nflog_w.save("encoded-every-attribute", ev);

  nft::flowtable f;
  f.family = NFPROTO_INET;
  f.table = "seeds";
  f.name = "ft";
  f.use = 0;
  f.handle = 9;
  f.flags = NFT_FLOWTABLE_COUNTER;
  f.hook = nft::flowtable_hook{NF_NETDEV_INGRESS, 0,
                               std::vector<std::string>{"lo", "veth0"}};
  byte_buffer fb;
  nft::append(fb, NFT_MSG_NEWFLOWTABLE, 0, 1, f);
  nft::append(fb, NFT_MSG_DELFLOWTABLE, 0, 1, f);
  nft_w.save("encoded-flowtable", fb);
}

} // namespace

// Conntrack NEW/UPDATE/DESTROY events of UDP, TCP and ICMP flows over
// IPv4 and IPv6 with accounting and timestamps, a dump, per-CPU and
// global statistics: every datagram one seed.
int capture_ct(writer& w) {
  test::scratch_netns netns;
  netns.nft("add table inet ct_test; add chain inet ct_test out { type "
            "filter hook output priority 0; }; add rule inet ct_test out ct "
            "state new counter");
  netns.exec("sysctl -qw net.netfilter.nf_conntrack_acct=1 "
             "net.netfilter.nf_conntrack_timestamp=1");
  sys::socket_options o;
  o.ns = netns.ns();
  auto table = sys::socket::open(o);
  ct::event_groups all;
  all.updated = true;
  o.groups = ct::group_numbers(all);
  o.rcvbuf = 1 << 20;
  auto events = sys::socket::open(o);
  if (!table || !events)
    return 1;
  {
    test::tcp_connection t4{netns.ns(), AF_INET, 7001};
    test::tcp_connection t6{netns.ns(), AF_INET6, 7002};
    test::udp_flows(netns.ns(), AF_INET, 7100, 2, 7003);
    test::udp_flows(netns.ns(), AF_INET6, 7100, 2, 7004);
    test::send_echo(netns.ns(), AF_INET, 7, "seed");
    test::send_echo(netns.ns(), AF_INET6, 8, "seed");
    auto save_reply = [&](const char* what) {
      return [&w, what](const nl::message& m) {
        w.save(what, m.bytes);
        return result<void>{};
      };
    };
    auto seq = table->next_seq();
    (void)sys::dump(*table, *ct::dump_request({}, seq), seq, "dump",
                    save_reply("dump"));
    seq = table->next_seq();
    (void)sys::dump(*table, ct::stats_cpu_request(seq), seq, "cpu",
                    save_reply("cpu"));
    seq = table->next_seq();
    (void)sys::request(*table, ct::stats_request(seq), seq, "stats",
                       save_reply("stats"));
    seq = table->next_seq();
    (void)sys::request(*table, *ct::flush_request({}, seq), seq, "flush");
  }
  std::vector<std::uint8_t> buf(1 << 16);
  (void)events->wait_readable(std::chrono::seconds(2));
  for (;;) {
    auto r = events->recv(buf);
    if (!r || r->status != sys::recv_status::data)
      break;
    w.save("event", byte_view{buf.data(), r->size});
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  writer w{fs::path{argv[1]} / "fuzz_nl_message"};
  writer nw{fs::path{argv[1]} / "fuzz_nft_decode"};
  writer lw{fs::path{argv[1]} / "fuzz_nflog_decode"};
  writer qw{fs::path{argv[1]} / "fuzz_nfqueue_decode"};
  w.also = &nw;
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
  auto rs = netns.exec("printf '%s\\n' " + test::shell_quote(ruleset) +
                       " | nft -f -");
  if (rs.status != 0) {
    std::fprintf(stderr, "nft -f failed: %s\n", rs.output.c_str());
    return 1;
  }
  netns.exec(
      "nft delete chain inet seeds spare; nft flush set inet seeds addrs");
  drain_notifications(*mon, w);
  std::vector<std::uint8_t> buf(1 << 16);
  byte_buffer req;
  auto seq = s->next_seq();
  nft::append_getgen(req, seq);
  (void)sys::request(*s, req, seq, "getgen", [&](const nl::message& m) {
    w.save("gen", m.bytes);
    return result<void>{};
  });
  dump_kind(*s, w, NFT_MSG_GETTABLE, "table");
  dump_kind(*s, w, NFT_MSG_GETCHAIN, "chain");
  dump_kind(*s, w, NFT_MSG_GETRULE, "rule");
  dump_kind(*s, w, NFT_MSG_GETSET, "set");
  dump_kind(*s, w, NFT_MSG_GETOBJ, "obj");
  w.also = nullptr; // the rest only for the nf_tables decoders
  // (No flowtable: this kernel has no nf_flow_table; that corpus's
  // flowtable seed is written by nfactor's encoder, see its README note.)
  dump_kind(*s, nw, NFT_MSG_GETSETELEM, "elems", NFPROTO_INET,
            [](nl::message_writer& mw) {
              mw.attr_str(NFTA_SET_ELEM_LIST_TABLE, "seeds");
              mw.attr_str(NFTA_SET_ELEM_LIST_SET, "ports");
            });
  // Deletion of everything: DEL* notifications of every kind.
  netns.exec("nft delete table inet seeds; nft delete table ip nat");
  drain_notifications(*mon, nw);
  if (capture_nflog(netns, lw) != 0)
    return 1;
  if (capture_nfqueue(netns, qw) != 0)
    return 1;
  writer cw{fs::path{argv[1]} / "fuzz_ct_decode"};
  if (capture_ct(cw) != 0)
    return 1;
  encoded_seeds(lw, nw);
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
    (void)s->wait_readable(std::chrono::seconds(2));
    if (auto r = s->recv(buf); r && r->status == sys::recv_status::data)
      w.save("error", byte_view{buf.data(), r->size});
  }
  for (auto* x : {&w, &nw, &lw, &qw, &cw})
    std::printf("captured %d seeds into %s\n", x->n, x->dir.c_str());
  return 0;
}
