// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/flowtable.hpp"

#include <tuple>

#include "object_codec.hpp"

namespace nfactor::nft::detail {

template <>
struct fields_of<flowtable_hook> {
  static constexpr auto rows =
      std::tuple{field(NFTA_FLOWTABLE_HOOK_NUM, &flowtable_hook::num),
                 field(NFTA_FLOWTABLE_HOOK_PRIORITY, &flowtable_hook::priority),
                 field(NFTA_FLOWTABLE_HOOK_DEVS, &flowtable_hook::devices,
                       NFTA_DEVICE_NAME)};
};

} // namespace nfactor::nft::detail

namespace nfactor::nft {

namespace {

using namespace detail;

// Kernel dump order (nf_tables_fill_flowtable_info).
constexpr auto rows =
    std::tuple{field(NFTA_FLOWTABLE_TABLE, &flowtable::table),
               field(NFTA_FLOWTABLE_NAME, &flowtable::name),
               field(NFTA_FLOWTABLE_USE, &flowtable::use),
               field(NFTA_FLOWTABLE_HANDLE, &flowtable::handle),
               field(NFTA_FLOWTABLE_FLAGS, &flowtable::flags),
               field(NFTA_FLOWTABLE_HOOK, &flowtable::hook)};

} // namespace

result<flowtable> decode_flowtable(const nl::message& msg) {
  return decode_message<flowtable>(
      msg, NFT_MSG_NEWFLOWTABLE, NFT_MSG_DELFLOWTABLE, "decode flowtable",
      [](nl::attr_reader& r, flowtable& f) { decode_rows(r, f, rows); });
}

void encode(nl::message_writer& w, const flowtable& f) {
  encode_rows(f, w, rows);
}

void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const flowtable& f) {
  append_message(out, msg, flags, seq, f);
}

} // namespace nfactor::nft
