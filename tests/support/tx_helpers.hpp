// SPDX-License-Identifier: Apache-2.0
// Helpers of the nf_tables write-side tests: a request socket inside the
// scratch namespace, small table batches, committing a batch that must
// succeed, and nft's own listing of its tables (the oracle).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include <linux/netfilter/nf_tables.h>

#include <nlohmann/json.hpp>

#include "netns_fixture.hpp"
#include "nfactor/nft/batch.hpp"
#include "nfactor/nft/transaction.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::test {

/// A request socket inside `ns` (the test fails if it cannot be opened),
/// joined to `groups`, with receive buffer `rcvbuf` (0: the default).
inline sys::socket open_socket(const scratch_netns& ns,
                               std::vector<unsigned> groups = {},
                               int rcvbuf = 0) {
  sys::socket_options o;
  o.ns = ns.ns();
  o.groups = std::move(groups);
  o.rcvbuf = rcvbuf;
  auto s = sys::socket::open(o);
  NFACTOR_REQUIRE_OK(s);
  return std::move(*s);
}

/// Adds one operation `v` on table inet `name` to `b`, written directly
/// (NEWTABLE unless `msg` says otherwise; a bad name is `b`'s error).
inline void table_op(nft::batch& b, nft::verb v, const std::string& name,
                     std::uint8_t msg = NFT_MSG_NEWTABLE) {
  auto& w = b.op(v, msg, nfnl::family::inet, "table inet " + name);
  if (b.check_name("table", name))
    w.attr_str(NFTA_TABLE_NAME, name);
  b.done();
}

/// The finished batch (the test fails on a builder error).
inline nft::encoded_batch finish(nft::batch& b) {
  auto r = std::move(b).finish();
  NFACTOR_REQUIRE_OK(r);
  return std::move(*r);
}

/// A finished batch of `v` for each table inet in `names`.
inline nft::encoded_batch tables(std::initializer_list<std::string> names,
                                 nft::verb v = nft::verb::add) {
  nft::batch b;
  for (auto& n : names)
    table_op(b, v, n);
  return finish(b);
}

/// Commits `b` in `ns` on a fresh socket; the test fails unless it is
/// applied.
inline nft::commit_result commit_ok(const scratch_netns& ns, nft::batch& b) {
  auto enc = finish(b);
  auto s = open_socket(ns);
  auto r = nft::commit(s, enc);
  NFACTOR_REQUIRE_OK(r);
  return *r;
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
