// SPDX-License-Identifier: Apache-2.0
// Helpers of the nf_tables write-side tests: a request socket inside the
// scratch namespace, and nft's own listing of its tables (the oracle).
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "netns_fixture.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::test {

/// A request socket inside `ns` (the test fails if it cannot be opened).
inline sys::socket open_socket(const scratch_netns& ns) {
  sys::socket_options o;
  o.ns = ns.ns();
  auto s = sys::socket::open(o);
  NFACTOR_REQUIRE_OK(s);
  return std::move(*s);
}

/// The names of the tables `nft -j list tables` shows in `ns`.
inline std::set<std::string> listed_tables(const scratch_netns& ns) {
  auto j = nlohmann::json::parse(ns.nft_json("list tables"));
  std::set<std::string> out;
  for (auto& item : j["nftables"])
    if (item.contains("table"))
      out.insert(item["table"]["name"].get<std::string>());
  return out;
}

} // namespace nfactor::test
