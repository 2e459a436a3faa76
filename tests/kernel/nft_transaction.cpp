// SPDX-License-Identifier: Apache-2.0
// Batches against nf_tables in a scratch namespace: all-or-nothing, errors
// attributed to their operation, the generation guard, the NEWGEN echo and
// the one-datagram rule. `nft -j list` is the oracle.
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netns_fixture.hpp"
#include "tx_helpers.hpp"
#include "nfactor/nft/batch.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nft/transaction.hpp"

namespace nft_transaction {
// Table operations are written directly (test::table_op): the envelope
// is under test here, not the object encoders.
using namespace nfactor;
using nfactor::test::finish;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;
using nfactor::test::table_op;

// Commits run both ways: without per-operation acks (the default) and
// with them; errors must carry the same attribution in both.
constexpr bool ack_modes[] = {false, true};

std::string mode(bool ack_each) {
  return ack_each ? "with per-operation acks" : "without acks";
}

} // namespace nft_transaction

BOOST_AUTO_TEST_SUITE(nft_transaction,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(commit_applies_and_reports_new_gen, netns_fixture) {
  auto s = test::open_socket(netns);
  auto g0 = nft::get_gen(s);
  NFACTOR_REQUIRE_OK(g0);
  nft::batch b;
  table_op(b, nft::verb::add, "alpha");
  table_op(b, nft::verb::create, "beta");
  auto enc = finish(b);
  auto r = nft::commit(s, enc);
  NFACTOR_REQUIRE_OK(r);
  BOOST_TEST(r->changed);
  BOOST_TEST(r->genid == g0->id + 1);
  BOOST_TEST(r->acked == 2u);
  BOOST_TEST(r->portid == s.portid());
  BOOST_TEST(
      (test::listed_tables(netns) == std::set<std::string>{"alpha", "beta"}));
  // add of an existing table changes nothing; create refuses it.
  nft::batch again;
  table_op(again, nft::verb::add, "alpha");
  auto enc2 = finish(again);
  auto r2 = nft::commit(s, enc2);
  NFACTOR_REQUIRE_OK(r2);
  BOOST_TEST(!r2->changed);
  BOOST_TEST(r2->genid == r->genid);
  nft::batch excl;
  table_op(excl, nft::verb::create, "alpha");
  auto enc3 = finish(excl);
  auto r3 = nft::commit(s, enc3);
  BOOST_REQUIRE(!r3);
  BOOST_TEST(r3.err().errno_value() == EEXIST);
  BOOST_TEST(r3.err().op == "NEWTABLE #0 table inet alpha");
}

BOOST_FIXTURE_TEST_CASE(invalid_middle_operation_applies_nothing,
                        netns_fixture) {
  netns.nft("add table inet keep");
  auto before = netns.nft_json("list ruleset");
  auto s = test::open_socket(netns);
  for (bool ack_each : ack_modes) {
    BOOST_TEST_CONTEXT(mode(ack_each)) {
      nft::batch b;
      table_op(b, nft::verb::add, "first");
      table_op(b, nft::verb::add, "second");
      // Operation 2 bypasses the name check: 300 bytes break the kernel's
      // attribute policy (NFT_NAME_MAXLEN - 1), which it reports in extack.
      auto& w = b.op(nft::verb::add, NFT_MSG_NEWTABLE, nfnl::family::inet,
                     "table inet xxx...");
      w.attr_str(NFTA_TABLE_NAME, std::string(300, 'x'));
      b.done();
      table_op(b, nft::verb::add, "fourth");
      auto enc = finish(b);
      nft::commit_options o;
      o.ack_each = ack_each;
      auto r = nft::commit(s, enc, o);
      BOOST_REQUIRE(!r);
      const auto& e = r.err();
      BOOST_TEST_MESSAGE("error: " << e.message());
      BOOST_TEST(e.op == "NEWTABLE #2 table inet xxx...");
      BOOST_TEST(e.errno_value() == ERANGE);
      BOOST_TEST(e.seq == enc.ops[2].seq);
      BOOST_TEST(e.extack == "Attribute failed policy validation");
      // The offset points at NFTA_TABLE_NAME: after nlmsghdr and nfgenmsg.
      BOOST_TEST(e.extack_offset.value_or(0) == 20u);
      BOOST_TEST(e.detail.find("operation 2 of 4") != std::string::npos);
      BOOST_TEST(!sys::is_socket_failure(e));
      BOOST_TEST(netns.nft_json("list ruleset") == before);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(every_failing_operation_is_counted, netns_fixture) {
  // The kernel reports each failing operation with its seq, acks or not;
  // the first names the error, the others are counted.
  auto s = test::open_socket(netns);
  for (bool ack_each : ack_modes) {
    BOOST_TEST_CONTEXT(mode(ack_each)) {
      nft::commit_options o;
      o.ack_each = ack_each;
      nft::batch b;
      table_op(b, nft::verb::create, "one");
      table_op(b, nft::verb::create, "one"); // EEXIST at operation 1
      table_op(b, nft::verb::remove, "nope", NFT_MSG_DELTABLE); // ENOENT
      table_op(b, nft::verb::create, "two");
      auto enc = finish(b);
      auto r = nft::commit(s, enc, o);
      BOOST_REQUIRE(!r);
      BOOST_TEST(r.err().op == "NEWTABLE #1 table inet one");
      BOOST_TEST(r.err().errno_value() == EEXIST);
      BOOST_TEST(r.err().detail.find("1 later operations failed too") !=
                 std::string::npos);
      BOOST_TEST(test::listed_tables(netns).empty());
    }
  }
  // Success: every operation accepted, counted from acks when asked for.
  for (bool ack_each : ack_modes) {
    nft::commit_options o;
    o.ack_each = ack_each;
    auto enc = test::tables({ack_each ? "acked" : "plain", "both"});
    auto r = nft::commit(s, enc, o);
    NFACTOR_REQUIRE_OK(r);
    BOOST_TEST(r->changed);
    BOOST_TEST(r->acked == 2u);
  }
  BOOST_TEST((test::listed_tables(netns) ==
              std::set<std::string>{"acked", "plain", "both"}));
}

BOOST_FIXTURE_TEST_CASE(stale_genid_is_a_conflict, netns_fixture) {
  auto s = test::open_socket(netns);
  for (bool ack_each : ack_modes) {
    BOOST_TEST_CONTEXT(mode(ack_each)) {
      nft::commit_options o;
      o.ack_each = ack_each;
      auto g = nft::get_gen(s);
      NFACTOR_REQUIRE_OK(g);
      // Somebody else commits first.
      netns.nft(ack_each ? "add table inet other2" : "add table inet other");
      auto enc = test::tables({"mine"});
      o.genid = g->id;
      auto r = nft::commit(s, enc, o);
      BOOST_REQUIRE(!r);
      BOOST_TEST(r.err().code == make_error_code(errc::conflict));
      BOOST_TEST(r.err().seq == enc.begin_seq);
      BOOST_TEST(!sys::is_socket_failure(r.err()));
      BOOST_TEST(test::listed_tables(netns).count("mine") == 0u);
    }
  }
  // With the fresh generation the same batch goes through.
  auto enc = test::tables({"mine"});
  auto g2 = nft::get_gen(s);
  NFACTOR_REQUIRE_OK(g2);
  nft::commit_options o;
  o.genid = g2->id;
  auto r2 = nft::commit(s, enc, o);
  NFACTOR_REQUIRE_OK(r2);
  BOOST_TEST(r2->genid == g2->id + 1);
  BOOST_TEST((test::listed_tables(netns) ==
              std::set<std::string>{"other", "other2", "mine"}));
}

BOOST_FIXTURE_TEST_CASE(a_broken_socket_is_a_socket_failure, netns_fixture) {
  // What a supervised transactor restarts on: the descriptor no longer is
  // a socket (here /dev/null over it, as a stray close and reuse would).
  auto s = test::open_socket(netns);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  BOOST_REQUIRE(null >= 0);
  BOOST_REQUIRE(::dup2(null, s.fd()) == s.fd());
  ::close(null);
  auto enc = test::tables({"never"});
  auto r = nft::commit(s, enc);
  BOOST_REQUIRE(!r);
  BOOST_TEST_MESSAGE("error: " << r.err().message());
  BOOST_TEST(r.err().errno_value() == ENOTSOCK);
  BOOST_TEST(sys::is_socket_failure(r.err()));
  s.close();
  auto closed = nft::commit(s, enc);
  BOOST_REQUIRE(!closed);
  BOOST_TEST(sys::is_socket_failure(closed.err()));
  BOOST_TEST(test::listed_tables(netns).empty());
}

BOOST_FIXTURE_TEST_CASE(newgen_names_the_committer, netns_fixture) {
  // A monitor socket sees the commit's NEWGEN with the committing socket's
  // port id and BEGIN's seq: that is how a monitor attributes it.
  sys::socket_options mo;
  mo.ns = netns.ns();
  mo.groups = {NFNLGRP_NFTABLES};
  auto mon = sys::socket::open(mo);
  NFACTOR_REQUIRE_OK(mon);
  auto s = test::open_socket(netns);
  nft::batch b;
  table_op(b, nft::verb::add, "seen");
  table_op(b, nft::verb::add, "seen2");
  auto enc = finish(b);
  auto r = nft::commit(s, enc);
  NFACTOR_REQUIRE_OK(r);
  std::vector<std::uint8_t> buf(sys::default_recv_buffer);
  std::optional<nft::gen_info> info;
  while (!info) {
    auto ready = mon->wait_readable(std::chrono::seconds(5));
    BOOST_REQUIRE(ready && *ready);
    auto got = mon->recv(buf);
    NFACTOR_REQUIRE_OK(got);
    nl::message_reader rd{byte_view{buf.data(), got->size}};
    while (rd.next()) {
      auto& m = rd.get();
      if (nfnl::split_type(m.type).msg == NFT_MSG_NEWGEN) {
        BOOST_TEST(m.portid == r->portid);
        BOOST_TEST(m.seq == r->seq);
        BOOST_TEST(m.seq == enc.ops[0].seq);
        auto g = nft::decode_gen(m);
        NFACTOR_REQUIRE_OK(g);
        info = *g;
      }
    }
  }
  BOOST_TEST(info->id == r->genid);
  BOOST_TEST(*info->proc_pid == static_cast<std::uint32_t>(::getpid()));
}

BOOST_FIXTURE_TEST_CASE(a_batch_is_one_datagram, netns_fixture) {
  // Verifies the kernel rule the batch layout relies on: BEGIN and the
  // operations in one datagram, END in the next, commit nothing.
  auto s = test::open_socket(netns);
  nft::batch b;
  table_op(b, nft::verb::add, "split");
  auto enc = finish(b);
  enc.stamp(100);
  auto first = enc.begin_message(std::nullopt);
  first.insert(first.end(), enc.body.begin(), enc.body.end());
  auto sent1 = s.send(first);
  NFACTOR_REQUIRE_OK(sent1);
  auto sent2 = s.send(enc.end_message());
  NFACTOR_REQUIRE_OK(sent2);
  // Both datagrams were handled inside send(); read what came back.
  std::vector<std::uint8_t> buf(sys::default_recv_buffer);
  for (;;) {
    auto got = s.recv(buf);
    NFACTOR_REQUIRE_OK(got);
    if (got->status != sys::recv_status::data)
      break;
  }
  BOOST_TEST(test::listed_tables(netns).empty());
  // The same batch in one datagram commits.
  auto r = nft::commit(s, enc);
  NFACTOR_REQUIRE_OK(r);
  BOOST_TEST((test::listed_tables(netns) == std::set<std::string>{"split"}));
}

BOOST_FIXTURE_TEST_CASE(large_batch_sizes_buffers, netns_fixture) {
  // 20000 rules, ~2 MB: far over the default 208 KiB buffers, one
  // datagram, 20002 acks. (Rules, not tables: `nft -j list tables` of
  // 20000 tables needs over 10 GB.)
  netns.nft("add table inet big; add chain inet big c");
  auto s = test::open_socket(netns);
  nft::batch b;
  constexpr int n = 20000;
  for (int i = 0; i < n; ++i) {
    auto& w = b.op(nft::verb::add, NFT_MSG_NEWRULE, nfnl::family::inet,
                   "rule inet big c");
    w.attr_str(NFTA_RULE_TABLE, "big");
    w.attr_str(NFTA_RULE_CHAIN, "c");
    auto list = w.begin_nested(NFTA_RULE_EXPRESSIONS);
    auto elem = w.begin_nested(NFTA_LIST_ELEM);
    w.attr_str(NFTA_EXPR_NAME, "counter");
    w.end_nested(elem);
    w.end_nested(list);
    b.done();
  }
  auto enc = finish(b);
  nft::commit_options o;
  o.ack_each = true; // 20000 acks: the receive buffer must hold them
  auto r = nft::commit(s, enc, o);
  NFACTOR_REQUIRE_OK(r);
  BOOST_TEST(r->acked == static_cast<std::uint32_t>(n));
  BOOST_TEST(r->bytes > 1'000'000u);
  auto listed = netns.exec("nft list chain inet big c | grep -c counter");
  BOOST_TEST(std::stoi(listed.output) == n);
}

BOOST_FIXTURE_TEST_CASE(bad_name_is_refused_before_sending, netns_fixture) {
  auto s = test::open_socket(netns);
  auto g0 = nft::get_gen(s);
  NFACTOR_REQUIRE_OK(g0);
  nft::batch b;
  table_op(b, nft::verb::add, "ok");
  b.check_name("table", "");
  auto r = std::move(b).finish();
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.err().code == make_error_code(errc::invalid_argument));
  BOOST_TEST(r.err().detail.find("table name is empty") != std::string::npos);
  auto g1 = nft::get_gen(s);
  NFACTOR_REQUIRE_OK(g1);
  BOOST_TEST(g1->id == g0->id);
}

BOOST_AUTO_TEST_SUITE_END()
