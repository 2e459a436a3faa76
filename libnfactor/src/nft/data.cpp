// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/data.hpp"

#include <cstdio>
#include <cstring>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "fields.hpp"

namespace nfactor::nft {

data make_value(byte_view bytes) {
  return data{byte_buffer(bytes.begin(), bytes.end()), std::nullopt};
}

data make_be(std::uint64_t v, std::size_t len) {
  data d;
  d.value.resize(len);
  for (std::size_t i = 0; i < len; ++i)
    d.value[len - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return d;
}

data make_u32(std::uint32_t v) {
  data d;
  d.value.resize(4);
  std::memcpy(d.value.data(), &v, 4);
  return d;
}

data make_string(std::string_view s, std::size_t len) {
  data d;
  d.value.assign(len, 0);
  std::memcpy(d.value.data(), s.data(), std::min(len, s.size()));
  return d;
}

data make_verdict(std::int32_t code, std::optional<std::string> chain) {
  data d;
  d.verdict = verdict{code, std::move(chain), std::nullopt};
  return d;
}

void encode_data(nl::message_writer& w, std::uint16_t type, const data& d) {
  auto nest = w.begin_nested(type);
  if (d.verdict) {
    detail::put(w, NFTA_DATA_VERDICT, *d.verdict, 0);
  } else {
    w.attr_bytes(NFTA_DATA_VALUE, d.value);
  }
  w.end_nested(nest);
}

void decode_data(nl::attr_reader r, data& out) {
  while (r.next()) {
    switch (r.type()) {
    case NFTA_DATA_VALUE:
      out.value.assign(r.bytes().begin(), r.bytes().end());
      break;
    case NFTA_DATA_VERDICT:
      detail::get(r, out.verdict.emplace(), 0);
      break;
    default:
      break;
    }
  }
}

std::string_view verdict_name(std::int32_t code) noexcept {
  switch (code) {
  case NF_ACCEPT:
    return "accept";
  case NF_DROP:
    return "drop";
  case NF_STOLEN:
    return "stolen";
  case NF_QUEUE:
    return "queue";
  case NF_REPEAT:
    return "repeat";
  case NF_STOP:
    return "stop";
  case NFT_RETURN:
    return "return";
  case NFT_JUMP:
    return "jump";
  case NFT_GOTO:
    return "goto";
  case NFT_CONTINUE:
    return "continue";
  case NFT_BREAK:
    return "break";
  default:
    return "unknown";
  }
}

void render_data(const data& d, std::string& out) {
  if (d.verdict) {
    out += verdict_name(d.verdict->code);
    out += ' ';
    if (d.verdict->chain) {
      out += "-> ";
      out += *d.verdict->chain;
      out += ' ';
    }
    return;
  }
  for (std::size_t i = 0; i < d.value.size(); i += 4) {
    std::uint32_t word = 0;
    std::memcpy(&word, d.value.data() + i,
                std::min<std::size_t>(4, d.value.size() - i));
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%.8x ", word);
    out += buf;
  }
}

} // namespace nfactor::nft
