// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/set.hpp"

#include <tuple>

#include "object_codec.hpp"

namespace nfactor::nft::detail {

template <>
struct fields_of<set_field> {
  static constexpr auto rows =
      std::tuple{field(NFTA_SET_FIELD_LEN, &set_field::len)};
};

template <>
struct fields_of<set_desc> {
  static constexpr auto rows = std::tuple{
      field(NFTA_SET_DESC_SIZE, &set_desc::size),
      field(NFTA_SET_DESC_CONCAT, &set_desc::concat, NFTA_LIST_ELEM)};
};

} // namespace nfactor::nft::detail

namespace nfactor::nft {

namespace {

using namespace detail;

// Kernel dump order (nf_tables_fill_set).
constexpr auto rows = std::tuple{field(NFTA_SET_TABLE, &set::table),
                                 field(NFTA_SET_NAME, &set::name),
                                 field(NFTA_SET_HANDLE, &set::handle),
                                 field(NFTA_SET_FLAGS, &set::flags),
                                 field(NFTA_SET_KEY_TYPE, &set::key_type),
                                 field(NFTA_SET_KEY_LEN, &set::key_len),
                                 field(NFTA_SET_DATA_TYPE, &set::data_type),
                                 field(NFTA_SET_DATA_LEN, &set::data_len),
                                 field(NFTA_SET_OBJ_TYPE, &set::obj_type),
                                 field(NFTA_SET_TIMEOUT, &set::timeout),
                                 field(NFTA_SET_GC_INTERVAL, &set::gc_interval),
                                 field(NFTA_SET_POLICY, &set::policy),
                                 field(NFTA_SET_USERDATA, &set::userdata),
                                 field(NFTA_SET_DESC, &set::desc),
                                 field(NFTA_SET_ID, &set::id)};

} // namespace

bool set::is_map() const noexcept {
  return flags && (*flags & NFT_SET_MAP);
}

result<set> decode_set(const nl::message& msg) {
  return decode_message<set>(msg, NFT_MSG_NEWSET, NFT_MSG_DELSET, "decode set",
                             [](nl::attr_reader& r, set& s) {
                               while (r.next()) {
                                 auto t = r.type();
                                 if (t == NFTA_SET_EXPR)
                                   decode_expression(r.nested(),
                                                     s.exprs.emplace_back());
                                 else if (t == NFTA_SET_EXPRESSIONS)
                                   decode_expressions(r.nested(), s.exprs);
                                 else
                                   match_row(r, s, rows);
                               }
                             });
}

void encode(nl::message_writer& w, const set& s) {
  encode_rows(s, w, rows);
  if (s.exprs.size() == 1) {
    auto nest = w.begin_nested(NFTA_SET_EXPR);
    encode_expression(w, s.exprs.front());
    w.end_nested(nest);
  } else if (s.exprs.size() > 1) {
    encode_expressions(w, NFTA_SET_EXPRESSIONS, s.exprs);
  }
}

void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const set& s) {
  append_message(out, msg, flags, seq, s);
}

} // namespace nfactor::nft
