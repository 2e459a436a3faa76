// SPDX-License-Identifier: Apache-2.0
// nfgenmsg decode → encode → decode, and the type mux, for any input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "nfactor/nfnl/codec.hpp"

using namespace nfactor;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  auto h = nfnl::decode_nfgenmsg(byte_view{data, size});
  if (!h) {
    if (size >= 4)
      std::abort(); // four bytes always decode
    return 0;
  }
  auto again = nfnl::encode_nfgenmsg(h->family, h->res_id);
  // Only the version byte is not carried by the encoder (always v0).
  if (again[0] != data[0] || again[2] != data[2] || again[3] != data[3])
    std::abort();
  if (h->rest.size() != size - 4)
    std::abort();
  if (size >= 6) {
    std::uint16_t t = static_cast<std::uint16_t>(data[4] | (data[5] << 8));
    auto s = nfnl::split_type(t);
    if (nfnl::nlmsg_type(s.subsys, s.msg) != t)
      std::abort();
  }
  return 0;
}
