// SPDX-License-Identifier: Apache-2.0
// Fuzzes the netlink framing and every foundation decoder that reads kernel
// bytes: message_reader, decode_ack (extack), decode_nfgenmsg, attr_reader
// (recursively, all getters) and decode_gen. Round trip: the attribute
// stream of each message, re-encoded with message_writer from what was read,
// must read back as the same (type, payload) sequence.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <linux/netlink.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

using namespace nfactor;

namespace {

struct attr_copy {
  std::uint16_t type;
  bool nested;
  byte_buffer payload;
};

// Reads every attribute with every getter (at most depth 8), so each one
// meets arbitrary lengths; returns the top-level attributes read.
std::vector<attr_copy> walk(nl::attr_reader& r, int depth) {
  std::vector<attr_copy> out;
  while (r.next()) {
    out.push_back({r.type(), r.nested_flag(),
                   byte_buffer(r.bytes().begin(), r.bytes().end())});
    auto probe = r; // getters on a copy: a length error must not end `r`
    (void)probe.u8();
    probe = r;
    (void)probe.u16_be();
    probe = r;
    (void)probe.u32_be();
    probe = r;
    (void)probe.u64_be();
    (void)r.str();
    if (depth < 8) {
      auto copy = r;
      auto inner = copy.nested();
      (void)walk(inner, depth + 1);
    }
  }
  return out;
}

void round_trip(const std::vector<attr_copy>& attrs) {
  byte_buffer buf;
  nl::message_writer w{buf};
  w.begin(0x0a00, 0, 0);
  for (auto& a : attrs) {
    if (a.nested) {
      auto t = w.begin_nested(a.type);
      w.put_raw(a.payload);
      w.end_nested(t);
    } else {
      w.attr_bytes(a.type, a.payload);
    }
  }
  w.end();
  if (!w.status())
    return; // e.g. a payload padded past 64 KiB; nothing to compare
  nl::attr_reader again{byte_view{buf}.subspan(NLMSG_HDRLEN)};
  std::vector<attr_copy> back;
  while (again.next())
    back.push_back({again.type(), again.nested_flag(),
                    byte_buffer(again.bytes().begin(), again.bytes().end())});
  if (!again.ok() || back.size() != attrs.size())
    std::abort();
  for (std::size_t i = 0; i < back.size(); ++i) {
    // Nested payloads are re-padded by put_raw; compare the prefix.
    if (back[i].type != attrs[i].type || back[i].nested != attrs[i].nested ||
        back[i].payload.size() < attrs[i].payload.size() ||
        !std::equal(attrs[i].payload.begin(), attrs[i].payload.end(),
                    back[i].payload.begin()))
      std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  nl::message_reader reader{byte_view{data, size}};
  while (reader.next()) {
    const auto& msg = reader.get();
    if (msg.type == NLMSG_ERROR) {
      if (auto a = nl::decode_ack(msg); a && a->error != 0)
        (void)nl::ack_error(*a, "fuzz").message();
      continue;
    }
    (void)nft::decode_gen(msg);
    auto hdr = nfnl::decode_nfgenmsg(msg.payload);
    if (!hdr)
      continue;
    nl::attr_reader attrs{hdr->rest};
    auto read = walk(attrs, 0);
    if (attrs.ok())
      round_trip(read);
  }
  return 0;
}
