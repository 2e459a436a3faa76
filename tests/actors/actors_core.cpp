// SPDX-License-Identifier: Apache-2.0
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include "actor_system_fixture.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/system.hpp"
#include "nfactor/actors/type_ids.hpp"

namespace actors_core {
using namespace nfactor;
using system_fixture = test::actor_system_fixture;
} // namespace actors_core

BOOST_AUTO_TEST_SUITE(actors_core)

BOOST_AUTO_TEST_CASE(errors_survive_the_trip_to_caf_and_back) {
  auto e = make_error(errno_code(ENOENT), "NFT_MSG_DELTABLE x", "index 3");
  e.extack = "No such table";
  e.seq = 77;
  e.extack_offset = 20;
  auto c = actors::to_caf_error(e);
  BOOST_TEST(c.category() == actors::errno_category);
  BOOST_TEST(c.code() == ENOENT);
  auto back = actors::from_caf_error(c);
  BOOST_TEST(back.code == e.code);
  BOOST_TEST(back.op == e.op);
  BOOST_TEST(back.detail == e.detail);
  BOOST_TEST(back.extack == e.extack);
  BOOST_TEST(back.seq == e.seq);
  BOOST_TEST((back.extack_offset == e.extack_offset));
  BOOST_TEST(actors::describe(c) == e.message());

  auto own = actors::to_caf_error(make_error(errc::conflict, "commit"));
  BOOST_TEST(own == errc::conflict); // CAF_ERROR_CODE_ENUM comparison
  BOOST_TEST(actors::from_caf_error(own).code ==
             make_error_code(errc::conflict));

  auto foreign = actors::from_caf_error(caf::sec::request_timeout);
  BOOST_TEST(foreign.code == make_error_code(errc::actor_failure));
  BOOST_TEST(foreign.detail.find("request_timeout") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(gen_info_serializes_with_and_without_optionals,
                        system_fixture) {
  nft::gen_info full{7, 1234u, std::string{"nft"}};
  BOOST_TEST((round_trip(full) == full));
  nft::gen_info bare{9, std::nullopt, std::nullopt};
  BOOST_TEST((round_trip(bare) == bare));
  BOOST_TEST(caf::deep_to_string(full).find("nft") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
