// SPDX-License-Identifier: Apache-2.0
// Fuzzes the queue policy readers (nfqueue/policy.hpp), the input of
// nfactor-queue's --rule and --policy: any text gives a rule or policy,
// or an invalid_argument error that says where and what was expected;
// never a crash, an exception or an over-read. A rule that parses has a
// canonical text that parses back to the same rule (and renders the same
// again). The input is also read as a packet from the network header on,
// and the policy decides on it.
// Seeds (corpus/fuzz_nfqueue_policy/): rules of every form and the JSON
// policies of docs/apps/nfactor-queue.md and tests/apps/apps_queue.cpp,
// hand-written.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "nfactor/nfqueue/policy.hpp"

using namespace nfactor;
using namespace nfactor::nfqueue;

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s: %s\n", what, detail.c_str());
  std::abort();
}

// A parse error names its place and what was expected there.
void check_error(const error& e, std::string_view place) {
  if (e.code != make_error_code(errc::invalid_argument) ||
      e.detail.find(place) == std::string::npos ||
      e.detail.find("expected ") == std::string::npos)
    fail("untyped error", e.message());
}

void round_trip(const policy_rule& r) {
  auto text = to_string(r);
  auto again = parse_rule(text);
  if (!again)
    fail("canonical text does not parse",
         text + " -> " + again.err().message());
  if (!(*again == r))
    fail("canonical text parses to another rule", text);
  if (to_string(*again) != text)
    fail("canonical text is not stable", text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  policy pol;
  if (auto r = parse_rule(text)) {
    round_trip(*r);
    pol.rules.push_back(std::move(*r));
  } else {
    check_error(r.err(), "column ");
  }
  if (auto p = parse_policy_json(text, "fuzz")) {
    for (const auto& r : p->rules) {
      round_trip(r);
      pol.rules.push_back(r);
    }
  } else if (p.err().code != make_error_code(errc::invalid_argument) ||
             p.err().op != "policy fuzz" ||
             p.err().detail.find("expected ") == std::string::npos) {
    fail("untyped policy error", p.err().message());
  }
  // The bytes as a packet of each family.
  for (std::uint8_t family : {2, 10}) {
    queue_packet pkt;
    pkt.family = family;
    pkt.payload = nflog::shared_bytes{byte_view{data, size}};
    (void)pol.decide(pkt);
  }
  return 0;
}
