// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/table.hpp"

#include <tuple>

#include "object_codec.hpp"

namespace nfactor::nft {

namespace {

using namespace detail;

// Kernel dump order (nf_tables_fill_table_info).
constexpr auto rows = std::tuple{field(NFTA_TABLE_NAME, &table::name),
                                 field(NFTA_TABLE_USE, &table::use),
                                 field(NFTA_TABLE_HANDLE, &table::handle),
                                 field(NFTA_TABLE_FLAGS, &table::flags),
                                 field(NFTA_TABLE_USERDATA, &table::userdata),
                                 field(NFTA_TABLE_OWNER, &table::owner)};

} // namespace

result<table> decode_table(const nl::message& msg) {
  return decode_message<table>(
      msg, NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, "decode table",
      [](nl::attr_reader& r, table& t) { decode_rows(r, t, rows); });
}

void encode(nl::message_writer& w, const table& t) {
  encode_rows(t, w, rows);
}

void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const table& t) {
  append_message(out, msg, flags, seq, t);
}

} // namespace nfactor::nft
