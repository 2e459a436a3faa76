// SPDX-License-Identifier: Apache-2.0
#include "nfactor/bytes.hpp"

namespace nfactor {

namespace {

void append_hex(std::string& out, std::uint8_t byte) {
  static constexpr char digits[] = "0123456789abcdef";
  out += digits[byte >> 4];
  out += digits[byte & 0x0f];
}

} // namespace

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
