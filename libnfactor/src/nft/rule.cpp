// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/rule.hpp"

#include <cstring>
#include <tuple>

#include "object_codec.hpp"

namespace nfactor::nft {

namespace {

using namespace detail;

// Kernel dump order (nf_tables_fill_rule_info).
constexpr auto rows =
    std::tuple{field(NFTA_RULE_TABLE, &rule::table),
               field(NFTA_RULE_CHAIN, &rule::chain),
               field(NFTA_RULE_HANDLE, &rule::handle),
               field(NFTA_RULE_POSITION, &rule::position),
               field(NFTA_RULE_EXPRESSIONS, &rule::exprs, NFTA_LIST_ELEM),
               field(NFTA_RULE_USERDATA, &rule::userdata),
               field(NFTA_RULE_ID, &rule::id),
               field(NFTA_RULE_POSITION_ID, &rule::position_id),
               field(NFTA_RULE_CHAIN_ID, &rule::chain_id)};

// nft's user-data TLV types (libnftnl udata.h).
constexpr std::uint8_t udata_comment = 0;

} // namespace

std::optional<std::string> rule::comment() const {
  if (!userdata)
    return std::nullopt;
  const auto& u = *userdata;
  std::size_t i = 0;
  while (i + 2 <= u.size()) {
    auto type = u[i];
    std::size_t len = u[i + 1];
    if (i + 2 + len > u.size())
      break;
    if (type == udata_comment) {
      std::string s(reinterpret_cast<const char*>(u.data() + i + 2), len);
      if (auto nul = s.find('\0'); nul != std::string::npos)
        s.resize(nul);
      return s;
    }
    i += 2 + len;
  }
  return std::nullopt;
}

byte_buffer comment_userdata(std::string_view comment) {
  auto len = std::min<std::size_t>(comment.size(), 254);
  byte_buffer out(len + 3, 0);
  out[0] = udata_comment;
  out[1] = static_cast<std::uint8_t>(len + 1);
  std::memcpy(out.data() + 2, comment.data(), len);
  return out;
}

result<rule> decode_rule(const nl::message& msg) {
  return decode_message<rule>(
      msg, NFT_MSG_NEWRULE, NFT_MSG_DELRULE, "decode rule",
      [](nl::attr_reader& r, rule& x) { decode_rows(r, x, rows); });
}

void encode(nl::message_writer& w, const rule& r) {
  encode_rows(r, w, rows);
}

void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const rule& r) {
  append_message(out, msg, flags, seq, r);
}

} // namespace nfactor::nft
