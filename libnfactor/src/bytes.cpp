// SPDX-License-Identifier: Apache-2.0
#include "nfactor/bytes.hpp"

#include <algorithm>
#include <bit>

namespace nfactor {

namespace {

void append_hex(std::string& out, std::uint8_t byte) {
  static constexpr char digits[] = "0123456789abcdef";
  out += digits[byte >> 4];
  out += digits[byte & 0x0f];
}

// Where the byte of weight 256^i of an `n`-byte integer sits.
std::size_t position(std::size_t i, std::size_t n, byte_order order) noexcept {
  bool msb_first =
      order == byte_order::big || std::endian::native == std::endian::big;
  return msb_first ? n - 1 - i : i;
}

} // namespace

void store_uint(std::span<std::uint8_t> out, std::uint64_t v,
                byte_order order) noexcept {
  auto n = out.size();
  for (std::size_t i = 0; i < std::min<std::size_t>(n, 8); ++i)
    out[position(i, n, order)] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t load_uint(byte_view in, byte_order order) noexcept {
  auto n = in.size();
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(n, 8); ++i)
    v |= std::uint64_t{in[position(i, n, order)]} << (8 * i);
  return v;
}

std::string to_hex(byte_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0)
      out += ' ';
    append_hex(out, bytes[i]);
  }
  return out;
}

std::string to_hex_rows(byte_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0)
      out += (i % 4 == 0) ? '\n' : ' ';
    append_hex(out, bytes[i]);
  }
  return out;
}

} // namespace nfactor
