// SPDX-License-Identifier: Apache-2.0
// Malformed nf_tables notifications and dump messages, one class per case,
// each asserting the typed error (errc) of decode_notification — the entry
// point of the monitor and of snapshot dumps — and that the commit framer
// reports the same error without losing the changes it holds: truncated
// headers, nested attribute overruns (rule expressions, chain hooks, set
// element lists), wrong lengths, absurd lengths, unknown attribute ids and
// message types (skipped), NLMSG_ERROR with garbage in the stream, and
// multipart messages without NLMSG_DONE. Hand-written wire images (nlattr:
// u16 length, u16 type, little-endian as on x86).
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/nft/event.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nft_malformed {
using namespace nfactor;

byte_buffer raw_message(std::uint16_t type, const byte_buffer& payload,
                        std::uint16_t flags = 0) {
  byte_buffer out(NLMSG_HDRLEN, 0);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + payload.size());
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  std::memcpy(out.data(), &h, sizeof h);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// An nf_tables message NFT_MSG_`msg` (family inet) with attribute bytes.
byte_buffer nft_msg(std::uint8_t msg, const byte_buffer& attrs,
                    std::uint16_t flags = 0) {
  auto p = test::bytes({NFPROTO_INET, 0, 0, 0});
  p.insert(p.end(), attrs.begin(), attrs.end());
  return raw_message(
      static_cast<std::uint16_t>(NFNL_SUBSYS_NFTABLES << 8 | msg), p, flags);
}

nl::message first(const byte_buffer& buf) {
  nl::message_reader r{buf};
  BOOST_REQUIRE(r.next());
  return r.get();
}

// NFTA_TABLE_NAME "t" (a valid first attribute for tables).
const byte_buffer table_name = test::bytes({6, 0, 1, 0, 't', 0, 0, 0});

struct bad_case {
  const char* what;
  byte_buffer message;
  errc code;
  const char* detail; // a substring of the error's message()
};

void expect(const bad_case& c) {
  BOOST_TEST_CONTEXT(c.what) {
    auto got = nft::decode_notification(first(c.message));
    BOOST_REQUIRE(!got);
    BOOST_TEST(got.err().code == make_error_code(c.code), got.err().message());
    BOOST_TEST(got.err().message().find(c.detail) != std::string::npos,
               got.err().message());
    // The framer fails the same way and keeps the change it holds.
    nft::commit_framer f;
    auto ok =
        nft::decode_notification(first(nft_msg(NFT_MSG_NEWTABLE, table_name)));
    BOOST_REQUIRE(ok);
    BOOST_REQUIRE(f.feed(first(nft_msg(NFT_MSG_NEWTABLE, table_name))));
    auto fed = f.feed(first(c.message));
    BOOST_REQUIRE(!fed);
    BOOST_TEST(fed.err().code == got.err().code);
    BOOST_TEST(f.pending() == 1u);
  }
}

// A rule whose single expression is `name` with NFTA_EXPR_DATA `data`.
byte_buffer rule_with_expr(const std::string& name, const byte_buffer& data) {
  byte_buffer expr;
  auto put = [&](std::uint16_t type, const byte_buffer& v) {
    auto len = static_cast<std::uint16_t>(4 + v.size());
    expr.push_back(static_cast<std::uint8_t>(len));
    expr.push_back(static_cast<std::uint8_t>(len >> 8));
    expr.push_back(static_cast<std::uint8_t>(type));
    expr.push_back(static_cast<std::uint8_t>(type >> 8));
    expr.insert(expr.end(), v.begin(), v.end());
    while (expr.size() % 4)
      expr.push_back(0);
  };
  byte_buffer n(name.begin(), name.end());
  n.push_back(0);
  put(NFTA_EXPR_NAME, n);
  put(NFTA_EXPR_DATA | NLA_F_NESTED, data);
  auto elem = expr;
  expr.clear();
  put(NFTA_LIST_ELEM | NLA_F_NESTED, elem);
  auto list = expr;
  expr.clear();
  put(NFTA_RULE_EXPRESSIONS | NLA_F_NESTED, list);
  return nft_msg(NFT_MSG_NEWRULE, expr);
}

} // namespace nft_malformed

BOOST_AUTO_TEST_SUITE(nft_malformed)

BOOST_AUTO_TEST_CASE(truncated_headers) {
  // Every object kind with a 2-byte nfgenmsg.
  for (auto msg : {NFT_MSG_NEWTABLE, NFT_MSG_DELCHAIN, NFT_MSG_NEWRULE,
                   NFT_MSG_NEWSET, NFT_MSG_NEWSETELEM, NFT_MSG_DELOBJ,
                   NFT_MSG_NEWFLOWTABLE, NFT_MSG_NEWGEN})
    expect({"nfgenmsg",
            raw_message(
                static_cast<std::uint16_t>(NFNL_SUBSYS_NFTABLES << 8 | msg),
                test::bytes({1, 0})),
            errc::truncated, "the header needs 4"});
  // An attribute header of 2 bytes after the table name.
  auto cut = table_name;
  cut.insert(cut.end(), {4, 0});
  expect({"attribute header", nft_msg(NFT_MSG_NEWTABLE, cut), errc::truncated,
          "needs 4 bytes, 2 left"});
}

BOOST_AUTO_TEST_CASE(nested_attribute_overruns) {
  // A chain hook nest whose NFTA_HOOK_HOOKNUM claims 12 of 8 bytes.
  expect({"chain hook",
          nft_msg(NFT_MSG_NEWCHAIN, test::bytes({0x0c, 0, NFTA_CHAIN_HOOK, 0x80,
                                                 0x0c, 0, 1, 0, 0, 0, 0, 1})),
          errc::truncated, "attribute type 1 at offset 0 has length 12"});
  // A set element list whose element nest runs past the list.
  expect({"element list",
          nft_msg(NFT_MSG_NEWSETELEM,
                  test::bytes({0x0c, 0, NFTA_SET_ELEM_LIST_ELEMENTS, 0x80, 0x10,
                               0, 1, 0x80, 0, 0, 0, 0})),
          errc::truncated, "has length 16"});
  // Expression data whose counter attribute overruns the data nest: the
  // inner error keeps its code and names the expression.
  expect({"expression data",
          rule_with_expr("counter", test::bytes({0x10, 0, NFTA_COUNTER_BYTES, 0,
                                                 0, 0, 0, 0})),
          errc::truncated, "counter: "});
  // A counter object's data nest overrun, likewise.
  expect({"object data",
          nft_msg(NFT_MSG_NEWOBJ, test::bytes({8,
                                               0,
                                               NFTA_OBJ_TYPE,
                                               0,
                                               0,
                                               0,
                                               0,
                                               NFT_OBJECT_COUNTER,
                                               0x0c,
                                               0,
                                               NFTA_OBJ_DATA,
                                               0x80,
                                               0x10,
                                               0,
                                               NFTA_COUNTER_BYTES,
                                               0,
                                               0,
                                               0,
                                               0,
                                               0})),
          errc::truncated, "has length 16"});
  // The expression list itself overruns the rule.
  expect({"expression list",
          nft_msg(NFT_MSG_NEWRULE,
                  test::bytes({0x08, 0, NFTA_RULE_EXPRESSIONS, 0x80, 0x40, 0,
                               NFTA_LIST_ELEM, 0x80})),
          errc::truncated, "has length 64"});
}

BOOST_AUTO_TEST_CASE(expressions_nested_too_deep) {
  // dynset → NFTA_DYNSET_EXPR → dynset → ... `depth` levels: the kernel
  // nests one; 9 and more are refused before recursion can exhaust the
  // stack (a 64 KiB rule could nest ~3000).
  auto rule = [](int depth) {
    byte_buffer out;
    nl::message_writer w{out};
    w.begin(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE, 0, 0);
    w.put_nfgenmsg(NFPROTO_INET);
    auto list = w.begin_nested(NFTA_RULE_EXPRESSIONS);
    auto elem = w.begin_nested(NFTA_LIST_ELEM);
    std::vector<std::size_t> open;
    for (int i = 0; i < depth; ++i) {
      w.attr_str(NFTA_EXPR_NAME, i + 1 < depth ? "dynset" : "counter");
      if (i + 1 < depth) {
        open.push_back(w.begin_nested(NFTA_EXPR_DATA));
        open.push_back(w.begin_nested(NFTA_DYNSET_EXPR));
      }
    }
    for (auto it = open.rbegin(); it != open.rend(); ++it)
      w.end_nested(*it);
    w.end_nested(elem);
    w.end_nested(list);
    w.end();
    return out;
  };
  auto ok = nft::decode_notification(first(rule(8)));
  NFACTOR_REQUIRE_OK(ok);
  expect({"9 levels", rule(9), errc::bad_attribute,
          "expressions nested deeper than 8"});
  expect({"2000 levels", rule(2000), errc::bad_attribute,
          "expressions nested deeper than 8"});
}

BOOST_AUTO_TEST_CASE(wrong_lengths) {
  expect({"table flags of 2 bytes",
          nft_msg(NFT_MSG_NEWTABLE,
                  test::bytes({6, 0, NFTA_TABLE_FLAGS, 0, 0, 1, 0, 0})),
          errc::bad_attribute, "has 2 payload bytes, expected 4"});
  expect({"rule handle of 4 bytes",
          nft_msg(NFT_MSG_DELRULE,
                  test::bytes({8, 0, NFTA_RULE_HANDLE, 0, 0, 0, 0, 9})),
          errc::bad_attribute, "has 4 payload bytes, expected 8"});
  expect({"counter bytes of 4",
          rule_with_expr("counter", test::bytes({8, 0, NFTA_COUNTER_BYTES, 0, 0,
                                                 0, 0, 1})),
          errc::bad_attribute, "counter: "});
  expect(
      {"expression without a name",
       nft_msg(NFT_MSG_NEWRULE,
               test::bytes({0x0c, 0, NFTA_RULE_EXPRESSIONS, 0x80, 0x08, 0,
                            NFTA_LIST_ELEM, 0x80, 4, 0, NFTA_EXPR_DATA, 0x80})),
       errc::bad_attribute, "without NFTA_EXPR_NAME"});
  expect({"NEWGEN without an id",
          nft_msg(NFT_MSG_NEWGEN,
                  test::bytes({8, 0, NFTA_GEN_PROC_PID, 0, 0, 0, 0, 1})),
          errc::bad_attribute, "NFTA_GEN_ID missing"});
  expect({"NEWGEN id of 8 bytes",
          nft_msg(NFT_MSG_NEWGEN,
                  test::bytes({12, 0, NFTA_GEN_ID, 0, 0, 0, 0, 0, 0, 0, 0, 1})),
          errc::bad_attribute, "expected 4"});
}

BOOST_AUTO_TEST_CASE(absurd_lengths) {
  expect({"nla_len 65535",
          nft_msg(NFT_MSG_NEWSET,
                  test::bytes({0xff, 0xff, NFTA_SET_NAME, 0, 's', 0, 0, 0})),
          errc::truncated, "has length 65535"});
  expect({"nla_len 0",
          nft_msg(NFT_MSG_NEWOBJ, test::bytes({0, 0, NFTA_OBJ_NAME, 0})),
          errc::truncated, "has length 0"});
  expect({"expression data nla_len 65535",
          rule_with_expr("counter", test::bytes({0xff, 0xff, NFTA_COUNTER_BYTES,
                                                 0, 0, 0, 0, 0})),
          errc::truncated, "has length 65535"});
}

BOOST_AUTO_TEST_CASE(unknown_ids_are_skipped) {
  // Unknown attributes around a table's name (one with BYTEORDER set).
  auto attrs =
      test::bytes({8, 0, 99, 0, 1, 2, 3, 4, 8, 0, 0xff, 0x7f, 0, 0, 0, 0});
  attrs.insert(attrs.end(), table_name.begin(), table_name.end());
  auto n = nft::decode_notification(first(nft_msg(NFT_MSG_NEWTABLE, attrs)));
  NFACTOR_REQUIRE_OK(n);
  BOOST_REQUIRE(*n);
  auto& c = std::get<nft::change>(**n);
  BOOST_TEST(std::get<nft::table>(c.entity).name == "t");

  // An unknown expression kind stays opaque, with its data.
  auto r = nft::decode_notification(first(
      rule_with_expr("frobnicate", test::bytes({8, 0, 1, 0, 0, 0, 0, 5}))));
  NFACTOR_REQUIRE_OK(r);
  auto& rule = std::get<nft::rule>(std::get<nft::change>(**r).entity);
  BOOST_REQUIRE(rule.exprs.size() == 1u);
  auto* o = rule.exprs[0].get_if<nft::expr::opaque>();
  BOOST_REQUIRE(o);
  BOOST_TEST(o->name == "frobnicate");
  BOOST_TEST(o->bytes.size() == 8u);

  // Message types without an object (TRACE, GET*, an unknown one) are no
  // notification; the framer ignores them.
  nft::commit_framer f;
  for (std::uint8_t msg : {std::uint8_t{NFT_MSG_TRACE},
                           std::uint8_t{NFT_MSG_GETTABLE}, std::uint8_t{250}}) {
    auto m = nft_msg(msg, {});
    auto got = nft::decode_notification(first(m));
    NFACTOR_REQUIRE_OK(got);
    BOOST_TEST(!*got);
    auto fed = f.feed(first(m));
    BOOST_REQUIRE(fed);
    BOOST_TEST(!*fed);
  }
  BOOST_TEST(f.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(nlmsg_error_with_garbage_in_the_stream) {
  // Between two changes of a commit: ignored as a notification (it is not
  // nf_tables), refused by the object decoders, and the commit still
  // frames with both changes.
  auto garbage = raw_message(NLMSG_ERROR, test::bytes({0xff, 0xff, 0xff}));
  auto got = nft::decode_notification(first(garbage));
  NFACTOR_REQUIRE_OK(got);
  BOOST_TEST(!*got);
  auto t = nft::decode_table(first(garbage));
  BOOST_REQUIRE(!t);
  BOOST_TEST(t.err().code == make_error_code(errc::bad_message));
  auto ack = nl::decode_ack(first(garbage));
  BOOST_REQUIRE(!ack);
  BOOST_TEST(ack.err().code == make_error_code(errc::truncated));

  nft::commit_framer f;
  BOOST_REQUIRE(f.feed(first(nft_msg(NFT_MSG_NEWTABLE, table_name))));
  BOOST_REQUIRE(f.feed(first(garbage)));
  BOOST_REQUIRE(f.feed(first(nft_msg(NFT_MSG_DELTABLE, table_name))));
  auto done = f.feed(first(nft_msg(
      NFT_MSG_NEWGEN, test::bytes({8, 0, NFTA_GEN_ID, 0, 0, 0, 0, 7}))));
  NFACTOR_REQUIRE_OK(done);
  BOOST_REQUIRE(*done);
  BOOST_TEST((*done)->gen_id == 7u);
  BOOST_TEST((*done)->changes.size() == 2u);
}

BOOST_AUTO_TEST_CASE(framer_minimum_generation) {
  // Found by fuzz_nft_decode: with no minimum set, a NEWGEN carrying 0
  // (the kernel never sends it, another peer may) was dropped as "at or
  // below the minimum" together with its changes. 0 means no minimum.
  auto gen = [](std::uint8_t id) {
    return nft_msg(NFT_MSG_NEWGEN,
                   test::bytes({8, 0, NFTA_GEN_ID, 0, 0, 0, 0, id}));
  };
  nft::commit_framer f;
  // Feeds NEWGEN `id`, which must complete a commit of one change.
  auto commit = [&](std::uint8_t id) {
    auto t = f.feed(first(gen(id)));
    NFACTOR_REQUIRE_OK(t);
    BOOST_REQUIRE(*t);
    BOOST_TEST((*t)->gen_id == id);
    BOOST_TEST((*t)->changes.size() == 1u);
    return std::move(**t);
  };
  BOOST_TEST(f.min_gen() == 0u);
  BOOST_REQUIRE(f.feed(first(nft_msg(NFT_MSG_NEWTABLE, table_name))));
  commit(0);

  // With a minimum, commits at or below it go with their changes; the
  // minimum never goes down.
  f.set_min_gen(5);
  f.set_min_gen(3);
  BOOST_TEST(f.min_gen() == 5u);
  for (std::uint8_t id : {0, 4, 5}) {
    BOOST_REQUIRE(f.feed(first(nft_msg(NFT_MSG_NEWTABLE, table_name))));
    auto dropped = f.feed(first(gen(id)));
    NFACTOR_REQUIRE_OK(dropped);
    BOOST_TEST(!*dropped, "generation " << int{id});
    BOOST_TEST(f.pending() == 0u);
  }
  BOOST_REQUIRE(f.feed(first(nft_msg(NFT_MSG_DELTABLE, table_name))));
  BOOST_TEST(!commit(6).changes.front().added);
}

BOOST_AUTO_TEST_CASE(multipart_without_done) {
  // Dump parts (NLM_F_MULTI) with no NLMSG_DONE decode one by one; the
  // datagram's last part is cut short, which the reader reports typed and
  // decode_changes turns into its error (no partial list).
  auto part = nft_msg(NFT_MSG_NEWTABLE, table_name, NLM_F_MULTI);
  auto dgram = part;
  dgram.insert(dgram.end(), part.begin(), part.end());
  auto whole = nft::decode_changes(dgram);
  NFACTOR_REQUIRE_OK(whole);
  BOOST_TEST(whole->size() == 2u);
  BOOST_TEST(((*whole)[0].flags & NLM_F_MULTI) != 0);
  dgram.insert(dgram.end(), part.begin(), part.end() - 4);
  auto cut = nft::decode_changes(dgram);
  BOOST_REQUIRE(!cut);
  BOOST_TEST(cut.err().code == make_error_code(errc::bad_message));
  BOOST_TEST(cut.err().detail.find("at offset 56") != std::string::npos,
             cut.err().detail);
}

BOOST_AUTO_TEST_SUITE_END()
