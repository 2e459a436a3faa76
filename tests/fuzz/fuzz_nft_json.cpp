// SPDX-License-Identifier: Apache-2.0
// Fuzzes the nft JSON reader (nft/json.hpp), the input of nfactor-apply:
// any text gives operations or an error naming a JSON path, never a crash,
// an exception or an over-read. What it reads is then encoded into a batch,
// described and reconciled against an empty ruleset; reading is
// deterministic (the same text gives the same operations).
// Seeds (corpus/fuzz_nft_json/): `nft -j list ruleset` outputs of nft 1.0.6
// on kernel 6.18 — full_ruleset.json of tests/apps/apps_apply.cpp's
// ruleset (every supported statement and set type), probe_ruleset.json of a
// smaller inet + nat ruleset, log_rule.json of a `log group` rule — plus
// hand-written commands.json (flush/add/delete) and not_json.txt;
// new_exprs_ruleset.json: the listing of tests/apps/apps_apply.cpp's
// new_exprs_ruleset (jhash/symhash, rt, exthdr, tcp option incl. set, dup
// and fwd; tables ip t, netdev n, ip6 six; nft 1.0.6, kernel 6.18), which
// the reader reads whole.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "nfactor/nft/json.hpp"
#include "nfactor/nft/reconcile.hpp"

using namespace nfactor;

namespace {

// A refusal of the reader: invalid_argument from "read nft json", and
// either the document as a whole is wrong (not JSON, no "nftables" array)
// or the detail starts with the JSON path of the offending value
// ("nftables[3].rule.expr[0].match.left: ...").
bool names_its_path(const error& e) {
  if (e.code != make_error_code(errc::invalid_argument) ||
      e.op != "read nft json")
    return false;
  const std::string_view d = e.detail;
  if (d == "not valid JSON" ||
      d == "expected an object with an \"nftables\" array")
    return true;
  auto colon = d.find(": ");
  return d.starts_with("nftables[") && colon != std::string_view::npos &&
         colon + 2 < d.size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto ops = nft::json::read(text);
  if (!ops) {
    if (!names_its_path(ops.err())) {
      std::fprintf(stderr, "error without a JSON path: %s\n",
                   ops.err().message().c_str());
      std::abort();
    }
    return 0;
  }
  auto again = nft::json::read(text);
  if (!again || *again != *ops)
    std::abort();
  for (auto& op : *ops)
    (void)nft::json::describe(op);
  if (auto b = nft::json::build(*ops);
      b && b->paths.size() != b->batch.ops.size())
    std::abort();
  // The desired ruleset of --reconcile, planned against an empty one.
  if (auto want = nft::json::to_ruleset(*ops)) {
    nft::batch b;
    (void)nft::plan(nft::ruleset{}, *want, b);
    (void)std::move(b).finish();
  }
  return 0;
}
