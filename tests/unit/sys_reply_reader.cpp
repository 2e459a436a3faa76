// SPDX-License-Identifier: Apache-2.0
// Malformed replies fed to sys::reply_reader, the reply side of
// sys::request / sys::dump (both feed it every kernel datagram they read),
// each asserting the typed error: a multipart dump without NLMSG_DONE, an
// NLMSG_ERROR with garbage, a lying nlmsg_len, a DONE carrying an error, an
// interrupted dump. Crafted bytes cannot reach a real socket any more (only
// datagrams from the kernel are read, see sys_bad_replies), so they are fed
// here directly.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstring>
#include <optional>

#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/sys/request.hpp"

namespace sys_reply_reader {
using namespace nfactor;
using until = sys::reply_reader::until;

byte_buffer message(std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                    const byte_buffer& payload) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(type, flags, seq);
  w.put_raw(payload);
  w.end();
  return out;
}

// A dump part: NEWTABLE "t" with NLM_F_MULTI.
byte_buffer table_part(std::uint32_t seq) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE, NLM_F_MULTI, seq);
  w.put_nfgenmsg(NFPROTO_INET);
  w.attr_str(NFTA_TABLE_NAME, "t");
  w.end();
  return out;
}

byte_buffer done(std::uint32_t seq, std::int32_t status) {
  byte_buffer body(4);
  std::memcpy(body.data(), &status, 4);
  return message(NLMSG_DONE, NLM_F_MULTI, seq, body);
}

byte_buffer join(byte_buffer a, const byte_buffer& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One exchange: a reader with counting handlers.
struct exchange {
  int replies = 0;
  int others = 0;
  sys::reply_handler on_reply = [this](const nl::message&) {
    ++replies;
    return result<void>{};
  };
  std::function<void(const nl::message&)> on_other =
      [this](const nl::message&) {
        ++others;
      };
  sys::reply_reader reader;

  exchange(std::uint32_t seq, const char* op, until end)
    : reader(seq, op, end, on_reply, on_other) {}

  // Feeds `datagram`, which must end the exchange with an error.
  error fails(const byte_buffer& datagram) {
    auto r = reader.feed(datagram);
    BOOST_REQUIRE_MESSAGE(r, "the exchange did not end");
    BOOST_REQUIRE_MESSAGE(!*r, "the exchange succeeded");
    return std::move(*r).err();
  }
};

} // namespace sys_reply_reader

BOOST_AUTO_TEST_SUITE(sys_reply_reader)

BOOST_AUTO_TEST_CASE(ack_ends_a_request_and_other_seqs_go_aside) {
  exchange x{7, "request", until::ack};
  byte_buffer ack(sizeof(nlmsgerr), 0);
  // A notification (seq 0), a reply, then the ack, in one datagram.
  auto dgram = join(join(table_part(0), table_part(7)),
                    message(NLMSG_ERROR, NLM_F_CAPPED, 7, ack));
  auto r = x.reader.feed(dgram);
  BOOST_REQUIRE(r);
  BOOST_TEST(*r);
  BOOST_TEST(x.replies == 1);
  BOOST_TEST(x.others == 1);
}

BOOST_AUTO_TEST_CASE(multipart_without_done_never_ends_then_times_out_typed) {
  exchange x{9, "dump tables", until::done};
  BOOST_TEST(!x.reader.feed(join(table_part(9), table_part(9))));
  BOOST_TEST(!x.reader.feed(table_part(9)));
  BOOST_TEST(x.replies == 3); // every part was delivered
  // What request()/dump() return when the kernel then stays silent (the
  // real time-out through the socket: sys_bad_replies).
  auto e = x.reader.timed_out(std::chrono::milliseconds{300});
  BOOST_TEST(e.code == make_error_code(errc::timeout), e.message());
  BOOST_TEST(e.op == "dump tables");
}

BOOST_AUTO_TEST_CASE(nlmsg_error_with_garbage_is_typed) {
  // Too short for struct nlmsgerr.
  {
    exchange x{1, "short error", until::ack};
    auto e = x.fails(message(NLMSG_ERROR, 0, 1, byte_buffer{0xff, 0xff}));
    BOOST_TEST(e.code == make_error_code(errc::truncated), e.message());
  }
  // A positive "errno" and a garbage header copy.
  byte_buffer body(sizeof(nlmsgerr), 0xab);
  {
    exchange x{2, "positive error", until::ack};
    std::int32_t positive = 17;
    std::memcpy(body.data(), &positive, 4);
    auto e = x.fails(message(NLMSG_ERROR, 0, 2, body));
    BOOST_TEST(e.code == make_error_code(errc::bad_message), e.message());
  }
  // Extended-ACK flag set, TLV area cut.
  {
    exchange x{3, "cut extack", until::ack};
    std::int32_t einval = -EINVAL;
    std::memcpy(body.data(), &einval, 4);
    nlmsghdr inner{};
    inner.nlmsg_len = 4000; // claims a copied request we do not carry
    std::memcpy(body.data() + 4, &inner, sizeof inner);
    auto e = x.fails(message(NLMSG_ERROR, NLM_F_ACK_TLVS, 3, body));
    BOOST_TEST(e.code == make_error_code(errc::truncated), e.message());
  }
  // The same garbage ends a dump too.
  {
    exchange x{4, "dump with garbage", until::done};
    auto e = x.fails(message(NLMSG_ERROR, 0, 4, byte_buffer{1, 2, 3}));
    BOOST_TEST(e.code == make_error_code(errc::truncated), e.message());
  }
}

BOOST_AUTO_TEST_CASE(lying_length_is_typed) {
  exchange x{5, "lying dump", until::done};
  auto lie = table_part(5);
  std::uint32_t huge = 1u << 20;
  std::memcpy(lie.data(), &huge, 4);
  auto e = x.fails(lie);
  BOOST_TEST(e.code == make_error_code(errc::bad_message), e.message());
  BOOST_TEST(x.replies == 0); // nothing of it was parsed as a reply
}

BOOST_AUTO_TEST_CASE(done_with_errno_is_the_dumps_failure) {
  exchange x{6, "failed dump", until::done};
  auto e = x.fails(join(table_part(6), done(6, -EPERM)));
  BOOST_TEST(e.errno_value() == EPERM, e.message());
  BOOST_TEST(e.op == "failed dump");
  BOOST_TEST(e.seq == 6u);
}

BOOST_AUTO_TEST_CASE(dump_intr_then_done_is_interrupted) {
  exchange x{8, "interrupted dump", until::done};
  auto part = table_part(8);
  part[6] |= NLM_F_DUMP_INTR & 0xff; // nlmsg_flags, low byte
  BOOST_TEST(!x.reader.feed(part));
  auto e = x.fails(done(8, 0));
  BOOST_TEST(e.code == make_error_code(errc::dump_interrupted), e.message());
}

BOOST_AUTO_TEST_CASE(handler_error_is_kept_until_the_end) {
  sys::reply_handler refuse = [](const nl::message&) -> result<void> {
    return make_error(errc::invalid_argument, "handler", "refused");
  };
  std::function<void(const nl::message&)> none;
  sys::reply_reader dump{10, "dump", until::done, refuse, none};
  BOOST_TEST(!dump.feed(join(table_part(10), table_part(10))));
  auto r = dump.feed(done(10, 0));
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(!*r);
  BOOST_TEST(r->err().code == make_error_code(errc::invalid_argument));
  BOOST_TEST(r->err().op == "handler");
}

BOOST_AUTO_TEST_CASE(nlmsg_overrun_is_typed) {
  exchange x{11, "overrun", until::done};
  auto e = x.fails(message(NLMSG_OVERRUN, 0, 11, {}));
  BOOST_TEST(e.code == make_error_code(errc::overrun), e.message());
}

BOOST_AUTO_TEST_SUITE_END()
