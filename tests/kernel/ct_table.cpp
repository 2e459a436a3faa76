// SPDX-License-Identifier: Apache-2.0
// The ctnetlink layer against the real kernel, each test in its own
// namespace with conntrack tracking loopback flows: NEW then DESTROY
// events with exact counters for UDP, TCP and ICMP over IPv4 and IPv6;
// dumps equal to `conntrack -L`; filters, flush, create/get/update,
// statistics; the BPF event filter; a forced overrun (ENOBUFS).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <map>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>

#include "ct_support.hpp"
#include "nfactor/ct/events.hpp"
#include "nfactor/ct/message.hpp"
#include "nfactor/ct/ops.hpp"
#include "nfactor/nl/message.hpp"
#include "nfactor/sys/socket.hpp"
#include "tx_helpers.hpp"

namespace ct_table {
using namespace nfactor;
using namespace std::chrono_literals;
using nfactor::test::ct_netns_fixture;
using nfactor::test::needs_kernel;
using nfactor::test::open_socket;

// Reads events from `sock` until `done(events)` or `limit` passes without
// it; returns what was read. Overruns are counted in `overruns`.
template <class Done>
std::vector<ct::event> read_events(sys::socket& sock, Done done,
                                   std::chrono::milliseconds limit = 10s,
                                   int* overruns = nullptr) {
  std::vector<ct::event> out;
  std::vector<std::uint8_t> buf(sys::default_recv_buffer);
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done(out) && std::chrono::steady_clock::now() < until) {
    auto ready = sock.wait_readable(100ms);
    NFACTOR_REQUIRE_OK(ready);
    for (;;) {
      auto got = sock.recv(buf);
      NFACTOR_REQUIRE_OK(got);
      if (got->status == sys::recv_status::would_block)
        break;
      if (got->status == sys::recv_status::overrun) {
        if (overruns)
          ++*overruns;
        continue;
      }
      nl::message_reader r{byte_view{buf.data(), got->size}};
      while (r.next()) {
        auto ev = ct::decode_event(r.get());
        NFACTOR_REQUIRE_OK(ev);
        out.push_back(std::move(*ev));
      }
      BOOST_REQUIRE(r.status().has_value());
    }
  }
  return out;
}

// The events in `evs` of kind `k` whose original destination port (or
// ICMP id) is `key`.
std::vector<ct::event> of(const std::vector<ct::event>& evs, ct::change k,
                          std::uint16_t key) {
  std::vector<ct::event> out;
  for (const auto& ev : evs)
    if (ev.kind == k && ev.ct.orig &&
        (ev.ct.orig->dst_port == key || ev.ct.orig->echo_id == key))
      out.push_back(ev);
  return out;
}

auto count_of(ct::change k, std::uint16_t key, std::size_t n) {
  return [=](const std::vector<ct::event>& evs) {
    return of(evs, k, key).size() >= n;
  };
}

} // namespace ct_table

BOOST_AUTO_TEST_SUITE(ct_table, *boost::unit_test::precondition(needs_kernel))

// NEW, then DESTROY after a delete request, with the counters of what was
// sent (3 datagrams of 10 bytes), for IPv4 and IPv6.
BOOST_FIXTURE_TEST_CASE(udp_new_then_destroy_with_counters, ct_netns_fixture) {
  auto events = open_socket(netns, ct::group_numbers({}), 1 << 20);
  auto table = open_socket(netns);
  for (int family : {AF_INET, AF_INET6}) {
    std::uint16_t port = family == AF_INET ? 4001 : 4002;
    test::udp_sink sink{netns.ns(), family, port};
    BOOST_TEST(test::send_udp(netns.ns(), family, port, "0123456789", 3) == 3);
    auto evs = read_events(events, count_of(ct::change::created, port, 1));
    auto created = of(evs, ct::change::created, port);
    BOOST_TEST_REQUIRE(created.size() == 1u);
    const auto& ct = created.front().ct;
    BOOST_TEST(created.front().family == family);
    BOOST_TEST_REQUIRE(ct.orig.has_value());
    BOOST_TEST((ct.orig->l4proto == std::uint8_t{IPPROTO_UDP}));
    BOOST_TEST(ct.orig->src->version == (family == AF_INET ? 4 : 6));
    BOOST_TEST(ct.id.has_value());
    auto removed = ct::remove(table, *ct.orig, ct.id);
    NFACTOR_REQUIRE_OK(removed);
    evs = read_events(events, count_of(ct::change::destroyed, port, 1));
    auto destroyed = of(evs, ct::change::destroyed, port);
    BOOST_TEST_REQUIRE(destroyed.size() == 1u);
    const auto& end = destroyed.front().ct;
    BOOST_TEST((end.id == ct.id));
    BOOST_TEST_REQUIRE(end.counters_orig.has_value());
    BOOST_TEST(end.counters_orig->packets == 3u);
    BOOST_TEST(end.counters_orig->bytes ==
               3 * test::udp_wire_bytes(family, 10));
    BOOST_TEST(end.counters_reply->packets == 0u);
    // Timestamps come with DESTROY (NEW events carry none).
    BOOST_TEST_REQUIRE(end.timestamp_start.has_value());
    BOOST_TEST_REQUIRE(end.timestamp_stop.has_value());
    BOOST_TEST(*end.timestamp_stop >= *end.timestamp_start);
  }
}

BOOST_FIXTURE_TEST_CASE(icmp_and_tcp_flows, ct_netns_fixture) {
  auto events = open_socket(netns, ct::group_numbers({}), 1 << 20);
  auto table = open_socket(netns);
  for (int family : {AF_INET, AF_INET6}) {
    std::uint16_t id = family == AF_INET ? 0x4141 : 0x4242;
    BOOST_TEST_REQUIRE(test::send_echo(netns.ns(), family, id, "abcd"));
    auto evs = read_events(events, count_of(ct::change::created, id, 1));
    auto created = of(evs, ct::change::created, id);
    BOOST_TEST_REQUIRE(created.size() == 1u);
    auto& orig = *created.front().ct.orig;
    int icmp = family == AF_INET ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
    BOOST_TEST((orig.l4proto == std::uint8_t(icmp)));
    BOOST_TEST((orig.icmp_type ==
                std::uint8_t(family == AF_INET ? 8 : 128))); // echo request
    NFACTOR_REQUIRE_OK(ct::remove(table, orig));
    evs = read_events(events, count_of(ct::change::destroyed, id, 1));
    auto destroyed = of(evs, ct::change::destroyed, id);
    BOOST_TEST_REQUIRE(destroyed.size() == 1u);
    // The echo request and the kernel's echo reply on lo.
    BOOST_TEST(destroyed.front().ct.counters_orig->packets == 1u);
    BOOST_TEST(destroyed.front().ct.counters_reply->packets == 1u);
    BOOST_TEST(destroyed.front().ct.counters_orig->bytes ==
               (family == AF_INET ? 20u : 40u) + 8u + 4u);
  }
  // An established connection: NEW carries the TCP state; the table's
  // entry is found by its tuple.
  test::tcp_connection tcp{netns.ns(), AF_INET, 4003};
  auto evs = read_events(events, count_of(ct::change::created, 4003, 1));
  auto created = of(evs, ct::change::created, 4003);
  BOOST_TEST_REQUIRE(created.size() == 1u);
  BOOST_TEST(created.front().ct.tcp_state.has_value());
  auto got = ct::get(table, *created.front().ct.orig);
  NFACTOR_REQUIRE_OK(got);
  BOOST_TEST((got->id == created.front().ct.id));
  NFACTOR_REQUIRE_OK(ct::remove(table, *created.front().ct.orig));
  auto gone = ct::get(table, *created.front().ct.orig);
  BOOST_TEST_REQUIRE(!gone);
  BOOST_TEST(gone.err().errno_value() == ENOENT);
}

// A shorter timeout set by an update request ends the entry: DESTROY.
BOOST_FIXTURE_TEST_CASE(timeout_update_ends_the_entry, ct_netns_fixture) {
  auto events = open_socket(netns, ct::group_numbers({}), 1 << 20);
  auto table = open_socket(netns);
  test::udp_sink sink{netns.ns(), AF_INET, 4004};
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 4004, "x", 1) == 1);
  auto evs = read_events(events, count_of(ct::change::created, 4004, 1));
  BOOST_TEST_REQUIRE(of(evs, ct::change::created, 4004).size() == 1u);
  ct::entry change;
  change.orig = of(evs, ct::change::created, 4004).front().ct.orig;
  change.timeout = 1;
  change.mark = 0x77;
  NFACTOR_REQUIRE_OK(ct::update(table, change));
  auto now = ct::get(table, *change.orig);
  NFACTOR_REQUIRE_OK(now);
  BOOST_TEST((now->mark == 0x77u));
  BOOST_TEST(*now->timeout <= 1u);
  // The garbage collector may take its time; a dump reaps expired entries
  // as it meets them, so dump until the DESTROY event comes.
  std::vector<ct::event> destroyed;
  for (int i = 0; i < 240 && destroyed.empty(); ++i) {
    evs = read_events(events, count_of(ct::change::destroyed, 4004, 1), 250ms);
    destroyed = of(evs, ct::change::destroyed, 4004);
    NFACTOR_REQUIRE_OK(ct::dump(table));
  }
  BOOST_TEST_REQUIRE(destroyed.size() == 1u);
  BOOST_TEST((destroyed.front().ct.mark == 0x77u));
}

// Our dump lists what `conntrack -L -o extended,id` lists, field by field.
BOOST_FIXTURE_TEST_CASE(dump_equals_conntrack_listing, ct_netns_fixture) {
  auto table = open_socket(netns);
  test::udp_sink a{netns.ns(), AF_INET, 4010};
  test::udp_sink b{netns.ns(), AF_INET6, 4011};
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 4010, "hello", 2) == 2);
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET6, 4011, "hello", 1) == 1);
  BOOST_TEST(test::send_echo(netns.ns(), AF_INET, 0x99, "ping"));
  BOOST_TEST(test::send_echo(netns.ns(), AF_INET6, 0x98, "ping"));
  test::tcp_connection tcp{netns.ns(), AF_INET6, 4012};
  std::vector<ct::event> dumped;
  auto st = ct::dump(table, {},
                     [&](ct::event&& ev) { dumped.push_back(std::move(ev)); });
  NFACTOR_REQUIRE_OK(st);
  auto ours = test::ct_lines(dumped);
  auto theirs = test::conntrack_listing(netns);
  BOOST_TEST(ours.size() >= 5u);
  BOOST_TEST(ours == theirs, "ours:" << test::joined(ours)
                                     << "\nconntrack:" << test::joined(theirs));
}

BOOST_FIXTURE_TEST_CASE(filters_flush_and_stats, ct_netns_fixture) {
  auto table = open_socket(netns);
  test::udp_sink a{netns.ns(), AF_INET, 4020};
  test::udp_sink b{netns.ns(), AF_INET6, 4021};
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 4020, "a", 1) == 1);
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET6, 4021, "b", 1) == 1);
  BOOST_TEST(test::send_echo(netns.ns(), AF_INET, 0x31, "c"));
  auto all = ct::dump(table);
  NFACTOR_REQUIRE_OK(all);
  BOOST_TEST_REQUIRE(all->size() == 3u);
  // Mark the IPv4 UDP entry.
  for (const auto& e : *all)
    if (e.orig->dst_port == 4020) {
      ct::entry m;
      m.orig = e.orig;
      m.mark = 0x1234;
      NFACTOR_REQUIRE_OK(ct::update(table, m));
    }
  auto count = [&](const ct::filter& f) {
    auto r = ct::dump(table, f);
    NFACTOR_REQUIRE_OK(r);
    return r->size();
  };
  ct::filter by_family;
  by_family.family = AF_INET6;
  BOOST_TEST(count(by_family) == 1u);
  ct::filter by_mark;
  by_mark.mark = 0x1200;
  by_mark.mark_mask = 0xff00;
  BOOST_TEST(count(by_mark) == 1u);
  ct::filter by_proto;
  by_proto.family = AF_INET;
  ct::tuple udp;
  udp.l4proto = IPPROTO_UDP;
  by_proto.orig = udp;
  BOOST_TEST(count(by_proto) == 1u);
  ct::filter by_port = by_proto;
  by_port.orig->dst_port = 9; // nobody
  BOOST_TEST(count(by_port) == 0u);
  ct::filter by_zone;
  by_zone.zone = 5;
  BOOST_TEST(count(by_zone) == 0u);
  by_zone.zone = 0;
  BOOST_TEST(count(by_zone) == 3u);
  // Statistics: one record per possible CPU; the global count is the
  // table's size.
  auto cpus = ct::stats_per_cpu(table);
  NFACTOR_REQUIRE_OK(cpus);
  BOOST_TEST(cpus->size() >= 1u);
  auto global = ct::stats(table);
  NFACTOR_REQUIRE_OK(global);
  BOOST_TEST(global->entries == 3u);
  auto max = netns.exec("sysctl -n net.netfilter.nf_conntrack_max");
  BOOST_TEST(std::to_string(global->max_entries) + "\n" == max.output);
  // Flushes take the same filters: mark, zone, tuple, family.
  NFACTOR_REQUIRE_OK(ct::flush(table, by_mark));
  BOOST_TEST(count({}) == 2u);
  ct::filter zone_flush;
  zone_flush.zone = 5;
  NFACTOR_REQUIRE_OK(ct::flush(table, zone_flush));
  BOOST_TEST(count({}) == 2u);
  ct::filter icmp_flush;
  icmp_flush.family = AF_INET;
  ct::tuple icmp;
  icmp.l4proto = IPPROTO_ICMP;
  icmp_flush.orig = icmp;
  NFACTOR_REQUIRE_OK(ct::flush(table, icmp_flush));
  BOOST_TEST(count({}) == 1u);
  BOOST_TEST(count(by_family) == 1u); // the IPv6 UDP entry is left
  NFACTOR_REQUIRE_OK(ct::flush(table, by_family));
  BOOST_TEST(count({}) == 0u);
  NFACTOR_REQUIRE_OK(ct::flush(table));
  BOOST_TEST(test::conntrack_listing(netns).empty());
}

// An entry made by request, read back, and refused a second time.
BOOST_FIXTURE_TEST_CASE(create_get_and_duplicates, ct_netns_fixture) {
  auto table = open_socket(netns);
  ct::entry e;
  ct::tuple o;
  o.src = ct::ip_address::parse("10.9.9.1");
  o.dst = ct::ip_address::parse("10.9.9.2");
  o.l4proto = IPPROTO_UDP;
  o.src_port = 5000;
  o.dst_port = 53;
  ct::tuple r = o;
  std::swap(r.src, r.dst);
  std::swap(r.src_port, r.dst_port);
  e.orig = o;
  e.reply = r;
  e.timeout = 100;
  e.mark = 9;
  e.status = IPS_CONFIRMED;
  NFACTOR_REQUIRE_OK(ct::create(table, e));
  auto got = ct::get(table, o);
  NFACTOR_REQUIRE_OK(got);
  BOOST_TEST((got->mark == 9u));
  BOOST_TEST((got->reply == r));
  BOOST_TEST(*got->timeout <= 100u);
  auto again = ct::create(table, e);
  BOOST_TEST_REQUIRE(!again);
  BOOST_TEST(again.err().errno_value() == EEXIST);
  // The same entry in conntrack's listing.
  auto theirs = test::conntrack_listing(netns);
  BOOST_TEST_REQUIRE(theirs.size() == 1u);
  BOOST_TEST(theirs.front().find("src=10.9.9.1 dst=10.9.9.2 sport=5000 "
                                 "dport=53") != std::string::npos,
             theirs.front());
}

// The BPF program drops what it does not select inside the kernel.
BOOST_FIXTURE_TEST_CASE(event_filter_selects_in_the_kernel, ct_netns_fixture) {
  auto events = open_socket(netns, ct::group_numbers({}), 1 << 20);
  ct::event_filter f;
  f.l4protos = {IPPROTO_UDP};
  f.destinations = {ct::prefix{*ct::ip_address::parse("::1"), 128}};
  NFACTOR_REQUIRE_OK(ct::attach_filter(events, f));
  test::udp_sink v4{netns.ns(), AF_INET, 4030};
  test::udp_sink v6{netns.ns(), AF_INET6, 4031};
  BOOST_TEST(test::send_echo(netns.ns(), AF_INET6, 0x51, "no"));
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 4030, "no", 1) == 1);
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET6, 4031, "yes", 1) == 1);
  auto evs = read_events(events, count_of(ct::change::created, 4031, 1));
  // The last flow's event arrived; the two before it were dropped.
  BOOST_TEST_REQUIRE(evs.size() == 1u);
  BOOST_TEST((evs.front().ct.orig->dst_port == 4031));
  // Detached: everything again.
  NFACTOR_REQUIRE_OK(ct::attach_filter(events, {}));
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 4030, "now", 1) == 1);
  evs = read_events(events, count_of(ct::change::created, 4030, 1));
  BOOST_TEST(of(evs, ct::change::created, 4030).size() == 1u);
  // Reliable mode can be switched on and off.
  NFACTOR_REQUIRE_OK(ct::set_reliable(events, true));
  NFACTOR_REQUIRE_OK(ct::set_reliable(events, false));
}

// A burst of flows into a tiny receive buffer overruns it: the socket
// reports ENOBUFS and keeps working, and a dump still lists the table.
BOOST_FIXTURE_TEST_CASE(burst_into_tiny_buffer_overruns, ct_netns_fixture) {
  auto events = open_socket(netns, ct::group_numbers({}), 4096);
  auto table = open_socket(netns);
  test::udp_sink sink{netns.ns(), AF_INET, 4040};
  constexpr int flows = 300;
  BOOST_TEST_REQUIRE(test::udp_flows(netns.ns(), AF_INET, 20000, flows, 4040) ==
                     flows);
  int overruns = 0;
  auto evs = read_events(
      events, [&](const auto&) { return overruns > 0; }, 5s, &overruns);
  BOOST_TEST(overruns >= 1);
  BOOST_TEST(evs.size() < static_cast<std::size_t>(flows));
  auto all = ct::dump(table);
  NFACTOR_REQUIRE_OK(all);
  BOOST_TEST(all->size() == static_cast<std::size_t>(flows));
  // Still listening after the overrun.
  test::udp_sink later{netns.ns(), AF_INET, 4041};
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 4041, "c", 1) == 1);
  evs = read_events(events, count_of(ct::change::created, 4041, 1));
  BOOST_TEST(of(evs, ct::change::created, 4041).size() == 1u);
}

// The kernel's drop counter counts each event an overrun lost, where
// ENOBUFS says only that some were: once the burst is over, the events
// still queued (read in batches with recvmmsg) and the drops add up to the
// flows.
BOOST_FIXTURE_TEST_CASE(drop_counter_counts_each_lost_event, ct_netns_fixture) {
  auto events = open_socket(netns, ct::group_numbers({}), 4096);
  auto before = events.drops();
  NFACTOR_REQUIRE_OK(before);
  BOOST_TEST(*before == 0u);
  test::udp_sink sink{netns.ns(), AF_INET, 4042};
  constexpr int flows = 300;
  BOOST_TEST_REQUIRE(test::udp_flows(netns.ns(), AF_INET, 21000, flows, 4042) ==
                     flows);
  std::vector<std::uint8_t> buf(16 * sys::default_recv_buffer);
  std::size_t created = 0;
  std::size_t datagrams = 0;
  int overruns = 0;
  for (;;) {
    auto got = events.recv_batch(buf, sys::default_recv_buffer,
                                 [&](byte_view datagram) {
                                   nl::message_reader r{datagram};
                                   while (r.next()) {
                                     auto ev = ct::decode_event(r.get());
                                     NFACTOR_REQUIRE_OK(ev);
                                     created += ev->kind == ct::change::created;
                                   }
                                 });
    NFACTOR_REQUIRE_OK(got);
    datagrams += got->datagrams;
    if (got->overrun) {
      ++overruns;
      continue;
    }
    if (got->would_block)
      break;
  }
  auto after = events.drops();
  NFACTOR_REQUIRE_OK(after);
  BOOST_TEST(overruns == 1);
  BOOST_TEST(*after > 0u);
  BOOST_TEST(datagrams == created);
  BOOST_TEST(created + *after == static_cast<std::size_t>(flows));
}

BOOST_AUTO_TEST_SUITE_END()
