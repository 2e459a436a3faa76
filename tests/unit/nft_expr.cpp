// SPDX-License-Identifier: Apache-2.0
// Rule expressions: golden kernel replies (tests/golden/capture_nft.py)
// decode, render like `nft --debug=netlink` and re-encode to the same
// bytes; every kind in expr_kinds() has a golden vector and a round trip.
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <cstring>
#include <span>
#include <sstream>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/nft/expr.hpp"
#include "nfactor/nft/rule.hpp"
#include "nft_golden.hpp"

namespace nft_expr {
using namespace nfactor;
using nfactor::test::bytes_equal;
using nfactor::test::nft_golden_messages;

std::vector<std::string> lines(const char* text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

} // namespace nft_expr

namespace nft_expr {

using nfactor::test::as_message;
using nfactor::test::golden_attrs;
using nfactor::test::reencode;

} // namespace nft_expr

BOOST_AUTO_TEST_SUITE(nft_expr)

BOOST_AUTO_TEST_CASE(golden_rules_decode_render_and_reencode) {
  int rules = 0;
  for (const auto& g : nft_golden_messages()) {
    if (std::string_view{g.kind} != "rule")
      continue;
    ++rules;
    BOOST_TEST_CONTEXT(g.source) {
      auto m = as_message(g.bytes);
      auto r = nft::decode_rule(m);
      NFACTOR_REQUIRE_OK(r);
      BOOST_TEST(bytes_equal(reencode(*r, m), golden_attrs(m)));
      auto want = lines(g.render);
      BOOST_REQUIRE_EQUAL(r->exprs.size(), want.size());
      for (std::size_t i = 0; i < want.size(); ++i)
        BOOST_TEST(nft::render(r->exprs[i]) == want[i]);
      for (const auto& e : r->exprs)
        BOOST_TEST(!e.get_if<nft::expr::opaque>(), "opaque " << e.name());
    }
  }
  BOOST_TEST(rules > 40);
}

// STYLE rule 17: a kind without a golden vector and a byte-exact round
// trip fails here.
BOOST_AUTO_TEST_CASE(every_kind_has_a_golden_vector_and_round_trip) {
  std::map<std::string, int> seen;
  for (const auto& g : nft_golden_messages()) {
    if (std::string_view{g.kind} != "rule")
      continue;
    auto m = as_message(g.bytes);
    auto r = nft::decode_rule(m);
    if (!r)
      continue;
    auto same = reencode(*r, m) == golden_attrs(m);
    if (!same)
      continue;
    for (const auto& e : r->exprs) {
      ++seen[std::string{e.name()}];
      // Each expression alone: encode → decode gives the same value.
      byte_buffer buf;
      nl::message_writer w{buf};
      w.begin(0, 0, 0);
      nft::encode_expressions(w, NFTA_RULE_EXPRESSIONS, {e});
      w.end();
      nl::attr_reader rd{byte_view{buf}.subspan(16)};
      BOOST_REQUIRE(rd.next());
      auto back = nft::decode_expressions(rd.bytes());
      NFACTOR_REQUIRE_OK(back);
      BOOST_TEST((back->size() == 1 && back->front() == e), e.name());
    }
  }
  for (const auto* k : nft::expr_kinds())
    BOOST_TEST(seen[std::string{k->name}] > 0,
               "kind " << k->name << " has no golden vector with a round trip");
}

BOOST_AUTO_TEST_CASE(kinds_are_in_variant_order_with_unique_names) {
  std::set<std::string_view> names;
  auto kinds = nft::expr_kinds();
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    BOOST_TEST(kinds[i]->index == i);
    BOOST_TEST(names.insert(kinds[i]->name).second, kinds[i]->name);
    BOOST_TEST(nft::find_expr_kind(kinds[i]->name) == kinds[i]);
  }
  BOOST_TEST(kinds.size() + 1 == std::variant_size_v<nft::expression::variant>);
}

BOOST_AUTO_TEST_CASE(unknown_expression_stays_opaque_and_reencodes) {
  // NFTA_LIST_ELEM { NFTA_EXPR_NAME "frob", NFTA_EXPR_DATA { type 1 u32 7 } }
  auto list = test::bytes({0x1c, 0x00, 0x01, 0x80,                           //
                           0x09, 0x00, 0x01, 0x00, 'f',  'r',  'o',  'b', 0, //
                           0x00, 0x00, 0x00,                                 //
                           0x0c, 0x00, 0x02, 0x80,                           //
                           0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07});
  auto got = nft::decode_expressions(list);
  NFACTOR_REQUIRE_OK(got);
  BOOST_REQUIRE_EQUAL(got->size(), 1u);
  auto* o = got->front().get_if<nft::expr::opaque>();
  BOOST_REQUIRE(o);
  BOOST_TEST(o->name == "frob");
  BOOST_TEST(nft::render(got->front()) == "[ frob ]");
  byte_buffer buf;
  nl::message_writer w{buf};
  w.begin(0, 0, 0);
  nft::encode_expressions(w, NFTA_RULE_EXPRESSIONS, *got);
  w.end();
  BOOST_TEST(bytes_equal(byte_view{buf}.subspan(20), list));
}

BOOST_AUTO_TEST_CASE(truncated_rules_give_errors_not_crashes) {
  std::size_t inside = 0;
  for (const auto& g : nft_golden_messages()) {
    if (std::string_view{g.kind} != "rule")
      continue;
    auto m = as_message(g.bytes);
    auto whole = nft::decode_rule(m);
    NFACTOR_REQUIRE_OK(whole);
    // The spans of the top-level attributes (after the 4-byte nfgenmsg)
    // past their header: a cut there leaves an attribute whose header
    // claims more than there is. (A cut in the padding, or in the next
    // header's first 3 bytes, leaves a complete rule plus bytes that
    // cannot hold an attribute, which netlink parsers pass over.)
    std::vector<std::pair<std::size_t, std::size_t>> bodies;
    for (std::size_t at = 4; at + 4 <= m.payload.size();) {
      std::uint16_t len = 0;
      std::memcpy(&len, m.payload.data() + at, sizeof len);
      BOOST_REQUIRE(len >= 4u);
      bodies.emplace_back(at + 4, at + len);
      at += (len + 3u) & ~std::size_t{3};
    }
    auto cuts_an_attribute = [&](std::size_t cut) {
      for (auto [from, to] : bodies)
        if (cut >= from && cut < to)
          return true;
      return false;
    };
    // Cut the attributes at every length: a cut inside an attribute is a
    // typed error, never a read outside; any other cut leaves a shorter
    // rule (or names what is missing).
    for (std::size_t cut = 4; cut < m.payload.size(); ++cut) {
      nl::message part = m;
      part.payload = m.payload.first(cut);
      auto r = nft::decode_rule(part);
      if (cuts_an_attribute(cut)) {
        ++inside;
        BOOST_TEST_REQUIRE(!r, g.source << " cut at " << cut << " decoded");
      }
      if (!r) {
        BOOST_TEST(!r.err().message().empty());
        BOOST_TEST((r.err().code == make_error_code(errc::truncated) ||
                    r.err().code == make_error_code(errc::bad_attribute) ||
                    r.err().code == make_error_code(errc::bad_message)),
                   g.source << " cut at " << cut << ": " << r.err().message());
      } else {
        BOOST_TEST(r->exprs.size() <= whole->exprs.size());
      }
    }
  }
  BOOST_TEST(inside > 100u); // the golden rules were there to cut
}

BOOST_AUTO_TEST_CASE(builders_encode_what_nft_sends) {
  // meta mark set 0x10 == golden rule "meta mark set 0x00000010".
  nft::rule r;
  r.family = NFPROTO_INET;
  r.table = "t";
  r.chain = "c1";
  r.exprs = {nft::expr::immediate{1, nft::make_u32(0x10)},
             nft::expr::meta{NFT_META_MARK, std::nullopt, 1}};
  for (const auto& g : nft_golden_messages()) {
    if (std::string_view{g.source}.find("meta mark set 0x00000010") ==
        std::string_view::npos)
      continue;
    auto m = as_message(g.bytes);
    auto k = nft::decode_rule(m);
    NFACTOR_REQUIRE_OK(k);
    // Compared whole: clang 14 finds no == for Boost.Test's expression
    // template of two vectors of expressions.
    BOOST_TEST((k->exprs == r.exprs));
    BOOST_TEST(nft::render(r.exprs) == "  [ immediate reg 1 0x00000010 ]\n"
                                       "  [ meta set mark with reg 1 ]\n");
    return;
  }
  BOOST_FAIL("golden rule not found");
}

BOOST_AUTO_TEST_SUITE_END()
