// SPDX-License-Identifier: Apache-2.0
// Fuzzes the nf_tables notification and dump decoders (nft/event.hpp) on
// datagrams as the monitor and snapshot read them: every message goes
// through decode_notification (table, chain, rule with the expression
// table, set, element list, object, flowtable, NEWGEN) and the
// commit_framer, which must agree with it. Each decoded change must
// round-trip: encode_changes → decode_changes gives a change of the same
// kind whose encoding is byte-identical to the first. Rules are rendered
// (libnftnl style) and their expression list is decoded a second way; all
// changes are folded into a ruleset (from_changes) and listed back. A
// message that does not decode gives a typed error with a message.
// Seeds (corpus/fuzz_nft_decode/): notifications and dumps captured from
// kernel 6.18 by capture_seeds (a ruleset using tables, chains, rules with
// many expressions, sets, maps, elements, objects; its deletion; dumps;
// NEWGEN; whole commits in one file), plus a flowtable NEW/DEL pair
// written by nfactor's encoder (this kernel has no nf_flow_table).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <variant>
#include <vector>

#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "nfactor/nl/attr.hpp"
#include "nfactor/nft/event.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "typed_error.hpp"

using namespace nfactor;

namespace {

// decode → encode → decode → encode: the two encodings are identical
// (the first may normalise, e.g. pad an opaque expression's odd-length
// data the kernel never sends).
void round_trip(const nft::change& c) {
  byte_buffer once;
  nft::encode_changes(once, {c});
  auto back = nft::decode_changes(once);
  if (!back || back->size() != 1)
    std::abort(); // what we encoded does not decode
  if (back->front().added != c.added ||
      back->front().entity.index() != c.entity.index())
    std::abort();
  byte_buffer twice;
  nft::encode_changes(twice, *back);
  if (twice != once)
    std::abort();
}

void inspect(const nft::change& c) {
  (void)nft::kind_name(c.entity);
  (void)nft::message_type(c);
  if (auto* r = std::get_if<nft::rule>(&c.entity)) {
    (void)nft::render(r->exprs);
    (void)r->comment();
    // The list once more through the byte_view entry point: encode,
    // decode, encode again gives the same bytes (the first encoding may
    // normalise, e.g. pad an opaque expression's odd-length data).
    auto encode = [](const std::vector<nft::expression>& list) {
      byte_buffer buf;
      nl::message_writer w{buf};
      w.begin(0, 0, 0);
      nft::encode_expressions(w, NFTA_RULE_EXPRESSIONS, list);
      w.end();
      if (!w.status())
        buf.clear(); // e.g. a list past 64 KiB: nothing to compare
      return buf;
    };
    auto once = encode(r->exprs);
    if (once.empty())
      return;
    nl::attr_reader attrs{byte_view{once}.subspan(NLMSG_HDRLEN)};
    if (!attrs.next())
      std::abort();
    auto list = nft::decode_expressions(attrs.bytes());
    if (!list || list->size() != r->exprs.size() || encode(*list) != once)
      std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  nft::commit_framer framer;
  std::vector<nft::change> changes;
  std::size_t pending = 0;
  nl::message_reader reader{byte_view{data, size}};
  while (reader.next()) {
    const auto& msg = reader.get();
    auto n = nft::decode_notification(msg);
    auto t = framer.feed(msg);
    if (n.has_value() != t.has_value())
      std::abort(); // the framer and the decoder disagree
    if (!n) {
      if (!fuzz::typed_decode_error(n.err()))
        std::abort();
      continue;
    }
    if (!*n)
      continue;
    if (auto* c = std::get_if<nft::change>(&**n)) {
      inspect(*c);
      round_trip(*c);
      changes.push_back(*c);
      if (*t || framer.pending() != ++pending)
        std::abort();
    } else {
      // NEWGEN closes the commit with every change since the last one.
      if (!*t || (*t)->changes.size() != pending || framer.pending() != 0)
        std::abort();
      (void)nft::flatten(**t);
      pending = 0;
    }
  }
  auto rs = nft::from_changes(1, std::move(changes));
  for (const auto& c : rs.as_changes())
    inspect(c);
  return 0;
}
