// SPDX-License-Identifier: Apache-2.0
// Comparable summaries of an nf_tables ruleset: from `nft -j list ruleset`
// (the oracle) and from an nft::ruleset snapshot.
#pragma once

#include <map>
#include <set>
#include <string>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/snapshot.hpp"

namespace nfactor::test {

// What `nft -j list ruleset` says, reduced to comparable strings.
struct listing {
  std::set<std::string> tables, chains, sets, objects;
  std::multiset<std::string> rules; // "family table chain handle"
  std::map<std::string, std::size_t> elements;
};

inline std::string fam(std::uint8_t f) {
  return nfnl::to_string(static_cast<nfnl::family>(f));
}

inline listing from_nft(const std::string& text) {
  listing l;
  auto j = nlohmann::json::parse(text);
  for (const auto& item : j["nftables"]) {
    if (item.contains("table")) {
      const auto& t = item["table"];
      l.tables.insert(t["family"].get<std::string>() + " " +
                      t["name"].get<std::string>());
    } else if (item.contains("chain")) {
      const auto& c = item["chain"];
      l.chains.insert(c["family"].get<std::string>() + " " +
                      c["table"].get<std::string>() + " " +
                      c["name"].get<std::string>() + " " +
                      std::to_string(c["handle"].get<std::uint64_t>()));
    } else if (item.contains("rule")) {
      const auto& r = item["rule"];
      l.rules.insert(r["family"].get<std::string>() + " " +
                     r["table"].get<std::string>() + " " +
                     r["chain"].get<std::string>() + " " +
                     std::to_string(r["handle"].get<std::uint64_t>()));
    } else if (item.contains("set") || item.contains("map")) {
      const auto& s = item.contains("set") ? item["set"] : item["map"];
      auto key = s["family"].get<std::string>() + " " +
                 s["table"].get<std::string>() + " " +
                 s["name"].get<std::string>();
      l.sets.insert(key);
      l.elements[key] = s.contains("elem") ? s["elem"].size() : 0;
    } else if (item.contains("counter") || item.contains("quota")) {
      const auto& o =
          item.contains("counter") ? item["counter"] : item["quota"];
      l.objects.insert(o["family"].get<std::string>() + " " +
                       o["table"].get<std::string>() + " " +
                       o["name"].get<std::string>());
    }
  }
  return l;
}

inline listing from_snapshot(const nft::ruleset& rs) {
  listing l;
  for (const auto& t : rs.tables)
    l.tables.insert(fam(t.family) + " " + t.name);
  for (const auto& c : rs.chains)
    l.chains.insert(fam(c.family) + " " + c.table + " " + c.name + " " +
                    std::to_string(*c.handle));
  for (const auto& r : rs.rules)
    l.rules.insert(fam(r.family) + " " + r.table + " " + r.chain + " " +
                   std::to_string(*r.handle));
  for (const auto& s : rs.sets) {
    auto key = fam(s.set.family) + " " + s.set.table + " " + s.set.name;
    l.sets.insert(key);
    // nft shows an interval once; the kernel stores start and end.
    std::size_t n = 0;
    for (const auto& e : s.elems)
      n += !e.is_interval_end();
    l.elements[key] = n;
  }
  for (const auto& o : rs.objects)
    l.objects.insert(fam(o.family) + " " + o.table + " " + o.name);
  return l;
}

inline void check_equal(const listing& got, const listing& want) {
  BOOST_TEST(got.tables == want.tables, boost::test_tools::per_element());
  BOOST_TEST(got.chains == want.chains, boost::test_tools::per_element());
  BOOST_TEST(got.rules == want.rules, boost::test_tools::per_element());
  BOOST_TEST(got.sets == want.sets, boost::test_tools::per_element());
  BOOST_TEST(got.objects == want.objects, boost::test_tools::per_element());
  for (const auto& [k, n] : want.elements)
    BOOST_TEST(got.elements.at(k) == n, k);
}

} // namespace nfactor::test
