// SPDX-License-Identifier: Apache-2.0
#include <boost/test/unit_test.hpp>

#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "nfactor/nl/attr.hpp"

namespace nl_attr {
using namespace nfactor;
using namespace nfactor::nl;
using nfactor::test::bytes;
using nfactor::test::bytes_equal;

// Writes attributes with message_writer and returns just the attribute
// stream (the bytes after the 16-byte netlink header).
template <class F>
byte_buffer attrs_of(F&& fill) {
  byte_buffer buf;
  message_writer w{buf};
  w.begin(0x1234, 0, 0);
  fill(w);
  w.end();
  BOOST_REQUIRE(w.status());
  return byte_buffer(buf.begin() + NLMSG_HDRLEN, buf.end());
}

} // namespace nl_attr

BOOST_AUTO_TEST_SUITE(nl_attr)

BOOST_AUTO_TEST_CASE(writer_golden_bytes) {
  auto a = attrs_of([](message_writer& w) {
    w.attr_u32_be(1, 0x01020304);
    w.attr_u16_be(2, 0x0506);
    w.attr_str(3, "ab");
    w.attr_u8(4, 0xff);
  });
  BOOST_TEST(bytes_equal(a, bytes({8, 0, 1, 0, 1,    2,   3, 4, // u32 BE
                                   6, 0, 2, 0, 5,    6,   0, 0, // u16 + pad
                                   7, 0, 3, 0, 'a',  'b', 0, 0, // "ab\0"
                                   5, 0, 4, 0, 0xff, 0,   0, 0})));
}

BOOST_AUTO_TEST_CASE(nested_golden_and_flag) {
  auto a = attrs_of([](message_writer& w) {
    auto n = w.begin_nested(7);
    w.attr_u32_be(1, 1);
    w.end_nested(n);
  });
  BOOST_TEST(bytes_equal(a, bytes({12, 0, 7, 0x80, 8, 0, 1, 0, 0, 0, 0, 1})));
}

BOOST_AUTO_TEST_CASE(round_trip_every_getter) {
  auto a = attrs_of([](message_writer& w) {
    w.attr_u8(1, 0x7f);
    w.attr_u16_be(2, 0xbeef);
    w.attr_u32_be(3, 0xdeadbeef);
    w.attr_u32_ne(4, 0x11223344);
    w.attr_u64_be(5, 0x0102030405060708ull);
    w.attr_str(6, "prefix: ");
    w.attr_flag(7);
    auto n = w.begin_nested(8);
    w.attr_u32_be(1, 42);
    w.end_nested(n);
  });
  attr_reader r{a};
  int seen = 0;
  while (r.next()) {
    ++seen;
    switch (r.type()) {
    case 1:
      BOOST_TEST(r.u8() == 0x7f);
      break;
    case 2:
      BOOST_TEST(r.u16_be() == 0xbeef);
      break;
    case 3:
      BOOST_TEST(r.u32_be() == 0xdeadbeefu);
      break;
    case 4:
      BOOST_TEST(r.u32_ne() == 0x11223344u);
      break;
    case 5:
      BOOST_TEST(r.u64_be() == 0x0102030405060708ull);
      break;
    case 6:
      BOOST_TEST(r.string() == "prefix: ");
      break;
    case 7:
      BOOST_TEST(r.bytes().empty());
      break;
    case 8: {
      BOOST_TEST(r.nested_flag());
      auto inner = r.nested();
      BOOST_REQUIRE(inner.next());
      BOOST_TEST(inner.type() == 1);
      BOOST_TEST(inner.u32_be() == 42u);
      BOOST_TEST(!inner.next());
      break;
    }
    default:
      BOOST_FAIL("unexpected attribute " << r.type());
    }
  }
  BOOST_TEST(seen == 8);
  BOOST_TEST(r.ok());
}

BOOST_AUTO_TEST_CASE(wrong_length_is_recorded_once) {
  auto a = attrs_of([](message_writer& w) {
    w.attr_u16_be(1, 1);
    w.attr_u32_be(2, 2);
  });
  attr_reader r{a, "decode test"};
  BOOST_REQUIRE(r.next());
  BOOST_TEST(r.u32_be() == 0u); // 2-byte payload read as u32
  BOOST_TEST(!r.ok());
  BOOST_TEST(!r.next()); // iteration stops after the first error
  auto st = r.status();
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::bad_attribute));
  BOOST_TEST(st.err().op == "decode test");
  BOOST_TEST(st.err().detail.find("expected 4") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(length_past_end_is_an_error_not_an_over_read) {
  // Header claims 12 bytes, only 8 present.
  auto raw = bytes({12, 0, 1, 0, 1, 2, 3, 4});
  attr_reader r{raw};
  BOOST_TEST(!r.next());
  BOOST_TEST(r.status().err().code == make_error_code(errc::truncated));
}

BOOST_AUTO_TEST_CASE(length_below_header_is_an_error) {
  auto raw = bytes({3, 0, 1, 0});
  attr_reader r{raw};
  BOOST_TEST(!r.next());
  BOOST_TEST(!r.ok());
}

BOOST_AUTO_TEST_CASE(short_header_is_an_error) {
  auto raw = bytes({8, 0, 1, 0, 0, 0, 0, 1, 4, 0});
  attr_reader r{raw};
  BOOST_TEST(r.next());
  BOOST_TEST(!r.next());
  BOOST_TEST(r.status().err().code == make_error_code(errc::truncated));
}

BOOST_AUTO_TEST_CASE(nested_overrun_surfaces_on_the_root) {
  // Outer attribute fine (12 bytes), inner header claims 16.
  auto raw = bytes({12, 0, 1, 0x80, 16, 0, 1, 0, 0, 0, 0, 0});
  attr_reader r{raw};
  BOOST_REQUIRE(r.next());
  auto inner = r.nested();
  BOOST_TEST(!inner.next());
  BOOST_TEST(!r.ok()); // shared error slot
  BOOST_TEST(!r.next());
}

BOOST_AUTO_TEST_CASE(string_without_nul_and_with_embedded_nul) {
  auto raw = bytes({7, 0, 1, 0, 'a', 'b', 'c', 0, 8, 0, 2, 0, 'x', 0, 'y', 0});
  attr_reader r{raw};
  BOOST_REQUIRE(r.next());
  BOOST_TEST(r.string() == "abc");
  BOOST_REQUIRE(r.next());
  BOOST_TEST(r.string() == "x");
}

BOOST_AUTO_TEST_CASE(fixed_and_prefix_structs) {
  struct two {
    std::uint16_t a, b;
  };
  auto raw =
      bytes({8, 0, 1, 0, 1, 0, 2, 0, 12, 0, 2, 0, 1, 0, 2, 0, 9, 9, 9, 9});
  attr_reader r{raw};
  BOOST_REQUIRE(r.next());
  auto t = r.fixed<two>();
  BOOST_TEST(t.a == 1);
  BOOST_TEST(t.b == 2);
  BOOST_REQUIRE(r.next());
  auto p = r.prefix<two>(); // longer payload accepted
  BOOST_TEST(p.b == 2);
  BOOST_TEST(r.ok());
  attr_reader r2{raw};
  BOOST_REQUIRE(r2.next());
  BOOST_REQUIRE(r2.next());
  r2.fixed<two>(); // exact length demanded
  BOOST_TEST(!r2.ok());
}

BOOST_AUTO_TEST_CASE(writer_rejects_oversized_attribute) {
  byte_buffer buf;
  message_writer w{buf};
  w.begin(1, 0, 0);
  byte_buffer big(70000, 1);
  w.attr_bytes(1, big);
  w.end();
  auto st = w.status();
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(writer_rejects_unbalanced_nest) {
  byte_buffer buf;
  message_writer w{buf};
  w.begin(1, 0, 0);
  (void)w.begin_nested(1);
  w.end();
  BOOST_TEST(!w.status());
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_valid_stream_fails_cleanly) {
  auto a = attrs_of([](message_writer& w) {
    w.attr_u32_be(1, 1);
    auto n = w.begin_nested(2);
    w.attr_str(1, "hello");
    w.end_nested(n);
  });
  for (size_t cut = 1; cut < a.size(); ++cut) {
    // Copy into an exactly-sized buffer so ASan catches any over-read.
    byte_buffer part(a.begin(), a.begin() + static_cast<long>(cut));
    attr_reader r{part};
    while (r.next())
      if (r.type() == 2) {
        auto inner = r.nested();
        while (inner.next())
          (void)inner.str();
      }
    // Only a cut right after the first attribute leaves a valid stream.
    BOOST_TEST(r.ok() == (cut == 8), "cut at " << cut);
  }
}

BOOST_AUTO_TEST_SUITE_END()
