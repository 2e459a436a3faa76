// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/chain.hpp"

#include <tuple>

#include "object_codec.hpp"

namespace nfactor::nft::detail {

template <>
struct fields_of<nft::hook> {
  static constexpr auto rows =
      std::tuple{field(NFTA_HOOK_HOOKNUM, &hook::num),
                 field(NFTA_HOOK_PRIORITY, &hook::priority),
                 field(NFTA_HOOK_DEVS, &hook::devices, NFTA_DEVICE_NAME),
                 field(NFTA_HOOK_DEV, &hook::device)};
};

template <>
struct fields_of<chain_counters> {
  static constexpr auto rows =
      std::tuple{field(NFTA_COUNTER_BYTES, &chain_counters::bytes),
                 field(NFTA_COUNTER_PACKETS, &chain_counters::packets)};
};

} // namespace nfactor::nft::detail

namespace nfactor::nft {

namespace {

using namespace detail;

// Kernel dump order (nf_tables_fill_chain_info).
constexpr auto rows = std::tuple{field(NFTA_CHAIN_TABLE, &chain::table),
                                 field(NFTA_CHAIN_NAME, &chain::name),
                                 field(NFTA_CHAIN_HANDLE, &chain::handle),
                                 field(NFTA_CHAIN_HOOK, &chain::hook),
                                 field(NFTA_CHAIN_POLICY, &chain::policy),
                                 field(NFTA_CHAIN_TYPE, &chain::type),
                                 field(NFTA_CHAIN_COUNTERS, &chain::counters),
                                 field(NFTA_CHAIN_FLAGS, &chain::flags),
                                 field(NFTA_CHAIN_USE, &chain::use),
                                 field(NFTA_CHAIN_USERDATA, &chain::userdata),
                                 field(NFTA_CHAIN_ID, &chain::id)};

} // namespace

result<chain> decode_chain(const nl::message& msg) {
  return decode_message<chain>(
      msg, NFT_MSG_NEWCHAIN, NFT_MSG_DELCHAIN, "decode chain",
      [](nl::attr_reader& r, chain& c) { decode_rows(r, c, rows); });
}

void encode(nl::message_writer& w, const chain& c) {
  encode_rows(c, w, rows);
}

void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const chain& c) {
  append_message(out, msg, flags, seq, c);
}

} // namespace nfactor::nft
