// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/elem.hpp"

#include <tuple>

#include "object_codec.hpp"

namespace nfactor::nft {

namespace {

using namespace detail;

// Kernel dump order (nf_tables_fill_setelem).
constexpr auto elem_rows =
    std::tuple{field(NFTA_SET_ELEM_KEY, &set_elem::key),
               field(NFTA_SET_ELEM_KEY_END, &set_elem::key_end),
               field(NFTA_SET_ELEM_DATA, &set_elem::value),
               field(NFTA_SET_ELEM_OBJREF, &set_elem::objref),
               field(NFTA_SET_ELEM_FLAGS, &set_elem::flags),
               field(NFTA_SET_ELEM_TIMEOUT, &set_elem::timeout),
               field(NFTA_SET_ELEM_EXPIRATION, &set_elem::expiration),
               field(NFTA_SET_ELEM_USERDATA, &set_elem::userdata)};

constexpr auto list_rows =
    std::tuple{field(NFTA_SET_ELEM_LIST_TABLE, &elem_list::table),
               field(NFTA_SET_ELEM_LIST_SET, &elem_list::set),
               field(NFTA_SET_ELEM_LIST_SET_ID, &elem_list::set_id)};

void decode_elem(nl::attr_reader r, set_elem& e) {
  while (r.next()) {
    auto t = r.type();
    if (t == NFTA_SET_ELEM_EXPR)
      decode_expression(r.nested(), e.exprs.emplace_back());
    else if (t == NFTA_SET_ELEM_EXPRESSIONS)
      decode_expressions(r.nested(), e.exprs);
    else
      match_row(r, e, elem_rows);
  }
}

void encode_elem(nl::message_writer& w, const set_elem& e) {
  // Expressions come between DATA and OBJREF in the kernel's dump.
  put(w, NFTA_SET_ELEM_KEY, e.key, 0);
  put(w, NFTA_SET_ELEM_KEY_END, e.key_end, 0);
  put(w, NFTA_SET_ELEM_DATA, e.value, 0);
  if (e.exprs.size() == 1) {
    auto nest = w.begin_nested(NFTA_SET_ELEM_EXPR);
    encode_expression(w, e.exprs.front());
    w.end_nested(nest);
  } else if (e.exprs.size() > 1) {
    encode_expressions(w, NFTA_SET_ELEM_EXPRESSIONS, e.exprs);
  }
  put(w, NFTA_SET_ELEM_OBJREF, e.objref, 0);
  put(w, NFTA_SET_ELEM_FLAGS, e.flags, 0);
  put(w, NFTA_SET_ELEM_TIMEOUT, e.timeout, 0);
  put(w, NFTA_SET_ELEM_EXPIRATION, e.expiration, 0);
  put(w, NFTA_SET_ELEM_USERDATA, e.userdata, 0);
}

} // namespace

bool set_elem::is_interval_end() const noexcept {
  return flags && (*flags & NFT_SET_ELEM_INTERVAL_END);
}

result<elem_list> decode_elems(const nl::message& msg) {
  return decode_message<elem_list>(
      msg, NFT_MSG_NEWSETELEM, NFT_MSG_DELSETELEM, "decode set elements",
      [](nl::attr_reader& r, elem_list& l) {
        while (r.next()) {
          if (r.type() == NFTA_SET_ELEM_LIST_ELEMENTS) {
            auto list = r.nested();
            while (list.next())
              if (list.type() == NFTA_LIST_ELEM)
                decode_elem(list.nested(), l.elems.emplace_back());
          } else {
            match_row(r, l, list_rows);
          }
        }
      });
}

void encode(nl::message_writer& w, const elem_list& l) {
  encode_rows(l, w, list_rows);
  auto list = w.begin_nested(NFTA_SET_ELEM_LIST_ELEMENTS);
  for (const auto& e : l.elems) {
    auto nest = w.begin_nested(NFTA_LIST_ELEM);
    encode_elem(w, e);
    w.end_nested(nest);
  }
  w.end_nested(list);
}

void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const elem_list& l) {
  append_message(out, msg, flags, seq, l);
}

} // namespace nfactor::nft
