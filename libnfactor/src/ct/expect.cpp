// SPDX-License-Identifier: Apache-2.0
#include "nfactor/ct/expect.hpp"

#include <array>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "tuple_rows.hpp"
#include "wire.hpp"

namespace nfactor::ct {

namespace detail {

struct exp_nat_rows {
  static constexpr std::array<row<expectation>, 2> rows{
      field<&expectation::nat_dir>(CTA_EXPECT_NAT_DIR),
      field<&expectation::nat_tuple>(CTA_EXPECT_NAT_TUPLE),
  };
};

// In the kernel's order (ctnetlink_exp_dump_expect): the tuples, NAT,
// timeout, id, flags, class, helper, function; the zone (requests only)
// last. Every tuple is the entry's tuple nest (tuple_rows.hpp).
constexpr std::array<row<expectation>, 11> expectation_rows{
    field<&expectation::expected>(CTA_EXPECT_TUPLE),
    field<&expectation::mask>(CTA_EXPECT_MASK),
    field<&expectation::master>(CTA_EXPECT_MASTER),
    nest<expectation, exp_nat_rows>(CTA_EXPECT_NAT),
    field<&expectation::timeout>(CTA_EXPECT_TIMEOUT),
    field<&expectation::id>(CTA_EXPECT_ID),
    field<&expectation::flags>(CTA_EXPECT_FLAGS),
    field<&expectation::expect_class>(CTA_EXPECT_CLASS),
    field<&expectation::helper>(CTA_EXPECT_HELP_NAME),
    field<&expectation::function>(CTA_EXPECT_FN),
    field<&expectation::zone>(CTA_EXPECT_ZONE),
};

} // namespace detail

namespace {

constexpr auto exp_subsys = nfnl::subsys::ctnetlink_exp;

nl::message_writer start(byte_buffer& out, std::uint8_t msg,
                         std::uint16_t flags, std::uint32_t seq,
                         std::uint8_t family) {
  return detail::start(out, exp_subsys, msg, flags, seq, family);
}

} // namespace

expectation decode_expectation(nl::attr_reader& attrs) {
  expectation out;
  detail::decode_rows<expectation>(attrs, out, detail::expectation_rows);
  return out;
}

void encode_expectation(nl::message_writer& w, const expectation& e) {
  detail::encode_rows<expectation>(w, e, detail::expectation_rows);
}

bool is_expectation_message(const nl::message& msg) noexcept {
  return nfnl::split_type(msg.type).subsys ==
         static_cast<std::uint8_t>(exp_subsys);
}

result<exp_event> decode_exp_event(const nl::message& msg) {
  return detail::decode_change_message<exp_event>(
      msg, "decode conntrack expectation", exp_subsys, IPCTNL_MSG_EXP_NEW,
      IPCTNL_MSG_EXP_DELETE, [](exp_event& ev, nl::attr_reader& r) {
        ev.exp = decode_expectation(r);
      });
}

void append_exp_event(byte_buffer& out, const exp_event& ev, std::uint32_t seq,
                      bool multi) {
  auto h = detail::header_of(ev.kind, multi, IPCTNL_MSG_EXP_NEW,
                             IPCTNL_MSG_EXP_DELETE);
  auto w = start(out, h.type, h.flags, seq, ev.family);
  encode_expectation(w, ev.exp);
  w.end();
}

result<byte_buffer> exp_dump_request(std::uint8_t family, std::uint32_t seq) {
  if (family != 0 && family != AF_INET && family != AF_INET6)
    return detail::invalid("conntrack expectation dump",
                           "family " + std::to_string(family) +
                               " is neither AF_INET nor AF_INET6");
  byte_buffer out;
  auto w =
      start(out, IPCTNL_MSG_EXP_GET, NLM_F_REQUEST | NLM_F_DUMP, seq, family);
  return detail::finish(w, out);
}

result<byte_buffer> exp_delete_request(const tuple& expected,
                                       std::optional<std::uint32_t> id,
                                       std::optional<std::uint16_t> zone,
                                       std::uint32_t seq) {
  auto fam = detail::check_complete(expected, "conntrack expectation delete",
                                    "the expected");
  if (!fam)
    return std::move(fam).err();
  expectation e;
  e.expected = expected;
  e.id = id;
  e.zone = zone;
  byte_buffer out;
  auto w =
      start(out, IPCTNL_MSG_EXP_DELETE, NLM_F_REQUEST | NLM_F_ACK, seq, *fam);
  encode_expectation(w, e);
  return detail::finish(w, out);
}

result<byte_buffer> exp_flush_request(const std::optional<std::string>& helper,
                                      std::uint32_t seq) {
  expectation e;
  e.helper = helper;
  byte_buffer out;
  auto w = start(out, IPCTNL_MSG_EXP_DELETE, NLM_F_REQUEST | NLM_F_ACK, seq, 0);
  encode_expectation(w, e);
  return detail::finish(w, out);
}

} // namespace nfactor::ct
