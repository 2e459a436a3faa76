// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"

namespace nfactor {

/// Lets BOOST_TEST print a result: "ok" or the error's full message.
template <class T>
std::ostream& boost_test_print_type(std::ostream& os, const result<T>& r) {
  if (r)
    return os << "ok";
  return os << r.err().message();
}

} // namespace nfactor

namespace nfactor::test {

/// Compares two byte runs; on mismatch the message shows both side by side
/// in rows of four bytes, marking the rows that differ.
inline boost::test_tools::predicate_result bytes_equal(byte_view got,
                                                       byte_view want) {
  if (got.size() == want.size() &&
      std::equal(got.begin(), got.end(), want.begin()))
    return true;
  boost::test_tools::predicate_result res{false};
  auto& m = res.message();
  m << "bytes differ (got " << got.size() << ", want " << want.size()
    << ")\n   got           want\n";
  auto rows = (std::max(got.size(), want.size()) + 3) / 4;
  auto cell = [](byte_view v, size_t i) {
    std::ostringstream os;
    for (size_t j = i; j < i + 4; ++j) {
      if (j < v.size()) {
        static const char* d = "0123456789abcdef";
        os << d[v[j] >> 4] << d[v[j] & 15];
      } else {
        os << "  ";
      }
      if (j + 1 < i + 4)
        os << ' ';
    }
    return os.str();
  };
  for (size_t r = 0; r < rows; ++r) {
    auto a = cell(got, r * 4);
    auto b = cell(want, r * 4);
    m << (a == b ? "   " : " ! ") << a << "   " << b << '\n';
  }
  return res;
}

/// A byte buffer from a list of values (golden vectors).
inline byte_buffer bytes(std::initializer_list<int> values) {
  byte_buffer out;
  for (int v : values)
    out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

} // namespace nfactor::test
