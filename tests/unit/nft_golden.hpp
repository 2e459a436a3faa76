// SPDX-License-Identifier: Apache-2.0
// Helpers for the golden nf_tables messages (nft_golden_data.hpp).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include <boost/test/unit_test.hpp>

#include "nfactor/bytes.hpp"
#include "nfactor/nl/message.hpp"
#include "nfactor/nft/event.hpp"
#include "nfactor/nft/trace.hpp" // append() for trace events
#include "nft_golden_data.hpp"

namespace nfactor::test {

/// Golden message bytes as a netlink message view.
inline nl::message as_message(const std::vector<std::uint8_t>& bytes) {
  nl::message_reader rd{bytes};
  BOOST_REQUIRE(rd.next());
  return rd.get();
}

// Clears NLA_F_NESTED in every nested attribute of `attrs`: we set it (as
// nft and libmnl do in requests), the kernel's dumps do not.
inline void strip_nested_flags(std::span<std::uint8_t> attrs) {
  std::size_t off = 0;
  while (off + 4 <= attrs.size()) {
    std::uint16_t len = 0;
    std::uint16_t type = 0;
    std::memcpy(&len, attrs.data() + off, 2);
    std::memcpy(&type, attrs.data() + off + 2, 2);
    if (len < 4 || off + len > attrs.size())
      return;
    if (type & 0x8000) {
      type &= 0x7fff;
      std::memcpy(attrs.data() + off + 2, &type, 2);
      strip_nested_flags(attrs.subspan(off + 4, len - 4));
    }
    off += (len + 3u) & ~3u;
  }
}

// The attributes (after nlmsghdr and nfgenmsg) of `obj` encoded the way
// `append()` writes it, with the nested flags stripped.
template <class T>
byte_buffer reencode(const T& obj, const nl::message& m) {
  byte_buffer out;
  nft::append(out, static_cast<std::uint8_t>(m.type & 0xff), 0, m.seq, obj);
  byte_buffer attrs(out.begin() + 20, out.end());
  strip_nested_flags(attrs);
  return attrs;
}

/// Drops the top-level attributes of type > `max_type` (newer than our
/// uapi headers; decoders skip them).
inline byte_buffer drop_unknown(const byte_buffer& attrs,
                                std::uint16_t max_type) {
  byte_buffer out;
  std::size_t off = 0;
  while (off + 4 <= attrs.size()) {
    std::uint16_t len = 0;
    std::uint16_t type = 0;
    std::memcpy(&len, attrs.data() + off, 2);
    std::memcpy(&type, attrs.data() + off + 2, 2);
    auto step = std::min<std::size_t>((len + 3u) & ~3u, attrs.size() - off);
    if ((type & 0x3fff) <= max_type)
      out.insert(out.end(), attrs.begin() + off, attrs.begin() + off + step);
    off += step;
  }
  return out;
}

/// The attributes of golden message `m`, nested flags stripped (requests
// captured from nft carry them).
inline byte_buffer golden_attrs(const nl::message& m) {
  byte_buffer attrs(m.payload.begin() + 4, m.payload.end());
  strip_nested_flags(attrs);
  return attrs;
}

} // namespace nfactor::test
