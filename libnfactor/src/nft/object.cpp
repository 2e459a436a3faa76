// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/object.hpp"

#include <tuple>

#include "nfactor/nft/expr.hpp"
#include "object_codec.hpp"

namespace nfactor::nft {

namespace {

using namespace detail;

constexpr auto head_rows = std::tuple{
    field(NFTA_OBJ_TABLE, &object::table), field(NFTA_OBJ_NAME, &object::name),
    field(NFTA_OBJ_TYPE, &object::type),
    field(NFTA_OBJ_HANDLE, &object::handle), field(NFTA_OBJ_USE, &object::use)};

constexpr auto tail_rows =
    std::tuple{field(NFTA_OBJ_USERDATA, &object::userdata)};

} // namespace

result<object> decode_object(const nl::message& msg) {
  return decode_message<object>(
      msg, NFT_MSG_NEWOBJ, NFT_MSG_DELOBJ, "decode object",
      [](nl::attr_reader& r, object& o) {
        std::optional<byte_view> raw;
        while (r.next()) {
          if (r.type() == NFTA_OBJ_DATA)
            raw = r.bytes();
          else if (!match_row(r, o, head_rows))
            match_row(r, o, tail_rows);
        }
        if (!raw || !r.ok())
          return;
        nl::attr_reader d{*raw, "decode object data"};
        switch (o.type) {
        case NFT_OBJECT_COUNTER: {
          expression e{expr::counter{}};
          expr::counter::kind().decode(d, e);
          o.state = std::get<expr::counter>(e.value);
          break;
        }
        case NFT_OBJECT_QUOTA: {
          expression e{expr::quota{}};
          expr::quota::kind().decode(d, e);
          o.state = std::get<expr::quota>(e.value);
          break;
        }
        case NFT_OBJECT_LIMIT: {
          expression e{expr::limit{}};
          expr::limit::kind().decode(d, e);
          o.state = std::get<expr::limit>(e.value);
          break;
        }
        default:
          o.state = byte_buffer(raw->begin(), raw->end());
          break;
        }
        if (!d.ok())
          r.fail(d.err()->message(), static_cast<errc>(d.err()->code.value()));
      });
}

void encode(nl::message_writer& w, const object& o) {
  encode_rows(o, w, head_rows);
  if (o.state) {
    auto nest = w.begin_nested(NFTA_OBJ_DATA);
    std::visit(
        [&](const auto& s) {
          using S = std::decay_t<decltype(s)>;
          if constexpr (std::is_same_v<S, byte_buffer>)
            w.put_raw(s);
          else
            S::kind().encode(expression{s}, w);
        },
        *o.state);
    w.end_nested(nest);
  }
  encode_rows(o, w, tail_rows);
}

void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const object& o) {
  append_message(out, msg, flags, seq, o);
}

} // namespace nfactor::nft
